"""Public pages /fiches/: each visitor sees the sheets of their level only; a members-only
sheet asked for anonymously leads to the login page without its title; old addresses
redirect; print view, PDF and attachments obey the same rules."""

import pytest
from django.urls import reverse

from syndesk.kb import services
from syndesk.kb.models import Sheet

from .conftest import FORBIDDEN, PDF_BYTES, PNG_BYTES, XSS_BODY, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheets(sheet_factory, emagnus):
    return {
        "public": sheet_factory(title="Fiche publique", software=[emagnus]),
        "members": sheet_factory(title="Fiche adhérents secrète", visibility="members"),
        "staff": sheet_factory(title="Fiche interne", visibility="staff"),
        "draft": sheet_factory(title="Fiche brouillon", publish=False),
    }


def listed(client):
    response = client.get(reverse("kb-public:list"))
    assert response.status_code == 200
    text = response.content.decode()
    names = {
        "publique": "Fiche publique",
        "adhérents": "Fiche adhérents secrète",
        "interne": "Fiche interne",
        "brouillon": "Fiche brouillon",
    }
    return {name for name, title in names.items() if title in text}


def test_anonymous_visitors_see_public_sheets_only(client, sheets):
    assert listed(client) == {"publique"}


def test_member_users_also_see_members_sheets(client, sheets, alice):
    client.force_login(alice)
    assert listed(client) == {"publique", "adhérents"}


def test_a_signed_in_user_of_no_member_is_treated_as_the_public(client, sheets):
    from syndesk.conftest import make_user

    client.force_login(make_user("nobody@example.org"))
    assert listed(client) == {"publique"}


def test_staff_see_staff_sheets_too_but_never_drafts(client, sheets, billing):
    client.force_login(billing)
    assert listed(client) == {"publique", "adhérents", "interne"}


def test_the_list_groups_sheets_by_software(client, sheets, emagnus):
    response = client.get(reverse("kb-public:list"))
    assert [software for software, _sheets in response.context["groups"]] == [emagnus]


def test_a_members_sheet_asked_anonymously_leads_to_login_without_its_title(client, sheets):
    url = reverse("kb-public:detail", args=[sheets["members"].slug])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    followed = client.get(url, follow=True)
    assert "secrète" not in followed.content.decode()


def test_a_member_user_reads_a_members_sheet(client, sheets, alice):
    client.force_login(alice)
    response = client.get(reverse("kb-public:detail", args=[sheets["members"].slug]))
    assert response.status_code == 200
    assert "Fiche adhérents secrète" in response.content.decode()


def test_a_staff_sheet_is_absent_for_a_member_user(client, sheets, alice):
    client.force_login(alice)
    assert client.get(reverse("kb-public:detail", args=[sheets["staff"].slug])).status_code == 404


def test_a_draft_is_absent_even_anonymously(client, sheets):
    assert client.get(reverse("kb-public:detail", args=[sheets["draft"].slug])).status_code == 404
    assert client.get(reverse("kb-public:detail", args=["inconnue"])).status_code == 404


def test_an_old_address_redirects_permanently(client, sheets, agent):
    old = sheets["public"].slug
    services.update_sheet(sheet=sheets["public"], title="Fiche renommée", changed_by=agent)
    response = client.get(reverse("kb-public:detail", args=[old]))
    assert response.status_code == 301
    assert response["Location"] == reverse("kb-public:detail", args=["fiche-renommee"])
    response = client.get(reverse("kb-public:print", args=[old]))
    assert response["Location"] == reverse("kb-public:print", args=["fiche-renommee"])


def test_an_old_address_of_a_members_sheet_does_not_reveal_the_new_one(client, sheets, agent):
    old = sheets["members"].slug
    services.update_sheet(sheet=sheets["members"], title="Nouveau nom caché", changed_by=agent)
    response = client.get(reverse("kb-public:detail", args=[old]))
    assert response.status_code == 302
    assert "cache" not in response["Location"]


def test_markdown_injection_is_sanitised(client, sheet_factory):
    sheet = sheet_factory(title="Piège", body=XSS_BODY)
    text = client.get(reverse("kb-public:detail", args=[sheet.slug])).content.decode()
    assert "<strong>utile</strong>" in text
    body = text.split('class="sheet-body"', 1)[1]
    assert not [bad for bad in FORBIDDEN if bad in body]


def test_the_print_view_and_the_pdf(client, sheet_factory):
    sheet = sheet_factory(title="Imprimer un bordereau", body="## Étapes\n\n1. Ouvrir")
    response = client.get(reverse("kb-public:print", args=[sheet.slug]))
    assert response.status_code == 200
    assert "kb/print.css" in response.content.decode()
    response = client.get(reverse("kb-public:pdf", args=[sheet.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_pdf_of_a_members_sheet_needs_a_login(client, sheets):
    response = client.get(reverse("kb-public:pdf", args=[sheets["members"].slug]))
    assert response.status_code == 302


def test_attachments_follow_the_sheet_visibility(client, sheets, agent, alice):
    public = services.add_attachment(
        sheet=sheets["public"], upload=upload("<b>guide</b>.pdf", PDF_BYTES), uploaded_by=agent
    )
    private = services.add_attachment(
        sheet=sheets["members"], upload=upload("capture.png", PNG_BYTES), uploaded_by=agent
    )
    response = client.get(reverse("kb-public:attachment", args=[sheets["public"].slug, public.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="b.pdf"'
    assert b"".join(response.streaming_content) == PDF_BYTES
    url = reverse("kb-public:attachment", args=[sheets["members"].slug, private.pk])
    assert client.get(url).status_code == 302
    wrong_sheet = reverse("kb-public:attachment", args=[sheets["public"].slug, private.pk])
    assert client.get(wrong_sheet).status_code == 404
    client.force_login(alice)
    assert client.get(url)["Content-Type"] == "image/png"


def test_staff_open_the_attachment_of_a_draft(client, sheets, agent, alice):
    attachment = services.add_attachment(
        sheet=sheets["draft"], upload=upload("note.pdf", PDF_BYTES), uploaded_by=agent
    )
    url = reverse("kb-public:attachment", args=[sheets["draft"].slug, attachment.pk])
    client.force_login(alice)
    assert client.get(url).status_code == 404
    client.force_login(agent)
    assert client.get(url).status_code == 200


def test_search_on_the_public_page(client, sheet_factory):
    sheet_factory(title="Comment teletransmettre", body="")
    response = client.get(reverse("kb-public:list"), {"q": "télétransmission"})
    assert [hit.sheet.title for hit in response.context["hits"]] == ["Comment teletransmettre"]


@pytest.mark.parametrize("query", ['"><script>alert(1)</script>', "' OR 1=1 --", "zzzz"])
def test_nothing_found_is_said_clearly_and_safely(client, sheet_factory, query):
    sheet_factory(title="Sauvegarde", body="")
    response = client.get(reverse("kb-public:list"), {"q": query})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Aucune fiche ne correspond" in text
    assert "<script>alert(1)" not in text


def test_search_filters_by_software(client, sheet_factory, emagnus, pastell):
    sheet_factory(title="Sauvegarde e.magnus", software=[emagnus])
    sheet_factory(title="Sauvegarde Pastell", software=[pastell])
    response = client.get(reverse("kb-public:list"), {"q": "sauvegarde", "logiciel": pastell.pk})
    assert [hit.sheet.title for hit in response.context["hits"]] == ["Sauvegarde Pastell"]
    assert Sheet.objects.count() == 2


def test_a_bad_filter_value_does_not_cancel_the_search(client, sheet_factory):
    sheet_factory(title="Sauvegarde", body="")
    response = client.get(reverse("kb-public:list"), {"q": "sauvegarde", "logiciel": "1 OR 1"})
    assert response.status_code == 200
    assert [hit.sheet.title for hit in response.context["hits"]] == ["Sauvegarde"]


@pytest.mark.parametrize("query", [{}, {"q": "sauvegarde"}])
def test_the_list_costs_the_same_queries_for_3_or_12_sheets(client, sheet_factory, emagnus, query):
    from syndesk.core.testing import count_queries

    def make(n):
        for i in range(n):
            sheet_factory(title=f"Sauvegarde {i}", software=[emagnus], tags="paie, sauvegarde")

    url = reverse("kb-public:list")
    make(3)
    few = count_queries(lambda: client.get(url, query))
    make(9)
    assert count_queries(lambda: client.get(url, query)) == few


def test_tags_of_sheets_the_visitor_cannot_see_are_not_offered(client, sheet_factory):
    sheet_factory(title="Publique", tags="paie")
    sheet_factory(title="Interne", tags="procédure-interne", visibility="staff")
    text = client.get(reverse("kb-public:list")).content.decode()
    assert 'value="paie"' in text
    assert "interne" not in text.split('name="mot"', 1)[1].split("</select>", 1)[0]
    response = client.get(reverse("kb-public:list"), {"mot": "procedure-interne"})
    assert response.context["count"] == 1  # an unknown tag is dropped, not an error

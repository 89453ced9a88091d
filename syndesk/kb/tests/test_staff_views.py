"""Back office /gestion/fiches/: agents write, preview, publish and attach; billing reads;
member users and anonymous visitors get nothing."""

import pytest
from django.urls import reverse

from syndesk.kb import services
from syndesk.kb.models import Attachment, Sheet

from .conftest import PDF_BYTES, upload

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "title": "Sauvegarder la paie",
        "summary": "Avant chaque clôture.",
        "visibility": "members",
        "body": "## Étapes\n\n1. Ouvrir le module",
        "tag_names": "paie, sauvegarde",
    }
    data.update(overrides)
    return data


def test_an_agent_writes_then_publishes_a_sheet(client, agent, emagnus):
    client.force_login(agent)
    response = client.post(reverse("kb:create"), form_data(software=[emagnus.pk]))
    sheet = Sheet.objects.get()
    assert response["Location"] == reverse("kb:detail", args=[sheet.pk])
    assert (sheet.status, sheet.visibility) == ("draft", "members")
    assert sorted(sheet.tags.values_list("name", flat=True)) == ["paie", "sauvegarde"]
    client.post(reverse("kb:publish", args=[sheet.pk]))
    sheet.refresh_from_db()
    assert sheet.is_published
    client.post(reverse("kb:unpublish", args=[sheet.pk]))
    sheet.refresh_from_db()
    assert not sheet.is_published


def test_the_forms_open_for_an_agent(client, agent):
    sheet = services.create_sheet(title="A", tags="paie", created_by=agent)
    client.force_login(agent)
    assert client.get(reverse("kb:create")).status_code == 200
    response = client.get(reverse("kb:edit", args=[sheet.pk]))
    assert response.context["form"]["tag_names"].value() == "paie"
    assert client.get(reverse("kb:detail", args=[sheet.pk])).status_code == 200


def test_the_preview_renders_without_saving(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("kb:create"), form_data(body="**gras** <script>alert(1)</script>", preview="1")
    )
    assert response.status_code == 200
    assert str(response.context["preview"]) == "<p><strong>gras</strong> </p>"
    assert not Sheet.objects.exists()


def test_editing_keeps_the_old_address_and_adds_a_revision(client, agent):
    sheet = services.create_sheet(title="Ancien", body="v1", created_by=agent)
    client.force_login(agent)
    client.post(reverse("kb:edit", args=[sheet.pk]), form_data(title="Nouveau", body="v2"))
    sheet.refresh_from_db()
    assert sheet.slug == "nouveau"
    assert sheet.revisions.count() == 2
    response = client.get(reverse("kb:diff", args=[sheet.pk]))
    assert ("add", "+v2") in response.context["lines"]


def test_the_diff_escapes_what_authors_typed(client, agent):
    sheet = services.create_sheet(title="A", body="texte", created_by=agent)
    services.update_sheet(sheet=sheet, body="<script>alert(1)</script>", changed_by=agent)
    client.force_login(agent)
    text = client.get(reverse("kb:diff", args=[sheet.pk]), {"de": 1, "a": 2}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)" not in text


def test_a_version_of_another_software_is_explained_at_the_field(client, agent, emagnus, pastell):
    from syndesk.catalog.models import SoftwareVersion

    version = SoftwareVersion.objects.create(software=emagnus, number="3.1")
    client.force_login(agent)
    response = client.post(
        reverse("kb:create"), form_data(software=[pastell.pk], versions=[version.pk])
    )
    assert response.status_code == 200
    assert "versions" in response.context["form"].errors


def test_an_agent_attaches_a_pdf_and_a_fake_one_is_refused(client, agent):
    sheet = services.create_sheet(title="A", created_by=agent)
    client.force_login(agent)
    url = reverse("kb:attachment-add", args=[sheet.pk])
    client.post(url, {"file": upload("guide.pdf", PDF_BYTES)})
    response = client.post(url, {"file": upload("faux.pdf", b"MZ\x90\x00binary")}, follow=True)
    assert [a.name for a in Attachment.objects.all()] == ["guide.pdf"]
    assert "pas au format JPEG / PDF / PNG" in response.content.decode()
    attachment = Attachment.objects.get()
    client.post(reverse("kb:attachment-delete", args=[sheet.pk, attachment.pk]))
    assert not Attachment.objects.exists()


def test_the_staff_list_filters_and_searches(client, agent, emagnus):
    services.create_sheet(title="Sauvegarde e.magnus", software=[emagnus], created_by=agent)
    services.create_sheet(title="Mot de passe", created_by=agent)
    client.force_login(agent)
    response = client.get(reverse("kb:list"), {"logiciel": emagnus.pk})
    assert [s.title for s in response.context["page"]] == ["Sauvegarde e.magnus"]
    response = client.get(reverse("kb:list"), {"q": "passe"})
    assert [hit.sheet.title for hit in response.context["hits"]] == ["Mot de passe"]


def test_billing_reads_but_does_not_write(client, billing, agent):
    sheet = services.create_sheet(title="A", created_by=agent)
    client.force_login(billing)
    assert client.get(reverse("kb:list")).status_code == 200
    assert client.get(reverse("kb:detail", args=[sheet.pk])).status_code == 200
    assert client.get(reverse("kb:create")).status_code == 403
    assert client.post(reverse("kb:publish", args=[sheet.pk])).status_code == 403
    sheet.refresh_from_db()
    assert not sheet.is_published


def test_member_users_and_anonymous_visitors_are_kept_out(client, alice, agent):
    sheet = services.create_sheet(title="A", created_by=agent)
    urls = [reverse("kb:list"), reverse("kb:detail", args=[sheet.pk]), reverse("kb:create")]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(alice)
    for url in urls:
        assert client.get(url).status_code == 403

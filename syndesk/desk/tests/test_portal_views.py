"""The member portal's helpdesk pages (/portail/demandes/).

Alice and Bob work for Brécey (subscription covering e.magnus), Charlie for Avranches; agnes
is an agent. Each member user sees their organisation's requests and nothing else, only the
public side of the conversation, and every refusal is said at the field it concerns."""

import html
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syndesk.core.testing import assert_isolated, count_queries
from syndesk.desk import services
from syndesk.desk.models import (
    Category,
    Channel,
    Satisfaction,
    Status,
    Ticket,
    TicketAttachment,
    TicketMessage,
)
from syndesk.desk.panels import register_panels

from .conftest import MONDAY_10H, PNG, paris, pdf

pytestmark = pytest.mark.django_db

LIST = reverse("desk-portal:list")
CREATE = reverse("desk-portal:create")
FRIDAY_EVENING = paris(2026, 11, 27, 20, 0)


def url(name, ticket, *args):
    return reverse(f"desk-portal:{name}", args=[ticket.reference, *args])


def text(response) -> str:
    return html.unescape(response.content.decode())


@contextmanager
def frozen_now(at):
    """Freeze timezone.now() (the services, the views and auto_now fields read it)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


@pytest.fixture
def portal_ticket(open_ticket, alice):
    """A factory: a request Alice submitted in the portal (Monday 2 March 2026, 10:00)."""

    def make(**overrides):
        fields = {"channel": Channel.PORTAL, "opened_by": alice, "contact": None, **overrides}
        return open_ticket(**fields)

    return make


@pytest.fixture
def mine(portal_ticket):
    return portal_ticket(subject="Bordereau de mandats rejeté")


@pytest.fixture
def theirs(open_ticket, member_b, charlie):
    return open_ticket(
        member=member_b,
        contact=None,
        software=None,
        channel=Channel.PORTAL,
        opened_by=charlie,
        subject="Avranches : état civil bloqué",
    )


def form_data(**overrides):
    return {
        "software": "",
        "category": Category.ANOMALY,
        "subject": "Le budget ne s'édite plus",
        "description": "Message « erreur 42 » à l'impression du budget primitif.",
        **overrides,
    }


# --------------------------------------------------------------------------- who gets in


def test_an_anonymous_visitor_is_asked_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_are_sent_to_the_back_office(client, agent, mine):
    client.force_login(agent)
    for page in (LIST, CREATE, url("ticket", mine)):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == reverse("web:staff")


def test_a_user_without_organisation_gets_an_explanation(client, db):
    from syndesk.conftest import make_user

    client.force_login(make_user("personne@example.org"))
    response = client.get(LIST)
    assert response.status_code == 403
    assert "Aucune organisation rattachée" in text(response)


# --------------------------------------------------------------------------- list


def test_the_list_shows_the_organisation_requests_with_status_and_dates(
    client, alice, bob, mine, theirs, agent
):
    services.add_reply(
        ticket=mine,
        body="Pouvez-vous nous envoyer une capture ?",
        by=agent,
        wait_for_member=True,
        at=paris(2026, 3, 3, 9, 15),
    )
    services.add_note(ticket=mine, body="Note interne", by=agent, at=paris(2026, 3, 5, 9))
    client.force_login(bob)  # a colleague sees the organisation's requests too
    response = client.get(LIST)
    page = text(response)
    assert response.status_code == 200
    assert list(response.context["page"]) == [mine]
    assert mine.reference in page
    assert "Bordereau de mandats rejeté" in page
    assert "En attente de votre réponse" in page
    assert "2 mars 2026 10:00" in page  # opened
    assert "3 mars 2026 09:15" in page  # last public exchange; the internal note does not count
    assert "5 mars 2026" not in page
    assert theirs.reference not in page


def test_the_list_has_tabs_for_current_and_closed_requests(client, alice, portal_ticket, agent):
    current = portal_ticket()
    done = services.resolve(ticket=portal_ticket(), by=agent)
    done = services.close(ticket=done, by=agent)
    client.force_login(alice)
    assert list(client.get(LIST).context["page"]) == [current]
    assert list(client.get(LIST, {"etat": "closes"}).context["page"]) == [done]
    assert set(client.get(LIST, {"etat": "toutes"}).context["page"]) == {current, done}
    response = client.get(LIST, {"etat": "n'importe quoi"})
    assert response.status_code == 200
    assert response.context["current"] == "en-cours"
    assert "Closes (1)" in text(response)


def test_the_list_runs_a_bounded_number_of_queries(client, alice, portal_ticket):
    portal_ticket()
    client.force_login(alice)
    few = count_queries(lambda: client.get(LIST))
    for _ in range(15):
        portal_ticket()
    assert count_queries(lambda: client.get(LIST)) == few
    assert few <= 7  # the tab's count comes from the tabs' aggregate: no COUNT(*) again


def test_the_list_pages_by_the_count_of_its_tab(client, alice, portal_ticket, agent):
    for _ in range(27):
        portal_ticket()
    done = services.close(ticket=services.resolve(ticket=portal_ticket(), by=agent), by=agent)
    client.force_login(alice)
    first = client.get(LIST)
    assert first.context["page"].paginator.count == 27
    assert first.context["page"].paginator.num_pages == 2
    assert "27 demandes" in text(first)
    second = client.get(LIST, {"page": 2})
    assert len(second.context["page"]) == 2
    assert done not in list(second.context["page"])
    closed = client.get(LIST, {"etat": "closes", "page": 5})  # past the end: the last page
    assert list(closed.context["page"]) == [done]


# --------------------------------------------------------------------------- submit


def test_the_form_offers_the_subscription_software_first(client, alice, subscription, horizon):
    client.force_login(alice)
    response = client.get(CREATE)
    page = response.content.decode()
    assert response.status_code == 200
    choices = response.context["form"].fields["software"].choices
    assert [label for label, _ in choices][1:] == [
        "Logiciels de votre abonnement",
        "Autres logiciels",
    ]
    assert [name for _pk, name in choices[1][1]] == ["e.magnus"]
    assert [name for _pk, name in choices[2][1]] == ["Horizon On-Line"]
    assert page.index("e.magnus") < page.index("Horizon On-Line")
    assert 'enctype="multipart/form-data"' in page
    assert "Hors périmètre" not in page  # the desk's classification, not the member's


def test_a_member_submits_a_request_with_attachments(client, alice, emagnus, subscription):
    client.force_login(alice)
    with frozen_now(MONDAY_10H):
        response = client.post(
            CREATE,
            form_data(
                software=str(emagnus.pk),
                attachments=[pdf("erreur.pdf"), SimpleUploadedFile("ecran.png", PNG)],
            ),
        )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("ticket", ticket)
    assert (ticket.channel, ticket.requester, ticket.opened_by) == (Channel.PORTAL, alice, alice)
    assert (ticket.software, ticket.category, ticket.entitled) == (emagnus, Category.ANOMALY, True)
    assert sorted(a.name for a in ticket.attachments.all()) == ["ecran.png", "erreur.pdf"]
    page = text(client.get(response["Location"]))
    assert f"Votre demande {ticket.reference} est enregistrée." in page
    assert "Le service est fermé" not in page


def test_outside_opening_hours_the_member_is_told_when_it_will_be_handled(
    client, alice, subscription
):
    client.force_login(alice)
    sentence = (
        "Le service est fermé ; votre demande sera traitée à partir du lundi 30 novembre à 8h30."
    )
    with frozen_now(FRIDAY_EVENING):
        assert sentence in text(client.get(CREATE))
        response = client.post(CREATE, form_data(), follow=True)
    assert sentence in text(response)
    assert Ticket.objects.get().created_at == FRIDAY_EVENING


def test_a_file_of_the_wrong_type_is_refused_at_the_field(client, alice, subscription):
    client.force_login(alice)
    fake = SimpleUploadedFile("facture.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00")
    response = client.post(CREATE, form_data(attachments=[fake]))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["attachments"]
    assert "« facture.pdf » : Le fichier n'est pas au format" in errors["attachments"][0]
    assert not Ticket.objects.exists()
    assert not TicketAttachment.objects.exists()


def test_a_file_too_large_is_refused_at_the_field(client, alice, subscription, settings):
    settings.DESK_ATTACHMENT_MAX_BYTES = 1000
    client.force_login(alice)
    big = SimpleUploadedFile("scan.png", PNG + b"\x00" * 2000)
    response = client.post(CREATE, form_data(attachments=[big]))
    assert "dépasse la taille maximale de 1000" in response.context["form"].errors["attachments"][0]
    assert "1000\xa0octets au plus par fichier" in text(response)  # said before sending too
    assert not Ticket.objects.exists()


def test_too_many_files_are_refused(client, alice, subscription):
    client.force_login(alice)
    response = client.post(CREATE, form_data(attachments=[pdf(f"{i}.pdf") for i in range(6)]))
    assert "au plus 5 fichiers" in response.context["form"].errors["attachments"][0]
    assert not Ticket.objects.exists()


def test_a_missing_subject_or_description_is_refused_at_the_field(client, alice, subscription):
    client.force_login(alice)
    response = client.post(CREATE, form_data(subject="  ", description=""))
    assert set(response.context["form"].errors) == {"subject", "description"}
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_unknown_software_or_category_is_refused(client, alice, subscription):
    client.force_login(alice)
    response = client.post(CREATE, form_data(software="999999", category=Category.OUT_OF_SCOPE))
    assert set(response.context["form"].errors) == {"software", "category"}
    assert not Ticket.objects.exists()


def test_under_the_refuse_policy_the_member_reads_why(client, charlie, settings):
    settings.DESK_ENTITLEMENT_POLICY = "refuse"
    client.force_login(charlie)
    with frozen_now(MONDAY_10H):
        response = client.post(CREATE, form_data())
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Aucun abonnement actif au 2 mars 2026."]
    assert not Ticket.objects.exists()


# --------------------------------------------------------------------------- ticket page


def test_the_ticket_page_shows_the_public_conversation_only(client, alice, mine, agent):
    services.add_note(
        ticket=mine, body="Le client a déjà appelé trois fois", by=agent, attachments=[pdf("n.pdf")]
    )
    services.add_reply(ticket=mine, body="Voici la marche à suivre.", by=agent)
    client.force_login(alice)
    response = client.get(url("ticket", mine))
    page = text(response)
    assert response.status_code == 200
    assert "Voici la marche à suivre." in page
    assert "Agnes, assistance" in page
    assert "Le client a déjà appelé trois fois" not in page
    assert "n.pdf" not in page
    note_file = TicketAttachment.objects.get(name="n.pdf")
    assert client.get(url("attachment", mine, note_file.pk)).status_code == 404


def test_the_ticket_page_runs_a_bounded_number_of_queries(client, alice, mine, agent):
    client.force_login(alice)
    few = count_queries(lambda: client.get(url("ticket", mine)))
    for i in range(10):
        services.add_reply(ticket=mine, body=f"Réponse {i}", by=agent, attachments=[pdf()])
    assert count_queries(lambda: client.get(url("ticket", mine))) == few
    assert few <= 10


def test_an_attachment_is_downloaded_as_a_file(client, alice, portal_ticket):
    ticket = portal_ticket(attachments=[pdf("releve.pdf")])
    attachment = ticket.attachments.get()
    client.force_login(alice)
    response = client.get(url("attachment", ticket, attachment.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'attachment; filename="releve.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    # The same file through another ticket's reference is not found.
    other = portal_ticket()
    assert client.get(url("attachment", other, attachment.pk)).status_code == 404


def test_a_member_replies_with_a_file_and_the_ticket_resumes(client, alice, mine, agent):
    services.add_reply(ticket=mine, body="Une capture ?", by=agent, wait_for_member=True)
    client.force_login(alice)
    response = client.post(
        url("reply", mine), {"body": "La voici.", "attachments": [SimpleUploadedFile("e.png", PNG)]}
    )
    assert response.status_code == 302
    assert response["Location"] == url("ticket", mine) + "#conversation"
    message = mine.messages.public().last()
    assert (message.body, message.author, message.from_staff) == ("La voici.", alice, False)
    assert [a.name for a in message.attachments.all()] == ["e.png"]
    mine.refresh_from_db()
    assert mine.status == Status.IN_PROGRESS


def test_a_reply_to_a_resolved_ticket_reopens_it(client, alice, mine, agent):
    services.resolve(ticket=mine, by=agent)
    client.force_login(alice)
    assert "elle sera rouverte" in text(client.get(url("ticket", mine)))
    client.post(url("reply", mine), {"body": "Toujours bloqué."})
    mine.refresh_from_db()
    assert mine.status == Status.IN_PROGRESS


def test_a_reply_to_a_closed_ticket_shows_the_service_refusal(client, alice, mine, agent):
    services.close(ticket=services.resolve(ticket=mine, by=agent), by=agent)
    client.force_login(alice)
    page = text(client.get(url("ticket", mine)))
    assert 'action="' + url("reply", mine) not in page
    assert f"{CREATE}?suite={mine.reference}" in page
    before = TicketMessage.objects.count()
    response = client.post(url("reply", mine), {"body": "Encore moi"})
    assert response.status_code == 200
    assert "Cette demande est close : ouvrez une nouvelle demande, elle y sera liée." in text(
        response
    )
    assert TicketMessage.objects.count() == before


def test_an_empty_reply_or_a_bad_file_is_refused_at_the_field(client, alice, mine):
    client.force_login(alice)
    response = client.post(url("reply", mine), {"body": "   "})
    assert list(response.context["reply_form"].errors) == ["body"]
    bad = SimpleUploadedFile("x.pdf", b"\x00\x01binary")
    response = client.post(url("reply", mine), {"body": "Voici", "attachments": [bad]})
    assert list(response.context["reply_form"].errors) == ["attachments"]
    assert mine.messages.count() == 1


def test_a_closed_ticket_can_be_followed_up_by_a_linked_request(client, alice, mine, agent):
    services.close(ticket=services.resolve(ticket=mine, by=agent), by=agent)
    client.force_login(alice)
    response = client.get(CREATE, {"suite": mine.reference})
    assert f"Cette demande fera suite à la demande {mine.reference}." in text(response)
    client.post(CREATE, form_data(follow_up_of=mine.reference))
    assert Ticket.objects.get(follow_up_of=mine).requester == alice


def test_a_follow_up_of_another_member_ticket_is_ignored(client, alice, theirs, subscription):
    client.force_login(alice)
    response = client.get(CREATE, {"suite": theirs.reference})
    assert theirs.reference not in text(response)
    client.post(CREATE, form_data(follow_up_of=theirs.reference))
    assert Ticket.objects.get(requester=alice).follow_up_of is None


# --------------------------------------------------------------------------- satisfaction


def test_a_resolved_ticket_is_rated_in_one_click(client, alice, mine, agent):
    services.resolve(ticket=mine, by=agent)
    client.force_login(alice)
    page = client.get(url("ticket", mine)).content.decode()
    assert 'name="satisfied" value="1"' in page
    assert 'name="satisfied" value="0"' in page
    assert '<span aria-hidden="true">👍</span> Satisfait' in page
    assert '<span aria-hidden="true">👎</span> Pas satisfait' in page
    response = client.post(url("rate", mine), {"satisfied": "0", "comment": " Un peu long "})
    assert response["Location"] == url("ticket", mine) + "#evaluation"
    mine.refresh_from_db()
    assert (mine.satisfaction, mine.satisfaction_comment, mine.rated_by) == (
        Satisfaction.UNSATISFIED,
        "Un peu long",
        alice,
    )
    page = text(client.get(url("ticket", mine)))
    assert "Votre évaluation" in page
    assert 'name="satisfied"' not in page


def test_rating_is_refused_before_resolution_and_twice(client, alice, mine, agent):
    client.force_login(alice)
    assert 'name="satisfied"' not in client.get(url("ticket", mine)).content.decode()
    response = client.post(url("rate", mine), {"satisfied": "1"})
    assert "une fois la demande résolue" in text(response)
    services.resolve(ticket=mine, by=agent)
    client.post(url("rate", mine), {"satisfied": "1"})
    response = client.post(url("rate", mine), {"satisfied": "0"})
    assert "Vous avez déjà évalué cette demande." in text(response)
    mine.refresh_from_db()
    assert mine.satisfaction == Satisfaction.SATISFIED


def test_a_rating_without_a_choice_is_refused(client, alice, mine, agent):
    services.resolve(ticket=mine, by=agent)
    client.force_login(alice)
    response = client.post(url("rate", mine), {"satisfied": "peut-être"})
    assert response.status_code == 200
    assert "satisfied" in response.context["rate_form"].errors
    mine.refresh_from_db()
    assert mine.satisfaction == ""


# --------------------------------------------------------------------------- isolation


def test_another_member_ticket_cannot_be_seen_or_changed(client, charlie, mine, agent):
    mine = services.add_reply(
        ticket=mine, body="Réponse", by=agent, attachments=[pdf("secret.pdf")]
    ).ticket
    services.resolve(ticket=mine, by=agent)
    attachment = TicketAttachment.objects.get(name="secret.pdf")

    def state():
        ticket = Ticket.objects.get(pk=mine.pk)
        return (
            ticket.status,
            ticket.satisfaction,
            TicketMessage.objects.count(),
            TicketAttachment.objects.count(),
        )

    assert_isolated(
        client,
        charlie,
        list_urls=[LIST, f"{LIST}?etat=toutes", f"{LIST}?etat=closes"],
        hidden_text=mine.reference,
        object_urls=[
            url("ticket", mine),
            url("attachment", mine, attachment.pk),
            reverse("desk-portal:attachment", args=["AS-2026-00099", attachment.pk]),
            reverse("desk-portal:ticket", args=["AS-2026-99999"]),
        ],
        post_urls=[
            (url("reply", mine), {"body": "Je m'en mêle"}),
            (url("rate", mine), {"satisfied": "0"}),
        ],
        unchanged=state,
    )


def test_a_user_of_several_organisations_sees_each_one_requests(
    client, alice, mine, theirs, member_b
):
    from syndesk.members.models import Membership

    Membership.objects.create(user=alice, member=member_b)
    client.force_login(alice)
    assert client.get(url("ticket", theirs)).status_code == 200
    assert "Organisation" in text(client.get(url("ticket", theirs)))
    # The list shows the organisation she acts for.
    refs = [t.reference for t in client.get(LIST).context["page"]]
    assert len(refs) == 1


# --------------------------------------------------------------------------- panel


def test_the_organisation_page_shows_the_requests_card(client, alice, portal_ticket, agent):
    register_panels()
    portal_ticket()
    waiting = portal_ticket()
    services.add_reply(ticket=waiting, body="?", by=agent, wait_for_member=True)
    services.resolve(ticket=portal_ticket(), by=agent)
    client.force_login(alice)
    page = text(client.get(reverse("member-portal:home")))
    assert "Mes demandes d'assistance" in page
    assert "2 demandes en cours." in page
    assert "1 demande attend votre réponse." in page
    assert "1 demande résolue à évaluer." in page
    assert f'href="{LIST}"' in page


def test_the_tickets_of_a_deactivated_organisation_are_no_longer_shown(client, alice, mine):
    client.force_login(alice)
    assert client.get(url("ticket", mine)).status_code == 200
    mine.member.is_active = False
    mine.member.save(update_fields=["is_active"])
    assert client.get(url("ticket", mine)).status_code in (403, 404)
    assert client.post(url("reply", mine), {"body": "Encore moi"}).status_code in (403, 404)
    assert not mine.messages.filter(body="Encore moi").exists()

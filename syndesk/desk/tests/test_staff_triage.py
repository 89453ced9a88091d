"""The triage list of inbound mail nothing could route: attach to a ticket, open a ticket,
or dismiss; the original message stays downloadable."""

from email.message import EmailMessage
from email.utils import make_msgid
from html import unescape

import pytest
from django.urls import reverse

from syndesk.desk import services
from syndesk.desk.models import InboundEmail, Outcome, Status, Ticket

pytestmark = pytest.mark.django_db

TRIAGE = reverse("desk:triage")


def text(response) -> str:
    return unescape(response.content.decode())


def mail_from(sender, subject="Question sur la paie", body="Bonjour,\nla paie plante."):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "assistance@syndesk.localhost"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content(body)
    return msg


@pytest.fixture
def stranger(db):
    inbound = services.ingest_email(mail_from("Inconnu <someone@example.org>"))
    assert inbound.status == InboundEmail.Status.PENDING
    return inbound


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_pending_mail_is_listed(signed_in, stranger):
    response = signed_in.get(TRIAGE)
    page = text(response)
    assert "Question sur la paie" in page
    assert "Expéditeur inconnu" in page
    detail = text(signed_in.get(reverse("desk:triage-detail", args=[stranger.pk])))
    assert "la paie plante." in detail
    assert "Rattacher à une demande" in detail


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 200), ("billing", 200), ("manager", 200), ("alice", 403), (None, 302)],
)
def test_who_may_see_the_triage(client, stranger, persona, status, request):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get(TRIAGE).status_code == status
    assert client.get(reverse("desk:triage-detail", args=[stranger.pk])).status_code == status


def test_the_original_is_downloadable(signed_in, stranger):
    response = signed_in.get(reverse("desk:triage-raw", args=[stranger.pk]))
    assert response["Content-Type"] == "message/rfc822"
    assert b"Question sur la paie" in b"".join(response.streaming_content)


def test_attach_to_an_open_ticket(signed_in, stranger, ticket):
    response = signed_in.post(
        reverse("desk:triage-attach", args=[stranger.pk]),
        {"attach-ticket": ticket.reference.lower()},
    )
    assert response["Location"] == reverse("desk:ticket", args=[ticket.reference])
    stranger.refresh_from_db()
    assert (stranger.status, stranger.ticket) == (InboundEmail.Status.PROCESSED, ticket)
    assert ticket.messages.filter(body__contains="la paie plante").exists()


def test_attach_refuses_an_unknown_or_closed_ticket(signed_in, stranger, ticket, agent):
    response = signed_in.post(
        reverse("desk:triage-attach", args=[stranger.pk]), {"attach-ticket": "AS-2026-09999"}
    )
    assert "Aucune demande" in response.context["attach_form"].errors["ticket"][0]
    services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)
    response = signed_in.post(
        reverse("desk:triage-attach", args=[stranger.pk]), {"attach-ticket": ticket.reference}
    )
    assert "close" in response.context["attach_form"].errors["ticket"][0]
    stranger.refresh_from_db()
    assert stranger.status == InboundEmail.Status.PENDING


def test_open_a_ticket_from_the_mail(signed_in, stranger, member_a, gisele, agent):
    response = signed_in.post(
        reverse("desk:triage-open", args=[stranger.pk]),
        {
            "open-member": member_a.pk,
            "open-contact": gisele.pk,
            "open-category": "usage",
            "open-priority": 2,
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("desk:ticket", args=[ticket.reference])
    assert (ticket.member, ticket.contact, ticket.subject, ticket.opened_by) == (
        member_a,
        gisele,
        "Question sur la paie",
        agent,
    )
    stranger.refresh_from_db()
    assert stranger.status == InboundEmail.Status.PROCESSED


def test_a_reply_to_a_closed_ticket_opens_a_linked_follow_up(
    signed_in, ticket, agent, gisele, member_a
):
    services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)
    msg = mail_from(f"Gisèle <{gisele.email}>", subject=f"Re: [{ticket.reference}] Mandat")
    inbound = services.ingest_email(msg)
    assert inbound.reason == InboundEmail.Reason.CLOSED_TICKET
    page = signed_in.get(reverse("desk:triage-detail", args=[inbound.pk]))
    assert page.context["open_form"].initial["member"] == member_a.pk
    assert f"Elle sera liée à la demande close {ticket.reference}" in text(page)
    signed_in.post(
        reverse("desk:triage-open", args=[inbound.pk]),
        {"open-member": member_a.pk, "open-category": "usage", "open-priority": 2},
    )
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert follow_up.follow_up_of == ticket
    assert follow_up.status == Status.NEW


def test_dismiss_keeps_the_mail(signed_in, stranger):
    response = signed_in.post(
        reverse("desk:triage-dismiss", args=[stranger.pk]), {"dismiss-reason": "Publicité"}
    )
    assert response["Location"] == TRIAGE
    stranger.refresh_from_db()
    assert stranger.status == InboundEmail.Status.DISMISSED
    assert "Publicité" in stranger.error
    assert "Question sur la paie" not in text(signed_in.get(TRIAGE))
    assert "Question sur la paie" in text(signed_in.get(TRIAGE, {"etat": "dismissed"}))


def test_a_handled_mail_cannot_be_handled_twice(signed_in, stranger):
    signed_in.post(reverse("desk:triage-dismiss", args=[stranger.pk]), {})
    response = signed_in.post(reverse("desk:triage-dismiss", args=[stranger.pk]), {})
    assert response.status_code == 200
    assert response.context["dismiss_form"].non_field_errors() == ["Ce courriel a déjà été traité."]


@pytest.mark.parametrize("name", ["triage-attach", "triage-open", "triage-dismiss"])
def test_billing_cannot_triage(client, billing, stranger, name, member_a):
    client.force_login(billing)
    response = client.post(
        reverse(f"desk:{name}", args=[stranger.pk]),
        {
            "dismiss-reason": "x",
            "open-member": member_a.pk,
            "open-category": "usage",
            "open-priority": 2,
        },
    )
    assert response.status_code == 403
    stranger.refresh_from_db()
    assert stranger.status == InboundEmail.Status.PENDING

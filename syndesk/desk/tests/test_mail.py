"""Inbound mail through a real Maildir (stdlib ``mailbox``): new requests, threaded replies,
replies to closed tickets, unknown senders, attachments, and nothing lost."""

import mailbox
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.management import call_command

from syndesk.desk import mail as desk_mail
from syndesk.desk import services
from syndesk.desk.models import Channel, InboundEmail, Outcome, Status, Ticket, TicketMessage
from syndesk.members.models import Contact

from .conftest import PDF

pytestmark = pytest.mark.django_db


def message(
    *,
    sender="Gisèle Martin <mairie@brecey.example>",
    subject="Problème d'édition des mandats",
    body="Bonjour,\nl'édition des mandats plante.\nGisèle",
    in_reply_to=None,
    attachments=(),
    headers=None,
):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "assistance@syndesk.localhost"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="brecey.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    for name, data, maintype, subtype in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


@pytest.fixture
def maildir(tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.path = tmp_path / "Maildir"
    return box


def deliver(box, *messages):
    for msg in messages:
        box.add(msg.as_bytes())


def fetch(box):
    return desk_mail.fetch_maildir(box.path)


def test_a_mail_from_a_known_contact_opens_a_ticket(maildir, gisele, subscription):
    deliver(maildir, message())
    assert fetch(maildir) == {"processed": 1}
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.EMAIL
    assert ticket.contact == gisele
    assert ticket.subject == "Problème d'édition des mandats"
    assert "l'édition des mandats plante" in ticket.description
    inbound = InboundEmail.objects.get()
    assert inbound.ticket == ticket
    with inbound.raw.open("rb") as raw:
        assert inbound.message_id.encode() in raw.read()
    assert ticket.email_message_id == inbound.message_id


def test_processed_messages_are_moved_to_cur_and_marked_seen(maildir, gisele, subscription):
    deliver(maildir, message())
    fetch(maildir)
    (key,) = maildir.keys()
    stored = maildir.get_message(key)
    assert stored.get_subdir() == "cur"
    assert "S" in stored.get_flags()
    assert list((maildir.path / "new").iterdir()) == []
    assert fetch(maildir) == {}  # nothing left to read


def test_a_reply_threads_into_the_ticket_by_in_reply_to(
    maildir, gisele, subscription, ticket, agent
):
    ours = services.add_reply(ticket=ticket, body="Essayez ceci", by=agent)
    services.pause_sla(ticket=ticket, reason="Attente du test", by=agent)
    deliver(
        maildir,
        message(
            subject="Re: autre objet sans référence",
            body="Ça marche, merci !\n\nLe lun. 2 mars 2026, Assistance a écrit :\n> Essayez ceci",
            in_reply_to=ours.email_message_id,
        ),
    )
    assert fetch(maildir) == {"processed": 1}
    reply = ticket.messages.order_by("-pk").first()
    assert reply.via == TicketMessage.Via.EMAIL
    assert reply.contact == gisele
    assert reply.body == "Ça marche, merci !"
    assert reply.in_reply_to == ours.email_message_id
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS  # the member's answer ends the wait
    assert Ticket.objects.count() == 1


def test_a_reply_threads_by_the_reference_in_the_subject(maildir, gisele, subscription, ticket):
    deliver(maildir, message(subject=f"RE: [{ticket.reference}] Mandat rejeté"))
    fetch(maildir)
    assert ticket.messages.count() == 2
    assert Ticket.objects.count() == 1


def test_a_reply_to_a_resolved_ticket_reopens_it(maildir, gisele, subscription, ticket, agent):
    services.resolve(ticket=ticket, by=agent)
    deliver(maildir, message(subject=f"Re: [{ticket.reference}] toujours en erreur"))
    fetch(maildir)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_a_reply_to_a_closed_ticket_lands_in_triage(maildir, gisele, subscription, ticket, agent):
    services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)
    deliver(maildir, message(subject=f"Re: [{ticket.reference}] je reviens vers vous"))
    assert fetch(maildir) == {"pending": 1}
    inbound = InboundEmail.objects.get()
    assert inbound.reason == InboundEmail.Reason.CLOSED_TICKET
    assert inbound.ticket == ticket
    assert ticket.messages.count() == 1
    follow = services.open_ticket_from_inbound(inbound=inbound, member=ticket.member, by=agent)
    assert follow.follow_up_of == ticket
    inbound.refresh_from_db()
    assert (inbound.status, inbound.ticket) == (InboundEmail.Status.PROCESSED, follow)


def test_a_mail_from_an_unknown_address_lands_in_triage(maildir, db, agent, ticket):
    deliver(maildir, message(sender="inconnu@example.org", subject="Bonjour"))
    assert fetch(maildir) == {"pending": 1}
    inbound = InboundEmail.objects.get()
    assert inbound.reason == InboundEmail.Reason.UNKNOWN_SENDER
    assert inbound.from_address == "inconnu@example.org"
    assert inbound.body.startswith("Bonjour")
    assert Ticket.objects.count() == 1
    services.attach_inbound(inbound=inbound, ticket=ticket, by=agent)
    assert ticket.messages.filter(author_email="inconnu@example.org").exists()


def test_a_stranger_replying_to_a_ticket_is_not_threaded(maildir, ticket, member_b):
    Contact.objects.create(member=member_b, last_name="Autre", email="autre@avranches.example")
    deliver(
        maildir,
        message(sender="autre@avranches.example", subject=f"Re: [{ticket.reference}] infiltration"),
    )
    fetch(maildir)
    inbound = InboundEmail.objects.get()
    assert inbound.reason == InboundEmail.Reason.UNKNOWN_SENDER
    assert ticket.messages.count() == 1


def test_a_portal_user_mail_opens_a_ticket_they_requested(maildir, alice, subscription):
    deliver(maildir, message(sender="Alice <ALICE@brecey.example>"))
    fetch(maildir)
    ticket = Ticket.objects.get()
    assert ticket.requester == alice
    assert ticket.contact is None


def test_an_address_known_in_two_members_is_ambiguous(maildir, gisele, member_b):
    Contact.objects.create(member=member_b, last_name="Martin", email=gisele.email)
    deliver(maildir, message())
    fetch(maildir)
    assert InboundEmail.objects.get().reason == InboundEmail.Reason.AMBIGUOUS_SENDER
    assert not Ticket.objects.exists()


def test_automatic_replies_do_not_open_tickets(maildir, gisele):
    deliver(maildir, message(subject="Absence", headers={"Auto-Submitted": "auto-replied"}))
    fetch(maildir)
    assert InboundEmail.objects.get().reason == InboundEmail.Reason.AUTO_REPLY
    assert not Ticket.objects.exists()


def test_under_the_refuse_policy_the_mail_waits_in_triage_with_the_reason(
    maildir, gisele, settings
):
    settings.DESK_ENTITLEMENT_POLICY = "refuse"  # Brécey has no subscription here
    deliver(maildir, message())
    fetch(maildir)
    inbound = InboundEmail.objects.get()
    assert inbound.reason == InboundEmail.Reason.REFUSED
    assert "Aucun abonnement actif" in inbound.error
    assert not Ticket.objects.exists()


def test_good_attachments_are_kept_and_bad_ones_noted(maildir, gisele, subscription):
    deliver(
        maildir,
        message(
            attachments=[
                ("bordereau.pdf", PDF, "application", "pdf"),
                ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application", "octet-stream"),
            ]
        ),
    )
    fetch(maildir)
    ticket = Ticket.objects.get()
    (kept,) = ticket.attachments.all()
    assert (kept.name, kept.kind) == ("bordereau.pdf", "pdf")
    note = ticket.messages.get(kind=TicketMessage.Kind.EVENT)
    assert "setup.exe" in note.body
    assert "conservé" in note.body


def test_the_same_message_is_ingested_once(gisele, subscription):
    msg = message()
    first = services.ingest_email(msg)
    again = services.ingest_email(msg)
    assert first.pk == again.pk
    assert Ticket.objects.count() == 1


def test_an_html_only_mail_is_read_as_text(gisele, subscription):
    msg = message(body="ignored")
    msg.set_content("<p>Bonjour,<br>le <b>logiciel</b> plante</p>", subtype="html")
    inbound = services.ingest_email(msg)
    assert "le logiciel plante" in inbound.body


def test_dismissing_keeps_the_mail(maildir, agent, db):
    deliver(maildir, message(sender="spam@example.org"))
    fetch(maildir)
    inbound = services.dismiss_inbound(inbound=InboundEmail.objects.get(), by=agent)
    assert inbound.status == InboundEmail.Status.DISMISSED
    assert inbound.raw.name


def test_the_command_reads_a_maildir(maildir, gisele, subscription, capsys):
    deliver(maildir, message(), message(sender="inconnu@example.org"))
    call_command("desk_fetch_mail", "--maildir", str(maildir.path))
    assert capsys.readouterr().out.strip() == "pending: 1, processed: 1"


def test_the_command_needs_a_source(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("desk_fetch_mail")
    with pytest.raises(CommandError):
        call_command("desk_fetch_mail", "--maildir", "/nonexistent/Maildir")

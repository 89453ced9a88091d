"""Tickets through their services, on the real database: opening (reference, entitlement,
SLA), conversation, statuses and SLA pauses, resolution, redirection, satisfaction."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from syndesk.core.models import AuditEntry
from syndesk.desk import services
from syndesk.desk.models import (
    Category,
    Channel,
    Exclusion,
    Outcome,
    Priority,
    Satisfaction,
    SLAPause,
    Status,
    Ticket,
    TicketAttachment,
    TicketMessage,
)

from .conftest import MONDAY_10H, PNG, paris, pdf

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def actions(ticket):
    return list(
        AuditEntry.objects.filter(target_id=str(ticket.pk), action__startswith="desk.ticket")
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --------------------------------------------------------------------------- opening


def test_a_ticket_gets_a_gapless_yearly_reference(open_ticket):
    refs = [open_ticket().reference for _ in range(3)]
    assert refs == ["AS-2026-00001", "AS-2026-00002", "AS-2026-00003"]
    assert open_ticket(at=paris(2027, 1, 4, 9)).reference == "AS-2027-00001"


def test_a_refused_ticket_gives_its_number_back(open_ticket, member_b, settings):
    settings.DESK_ENTITLEMENT_POLICY = "refuse"
    with pytest.raises(ValidationError):
        open_ticket(member=member_b, contact=None, software=None)
    assert open_ticket().reference == "AS-2026-00001"


def test_opening_computes_the_sla_in_business_time(ticket):
    # Normal priority (seeded): 4 business hours / 3 business days of 8 hours.
    assert ticket.priority == Priority.NORMAL
    assert ticket.first_response_due == paris(2026, 3, 2, 15, 30)
    # 24h from Monday 10:00: Mon 6.5h, Tue 8h, Wed 8h -> Thursday 1.5h -> Thursday 10:00.
    assert ticket.resolution_due == paris(2026, 3, 5, 10, 0)
    assert ticket.status == Status.NEW
    assert ticket.created_at == MONDAY_10H


def test_the_request_is_the_first_message_and_is_audited(ticket, gisele):
    (message,) = ticket.messages.all()
    assert message.kind == TicketMessage.Kind.PUBLIC
    assert message.from_staff is False
    assert message.contact == gisele
    assert message.body == "Le bordereau 12 revient en erreur."
    assert actions(ticket) == ["desk.ticket.opened"]


def test_an_entitled_member_is_recorded_as_such(ticket):
    assert ticket.entitled is True
    assert ticket.entitlement_note == "Abonnement actif couvrant e.magnus."


def test_a_member_without_subscription_is_flagged_under_the_warn_policy(open_ticket, member_b):
    ticket = open_ticket(member=member_b, contact=None, software=None)
    assert ticket.entitled is False
    assert ticket.entitlement_note == "Aucun abonnement actif au 2 mars 2026."


def test_a_software_outside_the_subscription_is_flagged(open_ticket, horizon):
    ticket = open_ticket(software=horizon)
    assert not ticket.entitled
    assert ticket.entitlement_note == "L'abonnement ne couvre pas le logiciel Horizon On-Line."


def test_a_software_not_supported_by_the_desk_is_flagged(open_ticket, xemelios):
    ticket = open_ticket(software=xemelios)
    assert not ticket.entitled
    assert "n'est pas couvert par l'assistance" in ticket.entitlement_note


def test_a_subscription_listing_no_software_covers_every_supported_one(
    open_ticket, subscription, horizon
):
    subscription.software.clear()
    assert open_ticket(software=horizon).entitled


def test_the_refuse_policy_refuses_with_the_reason(open_ticket, member_b, horizon, settings):
    settings.DESK_ENTITLEMENT_POLICY = "refuse"
    with pytest.raises(ValidationError) as exc:
        open_ticket(member=member_b, contact=None, software=None)
    assert exc.value.message_dict == {"member": ["Aucun abonnement actif au 2 mars 2026."]}
    with pytest.raises(ValidationError) as exc:
        open_ticket(software=horizon)
    assert "software" in exc.value.message_dict
    assert not Ticket.objects.exists()


def test_a_bad_policy_setting_fails_loudly(open_ticket, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.DESK_ENTITLEMENT_POLICY = "maybe"
    with pytest.raises(ImproperlyConfigured):
        open_ticket()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"channel": "fax"}, "channel"),
        ({"category": "nope"}, "category"),
        ({"priority": 9}, "priority"),
    ],
)
def test_it_refuses_bad_values(open_ticket, overrides, field):
    with pytest.raises(ValidationError) as exc:
        open_ticket(**overrides)
    assert field in exc.value.message_dict


def test_it_refuses_a_contact_of_another_member(open_ticket, member_b):
    from syndesk.members.models import Contact

    stranger = Contact.objects.create(member=member_b, last_name="Durand")
    with pytest.raises(ValidationError) as exc:
        open_ticket(contact=stranger)
    assert "contact" in exc.value.message_dict


def test_it_refuses_a_version_of_another_software(open_ticket, emagnus_v8, horizon):
    with pytest.raises(ValidationError) as exc:
        open_ticket(software=horizon, version=emagnus_v8)
    assert "version" in exc.value.message_dict


def test_a_portal_user_opens_a_ticket_for_their_member(open_ticket, alice):
    ticket = open_ticket(channel=Channel.PORTAL, opened_by=alice, contact=None)
    assert ticket.requester == alice
    assert ticket.messages.get().author == alice


def test_a_portal_user_cannot_open_a_ticket_for_another_member(open_ticket, charlie):
    with pytest.raises(PermissionDenied):
        open_ticket(channel=Channel.PORTAL, opened_by=charlie, contact=None)


def test_a_portal_ticket_needs_a_requester(open_ticket):
    with pytest.raises(ValidationError) as exc:
        open_ticket(channel=Channel.PORTAL)
    assert "requester" in exc.value.message_dict


def test_the_member_gets_an_acknowledgement_after_the_commit(
    open_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket()
    (sent,) = mail.outbox
    assert sent.to == ["mairie@brecey.example"]
    assert sent.subject == f"[{ticket.reference}] Mandat rejeté par le comptable"
    assert ticket.reference in sent.body
    assert sent.extra_headers["Message-ID"] == ticket.email_message_id
    assert "fermé" not in sent.body


def test_outside_opening_hours_the_acknowledgement_says_when_it_will_be_handled(
    open_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_ticket(at=paris(2026, 3, 6, 19, 0))  # Friday evening
    (sent,) = mail.outbox
    assert "lundi 9 mars 2026 à 08:30" in sent.body


def test_a_rolled_back_opening_sends_nothing(open_ticket, django_capture_on_commit_callbacks):
    from django.db import transaction

    def fail_after_opening():
        with transaction.atomic():
            open_ticket()
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        fail_after_opening()
    assert mail.outbox == []


def test_attachments_at_opening_hang_on_the_first_message(open_ticket):
    ticket = open_ticket(attachments=[pdf("../../etc/Relevé mandat.pdf")])
    attachment = TicketAttachment.objects.get()
    assert attachment.ticket == ticket
    assert attachment.message == ticket.messages.get()
    assert attachment.name == "Relevé_mandat.pdf"
    assert attachment.kind == "pdf"
    assert attachment.size == len(b"%PDF-1.7\n%test\n")
    assert "Relev" not in attachment.file.name  # stored under a random name


def test_a_fake_pdf_is_refused_and_nothing_is_saved(open_ticket):
    fake = pdf("virus.pdf", content=b"MZ\x90\x00\x03binary")
    with pytest.raises(ValidationError) as exc:
        open_ticket(attachments=[fake])
    assert "attachments" in exc.value.message_dict
    assert "virus.pdf" in exc.value.message_dict["attachments"][0]
    assert not Ticket.objects.exists()


def test_a_too_large_attachment_is_refused(open_ticket, settings):
    settings.DESK_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError) as exc:
        open_ticket(attachments=[pdf()])
    assert "taille maximale" in exc.value.message_dict["attachments"][0]


# --------------------------------------------------------------------------- changes


def test_changing_the_software_re_evaluates_the_entitlement(ticket, agent, horizon):
    ticket = services.update_ticket(ticket=ticket, by=agent, software=horizon)
    assert not ticket.entitled
    assert "Horizon" in ticket.entitlement_note
    assert "desk.ticket.changed" in actions(ticket)


def test_changing_the_member_drops_the_old_contact(ticket, agent, member_b):
    ticket = services.update_ticket(ticket=ticket, by=agent, member=member_b)
    assert ticket.contact is None
    assert not ticket.entitled


def test_changing_the_priority_recomputes_the_due_dates(ticket, agent):
    ticket = services.update_ticket(ticket=ticket, by=agent, priority=Priority.URGENT)
    assert ticket.first_response_due == paris(2026, 3, 2, 11)
    assert ticket.resolution_due == paris(2026, 3, 2, 15, 30)


def test_a_member_user_cannot_update_a_ticket(ticket, alice):
    with pytest.raises(PermissionDenied):
        services.update_ticket(ticket=ticket, by=alice, subject="Autre")


# --------------------------------------------------------------------------- assignment


def test_assigning_mails_the_new_assignee(
    ticket, agent, other_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.assign(ticket=ticket, assignee=other_agent, by=agent)
    assert ticket.assignee == other_agent
    (sent,) = mail.outbox
    assert sent.to == ["paul@syndicat.example"]
    assert ticket.reference in sent.body


def test_taking_a_ticket_oneself_sends_no_mail(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(ticket=ticket, assignee=agent, by=agent)
    assert mail.outbox == []


def test_only_staff_can_be_assigned(ticket, agent, alice):
    with pytest.raises(ValidationError) as exc:
        services.assign(ticket=ticket, assignee=alice, by=agent)
    assert "assignee" in exc.value.message_dict


def test_bulk_assignment_skips_closed_tickets_and_mails_once(
    open_ticket, agent, other_agent, django_capture_on_commit_callbacks
):
    tickets = [open_ticket() for _ in range(3)]
    services.close(ticket=tickets[2], by=agent, outcome=Outcome.ABANDONED)
    with django_capture_on_commit_callbacks(execute=True):
        count = services.bulk_assign(tickets=tickets, assignee=other_agent, by=agent)
    assert count == 2
    assert Ticket.objects.filter(assignee=other_agent).count() == 2
    (sent,) = mail.outbox
    assert "2 demandes" in sent.subject


# --------------------------------------------------------------------------- replies


def test_the_first_staff_reply_is_the_first_response(
    ticket, agent, django_capture_on_commit_callbacks
):
    at = paris(2026, 3, 2, 11)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.add_reply(ticket=ticket, body="Bonjour, voici...", by=agent, at=at)
    ticket.refresh_from_db()
    assert ticket.first_responded_at == at
    assert ticket.status == Status.IN_PROGRESS
    assert message.from_staff
    (sent,) = mail.outbox
    assert sent.to == ["mairie@brecey.example"]
    assert sent.body.startswith("Bonjour, voici...")
    assert sent.extra_headers["Message-ID"] == message.email_message_id
    assert sent.extra_headers["In-Reply-To"] == ticket.email_message_id
    services.add_reply(ticket=ticket, body="Autre chose", by=agent, at=at + H)
    ticket.refresh_from_db()
    assert ticket.first_responded_at == at


def test_an_internal_note_is_not_a_response_and_sends_nothing(
    ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.add_note(ticket=ticket, body="Appeler l'éditeur", by=agent)
    ticket.refresh_from_db()
    assert note.kind == TicketMessage.Kind.INTERNAL
    assert ticket.first_responded_at is None
    assert mail.outbox == []
    assert TicketMessage.objects.visible_to(agent).filter(kind="internal").count() == 1


def test_a_member_user_cannot_write_notes(ticket, alice):
    with pytest.raises(PermissionDenied):
        services.add_note(ticket=ticket, body="x", by=alice)


def test_an_empty_reply_is_refused(ticket, agent):
    with pytest.raises(ValidationError) as exc:
        services.add_reply(ticket=ticket, body="   ", by=agent)
    assert "body" in exc.value.message_dict


def test_a_user_of_another_member_cannot_reply(ticket, charlie):
    with pytest.raises(PermissionDenied):
        services.add_reply(ticket=ticket, body="Je m'invite", by=charlie)


def test_a_member_reply_mails_the_assignee(
    ticket, agent, alice, django_capture_on_commit_callbacks
):
    services.assign(ticket=ticket, assignee=agent, by=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body="Toujours en erreur", by=alice)
    (sent,) = mail.outbox
    assert sent.to == ["agnes@syndicat.example"]
    assert "Toujours en erreur" in sent.body


def test_replying_and_waiting_for_the_member_pauses_then_the_member_resumes(ticket, agent, alice):
    services.add_reply(
        ticket=ticket,
        body="Pouvez-vous m'envoyer le bordereau ?",
        by=agent,
        wait_for_member=True,
        at=paris(2026, 3, 2, 11),
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_MEMBER
    assert ticket.paused_since == paris(2026, 3, 2, 11)
    # The member answers on Tuesday at 9:00: 1h Monday + 4.5h Monday afternoon + 0.5h Tuesday.
    services.add_reply(ticket=ticket, body="Le voici", by=alice, at=paris(2026, 3, 3, 9))
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.paused_since is None
    assert ticket.paused_business == 6 * H
    assert ticket.resolution_due == paris(2026, 3, 5, 17, 30)  # Thursday 10:00 + 6h
    pause = SLAPause.objects.get()
    assert pause.ended_at == paris(2026, 3, 3, 9)
    assert pause.business_duration == 6 * H


def test_attachments_of_a_reply(ticket, alice):
    png = pdf("ecran.png", content=PNG)
    message = services.add_reply(ticket=ticket, body="Capture jointe", by=alice, attachments=[png])
    assert message.attachments.get().kind == "png"


def test_add_attachment_to_an_existing_message(ticket, agent, alice):
    message = services.add_reply(ticket=ticket, body="Voici", by=alice)
    attachment = services.add_attachment(message=message, upload=pdf(), by=alice)
    assert attachment.ticket == ticket
    other = services.add_reply(ticket=ticket, body="Réponse", by=agent)
    with pytest.raises(PermissionDenied):
        services.add_attachment(message=other, upload=pdf(), by=alice)


# --------------------------------------------------------------------------- statuses


def test_a_pause_needs_a_reason(ticket, agent):
    with pytest.raises(ValidationError) as exc:
        services.pause_sla(ticket=ticket, reason=" ", by=agent)
    assert "reason" in exc.value.message_dict


def test_waiting_for_the_vendor_pauses_and_resuming_extends_the_dues(ticket, agent):
    services.pause_sla(
        ticket=ticket,
        reason="Anomalie remontée à Berger-Levrault",
        status=Status.WAITING_VENDOR,
        by=agent,
        at=paris(2026, 3, 2, 11),
    )
    ticket = services.resume_sla(ticket=ticket, by=agent, at=paris(2026, 3, 2, 14))
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.paused_business == timedelta(hours=1, minutes=30)
    assert ticket.first_response_due == paris(2026, 3, 2, 17, 0)
    assert actions(ticket)[-2:] == ["desk.ticket.paused", "desk.ticket.resumed"]


def test_switching_waits_keeps_one_open_pause(ticket, agent):
    services.pause_sla(ticket=ticket, reason="Question", by=agent, at=paris(2026, 3, 2, 11))
    services.pause_sla(
        ticket=ticket,
        reason="Éditeur",
        status=Status.WAITING_VENDOR,
        by=agent,
        at=paris(2026, 3, 2, 11, 30),
    )
    assert SLAPause.objects.filter(ended_at__isnull=True).count() == 1
    assert SLAPause.objects.count() == 2


def test_resuming_a_running_ticket_is_refused(ticket, agent):
    with pytest.raises(ValidationError):
        services.resume_sla(ticket=ticket, by=agent)


def test_change_status_routes_waits_through_the_pause(ticket, agent):
    with pytest.raises(ValidationError):
        services.change_status(ticket=ticket, status=Status.WAITING_MEMBER, by=agent)
    ticket = services.change_status(
        ticket=ticket, status=Status.WAITING_MEMBER, reason="Attente du bordereau", by=agent
    )
    assert ticket.is_paused
    ticket = services.change_status(ticket=ticket, status=Status.IN_PROGRESS, by=agent)
    assert not ticket.is_paused


def test_change_status_refuses_resolved_and_closed(ticket, agent):
    for status in (Status.RESOLVED, Status.CLOSED):
        with pytest.raises(ValidationError):
            services.change_status(ticket=ticket, status=status, by=agent)


def test_the_database_ties_the_pause_to_the_waiting_status(ticket):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(status=Status.WAITING_MEMBER)


# --------------------------------------------------------------------------- resolution


def test_resolving_stops_the_clock_and_mails_the_member(
    ticket, agent, django_capture_on_commit_callbacks
):
    services.pause_sla(ticket=ticket, reason="Attente", by=agent, at=paris(2026, 3, 2, 11))
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.resolve(ticket=ticket, by=agent, at=paris(2026, 3, 2, 12))
    assert ticket.status == Status.RESOLVED
    assert ticket.outcome == Outcome.SOLVED
    assert ticket.resolved_at == paris(2026, 3, 2, 12)
    assert not ticket.is_paused
    assert SLAPause.objects.get().ended_at == paris(2026, 3, 2, 12)
    (sent,) = mail.outbox
    assert "résolue" in sent.body


def test_resolving_by_a_practical_sheet(ticket, agent):
    assert services.resolve(ticket=ticket, by=agent, outcome=Outcome.BY_SHEET).outcome == (
        Outcome.BY_SHEET
    )


def test_resolve_refuses_a_closing_outcome(ticket, agent):
    with pytest.raises(ValidationError):
        services.resolve(ticket=ticket, by=agent, outcome=Outcome.DUPLICATE)


def test_a_member_reply_reopens_a_resolved_ticket_and_pauses_the_time_resolved(
    ticket, agent, alice
):
    services.resolve(ticket=ticket, by=agent, at=paris(2026, 3, 2, 11))
    services.add_reply(ticket=ticket, body="Finalement non", by=alice, at=paris(2026, 3, 2, 15, 30))
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.outcome == ""
    assert ticket.resolved_at is None
    assert ticket.paused_business == timedelta(hours=3)  # 11-12 and 13:30-15:30
    assert ticket.resolution_due == paris(2026, 3, 5, 14, 30)  # Thursday 10:00 + 3h
    assert SLAPause.objects.get().status == Status.RESOLVED


def test_a_closed_ticket_refuses_replies_and_reopening(ticket, agent, alice):
    services.resolve(ticket=ticket, by=agent)
    services.close(ticket=ticket, by=agent)
    with pytest.raises(ValidationError, match="ouvrez une nouvelle demande"):
        services.add_reply(ticket=ticket, body="Encore moi", by=alice)
    with pytest.raises(ValidationError, match="ouvrez une nouvelle demande"):
        services.reopen(ticket=ticket, by=alice)


def test_a_follow_up_ticket_links_to_the_closed_one(ticket, open_ticket, agent):
    services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)
    follow = open_ticket(follow_up_of=ticket)
    assert follow.follow_up_of == ticket
    assert list(ticket.follow_ups.all()) == [follow]


def test_a_member_user_reopens_a_resolved_ticket(ticket, agent, alice):
    services.resolve(ticket=ticket, by=agent)
    ticket = services.reopen(ticket=ticket, by=alice, reason="Toujours bloqué")
    assert ticket.status == Status.IN_PROGRESS


def test_closing_an_open_ticket_needs_an_outcome(ticket, agent, open_ticket):
    with pytest.raises(ValidationError) as exc:
        services.close(ticket=ticket, by=agent)
    assert "outcome" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.close(ticket=ticket, by=agent, outcome=Outcome.DUPLICATE)
    assert "duplicate_of" in exc.value.message_dict
    original = open_ticket()
    ticket = services.close(
        ticket=ticket, by=agent, outcome=Outcome.DUPLICATE, duplicate_of=original
    )
    assert ticket.status == Status.CLOSED
    assert ticket.duplicate_of == original
    assert ticket.resolved_at is None
    with pytest.raises(ValidationError):
        services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)


def test_resolved_tickets_close_automatically_after_a_week(open_ticket, agent):
    old, recent = open_ticket(), open_ticket()
    services.resolve(ticket=old, by=agent, at=paris(2026, 3, 2, 11))
    services.resolve(ticket=recent, by=agent, at=paris(2026, 3, 8, 11))
    assert services.close_resolved(at=paris(2026, 3, 10, 12)) == 1
    old.refresh_from_db()
    assert old.status == Status.CLOSED
    assert old.outcome == Outcome.SOLVED


# --------------------------------------------------------------------------- scope guard


def test_the_six_exclusions_of_the_annex_are_seeded():
    titles = list(Exclusion.objects.values_list("title", flat=True))
    assert len(titles) == 6
    assert titles[0] == "Interventions sur site"
    assert "Xémélios" in titles[-1]
    for answer in Exclusion.objects.values_list("answer", flat=True):
        assert "fournisseurs et interlocuteurs habituels" in answer


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Pouvez-vous venir en mairie installer l'imprimante ?", "Interventions sur site"),
        ("Une formation sur la paie pour la nouvelle secrétaire", "Formation du personnel"),
        ("Le copieur n'envoie plus les scans dans le dossier", "Paramétrage du photocopieur"),
        ("Il faut réinstaller Xemelios", "Réinstallation de Xémélios"),
    ],
)
def test_the_seeded_keywords_suggest_the_exclusion(text, title):
    titles = [m.exclusion.title for m in services.suggest_exclusions(text)]
    assert any(t.startswith(title) for t in titles), titles


def test_a_plain_usage_question_suggests_nothing():
    assert services.suggest_exclusions("Comment annuler un mandat dans e.magnus ?") == []


def test_redirecting_sends_the_standard_answer_and_closes(
    ticket, agent, django_capture_on_commit_callbacks
):
    exclusion = Exclusion.objects.get(title="Formation du personnel")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.redirect_out_of_scope(
            ticket=ticket, exclusion=exclusion, by=agent, at=paris(2026, 3, 2, 10, 5)
        )
    assert ticket.status == Status.CLOSED
    assert ticket.outcome == Outcome.REDIRECTED
    assert ticket.category == Category.OUT_OF_SCOPE
    assert ticket.exclusion == exclusion
    assert ticket.first_responded_at == ticket.closed_at == paris(2026, 3, 2, 10, 5)
    reply = ticket.messages.filter(from_staff=True).get()
    assert reply.body == exclusion.answer
    (sent,) = mail.outbox
    assert "fournisseurs et interlocuteurs habituels" in sent.body
    assert exclusion.tickets.count() == 1
    assert "desk.ticket.redirected" in actions(ticket)


def test_redirecting_a_closed_ticket_is_refused(ticket, agent):
    services.close(ticket=ticket, by=agent, outcome=Outcome.ABANDONED)
    with pytest.raises(ValidationError):
        services.redirect_out_of_scope(ticket=ticket, exclusion=Exclusion.objects.first(), by=agent)


def test_an_inactive_exclusion_cannot_be_used(ticket, agent):
    exclusion = Exclusion.objects.first()
    exclusion.is_active = False
    exclusion.save()
    with pytest.raises(ValidationError):
        services.redirect_out_of_scope(ticket=ticket, exclusion=exclusion, by=agent)


# --------------------------------------------------------------------------- satisfaction


def test_the_member_rates_a_resolved_ticket_once(ticket, agent, alice, bob):
    with pytest.raises(ValidationError, match="une fois la demande résolue"):
        services.rate(ticket=ticket, satisfied=True, by=alice)
    services.resolve(ticket=ticket, by=agent)
    ticket = services.rate(ticket=ticket, satisfied=False, comment=" Trop long ", by=alice)
    assert ticket.satisfaction == Satisfaction.UNSATISFIED
    assert ticket.satisfaction_comment == "Trop long"
    with pytest.raises(ValidationError, match="déjà évalué"):
        services.rate(ticket=ticket, satisfied=True, by=bob)


def test_staff_and_other_members_cannot_rate(ticket, agent, charlie):
    services.resolve(ticket=ticket, by=agent)
    for user in (agent, charlie):
        with pytest.raises(PermissionDenied):
            services.rate(ticket=ticket, satisfied=True, by=user)


# --------------------------------------------------------------------------- time spent


def test_time_spent_is_logged_in_positive_minutes(ticket, agent, alice):
    entry = services.log_time(ticket=ticket, minutes=25, by=agent, note="Appel")
    assert entry.agent == agent
    for minutes in (0, -5, 1441, 2.5, True):
        with pytest.raises(ValidationError) as exc:
            services.log_time(ticket=ticket, minutes=minutes, by=agent)
        assert "minutes" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.log_time(ticket=ticket, minutes=5, by=alice)


# --------------------------------------------------------------------------- isolation


def test_member_users_see_only_their_member_tickets(open_ticket, member_b, alice, charlie, agent):
    mine = open_ticket()
    theirs = open_ticket(member=member_b, contact=None, software=None)
    assert list(Ticket.objects.visible_to(alice)) == [mine]
    assert list(Ticket.objects.visible_to(charlie)) == [theirs]
    assert Ticket.objects.visible_to(agent).count() == 2
    assert not TicketMessage.objects.visible_to(charlie).filter(ticket=mine).exists()

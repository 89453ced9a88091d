"""Remote-maintenance operations against the annex's three rules: opened after consent,
presence throughout, closed by the user; refused attempts are recorded."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from syndesk.core.models import AuditEntry
from syndesk.remote import rules, services
from syndesk.remote.models import (
    CloseKind,
    ConsentRecord,
    EventKind,
    PresenceHandover,
    RemoteSession,
    SessionEvent,
    Status,
)

from .conftest import T0

pytestmark = pytest.mark.django_db


def kinds(session) -> list[str]:
    return list(
        SessionEvent.objects.filter(session=session)
        .order_by("at", "pk")
        .values_list("kind", flat=True)
    )


# --------------------------------------------------------------------------- request


def test_a_request_waits_for_consent_and_mails_the_member_a_link(requested, gisele):
    assert requested.status == Status.REQUESTED
    assert requested.tool_session_id == "123456789"
    assert requested.expires_at == T0 + timedelta(minutes=30)
    assert requested.launch_link() is None  # nothing launched before consent
    assert kinds(requested) == [EventKind.REQUESTED]
    assert AuditEntry.objects.filter(action="remote.session.requested").count() == 1
    (message,) = mail.outbox
    assert message.to == [gisele.email]
    assert f"/portail/telemaintenance/{requested.token}/" in message.body
    assert "Vérifier le paramétrage du bordereau" in message.body


def test_the_database_refuses_an_open_session_without_consent(requested):
    with pytest.raises(IntegrityError), transaction.atomic():
        RemoteSession.objects.filter(pk=requested.pk).update(status=Status.OPEN)


def test_request_refuses_bad_input(ticket, rustdesk, agent):
    with pytest.raises(ValidationError) as exc:
        services.request_session(
            ticket=ticket, tool=rustdesk, reason=" ", tool_session_id="abc/../x", by=agent
        )
    assert set(exc.value.error_dict) == {"reason", "tool_session_id"}
    assert not RemoteSession.objects.exists()


def test_request_refuses_an_inactive_tool_and_a_second_active_request(
    requested, ticket, tools, agent
):
    with pytest.raises(ValidationError) as exc:
        services.request_session(
            ticket=ticket, tool=tools["MeshCentral"], reason="x", tool_session_id="1", by=agent
        )
    assert "tool" in exc.value.error_dict
    with pytest.raises(ValidationError, match="déjà en attente ou ouverte"):
        services.request_session(
            ticket=ticket, tool=tools["AnyDesk"], reason="x", tool_session_id="1", by=agent
        )


def test_only_agents_request(ticket, rustdesk, alice, billing):
    for user in (alice, billing):
        with pytest.raises(PermissionDenied):
            services.request_session(
                ticket=ticket, tool=rustdesk, reason="x", tool_session_id="1", by=user
            )


# --------------------------------------------------------------------------- consent


def test_acceptance_opens_the_session_and_keeps_the_exact_text(opened, alice):
    assert opened.status == Status.OPEN
    assert opened.opened_at == T0 + timedelta(minutes=2)
    assert opened.present_user == alice
    consent = ConsentRecord.objects.get(session=opened)
    assert (consent.user, consent.decision, consent.ip_address) == (alice, "accept", "198.51.100.7")
    assert consent.user_agent == "Mozilla/5.0 (test)"
    assert "Brécey" in consent.text
    assert "RustDesk" in consent.text
    assert "fermée sur mon action" in consent.text
    assert consent.text_sha256 == rules.text_hash(consent.text)
    assert opened.launch_link() == "rustdesk://123456789"
    assert kinds(opened) == [EventKind.REQUESTED, EventKind.ACCEPTED]


def test_refusal_is_recorded_like_an_agreement(requested, bob):
    session = services.refuse_session(
        session=requested, user=bob, ip="198.51.100.8", at=T0 + timedelta(minutes=1)
    )
    assert session.status == Status.REFUSED
    assert session.launch_link() is None
    assert ConsentRecord.objects.get(session=session).decision == "refuse"
    assert kinds(session)[-1] == EventKind.REFUSED


def test_an_expired_request_cannot_be_accepted_and_the_attempt_is_recorded(requested, alice):
    with pytest.raises(ValidationError, match="expiré"):
        services.accept_session(session=requested, user=alice, at=T0 + timedelta(minutes=31))
    requested.refresh_from_db()
    assert requested.status == Status.EXPIRED
    assert not ConsentRecord.objects.exists()
    assert kinds(requested) == [
        EventKind.REQUESTED,
        EventKind.EXPIRED,
        EventKind.ATTEMPT_REFUSED,
    ]
    assert AuditEntry.objects.filter(action="remote.session.attempt_refused").exists()


def test_an_already_decided_or_closed_request_cannot_be_accepted(opened, alice, bob):
    with pytest.raises(ValidationError, match="déjà été donnée"):
        services.accept_session(session=opened, user=bob, at=T0)
    services.close_session(session=opened, by=alice, at=T0 + timedelta(minutes=20))
    with pytest.raises(ValidationError, match="terminée"):
        services.accept_session(session=opened, user=bob, at=T0)
    assert kinds(opened).count(EventKind.ATTEMPT_REFUSED) == 2
    assert ConsentRecord.objects.count() == 1


def test_a_user_of_another_member_cannot_decide_and_is_recorded(requested, charlie):
    with pytest.raises(PermissionDenied):
        services.accept_session(session=requested, user=charlie, ip="203.0.113.5", at=T0)
    requested.refresh_from_db()
    assert requested.status == Status.REQUESTED
    event = SessionEvent.objects.get(session=requested, kind=EventKind.ATTEMPT_REFUSED)
    assert (event.actor, event.ip_address) == (charlie, "203.0.113.5")


def test_an_agent_cannot_consent_on_behalf_of_the_user(requested, agent):
    with pytest.raises(PermissionDenied):
        services.accept_session(session=requested, user=agent, at=T0)
    assert kinds(requested)[-1] == EventKind.ATTEMPT_REFUSED


def test_a_consent_on_another_text_is_refused(requested, alice):
    with pytest.raises(ValidationError, match="changé"):
        services.accept_session(session=requested, user=alice, text="Autre texte", at=T0)
    requested.refresh_from_db()
    assert requested.status == Status.REQUESTED


# --------------------------------------------------------------------------- presence


def test_presence_beats_form_one_compact_span(opened, alice):
    for seconds in (15, 30, 45):
        services.record_presence(
            session=opened, by=alice, at=T0 + timedelta(minutes=2, seconds=seconds)
        )
    span = opened.spans.get()
    assert span.beats == 4  # the acceptance counts as the first
    assert span.last_at == T0 + timedelta(minutes=2, seconds=45)


def test_an_agent_cannot_mark_presence_and_is_recorded(opened, agent):
    with pytest.raises(PermissionDenied):
        services.record_presence(session=opened, by=agent, ip="192.0.2.10")
    event = SessionEvent.objects.filter(session=opened).last()
    assert (event.kind, event.actor) == (EventKind.ATTEMPT_REFUSED, agent)


def test_presence_loss_is_flagged_and_the_agent_warned_then_restored(
    opened, alice, agent, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    quiet = T0 + timedelta(minutes=2, seconds=80)
    assert services.remote_watch(quiet).presence_lost == 0
    later = T0 + timedelta(minutes=2, seconds=91)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remote_watch(later).presence_lost == 1
    assert services.remote_watch(later).presence_lost == 0  # once per loss
    opened.refresh_from_db()
    assert opened.presence_lost
    assert opened.presence_lost_count == 1
    (message,) = mail.outbox
    assert message.to == [agent.email]
    assert "présence" in message.subject

    services.record_presence(session=opened, by=alice, at=T0 + timedelta(minutes=4))
    opened.refresh_from_db()
    assert not opened.presence_lost
    assert kinds(opened)[-2:] == [EventKind.PRESENCE_LOST, EventKind.PRESENCE_RESTORED]
    assert opened.spans.count() == 2  # a new stretch after the silence


def test_handover_to_a_colleague_or_a_contact(opened, alice, bob, gisele):
    services.handover(session=opened, by=alice, to_user=bob)
    opened.refresh_from_db()
    assert opened.present_user == bob
    services.handover(session=opened, by=bob, to_contact=gisele)
    opened.refresh_from_db()
    assert (opened.present_user, opened.present_contact) == (None, gisele)
    assert PresenceHandover.objects.filter(session=opened).count() == 2
    assert kinds(opened).count(EventKind.HANDOVER) == 2


def test_handover_to_someone_of_another_member_is_refused(opened, alice, charlie):
    with pytest.raises(ValidationError) as exc:
        services.handover(session=opened, by=alice, to_user=charlie)
    assert "person" in exc.value.error_dict
    assert not PresenceHandover.objects.exists()


# --------------------------------------------------------------------------- closing


def test_only_the_member_side_closes(opened, agent, alice):
    services.request_close(session=opened, by=agent, at=T0 + timedelta(minutes=30))
    with pytest.raises(PermissionDenied, match="Seul l'utilisateur ferme"):
        services.close_session(session=opened, by=agent, at=T0 + timedelta(minutes=30))
    opened.refresh_from_db()
    assert opened.status == Status.OPEN
    assert opened.close_requested_at is not None

    session = services.close_session(session=opened, by=alice, at=T0 + timedelta(minutes=31))
    assert (session.status, session.close_kind, session.closed_by) == (
        Status.CLOSED,
        CloseKind.BY_USER,
        alice,
    )
    assert session.duration == timedelta(minutes=29)
    assert session.launch_link() is None
    assert kinds(session)[-3:] == [
        EventKind.CLOSE_REQUESTED,
        EventKind.ATTEMPT_REFUSED,
        EventKind.CLOSED,
    ]


def test_a_session_left_open_is_closed_as_abandoned(opened):
    assert services.remote_watch(T0 + timedelta(minutes=2 + 240)).abandoned == 0
    result = services.remote_watch(T0 + timedelta(minutes=2 + 241))
    assert result.abandoned == 1
    opened.refresh_from_db()
    assert (opened.status, opened.close_kind, opened.closed_by) == (
        Status.ABANDONED,
        CloseKind.ABANDONED,
        None,
    )


def test_unanswered_requests_expire(requested):
    assert services.remote_watch(T0 + timedelta(minutes=29)).expired == 0
    assert services.remote_watch(T0 + timedelta(minutes=30)).expired == 1
    requested.refresh_from_db()
    assert requested.status == Status.EXPIRED


def test_the_watch_command_runs(db):
    from django.core.management import call_command

    call_command("remote_watch", stdout=__import__("io").StringIO())

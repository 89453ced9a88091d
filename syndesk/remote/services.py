"""Operations of remote maintenance. Views, commands and tasks call these functions; nothing
else writes remote rows for a business operation.

Conventions (as in desk/services.py):
* keyword-only arguments; each operation runs in ``transaction.atomic``, locks the session
  row it reads then writes, writes one audit entry (``remote.session.<verb>``) and one
  ``SessionEvent`` of the trail;
* a refusal raises ``ValidationError`` (a state that forbids the action: expired, already
  decided, closed) or ``PermissionDenied`` (the wrong side: an agent closing, a user of
  another member). Refused attempts are RECORDED before the refusal is raised: the
  recording transaction commits, the exception is raised after it;
* every operation takes ``at`` (default: now); mail leaves after the commit through
  ``core.tasks.send_email``.

The annex's rules: the session opens only from ``accept_session`` (rule 1: consent),
presence is confirmed by the member's page (``record_presence``) and watched by
``remote_watch`` (rule 2), and only the member side closes (``close_session``, rule 3); the
agent may only ask for the closing (``request_close``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from syndesk.core.audit import log_action
from syndesk.core.tasks import send_email
from syndesk.desk.models import OPEN_STATUSES, Ticket
from syndesk.members.models import Contact, Membership

from . import rules
from .models import (
    CloseKind,
    ConsentRecord,
    Decision,
    EventKind,
    PresenceHandover,
    PresenceSpan,
    RemoteSession,
    RemoteTool,
    SessionEvent,
    Status,
)

# --------------------------------------------------------------------------- settings


def request_ttl() -> timedelta:
    return timedelta(minutes=settings.REMOTE_REQUEST_TTL_MINUTES)


def presence_timeout() -> timedelta:
    return timedelta(seconds=settings.REMOTE_PRESENCE_TIMEOUT_SECONDS)


def max_duration() -> timedelta:
    return timedelta(minutes=settings.REMOTE_MAX_DURATION_MINUTES)


def beat_seconds() -> int:
    return settings.REMOTE_PRESENCE_BEAT_SECONDS


# --------------------------------------------------------------------------- helpers


def _now(at: datetime | None) -> datetime:
    return at if at is not None else timezone.now()


def _lock(session: RemoteSession) -> RemoteSession:
    return (
        RemoteSession.objects.select_for_update(of=("self",))
        .select_related("tool")
        .get(pk=session.pk)
    )


def _fmt(at: datetime) -> str:
    return date_format(timezone.localtime(at), "l j F Y à H:i")


def _ip(value: str | None) -> str | None:
    return value or None


def _name(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else ""


def is_member_side(user, member_id: int) -> bool:
    """A (non-staff, active) portal user of the member."""
    if user is None or not user.is_authenticated or user.is_staff or not user.is_active:
        return False
    return Membership.objects.filter(user=user, member_id=member_id).exists()


def _require_agent(user) -> None:
    if (
        user is None
        or not user.is_authenticated
        or not user.is_staff
        or not user.is_active
        or not user.has_perm("remote.change_remotesession")
    ):
        raise PermissionDenied(_("Réservé aux agents d'assistance."))


def _event(session, kind, *, at, actor=None, ip=None, detail="") -> SessionEvent:
    return SessionEvent.objects.create(
        session=session,
        kind=kind,
        at=at,
        actor=actor if actor is not None and actor.is_authenticated else None,
        ip_address=_ip(ip),
        detail=str(detail)[:300],
    )


def _record_attempt(session, *, action: str, by, at, ip, reason: str, message: str) -> None:
    """Write the refused attempt (event + audit) in its own committed transaction."""
    with transaction.atomic():
        _event(session, EventKind.ATTEMPT_REFUSED, at=at, actor=by, ip=ip, detail=message)
        log_action(
            "remote.session.attempt_refused",
            actor=by,
            target=session,
            data={"action": action, "reason": reason, "ip": ip or ""},
        )


def record_access_refused(
    *, session: RemoteSession, by, ip: str | None = None, at: datetime | None = None
) -> None:
    """Someone who may not see the session (a user of another organisation following a
    forwarded link) opened it: answered as absent by the view, recorded here."""
    _record_attempt(
        session,
        action="open",
        by=by,
        at=_now(at),
        ip=ip,
        reason="not_member",
        message=_("Ouverture du lien par un utilisateur d'une autre organisation."),
    )


def portal_url(session: RemoteSession) -> str:
    return settings.SITE_URL + reverse("remote-portal:session", kwargs={"token": session.token})


def staff_url(session: RemoteSession) -> str:
    return settings.SITE_URL + reverse("remote:session", kwargs={"pk": session.pk})


def _mail(*, template: str, to: list[str], subject: str, context: dict) -> None:
    recipients = sorted({a.strip().lower() for a in to if a and a.strip()})
    if not recipients:
        return
    body = render_to_string(
        f"remote/email/{template}.txt", {"syndicate": settings.SYNDICATE, **context}
    )
    transaction.on_commit(partial(send_email.enqueue, subject=subject, body=body, to=recipients))


def member_recipients(ticket: Ticket) -> list[str]:
    """The ticket's contact and portal requester, else the member's portal users."""
    found = [
        ticket.contact.email if ticket.contact_id else "",
        ticket.requester.email if ticket.requester_id else "",
    ]
    found = [a for a in found if a]
    if not found:
        found = list(
            Membership.objects.filter(member_id=ticket.member_id, user__is_active=True).values_list(
                "user__email", flat=True
            )[:5]
        )
    return found


# --------------------------------------------------------------------------- consent text


def consent_text(session: RemoteSession) -> str:
    """The exact French text the member user reads and agrees to (stored on the consent
    record with its hash). Built from the request, so that it names the tool, the agent and
    the reason; the three rules are the annex's."""
    return _(
        "Je soussigné(e), utilisateur de %(member)s, autorise %(syndicate)s à ouvrir une "
        "session de télémaintenance sur mon poste avec l'outil %(tool)s (identifiant "
        "%(session_id)s), à la demande de %(agent)s, pour la demande %(ticket)s : "
        "« %(reason)s ».\n"
        "Conformément à l'annexe des conditions particulières :\n"
        "1. la connexion n'est ouverte qu'après mon accord, donné ici ;\n"
        "2. l'intervention se déroule en ma présence tout au long de l'intervention, ou en "
        "présence d'un responsable de la collectivité à qui je passe le relais ;\n"
        "3. la connexion est fermée sur mon action à la fin de l'intervention "
        "(bouton « Terminer la session »)."
    ) % {
        "member": session.member.name,
        "syndicate": settings.SYNDICATE["name"],
        "tool": session.tool.name,
        "session_id": session.tool_session_id,
        "agent": _name(session.requested_by),
        "ticket": session.ticket.reference,
        "reason": session.reason,
    }


# --------------------------------------------------------------------------- request


def request_session(
    *,
    ticket: Ticket,
    tool: RemoteTool,
    reason: str,
    tool_session_id: str,
    by,
    ip: str | None = None,
    at: datetime | None = None,
) -> RemoteSession:
    """The agent asks the ticket's member for a remote session; the member's users are
    mailed a link to the consent page. Refused when the ticket is finished, the tool is
    inactive, the id malformed, or another request or session is active on the ticket."""
    _require_agent(by)
    now = _now(at)
    reason = (reason or "").strip()
    session_id = rules.normalize_session_id(tool_session_id)
    errors: dict[str, str] = {}
    if not tool.is_active:
        errors["tool"] = _("Cet outil n'est plus proposé.")
    if not reason:
        errors["reason"] = _("Indiquez le motif de l'intervention : l'utilisateur le lira.")
    if not rules.session_id_is_valid(session_id):
        errors["tool_session_id"] = _(
            "Identifiant invalide : lettres, chiffres, point, tiret ou souligné "
            "(64 caractères au plus)."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("contact", "requester")
            .get(pk=ticket.pk)
        )
        if ticket.status not in OPEN_STATUSES:
            raise ValidationError(
                _("La demande %(ref)s n'est plus en cours.") % {"ref": ticket.reference}
            )
        if RemoteSession.objects.filter(ticket=ticket).active().exists():
            raise ValidationError(
                _(
                    "Une session de télémaintenance est déjà en attente ou ouverte sur cette "
                    "demande."
                )
            )
        session = RemoteSession.objects.create(
            ticket=ticket,
            member_id=ticket.member_id,
            tool=tool,
            tool_session_id=session_id,
            reason=reason,
            requested_by=by,
            requested_at=now,
            expires_at=now + request_ttl(),
        )
        _event(session, EventKind.REQUESTED, at=now, actor=by, ip=ip, detail=tool.name)
        log_action(
            "remote.session.requested",
            actor=by,
            target=session,
            data={"ticket": ticket.reference, "tool": tool.name, "ip": ip or ""},
        )
        _mail(
            template="requested",
            to=member_recipients(ticket),
            subject=_("[%(ref)s] Demande de télémaintenance") % {"ref": ticket.reference},
            context={
                "session": session,
                "ticket": ticket,
                "agent": _name(by),
                "url": portal_url(session),
                "expires": _fmt(session.expires_at),
            },
        )
    return session


# --------------------------------------------------------------------------- consent


_DECISION_MESSAGES = {
    "not_member": lambda: _("Seul un utilisateur de l'organisation concernée peut répondre."),
    "closed": lambda: _("Cette session est terminée."),
    "already_decided": lambda: _("Une réponse a déjà été donnée à cette demande."),
    "expired": lambda: _("Cette demande a expiré ; l'agent doit vous en adresser une nouvelle."),
}


def _decide(
    *, session, user, decision: str, ip, user_agent: str, text: str | None, at
) -> RemoteSession:
    now = _now(at)
    action = "accept" if decision == Decision.ACCEPT else "refuse"
    refusal = None
    with transaction.atomic():
        session = _lock(session)
        member_side = is_member_side(user, session.member_id)
        refusal = rules.decision_refusal(
            status=session.status, expires_at=session.expires_at, now=now, member_side=member_side
        )
        if refusal is None:
            shown = text if text is not None else consent_text(session)
            if shown != consent_text(session):
                # The page showed another text (the request changed meanwhile): ask again.
                refusal = "text_changed"
        if refusal is None:
            ConsentRecord.objects.create(
                session=session,
                user=user,
                decision=decision,
                at=now,
                ip_address=_ip(ip),
                user_agent=(user_agent or "")[:400],
                text=shown,
                text_sha256=rules.text_hash(shown),
            )
            session.decided_at = now
            if decision == Decision.ACCEPT:
                session.status = Status.OPEN
                session.opened_at = now
                session.present_user = user
                session.last_presence_at = now
                PresenceSpan.objects.create(session=session, user=user, started_at=now, last_at=now)
            else:
                session.status = Status.REFUSED
            session.save()
            kind = EventKind.ACCEPTED if decision == Decision.ACCEPT else EventKind.REFUSED
            _event(session, kind, at=now, actor=user, ip=ip, detail=rules.text_hash(shown))
            log_action(
                f"remote.session.{'accepted' if kind == EventKind.ACCEPTED else 'refused'}",
                actor=user,
                target=session,
                data={"ip": ip or "", "sha256": rules.text_hash(shown)},
            )
            _mail(
                template="decided",
                to=[session.requested_by.email],
                subject=_("[%(ref)s] Télémaintenance : %(decision)s")
                % {
                    "ref": session.ticket.reference,
                    "decision": _("accord") if kind == EventKind.ACCEPTED else _("refus"),
                },
                context={"session": session, "user": _name(user), "url": staff_url(session)},
            )
            return session
    # Refused: recorded (committed), then raised.
    if refusal == "text_changed":
        message = _("La demande a changé depuis l'affichage de la page : relisez-la.")
    else:
        message = _DECISION_MESSAGES[refusal]()
    if refusal == "expired" and session.status == Status.REQUESTED:
        expire_requests(now=now)
    _record_attempt(session, action=action, by=user, at=now, ip=ip, reason=refusal, message=message)
    if refusal == "not_member":
        raise PermissionDenied(message)
    raise ValidationError(message, code=refusal)


def accept_session(
    *,
    session: RemoteSession,
    user,
    ip: str | None = None,
    user_agent: str = "",
    text: str | None = None,
    at: datetime | None = None,
) -> RemoteSession:
    """The member user agrees: the consent record keeps who, when, the address, the browser
    and the exact text (``text``: what the page showed; it must be today's text)."""
    return _decide(
        session=session,
        user=user,
        decision=Decision.ACCEPT,
        ip=ip,
        user_agent=user_agent,
        text=text,
        at=at,
    )


def refuse_session(
    *,
    session: RemoteSession,
    user,
    ip: str | None = None,
    user_agent: str = "",
    text: str | None = None,
    at: datetime | None = None,
) -> RemoteSession:
    """The member user refuses: recorded the same way as an agreement."""
    return _decide(
        session=session,
        user=user,
        decision=Decision.REFUSE,
        ip=ip,
        user_agent=user_agent,
        text=text,
        at=at,
    )


# --------------------------------------------------------------------------- presence


def _member_only(session, *, by, at, ip, action: str) -> None:
    """Refuse (and record) an action reserved to the member side."""
    if not is_member_side(by, session.member_id):
        message = (
            _("Seul l'utilisateur de l'organisation peut confirmer sa présence.")
            if action == "presence"
            else _("Seul l'utilisateur de l'organisation peut faire cela.")
        )
        if action == "close":
            message = _(
                "Seul l'utilisateur ferme la session (annexe) : l'agent peut demander la fermeture."
            )
        _record_attempt(
            session, action=action, by=by, at=at, ip=ip, reason="not_member", message=message
        )
        raise PermissionDenied(message)


def _require_open(session, *, by, at, ip, action: str) -> None:
    if session.status != Status.OPEN:
        message = _("Cette session n'est pas ouverte.")
        _record_attempt(
            session, action=action, by=by, at=at, ip=ip, reason="not_open", message=message
        )
        raise ValidationError(message, code="not_open")


def record_presence(
    *, session: RemoteSession, by, ip: str | None = None, at: datetime | None = None
) -> RemoteSession:
    """One presence confirmation from the member's page (member side only). After a loss,
    the first confirmation restores the presence (event, and the agent's panel shows it)."""
    now = _now(at)
    _member_only(session, by=by, at=now, ip=ip, action="presence")
    if session.status != Status.OPEN:
        # A page left open after the closing keeps polling once: not an attempt to record.
        raise ValidationError(_("Cette session n'est pas ouverte."), code="not_open")
    with transaction.atomic():
        session = _lock(session)
        if session.status != Status.OPEN:
            raise ValidationError(_("Cette session n'est pas ouverte."), code="not_open")
        timeout = presence_timeout()
        last = session.spans.filter(user=by).order_by("-last_at", "-pk").first()
        current = rules.Span(last.started_at, last.last_at, last.beats) if last else None
        span, is_new = rules.extend_span(current, at=now, timeout=timeout)
        if is_new:
            PresenceSpan.objects.create(
                session=session, user=by, started_at=span.started_at, last_at=span.last_at
            )
        else:
            PresenceSpan.objects.filter(pk=last.pk).update(last_at=span.last_at, beats=span.beats)
        session.last_presence_at = max(session.last_presence_at or now, now)
        fields = ["last_presence_at"]
        if session.presence_lost:
            session.presence_lost = False
            fields.append("presence_lost")
            _event(session, EventKind.PRESENCE_RESTORED, at=now, actor=by, ip=ip)
            log_action("remote.session.presence_restored", actor=by, target=session)
        session.save(update_fields=fields)
    return session


def mark_presence_lost(*, now: datetime | None = None) -> int:
    """Flag the open sessions without a presence confirmation for longer than the timeout
    and warn their agent at once (mail; the agent's live panel shows it)."""
    now = _now(now)
    limit = now - presence_timeout()
    count = 0
    candidates = RemoteSession.objects.filter(
        status=Status.OPEN, presence_lost=False, last_presence_at__lt=limit
    ).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            session = (
                RemoteSession.objects.select_for_update(of=("self",))
                .select_related("ticket", "requested_by", "member")
                .get(pk=pk)
            )
            if session.status != Status.OPEN or session.presence_lost:
                continue
            if not rules.presence_is_lost(
                last_presence=session.last_presence_at,
                opened_at=session.opened_at,
                now=now,
                timeout=presence_timeout(),
            ):
                continue
            session.presence_lost = True
            session.presence_lost_count += 1
            session.save(update_fields=["presence_lost", "presence_lost_count"])
            since = _fmt(session.last_presence_at)
            _event(session, EventKind.PRESENCE_LOST, at=now, detail=since)
            log_action(
                "remote.session.presence_lost",
                target=session,
                data={"last_presence": session.last_presence_at.isoformat()},
            )
            _mail(
                template="presence_lost",
                to=[session.requested_by.email],
                subject=_("[%(ref)s] Télémaintenance : présence de l'utilisateur perdue")
                % {"ref": session.ticket.reference},
                context={"session": session, "since": since, "url": staff_url(session)},
            )
            count += 1
    return count


def handover(
    *,
    session: RemoteSession,
    by,
    to_user=None,
    to_contact: Contact | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> RemoteSession:
    """Presence handed over to another named person of the member: a portal user of the
    member (who then confirms presence from their own page) or a contact."""
    now = _now(at)
    _member_only(session, by=by, at=now, ip=ip, action="handover")
    _require_open(session, by=by, at=now, ip=ip, action="handover")
    if (to_user is None) == (to_contact is None):
        raise ValidationError({"person": _("Choisissez une personne.")})
    if to_user is not None and (
        to_user.pk == by.pk or not is_member_side(to_user, session.member_id)
    ):
        raise ValidationError({"person": _("Choisissez une autre personne de votre organisation.")})
    if to_contact is not None and to_contact.member_id != session.member_id:
        raise ValidationError({"person": _("Choisissez une personne de votre organisation.")})
    with transaction.atomic():
        session = _lock(session)
        if session.status != Status.OPEN:
            raise ValidationError(_("Cette session n'est pas ouverte."), code="not_open")
        PresenceHandover.objects.create(
            session=session,
            from_user=by,
            to_user=to_user,
            to_contact=to_contact,
            at=now,
            ip_address=_ip(ip),
        )
        session.present_user = to_user
        session.present_contact = to_contact
        session.save(update_fields=["present_user", "present_contact"])
        target = _name(to_user) if to_user is not None else str(to_contact)
        _event(
            session,
            EventKind.HANDOVER,
            at=now,
            actor=by,
            ip=ip,
            detail=_("%(from)s → %(to)s") % {"from": _name(by), "to": target},
        )
        log_action(
            "remote.session.handover",
            actor=by,
            target=session,
            data={
                "to_user": to_user.pk if to_user else None,
                "to_contact": to_contact.pk if to_contact else None,
                "ip": ip or "",
            },
        )
    return session


# --------------------------------------------------------------------------- closing


def request_close(
    *, session: RemoteSession, by, ip: str | None = None, at: datetime | None = None
) -> RemoteSession:
    """The agent asks the member to end the session (the annex: the user closes)."""
    _require_agent(by)
    now = _now(at)
    with transaction.atomic():
        session = _lock(session)
        if session.status != Status.OPEN:
            raise ValidationError(_("Cette session n'est pas ouverte."), code="not_open")
        session.close_requested_at = now
        session.save(update_fields=["close_requested_at"])
        _event(session, EventKind.CLOSE_REQUESTED, at=now, actor=by, ip=ip)
        log_action("remote.session.close_requested", actor=by, target=session)
    return session


def close_session(
    *, session: RemoteSession, by, ip: str | None = None, at: datetime | None = None
) -> RemoteSession:
    """The member side ends the session. An agent (or anyone else) is refused, recorded."""
    now = _now(at)
    _member_only(session, by=by, at=now, ip=ip, action="close")
    _require_open(session, by=by, at=now, ip=ip, action="close")
    with transaction.atomic():
        session = _lock(session)
        if session.status != Status.OPEN:
            raise ValidationError(_("Cette session n'est pas ouverte."), code="not_open")
        session.status = Status.CLOSED
        session.close_kind = CloseKind.BY_USER
        session.closed_at = now
        session.closed_by = by
        session.save()
        _event(session, EventKind.CLOSED, at=now, actor=by, ip=ip)
        log_action(
            "remote.session.closed",
            actor=by,
            target=session,
            data={"seconds": int((now - session.opened_at).total_seconds()), "ip": ip or ""},
        )
        _mail(
            template="closed",
            to=[session.requested_by.email],
            subject=_("[%(ref)s] Télémaintenance terminée") % {"ref": session.ticket.reference},
            context={"session": session, "user": _name(by), "url": staff_url(session)},
        )
    return session


# --------------------------------------------------------------------------- watch


def expire_requests(*, now: datetime | None = None) -> int:
    """Requests left unanswered past their expiry become expired (one event each)."""
    now = _now(now)
    count = 0
    for pk in list(
        RemoteSession.objects.filter(status=Status.REQUESTED, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    ):
        with transaction.atomic():
            session = RemoteSession.objects.select_for_update(of=("self",)).get(pk=pk)
            if session.status != Status.REQUESTED or session.expires_at > now:
                continue
            session.status = Status.EXPIRED
            session.save(update_fields=["status"])
            _event(session, EventKind.EXPIRED, at=now)
            log_action("remote.session.expired", target=session)
            count += 1
    return count


def abandon_stale(*, now: datetime | None = None) -> int:
    """Sessions still open past REMOTE_MAX_DURATION_MINUTES are closed as abandoned (no
    user closed them: the record says so)."""
    now = _now(now)
    limit = now - max_duration()
    count = 0
    for pk in list(
        RemoteSession.objects.filter(status=Status.OPEN, opened_at__lt=limit).values_list(
            "pk", flat=True
        )
    ):
        with transaction.atomic():
            session = (
                RemoteSession.objects.select_for_update(of=("self",))
                .select_related("ticket", "requested_by")
                .get(pk=pk)
            )
            if session.status != Status.OPEN or not rules.is_stale(
                opened_at=session.opened_at, now=now, max_duration=max_duration()
            ):
                continue
            session.status = Status.ABANDONED
            session.close_kind = CloseKind.ABANDONED
            session.closed_at = now
            session.save()
            _event(session, EventKind.ABANDONED, at=now)
            log_action("remote.session.abandoned", target=session)
            _mail(
                template="abandoned",
                to=[session.requested_by.email],
                subject=_("[%(ref)s] Télémaintenance abandonnée")
                % {"ref": session.ticket.reference},
                context={"session": session, "url": staff_url(session)},
            )
            count += 1
    return count


@dataclass(frozen=True)
class WatchResult:
    expired: int
    presence_lost: int
    abandoned: int


def remote_watch(now: datetime | None = None) -> WatchResult:
    """The periodic check (every minute, command ``remote_watch``): expire unanswered
    requests, flag lost presence, close stale sessions as abandoned."""
    now = _now(now)
    return WatchResult(
        expired=expire_requests(now=now),
        presence_lost=mark_presence_lost(now=now),
        abandoned=abandon_stale(now=now),
    )

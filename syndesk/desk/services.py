"""Operations of the support desk. Views, the API, commands and tasks call these functions;
nothing else writes desk rows for a business operation.

Conventions (as in contracts/services.py):
* keyword-only arguments; each operation runs in ``transaction.atomic`` and locks the ticket
  row it reads then writes (``select_for_update``), and writes one audit entry
  (``desk.<object>.<verb>``);
* refusals raise ``ValidationError`` with French messages, keyed by the field to blame when
  there is one; acting on a ticket the user may not touch raises ``PermissionDenied``;
* every operation takes ``at`` (default: now) so that tests and imports can date it;
* mail leaves after the commit (``transaction.on_commit`` + ``desk.tasks.send_ticket_email``),
  never for a rolled-back operation. Templates: ``desk/templates/desk/email/*.txt``.
* operations returning the ticket return the fresh, locked row: use the returned object, the
  one passed in may be stale.

Decisions worth knowing (see also rules.py):
* Entitlement: the subscription must cover the day (``contracts.services.is_entitled``);
  when the ticket names a software, it must be supported by the assistance and, when the
  subscription lists covered software, be in that list (an empty list = the base assistance,
  all supported software). ``settings.DESK_ENTITLEMENT_POLICY``: "warn" (default: the ticket
  is opened and flagged) or "refuse" (ValidationError with the reason).
* Reopening: a member reply (portal or mail) on a *resolved* ticket reopens it; the time it
  spent resolved is an SLA pause. A *closed* ticket is final: a portal reply is refused
  (open a new request, linked with ``follow_up_of``), a mail reply lands in the triage list
  with the closed ticket attached, from which an agent opens the follow-up.
* Satisfaction: once, by a member user of the ticket's member, when the ticket has been
  resolved (status resolved, or closed after a resolution or a redirection).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import strip_tags
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.contracts.models import Subscription
from syndesk.contracts.services import is_entitled
from syndesk.core import roles
from syndesk.core.audit import log_action
from syndesk.core.calendar import current_calendar
from syndesk.core.numbering import next_number
from syndesk.core.uploads import validate_upload
from syndesk.members.models import Contact, Member, MemberPhone, Membership
from syndesk.members.phones import InvalidPhoneNumber, normalize_phone

from . import rules
from .models import (
    CLOSE_OUTCOMES,
    OPEN_STATUSES,
    RESOLVE_OUTCOMES,
    WAITING_STATUSES,
    Call,
    Category,
    Channel,
    Exclusion,
    InboundEmail,
    Outcome,
    Priority,
    Satisfaction,
    SLAAlert,
    SLAPause,
    SLATarget,
    Status,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TimeEntry,
)
from .tasks import send_ticket_email

logger = logging.getLogger(__name__)

POLICY_WARN = "warn"
POLICY_REFUSE = "refuse"
#: Real types accepted for attachments (sniffed by core.uploads; "csv" = plain text).
ATTACHMENT_KINDS = {"pdf", "png", "jpeg", "csv"}
DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_AUTO_CLOSE_DAYS = 7


# --------------------------------------------------------------------------- settings


def entitlement_policy() -> str:
    """settings.DESK_ENTITLEMENT_POLICY: "warn" (default) or "refuse"."""
    policy = getattr(settings, "DESK_ENTITLEMENT_POLICY", POLICY_WARN)
    if policy not in (POLICY_WARN, POLICY_REFUSE):
        raise ImproperlyConfigured(
            f"DESK_ENTITLEMENT_POLICY must be 'warn' or 'refuse', got {policy!r}"
        )
    return policy


def attachment_max_bytes() -> int:
    return int(getattr(settings, "DESK_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES))


# --------------------------------------------------------------------------- helpers


def _now(at: datetime | None) -> datetime:
    return at if at is not None else timezone.now()


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _require_staff(user) -> None:
    if user is None or not user.is_authenticated or not user.is_staff or not user.is_active:
        raise PermissionDenied(_("Réservé au personnel du syndicat."))


def is_member_side(user, member: Member | int) -> bool:
    """Whether ``user`` is a (non-staff) portal user of ``member``."""
    if user is None or not user.is_authenticated or user.is_staff or not user.is_active:
        return False
    member_id = member if isinstance(member, int) else member.pk
    return Membership.objects.filter(user=user, member_id=member_id).exists()


def _local_date(at: datetime) -> date:
    return timezone.localtime(at).date()


def _fmt_dt(at: datetime) -> str:
    return date_format(timezone.localtime(at), "l j F Y à H:i")


def _mail_domain() -> str:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address.rpartition("@")[2] or "syndesk.localhost"


def ticket_url(ticket: Ticket, *, staff: bool) -> str:
    """Absolute link to the ticket page: URL names "desk:ticket" / "desk-portal:ticket"
    with a ``reference`` kwarg (falls back to the list while the pages do not exist)."""
    name, fallback = (
        ("desk:ticket", "/gestion/assistance/")
        if staff
        else ("desk-portal:ticket", "/portail/demandes/")
    )
    try:
        path = reverse(name, kwargs={"reference": ticket.reference})
    except NoReverseMatch:
        path = fallback
    return f"{settings.SITE_URL}{path}"


def member_recipients(ticket: Ticket) -> list[str]:
    """Where member-side notifications go: the contact's and the requester's addresses."""
    found: list[str] = []
    for address in (
        ticket.contact.email if ticket.contact_id else "",
        ticket.requester.email if ticket.requester_id else "",
    ):
        address = (address or "").strip().lower()
        if address and address not in found:
            found.append(address)
    return found


def _mail(
    ticket: Ticket,
    *,
    template: str,
    to: Iterable[str],
    context: dict | None = None,
    message_id: str = "",
) -> None:
    """Render a notification now (inside the transaction) and send it after the commit."""
    recipients = sorted({a for a in to if a})
    if not recipients:
        return
    body = render_to_string(
        f"desk/email/{template}.txt",
        {"ticket": ticket, "syndicate": settings.SYNDICATE, **(context or {})},
    )
    subject = f"[{ticket.reference}] {ticket.subject}"
    references = [ticket.email_message_id] if ticket.email_message_id else []
    transaction.on_commit(
        partial(
            send_ticket_email.enqueue,
            subject=subject,
            body=body,
            to=recipients,
            message_id=message_id,
            references=references,
        )
    )


def _event(ticket: Ticket, body: str, *, at: datetime, by=None) -> TicketMessage:
    return TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.EVENT,
        via=TicketMessage.Via.SYSTEM,
        author=by if by is not None and by.is_authenticated else None,
        from_staff=bool(by is not None and by.is_staff),
        body=body,
        created_at=at,
    )


def _choice(value, choices, field: str, message: str):
    if value not in choices.values:
        raise ValidationError({field: message})
    return value


# --------------------------------------------------------------------------- desk hours


@dataclass(frozen=True)
class DeskHours:
    is_open: bool
    next_opening: datetime  # ``at`` itself when open


def desk_hours(*, at: datetime | None = None, calendar=None) -> DeskHours:
    """Is the desk open, and when does it next open (portal: "handled from ...")."""
    calendar = calendar or current_calendar()
    at = _now(at)
    return DeskHours(calendar.is_open(at), calendar.next_opening(at))


# --------------------------------------------------------------------------- calls


@dataclass(frozen=True)
class Caller:
    """Who is calling. ``member``/``contact`` are None when unknown or ambiguous; then
    ``candidates`` lists every member the number belongs to (the agent picks one)."""

    number: str  # E.164, or the input as typed when it is not a valid number
    valid: bool
    member: Member | None
    contact: Contact | None
    candidates: tuple[Member, ...]


def identify_caller(number: str) -> Caller:
    """Identify a caller from the number typed or passed by the telephony system.

    A contact's phone or mobile identifies the contact and its member; otherwise the
    member's own numbers identify the member. Several matches: ambiguous (no member).
    Two queries, both on equality with the normalised E.164 number."""
    raw = (number or "").strip()
    try:
        e164 = normalize_phone(raw)
    except InvalidPhoneNumber:
        return Caller(raw, False, None, None, ())
    contacts = list(
        Contact.objects.filter(Q(phone=e164) | Q(mobile=e164)).select_related("member")[:20]
    )
    members: dict[int, Member] = {c.member_id: c.member for c in contacts}
    for phone in MemberPhone.objects.filter(number=e164).select_related("member")[:20]:
        members.setdefault(phone.member_id, phone.member)
    candidates = tuple(members.values())
    if len(contacts) == 1 and len(candidates) == 1:
        return Caller(e164, True, contacts[0].member, contacts[0], candidates)
    if len(candidates) == 1:
        return Caller(e164, True, candidates[0], None, candidates)
    return Caller(e164, True, None, None, candidates)


@transaction.atomic
def start_call(*, number: str, agent, at: datetime | None = None) -> Call:
    """Record an incoming call and identify the caller (``call.member``/``call.contact``
    stay empty when unknown or ambiguous; see ``identify_call``)."""
    _require_staff(agent)
    at = _now(at)
    caller = identify_caller(number)
    if not caller.number:
        raise ValidationError({"number": _("Indiquez le numéro de l'appelant.")})
    call = Call.objects.create(
        number=caller.number[:32],
        member=caller.member,
        contact=caller.contact,
        agent=agent,
        started_at=at,
    )
    log_action(
        "desk.call.started",
        actor=agent,
        target=call,
        data={"number": call.number, "member": call.member_id, "contact": call.contact_id},
    )
    return call


@transaction.atomic
def identify_call(
    *, call: Call, member: Member, contact: Contact | None = None, remember: bool = False, by
) -> Call:
    """Say who called (unknown or ambiguous number). With ``remember``, the number is kept
    for next time: on the contact (phone, else mobile, when free) or else on the member."""
    _require_staff(by)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if contact is not None and contact.member_id != member.pk:
        raise ValidationError({"contact": _("Ce contact n'appartient pas à cet adhérent.")})
    call.member, call.contact = member, contact
    call.save(update_fields=["member", "contact"])
    remembered = ""
    if remember:
        try:
            number = normalize_phone(call.number)
        except InvalidPhoneNumber as exc:
            raise ValidationError(
                {"number": _("Ce numéro n'est pas valide : il ne peut être enregistré.")}
            ) from exc
        if contact is not None and number not in (contact.phone, contact.mobile):
            field = "phone" if not contact.phone else ("mobile" if not contact.mobile else "")
            if field:
                setattr(contact, field, number)
                contact.save(update_fields=[field])
                remembered = f"contact.{field}"
        if not remembered:
            MemberPhone.objects.get_or_create(member=member, number=number)
            remembered = "member"
    log_action(
        "desk.call.identified",
        actor=by,
        target=call,
        data={"member": member.pk, "contact": contact.pk if contact else None, "saved": remembered},
    )
    return call


@transaction.atomic
def end_call(*, call: Call, by, at: datetime | None = None, notes: str | None = None) -> Call:
    """Hang up: record the end (duration = end - start). Refused when already ended."""
    _require_staff(by)
    at = _now(at)
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.ended_at is not None:
        raise ValidationError(_("Cet appel est déjà terminé."))
    if at < call.started_at:
        raise ValidationError({"ended_at": _("La fin de l'appel précède son début.")})
    call.ended_at = at
    fields = ["ended_at"]
    if notes is not None:
        call.notes = notes
        fields.append("notes")
    call.save(update_fields=fields)
    log_action(
        "desk.call.ended",
        actor=by,
        target=call,
        data={"seconds": int(call.duration.total_seconds())},
    )
    return call


# --------------------------------------------------------------------------- entitlement


def evaluate_entitlement(
    *, member: Member, software: Software | None, on: date
) -> rules.Entitlement:
    """Whether ``member`` may be assisted on ``on`` (for ``software``), with the reason."""
    label = date_format(on, "j F Y")
    if not is_entitled(member, on):
        return rules.evaluate_entitlement(subscribed=False, on_label=label)
    if software is None:
        return rules.evaluate_entitlement(subscribed=True, on_label=label)
    covered = set(
        Subscription.objects.filter(member=member, start__lte=on)
        .exclude(status=Subscription.Status.ENDED)
        .values_list("software", flat=True)
    )
    covered.discard(None)
    return rules.evaluate_entitlement(
        subscribed=True,
        on_label=label,
        software_name=software.name,
        software_supported=software.is_supported,
        software_covered=(software.pk in covered) if covered else None,
    )


def _apply_entitlement(ticket: Ticket, on: date) -> rules.Entitlement:
    policy = entitlement_policy()  # checked every time: a bad setting fails at once
    result = evaluate_entitlement(member=ticket.member, software=ticket.software, on=on)
    if not result.entitled and policy == POLICY_REFUSE:
        raise ValidationError({result.field: result.reason})
    ticket.entitled, ticket.entitlement_note = result.entitled, result.reason[:255]
    return result


# --------------------------------------------------------------------------- SLA helpers


def _set_dues(ticket: Ticket, calendar, *, pauses: Iterable[tuple[datetime, datetime]] = ()):
    target = SLATarget.objects.filter(priority=ticket.priority).first()
    if target is None:
        ticket.first_response_due = ticket.resolution_due = None
        return
    pauses = list(pauses)
    ticket.first_response_due = rules.due_with_pauses(
        calendar, ticket.created_at, target.first_response, pauses
    )
    ticket.resolution_due = rules.due_with_pauses(
        calendar, ticket.created_at, target.resolution, pauses
    )


def _end_pause(ticket: Ticket, *, at: datetime, by, calendar) -> timedelta:
    """Close the open pause (if any) and push the running clocks' due dates."""
    if ticket.paused_since is None:
        return timedelta(0)
    pause = (
        SLAPause.objects.select_for_update().filter(ticket=ticket, ended_at__isnull=True).first()
    )
    started = ticket.paused_since
    business = calendar.between(started, at) if at > started else timedelta(0)
    if pause is not None:
        pause.ended_at, pause.ended_by, pause.business_duration = at, by, business
        pause.save(update_fields=["ended_at", "ended_by", "business_duration"])
    _extend_dues(ticket, started, at, calendar)
    ticket.paused_business += business
    ticket.paused_since = None
    return business


def _extend_dues(ticket: Ticket, started: datetime, ended: datetime, calendar) -> None:
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        ticket.first_response_due = rules.extend_due(
            calendar, ticket.first_response_due, started, ended
        )
    if ticket.resolution_due is not None:
        ticket.resolution_due = rules.extend_due(calendar, ticket.resolution_due, started, ended)


def _start_pause(ticket: Ticket, *, status: str, reason: str, at: datetime, by) -> SLAPause:
    ticket.status, ticket.paused_since = status, at
    return SLAPause.objects.create(
        ticket=ticket, status=status, reason=reason[:255], started_at=at, started_by=by
    )


_TICKET_SLA_FIELDS = [
    "status",
    "paused_since",
    "paused_business",
    "first_response_due",
    "resolution_due",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "outcome",
    "updated_at",
]


# --------------------------------------------------------------------------- attachments


def _clean_name(name: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    try:
        cleaned = get_valid_filename(base)
    except Exception:  # Django refuses names it cannot make safe ("..", "")
        cleaned = ""
    cleaned = cleaned or "fichier"
    if len(cleaned) > 150:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = f"{stem[: 140 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else cleaned[:150]
    return cleaned


def check_attachment(upload) -> str:
    """Validate one upload (real type and size); returns its kind. Raises ValidationError."""
    return validate_upload(upload, kinds=ATTACHMENT_KINDS, max_bytes=attachment_max_bytes())


def _check_all(uploads: Iterable[Any]) -> list[tuple[Any, str]]:
    checked = []
    for upload in uploads:
        try:
            checked.append((upload, check_attachment(upload)))
        except ValidationError as exc:
            raise ValidationError(
                {
                    "attachments": _("« %(name)s » : %(error)s")
                    % {
                        "name": _clean_name(getattr(upload, "name", "")),
                        "error": " ".join(exc.messages),
                    }
                }
            ) from exc
    return checked


def _store(message: TicketMessage, upload, kind: str, *, by, at: datetime) -> TicketAttachment:
    name = _clean_name(getattr(upload, "name", ""))
    attachment = TicketAttachment(
        ticket_id=message.ticket_id,
        message=message,
        name=name,
        size=upload.size,
        kind=kind,
        uploaded_by=by if by is not None and by.is_authenticated else None,
        created_at=at,
    )
    upload.seek(0)
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def add_attachment(
    *, message: TicketMessage, upload, by, at: datetime | None = None
) -> TicketAttachment:
    """Attach one file to an existing message (its author or staff). Refused: wrong real
    type, too large, closed ticket for a member user."""
    at = _now(at)
    ticket = _lock(message.ticket)
    if not (by.is_staff and by.is_active):
        if message.author_id != by.pk or not is_member_side(by, ticket.member_id):
            raise PermissionDenied
        if ticket.status == Status.CLOSED:
            raise ValidationError(_("Cette demande est close."))
    ((upload, kind),) = _check_all([upload])
    attachment = _store(message, upload, kind, by=by, at=at)
    log_action(
        "desk.ticket.attachment_added",
        actor=by,
        target=ticket,
        data={"name": attachment.name, "size": attachment.size, "kind": kind},
    )
    return attachment


# --------------------------------------------------------------------------- tickets


@transaction.atomic
def open_ticket(
    *,
    member: Member,
    subject: str,
    channel: str,
    opened_by=None,
    contact: Contact | None = None,
    requester=None,
    software: Software | None = None,
    version: SoftwareVersion | None = None,
    category: str = Category.USAGE,
    priority: int = Priority.NORMAL,
    description: str = "",
    attachments: Iterable[Any] = (),
    call: Call | None = None,
    follow_up_of: Ticket | None = None,
    email_message_id: str = "",
    at: datetime | None = None,
    notify: bool = True,
) -> Ticket:
    """Open a ticket: gapless reference, entitlement snapshot, SLA due dates, the request
    as the first message (with its attachments), acknowledgement mailed to the member.

    ``opened_by`` is the staff user typing it, or the portal user (then also the
    ``requester``), or None (mail from a contact). Refused: empty subject; contact, version,
    requester or follow-up inconsistent with the member/software; bad choice values; a
    portal user of another member (PermissionDenied); not entitled under the "refuse" policy.
    """
    at = _now(at)
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("Indiquez l'objet de la demande.")})
    _choice(channel, Channel, "channel", _("Canal inconnu."))
    _choice(category, Category, "category", _("Catégorie inconnue."))
    _choice(priority, Priority, "priority", _("Priorité inconnue."))
    if opened_by is not None and not opened_by.is_staff:
        if not is_member_side(opened_by, member):
            raise PermissionDenied
        requester = requester or opened_by
    if contact is not None and contact.member_id != member.pk:
        raise ValidationError({"contact": _("Ce contact n'appartient pas à cet adhérent.")})
    if version is not None and (software is None or version.software_id != software.pk):
        raise ValidationError({"version": _("Cette version n'est pas une version du logiciel.")})
    if requester is not None and not is_member_side(requester, member):
        raise ValidationError(
            {"requester": _("Le demandeur n'a pas accès au portail de cet adhérent.")}
        )
    if channel == Channel.PORTAL and requester is None:
        raise ValidationError({"requester": _("Une demande du portail a un demandeur.")})
    if follow_up_of is not None and follow_up_of.member_id != member.pk:
        raise ValidationError({"follow_up_of": _("La demande liée concerne un autre adhérent.")})
    checked = _check_all(attachments)

    ticket = Ticket(
        member=member,
        contact=contact,
        requester=requester,
        opened_by=opened_by,
        software=software,
        version=version,
        channel=channel,
        category=category,
        priority=priority,
        subject=subject[:200],
        description=description.strip(),
        follow_up_of=follow_up_of,
        email_message_id=email_message_id[:255],
        created_at=at,
    )
    entitlement = _apply_entitlement(ticket, _local_date(at))
    calendar = current_calendar()
    _set_dues(ticket, calendar)
    ticket.reference = next_number(
        rules.TICKET_SERIES, _local_date(at).year, width=rules.TICKET_NUMBER_WIDTH
    )
    if not ticket.email_message_id:
        ticket.email_message_id = make_msgid(domain=_mail_domain())
    ticket.save()

    by_user = opened_by if opened_by is not None and opened_by.is_authenticated else None
    first = TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.PUBLIC,
        via=TicketMessage.Via.EMAIL if channel == Channel.EMAIL else TicketMessage.Via.WEB,
        author=requester if requester is not None else by_user,
        contact=contact,
        author_email=(contact.email if contact else "") or "",
        from_staff=False,  # the member's request, even when an agent types it
        body=ticket.description or ticket.subject,
        email_message_id=email_message_id[:255],
        created_at=at,
    )
    for upload, kind in checked:
        _store(first, upload, kind, by=by_user, at=at)
    if call is not None:
        Call.objects.filter(pk=call.pk).update(
            ticket=ticket, member=member, contact=contact or call.contact
        )
        call.ticket = ticket
    log_action(
        "desk.ticket.opened",
        actor=by_user,
        target=ticket,
        data={
            "reference": ticket.reference,
            "member": member.pk,
            "channel": channel,
            "entitled": entitlement.entitled,
            "entitlement": entitlement.reason,
            "call": call.pk if call else None,
            "follow_up_of": follow_up_of.reference if follow_up_of else None,
        },
    )
    if notify:
        hours = desk_hours(at=at, calendar=calendar)
        _mail(
            ticket,
            template="ticket_opened",
            to=member_recipients(ticket),
            context={
                "url": ticket_url(ticket, staff=False),
                "desk_open": hours.is_open,
                "next_opening": _fmt_dt(hours.next_opening),
            },
            message_id="" if channel == Channel.EMAIL else ticket.email_message_id,
        )
    return ticket


_UPDATABLE = {"member", "contact", "software", "version", "category", "priority", "subject"}


@transaction.atomic
def update_ticket(*, ticket: Ticket, by, at: datetime | None = None, **changes) -> Ticket:
    """Change the ticket's member, contact, software, version, category, priority or
    subject (staff). A new member or software re-evaluates the entitlement (same policy as
    opening); a new priority recomputes the due dates from the opening with the pauses
    so far. Refused on a closed ticket and for inconsistent values."""
    _require_staff(by)
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise TypeError(f"update_ticket() cannot change {sorted(unknown)}")
    at = _now(at)
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("Cette demande est close."))
    before = {
        k: getattr(ticket, f"{k}_id" if k in {"member", "contact", "software", "version"} else k)
        for k in changes
    }
    for key, value in changes.items():
        setattr(ticket, key, value)
    # A new member drops a contact of the old one; a new software drops an old version.
    if (
        "contact" not in changes
        and ticket.contact_id
        and ticket.contact.member_id != ticket.member_id
    ):
        ticket.contact = None
    if (
        "version" not in changes
        and ticket.version_id
        and (ticket.software is None or ticket.version.software_id != ticket.software.pk)
    ):
        ticket.version = None
    ticket.subject = (ticket.subject or "").strip()[:200]
    if not ticket.subject:
        raise ValidationError({"subject": _("Indiquez l'objet de la demande.")})
    _choice(ticket.category, Category, "category", _("Catégorie inconnue."))
    _choice(ticket.priority, Priority, "priority", _("Priorité inconnue."))
    if ticket.contact is not None and ticket.contact.member_id != ticket.member_id:
        raise ValidationError({"contact": _("Ce contact n'appartient pas à cet adhérent.")})
    if ticket.version is not None and (
        ticket.software is None or ticket.version.software_id != ticket.software.pk
    ):
        raise ValidationError({"version": _("Cette version n'est pas une version du logiciel.")})
    if {"member", "software"} & set(changes):
        _apply_entitlement(ticket, _local_date(at))
    if "priority" in changes and before["priority"] != ticket.priority:
        pauses = [
            (p.started_at, p.ended_at)
            for p in ticket.pauses.filter(ended_at__isnull=False).order_by("started_at")
        ]
        _set_dues(ticket, current_calendar(), pauses=pauses)
    ticket.save()
    after = {
        k: getattr(ticket, f"{k}_id" if k in {"member", "contact", "software", "version"} else k)
        for k in changes
    }
    log_action(
        "desk.ticket.changed",
        actor=by,
        target=ticket,
        data={
            "before": {k: str(v) for k, v in before.items()},
            "after": {k: str(v) for k, v in after.items()},
            "entitled": ticket.entitled,
        },
    )
    return ticket


def _check_assignee(assignee) -> None:
    if assignee is not None and not (assignee.is_staff and assignee.is_active):
        raise ValidationError(
            {"assignee": _("Seul un agent du syndicat peut être chargé d'une demande.")}
        )


@transaction.atomic
def assign(*, ticket: Ticket, assignee, by, at: datetime | None = None) -> Ticket:
    """Give the ticket to an agent (None: back to the unassigned queue). The new assignee is
    mailed unless they assigned themselves. Refused: non-staff assignee, closed ticket."""
    _require_staff(by)
    _check_assignee(assignee)
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("Cette demande est close."))
    previous = ticket.assignee_id
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    log_action(
        "desk.ticket.assigned",
        actor=by,
        target=ticket,
        data={"from": previous, "to": assignee.pk if assignee else None},
    )
    if assignee is not None and assignee.pk != by.pk and assignee.pk != previous:
        _mail(
            ticket,
            template="ticket_assigned",
            to=[assignee.email],
            context={"tickets": [ticket], "by": by, "url": ticket_url(ticket, staff=True)},
        )
    return ticket


@transaction.atomic
def bulk_assign(*, tickets: Iterable[Ticket] | QuerySet, assignee, by) -> int:
    """Assign many tickets at once (closed ones are skipped); one audit entry per ticket
    and one mail to the assignee listing them. Returns the number assigned."""
    _require_staff(by)
    _check_assignee(assignee)
    ids = [t.pk for t in tickets]
    locked = list(
        Ticket.objects.select_for_update()
        .filter(pk__in=ids)
        .exclude(status=Status.CLOSED)
        .order_by("pk")
    )
    changed = [t for t in locked if t.assignee_id != (assignee.pk if assignee else None)]
    if not changed:
        return 0
    Ticket.objects.filter(pk__in=[t.pk for t in changed]).update(
        assignee=assignee, updated_at=timezone.now()
    )
    for ticket in changed:
        log_action(
            "desk.ticket.assigned",
            actor=by,
            target=ticket,
            data={
                "from": ticket.assignee_id,
                "to": assignee.pk if assignee else None,
                "bulk": True,
            },
        )
    if assignee is not None and assignee.pk != by.pk:
        first = changed[0]
        body = render_to_string(
            "desk/email/ticket_assigned.txt",
            {
                "tickets": changed,
                "by": by,
                "syndicate": settings.SYNDICATE,
                "url": ticket_url(first, staff=True)
                if len(changed) == 1
                else f"{settings.SITE_URL}/gestion/assistance/",
            },
        )
        subject = (
            f"[{first.reference}] {first.subject}"
            if len(changed) == 1
            else _("%(count)d demandes vous sont confiées") % {"count": len(changed)}
        )
        transaction.on_commit(
            partial(send_ticket_email.enqueue, subject=subject, body=body, to=[assignee.email])
        )
    return len(changed)


def _author_side(ticket: Ticket, *, by, contact: Contact | None) -> bool:
    """True for staff, False for the member side; PermissionDenied for anyone else."""
    if by is not None:
        if by.is_staff and by.is_active:
            return True
        if is_member_side(by, ticket.member_id):
            return False
        raise PermissionDenied
    if contact is not None and contact.member_id == ticket.member_id:
        return False
    raise PermissionDenied


def _reopen(ticket: Ticket, *, at: datetime, by, reason: str, calendar) -> None:
    """Resolved -> in progress; the time spent resolved pauses the resolution clock."""
    resolved_at = ticket.resolved_at or at
    business = calendar.between(resolved_at, at) if at > resolved_at else timedelta(0)
    SLAPause.objects.create(
        ticket=ticket,
        status=Status.RESOLVED,
        reason=(reason or _("Demande rouverte après résolution"))[:255],
        started_at=resolved_at,
        ended_at=at,
        business_duration=business,
        started_by=None,
        ended_by=by if by is not None and by.is_authenticated else None,
    )
    _extend_dues(ticket, resolved_at, at, calendar)
    ticket.paused_business += business
    ticket.status, ticket.outcome, ticket.resolved_at = Status.IN_PROGRESS, "", None


@transaction.atomic
def add_reply(
    *,
    ticket: Ticket,
    body: str,
    by=None,
    contact: Contact | None = None,
    attachments: Iterable[Any] = (),
    via: str = TicketMessage.Via.WEB,
    wait_for_member: bool = False,
    email_message_id: str = "",
    in_reply_to: str = "",
    at: datetime | None = None,
    notify: bool = True,
) -> TicketMessage:
    """A public reply, by staff or by the member side (a portal user ``by``, or a
    ``contact`` for mail from a contact without an account).

    Staff: the first one sets ``first_responded_at``; "new" becomes "in progress";
    ``wait_for_member`` pauses the SLA ("waiting for the member"); the member is mailed.
    Member side: a ticket waiting for the member resumes; a resolved one reopens; the
    assignee is mailed. Refused: empty body, bad attachment (nothing is saved), closed
    ticket ("open a new request"), someone outside the ticket's member (PermissionDenied).
    """
    at = _now(at)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Le message est vide.")})
    staff = _author_side(ticket, by=by, contact=contact)
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(
            _("Cette demande est close : ouvrez une nouvelle demande, elle y sera liée.")
        )
    checked = _check_all(attachments)
    calendar = current_calendar()
    user = by if by is not None and by.is_authenticated else None
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.PUBLIC,
        via=via,
        author=user,
        contact=contact,
        author_email=(contact.email if contact else (user.email if user else "")) or "",
        from_staff=staff,
        body=body,
        email_message_id=(email_message_id or (make_msgid(domain=_mail_domain()) if staff else ""))[
            :255
        ],
        in_reply_to=in_reply_to[:255],
        created_at=at,
    )
    for upload, kind in checked:
        _store(message, upload, kind, by=user, at=at)

    before = ticket.status
    if staff:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = at
        if ticket.status == Status.NEW:
            ticket.status = Status.IN_PROGRESS
        if wait_for_member and ticket.status in (Status.IN_PROGRESS, Status.WAITING_VENDOR):
            _end_pause(ticket, at=at, by=by, calendar=calendar)
            _start_pause(
                ticket,
                status=Status.WAITING_MEMBER,
                reason=_("Réponse de l'adhérent attendue"),
                at=at,
                by=by,
            )
    else:
        if ticket.status == Status.WAITING_MEMBER:
            _end_pause(ticket, at=at, by=user, calendar=calendar)
            ticket.status = Status.IN_PROGRESS
        elif ticket.status == Status.RESOLVED:
            _reopen(ticket, at=at, by=user, reason=_("Réponse de l'adhérent"), calendar=calendar)
    ticket.save(update_fields=_TICKET_SLA_FIELDS)
    log_action(
        "desk.ticket.replied",
        actor=user,
        target=ticket,
        data={
            "message": message.pk,
            "staff": staff,
            "via": via,
            "status": [before, ticket.status],
            "attachments": len(checked),
        },
    )
    if notify:
        if staff:
            _mail(
                ticket,
                template="ticket_reply",
                to=member_recipients(ticket),
                context={"message": message, "url": ticket_url(ticket, staff=False)},
                message_id=message.email_message_id,
            )
        elif ticket.assignee_id:
            _mail(
                ticket,
                template="member_reply",
                to=[ticket.assignee.email],
                context={"message": message, "url": ticket_url(ticket, staff=True)},
            )
    return message


@transaction.atomic
def add_note(
    *, ticket: Ticket, body: str, by, attachments: Iterable[Any] = (), at: datetime | None = None
) -> TicketMessage:
    """An internal note (staff only, never shown to the member, no mail). Allowed on any
    ticket, closed ones included. Refused: empty body, bad attachment."""
    _require_staff(by)
    at = _now(at)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("La note est vide.")})
    ticket = _lock(ticket)
    checked = _check_all(attachments)
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.INTERNAL,
        author=by,
        author_email=by.email,
        from_staff=True,
        body=body,
        created_at=at,
    )
    for upload, kind in checked:
        _store(message, upload, kind, by=by, at=at)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    log_action("desk.ticket.noted", actor=by, target=ticket, data={"message": message.pk})
    return message


@transaction.atomic
def log_time(
    *,
    ticket: Ticket,
    minutes: int,
    by,
    agent=None,
    on: date | None = None,
    note: str = "",
) -> TimeEntry:
    """Record time spent by ``agent`` (default: ``by``) on ``on`` (default: today).
    Refused: minutes not in 1..1440, non-staff agent."""
    _require_staff(by)
    agent = agent or by
    if not (agent.is_staff and agent.is_active):
        raise ValidationError({"agent": _("Le temps est saisi pour un agent du syndicat.")})
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= 24 * 60:
        raise ValidationError({"minutes": _("Indiquez une durée entre 1 et 1 440 minutes.")})
    entry = TimeEntry.objects.create(
        ticket=ticket,
        agent=agent,
        minutes=minutes,
        date=on or timezone.localdate(),
        note=note.strip()[:255],
    )
    log_action(
        "desk.ticket.time_logged",
        actor=by,
        target=ticket,
        data={"minutes": minutes, "agent": agent.pk, "date": entry.date.isoformat()},
    )
    return entry


@transaction.atomic
def pause_sla(
    *,
    ticket: Ticket,
    reason: str,
    by,
    status: str = Status.WAITING_MEMBER,
    at: datetime | None = None,
) -> Ticket:
    """Wait for the member or the vendor: the SLA clocks stop. Switching from one waiting
    status to the other ends the first pause and starts another. Refused: no reason,
    status not a waiting one, ticket not open."""
    _require_staff(by)
    at = _now(at)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez pourquoi le délai est suspendu.")})
    if status not in WAITING_STATUSES:
        raise ValidationError(
            {"status": _("Une pause correspond à une attente (adhérent ou éditeur).")}
        )
    ticket = _lock(ticket)
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError(_("Seule une demande en cours peut être mise en attente."))
    if ticket.status == status:
        raise ValidationError(_("La demande est déjà dans cet état."))
    before = ticket.status
    _end_pause(ticket, at=at, by=by, calendar=current_calendar())
    _start_pause(ticket, status=status, reason=reason, at=at, by=by)
    ticket.save(update_fields=_TICKET_SLA_FIELDS)
    log_action(
        "desk.ticket.paused",
        actor=by,
        target=ticket,
        data={"status": [before, status], "reason": reason},
    )
    return ticket


@transaction.atomic
def resume_sla(
    *, ticket: Ticket, by, status: str = Status.IN_PROGRESS, at: datetime | None = None
) -> Ticket:
    """End the wait: the clocks run again and the due dates move later by the business time
    spent waiting. Refused: ticket not waiting."""
    _require_staff(by)
    at = _now(at)
    if status not in (Status.IN_PROGRESS, Status.NEW):
        raise ValidationError({"status": _("État de reprise invalide.")})
    ticket = _lock(ticket)
    if ticket.paused_since is None:
        raise ValidationError(_("Le délai de cette demande n'est pas suspendu."))
    before = ticket.status
    paused = _end_pause(ticket, at=at, by=by, calendar=current_calendar())
    ticket.status = status
    ticket.save(update_fields=_TICKET_SLA_FIELDS)
    log_action(
        "desk.ticket.resumed",
        actor=by,
        target=ticket,
        data={"status": [before, status], "paused_business_seconds": int(paused.total_seconds())},
    )
    return ticket


def change_status(
    *, ticket: Ticket, status: str, by, reason: str = "", at: datetime | None = None
) -> Ticket:
    """Move between the working statuses (new, in progress, waiting for the member/vendor).
    Waiting statuses go through ``pause_sla`` (reason required), leaving them through
    ``resume_sla``. Resolved/closed need an outcome: use ``resolve``/``close``/``reopen``."""
    _require_staff(by)
    current = Ticket.objects.only("status").get(pk=ticket.pk).status
    if status in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError(
            {"status": _("Utilisez « Résoudre » ou « Clore » (une issue est requise).")}
        )
    if current == Status.RESOLVED and status == Status.IN_PROGRESS:
        return reopen(ticket=ticket, by=by, reason=reason, at=at)
    if not rules.can_transition(current, status):
        raise ValidationError(
            {
                "status": _("Passage de « %(a)s » à « %(b)s » impossible.")
                % {
                    "a": Status(current).label,
                    "b": Status(status).label if status in Status.values else status,
                }
            }
        )
    if status in WAITING_STATUSES:
        return pause_sla(ticket=ticket, reason=reason, by=by, status=status, at=at)
    if current in WAITING_STATUSES:
        return resume_sla(ticket=ticket, by=by, status=status, at=at)
    with transaction.atomic():
        locked = _lock(ticket)
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        log_action(
            "desk.ticket.status_changed",
            actor=by,
            target=locked,
            data={"status": [current, status]},
        )
    return locked


@transaction.atomic
def resolve(
    *,
    ticket: Ticket,
    by,
    outcome: str = Outcome.SOLVED,
    at: datetime | None = None,
    notify: bool = True,
) -> Ticket:
    """Resolve (outcome "solved" or "by_sheet"): the resolution clock stops, a running pause
    ends, the member is mailed and may rate the answer or reply to reopen. Refused: other
    outcome, ticket not open."""
    _require_staff(by)
    at = _now(at)
    if outcome not in RESOLVE_OUTCOMES:
        raise ValidationError({"outcome": _("Issue de résolution invalide.")})
    ticket = _lock(ticket)
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError(_("Seule une demande en cours peut être résolue."))
    before = ticket.status
    _end_pause(ticket, at=at, by=by, calendar=current_calendar())
    ticket.status, ticket.outcome, ticket.resolved_at = Status.RESOLVED, outcome, at
    ticket.save(update_fields=_TICKET_SLA_FIELDS)
    _event(
        ticket,
        _("Demande résolue (%(outcome)s).") % {"outcome": Outcome(outcome).label},
        at=at,
        by=by,
    )
    log_action(
        "desk.ticket.resolved",
        actor=by,
        target=ticket,
        data={"status": [before, Status.RESOLVED], "outcome": outcome},
    )
    if notify:
        _mail(
            ticket,
            template="ticket_resolved",
            to=member_recipients(ticket),
            context={"url": ticket_url(ticket, staff=False)},
        )
    return ticket


@transaction.atomic
def close(
    *,
    ticket: Ticket,
    by,
    outcome: str | None = None,
    duplicate_of: Ticket | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Close for good. A resolved ticket keeps its outcome. An open one needs the outcome
    "duplicate" (with ``duplicate_of``, same member) or "abandoned". ``by`` None = the
    automatic closing of resolved tickets. Refused: closed already, missing outcome."""
    if by is not None:
        _require_staff(by)
    at = _now(at)
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("Cette demande est déjà close."))
    before = ticket.status
    if ticket.status != Status.RESOLVED:
        if outcome not in CLOSE_OUTCOMES:
            raise ValidationError(
                {"outcome": _("Indiquez l'issue : doublon ou abandonnée (ou résolvez la demande).")}
            )
        if outcome == Outcome.DUPLICATE:
            if duplicate_of is None or duplicate_of.pk == ticket.pk:
                raise ValidationError(
                    {"duplicate_of": _("Indiquez la demande dont celle-ci est le doublon.")}
                )
            if duplicate_of.member_id != ticket.member_id:
                raise ValidationError(
                    {"duplicate_of": _("La demande d'origine concerne un autre adhérent.")}
                )
            ticket.duplicate_of = duplicate_of
        _end_pause(ticket, at=at, by=by, calendar=current_calendar())
        ticket.outcome = outcome
    ticket.status, ticket.closed_at = Status.CLOSED, at
    ticket.save(update_fields=[*_TICKET_SLA_FIELDS, "duplicate_of"])
    log_action(
        "desk.ticket.closed",
        actor=by,
        target=ticket,
        data={
            "status": [before, Status.CLOSED],
            "outcome": ticket.outcome,
            "automatic": by is None,
        },
    )
    return ticket


@transaction.atomic
def reopen(*, ticket: Ticket, by, reason: str = "", at: datetime | None = None) -> Ticket:
    """Reopen a resolved ticket (staff, or a member user of its member). The time spent
    resolved pauses the resolution clock. Refused: a closed ticket (open a follow-up
    ticket with ``open_ticket(follow_up_of=...)``), a ticket that is not resolved."""
    at = _now(at)
    staff = _author_side(ticket, by=by, contact=None)
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(
            _("Cette demande est close : ouvrez une nouvelle demande, elle y sera liée.")
        )
    if ticket.status != Status.RESOLVED:
        raise ValidationError(_("Seule une demande résolue peut être rouverte."))
    _reopen(ticket, at=at, by=by, reason=reason.strip(), calendar=current_calendar())
    ticket.save(update_fields=_TICKET_SLA_FIELDS)
    _event(
        ticket,
        _("Demande rouverte.") + (f" {reason.strip()}" if reason.strip() else ""),
        at=at,
        by=by,
    )
    log_action(
        "desk.ticket.reopened",
        actor=by,
        target=ticket,
        data={"staff": staff, "reason": reason.strip()},
    )
    return ticket


@transaction.atomic
def redirect_out_of_scope(
    *, ticket: Ticket, exclusion: Exclusion, by, at: datetime | None = None
) -> Ticket:
    """One click for an excluded request (annex: "Ne sont pas compris dans l'assistance"):
    the exclusion's standard answer is sent as a public reply, the ticket becomes "out of
    scope" and closes as "redirected" (it counts for the exclusion). Refused: ticket not
    open, inactive exclusion."""
    _require_staff(by)
    at = _now(at)
    if not exclusion.is_active:
        raise ValidationError({"exclusion": _("Cette exclusion n'est plus active.")})
    ticket = _lock(ticket)
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError(_("Seule une demande en cours peut être réorientée."))
    message = add_reply(ticket=ticket, body=exclusion.answer, by=by, at=at)
    ticket = _lock(ticket)
    before = ticket.status
    _end_pause(ticket, at=at, by=by, calendar=current_calendar())
    ticket.category, ticket.exclusion = Category.OUT_OF_SCOPE, exclusion
    ticket.outcome = Outcome.REDIRECTED
    ticket.status, ticket.resolved_at, ticket.closed_at = Status.CLOSED, at, at
    ticket.save(update_fields=[*_TICKET_SLA_FIELDS, "category", "exclusion"])
    log_action(
        "desk.ticket.redirected",
        actor=by,
        target=ticket,
        data={"status": [before, Status.CLOSED], "exclusion": exclusion.pk, "message": message.pk},
    )
    return ticket


@transaction.atomic
def rate(
    *, ticket: Ticket, satisfied: bool, by, comment: str = "", at: datetime | None = None
) -> Ticket:
    """The member's satisfaction, once, when the ticket has been resolved. Refused: staff
    or another member's user (PermissionDenied), ticket not resolved, already rated."""
    at = _now(at)
    if not is_member_side(by, ticket.member_id):
        raise PermissionDenied
    ticket = _lock(ticket)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED) or ticket.resolved_at is None:
        raise ValidationError(_("Vous pourrez évaluer la réponse une fois la demande résolue."))
    if ticket.satisfaction:
        raise ValidationError(_("Vous avez déjà évalué cette demande."))
    ticket.satisfaction = Satisfaction.SATISFIED if satisfied else Satisfaction.UNSATISFIED
    ticket.satisfaction_comment = (comment or "").strip()
    ticket.rated_at, ticket.rated_by = at, by
    ticket.save(
        update_fields=["satisfaction", "satisfaction_comment", "rated_at", "rated_by", "updated_at"]
    )
    log_action(
        "desk.ticket.rated",
        actor=by,
        target=ticket,
        data={"satisfaction": ticket.satisfaction, "comment": bool(ticket.satisfaction_comment)},
    )
    return ticket


def close_resolved(*, at: datetime | None = None, after_days: int | None = None) -> int:
    """Close tickets resolved more than ``after_days`` calendar days ago (setting
    DESK_AUTO_CLOSE_DAYS, default 7); they keep their outcome. Returns how many."""
    at = _now(at)
    days = (
        after_days
        if after_days is not None
        else getattr(settings, "DESK_AUTO_CLOSE_DAYS", DEFAULT_AUTO_CLOSE_DAYS)
    )
    limit = at - timedelta(days=days)
    count = 0
    for ticket in Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=limit).only("pk"):
        try:
            close(ticket=ticket, by=None, at=at)
            count += 1
        except ValidationError:  # reopened meanwhile
            continue
    return count


# --------------------------------------------------------------------------- scope guard


def suggest_exclusions(text: str) -> list[rules.ExclusionMatch]:
    """The active exclusions the text evokes (one query), for the agent's suggestion."""
    return rules.match_exclusions(text, Exclusion.objects.active())


# --------------------------------------------------------------------------- queues

#: Queue tabs, in display order: view name -> label.
QUEUE_VIEWS = {
    "mine": gettext_lazy("Mes demandes"),
    "unassigned": gettext_lazy("Non attribuées"),
    "breaching": gettext_lazy("Délai proche ou dépassé"),
    "open": gettext_lazy("Toutes les demandes en cours"),
    "waiting": gettext_lazy("En attente"),
    "resolved": gettext_lazy("Résolues"),
    "closed": gettext_lazy("Closes"),
    "all": gettext_lazy("Toutes"),
}
QUEUE_ORDERINGS = {
    "due": ("resolution_due", "id"),
    "-due": ("-resolution_due", "-id"),
    "priority": ("-priority", "resolution_due", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
}


def queue(
    user,
    *,
    view: str = "mine",
    ordering: str = "due",
    now: datetime | None = None,
    calendar=None,
    targets: dict[int, SLATarget] | None = None,
    member: Member | None = None,
    software: Software | None = None,
    status: str | None = None,
    priority: int | None = None,
    category: str | None = None,
    channel: str | None = None,
    entitled: bool | None = None,
    search: str = "",
) -> QuerySet[Ticket]:
    """The agent queue as one queryset (select_related: member, contact, software, version,
    assignee): paginate it and render rows without further queries.

    ``view``: see QUEUE_VIEWS ("mine" = open tickets assigned to ``user``; "breaching" =
    open running tickets within the warning threshold or overdue). ``ordering``: see
    QUEUE_ORDERINGS ("due" = resolution due date, the earliest first; the null due dates
    last). The queryset itself is one query; "breaching" costs two small ones more (SLA
    targets and closure days) unless ``targets`` and ``calendar`` are passed. Always
    scoped with ``visible_to(user)``. Unknown view or ordering: ValueError."""
    if view not in QUEUE_VIEWS:
        raise ValueError(f"unknown queue view {view!r}")
    if ordering not in QUEUE_ORDERINGS:
        raise ValueError(f"unknown queue ordering {ordering!r}")
    qs = Ticket.objects.visible_to(user)
    if view == "mine":
        qs = qs.open().filter(assignee=user)
    elif view == "unassigned":
        qs = qs.open().filter(assignee__isnull=True)
    elif view == "breaching":
        qs = qs.breaching(
            now=_now(now),
            calendar=calendar or current_calendar(),
            targets=targets if targets is not None else SLATarget.objects.as_map(),
        )
    elif view == "open":
        qs = qs.open()
    elif view == "waiting":
        qs = qs.open().filter(status__in=WAITING_STATUSES)
    elif view == "resolved":
        qs = qs.filter(status=Status.RESOLVED)
    elif view == "closed":
        qs = qs.filter(status=Status.CLOSED)
    filters: dict[str, Any] = {}
    for key, value in (
        ("member", member),
        ("software", software),
        ("status", status),
        ("priority", priority),
        ("category", category),
        ("channel", channel),
        ("entitled", entitled),
    ):
        if value is not None and value != "":
            filters[key] = value
    qs = qs.filter(**filters)
    search = (search or "").strip()
    if search:
        if rules.find_reference(f"[{search.upper()}]"):
            qs = qs.filter(reference=search.upper())
        else:
            qs = qs.filter(subject__icontains=search)
    return qs.for_list().order_by(*(_queue_order(f) for f in QUEUE_ORDERINGS[ordering]))


def dashboard_counts(
    user, *, now: datetime | None = None, calendar=None, targets: dict | None = None
) -> dict[str, int]:
    """The desk's figures on the staff dashboard, each the number of rows of the queue tab
    it links to (the tab's own queryset, never a second definition): "mine", "unassigned",
    "breaching" and "waiting" for the member (``waiting_member``); plus the inbound mail
    waiting in the triage list (``emails``, None without ``desk.view_inboundemail``).

    One COUNT per tab (Django drops the tab's joins and ordering; each reads an index of
    the open tickets) and one of mail; the "breaching" tab reads the SLA targets and the
    closure days unless they are passed. One aggregate with each tab as a subquery took
    6-8 ms at 1M tickets."""
    now = _now(now)
    tabs = {
        "mine": {"view": "mine"},
        "unassigned": {"view": "unassigned"},
        "breaching": {"view": "breaching"},
        "waiting_member": {"view": "waiting", "status": Status.WAITING_MEMBER},
    }
    counts: dict = {
        name: queue(user, now=now, calendar=calendar, targets=targets, **tab).count()
        for name, tab in tabs.items()
    }
    counts["emails"] = (
        InboundEmail.objects.filter(status=InboundEmail.Status.PENDING).count()
        if user.has_perm("desk.view_inboundemail")
        else None
    )
    return counts


# Only the due date can be empty; an explicit NULLS LAST on the other (never-null) columns
# would stop PostgreSQL from reading them in index order (a full sort of the table).
_NULLABLE_ORDER_FIELDS = {"resolution_due", "first_response_due"}


def _queue_order(field: str):
    name = field.removeprefix("-")
    if name not in _NULLABLE_ORDER_FIELDS:
        return field
    return F(name).desc(nulls_last=True) if field.startswith("-") else F(name).asc(nulls_last=True)


# --------------------------------------------------------------------------- SLA watch


@dataclass(frozen=True)
class Breach:
    ticket: Ticket
    clock: str  # "first_response" or "resolution"
    level: str  # "soon" or "breached"
    due: datetime
    remaining: timedelta


def find_breaching(*, now: datetime | None = None, calendar=None) -> list[Breach]:
    """Every running clock of an open ticket that is breaching soon or breached at ``now``
    (three queries whatever the number of tickets)."""
    now = _now(now)
    calendar = calendar or current_calendar()
    targets = SLATarget.objects.as_map()
    found = []
    for ticket in Ticket.objects.breaching(now=now, calendar=calendar, targets=targets).for_list():
        target = targets.get(ticket.priority)
        for name, state in ticket.sla(now=now, calendar=calendar, target=target).items():
            if state.is_alert:
                found.append(Breach(ticket, name, str(state.state), state.due, state.remaining))
    return found


def managers() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=roles.MANAGER)
        .distinct()
    )


def watch_sla(*, now: datetime | None = None) -> int:
    """Notify the assignee and the managers of each clock breaching soon or breached, once
    per ticket, clock, level and due date. Returns the number of alerts sent."""
    now = _now(now)
    manager_emails = [u.email for u in managers()]
    sent = 0
    for breach in find_breaching(now=now):
        try:
            with transaction.atomic():
                SLAAlert.objects.create(
                    ticket=breach.ticket,
                    clock=breach.clock,
                    level=breach.level,
                    due=breach.due,
                    sent_at=now,
                )
                ticket = breach.ticket
                to = list(manager_emails)
                if ticket.assignee_id:
                    to.append(ticket.assignee.email)
                _mail(
                    ticket,
                    template="sla_alert",
                    to=to,
                    context={
                        "breach": breach,
                        "clock_label": SLAAlert.Clock(breach.clock).label,
                        "level_label": SLAAlert.Level(breach.level).label,
                        "due": _fmt_dt(breach.due),
                        "url": ticket_url(ticket, staff=True),
                    },
                )
                log_action(
                    "desk.ticket.sla_alert",
                    target=ticket,
                    data={
                        "clock": breach.clock,
                        "level": breach.level,
                        "due": breach.due.isoformat(),
                    },
                )
        except IntegrityError:  # already sent
            continue
        sent += 1
    return sent


# --------------------------------------------------------------------------- inbound mail

_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


def _is_auto_reply(message: EmailMessage) -> bool:
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return True
    if str(message.get("Precedence", "")).strip().lower() in _AUTO_PRECEDENCE:
        return True
    return bool(message.get("X-Autoreply") or message.get("X-Autorespond"))


def _message_ids(value: str) -> list[str]:
    return [
        part.strip()
        for part in str(value or "").replace("\n", " ").split()
        if part.strip().startswith("<")
    ]


def text_of(message: EmailMessage) -> str:
    """The message's text: the text/plain body, else the HTML body without tags."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        content = strip_tags(content)
    return str(content).replace("\r\n", "\n").strip()


def _mail_attachments(message: EmailMessage) -> tuple[list[ContentFile], list[tuple[str, str]]]:
    accepted, refused = [], []
    for part in message.iter_attachments():
        name = _clean_name(part.get_filename() or "piece-jointe")
        try:
            data = part.get_content()
        except (LookupError, UnicodeDecodeError):
            data = part.get_payload(decode=True) or b""
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif not isinstance(data, bytes):  # message/rfc822 and the like
            data = bytes(data) if hasattr(data, "__bytes__") else str(data).encode("utf-8")
        upload = ContentFile(data, name=name)
        try:
            check_attachment(upload)
        except ValidationError as exc:
            refused.append((name, " ".join(exc.messages)))
            continue
        accepted.append(upload)
    return accepted, refused


def _senders(address: str) -> tuple[list, list[Contact]]:
    """Portal users (non-staff, active) and contacts with this address."""
    if not address:
        return [], []
    users = list(
        get_user_model()
        .objects.filter(email__iexact=address, is_active=True, is_staff=False)
        .prefetch_related("memberships")
    )
    contacts = list(Contact.objects.filter(email__iexact=address).select_related("member"))
    return users, contacts


def _thread(message: EmailMessage, subject: str) -> Ticket | None:
    ids = _message_ids(message.get("In-Reply-To", "")) + _message_ids(message.get("References", ""))
    if ids:
        found = (
            TicketMessage.objects.filter(email_message_id__in=ids)
            .select_related("ticket")
            .order_by("-created_at")
            .first()
        )
        if found is not None:
            return found.ticket
        ticket = Ticket.objects.filter(email_message_id__in=ids).first()
        if ticket is not None:
            return ticket
    reference = rules.find_reference(subject)
    if reference:
        return Ticket.objects.filter(reference=reference).first()
    return None


def _route(inbound: InboundEmail, message: EmailMessage, at: datetime) -> None:
    if _is_auto_reply(message):
        inbound.status, inbound.reason = InboundEmail.Status.PENDING, InboundEmail.Reason.AUTO_REPLY
        return
    users, contacts = _senders(inbound.from_address)
    ticket = _thread(message, inbound.subject)
    if ticket is not None:
        inbound.ticket = ticket
        user = next(
            (u for u in users if any(m.member_id == ticket.member_id for m in u.memberships.all())),
            None,
        )
        contact = next((c for c in contacts if c.member_id == ticket.member_id), None)
        if user is None and contact is None:
            inbound.status = InboundEmail.Status.PENDING
            inbound.reason = InboundEmail.Reason.UNKNOWN_SENDER
            return
        if ticket.status == Status.CLOSED:
            inbound.status = InboundEmail.Status.PENDING
            inbound.reason = InboundEmail.Reason.CLOSED_TICKET
            return
        accepted, refused = _mail_attachments(message)
        add_reply(
            ticket=ticket,
            body=rules.strip_quoted_reply(inbound.body) or inbound.subject or "(vide)",
            by=user,
            contact=contact,
            attachments=accepted,
            via=TicketMessage.Via.EMAIL,
            email_message_id=inbound.message_id,
            in_reply_to=" ".join(_message_ids(message.get("In-Reply-To", ""))),
            at=at,
        )
        _note_refused(ticket, refused, at)
        inbound.status = InboundEmail.Status.PROCESSED
        return
    members: dict[int, Member] = {}
    for user in users:
        for membership in user.memberships.all():
            members.setdefault(membership.member_id, None)
    for contact in contacts:
        members[contact.member_id] = contact.member
    if not members:
        inbound.status = InboundEmail.Status.PENDING
        inbound.reason = InboundEmail.Reason.UNKNOWN_SENDER
        return
    if len(members) > 1:
        inbound.status = InboundEmail.Status.PENDING
        inbound.reason = InboundEmail.Reason.AMBIGUOUS_SENDER
        return
    member_id = next(iter(members))
    member = members[member_id] or Member.objects.get(pk=member_id)
    user = next(
        (u for u in users if any(m.member_id == member_id for m in u.memberships.all())), None
    )
    contact = next((c for c in contacts if c.member_id == member_id), None)
    accepted, refused = _mail_attachments(message)
    ticket = open_ticket(
        member=member,
        subject=inbound.subject or _("(sans objet)"),
        channel=Channel.EMAIL,
        opened_by=user,
        requester=user,
        contact=contact,
        category=Category.OTHER,
        description=inbound.body,
        attachments=accepted,
        email_message_id=inbound.message_id,
        at=at,
    )
    _note_refused(ticket, refused, at)
    inbound.ticket, inbound.status = ticket, InboundEmail.Status.PROCESSED


def _note_refused(ticket: Ticket, refused: list[tuple[str, str]], at: datetime) -> None:
    for name, reason in refused:
        _event(
            ticket,
            _(
                "Pièce jointe « %(name)s » non reprise : %(reason)s "
                "Le courriel d'origine est conservé."
            )
            % {"name": name, "reason": reason},
            at=at,
        )


def ingest_email(message: EmailMessage, *, at: datetime | None = None) -> InboundEmail:
    """Take one inbound mail (``email.message.EmailMessage``, policy ``email.policy.default``).

    Always stores it raw (InboundEmail, .eml file): nothing is lost. Then:
    * a reply (In-Reply-To/References matching a ticket's or message's Message-ID, or
      "[AS-2026-00042]" in the subject) from the ticket's member side threads in as a
      public reply (reopening a resolved ticket); on a closed ticket it goes to triage;
    * otherwise a mail from a known contact or portal user of exactly one member opens a
      ticket (channel "email");
    * unknown or ambiguous senders, automatic replies, refusals (entitlement "refuse"
      policy) and failures wait in the triage list (status "pending", with the reason).
    Idempotent on Message-ID: a mail already ingested returns the existing row.
    Attachments of the wrong type or size are left out, with a note on the ticket.
    """
    at = _now(at)
    ids = _message_ids(message.get("Message-ID", ""))
    message_id = ids[0][:255] if ids else ""
    if message_id:
        existing = InboundEmail.objects.filter(message_id=message_id).first()
        if existing is not None:
            return existing
    name, address = parseaddr(str(message.get("From", "")))
    address = address.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        address = ""
    subject = " ".join(str(message.get("Subject", "")).split())[:255]
    try:
        body = text_of(message)
    except Exception:  # a broken MIME structure: keep the raw mail for triage
        logger.exception("Unreadable mail body %s", message_id)
        body = ""
    inbound = InboundEmail(
        received_at=at,
        message_id=message_id,
        from_address=address[:254],
        from_name=name[:200],
        subject=subject,
        body=body,
        status=InboundEmail.Status.PENDING,
    )
    inbound.raw.save("message.eml", ContentFile(message.as_bytes()), save=False)
    try:
        with transaction.atomic():
            _route(inbound, message, at)
            inbound.save()
    except ValidationError as exc:
        inbound.pk, inbound._state.adding = None, True
        inbound.status, inbound.reason = InboundEmail.Status.PENDING, InboundEmail.Reason.REFUSED
        inbound.error = " ".join(exc.messages)
        inbound.ticket = None if inbound.ticket_id is None else inbound.ticket
        inbound.save()
    except Exception as exc:
        logger.exception("Inbound mail %s could not be processed", message_id)
        inbound.pk, inbound._state.adding = None, True
        inbound.status, inbound.reason = InboundEmail.Status.PENDING, InboundEmail.Reason.FAILED
        inbound.error = f"{type(exc).__name__}: {exc}"[:2000]
        inbound.ticket = None
        inbound.save()
    log_action(
        "desk.mail.received",
        target=inbound,
        data={"status": inbound.status, "reason": inbound.reason, "ticket": inbound.ticket_id},
    )
    return inbound


@transaction.atomic
def attach_inbound(*, inbound: InboundEmail, ticket: Ticket, by) -> TicketMessage:
    """Triage: file a pending mail into an open ticket as a public message from the member
    side (no notification). Refused: mail not pending, closed ticket."""
    _require_staff(by)
    inbound = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if inbound.status != InboundEmail.Status.PENDING:
        raise ValidationError(_("Ce courriel a déjà été traité."))
    locked = _lock(ticket)
    if locked.status == Status.CLOSED:
        raise ValidationError(
            {
                "ticket": _(
                    "Cette demande est close : ouvrez une nouvelle demande, elle y sera liée."
                )
            }
        )
    at = timezone.now()
    message = TicketMessage.objects.create(
        ticket=locked,
        kind=TicketMessage.Kind.PUBLIC,
        via=TicketMessage.Via.EMAIL,
        author_email=inbound.from_address,
        body=rules.strip_quoted_reply(inbound.body) or inbound.subject or "(vide)",
        email_message_id=inbound.message_id,
        created_at=inbound.received_at,
    )
    inbound.status, inbound.ticket = InboundEmail.Status.PROCESSED, locked
    inbound.handled_by, inbound.handled_at = by, at
    inbound.save(update_fields=["status", "ticket", "handled_by", "handled_at"])
    log_action("desk.mail.attached", actor=by, target=locked, data={"inbound": inbound.pk})
    return message


@transaction.atomic
def open_ticket_from_inbound(
    *,
    inbound: InboundEmail,
    member: Member,
    by,
    contact: Contact | None = None,
    software: Software | None = None,
    category: str = Category.OTHER,
    priority: int = Priority.NORMAL,
) -> Ticket:
    """Triage: open a ticket from a pending mail (linked to the closed ticket it replied
    to, if any). Refused: mail not pending, and whatever open_ticket refuses."""
    _require_staff(by)
    inbound = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if inbound.status != InboundEmail.Status.PENDING:
        raise ValidationError(_("Ce courriel a déjà été traité."))
    follow_up_of = (
        inbound.ticket if inbound.ticket_id and inbound.ticket.member_id == member.pk else None
    )
    ticket = open_ticket(
        member=member,
        contact=contact,
        software=software,
        subject=inbound.subject or _("(sans objet)"),
        description=inbound.body,
        channel=Channel.EMAIL,
        category=category,
        priority=priority,
        opened_by=by,
        follow_up_of=follow_up_of,
    )
    inbound.status, inbound.ticket = InboundEmail.Status.PROCESSED, ticket
    inbound.handled_by, inbound.handled_at = by, timezone.now()
    inbound.save(update_fields=["status", "ticket", "handled_by", "handled_at"])
    log_action("desk.mail.ticket_opened", actor=by, target=ticket, data={"inbound": inbound.pk})
    return ticket


@transaction.atomic
def dismiss_inbound(*, inbound: InboundEmail, by, reason: str = "") -> InboundEmail:
    """Triage: set a pending mail aside (spam, out-of-office...). It stays stored."""
    _require_staff(by)
    inbound = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if inbound.status != InboundEmail.Status.PENDING:
        raise ValidationError(_("Ce courriel a déjà été traité."))
    inbound.status = InboundEmail.Status.DISMISSED
    inbound.handled_by, inbound.handled_at = by, timezone.now()
    if reason.strip():
        inbound.error = (inbound.error + "\n" + reason.strip()).strip()
    inbound.save(update_fields=["status", "handled_by", "handled_at", "error"])
    log_action("desk.mail.dismissed", actor=by, target=inbound, data={"reason": reason.strip()})
    return inbound


__all__ = [
    "ATTACHMENT_KINDS",
    "QUEUE_ORDERINGS",
    "QUEUE_VIEWS",
    "Breach",
    "Caller",
    "DeskHours",
    "add_attachment",
    "add_note",
    "add_reply",
    "assign",
    "attach_inbound",
    "bulk_assign",
    "change_status",
    "check_attachment",
    "close",
    "close_resolved",
    "desk_hours",
    "dismiss_inbound",
    "end_call",
    "entitlement_policy",
    "evaluate_entitlement",
    "find_breaching",
    "identify_call",
    "identify_caller",
    "ingest_email",
    "is_member_side",
    "log_time",
    "member_recipients",
    "open_ticket",
    "open_ticket_from_inbound",
    "pause_sla",
    "queue",
    "rate",
    "redirect_out_of_scope",
    "reopen",
    "resolve",
    "resume_sla",
    "start_call",
    "suggest_exclusions",
    "text_of",
    "ticket_url",
    "update_ticket",
    "watch_sla",
]


# Reference data ------------------------------------------------------------------------
# Exclusions and SLA targets are edited by managers.


@transaction.atomic
def save_exclusion(*, form, by) -> Exclusion:
    created = form.instance.pk is None
    exclusion = form.save()
    log_action(
        "desk.exclusion.created" if created else "desk.exclusion.changed",
        actor=by,
        target=exclusion,
        data={"fields": sorted(form.changed_data)},
    )
    return exclusion


@transaction.atomic
def set_exclusion_active(*, exclusion: Exclusion, active: bool, by) -> Exclusion:
    exclusion = Exclusion.objects.select_for_update().get(pk=exclusion.pk)
    exclusion.is_active = active
    exclusion.save(update_fields=["is_active"])
    log_action(
        "desk.exclusion.activated" if active else "desk.exclusion.deactivated",
        actor=by,
        target=exclusion,
    )
    return exclusion


@transaction.atomic
def save_sla_target(*, target: SLATarget, first_response, resolution, by) -> SLATarget:
    target = SLATarget.objects.select_for_update().get(pk=target.pk)
    before = {"first_response": target.first_response, "resolution": target.resolution}
    target.first_response, target.resolution = first_response, resolution
    target.save(update_fields=["first_response", "resolution"])
    log_action(
        "desk.sla_target.changed",
        actor=by,
        target=target,
        data={
            "before": {k: int(v.total_seconds()) for k, v in before.items()},
            "after": {
                "first_response": int(first_response.total_seconds()),
                "resolution": int(resolution.total_seconds()),
            },
        },
    )
    return target

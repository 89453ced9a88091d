"""The agents' pages of the support desk (staff side, under /gestion/assistance/): the call
screen, the queues, the ticket page and its actions, a ticket typed without a call, the
triage of inbound mail, and the managers' reference data (exclusions, SLA targets).

Views stay thin: load the object through a scoped helper, validate a form, call one
service, redirect with a message. A service's refusal (ValidationError) is shown on the form
it came from, at the field it names. The member portal's pages live in portal_views.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from html import escape as _esc
from types import SimpleNamespace
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from syndesk.catalog.models import Software, SoftwareVersion
from syndesk.contracts.models import Subscription
from syndesk.core.audit import history_of
from syndesk.core.calendar import current_calendar
from syndesk.core.panels import panels_for
from syndesk.core.permissions import StaffPermissionMixin
from syndesk.core.scoping import get_visible_or_404
from syndesk.members.models import Contact, Member
from syndesk.members.phones import display_phone

from . import queue_pages, rules, services
from .forms import (
    AssignForm,
    AttachInboundForm,
    BulkAssignForm,
    CallEndForm,
    CallIdentifyForm,
    CallStartForm,
    CallTicketForm,
    ClassifyForm,
    CloseForm,
    DismissInboundForm,
    ExclusionForm,
    OpenFromInboundForm,
    QueueFilterForm,
    RedirectForm,
    ReopenForm,
    ReplyForm,
    ResolveForm,
    SLATargetForm,
    StatusForm,
    TicketCreateForm,
    TimeForm,
    apply_service_error,
    contacts_of,
)
from .models import (
    OPEN_STATUSES,
    Call,
    Channel,
    Exclusion,
    InboundEmail,
    Outcome,
    Priority,
    SLATarget,
    Status,
    Ticket,
    TicketAttachment,
)
from .queue_widgets import quick_selects

PAGE_SIZE = 50
PANEL_LIMIT = 10
#: Views of finished work: sorting them by due date makes little sense, newest first.
_DONE_VIEWS = {"resolved", "closed", "all"}
#: Joined with the ticket. Not version__software (the version belongs to the ticket's
#: software: _share_software), nor the relations that are mostly empty (exclusion,
#: duplicate_of, follow_up_of, requester: one primary-key query each when set):
#: PostgreSQL spent ~10 ms planning the eleven-table join, more than the rest of the query.
#: Joined to the ticket. Its two agents (assignee, opened_by) are read by a second, small
#: query: with them the join held seven tables, and PostgreSQL's planning of it took 1.1 ms
#: (0.3 ms without them, a query by primary key 0.05 ms).
_TICKET_RELATED = ("member", "contact", "software", "version")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@dataclass(frozen=True)
class Slice:
    """One page of a list without a COUNT(*) over a million rows: PAGE_SIZE + 1 rows tell
    whether a next page exists."""

    rows: list
    number: int
    has_next: bool
    start: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1


def _slice(queryset, number: int, size: int = PAGE_SIZE) -> Slice:
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return Slice(rows[:size], number, len(rows) > size, offset + 1)


# --------------------------------------------------------------------------- SLA display


def badge_texts() -> dict[str, str]:
    """The SLA badge texts in the current language; a queue page translates them once
    (they are otherwise looked up two or three times per row)."""
    return {
        "h_m": _("%(h)d h %(m)02d"),
        "h": _("%(h)d h"),
        "m": _("%(m)d min"),
        "late": _("en retard"),
        "late_by": _("en retard de %(time)s"),
        "soon": _("bientôt en retard (reste %(time)s)"),
        "paused": _("en pause (reste %(time)s)"),
        "left": _("reste %(time)s"),
        "met": _("respecté"),
        "met_late": _("respecté en retard"),
    }


def business_duration(value: timedelta, texts: dict[str, str] | None = None) -> str:
    """Business time as an agent reads it: "45 min", "3 h", "26 h 30" (hours of opening)."""
    texts = texts or badge_texts()
    minutes = int(abs(value.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return texts["h_m"] % {"h": hours, "m": minutes}
    if hours:
        return texts["h"] % {"h": hours}
    return texts["m"] % {"m": minutes}


@dataclass(frozen=True)
class Badge:
    state: str
    text: str
    label: str = ""  # which clock ("1re réponse"), for the queue's one-badge summary
    due: object = None


_CLOCK_LABELS = {
    "first_response": gettext_lazy("1re réponse"),
    "resolution": gettext_lazy("Résolution"),
}
_SEVERITY = {
    rules.ClockState.BREACHED: 0,
    rules.ClockState.SOON: 1,
    rules.ClockState.PAUSED: 2,
    rules.ClockState.OK: 3,
}


def clock_badge(
    clock: rules.Clock, label: str = "", texts: dict[str, str] | None = None
) -> Badge | None:
    """``texts``: badge_texts() of the page, when it draws many badges."""
    state, left = clock.state, clock.remaining
    if state == rules.ClockState.NONE:
        return None
    texts = texts or badge_texts()
    if state == rules.ClockState.BREACHED:
        text = texts["late"]
        if left is not None and left < timedelta(0):
            text = texts["late_by"] % {"time": business_duration(left, texts)}
    elif state == rules.ClockState.SOON:
        text = texts["soon"] % {"time": business_duration(left, texts)}
    elif state == rules.ClockState.PAUSED:
        text = texts["paused"] % {"time": business_duration(left, texts)}
    elif state == rules.ClockState.OK:
        text = texts["left"] % {"time": business_duration(left, texts)}
    elif state == rules.ClockState.MET:
        text = texts["met"]
    else:
        text = texts["met_late"]
    return Badge(str(state), text, label, clock.due)


def sla_summary(
    clocks: dict[str, rules.Clock], labels: dict | None = None, texts: dict | None = None
) -> Badge | None:
    """The one badge of a queue row: the most pressing running clock, else the resolution.
    ``labels``, ``texts``: the clock labels and badge texts already translated (a page
    translates them once)."""
    labels = labels or _CLOCK_LABELS
    running = [(name, c) for name, c in clocks.items() if c.state in _SEVERITY]
    if running:
        name, clock = min(running, key=lambda item: _SEVERITY[item[1].state])
        return clock_badge(clock, labels[name], texts)
    return clock_badge(clocks["resolution"], labels["resolution"], texts)


@dataclass(frozen=True)
class QueueRow:
    """A queue row with its per-row texts ready, and its HTML (built in Python: a template
    loop over 50 rows of ten cells costs more than the rest of the page)."""

    ticket: QueueTicket
    badge: Badge | None
    url: str
    select_label: str
    priority: str
    status: str
    html: str = ""


#: What a queue row reads of a ticket and its relations; everything else stays in the
#: database (the description, the notes... would only cost transfer and parsing).
QUEUE_COLUMNS = (
    "reference",
    "member__name",
    "contact__first_name",
    "contact__last_name",
    "software__name",
    "version__number",
    "version__software_id",
    "subject",
    "priority",
    "status",
    "entitled",
    "first_response_due",
    "resolution_due",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "paused_since",
    "created_at",
    "updated_at",
)
#: The same, read as plain values (no model instances: building 50 tickets and their
#: relations was a tenth of the page), with the keys that say whether a relation is set.
#: Joined: member, contact, software, version (not version__software: a ticket's version
#: belongs to the ticket's software, services check it); the agents are read by
#: queue_agents(). Each table fewer is less of PostgreSQL's planning.
QUEUE_VALUES = (
    "id",
    *QUEUE_COLUMNS,
    "contact_id",
    "software_id",
    "version_id",
    "assignee_id",
)


def _queue_queryset(tickets):
    return tickets.select_related(None).values(*QUEUE_VALUES)


class _Named(SimpleNamespace):
    """A member or a software of a queue row (its name)."""


class _QueueContact(SimpleNamespace):
    __str__ = Contact.__str__


class _QueueVersion(SimpleNamespace):
    __str__ = SoftwareVersion.__str__


class _QueueAgent(SimpleNamespace):
    get_full_name = get_user_model().get_full_name


class QueueTicket(SimpleNamespace):
    """A ticket of the queue read with ``values()``: the fields a row shows, its relations
    as small objects, and the model's own ``sla()`` and ``__str__`` (same rules)."""

    sla = Ticket.sla
    __str__ = Ticket.__str__


def queue_agents(rows: list[dict]) -> dict[int, _QueueAgent]:
    """The agents of a queue page by primary key, in one small query: joined to the page's
    query, core_user cost PostgreSQL 0.8 ms of planning (1.3 -> 0.5 ms without it)."""
    ids = {row["assignee_id"] for row in rows if row["assignee_id"]}
    if not ids:
        return {}
    agents = get_user_model().objects.filter(pk__in=ids)
    return {
        agent["pk"]: _QueueAgent(**agent)
        for agent in agents.values("pk", "first_name", "last_name", "email")
    }


def queue_ticket(values: dict, agents: dict[int, _QueueAgent]) -> QueueTicket:
    software = _Named(name=values["software__name"]) if values["software_id"] else None
    version = None
    if values["version_id"]:
        if software is not None and values["version__software_id"] == values["software_id"]:
            version = _QueueVersion(
                pk=values["version_id"],
                number=values["version__number"],
                software_id=values["version__software_id"],
                software=software,
            )
        else:  # services keep them together; read as the template would have read it
            version = SoftwareVersion.objects.select_related("software").get(
                pk=values["version_id"]
            )
    contact = None
    if values["contact_id"]:
        contact = _QueueContact(
            pk=values["contact_id"],
            first_name=values["contact__first_name"],
            last_name=values["contact__last_name"],
        )
    assignee = agents.get(values["assignee_id"]) if values["assignee_id"] else None
    return QueueTicket(
        pk=values["id"],
        id=values["id"],
        member=_Named(name=values["member__name"]),
        contact=contact,
        contact_id=values["contact_id"],
        software=software,
        software_id=values["software_id"],
        version=version,
        version_id=values["version_id"],
        assignee=assignee,
        assignee_id=values["assignee_id"],
        **{name: values[name] for name in _QUEUE_OWN_FIELDS},
    )


_QUEUE_OWN_FIELDS = tuple(name for name in QUEUE_COLUMNS if "__" not in name)


def _share_software(ticket: Ticket) -> None:
    version = ticket.version
    if (
        version is not None
        and ticket.software is not None
        and version.software_id == ticket.software_id
    ):
        version.software = ticket.software


def _queue_rows(tickets: list[dict], sla: _SlaContext, *, selectable: bool) -> list[QueueRow]:
    """The rows of a queue page; constant labels are translated once per page, not per row
    (~1,100 gettext calls for 50 rows otherwise), links built from one reversed URL, dates
    formatted from the page's day names. ``selectable``: with the bulk-assignment box."""
    clock_labels = {name: str(label) for name, label in _CLOCK_LABELS.items()}
    badges = badge_texts()
    priorities = {value: str(label) for value, label in Priority.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    # blocktranslate's msgid, as {% blocktranslate with ref=... %}Sélectionner {{ ref }}.
    select = _("Sélectionner %(ref)s")
    head, tail = reverse("desk:ticket", kwargs={"reference": "__ref__"}).split("__ref__")
    texts = _RowTexts(
        not_entitled=_esc(_("non couverte")),
        nobody=_esc(_("personne")),
        days=[str(WEEKDAYS_ABBR[day]) for day in range(7)],
        selectable=selectable,
    )
    rows = []
    agents = queue_agents(tickets)
    for values in tickets:
        ticket = queue_ticket(values, agents)
        badge = sla_summary(sla.clocks(ticket), clock_labels, badges)
        url = head + quote(ticket.reference, safe=_URL_SAFE) + tail
        label = select % {"ref": ticket.reference}
        priority = priorities.get(ticket.priority, ticket.priority)
        status = statuses.get(ticket.status, ticket.status)
        html = _row_html(ticket, badge, url, label, priority, status, texts)
        # every text escaped in _row_html
        rows.append(QueueRow(ticket, badge, url, label, priority, status, mark_safe(html)))
    return rows


def rows_html(rows: list[QueueRow]) -> str:
    """The table body's rows as ``{% for row in rows %}`` wrote them, in one string."""
    return mark_safe("".join(f"\n        {row.html}\n      " for row in rows))  # escaped rows


# What reverse() leaves unquoted in a path argument (django.urls.resolvers).
_URL_SAFE = "/~:@!$&'()*+,;="


@dataclass(frozen=True)
class _RowTexts:
    not_entitled: str
    nobody: str
    days: list[str]
    selectable: bool


def _due_html(ticket: Ticket, badge: Badge | None, texts: _RowTexts) -> str:
    due = ticket.resolution_due
    if due is None:
        html = "—"
    else:
        local = timezone.localtime(due)
        html = (
            f'<time datetime="{local.isoformat()}">{texts.days[local.weekday()]} '
            f"{local.day}/{local.month:02d} {local.hour:02d}:{local.minute:02d}</time>"
        )
    if badge:
        label = _esc(badge.label)
        hidden = f'<span class="visually-hidden">{label} : </span>' if badge.label else ""
        html += (
            f'<br><span class="muted">{label}</span> <span class="badge sla sla-'
            f'{_esc(badge.state)}">{hidden}{_esc(badge.text)}</span>'
        )
    return html


def _row_html(ticket, badge, url, select_label, priority, status, texts: _RowTexts) -> str:
    """One ``<tr>`` of the queue, every text escaped (what the template did per row)."""
    ref = _esc(ticket.reference)
    cells = []
    if texts.selectable:
        disabled = " disabled" if ticket.status == Status.CLOSED else ""
        cells.append(
            f'<td><input type="checkbox" name="tickets" value="{ticket.pk}" '
            f'id="select-{ticket.pk}"{disabled}>\n            <label for="select-{ticket.pk}" '
            f'class="visually-hidden">{_esc(select_label)}</label></td>'
        )
    cells.append(f'<th scope="row" class="nowrap"><a href="{_esc(url)}">{ref}</a></th>')
    not_entitled = f' <span class="badge not-entitled">{texts.not_entitled}</span>'
    cells.append(f"<td>{_esc(ticket.subject)}{'' if ticket.entitled else not_entitled}</td>")
    contact = ticket.contact
    who = f'<br><span class="muted">{_esc(str(contact))}</span>' if contact else ""
    cells.append(f"<td>{_esc(ticket.member.name)}{who}</td>")
    if ticket.version is not None:
        software = _esc(str(ticket.version))
    else:
        software = _esc(ticket.software.name) if ticket.software and ticket.software.name else "—"
    cells.append(f"<td>{software}</td>")
    cells.append(f"<td>{_esc(priority)}</td>")
    cells.append(f"<td>{_esc(status)}</td>")
    assignee = ticket.assignee
    if assignee is not None:
        agent = _esc(assignee.get_full_name() or assignee.email)
    else:
        agent = f'<span class="muted">{texts.nobody}</span>'
    cells.append(f"<td>{agent}</td>")
    cells.append(f'<td class="nowrap">{_due_html(ticket, badge, texts)}</td>')
    return "<tr>\n          " + "\n          ".join(cells) + "\n        </tr>"


class _SlaContext:
    """The calendar, the targets and "now", loaded once per page (two small queries) and
    only when a running clock needs them: a resolved or closed ticket's clocks are met (or
    met late) by dates alone, so its page, or a page of finished tickets, reads neither."""

    def __init__(self):
        self.now = timezone.now()
        self.calendar = SimpleLazyObject(current_calendar)

    @cached_property
    def targets(self) -> dict:
        return SLATarget.objects.as_map()

    def clocks(self, ticket) -> dict[str, rules.Clock]:
        # The target only sets the "breaching soon" threshold of a running clock.
        finished = ticket.resolved_at is not None or ticket.closed_at is not None
        target = None if finished else self.targets.get(ticket.priority)
        return ticket.sla(now=self.now, calendar=self.calendar, target=target)


# --------------------------------------------------------------------------- queue


class QueueView(StaffPermissionMixin, View):
    """The agent queues: a tab per view, filters, sorting, 50 per page, bulk assignment.
    A fixed number of queries whatever the page size (SLA badges are computed in Python);
    the "next"/"previous" links carry keyset cursors (queue_pages), never a deep OFFSET."""

    permission_required = "desk.view_ticket"

    def get(self, request):
        form = quick_selects(QueueFilterForm(request.GET))
        form.is_valid()  # invalid filters are ignored (and shown), the others apply
        data = form.cleaned_data
        # Billing officers have no tickets of their own: they land on the open ones.
        view = data.get("view") or (
            "mine" if request.user.has_perm("desk.change_ticket") else "open"
        )
        ordering = data.get("ordering") or ("-created" if view in _DONE_VIEWS else "due")
        sla = _SlaContext()
        member = None
        if data.get("member"):
            member = Member.objects.visible_to(request.user).filter(pk=data["member"]).first()
        tickets = services.queue(
            request.user,
            view=view,
            ordering=ordering,
            now=sla.now,
            calendar=sla.calendar,
            targets=sla.targets if view == "breaching" else None,
            member=member,
            software=data.get("software"),
            status=data.get("status") or None,
            priority=data.get("priority"),
            category=data.get("category") or None,
            entitled=data.get("entitled"),
            search=data.get("q") or "",
        )
        if data.get("member") and member is None:
            tickets = tickets.none()  # an unknown member matches nothing, not everything
        if data.get("adherent"):
            tickets = tickets.filter(member__in=Member.objects.search(data["adherent"]))
        page = queue_pages.paginate(
            _queue_queryset(tickets),
            services.QUEUE_ORDERINGS[ordering],
            number=_page_number(request),
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
        )
        can_assign = request.user.has_perm("desk.change_ticket")
        rows = _queue_rows(page.rows, sla, selectable=can_assign)

        query = request.GET.copy()
        for name in ("page", "after", "before"):
            query.pop(name, None)
        tab_query = query.copy()
        tab_query.pop("view", None)
        context = {
            "form": form,
            "view": view,
            "view_label": services.QUEUE_VIEWS[view],
            "ordering": ordering,
            "views": services.QUEUE_VIEWS,
            "member": member,
            "page": page,
            "rows": rows,
            "rows_html": rows_html(rows),
            "query": query.urlencode(),
            "tab_query": tab_query.urlencode(),
            "bulk_form": quick_selects(BulkAssignForm(user=request.user)) if can_assign else None,
            "next": request.get_full_path(),
        }
        if request.htmx and not request.htmx.boosted:
            return render(request, "desk/staff/queue.html#results", context)
        return render(request, "desk/staff/queue.html", context)


class BulkAssignView(StaffPermissionMixin, View):
    permission_required = "desk.change_ticket"

    def post(self, request):
        back = _safe_next(request, reverse("desk:queue"))
        form = BulkAssignForm(request.POST, user=request.user)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        assignee = form.cleaned_data["assignee"]
        try:
            count = services.bulk_assign(
                tickets=form.cleaned_data["tickets"], assignee=assignee, by=request.user
            )
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
            return redirect(back)
        name = assignee.get_full_name() or assignee.email
        messages.success(
            request,
            ngettext(
                "%(count)d demande attribuée à %(name)s.",
                "%(count)d demandes attribuées à %(name)s.",
                count,
            )
            % {"count": count, "name": name},
        )
        return redirect(back)


# --------------------------------------------------------------------------- calls


def _subscription_of(member: Member) -> Subscription | None:
    return (
        Subscription.objects.filter(member=member)
        .exclude(status=Subscription.Status.ENDED)
        .prefetch_related("software", "terminations")
        .first()
    )


def _member_situation(member: Member, user) -> dict:
    """What the agent must see when a member calls: subscription and covered software,
    entitlement today, open tickets, recent ones, and the inventory panels if any."""
    today = timezone.localdate()
    subscription = _subscription_of(member)
    entitlement = services.evaluate_entitlement(member=member, software=None, on=today)
    open_tickets = list(
        Ticket.objects.visible_to(user)
        .filter(member=member, status__in=OPEN_STATUSES)
        .for_list()
        .order_by("-created_at")[:20]
    )
    recent = list(
        Ticket.objects.visible_to(user)
        .filter(member=member)
        .exclude(status__in=OPEN_STATUSES)
        .for_list()
        .order_by("-created_at")[:5]
    )
    return {
        "subscription": subscription,
        "covered_software": list(subscription.software.all()) if subscription else [],
        "next_renewal": subscription.next_renewal(today) if subscription else None,
        "pending_termination": subscription.pending_termination if subscription else None,
        "entitlement": entitlement,
        "policy": services.entitlement_policy(),
        "open_tickets": open_tickets,
        "recent_tickets": recent,
        "inventory_panels": bool(panels_for(INVENTORY_SLOT)),
    }


#: Slot where the inventory app will show the member's installed software on the call screen.
INVENTORY_SLOT = "desk_call_member"


class CallStartView(StaffPermissionMixin, View):
    """Type the number, or let the telephony system open ``?numero=+33...``: the caller is
    shown at once; Enter (or the button) records the call and opens its screen."""

    permission_required = "desk.add_call"

    def _render(self, request, form, number=""):
        preview = services.identify_caller(number) if number else None
        running = (
            Call.objects.visible_to(request.user)
            .filter(agent=request.user, ended_at__isnull=True)
            .select_related("member", "contact")[:20]
        )
        return render(
            request,
            "desk/staff/call_start.html",
            {
                "form": form,
                "preview": preview,
                "running": running,
                "hours": services.desk_hours(),
            },
        )

    def get(self, request):
        number = (request.GET.get("numero") or "").strip()[:40]
        return self._render(request, CallStartForm(initial={"number": number}), number)

    def post(self, request):
        form = CallStartForm(request.POST)
        if form.is_valid():
            try:
                call = services.start_call(number=form.cleaned_data["number"], agent=request.user)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return redirect("desk:call", pk=call.pk)
        return self._render(request, form)


def _get_call(request, pk) -> Call:
    return get_visible_or_404(
        Call.objects.select_related("member", "contact", "agent", "ticket"), request.user, pk=pk
    )


def _call_context(request, call: Call, **bound) -> dict:
    """The call screen; the forms only for who may use them (billing reads)."""
    user = request.user
    can_change = user.has_perm("desk.change_call")
    caller = None
    context: dict = {"call": call, "hours": services.desk_hours()}
    if call.member_id is None:
        caller = services.identify_caller(call.number)
        if can_change:
            context["identify_form"] = bound.get("identify") or CallIdentifyForm(
                prefix="identify", candidates=caller.candidates
            )
    else:
        context.update(_member_situation(call.member, user))
        if can_change and user.has_perm("desk.add_ticket"):
            context["ticket_form"] = bound.get("ticket") or CallTicketForm(
                prefix="ticket",
                member=call.member,
                initial={"contact": call.contact_id},
            )
    context["caller"] = caller
    context["number_display"] = display_phone(call.number)
    context["end_form"] = (
        CallEndForm(prefix="end") if can_change and call.ended_at is None else None
    )
    return context


class CallDetailView(StaffPermissionMixin, View):
    permission_required = "desk.view_call"

    def get(self, request, pk):
        call = _get_call(request, pk)
        return render(request, "desk/staff/call_detail.html", _call_context(request, call))


class CallIdentifyView(StaffPermissionMixin, View):
    permission_required = "desk.change_call"

    def post(self, request, pk):
        call = _get_call(request, pk)
        candidates = () if call.member_id else services.identify_caller(call.number).candidates
        form = CallIdentifyForm(request.POST, prefix="identify", candidates=candidates)
        if form.is_valid():
            data = form.cleaned_data
            try:
                call = services.identify_call(
                    call=call,
                    member=data["member"],
                    contact=data["contact"],
                    remember=data["remember"],
                    by=request.user,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                who = str(data["member"])
                if data["contact"]:
                    who = f"{who} ({data['contact']})"
                text = _("Appelant identifié : %(who)s.") % {"who": who}
                if data["remember"]:
                    text += " " + _("Le numéro est enregistré.")
                messages.success(request, text)
                return redirect("desk:call", pk=call.pk)
        call = _get_call(request, pk)
        return render(
            request, "desk/staff/call_detail.html", _call_context(request, call, identify=form)
        )


class CallTicketView(StaffPermissionMixin, View):
    """The call screen's compact form: open the ticket (and maybe end the call)."""

    permission_required = ["desk.add_ticket", "desk.change_call"]

    def post(self, request, pk):
        call = _get_call(request, pk)
        if call.member_id is None:
            messages.error(request, _("Identifiez d'abord l'appelant."))
            return redirect("desk:call", pk=call.pk)
        form = CallTicketForm(request.POST, prefix="ticket", member=call.member)
        if form.is_valid():
            try:
                ticket = services.open_ticket(
                    member=call.member,
                    channel=Channel.PHONE,
                    opened_by=request.user,
                    call=call,
                    **form.service_kwargs(),
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                text = _("Demande %(reference)s créée.") % {"reference": ticket.reference}
                if request.POST.get("end_call") and call.ended_at is None:
                    call = services.end_call(call=call, by=request.user)
                    text += " " + _("Appel terminé (%(duration)s).") % {
                        "duration": _call_duration(call)
                    }
                messages.success(request, text)
                return redirect("desk:ticket", reference=ticket.reference)
        call = _get_call(request, pk)
        return render(
            request, "desk/staff/call_detail.html", _call_context(request, call, ticket=form)
        )


def _call_duration(call: Call) -> str:
    seconds = int(call.duration.total_seconds()) if call.duration else 0
    minutes, seconds = divmod(seconds, 60)
    if minutes:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": seconds}
    return _("%(s)d s") % {"s": seconds}


class CallEndView(StaffPermissionMixin, View):
    permission_required = "desk.change_call"

    def post(self, request, pk):
        call = _get_call(request, pk)
        back = _safe_next(request, reverse("desk:call", kwargs={"pk": call.pk}))
        form = CallEndForm(request.POST, prefix="end")
        form.is_valid()
        notes = (form.cleaned_data.get("notes") or "").strip() or None
        try:
            call = services.end_call(call=call, by=request.user, notes=notes)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(
                request, _("Appel terminé (%(duration)s).") % {"duration": _call_duration(call)}
            )
        return redirect(back)


# --------------------------------------------------------------------------- htmx helpers


def _param(request, name: str) -> str:
    """A GET value named ``name`` or ``<prefix>-name`` (the same fragment serves forms with
    and without a prefix)."""
    for key, value in request.GET.items():
        if key == name or key.endswith(f"-{name}"):
            return value.strip()
    return ""


def _int_param(request, name: str) -> int | None:
    try:
        return int(_param(request, name))
    except ValueError:
        return None


class EntitlementFragmentView(StaffPermissionMixin, View):
    """Live region: is this member (for this software) covered today?"""

    permission_required = "desk.view_ticket"

    def get(self, request):
        member = Member.objects.filter(pk=_int_param(request, "member")).first()
        software_id = _int_param(request, "software")
        software = None
        if software_id:
            software = Software.objects.filter(pk=software_id).first()
        context = {"policy": services.entitlement_policy(), "member": member}
        if member is not None:
            context["entitlement"] = services.evaluate_entitlement(
                member=member, software=software, on=timezone.localdate()
            )
        return render(request, "desk/staff/_entitlement.html", context)


class SuggestionsFragmentView(StaffPermissionMixin, View):
    """Live region: the exclusions the subject and description evoke."""

    permission_required = "desk.view_ticket"

    def get(self, request):
        text = "\n".join(_param(request, name) for name in ("subject", "description"))
        suggestions = services.suggest_exclusions(text) if text.strip() else []
        return render(request, "desk/staff/_suggestions.html", {"suggestions": suggestions})


class ContactOptionsFragmentView(StaffPermissionMixin, View):
    """The <option>s of a contact select for the member just chosen."""

    permission_required = "desk.view_ticket"

    def get(self, request):
        return render(
            request,
            "desk/staff/_contact_options.html",
            {"contacts": contacts_of(_int_param(request, "member"))},
        )


# --------------------------------------------------------------------------- new ticket


class TicketCreateView(StaffPermissionMixin, View):
    permission_required = "desk.add_ticket"

    def _render(self, request, form):
        return render(request, "desk/staff/ticket_create.html", {"form": form})

    def get(self, request):
        initial = {}
        member_id = request.GET.get("member") or request.GET.get("adherent")
        if member_id and member_id.isdigit():
            initial["member"] = int(member_id)
        return self._render(request, TicketCreateForm(initial=initial))

    def post(self, request):
        form = TicketCreateForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                ticket = services.open_ticket(opened_by=request.user, **form.service_kwargs())
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request, _("Demande %(reference)s créée.") % {"reference": ticket.reference}
                )
                return redirect("desk:ticket", reference=ticket.reference)
        return self._render(request, form)


# --------------------------------------------------------------------------- ticket page

#: Audit codes of the desk, as the history shows them.
HISTORY_LABELS = {
    "desk.ticket.opened": gettext_lazy("Demande ouverte"),
    "desk.ticket.changed": gettext_lazy("Classification modifiée"),
    "desk.ticket.assigned": gettext_lazy("Attribution"),
    "desk.ticket.replied": gettext_lazy("Réponse"),
    "desk.ticket.noted": gettext_lazy("Note interne"),
    "desk.ticket.attachment_added": gettext_lazy("Pièce jointe ajoutée"),
    "desk.ticket.time_logged": gettext_lazy("Temps passé saisi"),
    "desk.ticket.paused": gettext_lazy("Mise en attente"),
    "desk.ticket.resumed": gettext_lazy("Reprise"),
    "desk.ticket.status_changed": gettext_lazy("Changement d'état"),
    "desk.ticket.resolved": gettext_lazy("Résolue"),
    "desk.ticket.closed": gettext_lazy("Demande close"),
    "desk.ticket.reopened": gettext_lazy("Rouverte"),
    "desk.ticket.redirected": gettext_lazy("Réorientée (hors périmètre)"),
    "desk.ticket.rated": gettext_lazy("Évaluée par l'adhérent"),
    "desk.ticket.sla_alert": gettext_lazy("Alerte de délai envoyée"),
    "desk.mail.attached": gettext_lazy("Courriel rattaché"),
    "desk.mail.ticket_opened": gettext_lazy("Ouverte depuis un courriel"),
}
_FIELD_LABELS = {
    "member": gettext_lazy("adhérent"),
    "contact": gettext_lazy("contact"),
    "software": gettext_lazy("logiciel"),
    "version": gettext_lazy("version"),
    "category": gettext_lazy("catégorie"),
    "priority": gettext_lazy("priorité"),
    "subject": gettext_lazy("objet"),
}


def _status_label(value) -> str:
    return str(Status(value).label) if value in Status.values else str(value or "—")


def _history_rows(ticket: Ticket) -> list[dict]:
    """The audit entries about the ticket in words (one query for the entries, one for the
    agents they name)."""
    entries = list(history_of(ticket)[:200])
    user_ids = {
        entry.data.get(key)
        for entry in entries
        for key in ("from", "to", "agent")
        if isinstance(entry.data.get(key), int)
    }
    names = (
        {
            u.pk: (u.get_full_name() or u.email)
            for u in get_user_model().objects.filter(pk__in=user_ids)
        }
        if user_ids
        else {}
    )
    rows = []
    for entry in entries:
        data, details = entry.data or {}, []
        status = data.get("status")
        if isinstance(status, list) and len(status) == 2 and status[0] != status[1]:
            details.append(f"{_status_label(status[0])} → {_status_label(status[1])}")
        if entry.action == "desk.ticket.assigned":
            details.append(
                _("à %(name)s") % {"name": names.get(data.get("to"), "—")}
                if data.get("to")
                else _("remise dans les non attribuées")
            )
        if data.get("reason"):
            details.append(_("motif : %(reason)s") % {"reason": data["reason"]})
        if data.get("outcome"):
            details.append(
                Outcome(data["outcome"]).label
                if data["outcome"] in Outcome.values
                else data["outcome"]
            )
        if data.get("minutes"):
            details.append(_("%(minutes)d min") % {"minutes": data["minutes"]})
        if entry.action == "desk.ticket.changed":
            fields = [str(_FIELD_LABELS.get(k, k)) for k in (data.get("after") or {})]
            if fields:
                details.append(", ".join(fields))
        if entry.action == "desk.ticket.opened" and data.get("entitlement"):
            details.append(data["entitlement"])
        if entry.action == "desk.ticket.sla_alert":
            details.append(f"{data.get('clock', '')} {data.get('level', '')}".strip())
        rows.append(
            {
                "entry": entry,
                "label": HISTORY_LABELS.get(entry.action, entry.action),
                "details": " — ".join(str(d) for d in details if d),
            }
        )
    return rows


def _get_ticket(request, reference: str) -> Ticket:
    ticket = get_visible_or_404(
        Ticket.objects.select_related(*_TICKET_RELATED), request.user, reference=reference
    )
    _share_software(ticket)
    agent_ids = {ticket.assignee_id, ticket.opened_by_id} - {None}
    agents = get_user_model().objects.in_bulk(agent_ids) if agent_ids else {}
    ticket.assignee = agents.get(ticket.assignee_id)
    ticket.opened_by = agents.get(ticket.opened_by_id)
    return ticket


#: The ticket page's forms, by prefix (each posts to its own URL).
def _ticket_forms(request, ticket: Ticket, exclusions) -> dict:
    is_open = ticket.status in OPEN_STATUSES
    closed = ticket.status == Status.CLOSED
    user = request.user
    forms: dict = {
        "reply": ReplyForm(prefix="reply", internal_only=closed),
        "time": TimeForm(prefix="time"),
    }
    if not closed:
        forms["assign"] = AssignForm(prefix="assign", initial={"assignee": ticket.assignee_id})
        forms["classify"] = ClassifyForm(prefix="classify", ticket=ticket)
        forms["close"] = CloseForm(prefix="close", ticket=ticket, user=user)
    if is_open:
        forms["status"] = StatusForm(prefix="status", current=ticket.status)
        forms["resolve"] = ResolveForm(prefix="resolve")
        forms["redirect"] = RedirectForm(prefix="redirect", exclusions=exclusions)
    if ticket.status == Status.RESOLVED:
        forms["reopen"] = ReopenForm(prefix="reopen")
    return forms


def _ticket_context(request, ticket: Ticket, bound: dict | None = None) -> dict:
    bound = bound or {}
    sla = _SlaContext()
    clocks = sla.clocks(ticket)
    conversation = list(
        ticket.messages.select_related("author", "contact").prefetch_related("attachments")
    )
    can_change = request.user.has_perm("desk.change_ticket")
    suggestions, exclusions = [], []
    if can_change and ticket.status in OPEN_STATUSES:
        suggestions = services.suggest_exclusions(f"{ticket.subject}\n{ticket.description}")
        suggested = [match.exclusion for match in suggestions]
        exclusions = suggested + [
            e for e in Exclusion.objects.active() if e.pk not in {s.pk for s in suggested}
        ]
    forms = _ticket_forms(request, ticket, exclusions) if can_change else {}
    forms.update(bound)
    time_entries = list(ticket.time_entries.select_related("agent"))
    calls = list(ticket.calls.select_related("agent", "contact"))
    return {
        "ticket": ticket,
        "clocks": [
            (_CLOCK_LABELS[name], clock, clock_badge(clock)) for name, clock in clocks.items()
        ],
        "conversation": conversation,
        "history": _history_rows(ticket),
        "pauses": list(ticket.pauses.all()),
        "time_entries": time_entries,
        "time_total": business_duration(
            timedelta(minutes=sum(entry.minutes for entry in time_entries))
        )
        if time_entries
        else "",
        "calls": [(call, _call_duration(call)) for call in calls],
        "running_calls": [c for c in calls if c.ended_at is None],
        "suggestions": suggestions,
        "forms": forms,
        "error_form": next(iter(bound), None),
        "can_change": can_change,
        "is_open": ticket.status in OPEN_STATUSES,
    }


class TicketDetailView(StaffPermissionMixin, View):
    permission_required = "desk.view_ticket"

    def get(self, request, reference):
        ticket = _get_ticket(request, reference)
        return render(request, "desk/staff/ticket_detail.html", _ticket_context(request, ticket))


class _TicketActionView(StaffPermissionMixin, View):
    """One form posting to its own URL, one service call, back to the ticket page. On a
    refusal the ticket page is shown again with the form and the message at its field."""

    permission_required = "desk.change_ticket"
    prefix = ""
    form_class: type = ReplyForm
    aliases: dict = {}

    def form_kwargs(self, request, ticket: Ticket) -> dict:
        return {}

    def perform(self, request, form, ticket: Ticket) -> str:
        raise NotImplementedError

    def post(self, request, reference):
        ticket = _get_ticket(request, reference)
        form = self.form_class(
            request.POST, request.FILES, prefix=self.prefix, **self.form_kwargs(request, ticket)
        )
        if form.is_valid():
            try:
                text = self.perform(request, form, ticket)
            except ValidationError as exc:
                apply_service_error(form, exc, aliases=self.aliases)
            else:
                messages.success(request, text)
                return redirect("desk:ticket", reference=ticket.reference)
        ticket = _get_ticket(request, reference)  # the service may have rolled back
        return render(
            request,
            "desk/staff/ticket_detail.html",
            _ticket_context(request, ticket, bound={self.prefix: form}),
        )


class TicketReplyView(_TicketActionView):
    prefix = "reply"
    form_class = ReplyForm

    def form_kwargs(self, request, ticket):
        return {"internal_only": ticket.status == Status.CLOSED}

    def perform(self, request, form, ticket):
        data = form.cleaned_data
        if data["kind"] == ReplyForm.INTERNAL:
            services.add_note(
                ticket=ticket, body=data["body"], by=request.user, attachments=data["attachments"]
            )
            return _("Note interne ajoutée.")
        services.add_reply(
            ticket=ticket,
            body=data["body"],
            by=request.user,
            attachments=data["attachments"],
            wait_for_member=data.get("wait_for_member", False),
        )
        if data.get("wait_for_member"):
            return _("Réponse envoyée ; la demande attend la réponse de l'adhérent.")
        return _("Réponse envoyée à l'adhérent.")


class TicketAssignView(_TicketActionView):
    prefix = "assign"
    form_class = AssignForm

    def perform(self, request, form, ticket):
        assignee = form.cleaned_data["assignee"]
        services.assign(ticket=ticket, assignee=assignee, by=request.user)
        if assignee is None:
            return _("La demande n'est plus attribuée.")
        if assignee.pk == request.user.pk:
            return _("La demande vous est attribuée.")
        return _("Demande attribuée à %(name)s.") % {
            "name": assignee.get_full_name() or assignee.email
        }


class TicketStatusView(_TicketActionView):
    prefix = "status"
    form_class = StatusForm

    def form_kwargs(self, request, ticket):
        return {"current": ticket.status}

    def perform(self, request, form, ticket):
        data = form.cleaned_data
        ticket = services.change_status(
            ticket=ticket, status=data["status"], reason=data["reason"], by=request.user
        )
        return _("État : %(status)s.") % {"status": ticket.get_status_display()}


class TicketResolveView(_TicketActionView):
    prefix = "resolve"
    form_class = ResolveForm

    def perform(self, request, form, ticket):
        services.resolve(ticket=ticket, outcome=form.cleaned_data["outcome"], by=request.user)
        return _("Demande résolue ; l'adhérent en est informé.")


class TicketCloseView(_TicketActionView):
    prefix = "close"
    form_class = CloseForm

    def form_kwargs(self, request, ticket):
        return {"ticket": ticket, "user": request.user}

    def perform(self, request, form, ticket):
        data = form.cleaned_data
        services.close(
            ticket=ticket,
            outcome=data.get("outcome") or None,
            duplicate_of=data.get("duplicate_of"),
            by=request.user,
        )
        return _("Demande close.")


class TicketReopenView(_TicketActionView):
    prefix = "reopen"
    form_class = ReopenForm

    def perform(self, request, form, ticket):
        services.reopen(ticket=ticket, reason=form.cleaned_data["reason"], by=request.user)
        return _("Demande rouverte.")


class TicketTimeView(_TicketActionView):
    prefix = "time"
    form_class = TimeForm

    def perform(self, request, form, ticket):
        data = form.cleaned_data
        entry = services.log_time(
            ticket=ticket,
            minutes=data["minutes"],
            on=data.get("on"),
            note=data.get("note") or "",
            by=request.user,
        )
        return _("%(minutes)d min enregistrées.") % {"minutes": entry.minutes}


class TicketClassifyView(_TicketActionView):
    prefix = "classify"
    form_class = ClassifyForm

    def form_kwargs(self, request, ticket):
        return {"ticket": ticket}

    def perform(self, request, form, ticket):
        changes = form.changes()
        if not changes:
            return _("Aucune modification.")
        ticket = services.update_ticket(ticket=ticket, by=request.user, **changes)
        text = _("Classification enregistrée.")
        if not ticket.entitled:
            text += " " + _("Attention : %(note)s") % {"note": ticket.entitlement_note}
        return text


class TicketRedirectView(_TicketActionView):
    """ "Hors périmètre": one click sends the exclusion's standard answer and closes."""

    prefix = "redirect"
    form_class = RedirectForm

    def perform(self, request, form, ticket):
        exclusion = form.cleaned_data["exclusion"]
        services.redirect_out_of_scope(ticket=ticket, exclusion=exclusion, by=request.user)
        return _(
            "Demande réorientée (%(exclusion)s) : la réponse type a été envoyée à l'adhérent."
        ) % {"exclusion": exclusion.title}


class AttachmentDownloadView(StaffPermissionMixin, View):
    """An attachment, for staff only through this view (member data, random file names)."""

    permission_required = "desk.view_ticketattachment"

    def get(self, request, pk):
        attachment = get_visible_or_404(TicketAttachment.objects, request.user, pk=pk)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )


# --------------------------------------------------------------------------- triage


class TriageListView(StaffPermissionMixin, View):
    permission_required = "desk.view_inboundemail"

    def get(self, request):
        status = request.GET.get("etat") or InboundEmail.Status.PENDING
        if status not in InboundEmail.Status.values:
            status = InboundEmail.Status.PENDING
        emails = InboundEmail.objects.filter(status=status).select_related("ticket", "handled_by")
        page = _slice(emails, _page_number(request))
        return render(
            request,
            "desk/staff/triage_list.html",
            {
                "page": page,
                "status": status,
                "statuses": InboundEmail.Status.choices,
                "query": f"etat={status}",
            },
        )


def _get_inbound(pk) -> InboundEmail:
    return get_object_or_404(InboundEmail.objects.select_related("ticket__member"), pk=pk)


def _triage_context(request, inbound: InboundEmail, **bound) -> dict:
    # Who may have written: the contacts with this address, and the ticket it replied to.
    senders = (
        list(
            Contact.objects.filter(email__iexact=inbound.from_address).select_related("member")[:10]
        )
        if inbound.from_address
        else []
    )
    initial_member = (
        inbound.ticket.member_id
        if inbound.ticket_id
        else (senders[0].member_id if len(senders) == 1 else None)
    )
    initial_contact = next((c.pk for c in senders if c.member_id == initial_member), None)
    reply_to_open = inbound.ticket if inbound.ticket_id and inbound.ticket.is_open else None
    return {
        "inbound": inbound,
        "senders": senders,
        "attach_form": bound.get("attach")
        or AttachInboundForm(
            prefix="attach",
            user=request.user,
            initial={"ticket": reply_to_open.reference if reply_to_open else ""},
        ),
        "open_form": bound.get("open")
        or OpenFromInboundForm(
            prefix="open", initial={"member": initial_member, "contact": initial_contact}
        ),
        "dismiss_form": bound.get("dismiss") or DismissInboundForm(prefix="dismiss"),
        "pending": inbound.status == InboundEmail.Status.PENDING,
        "can_change": request.user.has_perm("desk.change_inboundemail"),
        "can_open": request.user.has_perm("desk.add_ticket"),
    }


class TriageDetailView(StaffPermissionMixin, View):
    permission_required = "desk.view_inboundemail"

    def get(self, request, pk):
        inbound = _get_inbound(pk)
        return render(request, "desk/staff/triage_detail.html", _triage_context(request, inbound))


class _TriageActionView(StaffPermissionMixin, View):
    permission_required = "desk.change_inboundemail"
    prefix = ""
    form_class: type = DismissInboundForm

    def form_kwargs(self, request) -> dict:
        return {}

    def perform(self, request, form, inbound):
        raise NotImplementedError

    def post(self, request, pk):
        inbound = _get_inbound(pk)
        form = self.form_class(request.POST, prefix=self.prefix, **self.form_kwargs(request))
        if form.is_valid():
            try:
                text, target = self.perform(request, form, inbound)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, text)
                return redirect(target)
        inbound = _get_inbound(pk)
        return render(
            request,
            "desk/staff/triage_detail.html",
            _triage_context(request, inbound, **{self.prefix: form}),
        )


class TriageAttachView(_TriageActionView):
    prefix = "attach"
    form_class = AttachInboundForm

    def form_kwargs(self, request):
        return {"user": request.user}

    def perform(self, request, form, inbound):
        ticket = form.cleaned_data["ticket"]
        services.attach_inbound(inbound=inbound, ticket=ticket, by=request.user)
        text = _("Courriel rattaché à la demande %(reference)s.") % {"reference": ticket.reference}
        return text, reverse("desk:ticket", kwargs={"reference": ticket.reference})


class TriageOpenView(_TriageActionView):
    permission_required = ["desk.change_inboundemail", "desk.add_ticket"]
    prefix = "open"
    form_class = OpenFromInboundForm

    def perform(self, request, form, inbound):
        data = form.cleaned_data
        ticket = services.open_ticket_from_inbound(
            inbound=inbound,
            member=data["member"],
            contact=data["contact"],
            software=data["software"],
            category=data["category"],
            priority=data["priority"],
            by=request.user,
        )
        text = _("Demande %(reference)s ouverte depuis le courriel.") % {
            "reference": ticket.reference
        }
        return text, reverse("desk:ticket", kwargs={"reference": ticket.reference})


class TriageDismissView(_TriageActionView):
    prefix = "dismiss"
    form_class = DismissInboundForm

    def perform(self, request, form, inbound):
        services.dismiss_inbound(
            inbound=inbound, reason=form.cleaned_data["reason"], by=request.user
        )
        return _("Courriel écarté (il reste conservé)."), reverse("desk:triage")


class TriageRawView(StaffPermissionMixin, View):
    """The original message (.eml), as received."""

    permission_required = "desk.view_inboundemail"

    def get(self, request, pk):
        inbound = _get_inbound(pk)
        if not inbound.raw:
            raise Http404
        try:
            handle = inbound.raw.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"courriel-{inbound.pk}.eml",
            content_type="message/rfc822",
        )


class ExclusionListView(StaffPermissionMixin, View):
    permission_required = "desk.view_exclusion"

    def get(self, request):
        exclusions = Exclusion.objects.annotate(
            redirected=Count("tickets", filter=Q(tickets__outcome=Outcome.REDIRECTED))
        )
        return render(request, "desk/staff/exclusion_list.html", {"exclusions": exclusions})


class ExclusionFormView(StaffPermissionMixin, View):
    def get_permission_required(self):
        return ["desk.change_exclusion" if "pk" in self.kwargs else "desk.add_exclusion"]

    def _render(self, request, form, exclusion):
        history = history_of(exclusion)[:30] if exclusion else []
        return render(
            request,
            "desk/staff/exclusion_form.html",
            {"form": form, "exclusion": exclusion, "history": history},
        )

    def get(self, request, pk=None):
        exclusion = get_object_or_404(Exclusion, pk=pk) if pk else None
        return self._render(request, ExclusionForm(instance=exclusion), exclusion)

    def post(self, request, pk=None):
        exclusion = get_object_or_404(Exclusion, pk=pk) if pk else None
        form = ExclusionForm(request.POST, instance=exclusion)
        if not form.is_valid():
            return self._render(request, form, exclusion)
        exclusion = services.save_exclusion(form=form, by=request.user)
        messages.success(request, _("Exclusion « %(title)s » enregistrée.") % {"title": exclusion})
        return redirect("desk:exclusions")


class ExclusionToggleView(StaffPermissionMixin, View):
    permission_required = "desk.change_exclusion"

    def post(self, request, pk):
        exclusion = get_object_or_404(Exclusion, pk=pk)
        active = request.POST.get("active") == "1"
        exclusion = services.set_exclusion_active(
            exclusion=exclusion, active=active, by=request.user
        )
        text = (
            _("Exclusion « %(title)s » réactivée.")
            if active
            else _("Exclusion « %(title)s » désactivée : elle n'est plus proposée.")
        )
        messages.success(request, text % {"title": exclusion.title})
        return redirect("desk:exclusions")


class SLATargetListView(StaffPermissionMixin, View):
    permission_required = "desk.view_slatarget"

    def get(self, request):
        targets = [
            (t, business_duration(t.first_response), business_duration(t.resolution))
            for t in SLATarget.objects.all()
        ]
        return render(request, "desk/staff/sla_list.html", {"targets": targets})


class SLATargetFormView(StaffPermissionMixin, View):
    permission_required = "desk.change_slatarget"

    def _target(self, priority) -> SLATarget:
        if priority not in Priority.values:
            raise Http404
        return get_object_or_404(SLATarget, priority=priority)

    def _render(self, request, form, target):
        return render(
            request,
            "desk/staff/sla_form.html",
            {"form": form, "target": target, "history": history_of(target)[:30]},
        )

    def get(self, request, priority):
        target = self._target(priority)
        return self._render(request, SLATargetForm(target=target), target)

    def post(self, request, priority):
        target = self._target(priority)
        form = SLATargetForm(request.POST, target=target)
        if not form.is_valid():
            return self._render(request, form, target)
        services.save_sla_target(target=target, by=request.user, **form.durations())
        messages.success(
            request,
            _("Objectifs de la priorité « %(priority)s » enregistrés.")
            % {"priority": target.get_priority_display()},
        )
        return redirect("desk:sla-targets")


# --------------------------------------------------------------------------- panels


def member_desk_panel(request, member):
    """The member's open tickets and last calls on the staff member page
    (slot "staff_member_detail")."""
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("desk.view_ticket"):
        return None
    tickets = list(
        Ticket.objects.visible_to(user)
        .filter(member=member, status__in=OPEN_STATUSES)
        .for_list()
        .order_by("resolution_due", "pk")[:PANEL_LIMIT]
    )
    calls = list(
        Call.objects.visible_to(user)
        .filter(member=member)
        .select_related("contact", "agent", "ticket")[:PANEL_LIMIT]
    )
    return {"desk_member": member, "desk_tickets": tickets, "desk_calls": calls}

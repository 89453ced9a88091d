"""The member portal's helpdesk pages (/portail/demandes/): the organisation's requests,
a new request, a request's public conversation, reply, attachments and satisfaction.

Scope: a portal user sees the tickets of the organisations they belong to (memberships,
active organisations: ``member_choices``) through ``Ticket.objects.visible_to``; the list
shows the active organisation's. Anything else answers 404, whatever the reference typed.
Staff use the back office: they are sent there. Internal notes and system events are never
loaded here: the conversation is ``messages.public()`` and attachments are served only when
they belong to a public message.

Views stay thin: a scoped fetch, a form, one service call, a redirect; a service's refusal
is shown on the form it came from.
"""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from syndesk.core.permissions import MemberUserMixin
from syndesk.core.scoping import get_visible_or_404
from syndesk.members.portal import active_member, member_choices

from . import services
from .models import OPEN_STATUSES, Channel, Status, Ticket, TicketAttachment, TicketMessage
from .portal_forms import RateForm, ReplyForm, TicketCreateForm, apply_service_error

PAGE_SIZE = 25
#: List tabs: ?etat=... -> (label, statuses or None for all).
LIST_FILTERS = {
    "en-cours": (gettext_lazy("En cours"), [*OPEN_STATUSES, Status.RESOLVED]),
    "closes": (gettext_lazy("Closes"), [Status.CLOSED]),
    "toutes": (gettext_lazy("Toutes"), None),
}
DEFAULT_FILTER = "en-cours"


def opening_label(at: datetime) -> str:
    """ "lundi 30 novembre à 8h30" (the year is added when it is not the current one)."""
    local = timezone.localtime(at)
    day = date_format(local, "l j F")
    if local.year != timezone.localdate().year:
        day = f"{day} {local.year}"
    time = f"{local.hour}h{local.minute:02d}" if local.minute else f"{local.hour}h"
    return _("%(day)s à %(time)s") % {"day": day, "time": time}


def closed_desk_sentence(hours: services.DeskHours) -> str:
    """What a member reads when the desk is closed (empty when it is open)."""
    if hours.is_open:
        return ""
    return _("Le service est fermé ; votre demande sera traitée à partir du %(when)s.") % {
        "when": opening_label(hours.next_opening)
    }


def portal_tickets(user):
    """Tickets a portal user may open: those of the organisations they act for."""
    return Ticket.objects.visible_to(user).filter(member__in=member_choices(user))


class _PortalView(MemberUserMixin, View):
    """Portal pages are for member users: staff are sent to the back office."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_staff:
            return redirect("web:staff")
        return super().dispatch(request, *args, **kwargs)

    def no_member(self, request):
        return render(request, "members/portal_no_member.html", status=403)


class _TicketView(_PortalView):
    """Pages about one ticket: the conversation, with the reply and rating forms."""

    def get_ticket(self, request, reference: str) -> Ticket:
        # The organisations the user acts for (member_choices: their memberships, active
        # organisations). Staff never reach the portal (dispatch), so visible_to's join on
        # the memberships is that scope, and the organisation is joined anyway: the same
        # rows as portal_tickets() with three tables fewer to plan (1.6 -> 0.5 ms on
        # PostgreSQL).
        return get_visible_or_404(
            Ticket.objects.filter(member__is_active=True).select_related(
                "member", "software", "requester"
            ),
            request.user,
            reference=reference,
        )

    def render_ticket(self, request, ticket, *, reply_form=None, rate_form=None):
        # The ticket was read through visible_to (get_ticket): its messages are in scope
        # without joining the ticket, organisation and memberships again.
        conversation = (
            TicketMessage.objects.filter(ticket=ticket)
            .public()
            .select_related("author", "contact")
            .prefetch_related("attachments")
        )
        members = list(member_choices(request.user))
        can_rate = (
            ticket.status in (Status.RESOLVED, Status.CLOSED)
            and ticket.resolved_at is not None
            and not ticket.satisfaction
        )
        return render(
            request,
            "desk/portal/ticket.html",
            {
                "ticket": ticket,
                "conversation": conversation,
                "reply_form": reply_form
                if reply_form is not None
                else (ReplyForm() if ticket.status != Status.CLOSED else None),
                "rate_form": rate_form
                if rate_form is not None
                else (RateForm() if can_rate else None),
                # The portal's header lists them too (members' context processor): one
                # query for both.
                "my_members": members,
                "several_members": len(members) > 1,
            },
        )


class TicketListView(_PortalView):
    def get(self, request):
        member = active_member(request)
        if member is None:
            return self.no_member(request)
        key = request.GET.get("etat", DEFAULT_FILTER)
        if key not in LIST_FILTERS:
            key = DEFAULT_FILTER
        tickets = portal_tickets(request.user).for_member(member)
        counts = tickets.aggregate(
            **{
                slug.replace("-", "_"): Count("pk", filter=Q(status__in=statuses))
                if statuses
                else Count("pk")
                for slug, (_label, statuses) in LIST_FILTERS.items()
            }
        )
        statuses = LIST_FILTERS[key][1]
        if statuses:
            tickets = tickets.filter(status__in=statuses)
        last_public = (
            TicketMessage.objects.filter(ticket=OuterRef("pk"), kind=TicketMessage.Kind.PUBLIC)
            .order_by("-created_at")
            .values("created_at")[:1]
        )
        tickets = (
            tickets.select_related("software")
            .annotate(last_activity=Subquery(last_public))
            .order_by("-created_at", "-pk")
        )
        paginator = Paginator(tickets, PAGE_SIZE)
        # The tab's count is already known (the aggregate above): no COUNT(*) again.
        paginator.count = counts[key.replace("-", "_")]
        page = paginator.get_page(request.GET.get("page"))
        tabs = [
            (slug, label, counts[slug.replace("-", "_")], slug == key)
            for slug, (label, _statuses) in LIST_FILTERS.items()
        ]
        return render(
            request,
            "desk/portal/list.html",
            {
                "member": member,
                "page": page,
                "tabs": tabs,
                "current": key,
                "query": f"etat={key}",
                "closed_sentence": closed_desk_sentence(services.desk_hours()),
            },
        )


class TicketCreateView(_PortalView):
    def _form(self, request, member, data=None, files=None):
        initial = {}
        follow_up = request.GET.get("suite", "")
        if follow_up and portal_tickets(request.user).filter(reference=follow_up).exists():
            initial["follow_up_of"] = follow_up
        return TicketCreateForm(data, files, member=member, user=request.user, initial=initial)

    def _render(self, request, member, form):
        follow_up = form["follow_up_of"].value() or ""
        return render(
            request,
            "desk/portal/create.html",
            {
                "member": member,
                "form": form,
                "follow_up": follow_up,
                "closed_sentence": closed_desk_sentence(services.desk_hours()),
            },
        )

    def get(self, request):
        member = active_member(request)
        if member is None:
            return self.no_member(request)
        return self._render(request, member, self._form(request, member))

    def post(self, request):
        member = active_member(request)
        if member is None:
            return self.no_member(request)
        form = self._form(request, member, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            follow_up_of = None
            if data["follow_up_of"]:
                follow_up_of = (
                    portal_tickets(request.user)
                    .for_member(member)
                    .filter(reference=data["follow_up_of"])
                    .first()
                )
            try:
                ticket = services.open_ticket(
                    member=member,
                    subject=data["subject"],
                    description=data["description"],
                    channel=Channel.PORTAL,
                    opened_by=request.user,
                    requester=request.user,
                    software=data["software"],
                    category=data["category"],
                    attachments=data["attachments"],
                    follow_up_of=follow_up_of,
                )
            except ValidationError as exc:
                apply_service_error(form, exc, aliases={"follow_up_of": None})
            else:
                messages.success(
                    request,
                    _("Votre demande %(reference)s est enregistrée.")
                    % {"reference": ticket.reference},
                )
                sentence = closed_desk_sentence(services.desk_hours(at=ticket.created_at))
                if sentence:
                    messages.info(request, sentence)
                return redirect("desk-portal:ticket", reference=ticket.reference)
        return self._render(request, member, form)


class TicketDetailView(_TicketView):
    def get(self, request, reference):
        return self.render_ticket(request, self.get_ticket(request, reference))


class TicketReplyView(_TicketView):
    def get(self, request, reference):
        return redirect("desk-portal:ticket", reference=reference)

    def post(self, request, reference):
        ticket = self.get_ticket(request, reference)
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.add_reply(
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    by=request.user,
                    attachments=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Votre message est envoyé à l'assistance."))
                return redirect(reverse("desk-portal:ticket", args=[reference]) + "#conversation")
        return self.render_ticket(request, ticket, reply_form=form)


class TicketRateView(_TicketView):
    def get(self, request, reference):
        return redirect("desk-portal:ticket", reference=reference)

    def post(self, request, reference):
        ticket = self.get_ticket(request, reference)
        form = RateForm(request.POST)
        if form.is_valid():
            try:
                services.rate(
                    ticket=ticket,
                    satisfied=form.cleaned_data["satisfied"],
                    comment=form.cleaned_data["comment"],
                    by=request.user,
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Merci pour votre évaluation."))
                return redirect(reverse("desk-portal:ticket", args=[reference]) + "#evaluation")
        return self.render_ticket(request, ticket, rate_form=form)


class AttachmentView(_PortalView):
    """Download a file of the public conversation (never one of an internal note)."""

    def get(self, request, reference, pk):
        attachment = get_visible_or_404(
            TicketAttachment.objects.filter(
                ticket__in=portal_tickets(request.user),
                ticket__reference=reference,
                message__kind=TicketMessage.Kind.PUBLIC,
            ),
            request.user,
            pk=pk,
        )
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, ValueError) as exc:
            raise Http404 from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )

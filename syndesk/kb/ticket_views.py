"""Practical sheets used from tickets and in the portal: suggestions while a ticket is
typed, links between sheets and tickets (staff), "Résoudre par fiche", the helpful votes
and the portal's sheets for the member's software.

Every ticket is fetched through ``Ticket.objects.visible_to`` and every sheet through
``Sheet.objects.visible_to``: a member user never reaches another member's ticket nor a
staff-only sheet, whatever the URL typed.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from syndesk.catalog.models import Software
from syndesk.contracts.models import Subscription
from syndesk.core.permissions import MemberUserMixin, StaffPermissionMixin
from syndesk.core.scoping import get_visible_or_404
from syndesk.desk.models import Ticket
from syndesk.members.portal import active_member

from . import fuzzy, services
from .models import Sheet, TicketSheetLink
from .panels import staff_ticket_panel_context
from .suggest import suggest_sheets

MAX_PARAM = 2000


def _param(request, name: str) -> str:
    return request.GET.get(name, "")[:MAX_PARAM]


class SuggestionsFragmentView(LoginRequiredMixin, View):
    """Live region of the ticket forms: sheets matching the subject and description being
    typed, among those the user may read (members: public and members-only sheets)."""

    def get(self, request):
        hits = suggest_sheets(
            user=request.user,
            subject=_param(request, "subject"),
            description=_param(request, "description"),
        )
        return render(request, "kb/tickets/_suggestions.html", {"hits": hits})


# Staff: links from the ticket page ------------------------------------------------------------


class _TicketSheetView(StaffPermissionMixin, View):
    permission_required = ("desk.change_ticket", "kb.view_sheet")

    def get_ticket(self, request, reference: str) -> Ticket:
        return get_visible_or_404(Ticket.objects.all(), request.user, reference=reference)

    def back(self, ticket):
        return redirect(reverse("desk:ticket", args=[ticket.reference]) + "#fiches")

    def refused(self, request, ticket, exc: ValidationError):
        messages.error(request, " ".join(exc.messages))
        return self.back(ticket)


class TicketSheetPanelView(_TicketSheetView):
    """The body of the ticket page's "Fiches pratiques" panel (loaded by htmx)."""

    permission_required = ("desk.view_ticket", "kb.view_sheet")

    def get(self, request, reference):
        ticket = self.get_ticket(request, reference)
        return render(
            request,
            "kb/tickets/_staff_panel_body.html",
            staff_ticket_panel_context(request.user, ticket),
        )


class TicketSheetSearchView(_TicketSheetView):
    """Fragment of the ticket page: sheets matching what the agent types, to link."""

    permission_required = ("desk.view_ticket", "kb.view_sheet")

    def get(self, request, reference):
        ticket = self.get_ticket(request, reference)
        q = _param(request, "q").strip()[:200]
        hits = fuzzy.search_with_typos(Sheet.objects.published(), q, limit=10) if q else []
        linked = set(ticket.sheet_links.values_list("sheet_id", flat=True))
        return render(
            request,
            "kb/tickets/_link_choices.html",
            {"ticket": ticket, "hits": [h for h in hits if h.sheet.pk not in linked], "q": q},
        )


class TicketSheetLinkView(_TicketSheetView):
    def post(self, request, reference):
        ticket = self.get_ticket(request, reference)
        sheet_id = request.POST.get("sheet", "")
        sheet = Sheet.objects.filter(pk=int(sheet_id)).first() if sheet_id.isdigit() else None
        if sheet is None:
            messages.error(request, _("Choisissez une fiche à lier."))
            return self.back(ticket)
        try:
            services.link_sheet(ticket=ticket, sheet=sheet, by=request.user)
        except ValidationError as exc:
            return self.refused(request, ticket, exc)
        messages.success(
            request, _("Fiche « %(title)s » liée à la demande.") % {"title": sheet.title}
        )
        return self.back(ticket)


class TicketSheetUnlinkView(_TicketSheetView):
    def post(self, request, reference, pk):
        ticket = self.get_ticket(request, reference)
        link = get_object_or_404(
            TicketSheetLink.objects.select_related("sheet"), pk=pk, ticket=ticket
        )
        try:
            services.unlink_sheet(link=link, by=request.user)
        except ValidationError as exc:
            return self.refused(request, ticket, exc)
        messages.success(request, _("Fiche « %(title)s » déliée.") % {"title": link.sheet.title})
        return self.back(ticket)


class TicketResolveBySheetView(_TicketSheetView):
    def post(self, request, reference, pk):
        ticket = self.get_ticket(request, reference)
        sheet = get_object_or_404(Sheet.objects.published(), pk=pk)
        try:
            services.resolve_by_sheet(ticket=ticket, sheet=sheet, by=request.user)
        except ValidationError as exc:
            return self.refused(request, ticket, exc)
        messages.success(
            request,
            _("Demande résolue par la fiche « %(title)s » ; l'adhérent a reçu son lien.")
            % {"title": sheet.title},
        )
        return redirect("desk:ticket", reference=ticket.reference)


# Votes ------------------------------------------------------------------------------------


@require_POST
def sheet_vote(request, slug):
    """ "Cette fiche vous a-t-elle aidé ?": yes/no from a signed-in member user; a visitor
    goes to the login page (then back to the sheet)."""
    detail = reverse("kb-public:detail", args=[slug])
    if not request.user.is_authenticated:
        return redirect_to_login(detail)
    sheet = Sheet.objects.visible_to(request.user).filter(slug=slug).first()
    if sheet is None:
        raise Http404
    answer = request.POST.get("helpful", "")
    if answer not in ("1", "0"):
        messages.error(request, _("Répondez par « Oui » ou par « Non »."))
        return redirect(detail + "#avis")
    try:
        services.vote_sheet(sheet=sheet, user=request.user, helpful=answer == "1")
    except PermissionDenied:
        messages.error(request, _("Seuls les utilisateurs des adhérents donnent leur avis."))
        return redirect(detail + "#avis")
    messages.success(request, _("Merci pour votre avis."))
    return redirect(detail + "#avis")


# Portal -----------------------------------------------------------------------------------


class PortalSheetListView(MemberUserMixin, View):
    """The published sheets of the active organisation's software (those its subscription
    covers; all software when it covers all of them), grouped by software, plus the general
    sheets (about no software)."""

    def get(self, request):
        if request.user.is_staff:
            return redirect("kb:list")
        member = active_member(request)
        if member is None:
            return render(request, "members/portal_no_member.html", status=403)
        subscription = (
            Subscription.objects.filter(member=member)
            .exclude(status=Subscription.Status.ENDED)
            .prefetch_related(Prefetch("software", queryset=Software.objects.only("pk", "name")))
            .first()
        )
        covered = list(subscription.software.all()) if subscription else []
        visible = Sheet.objects.visible_to(request.user).prefetch_related(
            Prefetch("software", queryset=Software.objects.only("pk", "name"))
        )
        if subscription is None:
            sheets = list(visible.filter(software__isnull=True).order_by("title", "pk"))
        elif covered:
            sheets = list(
                (visible.filter(software__in=covered) | visible.filter(software__isnull=True))
                .distinct()
                .order_by("title", "pk")
            )
        else:
            sheets = list(visible.order_by("title", "pk"))
        wanted = {s.pk for s in covered}
        groups: dict = {}
        general = []
        for sheet in sheets:
            software = [s for s in sheet.software.all() if not wanted or s.pk in wanted]
            if not sheet.software.all():
                general.append(sheet)
            for item in software:
                groups.setdefault(item, []).append(sheet)
        return render(
            request,
            "kb/portal_list.html",
            {
                "member": member,
                "subscription": subscription,
                "groups": sorted(groups.items(), key=lambda pair: pair[0].name.lower()),
                "general": general,
                "count": len(sheets),
            },
        )

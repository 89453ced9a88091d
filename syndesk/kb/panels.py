"""Panels kb adds to the helpdesk's pages (see syndesk.core.panels): desk never imports kb.

* ``ticket_form_suggestions`` (staff ticket form, call screen, portal ticket form; the
  object is the ticket form): a live region listing the sheets matching the subject and
  description being typed.
* ``staff_ticket_detail`` (staff ticket page): the linked sheets, "Résoudre par fiche",
  suggestions and a search to link another sheet.
* ``portal_ticket_detail`` (portal ticket page): the linked sheets the member may read.
"""

from django.urls import reverse

from syndesk.core.panels import Panel, register

from . import services
from .models import Sheet, TicketSheetLink
from .suggest import suggest_sheets

MAX_SUGGESTED = 3


def ticket_form_suggestions(request, form) -> dict | None:
    user = getattr(request, "user", None)
    if form is None or user is None or not user.is_authenticated:
        return None
    try:
        subject, description = form["subject"], form["description"]
    except KeyError:
        return None
    url = reverse("kb:suggestions" if user.is_staff else "kb-portal:suggestions")
    return {
        "kb_suggest_url": url,
        "kb_subject_id": subject.auto_id,
        "kb_description_id": description.auto_id,
    }


def staff_ticket_sheets(request, ticket) -> dict | None:
    """The ticket page only gets a placeholder (no query): the panel's body, with its
    suggestions, loads by htmx from kb's TicketSheetPanelView."""
    user = getattr(request, "user", None)
    if ticket is None or user is None or not user.is_staff or not user.has_perm("kb.view_sheet"):
        return None
    return {"ticket": ticket}


def staff_ticket_panel_context(user, ticket) -> dict:
    """What the panel's body shows: linked sheets, suggestions, and what the user may do."""
    links = list(
        TicketSheetLink.objects.visible_to(user)
        .filter(ticket=ticket)
        .select_related("sheet", "linked_by")
    )
    linked = {link.sheet_id for link in links}
    can_change = user.has_perm("desk.change_ticket")
    suggested = []
    if can_change and ticket.is_open:
        hits = suggest_sheets(
            user=user, subject=ticket.subject, description=ticket.description, limit=6
        )
        suggested = [h for h in hits if h.sheet.pk not in linked][:MAX_SUGGESTED]
    return {
        "ticket": ticket,
        "links": links,
        "suggested": suggested,
        "can_change": can_change,
        "can_resolve": can_change and ticket.is_open,
        "staff_only": Sheet.Visibility.STAFF,
    }


def portal_ticket_sheets(request, ticket) -> dict | None:
    user = getattr(request, "user", None)
    if ticket is None or user is None or not user.is_authenticated:
        return None
    # Most tickets have no sheet: one plain query says so; the sheets' visibility (a query
    # on the user's memberships and one on the sheets) is checked only when there are links.
    # The page read the ticket through visible_to: its links are in scope without joining
    # the ticket, organisation and memberships again.
    links = list(TicketSheetLink.objects.filter(ticket=ticket).select_related("sheet"))
    if not links:
        return None
    readable = set(
        Sheet.objects.visible_to(user)
        .filter(pk__in={link.sheet_id for link in links})
        .values_list("pk", flat=True)
    )
    links = [link for link in links if link.sheet_id in readable]
    return {"links": links} if links else None


def staff_dashboard(request, obj) -> dict | None:
    """On the staff dashboard: the draft sheets, for staff who may read sheets (see
    services.dashboard_counts)."""
    return {"kb_counts": services.dashboard_counts(request.user)}


def register_panels() -> None:
    register(
        "staff_home",
        Panel("kb/_dashboard_panel.html", staff_dashboard, 40, staff_permission="kb.view_sheet"),
    )
    register(
        "ticket_form_suggestions",
        Panel("kb/tickets/_suggestions_box.html", ticket_form_suggestions, 50),
    )
    register("staff_ticket_detail", Panel("kb/tickets/_staff_panel.html", staff_ticket_sheets, 50))
    register(
        "portal_ticket_detail", Panel("kb/tickets/_portal_panel.html", portal_ticket_sheets, 50)
    )

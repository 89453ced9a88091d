"""Panels this app adds to other apps' pages (see syndesk.core.panels): the remote sessions
of a ticket on the agent's ticket page (request form, live panel) and on the member's
ticket page. Desk does not import this app: the templates render the slots."""

from django.urls import reverse

from syndesk.core.panels import Panel, register

from . import selectors, services
from .models import RemoteSession, Status


def staff_ticket_panel(request, ticket) -> dict | None:
    user = request.user
    visible = RemoteSession.objects.visible_to(user).filter(ticket=ticket)
    # Most tickets have no session: a plain query on the ticket's index says so; the join of
    # five tables, whose planning alone took 0.6 ms on PostgreSQL, only when there are some.
    ids = list(visible.values_list("pk", flat=True)[:20])
    sessions = (
        list(
            visible.filter(pk__in=ids).select_related(
                "tool", "requested_by", "closed_by", "present_user", "present_contact"
            )
        )
        if ids
        else []
    )
    active = next((s for s in sessions if s.status in (Status.REQUESTED, Status.OPEN)), None)
    # One query on the ticket page: the request form (and its list of tools) is fetched by
    # htmx when the agent opens it (the ticket page has a query budget).
    can_request = user.has_perm("remote.add_remotesession") and ticket.is_open and active is None
    return {
        "remote_sessions": sessions,
        "remote_active": active,
        "remote_can_request": can_request,
        "remote_ticket": ticket,
        "remote_poll": max(2, min(services.beat_seconds(), 5)),
    }


def portal_ticket_panel(request, ticket) -> dict | None:
    """No query here (the portal's ticket page has a query budget): the sessions of the
    ticket are loaded by htmx right after the page (``remote-portal:ticket-panel``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return None
    return {"remote_ticket_reference": ticket.reference}


def portal_ticket_sessions(user, reference: str) -> list:
    """The sessions of one ticket the member user may see, with their portal links."""
    sessions = (
        RemoteSession.objects.visible_to(user)
        .filter(ticket__reference=reference)
        .select_related("tool")[:20]
    )
    return [(s, reverse("remote-portal:session", kwargs={"token": s.token})) for s in sessions]


def portal_member_panel(request, member) -> dict | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff or member is None:
        return None
    pending = list(
        RemoteSession.objects.visible_to(user)
        .for_member(member)
        .filter(status__in=[Status.REQUESTED, Status.OPEN])
        .select_related("ticket", "tool")[:10]
    )
    if not pending:
        return None
    return {"remote_pending": pending}


def staff_dashboard(request, obj) -> dict | None:
    """On the staff dashboard: sessions waiting for consent and sessions open now, for
    staff who may read sessions (see selectors.dashboard_counts)."""
    return {"remote_counts": selectors.dashboard_counts(request.user)}


def register_panels() -> None:
    register(
        "staff_home",
        Panel(
            "remote/_dashboard_panel.html",
            staff_dashboard,
            20,
            staff_permission="remote.view_remotesession",
        ),
    )
    register(
        "staff_ticket_detail",
        Panel(
            "remote/staff/_ticket_panel.html",
            staff_ticket_panel,
            50,
            staff_permission="remote.view_remotesession",
        ),
    )
    register(
        "portal_ticket_detail", Panel("remote/portal/_ticket_panel.html", portal_ticket_panel, 50)
    )
    register("portal_member", Panel("remote/portal/_member_panel.html", portal_member_panel, 35))

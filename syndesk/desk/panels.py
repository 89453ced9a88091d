"""Panels this app adds to pages of other apps (see syndesk.core.panels).

``register_panels()`` is called once from ``DeskConfig.ready()``; registering twice is
harmless (the registry ignores a panel it already holds).
"""

from django.db.models import Count, Q

from syndesk.core.panels import Panel, register

from . import services
from .models import OPEN_STATUSES, Status, Ticket


def portal_tickets(request, member) -> dict | None:
    """On the portal's organisation page: open requests, those waiting for the member's
    answer and the resolved ones to rate, with links (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or member is None:
        return None
    counts = (
        Ticket.objects.visible_to(user)
        .for_member(member)
        .aggregate(
            open_count=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            waiting_count=Count("pk", filter=Q(status=Status.WAITING_MEMBER)),
            to_rate_count=Count("pk", filter=Q(status=Status.RESOLVED, satisfaction="")),
        )
    )
    return {**counts, "panel_member": member}


def staff_dashboard(request, obj) -> dict | None:
    """On the staff dashboard: what the queues hold for the user (see
    services.dashboard_counts), for staff who may read tickets."""
    return {"desk_counts": services.dashboard_counts(request.user)}


def register_panels() -> None:
    register("portal_member", Panel("desk/portal/_panel.html", portal_tickets, 30))
    register(
        "staff_home",
        Panel(
            "desk/_dashboard_panel.html", staff_dashboard, 10, staff_permission="desk.view_ticket"
        ),
    )

"""Panels this app adds to pages of other apps (see syndesk.core.panels): the member's
staff page, the helpdesk call screen (installed software with masked licences) and the
portal's organisation page. Registered once from InventoryConfig.ready()."""

from django.db.models import Count, Prefetch, Q

from syndesk.core.panels import Panel, register

from . import rules, services
from .models import Declaration, Installation, Workstation


def _installations(user, member):
    return (
        Installation.objects.visible_to(user)
        .filter(member=member)
        .select_related("software", "version")
        .prefetch_related(Prefetch("workstations", queryset=Workstation.objects.only("pk", "name")))
    )


def staff_member(request, member) -> dict | None:
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("inventory.view_installation"):
        return None
    workstations = list(Workstation.objects.visible_to(user).filter(member=member))
    compliance = services.workstation_compliance(workstations)
    open_declarations = Declaration.objects.visible_to(user).filter(member=member).open().count()
    return {
        "installations": list(_installations(user, member)),
        "workstation_count": len(workstations),
        "failing": [c for c in compliance if c.status == rules.FAIL],
        "open_declarations": open_declarations,
        "panel_member": member,
    }


def call_screen(request, member) -> dict | None:
    """What the agent needs while the member is on the phone: each software with its version
    and masked licence (revealed on demand by a logged POST)."""
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("inventory.view_installation"):
        return None
    return {
        "installations": list(_installations(user, member)),
        "can_reveal": user.has_perm("inventory.reveal_licence"),
        "panel_member": member,
        "show": True,
    }


def portal_member(request, member) -> dict | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or member is None:
        return None
    counts = (
        Declaration.objects.visible_to(user)
        .for_member(member)
        .aggregate(
            open_count=Count("pk", filter=Q(status__in=["submitted", "needs_details"])),
            details_count=Count("pk", filter=Q(status="needs_details")),
        )
    )
    installed = Installation.objects.visible_to(user).for_member(member).count()
    return {**counts, "installed": installed, "panel_member": member, "show": True}


def staff_dashboard(request, obj) -> dict | None:
    """On the staff dashboard: the declarations waiting in the queue, for staff who may
    open it (see services.dashboard_counts)."""
    return {"inventory_counts": services.dashboard_counts(request.user)}


def register_panels() -> None:
    register(
        "staff_home",
        Panel(
            "inventory/_dashboard_panel.html",
            staff_dashboard,
            30,
            staff_permission="inventory.view_declaration",
        ),
    )
    register("staff_member_detail", Panel("inventory/panels/staff_member.html", staff_member, 80))
    register("desk_call_member", Panel("inventory/panels/call_screen.html", call_screen, 10))
    register("portal_member", Panel("inventory/panels/portal_member.html", portal_member, 40))

"""Extension points of pages owned by one app and enriched by others.

The member page (members app) shows the member's contracts, tickets, invoices... without the
members app importing those apps: each app registers a panel in its AppConfig.ready(), and
the page renders every panel registered for its slot, in order.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[..., dict]  # (request, obj) -> template context; falsy to skip
    order: int = 100
    #: A back-office panel: shown only to staff holding this permission (checked before
    #: `context` is called).
    staff_permission: str = ""

    def shown_to(self, user) -> bool:
        if not self.staff_permission:
            return True
        return user is not None and user.is_staff and user.has_perm(self.staff_permission)


_REGISTRY: dict[str, list[Panel]] = {}


def register(slot: str, panel: Panel) -> None:
    panels = _REGISTRY.setdefault(slot, [])
    if panel not in panels:
        panels.append(panel)
        panels.sort(key=lambda p: p.order)


def panels_for(slot: str) -> list[Panel]:
    return list(_REGISTRY.get(slot, []))

"""Panels this app adds to other apps' pages (see syndesk.core.panels)."""

from .taskqueue import queue_state


def tasks_panel(request, obj) -> dict | None:
    """On the staff dashboard, for managers: failed and waiting background tasks."""
    state = queue_state()
    return {"state": state} if state is not None else None

"""Panels this app adds to other apps' pages (see syndesk.core.panels): the contract
pipeline's figures on the staff dashboard. Registered once from ContractsConfig.ready()."""

from django.utils import timezone

from . import services
from .views import UPCOMING_DAYS


def staff_dashboard(request, obj) -> dict | None:
    """Requests, quotes, orders and terminations waiting in the pipeline, for staff who may
    read quotes (see services.dashboard_counts)."""
    counts = services.dashboard_counts(request.user, today=timezone.localdate(), days=UPCOMING_DAYS)
    return {
        "contracts_counts": counts,
        "contracts_days": UPCOMING_DAYS,
        "contracts_expiring_days": services.QUOTE_EXPIRY_WARNING_DAYS,
    }

"""Panels this app adds to other apps' pages (see syndesk.core.panels): the billing figures
on the staff dashboard. Registered once from BillingConfig.ready()."""

from django.utils import timezone

from . import services


def staff_dashboard(request, obj) -> dict | None:
    """Drafts to issue, overdue invoices and those falling due soon, for staff who may read
    invoices (see services.dashboard_counts)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_staff or not user.has_perm("billing.view_invoice"):
        return None
    return {
        "billing_counts": services.dashboard_counts(user, today=timezone.localdate()),
        "billing_due_days": services.DUE_SOON_DAYS,
    }

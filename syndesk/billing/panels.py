"""Panels this app adds to other apps' pages (see syndesk.core.panels): the billing figures
on the staff dashboard. Registered once from BillingConfig.ready()."""

from django.utils import timezone

from . import services


def staff_dashboard(request, obj) -> dict | None:
    """Drafts to issue, overdue invoices and those falling due soon, for staff who may read
    invoices (see services.dashboard_counts)."""
    return {
        "billing_counts": services.dashboard_counts(request.user, today=timezone.localdate()),
        "billing_due_days": services.DUE_SOON_DAYS,
    }

"""Demo billing (load_demo, after the contracts): the current year's invoices of the demo
subscriptions, drafted by the invoicing run and issued on their period's first day (the
gapless series follows the calendar), then a year of life on them: most paid in full by
administrative mandate 20 to 28 days after issue, one partly paid, one corrected by a credit
note, and the oldest unpaid ones late, one already reminded by letter.

Built through the services only; idempotent (a rerun issues only the periods started since,
and never pays, credits or reminds twice)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from syndesk.contracts.demo import BILLING_EMAIL

from . import services
from .models import Invoice, Payment, Reminder

#: Invoices issued more than this many days ago have been paid (except those below).
PAID_AFTER_DAYS = 45
#: Positions (in issue order) of the invoices the demo keeps interesting.
PARTIAL, CREDITED, LATE = 1, 2, (3, 5)


def _officer():
    return get_user_model().objects.filter(email=BILLING_EMAIL).first()


def _issue_this_year(today: date, by) -> None:
    """Draft the periods started this year (older ones were billed by the previous system)
    and issue each draft on its period's first day, in calendar order."""
    services.run_invoicing(as_of=today, issued_by=by, since=date(today.year, 1, 1))
    drafts = Invoice.objects.filter(
        status=Invoice.Status.DRAFT, kind=Invoice.Kind.INVOICE, period_start__year=today.year
    ).order_by("period_start", "pk")
    latest = (
        Invoice.objects.filter(year=today.year, kind=Invoice.Kind.INVOICE)
        .order_by("-issue_date")
        .values_list("issue_date", flat=True)
        .first()
    )
    for draft in drafts:
        day = max(draft.period_start, latest or draft.period_start)
        try:
            with transaction.atomic():
                services.issue_invoice(invoice=draft, issued_by=by, issue_date=day)
        except ValidationError:
            continue  # e.g. a member without a billing SIRET: left as a draft to fix
        latest = day


def _settle(today: date, by) -> None:
    invoices = list(
        Invoice.objects.issued()
        .invoices()
        .filter(year=today.year)
        .select_related("member")
        .order_by("issue_date", "number")
    )
    for position, invoice in enumerate(invoices):
        age = (today - invoice.issue_date).days
        if age < PAID_AFTER_DAYS or Payment.objects.filter(invoice=invoice).exists():
            continue
        if position == CREDITED and not invoice.credit_notes.exists():
            services.create_credit_note(
                invoice=invoice,
                reason="Offre facturée deux fois (option déjà incluse)",
                issued_by=by,
                amount=Decimal("50.00"),
                issue_date=max(
                    invoice.issue_date + timedelta(days=10),
                    Invoice.objects.credit_notes()
                    .filter(year=today.year)
                    .order_by("-issue_date")
                    .values_list("issue_date", flat=True)
                    .first()
                    or invoice.issue_date,
                ),
            )
            invoice.refresh_from_db()
        if position in LATE:
            if position == LATE[0] and not invoice.reminders.exists():
                services.send_reminder(
                    invoice=invoice,
                    kind=Reminder.Kind.LETTER,
                    sent_by=by,
                    as_of=min(today, invoice.due_date + timedelta(days=15)),
                )
            continue
        due = invoice.amount_due
        amount = (due / 2).quantize(Decimal("0.01")) if position == PARTIAL else due
        if amount <= 0:
            continue
        services.record_payment(
            invoice=invoice,
            mandate_number=f"M-{today.year}-{position + 1:04d}",
            paid_on=invoice.issue_date + timedelta(days=20 + position % 9),
            amount=amount,
            entered_by=by,
            source=Payment.Source.IMPORT if position % 3 else Payment.Source.MANUAL,
        )


def counts(year: int) -> dict[str, int]:
    issued = Invoice.objects.issued().filter(year=year)
    return {
        "invoices": issued.invoices().count(),
        "credit_notes": issued.credit_notes().count(),
        "payments": Payment.objects.filter(invoice__year=year).count(),
        "overdue": Invoice.objects.overdue(timezone.localdate()).count(),
    }


@transaction.atomic
def load_billing_demo(*, today: date | None = None) -> dict[str, int]:
    """Issue and settle the demo invoices of the current year; idempotent."""
    today = today or timezone.localdate()
    by = _officer()
    _issue_this_year(today, by)
    _settle(today, by)
    return counts(today.year)

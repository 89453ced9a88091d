"""The demo billing: this year's invoices issued for the demo subscriptions in a gapless
series, with payments, a partial payment, a credit note and late invoices; idempotent."""

from datetime import date

import pytest

from syndesk.billing.demo import load_billing_demo
from syndesk.billing.models import Invoice, Payment, Reminder
from syndesk.catalog.demo import load_catalog_demo
from syndesk.contracts.demo import load_contracts_demo
from syndesk.contracts.models import Subscription
from syndesk.members.demo import load_demo

from .test_views_helpers import frozen_today

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 27)


def snapshot():
    return (
        list(Invoice.objects.order_by("pk").values_list("pk", "number", "status")),
        list(Payment.objects.order_by("pk").values_list("pk", "amount")),
        Reminder.objects.count(),
    )


def test_the_demo_issues_pays_credits_and_leaves_late_invoices():
    with frozen_today(DAY):
        load_demo()
        load_catalog_demo()
        load_contracts_demo(today=DAY)
        figures = load_billing_demo(today=DAY)
        started = Subscription.objects.filter(start__lte=DAY).count()
        assert figures["invoices"] >= started - 2
        numbers = list(
            Invoice.objects.issued().invoices().order_by("number").values_list("number", flat=True)
        )
        assert numbers == [f"FA-2026-{n:05d}" for n in range(1, len(numbers) + 1)]
        assert figures["credit_notes"] == 1
        assert figures["payments"] > 10
        assert figures["overdue"] >= 2
        partial = (
            Invoice.objects.issued().invoices().filter(amount_paid__gt=0, settled_on__isnull=True)
        )
        assert partial.exists()
        assert Reminder.objects.count() == 1
        before = snapshot()
        load_billing_demo(today=DAY)
        assert snapshot() == before

"""The bulk generator of issued invoices for the benchmark data."""

from datetime import date

import pytest

from syndesk.billing import benchdata, services
from syndesk.billing.models import Invoice
from syndesk.core.models import NumberSequence

pytestmark = pytest.mark.django_db


def test_generate_invoices_periods_then_members(subscription, member_b, billing):
    created = benchdata.generate(12)
    assert created == 12
    periods = Invoice.objects.filter(subscription=subscription)
    assert periods.count() >= 1
    assert all(
        i.status == Invoice.Status.ISSUED and i.lines.count() == 1 for i in Invoice.objects.all()
    )
    for year in set(Invoice.objects.values_list("year", flat=True)):
        numbers = sorted(
            int(n.rsplit("-", 1)[1])
            for n in Invoice.objects.filter(year=year).values_list("number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1))
        assert NumberSequence.objects.get(series="FA", year=year).last == len(numbers)
    # The run does not draft the generated periods again.
    created = services.run_invoicing(as_of=date.today()).created
    assert [i for i in created if i.subscription_id == subscription.pk] == []

"""The billing arithmetic: due dates, pro rata temporis, late-payment interest, rounding."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndesk.billing import rules
from syndesk.contracts.rules import period_end, period_start


def test_payment_due_is_thirty_days_after_receipt():
    assert rules.payment_due(date(2026, 3, 15)) == date(2026, 4, 14)
    assert rules.payment_due(date(2026, 12, 15)) == date(2027, 1, 14)
    assert rules.payment_due(date(2028, 2, 1)) == date(2028, 3, 2)  # leap year


def test_payment_due_does_not_move_off_weekends():
    # 2026-05-02 is a Saturday; the deadline is a number of days, not business days.
    assert rules.payment_due(date(2026, 4, 2)) == date(2026, 5, 2)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_payment_due_property(received):
    assert (rules.payment_due(received) - received).days == 30


def test_round_cents_half_up():
    assert rules.round_cents(Decimal("2.345")) == Decimal("2.35")
    assert rules.round_cents(Decimal("2.344")) == Decimal("2.34")
    assert rules.round_cents(Decimal("-2.345")) == Decimal("-2.35")
    assert rules.round_cents(Decimal("0.005")) == Decimal("0.01")


def test_prorata_whole_period_is_the_yearly_amount():
    start, end = date(2026, 3, 15), date(2027, 3, 14)
    assert rules.prorata(Decimal("850.00"), start, end, start, end) == Decimal("850.00")


def test_prorata_counts_both_ends_and_the_real_length_of_the_period():
    # 15 March 2026 → 30 June 2026 is 108 days of a 365-day period.
    start, end = date(2026, 3, 15), date(2027, 3, 14)
    assert rules.prorata(Decimal("850.00"), start, date(2026, 6, 30), start, end) == Decimal(
        "251.51"
    )
    # A period containing 29 February 2028 has 366 days.
    start, end = date(2027, 3, 15), date(2028, 3, 14)
    assert rules.prorata(Decimal("366.00"), start, start, start, end) == Decimal("1.00")


def test_prorata_refuses_days_outside_the_period():
    start, end = date(2026, 3, 15), date(2027, 3, 14)
    with pytest.raises(ValueError, match="not within the period"):
        rules.prorata(Decimal(100), date(2026, 3, 1), end, start, end)
    with pytest.raises(ValueError, match="not within the period"):
        rules.prorata(Decimal(100), start, date(2027, 3, 15), start, end)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(amounts, starts, st.integers(0, 20), st.integers(0, 400))
def test_prorata_parts_add_up_to_the_amount_within_a_cent(amount, start, n, cut):
    first, last = period_start(start, n), period_end(start, n)
    split = min(first + timedelta(days=cut), last - timedelta(days=1))
    if split < first:
        return
    head = rules.prorata(amount, first, split, first, last)
    tail = rules.prorata(amount, split + timedelta(days=1), last, first, last)
    assert abs(head + tail - amount) <= Decimal("0.01")
    assert Decimal(0) <= head <= amount


@given(amounts, starts, st.integers(0, 364), st.integers(0, 364))
def test_prorata_grows_with_the_days_covered(amount, start, a, b):
    last = period_end(start, 0)
    end_a = min(start + timedelta(days=min(a, b)), last)
    end_b = min(start + timedelta(days=max(a, b)), last)
    assert rules.prorata(amount, start, end_a, start, last) <= rules.prorata(
        amount, start, end_b, start, last
    )


def test_late_interest_rate_is_ecb_plus_eight_points():
    assert rules.late_interest_rate(Decimal("2.15")) == Decimal("10.15")
    assert rules.late_interest_rate(Decimal("0"), Decimal("8")) == Decimal("8")


def test_late_interest_is_simple_interest_per_day():
    # 1 000 € at 10.15 % for 73 days: 1000 × 0.1015 × 73 / 365 = 20.30 €.
    assert rules.late_interest(Decimal("1000.00"), Decimal("10.15"), 73) == Decimal("20.30")
    assert rules.late_interest(Decimal("850.00"), Decimal("10.15"), 1) == Decimal("0.24")
    assert rules.late_interest(Decimal("850.00"), Decimal("10.15"), 0) == Decimal("0.00")
    assert rules.late_interest(Decimal("0.00"), Decimal("10.15"), 10) == Decimal("0.00")


def test_late_interest_refuses_negative_days():
    with pytest.raises(ValueError, match="negative"):
        rules.late_interest(Decimal(10), Decimal(10), -1)


@given(amounts, st.decimals(min_value=0, max_value=30, places=2), st.integers(0, 2000))
def test_late_interest_properties(amount, rate, days):
    interest = rules.late_interest(amount, rate, days)
    assert interest >= 0
    assert interest == interest.quantize(Decimal("0.01"))
    # Never more than the exact value rounded up by half a cent.
    exact = amount * rate / 100 * days / 365
    assert abs(interest - exact) <= Decimal("0.005")


def test_days_late():
    assert rules.days_late(date(2026, 4, 14), date(2026, 4, 14)) == 0
    assert rules.days_late(date(2026, 4, 14), date(2026, 4, 20)) == 6
    assert rules.days_late(date(2026, 4, 14), date(2026, 4, 1)) == 0


def test_recovery_indemnity_is_forty_euros():
    assert Decimal("40.00") == rules.RECOVERY_INDEMNITY

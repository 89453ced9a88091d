"""The arithmetic of billing: due dates, pro rata temporis, late-payment interest, rounding.

Pure functions on dates and Decimals, no Django, no database.

What the law and the annex say, and how each rule is computed
--------------------------------------------------------------
Due date
    The annex: "the amount is payable within 30 days of receipt of the corresponding invoice,
    in one payment, by administrative mandate". This is the global payment period of local
    authorities (CCP R2192-10): the due date is the date of receipt plus 30 calendar days.
    No weekend or holiday shift: the deadline is a number of days, and the late-interest clock
    runs from the day after it.

Pro rata temporis
    A final period cut short by a termination is billed for the days actually covered
    (DOMAIN.md §7): the yearly amount × covered days / days of the yearly period, both ends
    included. Counting the real days of *that* period (365 or 366) keeps a whole period at
    exactly the yearly amount.

Late-payment interest (intérêts moratoires)
    Due automatically at the European Central Bank's main refinancing rate plus 8 points
    (CCP R2192-31), simple interest on the amount still due, per day late, on a 365-day year:
    amount × rate / 100 × days / 365. Plus a flat EUR 40 recovery indemnity (CCP R2192-32).

Rounding
    Every amount printed on a document is rounded to the cent, half up (the French accounting
    convention), once, at the end of each computation.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "LATE_INTEREST_POINTS",
    "PAYMENT_DAYS",
    "RECOVERY_INDEMNITY",
    "days_late",
    "late_interest",
    "late_interest_rate",
    "payment_due",
    "prorata",
    "round_cents",
]

PAYMENT_DAYS = 30
LATE_INTEREST_POINTS = Decimal(8)
RECOVERY_INDEMNITY = Decimal("40.00")
CENT = Decimal("0.01")
_YEAR_DAYS = Decimal(365)


def round_cents(value: Decimal | int | str) -> Decimal:
    """``value`` rounded to the cent, half up (2.345 → 2.35, -2.345 → -2.35)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def payment_due(received: date) -> date:
    """The last day to pay an invoice received on ``received``: 30 days after receipt."""
    return received + timedelta(days=PAYMENT_DAYS)


def prorata(
    amount: Decimal, start: date, end: date, period_start: date, period_end: date
) -> Decimal:
    """The part of the yearly ``amount`` for the days ``start``..``end`` (inclusive) of the
    period ``period_start``..``period_end`` (inclusive), rounded to the cent."""
    if not period_start <= start <= end <= period_end:
        raise ValueError(
            f"{start.isoformat()}..{end.isoformat()} is not within the period "
            f"{period_start.isoformat()}..{period_end.isoformat()}"
        )
    covered = (end - start).days + 1
    total = (period_end - period_start).days + 1
    if covered == total:
        return round_cents(amount)
    return round_cents(Decimal(amount) * covered / total)


def late_interest_rate(ecb_rate: Decimal, points: Decimal = LATE_INTEREST_POINTS) -> Decimal:
    """The yearly late-interest rate in percent: the ECB rate plus ``points`` points."""
    return Decimal(ecb_rate) + Decimal(points)


def days_late(due: date, on: date) -> int:
    """Days of delay on ``on`` for an invoice due on ``due`` (0 when not late)."""
    return max(0, (on - due).days)


def late_interest(amount: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    """Simple interest on ``amount`` at ``annual_rate`` percent a year for ``days`` days."""
    if days < 0:
        raise ValueError("days late cannot be negative")
    if amount <= 0 or days == 0:
        return Decimal("0.00")
    return round_cents(Decimal(amount) * Decimal(annual_rate) / 100 * days / _YEAR_DAYS)

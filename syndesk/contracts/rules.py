"""The arithmetic of the support contract: quote validity, yearly periods and termination.

Pure functions on ``datetime.date`` values, with no Django and no database, so that the rules can
be tested exhaustively and so that the UI can show its reasoning (``termination_explanation``).
All month arithmetic goes through one function, ``add_months``, so that every rule counts months
the same way.

What the annex says, and why each rule is computed as it is
------------------------------------------------------------
Quote validity
    "The quote is valid for one month from the date of the quote" ("le devis a une durée de
    validité d'un mois à compter de la date du devis"). A month is counted from a day number to
    the same day number of the next month, and where that month has no such day, to its last day
    (the convention of article 641 of the French Code de procédure civile): a quote dated
    31 January can be signed until 28 (or 29) February, one dated 15 December until 15 January.
    Unlike procedural deadlines, the contract does not extend a validity ending on a weekend or a
    public holiday: the date printed on the quote is the date that applies.

Yearly periods
    The subscription runs in yearly periods from its start date; period ``n`` (``n = 0`` is the
    first) starts on the same month and day ``n`` years after the start. A 29 February start falls
    back to 28 February in non-leap years. Every period is computed from the start date, never from
    the previous period: chaining would let a 29 February start drift to 28 February for good,
    whereas the anniversary of the signature is what members and invoices refer to.

Termination
    A termination request takes effect after a notice of two whole calendar months which starts on
    the first day of the month following receipt of the request: a letter received on 15 March
    gives a notice from 1 April to 31 May, and 31 May is the last day of service. A request received
    on the 1st of a month still waits for the next month (received 1 March: notice from 1 April),
    so the notice is always made of whole months. The first year is a minimum term: service never
    ends before the last day of the first period, whatever the notice gives. A request received
    before the start date is not a termination of this contract and is rejected (ValueError; the
    service layer turns it into a form error).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "MINIMUM_TERM_YEARS",
    "NOTICE_MONTHS",
    "QUOTE_VALIDITY_MONTHS",
    "TerminationExplanation",
    "add_months",
    "last_day_of_month",
    "minimum_term_end",
    "next_renewal",
    "period_end",
    "period_index",
    "period_start",
    "quote_valid_until",
    "termination_explanation",
    "termination_last_day",
]

QUOTE_VALIDITY_MONTHS = 1
NOTICE_MONTHS = 2
MINIMUM_TERM_YEARS = 1

_DAY = timedelta(days=1)


# --------------------------------------------------------------------------- month arithmetic


def last_day_of_month(d: date) -> date:
    """The last day of the month of ``d``."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months (negative goes back), keeping the day number.

    Where the target month is too short for that day number, the result is its last day
    (31 January + 1 month = 28/29 February), as in the annex's way of counting months.
    """
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    month = month0 + 1
    # Clamp rather than overflow into the next month: the deadline stays in the month it names.
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------- quote


def quote_valid_until(quote_date: date) -> date:
    """The last day on which a quote dated ``quote_date`` can be signed (inclusive)."""
    return add_months(quote_date, QUOTE_VALIDITY_MONTHS)


# --------------------------------------------------------------------------- yearly periods


def period_start(start: date, n: int) -> date:
    """The first day of the ``n``-th yearly period (``n = 0``: the first one, i.e. ``start``)."""
    if n < 0:
        raise ValueError(f"period number must be >= 0, got {n}")
    # Always from `start` (never from the previous period), so that 29 February comes back.
    return add_months(start, 12 * n)


def period_end(start: date, n: int) -> date:
    """The last day of the ``n``-th yearly period (inclusive)."""
    return period_start(start, n + 1) - _DAY


def period_index(start: date, on: date) -> int:
    """The number of the yearly period that contains ``on`` (0 for the first one)."""
    if on < start:
        raise ValueError(f"{on.isoformat()} is before the start date {start.isoformat()}")
    # The anniversary in `on`'s year is either on/before `on` or, if still to come, the previous
    # one is: no loop needed.
    n = on.year - start.year
    return n if period_start(start, n) <= on else n - 1


def next_renewal(start: date, on: date) -> date:
    """The start of the first period beginning strictly after ``on`` (``start`` itself if ``on``
    is before the start date)."""
    if on < start:
        return start
    return period_start(start, period_index(start, on) + 1)


def minimum_term_end(start: date) -> date:
    """The last day of the minimum term (the first year): service cannot end before it."""
    return period_end(start, MINIMUM_TERM_YEARS - 1)


# --------------------------------------------------------------------------- termination


@dataclass(frozen=True, slots=True)
class TerminationExplanation:
    """Every step of the termination computation, for a view to render (all dates inclusive)."""

    received: date
    notice_start: date
    notice_end: date
    minimum_term_end: date
    last_day: date
    #: True when the minimum term, not the notice, decided ``last_day`` (the notice ended before).
    floored_by_minimum_term: bool


def termination_explanation(start: date, received: date) -> TerminationExplanation:
    """How the last day of service follows from a termination request received on ``received``."""
    if received < start:
        raise ValueError(
            f"termination received on {received.isoformat()}, "
            f"before the start date {start.isoformat()}"
        )
    # The notice starts on the 1st of the *next* month, even when `received` is itself a 1st.
    notice_start = add_months(received.replace(day=1), 1)
    notice_end = last_day_of_month(add_months(notice_start, NOTICE_MONTHS - 1))
    floor = minimum_term_end(start)
    return TerminationExplanation(
        received=received,
        notice_start=notice_start,
        notice_end=notice_end,
        minimum_term_end=floor,
        last_day=max(notice_end, floor),
        floored_by_minimum_term=notice_end < floor,
    )


def termination_last_day(start: date, received: date) -> date:
    """The last day of service for a termination request received on ``received``."""
    return termination_explanation(start, received).last_day

"""Specification of the contract's arithmetic (``syndesk.contracts.rules``).

The example tests read as the annex: quote validity, yearly periods, termination notice and
minimum term. The property tests run over dates from 1990 to 2100, biased towards month ends,
1sts of months and 29 February, and compare the functions with deliberately naive oracles that
step one day at a time or simply try ``date(...)`` and catch the ValueError.
"""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from syndesk.contracts.rules import (
    TerminationExplanation,
    add_months,
    last_day_of_month,
    minimum_term_end,
    next_renewal,
    period_end,
    period_index,
    period_start,
    quote_valid_until,
    termination_explanation,
    termination_last_day,
)

DAY = timedelta(days=1)
MIN_DATE = date(1990, 1, 1)
MAX_DATE = date(2100, 12, 31)
LEAP_YEARS = [y for y in range(MIN_DATE.year, MAX_DATE.year + 1) if calendar.isleap(y)]


# --------------------------------------------------------------------------- oracles


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def oracle_quote_valid_until(d: date) -> date:
    """Step to the 1st of the next month, then take the same day number or the closest below."""
    first = d + DAY
    while first.day != 1:
        first += DAY
    for day in range(d.day, 0, -1):
        try:
            return first.replace(day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def oracle_anniversary(start: date, n: int) -> date:
    """Same month and day ``n`` years later; a 29 February that does not exist becomes the 28th."""
    try:
        return start.replace(year=start.year + n)
    except ValueError:
        return date(start.year + n, 2, 28)


def oracle_period_index(start: date, on: date) -> int:
    n = 0
    while oracle_anniversary(start, n + 1) <= on:
        n += 1
    return n


def oracle_termination_last_day(start: date, received: date) -> date:
    """Step day by day to the 1st of the next month, then through two month changes."""
    day = received + DAY
    while day.day != 1:
        day += DAY
    months_completed = 0
    while True:
        if (day + DAY).day == 1:
            months_completed += 1
            if months_completed == 2:
                break
        day += DAY
    return max(day, oracle_anniversary(start, 1) - DAY)


# --------------------------------------------------------------------------- strategies

any_dates = st.dates(MIN_DATE, MAX_DATE)
years = st.integers(MIN_DATE.year, MAX_DATE.year)
month_numbers = st.integers(1, 12)
month_ends = st.builds(lambda y, m: date(y, m, days_in_month(y, m)), years, month_numbers)
month_firsts = st.builds(lambda y, m: date(y, m, 1), years, month_numbers)
leap_days = st.sampled_from(LEAP_YEARS).map(lambda y: date(y, 2, 29))
dates = st.one_of(any_dates, month_ends, month_firsts, leap_days)
period_numbers = st.integers(0, 120)


@st.composite
def received_after(draw: st.DrawFn, start: date) -> date:
    """A date on or after ``start``: often within three years (where the minimum term matters),
    often a month end or a 1st, sometimes anywhere up to 2100."""
    horizon = min(MAX_DATE, start + timedelta(days=3 * 366))
    kind = draw(st.sampled_from(["near", "edge", "far"]))
    if kind == "near":
        return draw(st.dates(start, horizon))
    if kind == "far":
        return draw(st.dates(start, MAX_DATE))
    year, month0 = divmod(start.year * 12 + start.month - 1 + draw(st.integers(0, 36)), 12)
    day = draw(st.sampled_from([1, days_in_month(year, month0 + 1)]))
    return min(max(date(year, month0 + 1, day), start), horizon)


@st.composite
def start_and_received(draw: st.DrawFn) -> tuple[date, date]:
    start = draw(dates)
    return start, draw(received_after(start))


@st.composite
def start_and_two_received(draw: st.DrawFn) -> tuple[date, date, date]:
    start = draw(dates)
    first, second = sorted([draw(received_after(start)), draw(received_after(start))])
    return start, first, second


def d(iso: str) -> date:
    return date.fromisoformat(iso)


# --------------------------------------------------------------------------- month arithmetic


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2024-02-10", "2024-02-29"),  # leap year
        ("2025-02-01", "2025-02-28"),
        ("2000-02-15", "2000-02-29"),  # divisible by 400: leap
        ("2100-02-15", "2100-02-28"),  # divisible by 100 only: not leap
        ("2026-04-30", "2026-04-30"),
        ("2026-08-01", "2026-08-31"),
        ("2026-12-31", "2026-12-31"),
    ],
)
def test_last_day_of_month(day, expected):
    assert last_day_of_month(d(day)) == d(expected)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-01-31", 1, "2026-02-28"),  # clamped to the end of a short month
        ("2024-01-31", 1, "2024-02-29"),
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-12-15", 1, "2027-01-15"),  # across the year
        ("2026-01-15", -1, "2025-12-15"),  # backwards across the year
        ("2026-03-31", -1, "2026-02-28"),
        ("2024-01-31", 13, "2025-02-28"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2026-08-31", 0, "2026-08-31"),
    ],
)
def test_add_months_keeps_the_day_number_or_clamps_to_the_month_end(day, months, expected):
    assert add_months(d(day), months) == d(expected)


@given(day=dates, months=st.integers(-240, 240))
def test_add_months_lands_in_the_right_month_on_the_right_day(day, months):
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == min(day.day, days_in_month(result.year, result.month))


@given(day=dates)
def test_last_day_of_month_is_the_day_before_a_first(day):
    result = last_day_of_month(day)
    assert (result.year, result.month) == (day.year, day.month)
    assert result >= day
    assert (result + DAY).day == 1


# --------------------------------------------------------------------------- quote validity


@pytest.mark.parametrize(
    ("quote_date", "expected"),
    [
        ("2026-01-31", "2026-02-28"),  # no 31 February: last day of February
        ("2028-01-31", "2028-02-29"),  # leap year
        ("2026-01-30", "2026-02-28"),
        ("2029-01-29", "2029-02-28"),
        ("2028-01-29", "2028-02-29"),
        ("2026-03-31", "2026-04-30"),
        ("2026-04-30", "2026-05-30"),  # same day number, not the end of May
        ("2026-08-31", "2026-09-30"),
        ("2026-12-15", "2027-01-15"),  # across the year
        ("2026-12-31", "2027-01-31"),
        ("2024-02-29", "2024-03-29"),
        ("2025-02-28", "2025-03-28"),  # not 31 March: the day number is kept
        ("2030-06-01", "2030-07-01"),
    ],
)
def test_a_quote_is_valid_for_one_month_from_its_date(quote_date, expected):
    assert quote_valid_until(d(quote_date)) == d(expected)


def test_quote_validity_is_not_extended_over_a_weekend():
    # 28 February 2026 is a Saturday: the quote still expires that day.
    assert quote_valid_until(d("2026-01-28")) == d("2026-02-28")
    assert d("2026-02-28").weekday() == 5


@given(quote_date=dates)
def test_quote_validity_ends_strictly_after_and_at_most_31_days_after(quote_date):
    until = quote_valid_until(quote_date)
    assert quote_date < until <= quote_date + timedelta(days=31)


@given(quote_date=dates)
def test_quote_validity_keeps_the_day_number_unless_the_next_month_is_too_short(quote_date):
    until = quote_valid_until(quote_date)
    assert (until.year * 12 + until.month) - (quote_date.year * 12 + quote_date.month) == 1
    if until.day != quote_date.day:
        assert quote_date.day > days_in_month(until.year, until.month)
        assert until == last_day_of_month(until)


@given(first=dates, second=dates)
def test_quote_validity_is_monotonic(first, second):
    first, second = sorted([first, second])
    assert quote_valid_until(first) <= quote_valid_until(second)


@given(quote_date=dates)
def test_quote_validity_matches_the_day_stepping_oracle(quote_date):
    assert quote_valid_until(quote_date) == oracle_quote_valid_until(quote_date)


# --------------------------------------------------------------------------- yearly periods


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2024-02-29", 0, "2024-02-29"),
        ("2024-02-29", 1, "2025-02-28"),
        ("2024-02-29", 2, "2026-02-28"),
        ("2024-02-29", 3, "2027-02-28"),
        ("2024-02-29", 4, "2028-02-29"),  # back to 29 February: no drift
        ("2024-02-28", 4, "2028-02-28"),  # 28 February stays the 28th in leap years
        ("2026-01-31", 2, "2028-01-31"),
        ("2026-04-30", 1, "2027-04-30"),
        ("2026-08-31", 3, "2029-08-31"),
        ("2026-12-31", 1, "2027-12-31"),
        ("2026-03-15", 4, "2030-03-15"),
    ],
)
def test_period_start_is_the_anniversary_of_the_start_date(start, n, expected):
    assert period_start(d(start), n) == d(expected)


def test_period_start_rejects_a_negative_period_number():
    with pytest.raises(ValueError, match="period number"):
        period_start(d("2026-01-01"), -1)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2024-02-29", 0, "2025-02-27"),
        ("2024-02-29", 3, "2028-02-28"),  # the period before a 29 February
        ("2026-01-01", 0, "2026-12-31"),
        ("2026-03-15", 1, "2028-03-14"),
    ],
)
def test_period_end_is_the_day_before_the_next_period(start, n, expected):
    assert period_end(d(start), n) == d(expected)


@pytest.mark.parametrize(
    ("start", "on", "expected"),
    [
        ("2024-02-29", "2024-02-29", 0),
        ("2024-02-29", "2025-02-27", 0),
        ("2024-02-29", "2025-02-28", 1),
        ("2024-02-29", "2028-02-28", 3),
        ("2024-02-29", "2028-02-29", 4),
        ("2026-03-15", "2027-03-14", 0),
        ("2026-03-15", "2027-03-15", 1),
        ("2026-12-31", "2030-12-30", 3),
    ],
)
def test_period_index_says_which_period_contains_a_date(start, on, expected):
    assert period_index(d(start), d(on)) == expected


def test_period_index_rejects_a_date_before_the_start():
    with pytest.raises(ValueError, match="before the start date"):
        period_index(d("2026-03-15"), d("2026-03-14"))


@pytest.mark.parametrize(
    ("start", "on", "expected"),
    [
        ("2026-03-15", "2026-03-15", "2027-03-15"),
        ("2026-03-15", "2027-03-14", "2027-03-15"),
        ("2026-03-15", "2027-03-15", "2028-03-15"),  # strictly after: the next one
        ("2026-03-15", "2026-01-01", "2026-03-15"),  # not started yet: the start itself
        ("2024-02-29", "2024-12-31", "2025-02-28"),
        ("2024-02-29", "2027-03-01", "2028-02-29"),
    ],
)
def test_next_renewal_is_the_start_of_the_next_period(start, on, expected):
    assert next_renewal(d(start), d(on)) == d(expected)


@given(start=dates, n=period_numbers)
def test_period_start_never_drifts_from_the_start_date(start, n):
    result = period_start(start, n)
    assert result.year == start.year + n
    if (start.month, start.day) == (2, 29) and not calendar.isleap(result.year):
        assert (result.month, result.day) == (2, 28)
    else:
        assert (result.month, result.day) == (start.month, start.day)
    assert result == oracle_anniversary(start, n)


@given(start=dates)
def test_period_zero_starts_on_the_start_date(start):
    assert period_start(start, 0) == start


@given(start=dates, n=period_numbers)
def test_periods_last_365_or_366_days(start, n):
    assert (period_start(start, n + 1) - period_start(start, n)).days in (365, 366)


@given(year=st.sampled_from(LEAP_YEARS), n=period_numbers)
def test_a_29_february_start_comes_back_every_leap_year(year, n):
    result = period_start(date(year, 2, 29), n)
    expected_day = 29 if calendar.isleap(year + n) else 28
    assert result == date(year + n, 2, expected_day)


@given(start=dates, n=period_numbers)
def test_period_end_and_period_start_tile_the_calendar(start, n):
    assert period_end(start, n) + DAY == period_start(start, n + 1)
    assert period_index(start, period_start(start, n)) == n
    assert period_index(start, period_end(start, n)) == n


@given(pair=start_and_received())
def test_period_index_brackets_the_date(pair):
    start, on = pair
    n = period_index(start, on)
    assert period_start(start, n) <= on < period_start(start, n + 1)
    assert n == oracle_period_index(start, on)


@given(pair=start_and_received())
def test_next_renewal_is_the_first_period_start_strictly_after(pair):
    start, on = pair
    renewal = next_renewal(start, on)
    assert on < renewal <= on + timedelta(days=366)
    assert renewal == period_start(start, period_index(start, on) + 1)


@given(start=dates, days_before=st.integers(1, 3 * 366))
def test_next_renewal_before_the_start_is_the_start(start, days_before):
    assert next_renewal(start, start - timedelta(days=days_before)) == start


# --------------------------------------------------------------------------- termination

# Started on 1 January 2024: the minimum term (the year 2024) is over for every example below.
OLD_START = d("2024-01-01")


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-09-15", "2026-11-30"),  # notice from 1 October: October and November
        ("2026-03-15", "2026-05-31"),
        ("2026-03-01", "2026-05-31"),  # received on a 1st: the notice still starts next month
        ("2026-03-31", "2026-05-31"),
        ("2026-12-31", "2027-02-28"),  # notice from 1 January 2027
        ("2027-12-31", "2028-02-29"),  # ... ending on a 29 February
        ("2026-01-31", "2026-03-31"),
        ("2026-04-30", "2026-06-30"),
        ("2026-08-31", "2026-10-31"),
        ("2026-11-30", "2027-01-31"),
        ("2029-11-01", "2030-01-31"),
        ("2024-12-31", "2025-02-28"),
    ],
)
def test_service_ends_after_two_whole_months_of_notice(received, expected):
    assert termination_last_day(OLD_START, d(received)) == d(expected)


@pytest.mark.parametrize(
    ("start", "received", "expected"),
    [
        # Terminated within days of the start: the whole first year is due.
        ("2026-09-01", "2026-09-15", "2027-08-31"),
        ("2026-09-01", "2026-09-01", "2027-08-31"),  # received on the start date itself
        # The minimum term ends mid-month: that day, not a month end, is the last one.
        ("2026-03-15", "2026-12-20", "2027-03-14"),
        ("2026-03-15", "2027-01-10", "2027-03-31"),  # the notice ends after the minimum term
        # A 29 February start: the first year ends on 27 February 2025.
        ("2024-02-29", "2024-11-29", "2025-02-27"),
        ("2024-02-29", "2024-12-10", "2025-02-28"),
    ],
)
def test_service_never_ends_before_the_end_of_the_first_year(start, received, expected):
    assert termination_last_day(d(start), d(received)) == d(expected)


def test_a_request_received_before_the_start_is_rejected():
    with pytest.raises(ValueError, match="before the start date"):
        termination_last_day(d("2026-09-01"), d("2026-08-31"))
    with pytest.raises(ValueError, match="before the start date"):
        termination_explanation(d("2026-09-01"), d("2026-08-31"))


def test_the_explanation_gives_every_step():
    # "Letter received on 15 March, notice from 1 April for two months, last day 31 May."
    assert termination_explanation(OLD_START, d("2026-03-15")) == TerminationExplanation(
        received=d("2026-03-15"),
        notice_start=d("2026-04-01"),
        notice_end=d("2026-05-31"),
        minimum_term_end=d("2024-12-31"),
        last_day=d("2026-05-31"),
        floored_by_minimum_term=False,
    )


def test_the_explanation_says_when_the_minimum_term_decided():
    explanation = termination_explanation(d("2026-09-01"), d("2026-09-15"))
    assert explanation.notice_start == d("2026-10-01")
    assert explanation.notice_end == d("2026-11-30")
    assert explanation.minimum_term_end == d("2027-08-31")
    assert explanation.last_day == d("2027-08-31")
    assert explanation.floored_by_minimum_term


def test_a_notice_ending_on_the_minimum_term_end_is_not_floored():
    explanation = termination_explanation(d("2026-01-01"), d("2026-10-15"))
    assert explanation.notice_end == explanation.minimum_term_end == d("2026-12-31")
    assert explanation.last_day == d("2026-12-31")
    assert not explanation.floored_by_minimum_term


def test_the_explanation_is_immutable():
    explanation = termination_explanation(OLD_START, d("2026-03-15"))
    with pytest.raises(AttributeError):
        explanation.last_day = d("2027-01-01")  # type: ignore[misc]


@given(pair=start_and_received())
@example(pair=(d("2024-02-29"), d("2024-11-29")))
@example(pair=(d("2026-01-01"), d("2026-10-15")))
def test_termination_ends_on_a_month_end_or_on_the_minimum_term_end(pair):
    start, received = pair
    last_day = termination_last_day(start, received)
    assert last_day == last_day_of_month(last_day) or last_day == minimum_term_end(start)


@given(pair=start_and_received())
def test_termination_never_ends_within_the_first_year(pair):
    start, received = pair
    assert termination_last_day(start, received) >= period_start(start, 1) - DAY


@given(pair=start_and_received())
@example(pair=(OLD_START, d("2026-12-31")))  # the shortest notice: January and February
def test_termination_leaves_at_least_59_days(pair):
    start, received = pair
    assert termination_last_day(start, received) >= received + timedelta(days=59)


@given(triple=start_and_two_received())
def test_termination_is_monotonic_in_the_reception_date(triple):
    start, first, second = triple
    assert termination_last_day(start, first) <= termination_last_day(start, second)


@given(pair=start_and_received())
@example(pair=(d("2026-01-01"), d("2026-10-15")))  # notice ends on the minimum term end
def test_the_minimum_term_decides_exactly_when_the_notice_ends_before_it(pair):
    start, received = pair
    explanation = termination_explanation(start, received)
    floor = period_start(start, 1) - DAY
    assert explanation.minimum_term_end == floor
    assert explanation.floored_by_minimum_term == (explanation.notice_end < floor)
    assert (explanation.last_day == floor) == (explanation.notice_end <= floor)


@given(pair=start_and_received())
def test_the_notice_is_two_whole_months_starting_the_month_after_reception(pair):
    start, received = pair
    explanation = termination_explanation(start, received)
    assert explanation.received == received
    assert explanation.notice_start.day == 1
    assert received < explanation.notice_start <= received + timedelta(days=31)
    assert explanation.notice_end == last_day_of_month(explanation.notice_end)
    months = (explanation.notice_end.year * 12 + explanation.notice_end.month) - (
        explanation.notice_start.year * 12 + explanation.notice_start.month
    )
    assert months == 1  # the notice's first and second months
    assert 59 <= (explanation.notice_end - received).days <= 91
    assert explanation.last_day == termination_last_day(start, received)


@given(pair=start_and_received())
@example(pair=(d("2024-02-29"), d("2024-12-10")))
@example(pair=(OLD_START, d("2027-12-31")))
def test_termination_matches_the_day_stepping_oracle(pair):
    start, received = pair
    assert termination_last_day(start, received) == oracle_termination_last_day(start, received)

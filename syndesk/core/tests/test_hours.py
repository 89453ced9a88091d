"""Specification of the desk's business calendar (``syndesk.core.hours``).

The example tests read as the annex of the service contract. The property tests compare the
closed-form implementation with a deliberately naive oracle that walks UTC minute by minute,
converts each minute to Paris wall-clock time and checks weekday, time range, holiday and closure.
"""

import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from syndesk.core.hours import BusinessCalendar

PARIS = ZoneInfo("Europe/Paris")
MINUTE = timedelta(minutes=1)
H = timedelta(hours=1)


def paris(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=PARIS, fold=fold)  # type: ignore[misc]


def utc(value):
    """UTC view of a datetime or of a list of intervals.

    Needed to compare or subtract datetimes around DST changes: aware datetimes sharing a tzinfo
    compare and subtract as wall-clock values, and (PEP 495) one inside the repeated autumn hour
    never equals a datetime of another zone.
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return [(utc(start), utc(end)) for start, end in value]


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return BusinessCalendar.default()


# --------------------------------------------------------------------------- opening hours


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (paris(2026, 3, 2, 8, 29, 59), False),  # Monday, just before opening
        (paris(2026, 3, 2, 8, 30), True),  # opens at 8:30 sharp
        (paris(2026, 3, 2, 11, 59, 59), True),
        (paris(2026, 3, 2, 12, 0), False),  # ranges are half-open: closed at 12:00
        (paris(2026, 3, 2, 13, 29), False),
        (paris(2026, 3, 2, 13, 30), True),
        (paris(2026, 3, 5, 17, 59), True),  # Thursday closes at 18:00
        (paris(2026, 3, 5, 18, 0), False),
        (paris(2026, 3, 6, 16, 59), True),  # Friday closes at 17:00
        (paris(2026, 3, 6, 17, 0), False),
        (paris(2026, 3, 7, 10, 0), False),  # Saturday
        (paris(2026, 3, 8, 10, 0), False),  # Sunday
    ],
)
def test_opening_hours_of_the_annex(cal, at, expected):
    assert cal.is_open(at) is expected


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 7, 14),  # Fête nationale (Tuesday)
        date(2026, 5, 1),  # Fête du travail (Friday)
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 14),  # Ascension (Thursday)
        date(2026, 5, 25),  # Whit Monday
        date(2026, 5, 8),  # Victoire 1945 (Friday)
        date(2026, 11, 11),  # Armistice (Wednesday)
    ],
)
def test_closed_on_french_public_holidays(cal, day):
    assert not cal.is_open(datetime.combine(day, time(10), tzinfo=PARIS))
    assert not cal.is_business_day(day)
    assert cal.open_intervals(day) == []
    assert cal.is_holiday_or_closure(day)


def test_good_friday_and_st_stephen_only_in_alsace_moselle(cal):
    alsace = BusinessCalendar.default(alsace_moselle=True)
    good_friday = paris(2026, 4, 3, 10)
    st_stephen = paris(2025, 12, 26, 10)  # a Friday (26 December 2026 is a Saturday)
    assert cal.is_open(good_friday)
    assert cal.is_open(st_stephen)
    assert not alsace.is_open(good_friday)
    assert not alsace.is_open(st_stephen)
    assert alsace.is_holiday_or_closure(date(2026, 12, 26))
    assert not cal.is_holiday_or_closure(date(2026, 12, 26))
    # National holidays still apply in Alsace-Moselle.
    assert not alsace.is_open(paris(2026, 7, 14, 10))


def test_alsace_moselle_emits_no_deprecation_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alsace = BusinessCalendar.default(alsace_moselle=True)
        assert not alsace.is_open(paris(2031, 4, 11, 10))  # Good Friday 2031


def test_closure_day_is_closed():
    pont = date(2026, 5, 15)  # the Friday after Ascension
    cal = BusinessCalendar.default(closures=[pont])
    assert not cal.is_open(paris(2026, 5, 15, 10))
    assert not cal.is_business_day(pont)
    assert BusinessCalendar.default().is_business_day(pont)


def test_holidays_can_be_given_as_dates_predicate_or_holidays_object():
    weekly = {d: [(time(9), time(17))] for d in range(5)}
    as_dates = BusinessCalendar(weekly, holidays=[date(2026, 3, 3)])
    as_predicate = BusinessCalendar(weekly, holidays=lambda d: d == date(2026, 3, 3))
    as_object = BusinessCalendar(weekly, holidays=holidays.France(years=2020))
    none = BusinessCalendar(weekly, holidays=())
    assert not as_dates.is_open(paris(2026, 3, 3, 10))
    assert not as_predicate.is_open(paris(2026, 3, 3, 10))
    assert as_dates.is_open(paris(2026, 3, 4, 10))
    # A HolidayBase expands lazily to years it was not built for.
    assert not as_object.is_open(paris(2026, 7, 14, 10))
    assert none.is_open(paris(2026, 7, 14, 10))


def test_weekly_schedule_and_total_for_display(cal):
    morning = (time(8, 30), time(12))
    assert cal.weekly_schedule() == [
        (0, [morning, (time(13, 30), time(18))]),
        (1, [morning, (time(13, 30), time(18))]),
        (2, [morning, (time(13, 30), time(18))]),
        (3, [morning, (time(13, 30), time(18))]),
        (4, [morning, (time(13, 30), time(17))]),
        (5, []),
        (6, []),
    ]
    assert cal.weekly_total() == 39 * H


def test_open_intervals_are_aware_in_paris(cal):
    assert cal.open_intervals(date(2026, 3, 6)) == [
        (paris(2026, 3, 6, 8, 30), paris(2026, 3, 6, 12)),
        (paris(2026, 3, 6, 13, 30), paris(2026, 3, 6, 17)),
    ]
    assert all(s.tzinfo is PARIS for s, _ in cal.open_intervals(date(2026, 3, 6)))
    assert cal.open_intervals(date(2026, 3, 7)) == []


# --------------------------------------------------------------------------- next opening


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (paris(2026, 3, 6, 17, 30), paris(2026, 3, 9, 8, 30)),  # Friday evening -> Monday
        (paris(2026, 3, 2, 12, 0), paris(2026, 3, 2, 13, 30)),  # lunch break
        (paris(2026, 3, 2, 7, 0), paris(2026, 3, 2, 8, 30)),  # early morning
        (paris(2026, 3, 2, 10, 15, 7), paris(2026, 3, 2, 10, 15, 7)),  # already open
        (paris(2026, 5, 13, 18, 0), paris(2026, 5, 15, 8, 30)),  # eve of Ascension
        (paris(2026, 4, 30, 18, 0), paris(2026, 5, 4, 8, 30)),  # eve of 1 May (a Friday)
        (paris(2026, 12, 24, 18, 0), paris(2026, 12, 28, 8, 30)),  # Christmas Eve
    ],
)
def test_next_opening(cal, at, expected):
    result = cal.next_opening(at)
    assert result == expected
    assert result.tzinfo is PARIS


def test_next_opening_skips_closure_days():
    cal = BusinessCalendar.default(closures=[date(2026, 5, 15)])
    assert cal.next_opening(paris(2026, 5, 13, 18)) == paris(2026, 5, 18, 8, 30)


# --------------------------------------------------------------------------- adding business time


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (paris(2026, 3, 2, 9, 0), 2 * H, paris(2026, 3, 2, 11, 0)),
        (paris(2026, 3, 2, 11, 0), H, paris(2026, 3, 2, 12, 0)),  # earliest instant, not 13:30
        (paris(2026, 3, 2, 11, 30), H, paris(2026, 3, 2, 14, 0)),  # across lunch
        (paris(2026, 3, 6, 16, 0), 2 * H, paris(2026, 3, 9, 9, 30)),  # across the weekend
        (paris(2026, 3, 7, 10, 0), H, paris(2026, 3, 9, 9, 30)),  # from a closed Saturday
        (paris(2026, 5, 13, 17, 0), 2 * H, paris(2026, 5, 15, 9, 30)),  # across Ascension
        (paris(2026, 3, 2, 8, 30), 39 * H, paris(2026, 3, 6, 17, 0)),  # a whole week
        (paris(2026, 3, 2, 8, 30), 39 * H + MINUTE, paris(2026, 3, 9, 8, 31)),
        (paris(2026, 3, 27, 16, 0), 2 * H, paris(2026, 3, 30, 9, 30)),  # across spring DST
    ],
)
def test_add(cal, start, duration, expected):
    result = cal.add(start, duration)
    assert result == expected
    assert result.tzinfo is PARIS


def test_add_zero_returns_start_even_when_closed(cal):
    saturday = paris(2026, 3, 7, 10, 0)
    assert cal.add(saturday, timedelta(0)) == saturday
    in_utc = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
    assert cal.add(in_utc, timedelta(0)) == in_utc


def test_add_rejects_negative_duration(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add(paris(2026, 3, 2, 9), -MINUTE)


# --------------------------------------------------------------------------- elapsed business time


def test_between_over_a_normal_week_is_39_hours(cal):
    assert cal.between(paris(2026, 3, 2), paris(2026, 3, 9)) == 39 * H
    assert cal.between(paris(2026, 3, 2, 8, 30), paris(2026, 3, 6, 17)) == 39 * H


def test_between_subtracts_holidays(cal):
    # 14 July 2026 is a Tuesday: 8 hours lost.
    assert cal.between(paris(2026, 7, 13), paris(2026, 7, 20)) == 31 * H


def test_between_is_antisymmetric(cal):
    a, b = paris(2026, 3, 2, 10), paris(2026, 3, 4, 15)
    # Monday 10:00-12:00 and 13:30-18:00, all Tuesday, Wednesday 8:30-12:00 and 13:30-15:00.
    assert cal.between(a, b) == 6 * H + 30 * MINUTE + 8 * H + 5 * H
    assert cal.between(b, a) == -cal.between(a, b)
    assert cal.between(a, a) == timedelta(0)


def test_between_partial_days(cal):
    assert cal.between(paris(2026, 3, 2, 11), paris(2026, 3, 2, 14)) == H + 30 * MINUTE
    assert cal.between(paris(2026, 3, 6, 16), paris(2026, 3, 9, 9)) == H + 30 * MINUTE


@pytest.mark.parametrize("monday", [date(2026, 3, 23), date(2026, 10, 19)])
def test_between_across_dst_changes_with_default_calendar(cal, monday):
    start = datetime.combine(monday, time(0), tzinfo=PARIS)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=PARIS)
    assert cal.between(start, end) == 39 * H
    # Friday 16:00 to Monday 9:30 across the change: 1h on Friday + 1h on Monday.
    friday = datetime.combine(monday + timedelta(days=4), time(16), tzinfo=PARIS)
    next_monday = datetime.combine(monday + timedelta(days=7), time(9, 30), tzinfo=PARIS)
    assert cal.between(friday, next_monday) == 2 * H


def test_custom_range_spanning_the_dst_hour():
    night = BusinessCalendar({6: [(time(1), time(4))]}, holidays=())
    normal, spring, autumn = date(2026, 3, 22), date(2026, 3, 29), date(2026, 10, 25)

    def open_time(day):
        return sum((utc(e) - utc(s) for s, e in night.open_intervals(day)), timedelta(0))

    assert open_time(normal) == 3 * H
    assert open_time(spring) == 2 * H  # 02:00-03:00 does not exist
    assert open_time(autumn) == 4 * H  # 02:00-03:00 happens twice
    assert night.between(paris(2026, 10, 25), paris(2026, 10, 26)) == 4 * H
    # Both occurrences of 02:30 are open, and one hour after 01:00 is the first 02:00.
    assert night.is_open(paris(2026, 10, 25, 2, 30, fold=0))
    assert night.is_open(paris(2026, 10, 25, 2, 30, fold=1))
    assert utc(night.add(paris(2026, 10, 25, 1), H)) == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert utc(night.add(paris(2026, 10, 25, 1), 4 * H)) == utc(paris(2026, 10, 25, 4))
    assert utc(night.add(paris(2026, 3, 29, 1), 2 * H)) == utc(paris(2026, 3, 29, 4))
    assert night.weekly_total() == 3 * H


def test_range_inside_the_dst_hour():
    cal = BusinessCalendar({6: [(time(2, 15), time(2, 45))]}, holidays=())
    # Skipped in spring: the clock jumps from 02:00 to 03:00.
    assert cal.open_intervals(date(2026, 3, 29)) == []
    assert not cal.is_business_day(date(2026, 3, 29))
    # Twice in autumn: once in summer time, once in winter time.
    assert utc(cal.open_intervals(date(2026, 10, 25))) == [
        (datetime(2026, 10, 25, 0, 15, tzinfo=UTC), datetime(2026, 10, 25, 0, 45, tzinfo=UTC)),
        (datetime(2026, 10, 25, 1, 15, tzinfo=UTC), datetime(2026, 10, 25, 1, 45, tzinfo=UTC)),
    ]
    assert cal.between(paris(2026, 10, 25), paris(2026, 10, 26)) == H
    assert cal.next_opening(paris(2026, 3, 29, 1)) == paris(2026, 4, 5, 2, 15)


def test_range_starting_in_the_skipped_hour_opens_when_the_clock_jumps():
    cal = BusinessCalendar({6: [(time(2, 30), time(5))]}, holidays=())
    assert utc(cal.open_intervals(date(2026, 3, 29))) == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 3, 0, tzinfo=UTC))
    ]


def test_round_the_clock_calendar_counts_real_time():
    always = BusinessCalendar({d: [(time(0), time(0))] for d in range(7)}, holidays=())
    a, b = paris(2026, 3, 28, 12), paris(2026, 3, 30, 12)
    assert always.between(a, b) == b - a.astimezone(UTC) == 47 * H
    assert always.add(a, 47 * H) == b
    assert always.open_intervals(date(2026, 3, 29)) == [(paris(2026, 3, 29), paris(2026, 3, 30))]


def test_inputs_in_utc(cal):
    # 8:30 in Paris is 07:30 UTC in winter and 06:30 UTC in summer.
    assert cal.is_open(datetime(2026, 3, 2, 7, 30, tzinfo=UTC))
    assert not cal.is_open(datetime(2026, 3, 2, 7, 29, tzinfo=UTC))
    assert cal.is_open(datetime(2026, 3, 30, 6, 30, tzinfo=UTC))
    result = cal.next_opening(datetime(2026, 3, 6, 16, 30, tzinfo=UTC))
    assert result == paris(2026, 3, 9, 8, 30)
    assert result.tzinfo is PARIS
    assert cal.add(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), H) == paris(2026, 3, 2, 12)
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 3, 2, 2, 30, tzinfo=new_york)  # 08:30 in Paris
    assert cal.between(start, paris(2026, 3, 2, 12)) == 3 * H + 30 * MINUTE


def test_naive_datetimes_are_rejected(cal):
    naive = datetime(2026, 3, 2, 10)
    with pytest.raises(ValueError, match="aware"):
        cal.is_open(naive)
    with pytest.raises(ValueError, match="aware"):
        cal.next_opening(naive)
    with pytest.raises(ValueError, match="aware"):
        cal.add(naive, H)
    with pytest.raises(ValueError, match="aware"):
        cal.between(naive, paris(2026, 3, 3))
    with pytest.raises(ValueError, match="aware"):
        cal.between(paris(2026, 3, 3), naive)


@pytest.mark.parametrize(
    "weekly",
    [
        {0: [(time(13), time(14)), (time(9), time(10))]},  # not sorted
        {0: [(time(9), time(12)), (time(11), time(14))]},  # overlapping
        {0: [(time(9), time(9))]},  # empty
        {0: [(time(12), time(9))]},  # reversed
        {7: [(time(9), time(12))]},  # no such weekday
        {-1: [(time(9), time(12))]},
        {0: [(time(9, tzinfo=UTC), time(12))]},  # wall-clock times must be naive
        {0: [("09:00", "12:00")]},
        {0: [(time(9),)]},
    ],
)
def test_invalid_weekly_ranges_are_rejected(weekly):
    with pytest.raises(ValueError):  # noqa: PT011 - the messages vary with the mistake
        BusinessCalendar(weekly)


def test_touching_ranges_are_allowed_and_merged():
    cal = BusinessCalendar({0: [(time(9), time(12)), (time(12), time(14))]}, holidays=())
    assert cal.open_intervals(date(2026, 3, 2)) == [(paris(2026, 3, 2, 9), paris(2026, 3, 2, 14))]


def test_alsace_moselle_conflicts_with_explicit_holidays():
    with pytest.raises(ValueError, match="alsace_moselle"):
        BusinessCalendar({0: [(time(9), time(12))]}, holidays=(), alsace_moselle=True)


def test_a_calendar_that_never_opens_raises_instead_of_looping():
    never = BusinessCalendar({})
    always_holiday = BusinessCalendar({0: [(time(9), time(12))]}, holidays=lambda d: True)
    for cal in (never, always_holiday):
        with pytest.raises(ValueError, match="does not open"):
            cal.next_opening(paris(2026, 3, 2))
        with pytest.raises(ValueError, match="does not open"):
            cal.add(paris(2026, 3, 2), H)
        with pytest.raises(ValueError, match="does not open"):
            cal.add(paris(2026, 3, 2), 1000 * H)
        assert cal.between(paris(2026, 1, 1), paris(2027, 1, 1)) == timedelta(0)


def test_long_spans_are_consistent():
    # Speed is measured by bench/bench_hours.py, not here.
    cal = BusinessCalendar.default()
    span = cal.between(paris(2026, 1, 1), paris(2036, 1, 1))
    end = cal.add(paris(2026, 1, 1), 2000 * H)
    assert timedelta(hours=19_000) < span < timedelta(hours=20_000)
    assert cal.between(paris(2026, 1, 1), end) == 2000 * H


# --------------------------------------------------------------------------- the oracle


@dataclass(frozen=True)
class Oracle:
    """Brute-force reference: what a person with a wall clock and the annex would answer."""

    weekly: dict[int, list[tuple[time, time]]]
    closed_days: frozenset[date]

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(PARIS)
        if local.date() in self.closed_days:
            return False
        wall = local.time()  # wall-clock time; fold is irrelevant to the reading
        return any(
            start <= wall and (end == time(0) or wall < end)
            for start, end in self.weekly.get(local.weekday(), ())
        )

    def open_minutes(self, start: datetime, stop: datetime) -> list[bool]:
        """Open-ness of each whole minute [m, m + 1min) from ``start`` (minute-aligned)."""
        first = int(start.timestamp())
        return [
            self.is_open(datetime.fromtimestamp(ts, UTC))
            for ts in range(first, int(stop.timestamp()), 60)
        ]

    def between(self, start: datetime, stop: datetime) -> timedelta:
        return sum(self.open_minutes(start, stop)) * MINUTE

    def add(self, start: datetime, duration: timedelta) -> datetime:
        assert duration > timedelta(0)
        needed = duration // MINUTE
        at = start.astimezone(UTC)
        for _ in range(100 * 24 * 60):
            if self.is_open(at):
                needed -= 1
                if needed == 0:
                    return at + MINUTE
            at += MINUTE
        raise AssertionError("oracle gave up")

    def next_opening(self, start: datetime) -> datetime:
        at = start.astimezone(UTC)
        for _ in range(100 * 24 * 60):
            if self.is_open(at):
                return at
            at += MINUTE
        raise AssertionError("oracle gave up")


MORNING = (time(8, 30), time(12))
ANNEX_WEEKLY = {
    0: [MORNING, (time(13, 30), time(18))],
    1: [MORNING, (time(13, 30), time(18))],
    2: [MORNING, (time(13, 30), time(18))],
    3: [MORNING, (time(13, 30), time(18))],
    4: [MORNING, (time(13, 30), time(17))],
}
CLOSURES = frozenset({date(2026, 5, 15), date(2027, 11, 12), date(2029, 12, 24)})
# Odd hours on purpose: ranges ending in, starting in and lying inside the DST hour on Sundays,
# a range ending at midnight that touches Monday's first range, and ordinary daytime hours.
NIGHT_WEEKLY = {
    0: [(time(0), time(1)), (time(9), time(17, 45))],
    2: [(time(9), time(17))],
    5: [(time(22), time(0))],
    6: [
        (time(0, 30), time(2, 15)),
        (time(2, 20), time(2, 40)),
        (time(2, 50), time(4)),
        (time(23), time(0)),
    ],
}
NIGHT_CLOSURES = frozenset({date(2026, 6, 7), date(2028, 1, 3)})

CALENDARS = {
    "annex": (
        BusinessCalendar.default(closures=CLOSURES),
        Oracle(
            ANNEX_WEEKLY,
            frozenset(holidays.France(years=range(2023, 2033)).keys()) | CLOSURES,
        ),
    ),
    "night": (
        BusinessCalendar(NIGHT_WEEKLY, holidays=(), closures=NIGHT_CLOSURES),
        Oracle(NIGHT_WEEKLY, NIGHT_CLOSURES),
    ),
}
calendars = pytest.mark.parametrize("name", sorted(CALENDARS))

DST_SUNDAYS = [
    date(2024, 3, 31),
    date(2024, 10, 27),
    date(2025, 3, 30),
    date(2025, 10, 26),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2027, 3, 28),
    date(2027, 10, 31),
    date(2028, 3, 26),
    date(2028, 10, 29),
    date(2029, 3, 25),
    date(2029, 10, 28),
    date(2030, 3, 31),
    date(2030, 10, 27),
]
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
LAST_MINUTE = int((datetime(2030, 12, 31, tzinfo=UTC) - EPOCH) / MINUTE)
INPUT_ZONES = [UTC, PARIS, ZoneInfo("America/New_York"), timezone(timedelta(hours=5, minutes=30))]


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """Minute-aligned aware instants in 2024-2030, often within a few days of a DST change."""
    if draw(st.booleans()):
        minutes = draw(st.integers(0, LAST_MINUTE))
        at = EPOCH + minutes * MINUTE
    else:
        sunday = draw(st.sampled_from(DST_SUNDAYS))
        offset = draw(st.integers(-3 * 24 * 60, 24 * 60))
        at = datetime.combine(sunday, time(0), tzinfo=UTC) + offset * MINUTE
    return at.astimezone(draw(st.sampled_from(INPUT_ZONES)))


spans = st.integers(0, 21 * 24 * 60).map(lambda m: m * MINUTE)
ORACLE_SETTINGS = settings(max_examples=40, deadline=None)
CHEAP_SETTINGS = settings(max_examples=150, deadline=None)
# The Friday before the spring change, 16:00 Paris (15:00 UTC), through the next Monday.
DST_FRIDAY = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)


@calendars
@ORACLE_SETTINGS
@given(start=instants(), span=spans)
@example(start=DST_FRIDAY, span=timedelta(days=4))
@example(start=datetime(2026, 10, 23, 15, 0, tzinfo=UTC), span=timedelta(days=4))
def test_between_matches_oracle(name, start, span):
    cal, oracle = CALENDARS[name]
    end = start + span
    assert cal.between(start, end) == oracle.between(start, end)


@calendars
@ORACLE_SETTINGS
@given(start=instants(), minutes=st.integers(1, 3 * 24 * 60))
@example(start=DST_FRIDAY, minutes=90)
@example(start=datetime(2026, 10, 24, 20, 0, tzinfo=UTC), minutes=300)
def test_add_matches_oracle(name, start, minutes):
    cal, oracle = CALENDARS[name]
    # Keep the oracle's walk to a few weeks whatever the calendar's weekly total.
    duration = min(minutes * MINUTE, 2 * cal.weekly_total())
    assert utc(cal.add(start, duration)) == oracle.add(start, duration)


@calendars
@ORACLE_SETTINGS
@given(start=instants())
@example(start=datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
@example(start=datetime(2026, 10, 25, 0, 45, tzinfo=UTC))
def test_next_opening_matches_oracle(name, start):
    cal, oracle = CALENDARS[name]
    result = cal.next_opening(start)
    assert utc(result) == oracle.next_opening(start)
    assert result.tzinfo is PARIS


@calendars
@CHEAP_SETTINGS
@given(start=instants(), seconds=st.integers(0, 59))
@example(start=datetime(2026, 10, 25, 0, 25, tzinfo=UTC), seconds=0)
@example(start=datetime(2026, 10, 25, 1, 25, tzinfo=UTC), seconds=0)
def test_is_open_matches_oracle(name, start, seconds):
    cal, oracle = CALENDARS[name]
    at = start + timedelta(seconds=seconds)
    assert cal.is_open(at) is oracle.is_open(at)


@calendars
@CHEAP_SETTINGS
@given(start=instants(), duration=spans, seconds=st.integers(0, 59))
def test_between_inverts_add(name, start, duration, seconds):
    cal, _ = CALENDARS[name]
    start += timedelta(seconds=seconds)
    assert cal.between(start, cal.add(start, duration)) == duration


@calendars
@CHEAP_SETTINGS
@given(start=instants(), d1=spans, d2=spans)
def test_add_is_monotonic(name, start, d1, d2):
    cal, _ = CALENDARS[name]
    d1, d2 = sorted((d1, d2))
    assert utc(cal.add(start, d1)) <= utc(cal.add(start, d2))
    if d1 < d2:
        assert utc(cal.add(start, d1)) < utc(cal.add(start, d2))


@calendars
@CHEAP_SETTINGS
@given(a=instants(), b=instants())
def test_between_is_additive_and_antisymmetric(name, a, b):
    cal, _ = CALENDARS[name]
    a, b = a.astimezone(UTC), b.astimezone(UTC)
    middle = a + (b - a) / 2
    assert cal.between(a, b) == cal.between(a, middle) + cal.between(middle, b)
    assert cal.between(b, a) == -cal.between(a, b)


@calendars
def test_whole_year_2026_matches_oracle(name):
    cal, oracle = CALENDARS[name]
    start = datetime(2026, 1, 1, tzinfo=PARIS)
    stop = datetime(2027, 1, 1, tzinfo=PARIS)
    minutes = oracle.open_minutes(start, stop)
    total = sum(minutes) * MINUTE
    assert cal.between(start, stop) == total
    # The instant at which the last open minute of the year ends.
    last = len(minutes) - minutes[::-1].index(True)
    assert utc(cal.add(start, total)) == utc(start) + last * MINUTE
    if name == "annex":
        # 52 weeks x 39h + one extra Thursday (8h) = 2036h, minus 69h of holidays falling on
        # weekdays and the 7h of the closure on Friday 15 May.
        assert total == timedelta(hours=1960)

"""Business hours of the support desk: when is the desk open, and how much of it has elapsed.

Response and resolution deadlines in the contracts are expressed in *business* time ("4 business
hours"), so the desk needs one authoritative answer to three questions: is the desk open now, when
does it next open, and how much open time lies between two instants (or, conversely, at which
instant has a given amount of open time elapsed). This module answers them, without Django and
without the database, so that it can be tested exhaustively and reused anywhere.

The model
---------
* A weekly template gives, for each weekday (0 = Monday), sorted and non-overlapping wall-clock
  ranges ``[start, end)``. An ``end`` of ``time(0)`` means midnight at the end of the day.
* A day is closed altogether when it is a public holiday (the ``holidays`` package, France by
  default, optionally with the Alsace-Moselle extra days) or an explicit closure day (a "pont"
  decided by the syndicate).
* An instant is *open* when its wall-clock time in the calendar's time zone falls inside one of the
  ranges of its (local) date, and that date is not closed. This "wall-clock" rule is what a user
  reading the annex expects, and it fixes the daylight-saving edge cases: a range that covers the
  skipped hour is one hour shorter in real time, one that covers the repeated hour is one hour
  longer, and a range lying inside the repeated hour is open twice.
* Business time is real elapsed time (differences of UTC instants) spent in open intervals.

All arithmetic is done on UTC instants: aware datetimes sharing a tzinfo compare and subtract as
naive wall-clock values (ignoring ``fold``), which is exactly wrong around DST changes. Callers
should do the same with the Paris datetimes this module returns: ``end - start`` of two of them is
a wall-clock difference, and (PEP 495) a datetime inside the repeated autumn hour never compares
equal to a datetime of another zone; convert with ``.astimezone(UTC)`` before such arithmetic.

Performance: nothing steps minute by minute. Whole days are counted in closed form (whole weeks
times the nominal weekly total, plus a per-year, prefix-summed table of corrections for holidays,
closures and DST days), and only the partial days at the edges are looked at interval by interval.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import holidays as holidays_lib

__all__ = ["PARIS", "BusinessCalendar"]

PARIS = ZoneInfo("Europe/Paris")

#: Subdivision code of the ``holidays`` package for Moselle; its holidays are the same as those of
#: Bas-Rhin and Haut-Rhin (Good Friday and 26 December on top of the national ones). The old
#: "Alsace-Moselle" code is deprecated and emits a DeprecationWarning, so it must not be used.
ALSACE_MOSELLE_SUBDIV = "57"

#: Searching for an opening gives up after this many consecutive days without any open time: the
#: calendar is then considered never to open (rather than looping forever).
SEARCH_HORIZON_DAYS = 3660

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_ZERO = timedelta(0)
_MIDNIGHT = timedelta(days=1)

type _Range = tuple[timedelta, timedelta]
type _Interval = tuple[datetime, datetime]


@functools.cache
def _french_holidays(year: int, subdiv: str | None) -> frozenset[date]:
    """French public holidays of one year, cached for the process (they never change)."""
    return frozenset(holidays_lib.France(years=year, subdiv=subdiv).keys())


def _to_utc(value: datetime, name: str) -> datetime:
    """Validate an aware datetime and return the same instant in UTC."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


def _check_date(value: date, name: str) -> None:
    # datetime is a subclass of date; accepting it would silently drop the time and compare
    # unequal to the dates stored in holiday sets.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def _wall(t: time) -> timedelta:
    """Offset of a wall-clock time from midnight (naive, fold ignored)."""
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _normalise_weekly(weekly: Mapping[int, Sequence[tuple[time, time]]]) -> tuple[tuple, ...]:
    """Validate the weekly template and return seven tuples of (start, end) offsets.

    Validation is strict because a silently mis-sorted or overlapping template would count some
    minutes twice and skew every deadline computed from it.
    """
    days: list[tuple[_Range, ...]] = [() for _ in range(7)]
    for weekday, ranges in weekly.items():
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be an int from 0 (Monday) to 6, got {weekday!r}")
        converted: list[_Range] = []
        for item in ranges:
            try:
                start, end = item
            except (TypeError, ValueError):
                raise ValueError(f"range must be a (start, end) pair, got {item!r}") from None
            for t in (start, end):
                if not isinstance(t, time):
                    raise ValueError(f"range bounds must be datetime.time, got {t!r}")
                if t.tzinfo is not None:
                    raise ValueError(f"range bounds are wall-clock times, got aware {t!r}")
            lo = _wall(start)
            hi = _MIDNIGHT if end == time(0) else _wall(end)
            if lo >= hi:
                raise ValueError(f"empty or reversed range {start}-{end} on weekday {weekday}")
            if converted and lo < converted[-1][1]:
                raise ValueError(
                    f"ranges of weekday {weekday} must be sorted and non-overlapping: "
                    f"{start} starts before the previous range ends"
                )
            converted.append((lo, hi))
        days[weekday] = tuple(converted)
    return tuple(days)


def _as_time(offset: timedelta) -> time:
    if offset >= _MIDNIGHT:
        return time(0)
    return (datetime.min + offset).time()


class BusinessCalendar:
    """Opening hours of the desk, with holidays, closure days and daylight-saving time.

    ``weekly`` maps a weekday (0 = Monday) to sorted, non-overlapping wall-clock ranges
    ``(start, end)``, read as half-open ``[start, end)``; ``end == time(0)`` stands for midnight
    at the end of the day. Missing weekdays are closed.

    ``holidays`` may be:

    * ``None`` (default): French public holidays from the ``holidays`` package, plus Good Friday
      and 26 December when ``alsace_moselle`` is true;
    * a ``holidays.HolidayBase`` instance (queried year by year, so it may expand lazily);
    * an iterable of dates (an empty tuple means "no public holidays");
    * a predicate ``date -> bool``. It must be deterministic: its answers are cached per year.

    ``alsace_moselle`` only makes sense with the default holidays; combining it with explicit
    holidays raises ValueError rather than silently ignoring one of them.

    ``closures`` are extra closed days decided locally (bridges, strike days, moves...).
    """

    def __init__(
        self,
        weekly: Mapping[int, Sequence[tuple[time, time]]],
        *,
        holidays: Iterable[date] | Callable[[date], bool] | None = None,
        closures: Iterable[date] = (),
        tz: tzinfo = PARIS,
        alsace_moselle: bool = False,
    ) -> None:
        self._weekly = _normalise_weekly(weekly)
        self.tz = tz
        self.alsace_moselle = alsace_moselle

        self._holiday_set: frozenset[date] | None = None
        self._holiday_obj: holidays_lib.HolidayBase | None = None
        self._holiday_pred: Callable[[date], bool] | None = None
        self._subdiv: str | None = ALSACE_MOSELLE_SUBDIV if alsace_moselle else None
        self._use_france = holidays is None
        if holidays is not None:
            if alsace_moselle:
                raise ValueError("alsace_moselle only applies to the default French holidays")
            if isinstance(holidays, type):
                raise TypeError("pass a holidays instance (holidays.France()), not the class")
            if isinstance(holidays, holidays_lib.HolidayBase):
                # Iterating a HolidayBase only yields the years already populated; membership
                # tests expand it, so it is queried day by day (once per year, cached).
                self._holiday_obj = holidays
            elif callable(holidays):
                self._holiday_pred = holidays
            else:
                self._holiday_set = frozenset(holidays)
                for d in self._holiday_set:
                    _check_date(d, "holiday")
        self._closures = frozenset(closures)
        for d in self._closures:
            _check_date(d, "closure")

        self._nominal = tuple(sum((hi - lo for lo, hi in day), _ZERO) for day in self._weekly)
        self._week_total = sum(self._nominal, _ZERO)
        self._off_cache: dict[int, frozenset[date]] = {}
        self._transition_cache: dict[int, tuple[datetime, ...]] = {}
        self._correction_cache: dict[int, tuple[tuple[date, ...], tuple[timedelta, ...]]] = {}

    # ------------------------------------------------------------------ construction helpers

    @classmethod
    def default(
        cls, *, alsace_moselle: bool = False, closures: Iterable[date] = ()
    ) -> BusinessCalendar:
        """The calendar of the service annex (39 business hours in a normal week).

        Monday to Thursday 8:30-12:00 and 13:30-18:00, Friday 8:30-12:00 and 13:30-17:00, closed
        at weekends, on French public holidays and on closure days; Europe/Paris time.
        """
        morning = (time(8, 30), time(12, 0))
        weekly = {day: [morning, (time(13, 30), time(18, 0))] for day in range(4)}
        weekly[4] = [morning, (time(13, 30), time(17, 0))]
        return cls(weekly, closures=closures, alsace_moselle=alsace_moselle)

    # ------------------------------------------------------------------ schedule and days

    def weekly_schedule(self) -> list[tuple[int, list[tuple[time, time]]]]:
        """The weekly template for display: ``[(weekday, [(start, end), ...]), ...]``.

        All seven weekdays are listed, Monday first, closed ones with an empty list, so that a
        template can render "closed" without knowing the calendar's internals.
        """
        return [
            (weekday, [(_as_time(lo), _as_time(hi)) for lo, hi in ranges])
            for weekday, ranges in enumerate(self._weekly)
        ]

    def weekly_total(self) -> timedelta:
        """Nominal open time of a week without holidays, closures or DST change (39h default)."""
        return self._week_total

    def is_holiday_or_closure(self, day: date) -> bool:
        """Whether ``day`` is a public holiday or a closure day (whatever its weekday)."""
        _check_date(day, "day")
        return day in self._off_days(day.year)

    def is_business_day(self, day: date) -> bool:
        """Whether the desk opens at some point on ``day`` (local date in the calendar's tz)."""
        return bool(self.open_intervals(day))

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Open intervals ``[start, end)`` of a local date, as aware datetimes in the calendar tz.

        Empty on closed weekdays, holidays and closure days. Touching ranges are merged. On a DST
        change day an interval may be shorter or longer than its wall-clock range, and a range
        lying inside the repeated hour yields two intervals.
        """
        _check_date(day, "day")
        if day in self._off_days(day.year):
            return []
        return [(lo.astimezone(self.tz), hi.astimezone(self.tz)) for lo, hi in self._raw(day)]

    # ------------------------------------------------------------------ queries

    def is_open(self, at: datetime) -> bool:
        """Whether the desk is open at instant ``at`` (ranges are half-open: closed at 12:00)."""
        local = _to_utc(at, "at").astimezone(self.tz)
        day = local.date()
        ranges = self._weekly[day.weekday()]
        if not ranges or day in self._off_days(day.year):
            return False
        wall = _wall(local.time())
        return any(lo <= wall < hi for lo, hi in ranges)

    def next_opening(self, at: datetime) -> datetime:
        """The earliest instant at or after ``at`` when the desk is open, in the calendar tz.

        If the desk is open at ``at``, the same instant is returned (converted to the calendar
        tz). Raises ValueError if the desk does not open within ``SEARCH_HORIZON_DAYS`` days.
        """
        u = _to_utc(at, "at")
        day = u.astimezone(self.tz).date()
        for _ in range(SEARCH_HORIZON_DAYS):
            for lo, hi in self._intervals(day):
                if hi > u:
                    return max(lo, u).astimezone(self.tz)
            day += _DAY
        raise ValueError(f"the desk does not open within {SEARCH_HORIZON_DAYS} days of {at}")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which ``duration`` of business time has elapsed from ``start``.

        "Earliest" matters at the end of a range: Monday 11:00 + 1h is Monday 12:00, not 13:30,
        because 12:00 is already the instant at which the hour has elapsed. A zero duration
        returns ``start`` itself (converted to the calendar tz), even when the desk is closed: no
        business time has to elapse. The result is in the calendar tz. Negative durations raise
        ValueError (subtracting business time is not needed and is ambiguous at closings).
        """
        u = _to_utc(start, "start")
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration must be a timedelta, not {type(duration).__name__}")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if duration == _ZERO:
            return u.astimezone(self.tz)
        remaining = duration

        # The partial first day.
        day = u.astimezone(self.tz).date()
        for lo, hi in self._intervals(day):
            if hi <= u:
                continue
            lo = max(lo, u)
            if remaining <= hi - lo:
                return (lo + remaining).astimezone(self.tz)
            remaining -= hi - lo
        day += _DAY

        # Jump whole weeks in closed form while the target certainly lies beyond them. The block
        # must hold strictly less than what remains, otherwise the answer could be its last
        # closing instant, which the day walk below finds.
        idle_days = 0
        while self._week_total and remaining > self._week_total:
            weeks = remaining // self._week_total
            while weeks:
                block = self._whole_days(day, day + weeks * _WEEK)
                if block < remaining:
                    break
                weeks //= 2
            if not weeks:
                break
            idle_days = (idle_days + 7 * weeks) if not block else 0
            if idle_days > SEARCH_HORIZON_DAYS:
                break  # Let the day walk report the never-opening calendar.
            day += weeks * _WEEK
            remaining -= block

        # Walk the last few days, interval by interval.
        for _ in range(SEARCH_HORIZON_DAYS):
            for lo, hi in self._intervals(day):
                if remaining <= hi - lo:
                    return (lo + remaining).astimezone(self.tz)
                remaining -= hi - lo
            day += _DAY
        raise ValueError(f"the desk does not open within {SEARCH_HORIZON_DAYS} days")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time elapsed from ``a`` to ``b``.

        Antisymmetric: if ``b`` is before ``a`` the result is ``-between(b, a)``, so that a
        deadline already passed shows up as a negative remaining time instead of being hidden
        as zero. ``between(a, a)`` is zero.
        """
        ua, ub = _to_utc(a, "a"), _to_utc(b, "b")
        if ub < ua:
            return -self.between(b, a)
        da = ua.astimezone(self.tz).date()
        db = ub.astimezone(self.tz).date()
        if da == db:
            return self._overlap(self._intervals(da), ua, ub)
        return (
            self._overlap(self._intervals(da), ua, None)
            + self._whole_days(da + _DAY, db)
            + self._overlap(self._intervals(db), None, ub)
        )

    # ------------------------------------------------------------------ internals

    def _intervals(self, day: date) -> list[_Interval]:
        """UTC open intervals of a local date, empty when the date is closed."""
        if not self._weekly[day.weekday()] or day in self._off_days(day.year):
            return []
        return self._raw(day)

    @staticmethod
    def _overlap(intervals: list[_Interval], lo: datetime | None, hi: datetime | None) -> timedelta:
        total = _ZERO
        for start, end in intervals:
            if lo is not None and start < lo:
                start = lo
            if hi is not None and end > hi:
                end = hi
            if start < end:
                total += end - start
        return total

    def _off_days(self, year: int) -> frozenset[date]:
        """Holidays and closure days of one year, cached so that membership tests are O(1)."""
        cached = self._off_cache.get(year)
        if cached is not None:
            return cached
        if self._use_france:
            days = _french_holidays(year, self._subdiv)
        elif self._holiday_set is not None:
            days = frozenset(d for d in self._holiday_set if d.year == year)
        else:
            first = date(year, 1, 1)
            span = (date(year + 1, 1, 1) - first).days
            if self._holiday_obj is not None:
                obj = self._holiday_obj
                days = frozenset(d for d in (first + i * _DAY for i in range(span)) if d in obj)
            else:
                pred = self._holiday_pred
                assert pred is not None
                days = frozenset(d for d in (first + i * _DAY for i in range(span)) if pred(d))
        result = days | frozenset(d for d in self._closures if d.year == year)
        self._off_cache[year] = result
        return result

    def _offset(self, u: datetime) -> timedelta:
        offset = u.astimezone(self.tz).utcoffset()
        assert offset is not None
        return offset

    def _transitions(self, year: int) -> tuple[datetime, ...]:
        """UTC instants at which the tz offset changes, from late December before to early
        January after ``year``.

        The offset is sampled weekly and each change is located to the second by bisection.
        This assumes that no two changes cancelling each other happen within one week, which
        holds for every real-world zone with DST (and trivially for fixed offsets).
        """
        cached = self._transition_cache.get(year)
        if cached is not None:
            return cached
        lo_ts = int(datetime(year - 1, 12, 25, tzinfo=UTC).timestamp())
        end_ts = int(datetime(year + 1, 1, 8, tzinfo=UTC).timestamp())
        step = 7 * 86400

        def offset_at(ts: int) -> timedelta:
            return self._offset(datetime.fromtimestamp(ts, UTC))

        found = []
        lo_off = offset_at(lo_ts)
        while lo_ts < end_ts:
            hi_ts = min(lo_ts + step, end_ts)
            hi_off = offset_at(hi_ts)
            if hi_off != lo_off:
                a, b = lo_ts, hi_ts  # offset(a) == lo_off != offset(b)
                while b - a > 1:
                    mid = (a + b) // 2
                    if offset_at(mid) == lo_off:
                        a = mid
                    else:
                        b = mid
                found.append(datetime.fromtimestamp(b, UTC))
            lo_ts, lo_off = hi_ts, hi_off
        result = tuple(found)
        self._transition_cache[year] = result
        return result

    @staticmethod
    def _window(day: date) -> tuple[datetime, datetime]:
        """A UTC span that surely contains every instant of the local date ``day``.

        Real offsets stay within +/-24h, so local ``day`` lies within UTC ``[day-1, day+2)``.
        """
        return (
            datetime.combine(day - _DAY, time(0), tzinfo=UTC),
            datetime.combine(day + 2 * _DAY, time(0), tzinfo=UTC),
        )

    def _transitions_near(self, day: date) -> list[datetime]:
        # The transitions of ``day.year`` extend a week into the neighbouring years, which covers
        # the window of every day of that year.
        lo, hi = self._window(day)
        return [t for t in self._transitions(day.year) if lo < t < hi]

    def _raw(self, day: date) -> list[_Interval]:
        """UTC open intervals of ``day`` from the weekly template, ignoring holidays.

        Between offset changes the wall clock is UTC plus a constant offset, so the instants of
        that stretch whose wall-clock time lies in ``[start, end)`` on ``day`` form the interval
        ``[day+start-offset, day+end-offset)`` clipped to the stretch. On ordinary days there is a
        single stretch; on DST days the pieces are clipped and then merged where they touch.
        """
        ranges = self._weekly[day.weekday()]
        if not ranges:
            return []
        base = datetime.combine(day, time(0), tzinfo=UTC)  # the wall-clock midnight, as a number
        lo, hi = self._window(day)
        cuts = self._transitions_near(day)
        pieces: list[_Interval] = []
        if not cuts:
            offset = self._offset(lo)
            pieces = [(base + start - offset, base + end - offset) for start, end in ranges]
        else:
            for p_lo, p_hi in itertools.pairwise([lo, *cuts, hi]):
                offset = self._offset(p_lo)
                for start, end in ranges:
                    s = max(base + start - offset, p_lo)
                    e = min(base + end - offset, p_hi)
                    if s < e:
                        pieces.append((s, e))
            pieces.sort()
        merged: list[_Interval] = []
        for s, e in pieces:
            if merged and s <= merged[-1][1]:
                if e > merged[-1][1]:
                    merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
        return merged

    def _corrections(self, year: int) -> tuple[tuple[date, ...], tuple[timedelta, ...]]:
        """Sorted days of ``year`` whose open time differs from their weekday's nominal total,
        with prefix sums of the differences.

        Closed days (holidays, closures) on open weekdays count ``-nominal``; DST-change days
        (and their neighbours, cheaply over-approximated) count ``actual - nominal`` when
        non-zero. ``prefix[i]`` is the sum of the first ``i`` differences.
        """
        cached = self._correction_cache.get(year)
        if cached is not None:
            return cached
        off = self._off_days(year)
        deltas: dict[date, timedelta] = {}
        for d in off:
            if self._nominal[d.weekday()]:
                deltas[d] = -self._nominal[d.weekday()]
        for t in self._transitions(year):
            utc_day = t.date()
            for d in (utc_day - _DAY, utc_day, utc_day + _DAY):
                if d.year != year or d in off or not self._nominal[d.weekday()]:
                    continue
                actual = sum((e - s for s, e in self._raw(d)), _ZERO)
                if actual != self._nominal[d.weekday()]:
                    deltas[d] = actual - self._nominal[d.weekday()]
        days = tuple(sorted(deltas))
        prefix = [_ZERO]
        for d in days:
            prefix.append(prefix[-1] + deltas[d])
        result = (days, tuple(prefix))
        self._correction_cache[year] = result
        return result

    def _whole_days(self, first: date, stop: date) -> timedelta:
        """Open time of the local dates ``first`` (included) to ``stop`` (excluded), closed form.

        Whole weeks contribute the nominal weekly total each, the remaining days their weekday's
        nominal total; then the per-year corrections falling in the span are added.
        """
        if stop <= first:
            return _ZERO
        weeks, extra = divmod((stop - first).days, 7)
        total = weeks * self._week_total
        weekday = first.weekday()
        for i in range(extra):
            total += self._nominal[(weekday + i) % 7]
        for year in range(first.year, stop.year + 1):
            days, prefix = self._corrections(year)
            i = bisect.bisect_left(days, first)
            j = bisect.bisect_left(days, stop)
            total += prefix[j] - prefix[i]
        return total

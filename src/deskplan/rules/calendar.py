"""Business calendars: how much working time lies between two instants, and when a given
amount of working time will have passed.

A `Calendar` is built once from a validated `CalendarSpec` (`build_calendar`) and is
immutable. Its working time is a set of disjoint intervals of real (UTC) time:

- Each local date gets the intervals of its weekday; a holiday (the country's public
  holidays from the `holidays` library, plus the spec's `dates`) gets none; a make-up working
  day (the country's weekend workdays, such as China's 调休, plus `extra_workdays`) gets
  Monday's intervals. Explicit entries win: an extra workday is worked even on a country
  holiday, and an explicit holiday date is off even if the country makes it a workday.
- An interval belongs to the date it starts on: `fri: 22:00-06:00` runs into Saturday even
  when Saturday is a holiday. Where such an overnight interval runs into the next date's
  intervals (possible only on special days), the time is counted once.
- Wall-clock times are turned into instants in the calendar's time zone, so DST is exact:
  `22:00-06:00` is 9 hours on the night clocks go back and 7 on the night they go forward. A
  wall time that occurs twice is taken at its first occurrence; one that never occurs (inside
  a spring-forward gap) is taken as the instant the clocks jump.

Arithmetic is exact to the microsecond. Per local year the calendar keeps (lazily, once) its
intervals as sorted start/end arrays with running sums of working time, so `elapsed` and
`add` cost a few binary searches however long the span, plus one addition per year crossed.

Conventions:
- `elapsed(start, end)` is zero when `end <= start`.
- `add(start, duration)` is the *earliest* instant at or after `start` by which `duration`
  of working time has passed. A due time therefore falls at the end of a working interval,
  never at the start of the next one (8 working hours from Monday 09:00 on a 09:00-17:00
  calendar is Monday 17:00, not Tuesday 09:00), and `add(start, 0)` is `start` itself, even
  outside working hours. For a positive duration a start outside working hours behaves like
  the next working instant.
- `is_working(t)` is true when `t` lies in an interval, start included, end excluded.
Results are in UTC; inputs may be in any zone but must be timezone-aware.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from deskplan.rules.calendar_spec import DAY, DAY_NAMES, MONDAY, CalendarSpec, WeeklyHours

NAME_24X7 = "24x7"

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
ZERO = timedelta(0)
_US = 1_000_000                       # microseconds in a second
_GIVE_UP_YEARS = 10                   # years in a row without working time: the calendar has none


def _to_us(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"calendar arithmetic needs a timezone-aware datetime, got {instant!r}")
    return (instant - EPOCH) // MICROSECOND


def _from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class _YearTable:
    """The working intervals owned by the local dates of one year, in UTC microseconds."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    sums: tuple[int, ...]              # sums[k]: working time in the intervals before k; one longer

    @property
    def total(self) -> int:
        return self.sums[-1]

    def before(self, t: int) -> int:
        """Working time of this table that lies before instant `t`."""
        k = bisect_right(self.starts, t) - 1
        if k < 0:
            return 0
        return self.sums[k] + min(t, self.ends[k]) - self.starts[k]

    def instant_at(self, amount: int) -> int:
        """The earliest instant before which `amount` (0 < amount <= total) of this table lies."""
        k = bisect_left(self.sums, amount, 1) - 1
        return self.starts[k] + amount - self.sums[k]

    def around(self, t: int) -> int:
        """Index of the last interval starting at or before `t` (-1 if none)."""
        return bisect_right(self.starts, t) - 1


@dataclass(frozen=True, eq=False)
class Calendar:
    """Working time of one calendar. Build with `build_calendar` or `build_24x7`."""

    name: str
    zone: ZoneInfo
    week: WeeklyHours                  # Monday first: (start, end) seconds after local midnight
    country: str | None = None
    subdiv: str | None = None
    holiday_dates: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    # Year tables, filled on first use. The cache never changes what the calendar answers.
    _tables: dict[int, _YearTable] = field(default_factory=dict, init=False, repr=False)
    _always: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        always = (
            all(day == ((0, DAY),) for day in self.week)
            and self.country is None and not self.holiday_dates
        )
        object.__setattr__(self, "_always", always)

    # --- queries ---------------------------------------------------------------------------

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants; zero when `end <= start`."""
        a, b = _to_us(start), _to_us(end)    # not `end - start`: within one zone that is wall time
        if b <= a:
            return ZERO
        if self._always:
            return timedelta(microseconds=b - a)
        total = sum(
            table.before(b) - table.before(a)
            for table in self._tables_between(self._local_year(start), self._local_year(end))
        )
        return timedelta(microseconds=total)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at or after `start` by which `duration` of working time has passed."""
        if duration < ZERO:
            raise ValueError(f"cannot add a negative duration ({duration}) of working time")
        a, need = _to_us(start), duration // MICROSECOND
        if self._always or need == 0:
            return _from_us(a + need)
        for table in self._tables_from(self._local_year(start) - 1, start):
            done = table.before(a)
            if need <= table.total - done:
                return _from_us(table.instant_at(done + need))
            need -= table.total - done
        raise AssertionError("unreachable: _tables_from gives up by raising")

    def is_working(self, instant: datetime) -> bool:
        """Whether `instant` lies in working time (an interval's start counts, its end does not)."""
        t = _to_us(instant)
        if self._always:
            return True
        year = self._local_year(instant)
        for table in self._tables_between(year, year):
            k = table.around(t)
            if k >= 0 and t < table.ends[k]:
                return True
        return False

    def next_working_instant(self, instant: datetime) -> datetime:
        """`instant` itself if it is working time, else the start of the next working interval."""
        t = _to_us(instant)
        if self._always:
            return _from_us(t)
        for table in self._tables_from(self._local_year(instant) - 1, instant):
            k = table.around(t)
            if k >= 0 and t < table.ends[k]:
                return _from_us(t)
            if k + 1 < len(table.starts):
                return _from_us(table.starts[k + 1])
        raise AssertionError("unreachable: _tables_from gives up by raising")

    def working_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals between two instants, clipped to them, in order (for `explain`)."""
        a, b = _to_us(start), _to_us(end)
        if b <= a:
            return
        if self._always:
            yield _from_us(a), _from_us(b)
            return
        for table in self._tables_between(self._local_year(start), self._local_year(end)):
            k = max(table.around(a), 0)
            while k < len(table.starts) and table.starts[k] < b:
                s, e = max(table.starts[k], a), min(table.ends[k], b)
                if s < e:
                    yield _from_us(s), _from_us(e)
                k += 1

    def describe(self) -> str:
        """One line for people: `support-hours (Asia/Shanghai): mon 09:00-12:00, … ; holidays CN`."""
        days = []
        for index, intervals in enumerate(self.week):
            if intervals:
                days.append(f"{DAY_NAMES[index]} " + ", ".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in intervals))
        parts = ["; ".join(days) or "no working hours"]
        if self.country:
            parts.append(f"holidays {self.country}" + (f"-{self.subdiv}" if self.subdiv else ""))
        if self.holiday_dates:
            parts.append(f"{len(self.holiday_dates)} holiday date(s)")
        if self.extra_workdays:
            parts.append(f"{len(self.extra_workdays)} extra workday(s)")
        return f"{self.name} ({self.zone.key}): " + "; ".join(parts)

    # --- year tables -------------------------------------------------------------------------

    def _local_year(self, instant: datetime) -> int:
        return instant.astimezone(self.zone).year

    def _tables_between(self, first_year: int, last_year: int) -> Iterator[_YearTable]:
        # The previous year's table can reach into `first_year` with an overnight interval.
        for year in range(max(first_year - 1, 1), last_year + 1):
            yield self._table(year)

    def _tables_from(self, year: int, start: datetime) -> Iterator[_YearTable]:
        empty = 0
        year = max(year, 1)
        while True:
            table = self._table(year)
            empty = 0 if table.total else empty + 1
            if empty > _GIVE_UP_YEARS:
                raise ValueError(
                    f"calendar {self.name!r} has no working time in the {_GIVE_UP_YEARS} years after {start}"
                )
            yield table
            year += 1

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._tables[year] = self._build_table(year)
        return table

    def _build_table(self, year: int) -> _YearTable:
        off, workdays = self._special_days(year)
        starts: list[int] = []
        ends: list[int] = []
        sums = [0]
        # Working time is counted once: each interval starts no earlier than the latest end so far,
        # beginning with the overnight interval of the previous year's last day.
        last_day = date(year, 1, 1) - timedelta(days=1) if year > 1 else None
        bound = max((e for _, e in self._raw(last_day, off, workdays)), default=0) if last_day else 0
        day = date(year, 1, 1)
        while day.year == year:
            for s, e in self._raw(day, off, workdays):
                s = max(s, bound)
                if e > s:
                    starts.append(s)
                    ends.append(e)
                    sums.append(sums[-1] + e - s)
                    bound = e
            day += timedelta(days=1)
        return _YearTable(tuple(starts), tuple(ends), tuple(sums))

    def _special_days(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        """Days off and make-up working days of `year` and the year before it."""
        off = set(self.holiday_dates)
        workdays: set[date] = set()
        if self.country:
            years = [y for y in (year - 1, year) if y >= 1]
            country = holidays_lib.country_holidays(self.country, subdiv=self.subdiv, years=years)
            off.update(country)
            # China's 调休 and the like: weekend days the country works (see HolidayBase).
            workdays.update(getattr(country, "weekend_workdays", ()))
        workdays -= set(self.holiday_dates)
        workdays |= self.extra_workdays
        return frozenset(off), frozenset(workdays)

    def _raw(self, day: date, off: frozenset[date], workdays: frozenset[date]) -> list[tuple[int, int]]:
        """The intervals `day` owns, in UTC microseconds, before overlaps with other days are removed."""
        if day in workdays:
            hours = self.week[MONDAY]
        elif day in off:
            return []
        else:
            hours = self.week[day.weekday()]
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        spans = ((self._wall(midnight, s), self._wall(midnight, e)) for s, e in hours)
        return [(s, e) for s, e in spans if e > s]

    def _wall(self, midnight: datetime, seconds: int) -> int:
        """The instant (UTC µs) at which the local clock shows `midnight + seconds`."""
        wall = midnight + timedelta(seconds=seconds)          # wall-clock arithmetic, fold=0
        first = _to_us(wall)
        if _from_us(first).astimezone(self.zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
            return first
        return self._jump_before(first, _to_us(wall.replace(fold=1)))

    def _jump_before(self, later: int, earlier: int) -> int:
        """A wall time in a spring-forward gap: the instant the clocks jumped, which lies between
        the gap time read with the old offset (`later`) and with the new one (`earlier`)."""
        # Zone transitions fall on whole seconds, so a search over seconds finds the jump exactly.
        low, high = earlier // _US, -(-later // _US)
        before = self._offset(low)
        while high - low > 1:
            middle = (low + high) // 2
            if self._offset(middle) == before:
                low = middle
            else:
                high = middle
        return high * _US

    def _offset(self, second: int) -> timedelta | None:
        return _from_us(second * _US).astimezone(self.zone).utcoffset()


def _hhmm(seconds: int) -> str:
    hours, rest = divmod(seconds if seconds <= DAY else seconds - DAY, 3600)
    return f"{hours:02d}:{rest // 60:02d}"


def build_calendar(name: str, spec: CalendarSpec) -> Calendar:
    """The runtime calendar of one validated `calendars:` entry."""
    holidays = spec.holidays
    return Calendar(
        name=name,
        zone=ZoneInfo(spec.timezone),
        week=spec.weekly_hours(),
        country=holidays.country if holidays else None,
        subdiv=holidays.subdiv if holidays else None,
        holiday_dates=frozenset(holidays.dates) if holidays else frozenset(),
        extra_workdays=frozenset(spec.extra_workdays),
    )


def build_24x7() -> Calendar:
    """The built-in `24x7` calendar: every instant is working time (it runs in UTC)."""
    return Calendar(name=NAME_24X7, zone=ZoneInfo("UTC"), week=(((0, DAY),),) * 7)


CALENDAR_24X7 = build_24x7()
"""The built-in calendar shared by every plan; it never fills a cache (always working)."""

"""Calendar laws checked with hypothesis, and against a minute-by-minute oracle.

The oracle decides, for each minute, from the local wall clock alone whether it is working
time: its own date's intervals, or the previous date's overnight interval. It shares no code
with the interval tables it checks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import holidays as holidays_lib
from hypothesis import assume, given, settings, strategies as st

from deskplan.rules.calendar import CALENDAR_24X7, Calendar, build_calendar
from deskplan.rules.calendar_spec import DAY, DAY_NAMES, CalendarSpec

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
BASE = datetime(2025, 1, 1, tzinfo=UTC)
ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"]


def _fixed(timezone: str, hours: dict, **rest) -> Calendar:
    return build_calendar(timezone, CalendarSpec.model_validate({"timezone": timezone, "hours": hours, **rest}))


FIXED = [
    _fixed("Asia/Shanghai", {"mon-fri": ["09:00-12:00", "13:00-18:00"], "sat": "10:00-14:00"},
           holidays={"country": "CN", "dates": ["2026-12-24"]}, extra_workdays=["2026-12-26"]),
    _fixed("America/New_York", {"mon-thu": "08:00-20:00", "fri": "22:00-06:00", "sun": "00:00-03:00"},
           holidays={"country": "US"}),
    _fixed("Europe/Berlin", {"mon-fri": "01:30-03:30", "sat": "22:00-02:30"}, holidays={"country": "DE"}),
    CALENDAR_24X7,
]


@st.composite
def weekly_calendars(draw) -> Calendar:
    """A random valid week: disjoint intervals on a 15-minute grid, some crossing midnight."""
    cuts = sorted(draw(st.sets(st.integers(0, 7 * 96 - 1), min_size=2, max_size=12)))
    hours: dict[str, list[str]] = {}
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):     # an odd last cut is dropped
        start, end = start * 900, end * 900
        if end - start >= DAY:
            continue
        day, offset = divmod(start, DAY)
        end_text = "24:00" if end - day * DAY == DAY else _hhmm((end - day * DAY) % DAY)
        hours.setdefault(DAY_NAMES[day], []).append(f"{_hhmm(offset)}-{end_text}")
    assume(hours)
    extra = draw(st.lists(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=3, unique=True))
    off = draw(st.lists(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=3, unique=True))
    off = [d for d in off if d not in extra]
    if "mon" not in hours:
        extra = []
    return _fixed(draw(st.sampled_from(ZONES)), hours, holidays={"dates": off}, extra_workdays=extra)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


calendars = st.one_of(st.sampled_from(FIXED), weekly_calendars())
# Instants over three years, on the second, sometimes with microseconds.
instants = st.builds(
    lambda s, us: BASE + timedelta(seconds=s, microseconds=us),
    st.integers(0, 3 * 365 * 86400), st.one_of(st.just(0), st.integers(0, 999_999)),
)
durations = st.builds(lambda s: timedelta(seconds=s), st.integers(0, 90 * 86400))


@settings(max_examples=150, deadline=None)
@given(calendars, instants, instants, instants)
def test_elapsed_is_additive_and_monotonic(cal, x, y, z):
    a, b, c = sorted((x, y, z))
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)
    assert cal.elapsed(a, b) <= cal.elapsed(a, c) and cal.elapsed(b, c) <= cal.elapsed(a, c)
    assert cal.elapsed(a, b) <= b - a
    assert cal.elapsed(c, a) == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(calendars, instants, durations, durations)
def test_add_inverts_elapsed_and_is_monotonic(cal, start, d1, d2):
    small, large = sorted((d1, d2))
    first, second = cal.add(start, small), cal.add(start, large)
    assert start <= first <= second
    assert cal.elapsed(start, first) == small
    assert cal.elapsed(start, second) == large
    # `add` gives the earliest such instant: a microsecond earlier, less has elapsed.
    if small:
        assert cal.elapsed(start, first - timedelta(microseconds=1)) < small


@settings(max_examples=150, deadline=None)
@given(calendars, instants, instants)
def test_add_of_elapsed_returns_to_a_working_instant(cal, x, y):
    start, later = sorted((x, y))
    start = cal.next_working_instant(start)
    # A working instant that is not the first of its interval: at an interval's first instant
    # the same working time was already complete at the previous interval's end, which is what
    # the earliest-instant convention of `add` returns.
    t = cal.next_working_instant(later) + timedelta(seconds=1)
    assume(cal.is_working(t - timedelta(microseconds=1)) and cal.is_working(t) and t > start)
    assert cal.add(start, cal.elapsed(start, t)) == t


@settings(max_examples=100, deadline=None)
@given(calendars, instants)
def test_is_working_agrees_with_next_working_instant(cal, t):
    following = cal.next_working_instant(t)
    assert following >= t
    assert cal.is_working(following)
    assert cal.is_working(t) == (following == t)
    assert cal.elapsed(t, following) == timedelta(0)


@settings(max_examples=100, deadline=None)
@given(instants, instants)
def test_24x7_is_wall_clock_time(a, b):
    assert CALENDAR_24X7.elapsed(a, b) == max(b - a, timedelta(0))
    assert CALENDAR_24X7.add(a, abs(b - a)) == a + abs(b - a)


# --- oracle ------------------------------------------------------------------------------------

def _oracle_day_hours(cal: Calendar, day: date, country: holidays_lib.HolidayBase | None) -> tuple:
    if day in cal.extra_workdays or (country is not None and day in country.weekend_workdays
                                     and day not in cal.holiday_dates):
        return cal.week[0]
    if day in cal.holiday_dates or (country is not None and day in country):
        return ()
    return cal.week[day.weekday()]


def _oracle_minutes(cal: Calendar, start: datetime, minutes: int) -> int:
    """Working minutes among the `minutes` minutes from `start`, read off the local wall clock."""
    country = None
    if cal.country:
        country = holidays_lib.country_holidays(cal.country, years=range(start.year - 1, start.year + 2))
    count = 0
    for n in range(minutes):
        local = (start + n * MINUTE).astimezone(cal.zone)
        seconds = local.hour * 3600 + local.minute * 60
        today = local.date()
        yesterday = today - timedelta(days=1)
        if any(s <= seconds < e for s, e in _oracle_day_hours(cal, today, country)) or any(
            s <= seconds + DAY < e for s, e in _oracle_day_hours(cal, yesterday, country)
        ):
            count += 1
    return count


@settings(max_examples=40, deadline=None)
@given(calendars, st.integers(0, 3 * 365 * 24 * 60), st.integers(1, 3 * 24 * 60))
def test_elapsed_matches_the_wall_clock_oracle(cal, start_minute, minutes):
    start = BASE + start_minute * MINUTE
    end = start + minutes * MINUTE
    # Where the clocks go back, a wall time occurs twice and the oracle would count an interval
    # bound in the repeated hour twice; the calendar takes its first occurrence (tested by example).
    assume(start.astimezone(cal.zone).utcoffset() <= end.astimezone(cal.zone).utcoffset())
    assert cal.elapsed(start, end) == _oracle_minutes(cal, start, minutes) * MINUTE

"""Calendar arithmetic on hand-checked examples: holidays, make-up days, DST, overnight hours."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from deskplan.rules.calendar import CALENDAR_24X7, NAME_24X7, Calendar, build_calendar
from deskplan.rules.calendar_spec import CalendarSpec

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
H = timedelta(hours=1)


def calendar(timezone: str, hours: dict, **rest) -> Calendar:
    return build_calendar("test", CalendarSpec.model_validate({"timezone": timezone, "hours": hours, **rest}))


def support_hours() -> Calendar:
    return calendar(
        "Asia/Shanghai",
        {"mon-fri": ["09:00-12:00", "13:00-18:00"], "sat": ["10:00-14:00"]},
        holidays={"country": "CN", "dates": ["2026-12-24"]},
        extra_workdays=["2026-12-26"],
    )


def local_intervals(cal: Calendar, start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    return [
        f"{s.astimezone(zone):%m-%d %H:%M}-{e.astimezone(zone):%H:%M}"
        for s, e in cal.working_intervals(start, end)
    ]


# --- weekly hours and the add/elapsed conventions ---------------------------------------------

def test_ordinary_week_with_lunch_break_and_saturday():
    cal = support_hours()
    monday = datetime(2026, 11, 16, tzinfo=SHANGHAI)
    assert cal.elapsed(monday, monday + timedelta(days=7)) == 5 * 8 * H + 4 * H
    assert cal.elapsed(monday.replace(hour=11), monday.replace(hour=14)) == 2 * H
    assert local_intervals(cal, monday.replace(hour=11), monday.replace(hour=14), SHANGHAI) == [
        "11-16 11:00-12:00", "11-16 13:00-14:00",
    ]


def test_add_lands_at_the_end_of_an_interval_not_the_start_of_the_next():
    cal = support_hours()
    monday_nine = datetime(2026, 11, 16, 9, tzinfo=SHANGHAI)
    assert cal.add(monday_nine, 8 * H) == datetime(2026, 11, 16, 18, tzinfo=SHANGHAI)
    assert cal.add(monday_nine, 3 * H) == datetime(2026, 11, 16, 12, tzinfo=SHANGHAI)
    assert cal.add(monday_nine, 3 * H + timedelta(seconds=1)) == datetime(2026, 11, 16, 13, 0, 1, tzinfo=SHANGHAI)
    # Friday 17:00 + 2h: one hour on Friday, the second on Saturday's 10:00-14:00.
    friday_five = datetime(2026, 11, 20, 17, tzinfo=SHANGHAI)
    assert cal.add(friday_five, 2 * H) == datetime(2026, 11, 21, 11, tzinfo=SHANGHAI)


def test_start_outside_working_hours():
    cal = support_hours()
    sunday_noon = datetime(2026, 11, 22, 12, tzinfo=SHANGHAI)
    assert cal.add(sunday_noon, timedelta(0)) == sunday_noon
    assert cal.add(sunday_noon, timedelta(minutes=30)) == datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
    assert cal.elapsed(sunday_noon, datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)) == timedelta(minutes=30)
    assert cal.next_working_instant(sunday_noon) == datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)
    assert not cal.is_working(sunday_noon)


def test_is_working_includes_the_start_and_excludes_the_end():
    cal = support_hours()
    assert cal.is_working(datetime(2026, 11, 16, 9, tzinfo=SHANGHAI))
    assert not cal.is_working(datetime(2026, 11, 16, 12, tzinfo=SHANGHAI))
    assert cal.is_working(datetime(2026, 11, 16, 11, 59, 59, 999999, tzinfo=SHANGHAI))
    inside = datetime(2026, 11, 16, 10, tzinfo=SHANGHAI)
    assert cal.next_working_instant(inside) == inside


def test_elapsed_is_zero_backwards_and_results_are_utc():
    cal = support_hours()
    a = datetime(2026, 11, 16, 10, tzinfo=SHANGHAI)
    assert cal.elapsed(a, a - H) == timedelta(0)
    assert cal.add(a, H).tzinfo is UTC


def test_microseconds_are_exact():
    cal = support_hours()
    a = datetime(2026, 11, 16, 11, 59, 59, 999_999, tzinfo=SHANGHAI)
    assert cal.add(a, timedelta(microseconds=2)) == datetime(2026, 11, 16, 13, 0, 0, 1, tzinfo=SHANGHAI)
    assert cal.elapsed(a, datetime(2026, 11, 16, 13, 0, 0, 1, tzinfo=SHANGHAI)) == timedelta(microseconds=2)


def test_naive_datetimes_and_negative_durations_are_refused():
    cal = support_hours()
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.elapsed(datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="negative"):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), -H)


# --- holidays and make-up days ----------------------------------------------------------------

def test_china_national_day_week_and_its_make_up_saturday():
    cal = support_hours()
    # 2026: Oct 1-7 off (Oct 4 is a Sunday anyway); Sat Oct 10 is worked, with Monday's hours.
    start = datetime(2026, 9, 28, 9, tzinfo=SHANGHAI)
    end = datetime(2026, 10, 12, 9, tzinfo=SHANGHAI)
    assert cal.elapsed(start, end) == 3 * 8 * H + 2 * 8 * H + 8 * H
    october = local_intervals(cal, datetime(2026, 10, 1, tzinfo=SHANGHAI), end, SHANGHAI)
    assert october == [
        "10-08 09:00-12:00", "10-08 13:00-18:00",
        "10-09 09:00-12:00", "10-09 13:00-18:00",
        "10-10 09:00-12:00", "10-10 13:00-18:00",
    ]
    # A ticket due 8 working hours after Sep 30 17:00: one hour that day, the rest after the week.
    assert cal.add(datetime(2026, 9, 30, 17, tzinfo=SHANGHAI), 8 * H) == datetime(2026, 10, 8, 17, tzinfo=SHANGHAI)


def test_china_make_up_sunday_is_worked_with_monday_hours():
    cal = support_hours()
    # Sun 2026-09-20 is a make-up workday in the holidays data; an ordinary Sunday is not.
    assert local_intervals(cal, datetime(2026, 9, 20, tzinfo=SHANGHAI), datetime(2026, 9, 21, tzinfo=SHANGHAI),
                           SHANGHAI) == ["09-20 09:00-12:00", "09-20 13:00-18:00"]
    assert cal.elapsed(datetime(2026, 9, 13, tzinfo=SHANGHAI), datetime(2026, 9, 14, tzinfo=SHANGHAI)) == timedelta(0)


def test_explicit_holiday_date_and_extra_workday():
    cal = support_hours()
    christmas_eve = datetime(2026, 12, 24, tzinfo=SHANGHAI)           # Thursday, listed as a holiday
    assert cal.elapsed(christmas_eve, christmas_eve + timedelta(days=1)) == timedelta(0)
    boxing_saturday = datetime(2026, 12, 26, tzinfo=SHANGHAI)         # Saturday, an extra workday
    assert local_intervals(cal, boxing_saturday, boxing_saturday + timedelta(days=1), SHANGHAI) == [
        "12-26 09:00-12:00", "12-26 13:00-18:00",
    ]


def test_explicit_dates_win_over_country_data():
    cal = calendar(
        "Asia/Shanghai", {"mon-fri": "09:00-17:00"},
        holidays={"country": "CN", "dates": ["2026-10-10"]},        # the country's make-up Saturday
        extra_workdays=["2026-10-02"],                              # a National Day holiday
    )
    day = timedelta(days=1)
    assert cal.elapsed(datetime(2026, 10, 10, tzinfo=SHANGHAI), datetime(2026, 10, 10, tzinfo=SHANGHAI) + day) == 0 * H
    assert cal.elapsed(datetime(2026, 10, 2, tzinfo=SHANGHAI), datetime(2026, 10, 2, tzinfo=SHANGHAI) + day) == 8 * H


def test_us_independence_day_observed_on_friday():
    cal = calendar("America/New_York", {"mon-fri": "09:00-17:00"}, holidays={"country": "US"})
    # July 4 2026 is a Saturday; the observed holiday is Friday July 3.
    thursday_four = datetime(2026, 7, 2, 16, tzinfo=NEW_YORK)
    assert cal.elapsed(thursday_four, datetime(2026, 7, 6, 10, tzinfo=NEW_YORK)) == 2 * H
    assert cal.add(thursday_four, 2 * H) == datetime(2026, 7, 6, 10, tzinfo=NEW_YORK)


def test_subdivision_holidays():
    # Cesar Chavez Day (March 31) is a California state holiday, not a federal one.
    federal = calendar("America/Los_Angeles", {"mon-fri": "09:00-17:00"}, holidays={"country": "US"})
    california = calendar("America/Los_Angeles", {"mon-fri": "09:00-17:00"},
                          holidays={"country": "US", "subdiv": "CA"})
    day = datetime(2026, 3, 31, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert federal.elapsed(day, day + timedelta(days=1)) == 8 * H
    assert california.elapsed(day, day + timedelta(days=1)) == timedelta(0)


# --- DST ----------------------------------------------------------------------------------------

def test_working_hours_around_dst_changes_count_real_time():
    cal = calendar("Europe/Berlin", {"mon-fri": "09:00-17:00"})
    # Clocks go forward on Sun 2026-03-29 and back on Sun 2026-10-25: the weekend absorbs both.
    assert cal.elapsed(datetime(2026, 3, 27, 9, tzinfo=BERLIN), datetime(2026, 3, 30, 17, tzinfo=BERLIN)) == 16 * H
    assert cal.elapsed(datetime(2026, 10, 23, 9, tzinfo=BERLIN), datetime(2026, 10, 26, 17, tzinfo=BERLIN)) == 16 * H
    assert cal.add(datetime(2026, 3, 27, 16, tzinfo=BERLIN), 2 * H) == datetime(2026, 3, 30, 10, tzinfo=BERLIN)
    assert cal.add(datetime(2026, 3, 27, 16, tzinfo=BERLIN), 2 * H) == datetime(2026, 3, 30, 8, tzinfo=UTC)


def test_overnight_interval_over_dst_changes():
    cal = calendar("Europe/Berlin", {"sat": "22:00-06:00"})
    spring = datetime(2026, 3, 28, 12, tzinfo=BERLIN)
    autumn = datetime(2026, 10, 24, 12, tzinfo=BERLIN)
    assert cal.elapsed(spring, spring + timedelta(days=1)) == 7 * H    # 22:00 CET to 06:00 CEST
    assert cal.elapsed(autumn, autumn + timedelta(days=1)) == 9 * H    # 22:00 CEST to 06:00 CET
    # 22:00 CEST + 5h is 01:00 UTC: the second 02:00 on the wall clock (CET), not the first.
    assert cal.add(datetime(2026, 10, 24, 22, tzinfo=BERLIN), 5 * H) == datetime(2026, 10, 25, 1, tzinfo=UTC)


def test_interval_containing_the_new_york_changes():
    cal = calendar("America/New_York", {"sun": "00:00-04:00"})
    assert cal.elapsed(datetime(2026, 3, 8, tzinfo=NEW_YORK), datetime(2026, 3, 9, tzinfo=NEW_YORK)) == 3 * H
    assert cal.elapsed(datetime(2026, 11, 1, tzinfo=NEW_YORK), datetime(2026, 11, 2, tzinfo=NEW_YORK)) == 5 * H
    # 1:30 happens twice on Nov 1; the hour after the first one is 01:30 EST.
    first_half_past_one = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert cal.add(datetime(2026, 11, 1, tzinfo=NEW_YORK), 2.5 * H) == first_half_past_one + H


def test_interval_bounds_inside_the_spring_gap_and_in_the_repeated_hour():
    # 02:30 does not exist on 2026-03-08 in New York: the interval starts when clocks jump to 03:00.
    gap = calendar("America/New_York", {"sun": "02:30-04:00"})
    day = datetime(2026, 3, 8, tzinfo=NEW_YORK), datetime(2026, 3, 9, tzinfo=NEW_YORK)
    assert list(gap.working_intervals(*day)) == [
        (datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 3, 8, 8, tzinfo=UTC)),
    ]
    # 01:30 happens twice on 2026-11-01: its first occurrence (EDT) is taken.
    repeated = calendar("America/New_York", {"sun": "00:00-01:30"})
    assert repeated.elapsed(datetime(2026, 11, 1, tzinfo=NEW_YORK), datetime(2026, 11, 2, tzinfo=NEW_YORK)) == 1.5 * H


# --- overnight intervals ----------------------------------------------------------------------

def test_overnight_interval_across_the_week_end():
    cal = calendar("UTC", {"sun": "22:00-06:00", "mon": "06:00-12:00"})
    sunday = datetime(2026, 11, 22, 21, tzinfo=UTC)
    assert cal.elapsed(sunday, datetime(2026, 11, 23, 12, tzinfo=UTC)) == 14 * H
    assert cal.add(datetime(2026, 11, 22, 22, tzinfo=UTC), 8 * H) == datetime(2026, 11, 23, 6, tzinfo=UTC)
    assert cal.is_working(datetime(2026, 11, 23, 3, tzinfo=UTC))


def test_overnight_interval_belongs_to_the_day_it_starts():
    cal = calendar("UTC", {"thu-fri": "22:00-06:00"}, holidays={"dates": ["2026-11-20", "2026-11-28"]})
    # Friday Nov 20 is a holiday: Thursday's night shift still runs into it, Friday's does not run.
    thursday = datetime(2026, 11, 19, 12, tzinfo=UTC)
    assert local_intervals(cal, thursday, thursday + timedelta(days=3), UTC) == ["11-19 22:00-06:00"]
    # Saturday Nov 28 is a holiday: Friday's night shift runs into it in full.
    friday = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert cal.elapsed(friday, friday + timedelta(days=1)) == 8 * H


def test_overnight_interval_over_the_new_year():
    cal = calendar("Asia/Shanghai", {"thu": "20:00-04:00"})   # Thu 2026-12-31
    assert local_intervals(cal, datetime(2026, 12, 31, tzinfo=SHANGHAI), datetime(2027, 1, 2, tzinfo=SHANGHAI),
                           SHANGHAI) == ["12-31 20:00-04:00"]
    assert cal.elapsed(datetime(2027, 1, 1, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, 12, tzinfo=SHANGHAI)) == 3 * H
    assert cal.add(datetime(2026, 12, 31, 23, tzinfo=SHANGHAI), 2 * H) == datetime(2027, 1, 1, 1, tzinfo=SHANGHAI)
    assert cal.is_working(datetime(2027, 1, 1, 3, 59, tzinfo=SHANGHAI))


def test_overnight_interval_running_into_a_make_up_day_counts_once():
    # Saturday's night shift runs to Sunday 06:00; an extra workday on Sunday gets Monday's
    # 05:00-09:00. The hour 05:00-06:00 is counted once.
    cal = calendar("UTC", {"sat": "22:00-06:00", "mon": "05:00-09:00"}, extra_workdays=["2026-11-22"])
    saturday = datetime(2026, 11, 21, 12, tzinfo=UTC)
    monday = datetime(2026, 11, 23, tzinfo=UTC)
    assert cal.elapsed(saturday, monday) == 11 * H
    assert local_intervals(cal, saturday, monday, UTC) == [
        "11-21 22:00-06:00", "11-22 06:00-09:00",
    ]


# --- long spans, 24x7 ---------------------------------------------------------------------------

def test_long_spans_add_up_year_by_year():
    cal = support_hours()
    a = datetime(2025, 6, 1, tzinfo=SHANGHAI)
    b = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    c = datetime(2027, 6, 1, tzinfo=SHANGHAI)
    total = cal.elapsed(a, c)
    assert total == cal.elapsed(a, b) + cal.elapsed(b, c)
    assert cal.add(a, total) == datetime(2027, 5, 31, 10, tzinfo=UTC)   # Mon May 31 18:00 in Shanghai


def test_24x7_is_wall_clock_time_in_utc():
    assert CALENDAR_24X7.name == NAME_24X7
    a = datetime(2026, 3, 8, 1, tzinfo=NEW_YORK)
    b = datetime(2027, 4, 12, 1, tzinfo=NEW_YORK)       # 400 dates later, from EST to EDT
    assert CALENDAR_24X7.elapsed(a, b) == timedelta(days=400) - H
    in_utc = a.astimezone(UTC)      # aware arithmetic in New York would be wall-clock arithmetic
    assert CALENDAR_24X7.add(a, timedelta(hours=30)) == in_utc + timedelta(hours=30)
    assert CALENDAR_24X7.is_working(a)
    assert list(CALENDAR_24X7.working_intervals(a, in_utc + H)) == [(in_utc, in_utc + H)]


def test_describe():
    assert support_hours().describe() == (
        "test (Asia/Shanghai): mon 09:00-12:00, 13:00-18:00; tue 09:00-12:00, 13:00-18:00; "
        "wed 09:00-12:00, 13:00-18:00; thu 09:00-12:00, 13:00-18:00; fri 09:00-12:00, 13:00-18:00; "
        "sat 10:00-14:00; holidays CN; 1 holiday date(s); 1 extra workday(s)"
    )
    assert calendar("UTC", {"fri": "22:00-06:00"}).describe() == "test (UTC): fri 22:00-06:00"


def test_a_calendar_without_working_time_gives_up():
    first_monday = datetime(2026, 1, 5)
    mondays = [(first_monday + timedelta(weeks=n)).date().isoformat() for n in range(12 * 53)]
    cal = calendar("UTC", {"mon": "09:00-10:00"}, holidays={"dates": mondays})
    with pytest.raises(ValueError, match="no working time in the 10 years after"):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), H)

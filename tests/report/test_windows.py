from datetime import datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

from deskplan.kpi.windows import window_of, windows_between

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weeks_start_on_monday_at_local_midnight():
    # Sunday 2026-03-08 23:30 in Berlin is 22:30 UTC: still the week of Monday 2 March.
    week = window_of(utc(2026, 3, 8, 22, 30), "week", BERLIN)
    assert (week.start, week.end) == (utc(2026, 3, 1, 23), utc(2026, 3, 8, 23))
    assert week.start.tzinfo is UTC
    assert week.label == "2026-W10"
    # Half an hour later it is Monday in Berlin (still Sunday in UTC): the next week.
    assert window_of(utc(2026, 3, 8, 23, 0), "week", BERLIN).label == "2026-W11"


def test_week_across_the_spring_dst_change_is_an_hour_short():
    week = window_of(utc(2026, 3, 25), "week", BERLIN)     # Berlin switches on Sunday 29 March
    assert week.start == utc(2026, 3, 22, 23)
    assert week.end == utc(2026, 3, 29, 22)
    assert week.end - week.start == timedelta(days=7, hours=-1)


def test_month_across_the_autumn_dst_change_is_an_hour_long_in_new_york():
    month = window_of(utc(2026, 11, 15), "month", NEW_YORK)   # New York falls back on 1 November
    assert month.start == utc(2026, 11, 1, 4)     # midnight EDT
    assert month.end == utc(2026, 12, 1, 5)       # midnight EST
    assert month.label == "2026-11"
    # 31 October 23:59 EDT belongs to October, 1 November 00:00 EDT to November.
    assert window_of(utc(2026, 11, 1, 3, 59), "month", NEW_YORK).label == "2026-10"
    assert window_of(utc(2026, 11, 1, 4, 0), "month", NEW_YORK).label == "2026-11"


def test_quarters_and_their_boundaries():
    q = window_of(utc(2026, 6, 30, 21, 59), "quarter", BERLIN)    # 23:59 on 30 June in Berlin
    assert q.label == "2026-Q2"
    assert q.start == datetime(2026, 4, 1, tzinfo=BERLIN) and q.end == datetime(2026, 7, 1, tzinfo=BERLIN)
    assert window_of(utc(2026, 6, 30, 22, 0), "quarter", BERLIN).label == "2026-Q3"
    assert window_of(utc(2026, 12, 31, 23, 0), "quarter", BERLIN).label == "2027-Q1"


def test_week_label_uses_iso_years():
    assert window_of(utc(2026, 12, 31, 12), "week", UTC).label == "2026-W53"
    assert window_of(utc(2027, 1, 4, 12), "week", UTC).label == "2027-W01"


def test_windows_between_covers_the_range_and_no_more():
    start = datetime(2026, 1, 15, tzinfo=BERLIN)
    end = datetime(2026, 4, 1, tzinfo=BERLIN)
    assert [w.label for w in windows_between(start, end, "month", BERLIN)] == ["2026-01", "2026-02", "2026-03"]
    assert [w.label for w in windows_between(start, end, "quarter", BERLIN)] == ["2026-Q1"]
    weeks = list(windows_between(start, datetime(2026, 2, 2, tzinfo=BERLIN), "week", BERLIN))
    assert [w.label for w in weeks] == ["2026-W03", "2026-W04", "2026-W05"]
    assert weeks[0].start == utc(2026, 1, 11, 23)
    assert all(a.end == b.start for a, b in pairwise(weeks))
    assert list(windows_between(end, end, "month", BERLIN)) == []


def test_window_is_closed_once_it_has_ended():
    week = window_of(utc(2026, 3, 4), "week", UTC)
    assert not week.closed_at(utc(2026, 3, 8, 23, 59))
    assert week.closed_at(utc(2026, 3, 9))

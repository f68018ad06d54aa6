"""Review periods: labels, bounds in the plan calendar's zone, closed periods of the plan."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from deskplan.kpi.review import (
    PeriodError,
    closed_periods,
    latest_closed,
    parse_period,
    period_for,
    plan_periods,
    plan_zone,
)
from deskplan.rules.plan import Plan

from .sample import SHANGHAI, local

UTC = timezone.utc


@pytest.mark.parametrize(("label", "start", "end", "first", "last"), [
    ("2026-W46", local(2026, 11, 9), local(2026, 11, 16), date(2026, 11, 9), date(2026, 11, 15)),
    ("2026-W53", local(2026, 12, 28), local(2027, 1, 4), date(2026, 12, 28), date(2027, 1, 3)),
    ("2027-W01", local(2027, 1, 4), local(2027, 1, 11), date(2027, 1, 4), date(2027, 1, 10)),
    ("2026-W01", local(2025, 12, 29), local(2026, 1, 5), date(2025, 12, 29), date(2026, 1, 4)),
    ("2026-11", local(2026, 11, 1), local(2026, 12, 1), date(2026, 11, 1), date(2026, 11, 30)),
    ("2027-02", local(2027, 2, 1), local(2027, 3, 1), date(2027, 2, 1), date(2027, 2, 28)),
    ("2026-Q4", local(2026, 10, 1), local(2027, 1, 1), date(2026, 10, 1), date(2026, 12, 31)),
    ("2027-Q1", local(2027, 1, 1), local(2027, 4, 1), date(2027, 1, 1), date(2027, 3, 31)),
])
def test_a_label_names_a_period_in_the_plan_calendars_zone(label, start, end, first, last):
    period = parse_period(label, SHANGHAI)
    assert (period.label, period.start, period.end, period.first, period.last) == (label, start, end, first, last)
    assert period.start.tzinfo is UTC and period.end.tzinfo is UTC


def test_week_53_of_2026_starts_at_shanghai_midnight_and_the_week_before_is_52():
    period = parse_period("2026-W53", SHANGHAI)
    assert period.start == datetime(2026, 12, 27, 16, tzinfo=UTC)
    assert period.end == datetime(2027, 1, 3, 16, tzinfo=UTC)
    assert period.previous(SHANGHAI).label == "2026-W52"
    assert parse_period("2027-W01", SHANGHAI).previous(SHANGHAI).label == "2026-W53"
    assert parse_period("2027-Q1", SHANGHAI).previous(SHANGHAI).label == "2026-Q4"
    assert parse_period("2027-01", SHANGHAI).previous(SHANGHAI).label == "2026-12"


def test_labels_are_read_case_blind_and_trimmed():
    assert parse_period(" 2026-w46 ", SHANGHAI).label == "2026-W46"
    assert parse_period("2026-q4", SHANGHAI).label == "2026-Q4"


@pytest.mark.parametrize(("label", "message"), [
    ("2027-W53", "period '2027-W53': ISO year 2027 has weeks 01 to 52"),
    ("2026-W00", "period '2026-W00': ISO year 2026 has weeks 01 to 53"),
    ("2026-13", "period '2026-13': a month is 01 to 12"),
    ("2026-00", "period '2026-00': a month is 01 to 12"),
    ("2026-Q5", "period '2026-Q5': a quarter is Q1 to Q4"),
    ("1969-12", "period '1969-12': the year lies outside 1970 to 2099"),
    ("2026-W5", "period '2026-W5' is not a period label; expected 2026-W46 (a week), 2026-10 (a month) or "
                "2026-Q4 (a quarter)"),
    ("November", "period 'November' is not a period label; expected 2026-W46 (a week), 2026-10 (a month) or "
                 "2026-Q4 (a quarter)"),
    ("", "period '' is not a period label; expected 2026-W46 (a week), 2026-10 (a month) or 2026-Q4 (a quarter)"),
])
def test_a_bad_label_says_what_is_wrong(label, message):
    with pytest.raises(PeriodError) as caught:
        parse_period(label, SHANGHAI)
    assert str(caught.value) == message


def test_closed_periods_overlap_the_plan_and_have_ended(workspace):
    plan = workspace.plan
    now = local(2026, 11, 18, 9)       # a Wednesday
    weeks = closed_periods("week", plan, now)
    # The plan starts on Thursday 1 October: its first week is 2026-W40 (28 Sep to 4 Oct).
    assert [w.label for w in weeks] == [f"2026-W{n}" for n in range(40, 47)]
    assert weeks[0].first == date(2026, 9, 28)
    assert [m.label for m in closed_periods("month", plan, now)] == ["2026-10"]
    assert latest_closed("quarter", plan, now) is None
    # A period closes at the zone's midnight, not UTC's.
    assert latest_closed("week", plan, local(2026, 11, 23, 0)).label == "2026-W47"
    assert latest_closed("week", plan, local(2026, 11, 22, 23, 59)).label == "2026-W46"
    # After the plan, the last period that overlaps it stays the latest.
    assert latest_closed("quarter", plan, local(2027, 8, 1)).label == "2027-Q1"
    assert plan_periods("week", plan)[-1].label == "2027-W13"       # 29 Mar to 4 Apr 2027 holds 31 Mar
    assert latest_closed("week", plan, local(2027, 8, 1)).label == "2027-W13"


def test_a_plan_on_the_built_in_calendar_counts_periods_in_utc():
    plan = Plan.model_validate({"plan": {"id": "p", "title": "t", "start": "2026-01-01", "end": "2026-12-31"}})
    assert plan_zone(plan).key == "UTC"
    assert latest_closed("month", plan, datetime(2026, 3, 1, tzinfo=UTC)).label == "2026-02"


def test_period_for_checks_kind_plan_and_closing(workspace):
    plan = workspace.plan
    weekly, monthly, quarterly = plan.cadence
    now = local(2026, 11, 20, 9)
    assert period_for(weekly, plan, now).label == "2026-W46"
    assert period_for(weekly, plan, now, "2026-W41").label == "2026-W41"
    cases = [
        (weekly, "2026-W47", "period 2026-W47 has not closed yet (it ends at 2026-11-23 00:00 CST); "
                             "closed weeks of weekly-check: 2026-W40 to 2026-W46 (7)"),
        (weekly, "2026-11", "cadence weekly-check reviews weeks, and 2026-11 is a month; "
                            "closed weeks of weekly-check: 2026-W40 to 2026-W46 (7)"),
        (weekly, "2026-W39", "period 2026-W39 lies outside the plan (2026-10-01 to 2027-03-31); "
                             "closed weeks of weekly-check: 2026-W40 to 2026-W46 (7)"),
        (monthly, "2027-04", "period 2027-04 lies outside the plan (2026-10-01 to 2027-03-31); closed: 2026-10"),
        (quarterly, "2026-Q4", "period 2026-Q4 has not closed yet (it ends at 2027-01-01 00:00 CST); "
                               "no quarter of the plan has closed yet"),
        (quarterly, None, "cadence quarterly-lookback: no quarter of the plan has closed yet; "
                          "the first, 2026-Q4, closes at 2027-01-01 00:00 CST"),
    ]
    for cadence, label, message in cases:
        with pytest.raises(PeriodError) as caught:
            period_for(cadence, plan, now, label)
        assert str(caught.value) == message

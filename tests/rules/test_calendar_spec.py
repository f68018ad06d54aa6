"""CalendarSpec: what plan.yaml's `calendars:` entries accept, and how problems are reported."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from deskplan.rules.calendar_spec import CalendarSpec, parse_day_range, parse_interval

SUPPORT_HOURS = {
    "timezone": "Asia/Shanghai",
    "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"], "sat": ["10:00-14:00"]},
    "holidays": {"country": "CN", "dates": ["2026-12-24"]},
    "extra_workdays": ["2026-12-26"],
}


def problems(data: dict) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as caught:
        CalendarSpec.model_validate(data)
    return [(e["loc"], e["msg"]) for e in caught.value.errors()]


def test_spec_example_is_valid_and_parsed():
    spec = CalendarSpec.model_validate(SUPPORT_HOURS)
    assert spec.timezone == "Asia/Shanghai"
    assert spec.holidays.country == "CN"
    assert spec.holidays.dates == (date(2026, 12, 24),)
    assert spec.extra_workdays == (date(2026, 12, 26),)
    weekday = ((9 * 3600, 12 * 3600), (13 * 3600, 18 * 3600))
    assert spec.weekly_hours() == (weekday,) * 5 + (((10 * 3600, 14 * 3600),), ())


def test_day_ranges():
    assert parse_day_range("mon-fri") == (0, 1, 2, 3, 4)
    assert parse_day_range("fri-mon") == (0, 4, 5, 6)
    assert parse_day_range("Mon, wed,FRI") == (0, 2, 4)
    assert parse_day_range("sun") == (6,)
    assert parse_day_range("mon-sun") == tuple(range(7))


def test_intervals():
    assert (parse_interval("09:00-12:30").start, parse_interval("09:00-12:30").end) == (32400, 45000)
    overnight = parse_interval("22:00-06:00")
    assert (overnight.start, overnight.end) == (22 * 3600, 30 * 3600)
    whole = parse_interval("00:00-24:00")
    assert (whole.start, whole.end) == (0, 86400)
    assert str(overnight) == "22:00-06:00"


def test_unknown_time_zone_with_suggestion():
    assert problems({**SUPPORT_HOURS, "timezone": "Asia/Shangai"}) == [(
        ("timezone",),
        "unknown time zone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?): "
        "use an IANA name such as Asia/Shanghai, Europe/Berlin or UTC",
    )]


def test_bad_day_range_points_at_its_key():
    assert problems({**SUPPORT_HOURS, "hours": {"mon-fry": ["09:00-18:00"]}}) == [(
        ("hours", "mon-fry"),
        "unknown day 'fry' in day range 'mon-fry' (did you mean 'fri'?): use mon, tue, wed, thu, fri, "
        "sat, sun, a range such as mon-fri or a list such as mon,wed,fri",
    )]


def test_bad_interval_points_at_its_index():
    assert problems({**SUPPORT_HOURS, "hours": {"sat": ["10:00-14:00", "25:00-26:00"]}}) == [(
        ("hours", "sat", 1),
        "invalid interval '25:00-26:00': 25:00 is not a time of day (00:00 to 23:59, and 24:00 only as an end)",
    )]


@pytest.mark.parametrize("text", ["9-17", "09:00", "09:00-12:60", "24:00-02:00", "nine-five"])
def test_malformed_intervals_are_rejected(text):
    [(loc, message)] = problems({**SUPPORT_HOURS, "hours": {"mon": [text]}})
    assert loc == ("hours", "mon", 0)
    assert message.startswith(f"invalid interval {text!r}")


def test_empty_interval_is_rejected():
    assert problems({**SUPPORT_HOURS, "hours": {"mon": "08:00-08:00"}}) == [(
        ("hours", "mon"),
        "invalid interval '08:00-08:00': it starts where it ends; write 00:00-24:00 for a whole day",
    )]


def test_overlapping_intervals_on_one_day():
    assert problems({**SUPPORT_HOURS, "hours": {"mon-fri": ["09:00-12:00", "11:00-18:00"]}}) == [(
        ("hours", "mon-fri", 1),
        "interval '11:00-18:00' of 'mon-fri' overlaps '09:00-12:00' of 'mon-fri' on mon",
    )]


def test_overlap_between_two_day_ranges():
    assert problems({**SUPPORT_HOURS, "hours": {"mon-fri": ["09:00-18:00"], "wed": ["17:00-20:00"]}}) == [(
        ("hours", "wed", 0),
        "interval '17:00-20:00' of 'wed' overlaps '09:00-18:00' of 'mon-fri' on wed",
    )]


def test_overnight_interval_overlapping_the_next_day_and_across_the_week_end():
    assert problems({**SUPPORT_HOURS, "hours": {"fri": ["22:00-06:00"], "sat": ["05:00-10:00"]}}) == [(
        ("hours", "sat", 0),
        "interval '05:00-10:00' of 'sat' overlaps '22:00-06:00' of 'fri' on sat",
    )]
    assert problems({**SUPPORT_HOURS, "hours": {"sun": "22:00-02:00", "mon": ["01:00-09:00"]}}) == [(
        ("hours", "mon", 0),
        "interval '01:00-09:00' of 'mon' overlaps '22:00-02:00' of 'sun' on mon",
    )]


def test_touching_intervals_are_fine():
    spec = CalendarSpec.model_validate({
        "timezone": "UTC", "hours": {"sun": "22:00-06:00", "mon": ["06:00-12:00", "12:00-18:00"]},
    })
    assert spec.weekly_hours()[0] == ((6 * 3600, 12 * 3600), (12 * 3600, 18 * 3600))


def test_unknown_country_and_subdivision():
    assert problems({**SUPPORT_HOURS, "holidays": {"country": "CM ", "subdiv": "X"}})[0][0] == ("holidays", "subdiv")
    [(loc, message)] = problems({**SUPPORT_HOURS, "holidays": {"country": "XY"}})
    assert loc == ("holidays", "country")
    assert message.startswith("unknown country code 'XY'")
    [(loc, message)] = problems({**SUPPORT_HOURS, "holidays": {"country": "US", "subdiv": "ZZ"}})
    assert loc == ("holidays", "subdiv")
    assert message.startswith("unknown subdivision 'ZZ' of US; known: AK, AL,")


def test_country_code_is_normalised_and_subdivision_accepted():
    spec = CalendarSpec.model_validate({**SUPPORT_HOURS, "holidays": {"country": "us", "subdiv": "CA"}})
    assert (spec.holidays.country, spec.holidays.subdiv) == ("US", "CA")


def test_unknown_keys_are_errors():
    assert problems({**SUPPORT_HOURS, "workdays": []}) == [(("workdays",), "Extra inputs are not permitted")]
    assert problems({**SUPPORT_HOURS, "holidays": {"country": "CN", "date": []}}) == [
        (("holidays", "date"), "Extra inputs are not permitted")
    ]


def test_every_problem_is_reported_at_once():
    locs = [loc for loc, _ in problems({
        "timezone": "Mars/Olympus",
        "hours": {"mon-fry": "09:00-18:00", "sat": ["10:00-14:00", "13:00-15:00"]},
        "holidays": {"country": "ZZ"},
    })]
    assert locs == [("timezone",), ("hours", "mon-fry"), ("hours", "sat", 1), ("holidays", "country")]


def test_extra_workday_that_is_also_a_holiday_date():
    assert problems({**SUPPORT_HOURS, "extra_workdays": ["2026-12-24"]}) == [(
        ("extra_workdays", 0), "2026-12-24 is both an extra workday and a holiday date",
    )]


def test_extra_workdays_need_monday_hours():
    assert problems({**SUPPORT_HOURS, "hours": {"tue-fri": "09:00-17:00"}}) == [(
        ("extra_workdays",), "extra workdays are worked with Monday's hours, but `hours` gives Monday none",
    )]


def test_empty_hours_are_rejected():
    assert problems({**SUPPORT_HOURS, "hours": {}}) == [
        (("hours",), "`hours` needs at least one day range with intervals")
    ]


def test_json_schema_names_the_patterns():
    schema = CalendarSpec.model_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"timezone", "hours"}
    assert "propertyNames" in schema["properties"]["hours"]

"""The Jira simulator's ways of writing and reading instants."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from deskplan_sandbox.jira.dates import date_dto, from_ms, parse_jira_datetime, to_ms

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_date_dto_in_the_profile_zone_with_a_12_hour_friendly_form():
    afternoon = datetime(2026, 3, 2, 21, 5, 9, 889_000, tzinfo=timezone.utc)      # 13:05 in Los Angeles
    assert date_dto(afternoon, LOS_ANGELES) == {
        "iso8601": "2026-03-02T13:05:09-0800",
        "jira": "2026-03-02T13:05:09.889-0800",
        "friendly": "02/Mar/26 01:05 PM",
        "epochMillis": 1772485509889,
    }
    midnight = datetime(2026, 7, 1, 7, 0, tzinfo=timezone.utc)                   # 00:00 PDT
    assert date_dto(midnight, LOS_ANGELES)["friendly"] == "01/Jul/26 12:00 AM"
    assert date_dto(midnight, LOS_ANGELES)["iso8601"] == "2026-07-01T00:00:00-0700"
    noon = datetime(2026, 12, 31, 12, 30, tzinfo=timezone.utc)
    assert date_dto(noon, ZoneInfo("UTC"))["friendly"] == "31/Dec/26 12:30 PM"


def test_epoch_milliseconds_round_down_and_back():
    moment = datetime(2026, 3, 2, 21, 5, 9, 889_999, tzinfo=timezone.utc)
    assert to_ms(moment) == 1772485509889
    assert from_ms(1772485509889) == moment.replace(microsecond=889_000)


@pytest.mark.parametrize("text", ["2026-03-02T13:05:09.889-0800", "2026-03-02T21:05:09.889Z",
                                  "2026-03-02T21:05:09.889+00:00", "2026-03-03T02:35:09.889+0530"])
def test_rest_datetimes_in_every_offset_form(text):
    assert parse_jira_datetime(text) == datetime(2026, 3, 2, 21, 5, 9, 889_000, tzinfo=timezone.utc)


def test_a_datetime_without_an_offset_is_refused():
    with pytest.raises(ValueError, match="without an offset"):
        parse_jira_datetime("2026-03-02T13:05:09.889")

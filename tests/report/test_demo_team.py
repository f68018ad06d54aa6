"""The demo team's agent reads a Jira task's due day (`duedate`) as deskplan does: due by the end
of that day in the plan's time zone, so it and the report agree on which tasks are old."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from deskplan.app.demo import helpdesks
from deskplan.app.tasks import day_due

AT = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
DAYS = ["2026-03-07", "2026-03-08", "2026-05-01"]    # New York moves its clocks on at 02:00 on 8 March


def jira_due_times(tmp_path, zone: str) -> list[tuple[str, datetime | None]]:
    """Three of deskplan's tasks written into the Jira simulator with due days alone, as the
    agent of a plan in `zone` lists them."""
    with helpdesks({"zendesk": 0, "jsm": 0}, 5, AT, tmp_path) as desks:
        jira = desks.agent("jsm", ZoneInfo(zone))
        try:
            for day in DAYS:
                jira._call("POST", "/rest/api/3/issue", {"fields": {
                    "project": {"key": "IMP"}, "issuetype": {"name": "Task"}, "summary": f"Due {day}",
                    "labels": ["deskplan_task"], "duedate": day}})
            desks.clock.skip(AT + timedelta(minutes=5))       # past Jira's search lag
            return [(t.title, t.due) for t in jira.open_tasks()]
        finally:
            jira.close()


def test_a_plan_west_of_utc_has_its_due_days_end_hours_after_utc_midnight(tmp_path):
    utc = timezone.utc
    # The end of each day in New York: 05:00 UTC under EST (UTC-5); 8 March itself ends at
    # 04:00 UTC, on its first EDT midnight (UTC-4), as does 1 May.
    assert jira_due_times(tmp_path, "America/New_York") == [
        ("Due 2026-03-07", datetime(2026, 3, 8, 5, tzinfo=utc)),
        ("Due 2026-03-08", datetime(2026, 3, 9, 4, tzinfo=utc)),
        ("Due 2026-05-01", datetime(2026, 5, 2, 4, tzinfo=utc)),
    ]


def test_a_plan_east_of_utc_has_its_due_days_end_before_utc_midnight(tmp_path):
    utc = timezone.utc
    # Shanghai is UTC+8 all year: a day ends at 16:00 UTC the same date, 8 hours before the end
    # of the UTC day, and exactly where deskplan's report puts it (app/tasks.py `day_due`).
    dues = jira_due_times(tmp_path, "Asia/Shanghai")
    assert dues == [
        ("Due 2026-03-07", datetime(2026, 3, 7, 16, tzinfo=utc)),
        ("Due 2026-03-08", datetime(2026, 3, 8, 16, tzinfo=utc)),
        ("Due 2026-05-01", datetime(2026, 5, 1, 16, tzinfo=utc)),
    ]
    assert [due for _, due in dues] == [day_due(date.fromisoformat(d), None, "Asia/Shanghai") for d in DAYS]

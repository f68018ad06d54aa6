"""A due time at a local midnight means "by the end of the day before", and every display says
that day: the text and HTML reports' tasks, the review digest (kpi/windows.py, due_day)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from deskplan.app.report.render_html import render_html, tasks_view
from deskplan.app.report.render_text import render_text
from deskplan.app.review.words import local_due
from deskplan.i18n import translator
from deskplan.kpi.report import build_report
from deskplan.kpi.tasks import build_tasks
from deskplan.kpi.windows import day_end, due_day, written_due_day, zone_name
from deskplan.state.tasks import TaskRecord

from .sample import NOW, tickets

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_local_midnight_is_the_end_of_the_day_before_and_any_other_time_its_own_day():
    # The quarterly review of the demo: due 2026-10-11 00:00 in Shanghai, by the end of 10 Oct.
    assert due_day(datetime(2026, 10, 10, 16, tzinfo=timezone.utc), SHANGHAI) == date(2026, 10, 10)
    assert due_day(datetime(2026, 10, 10, 16, 0, 1, tzinfo=timezone.utc), SHANGHAI) == date(2026, 10, 11)
    assert due_day(datetime(2026, 10, 10, 15, 59, tzinfo=timezone.utc), SHANGHAI) == date(2026, 10, 10)
    # The same instant is 16:00 in UTC: a time within 10 Oct.
    assert due_day(datetime(2026, 10, 10, 16, tzinfo=timezone.utc), timezone.utc) == date(2026, 10, 10)
    assert due_day(datetime(2026, 10, 11, tzinfo=timezone.utc), timezone.utc) == date(2026, 10, 10)
    # Midnight after the spring DST change in Berlin (29 Mar 2026) is 22:00 UTC, before it 23:00.
    assert due_day(datetime(2026, 3, 29, 22, tzinfo=timezone.utc), BERLIN) == date(2026, 3, 29)
    assert due_day(datetime(2026, 3, 28, 23, tzinfo=timezone.utc), BERLIN) == date(2026, 3, 28)


def test_a_helpdesk_keeping_a_day_alone_is_given_the_due_day_in_the_plans_zone():
    # By the end of 9 Oct: 10 Oct 04:00 UTC in New York (EDT), 9 Oct 16:00 UTC in Shanghai.
    assert written_due_day(datetime(2026, 10, 10, 4, tzinfo=timezone.utc), "America/New_York") == date(2026, 10, 9)
    assert written_due_day(datetime(2026, 10, 9, 16, tzinfo=timezone.utc), "Asia/Shanghai") == date(2026, 10, 9)
    # A time within a day is that day: 23:30 in New York is 03:30 UTC the next day.
    assert written_due_day(datetime(2026, 10, 10, 3, 30, tzinfo=timezone.utc), "America/New_York") == date(2026, 10, 9)
    # Writes planned before the zone was kept were given the UTC date.
    assert written_due_day(datetime(2026, 10, 10, 4, tzinfo=timezone.utc), None) == date(2026, 10, 10)
    assert day_end(date(2026, 10, 9), "America/New_York") == datetime(2026, 10, 10, 4, tzinfo=timezone.utc)
    assert day_end(date(2026, 10, 9), None) == datetime(2026, 10, 10, tzinfo=timezone.utc)
    assert (zone_name(SHANGHAI), zone_name(timezone.utc), zone_name(timezone(timedelta(hours=2)))) == (
        "Asia/Shanghai", "UTC", None)


def record(remote_id: str, due: datetime) -> TaskRecord:
    return TaskRecord(source="zd", remote_id=remote_id, key=f"k{remote_id}", ref=f"zd:{remote_id}",
                      title=f"task {remote_id}", owner="technology", origin="plan:test-plan:measure:M2", due=due,
                      done=False, gone=False, status="open", url=None, read_at=NOW - timedelta(minutes=5))


def test_the_reports_and_the_digest_show_the_same_due_day(workspace):
    # NOW is 15 Apr 2026 12:00 UTC; the plan's zone is Berlin (UTC+2 in April).
    midnight = datetime(2026, 4, 10, 22, tzinfo=timezone.utc)        # 11 Apr 00:00: by the end of 10 Apr
    afternoon = datetime(2026, 4, 12, 13, tzinfo=timezone.utc)       # 12 Apr 15:00
    tasks = build_tasks([record("1", midnight), record("2", afternoon)], workspace, NOW)
    report = replace(build_report(workspace, tickets(), NOW), tasks=tasks)
    text = render_text(report)
    assert "  zd:1          due 2026-04-10 technology          task 1" in text.splitlines()
    assert "  zd:2          due 2026-04-12 technology          task 2" in text.splitlines()
    view = tasks_view(tasks, BERLIN, NOW)
    assert view is not None
    assert [(v["t"].ref, v["due"], v["late"]) for v in view["overdue"]] == [
        ("zd:1", "2026-04-10", "4 days"), ("zd:2", "2026-04-12", "2 days")]
    assert '<td class="nowrap">2026-04-10</td>' in render_html(report)
    assert local_due(midnight, BERLIN) == "10 Apr 2026"
    assert local_due(midnight, BERLIN, translator("zh-CN")) == "2026年4月10日"

"""The report's tasks section and milestones done, from task states as the syncs record them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from deskplan.app.tasks import day_due
from deskplan.kpi.results import NO_MEASURE, TaskCount
from deskplan.kpi.tasks import build_tasks, milestones_done, origin_measures, review_states
from deskplan.rules.load import load_workspace
from deskplan.state.tasks import TaskRecord

NOW = datetime(2026, 10, 14, 9, tzinfo=timezone.utc)

PLAN = """
plan: {id: sip, title: Service plan, start: 2026-09-01, end: 2027-02-28}
goals:
  - {id: G1, metric: csat, target: 90%, by: 2027-02-28, window: month}
  - {id: G2, metric: complaint_rate, target: 5%, direction: at_most, by: 2027-02-28}
measures:
  - {id: M1, title: Complaint handling, owner: customer service, goals: [G2]}
  - {id: M2, title: Feedback follow-up, owner: marketing, goals: [G1, G2]}
milestones:
  - {id: P1, title: Pilot, start: 2026-09-01, end: 2026-09-30, measures: [M2]}
  - {id: P2, title: Roll-out, start: 2026-10-01, end: 2026-12-31, measures: [M1, M2]}
"""

RULES = """
rules:
  - id: bad-rating
    when: {satisfaction: bad}
    then: {measure: M2, task: {title: "Follow up on {{ ticket.key }}", owner: marketing, due: 48h}}
  - id: vip
    when: {priority: urgent}
    then: {task: {title: "Call {{ ticket.key }}", owner: sales}}
"""


def workspace(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (tmp_path / "rules" / "r.yaml").write_text(RULES, encoding="utf-8")
    return load_workspace(tmp_path)


def task(remote_id, origin, owner=None, *, due=None, done=False, gone=False, read=True, source="zd"):
    return TaskRecord(source=source, remote_id=remote_id, key=f"key-{remote_id}", ref=f"{source}:{remote_id}",
                      title=f"task {remote_id}", owner=owner, origin=origin, due=due, done=done, gone=gone,
                      status="solved" if done else "open", url=f"https://help.test/{remote_id}",
                      read_at=NOW - timedelta(minutes=5) if read else None)


def test_a_task_serves_the_measures_its_origin_names(tmp_path):
    ws = workspace(tmp_path)
    assert origin_measures("rule:bad-rating", ws) == ("M2",)
    assert origin_measures("rule:vip", ws) == ()                       # the rule counts towards no measure
    assert origin_measures("rule:gone-rule", ws) == ()
    assert origin_measures("goal:G2:2026-09", ws) == ("M1", "M2")
    assert origin_measures("goal:G1:2026-09", ws) == ("M2",)
    assert origin_measures("plan:sip:measure:M1", ws) == ("M1",)
    assert origin_measures("plan:sip:milestone:P2", ws) == ("M1", "M2")
    assert origin_measures("plan:other-plan:measure:M1", ws) == ()
    assert origin_measures("review:weekly:2026-W41", ws) == ()


def test_tasks_per_owner_and_measure_with_the_overdue_first(tmp_path):
    ws = workspace(tmp_path)
    records = [
        task("1", "goal:G2:2026-09", "customer service, marketing", due=NOW - timedelta(days=3)),
        task("2", "rule:bad-rating", "marketing", due=NOW + timedelta(days=1)),
        task("3", "rule:bad-rating", "marketing", due=NOW - timedelta(days=9)),
        task("4", "rule:vip", "sales", due=NOW - timedelta(days=1), done=True),
        task("5", "rule:vip", None, due=NOW),                               # due this very instant: overdue
        task("6", "goal:G1:2026-09", "marketing", due=NOW - timedelta(days=20), gone=True),
        task("7", "plan:sip:milestone:P1", "marketing", read=False),        # written this run, not read back
    ]
    tasks = build_tasks(records, ws, NOW)
    assert (tasks.known, tasks.read_at, tasks.gone) == (True, NOW - timedelta(minutes=5), 1)
    assert tasks.by_owner == (
        TaskCount("marketing", "", 3, 1, 0),
        TaskCount("customer service, marketing", "", 1, 1, 0),
        TaskCount("(no owner)", "", 1, 1, 0),                              # on a tie, after the named ones
        TaskCount("sales", "", 0, 0, 1),
    )
    assert tasks.by_measure == (
        TaskCount("M1", "Complaint handling", 1, 1, 0),
        TaskCount("M2", "Feedback follow-up", 4, 2, 0),
        TaskCount(NO_MEASURE, "", 1, 1, 1),
    )
    assert [t.ref for t in tasks.overdue] == ["zd:3", "zd:1", "zd:5"]
    assert [t.ref for t in tasks.items] == ["zd:3", "zd:1", "zd:5", "zd:2", "zd:7", "zd:4"]
    assert tasks.items[4].read_at is None and tasks.items[4].status == "open"


def test_nothing_read_back_yet_is_not_known(tmp_path):
    tasks = build_tasks([task("1", "rule:bad-rating", read=False)], workspace(tmp_path), NOW)
    assert (tasks.known, tasks.read_at, len(tasks.items)) == (False, None, 1)


def test_a_milestone_is_done_when_its_plan_push_task_is_done_wherever_it_was_pushed(tmp_path):
    ws = workspace(tmp_path)
    assert milestones_done([], ws) == {"P1": False, "P2": False}
    records = [task("1", "plan:sip:milestone:P1", done=True), task("SD-4", "plan:sip:milestone:P1", source="jsm"),
               task("2", "plan:sip:milestone:P2", done=True), task("3", "plan:other:milestone:P2")]
    assert milestones_done(records, ws) == {"P1": False, "P2": True}
    records[1] = task("SD-4", "plan:sip:milestone:P1", source="jsm", gone=True)     # deleted there: not waited for
    assert milestones_done(records, ws) == {"P1": True, "P2": True}


def test_the_review_digest_takes_the_tasks_still_in_their_helpdesk(tmp_path):
    states = review_states([task("1", "rule:bad-rating", "marketing", due=NOW, done=True),
                            task("2", "rule:vip", gone=True)])
    assert [(s.ref, s.owner, s.done, s.due, s.url, s.origin) for s in states] == [
        ("zd:1", "marketing", True, NOW, "https://help.test/1", "rule:bad-rating")]


def test_a_jira_due_day_keeps_the_written_instant_while_it_is_that_day():
    # A write planned before the zone was kept (None) was given the UTC date, and is read in UTC.
    written = datetime(2026, 10, 9, 16, 30, tzinfo=timezone.utc)
    assert day_due(date(2026, 10, 9), written, None) == written
    assert day_due(date(2026, 10, 12), written, None) == datetime(2026, 10, 13, tzinfo=timezone.utc)   # moved
    assert day_due(date(2026, 10, 9), None, None) == datetime(2026, 10, 10, tzinfo=timezone.utc)


def test_a_jira_due_day_someone_set_ends_that_day_in_the_plans_zone():
    # By the end of 9 Oct in New York (EDT, UTC-4): written as 9 Oct, read back as the instant written.
    new_york = datetime(2026, 10, 10, 4, tzinfo=timezone.utc)
    assert day_due(date(2026, 10, 9), new_york, "America/New_York") == new_york
    assert day_due(date(2026, 10, 10), new_york, "America/New_York") == datetime(2026, 10, 11, 4, tzinfo=timezone.utc)
    # Moved past the end of daylight saving time (1 Nov): the end of 5 Nov in EST, UTC-5.
    assert day_due(date(2026, 11, 5), new_york, "America/New_York") == datetime(2026, 11, 6, 5, tzinfo=timezone.utc)
    assert day_due(date(2026, 10, 12), None, "America/New_York") == datetime(2026, 10, 13, 4, tzinfo=timezone.utc)
    # By the end of 9 Oct in Shanghai (UTC+8) is 16:00 UTC that day.
    shanghai = datetime(2026, 10, 9, 16, tzinfo=timezone.utc)
    assert day_due(date(2026, 10, 9), shanghai, "Asia/Shanghai") == shanghai
    assert day_due(date(2026, 10, 12), shanghai, "Asia/Shanghai") == datetime(2026, 10, 12, 16, tzinfo=timezone.utc)
    # A rule task due within a day (17:30 in New York, 21:30 UTC) keeps its time while its day stays.
    rule = datetime(2026, 10, 9, 21, 30, tzinfo=timezone.utc)
    assert day_due(date(2026, 10, 9), rule, "America/New_York") == rule
    assert day_due(date(2026, 10, 8), rule, "America/New_York") == datetime(2026, 10, 9, 4, tzinfo=timezone.utc)

"""Jira's `duedate` is a day: deskplan writes a task's due day in the plan's time zone, and
reads a day someone set as the end of that day there, against the Jira simulator.

The compact plan runs here on a whole-day calendar in New York (UTC-4 in October) or
Shanghai (UTC+8). Its first-reply goal missed September 2025; the task is due a week after
the window closed: by the end of 7 October, local time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from deskplan.app.tasks import written_tasks
from deskplan.kpi.windows import due_day
from deskplan.state.store import Store
from deskplan.state.tasks import TaskStates

from .harness import NOW, Site, environment, make_workspace, scenario, sync

LATER = NOW + timedelta(minutes=3)
SEPTEMBER = "goal:first-reply-12h:2025-09"

# zone -> (the September task's due instant, its Jira due day)
ZONES = {
    "America/New_York": (datetime(2025, 10, 8, 4, tzinfo=timezone.utc), "2025-10-07"),
    "Asia/Shanghai": (datetime(2025, 10, 7, 16, tzinfo=timezone.utc), "2025-10-07"),
}
# zone -> the end of 20 October there: what a due day moved to 20 October means
MOVED = {
    "America/New_York": datetime(2025, 10, 21, 4, tzinfo=timezone.utc),
    "Asia/Shanghai": datetime(2025, 10, 20, 16, tzinfo=timezone.utc),
}


@pytest.fixture
def jira():
    site = Site("jira", scenario())
    yield site
    site.stop()


def zoned_workspace(root, site, zone):
    workspace = make_workspace(root, site, compact=True)
    plan = workspace / "plan.yaml"
    text = plan.read_text(encoding="utf-8").replace("calendar: 24x7}", "calendar: office}")
    plan.write_text(text + f'calendars:\n  office: {{timezone: {zone}, hours: {{mon-sun: ["00:00-24:00"]}}}}\n',
                    encoding="utf-8")
    return workspace


def issues(site):
    """key -> the simulator's record of each of deskplan's tasks."""
    return {record.key: record for record in site.app.store.records()
            if "deskplan_task" in (record.fields.get("labels") or [])}


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_a_tasks_jira_due_day_is_its_day_in_the_plans_zone_and_a_moved_day_ends_there(jira, tmp_path, zone):
    workspace = zoned_workspace(tmp_path / "ws", jira, zone)
    (first,) = sync(workspace).summaries
    assert first.exit_code == 0 and first.tasks_created > 1
    entries = written_tasks(Store.open(workspace / "state.db"))
    assert {e.write.zone for e in entries} == {zone}
    (september,) = [e for e in entries if e.write.origin == SEPTEMBER]
    due, day = ZONES[zone]
    assert september.write.due == due
    records = issues(jira)
    assert records[september.remote_id].fields["duedate"] == day
    # Every task, the rule task due within a day included, has its local due day.
    assert {e.remote_id: records[e.remote_id].fields["duedate"] for e in entries} == {
        e.remote_id: due_day(e.write.due, ZoneInfo(zone)).isoformat() for e in entries}

    # Someone moves the September task to 20 October in Jira.
    records[september.remote_id].fields["duedate"] = "2025-10-20"
    jira.clock.now = LATER
    (summary,) = sync(workspace, environ=environment(now=LATER)).summaries
    assert (summary.exit_code, summary.tasks_read) == (0, len(entries))
    states = {s.remote_id: s.due for s in TaskStates(Store.open(workspace / "state.db")).all()}
    assert states[september.remote_id] == MOVED[zone]
    # The others keep the instant deskplan wrote: their day is still the one it wrote.
    assert {k: v for k, v in states.items() if k != september.remote_id} == {
        e.remote_id: e.write.due for e in entries if e is not september}

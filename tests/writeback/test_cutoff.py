"""The go-live cut-off: a first sync against months of history writes status comments on the
open tickets, but no task about the past (old bad ratings, goal windows closed long ago).

Against both simulators with the compact workspace, and without `[writeback] since` unless
a test sets one: the cut-off is then the moment of the first sync that wrote back.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from deskplan.cli import cli
from deskplan.config import WritebackConfig
from deskplan.errors import InvalidFiles
from deskplan.model import Satisfaction, Score
from deskplan.rules.engine import task_trigger
from deskplan.rules.load import load_workspace
from deskplan.writes.assess import Assessor

from .fakes import T0, ticket
from .harness import NOW, Site, environment, make_workspace, sync

# The harness story at NOW under the compact workspace: 12 status comments; the one bad
# rating (ticket 7, November 2025) and 6 missed goal windows would each make a task.
COMMENTS, HISTORY_TASKS = 12, 1 + 6
RATED_LATER = 6          # open, created in November 2025, never rated in the story


@pytest.fixture
def workspace(tmp_path, site):
    return make_workspace(tmp_path / "ws", site, compact=True, since=None)


def test_first_sync_on_a_history_writes_the_status_comments_and_no_task_about_the_past(site, workspace):
    (summary,) = sync(workspace).summaries
    assert (summary.exit_code, summary.writes_planned, summary.writes_applied) == (0, COMMENTS, COMMENTS)
    assert summary.writes_skipped_before_cutoff == HISTORY_TASKS
    assert (summary.writeback_since, summary.writeback_since_configured) == (NOW.isoformat(), False)
    effects = site.effects()
    assert (len(effects.comments), len(effects.tasks)) == (COMMENTS, 0)
    # An hour on (the goals are checked again): the recorded cut-off holds, still no task.
    later = NOW + timedelta(hours=2)
    (again,) = sync(workspace, environ=environment(now=later)).summaries
    assert again.writeback_since == NOW.isoformat() and again.writes_skipped_before_cutoff == 6
    assert site.effects().tasks == {}


def rate_bad(site: Site, number: int, at: datetime) -> str:
    """The requester rates ticket `number` bad at `at`; its key."""
    if site.kind == "zendesk":
        site.app.store.rate(number, "bad", "Still not fixed", at=at)
        return str(number)
    key = f"SUP-{number}"
    site.app.store.set_feedback(key, 1, "Still not fixed", at, site.app.store.get(key).fields.get("reporter"))
    return key


def test_a_rating_after_go_live_gets_its_task_even_on_a_ticket_created_before(site, workspace):
    sync(workspace)
    rated_at = NOW + timedelta(days=1)
    site.clock.now = rated_at
    key = rate_bad(site, RATED_LATER, rated_at)
    (summary,) = sync(workspace, environ=environment(now=rated_at + timedelta(minutes=5))).summaries
    assert summary.exit_code == 0, summary.errors
    (task,) = site.effects().task_details.values()
    title, due, links, _ = task
    assert (title, links) == (f"Follow up on the rating of {key}", (key,))
    # Due 48h after the rating (Zendesk keeps the instant, Jira the day).
    assert due == ("2026-03-13T12:00:00Z" if site.kind == "zendesk" else "2026-03-13")


def test_an_explicit_since_in_the_past_brings_the_old_tasks_back_once(site, workspace):
    sync(workspace)
    assert site.effects().tasks == {}
    toml = workspace / "deskplan.toml"
    toml.write_text(toml.read_text() + "\n[writeback]\nsince = 2025-09-01\n")
    # Five minutes on: the resolved, rated ticket and the goals are looked at again at once.
    (summary,) = sync(workspace, environ=environment(now=NOW + timedelta(minutes=5))).summaries
    assert (summary.exit_code, summary.writes_applied, summary.writes_skipped_before_cutoff) == (0, HISTORY_TASKS, 0)
    assert summary.writeback_since == "2025-09-01T00:00:00+00:00" and summary.writeback_since_configured
    effects = site.effects()
    assert len(effects.tasks) == HISTORY_TASKS and effects.duplicates() == []
    assert sum(1 for d in effects.task_details.values() if d[0].startswith("Follow up on the rating")) == 1


def test_dry_run_shows_the_cutoff_and_how_many_tasks_it_held_back_and_records_nothing(site, workspace):
    runner = CliRunner()
    result = runner.invoke(cli, ["sync", "-w", str(workspace), "--dry-run", "--json"], env=environment())
    assert result.exit_code == 0, result.output
    *planned, summary = [json.loads(line) for line in result.output.splitlines()]
    assert [p["kind"] for p in planned] == ["comment"] * COMMENTS
    assert (summary["writes_planned"], summary["writes_skipped_before_cutoff"]) == (COMMENTS, HISTORY_TASKS)
    assert (summary["writeback_since"], summary["writeback_since_configured"]) == (NOW.isoformat(), False)
    text = runner.invoke(cli, ["sync", "-w", str(workspace), "--dry-run"], env=environment())
    assert text.output.splitlines()[-1] == (
        "  go-live cut-off 2026-03-10T12:00+00:00 (first write-back sync): 7 tasks about earlier events held back")
    # The dry-run recorded no cut-off: the first real sync, an hour later, sets its own.
    (real,) = sync(workspace, environ=environment(now=NOW + timedelta(hours=1))).summaries
    assert real.writeback_since == (NOW + timedelta(hours=1)).isoformat()


# --- units: the trigger of a rule task, and `[writeback] since` ---------------------------------

RULES = """
rules:
  - id: bad-rating-follow-up
    when: {satisfaction: bad}
    then: {task: {title: "Rating of {{ ticket.key }}", owner: marketing, due: 48h}}
  - id: complaint
    when: {tags: {contains: complaint}}
    then: {task: {title: "Complaint {{ ticket.key }}", owner: quality}}
"""


def test_a_task_is_triggered_by_the_rating_when_its_rule_tests_it_else_by_the_ticket_creation(tmp_path):
    from .harness import COMPACT_PLAN

    (tmp_path / "rules").mkdir()
    (tmp_path / "plan.yaml").write_text(COMPACT_PLAN)
    (tmp_path / "rules" / "rules.yaml").write_text(RULES)
    rated_at = T0 + timedelta(days=3)
    rated = ticket(1, tags=("complaint",), satisfaction=Satisfaction(score=Score.BAD, at=rated_at))
    rated = rated.model_copy(update={"updated_at": T0 + timedelta(days=4)})
    a = Assessor(load_workspace(tmp_path), T0 + timedelta(days=5)).assess(rated)
    assert [(t.rule_id, t.trigger) for t in a.tasks] == [("bad-rating-follow-up", rated_at), ("complaint", T0)]
    assert task_trigger(ticket(2), "rated") == T0          # counted from a rating that is not there
    assert task_trigger(rated, "updated") == T0            # never the latest update


def test_since_is_a_date_in_the_plan_zone_or_an_instant_with_its_offset(tmp_path):
    from zoneinfo import ZoneInfo

    from deskplan.config import load_config

    shanghai = ZoneInfo("Asia/Shanghai")
    assert WritebackConfig(since="2026-04-01").since_at(shanghai) == datetime(2026, 3, 31, 16, tzinfo=timezone.utc)
    assert WritebackConfig(since="2026-04-01T01:00:00Z").since_at(shanghai) == datetime(
        2026, 4, 1, 1, tzinfo=timezone.utc)
    assert WritebackConfig().since_at(shanghai) is None
    toml = tmp_path / "deskplan.toml"
    toml.write_text("[state]\npath = \"state.db\"\n\n[writeback]\nsince = 2026-04-01T09:00:00\n")
    with pytest.raises(InvalidFiles) as caught:
        load_config(toml)
    assert [str(p) for p in caught.value.problems] == [
        f"{toml}:5:1: writeback.since: an instant needs its offset "
        "(2026-04-01T09:00:00+08:00 or ...Z), or give a date"]


def test_explain_plans_as_sync_does_without_the_tasks_held_back(site, workspace):
    sync(workspace)
    ref = "zd:7" if site.kind == "zendesk" else "jsm:SUP-7"          # closed, rated bad in November

    def planned():
        result = CliRunner().invoke(cli, ["explain", ref, "-w", str(workspace), "--json"], env=environment())
        assert result.exit_code == 0, result.output
        return [(w["kind"], w["origin"]) for w in json.loads(result.stdout)["planned_writes"]]

    assert planned() == []
    toml = workspace / "deskplan.toml"
    toml.write_text(toml.read_text() + "\n[writeback]\nsince = 2025-09-01\n")
    assert planned() == [("task", "rule:bad-rating-follow-up")]

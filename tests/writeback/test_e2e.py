"""Write-back end to end against both simulators over loopback HTTP.

Counts come from the simulator's own data (comments on tickets, task tickets/issues),
never from deskplan's ledger.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner

from deskplan.cli import cli
from deskplan.effects import MARKER_PREFIX

from .harness import EMAIL, NOW, TOKEN, Site, assert_all_internal, environment, make_workspace, sync

# The harness scenario (24 tickets, seed 5) at NOW under the example workspace: 12 unsolved
# tickets get a status comment; 1 bad rating gets a follow-up task; 7 goal windows missed
# their target (6 under the compact workspace's two goals); two cadence entries of the example
# plan have a closed period (week 2026-W10, month 2026-02), each the entry's first: one review
# task each (the quarterly one has no quarter of the plan closed yet).
COMMENTS, RULE_TASKS, GOAL_TASKS, REVIEW_TASKS = 12, 1, 7, 2


@pytest.fixture
def workspace(tmp_path, site):
    """The example workspace of `deskplan init`."""
    return make_workspace(tmp_path / "ws", site)


@pytest.fixture
def compact(tmp_path, site):
    """A small plan on the 24x7 calendar (standard SLA: first reply 12h)."""
    return make_workspace(tmp_path / "ws", site, compact=True)


def test_first_sync_writes_each_comment_and_task_once_and_a_rerun_nothing(site, workspace):
    (summary,) = sync(workspace).summaries
    assert (summary.exit_code, summary.writes_planned, summary.writes_applied) == (0, 22, 22)
    effects = site.effects()
    assert len(effects.comments) == COMMENTS and len(effects.tasks) == RULE_TASKS + GOAL_TASKS + REVIEW_TASKS
    assert effects.duplicates() == []
    received = len(site.app.writes)
    (again,) = sync(workspace).summaries
    assert (again.exit_code, again.writes_planned, again.writes_applied) == (0, 0, 0)
    assert len(site.app.writes) == received and site.effects() == effects


def test_the_summary_counts_every_request_the_sync_made_goal_tasks_included(site, workspace):
    result = CliRunner().invoke(cli, ["sync", "-w", str(workspace), "--json"], env=environment())
    assert result.exit_code == 0, result.output
    (summary,) = [json.loads(line) for line in result.output.splitlines()]
    assert (summary["comments_written"], summary["tasks_created"], summary["review_tasks_created"]) == (
        COMMENTS, RULE_TASKS + GOAL_TASKS + REVIEW_TASKS, REVIEW_TASKS)
    # One HTTP client per source for the pull and the writes: every request it made is counted.
    assert summary["requests"] == len(site.log.getvalue().splitlines())


def test_every_write_the_helpdesk_received_is_internal(site, workspace):
    sync(workspace)
    assert len(site.app.writes) >= COMMENTS + RULE_TASKS + GOAL_TASKS
    assert_all_internal(site)


def test_tasks_carry_their_key_and_link_to_their_source_tickets(site, compact):
    sync(compact)
    details = site.effects().task_details.values()
    (rule_task,) = [d for d in details if d[0].startswith("Follow up on the rating")]
    source_key = "7" if site.kind == "zendesk" else "SUP-7"
    assert rule_task[0] == f"Follow up on the rating of {source_key}"
    assert rule_task[2] == (source_key,)
    assert all(len(d[3]) == 64 for d in details)          # the full idempotency key, findable later
    goal_links = [d[2] for d in details if d[0].startswith("Goal ")]
    assert len(goal_links) == 6 and all(goal_links)


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_dry_run_prints_every_planned_write_changes_nothing_and_the_real_run_applies_that_plan(site, compact):
    workspace = compact
    sync(workspace)                       # a state file exists: the dry-run must leave it as it is
    clock_later = NOW + timedelta(days=1)
    site.clock.now = clock_later
    new_ticket(site, "Printer on fire", priority_urgent=True)
    state_before, received = _digests(workspace), len(site.app.writes)
    effects_before = site.effects()
    result = CliRunner().invoke(cli, ["sync", "-w", str(workspace), "--dry-run", "--json"],
                                env=environment(now=clock_later))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    planned, (summary,) = lines[:-1], lines[-1:]
    assert summary["writes_planned"] == len(planned) > 0 and summary["writes_applied"] == 0
    assert all({"kind", "source", "ticket", "key", "title", "body"} <= set(p) for p in planned)
    assert _digests(workspace) == state_before
    assert len(site.app.writes) == received and site.effects() == effects_before
    applied = []
    sync(workspace, on_write=applied.append, environ=environment(now=clock_later))
    assert [w.key for w in applied] == [p["key"] for p in planned]


def test_dry_run_text_shows_the_comment_an_agent_will_read(site, workspace):
    result = CliRunner().invoke(cli, ["sync", "-w", str(workspace), "--dry-run"], env=environment())
    assert result.exit_code == 0, result.output
    assert result.output.count("\ncomment ") + result.output.startswith("comment ") == COMMENTS
    assert "  | deskplan status (sip-2026h1)" in result.output
    assert f"  | {MARKER_PREFIX}" in result.output
    *_, summary, cutoff = result.output.splitlines()
    assert summary.startswith("dry-run ")
    # The example plan's calendar is Asia/Shanghai: a `since` date starts at midnight there.
    assert cutoff == ("  go-live cut-off 2025-01-01T00:00+08:00 ([writeback] since): "
                      "0 tasks about earlier events held back")
    assert "\x1b[K" not in result.output          # no progress line when not on a terminal
    assert site.app.writes == []


def new_ticket(site: Site, subject: str, *, priority_urgent: bool) -> str:
    """A customer request created through the helpdesk's API now (the simulator's clock)."""
    if site.kind == "zendesk":
        body = {"ticket": {"subject": subject, "comment": {"body": "It is burning."},
                           "priority": "urgent" if priority_urgent else "normal"}}
        answer = requests.post(f"{site.url}/api/v2/tickets.json", json=body, auth=(f"{EMAIL}/token", TOKEN))
        return str(answer.json()["ticket"]["id"])
    body = {"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Service Request"}, "summary": subject,
                       "priority": {"name": "Highest" if priority_urgent else "Medium"}}}
    answer = requests.post(f"{site.url}/rest/api/3/issue", json=body, auth=(EMAIL, TOKEN))
    assert answer.status_code == 201, answer.text
    return answer.json()["key"]


def test_a_state_change_is_a_new_note_in_zendesk_and_an_edit_in_jira(site, compact):
    key = new_ticket(site, "Printer on fire", priority_urgent=True)
    states = []
    for minutes in (1, 10 * 60, 13 * 60, 14 * 60):    # on_track, at_risk (< 1/4 of 12h left), breached, breached
        site.clock.now = NOW + timedelta(minutes=minutes)
        sync(compact, environ=environment(now=site.clock.now))
        markers = [m for (ticket, m) in site.effects().comments if ticket == key]
        states.append(len(markers))
    ticket_id = key if site.kind == "zendesk" else site.app.store.get(key).id
    ours = [w for w in site.app.writes if f"/{ticket_id}/" in w.path or w.path.endswith(f"/{ticket_id}.json")]
    if site.kind == "zendesk":
        assert states == [1, 2, 3, 3]
        assert [w.method for w in ours] == ["PUT", "PUT", "PUT"]
    else:
        assert states == [1, 1, 1, 1]
        assert [w.method for w in ours] == ["POST", "PUT", "PUT"]
    text = _latest_deskplan_comment(site, key)
    # The comment of the 13h sync (at 14h nothing changed): first reply breached by an hour.
    assert text.splitlines()[:4] == [
        "deskplan status (sip-compact)",
        "Measure M2 24-hour support rota (owner: customer service) [rule standard-sla]",
        "SLA First reply: BREACHED, target 12h, due 2026-03-11 00:00 UTC, elapsed 13h, overdue by 1h, "
        "calendar 24x7 [rule standard-sla]",
        "SLA Resolution: ON TRACK, target 72h, due 2026-03-13 12:00 UTC, elapsed 13h, remaining 59h, "
        "calendar 24x7 [rule standard-sla]",
    ]


def _latest_deskplan_comment(site: Site, key: str) -> str:
    from deskplan.adapters.jira.adf import adf_to_text

    if site.kind == "zendesk":
        bodies = [c["body"] for c in site.app.store.comments(int(key))]
    else:
        record = site.app.store.get(key)
        bodies = [adf_to_text(c["body"]) for c in record.comments]
    return [b for b in bodies if MARKER_PREFIX in b][-1]


def test_writes_the_helpdesk_refuses_are_listed_and_the_run_exits_1(story, tmp_path):
    site = Site("jira", story)
    try:
        workspace = make_workspace(tmp_path / "ws", site, compact=True)
        toml = workspace / "deskplan.toml"
        toml.write_text(toml.read_text().replace('tasks_project = "IMP"', 'tasks_project = "NOPE"'))
        (summary,) = sync(workspace).summaries
        assert summary.exit_code == 1
        assert (summary.writes_planned, summary.writes_applied, summary.writes_failed) == (19, 12, 7)
        assert len(summary.errors) == 7
        assert all(e.startswith("task ") and " failed: " in e and "-> 400" in e for e in summary.errors)
        assert len(site.effects().comments) == 12 and not site.effects().tasks
        # Fixed in deskplan.toml: the next run creates exactly the tasks that failed.
        toml.write_text(toml.read_text().replace('tasks_project = "NOPE"', 'tasks_project = "IMP"'))
        (again,) = sync(workspace).summaries
        assert (again.exit_code, again.writes_planned, again.writes_applied) == (0, 7, 7)
        assert len(site.effects().tasks) == 7 and site.effects().duplicates() == []
    finally:
        site.stop()


def test_a_quiet_run_evaluates_no_ticket(site, compact):
    (first,) = sync(compact).summaries
    sync(compact)                         # picks up what the first run's writes changed
    (quiet,) = sync(compact).summaries
    # Nothing changed and no SLA clock turned since: not even the unsolved tickets are read.
    assert (first.tickets_evaluated, quiet.tickets_changed, quiet.tickets_evaluated) == (24, 0, 0)


def _task_texts(site: Site) -> dict[str, str]:
    """Title -> description of every task deskplan created, as the helpdesk holds it."""
    from deskplan.adapters.jira.adf import adf_to_text

    if site.kind == "zendesk":
        tickets, _ = site.app.store.tickets_after(0, 10**9)
        return {t["subject"]: t["description"] for t in tickets if "deskplan_task" in (t.get("tags") or [])}
    return {r.fields["summary"]: adf_to_text(r.fields.get("description")) for r in list(site.app.store.records())
            if "deskplan_task" in (r.fields.get("labels") or [])}


def test_the_follow_up_task_names_the_customer_not_their_user_id(site, workspace):
    sync(workspace)
    key, ref = ("7", "zd:7") if site.kind == "zendesk" else ("SUP-7", "jsm:SUP-7")
    body = _task_texts(site)[f"Follow up on the rating of {key}"]
    # The story's requester of ticket 7 is user 28, Mason Taylor (a Zendesk user record, a Jira displayName).
    assert body.splitlines()[:3] == [
        f'Mason Taylor rated {ref} "接口返回 500 错误" as bad.',
        "Their comment: 问题根本没有解决。",
        "Call or write back within 48 hours and record what was agreed.",
    ]

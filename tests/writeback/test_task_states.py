"""The closed loop against both simulators: deskplan's tasks are read back at each sync.

The tasks are changed the way people change them, through the helpdesk's own HTTP API
(Zendesk: `PUT /tickets/{id}`, `DELETE /tickets/{id}`; Jira: a workflow transition and
`DELETE /issue/{key}`). The Jira source pulls project SUP and writes its tasks to IMP, a
project the pull does not cover. Figures come from the report deskplan renders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from deskplan.app.report.command import render, report_from_workspace
from deskplan.app.tasks import written_tasks
from deskplan.state.store import Store
from deskplan.state.tasks import TaskStates

from .harness import EMAIL, NOW, TOKEN, environment, make_workspace, sync

LATER = NOW + timedelta(minutes=3)      # past the minute the Zendesk export holds back
RULE = "rule:bad-rating-follow-up"      # the compact workspace's one rule task (the bad rating of ticket 7)
JIRA_DONE = "10004"     # the simulator's transition to the task workflow's "Done"


def source(site):
    return "zd" if site.kind == "zendesk" else "jsm"


def helpdesk(site, method, path, body=None):
    auth = (f"{EMAIL}/token", TOKEN) if site.kind == "zendesk" else (EMAIL, TOKEN)
    response = requests.request(method, site.url + path, json=body, auth=auth, timeout=10)
    assert response.status_code < 300, response.text
    return response


def solve(site, remote_id):
    if site.kind == "zendesk":
        helpdesk(site, "PUT", f"/api/v2/tickets/{remote_id}.json", {"ticket": {"status": "solved"}})
    else:
        helpdesk(site, "POST", f"/rest/api/3/issue/{remote_id}/transitions", {"transition": {"id": JIRA_DONE}})


def delete(site, remote_id):
    path = f"/api/v2/tickets/{remote_id}.json" if site.kind == "zendesk" else f"/rest/api/3/issue/{remote_id}"
    helpdesk(site, "DELETE", path)


def sync_later(workspace, site, *, dry_run=False, at=LATER):
    site.clock.now = at
    (summary,) = sync(workspace, dry_run=dry_run, environ=environment(now=at)).summaries
    return summary


def tasks_json(workspace, at=LATER):
    return json.loads(render(report_from_workspace(workspace, at), "json"))["tasks"]


@dataclass(frozen=True)
class Task:
    source: str
    remote_id: str
    ref: str
    origin: str
    owner: str | None
    due: datetime | None
    key: str


class Written:
    """deskplan's tasks after the first sync, by what the ledger says it wrote (origin): the
    rule task, and the missed-goal tasks, by due time (a week after their window), each
    first-reply goal's task owned by customer service (M2), the csat one by marketing (M3)."""

    def __init__(self, workspace, site):
        states = [Task(e.write.source, e.remote_id, f"{e.write.source}:{e.remote_id}", e.write.origin, e.write.owner,
                       e.write.due, e.write.key) for e in written_tasks(Store.open(workspace / "state.db"))]
        (self.rule,) = [t for t in states if t.origin == RULE]
        self.goals = sorted((t for t in states if t.origin.startswith("goal:")), key=lambda t: t.due)
        self.reply = [t for t in self.goals if t.origin.startswith("goal:first-reply-12h:")]
        self.csat = [t for t in self.goals if t.origin.startswith("goal:csat:")]
        assert len(self.reply) >= 3 and len(self.csat) == 1 and len(states) == 1 + len(self.goals)
        assert {t.owner for t in self.reply} == {"customer service"} and self.csat[0].owner == "marketing"
        assert all(t.ref.startswith("jsm:IMP-") for t in states) or site.kind == "zendesk"   # the tasks project
        self.all = [self.rule, *self.goals]

    @staticmethod
    def refs(tasks):
        return [t.ref for t in tasks]


def synced_once(site, tmp_path):
    """The compact workspace after its first sync against `site`, and the tasks that sync wrote."""
    workspace = make_workspace(tmp_path / "ws", site, compact=True)
    sync(workspace)
    return workspace, Written(workspace, site)


def test_a_task_solved_in_the_helpdesk_is_done_after_the_next_sync(site, tmp_path):
    workspace = make_workspace(tmp_path / "ws", site, compact=True)
    (first,) = sync(workspace).summaries
    written = Written(workspace, site)
    assert (first.exit_code, first.tasks_created) == (0, len(written.all))
    solve(site, written.rule.remote_id)
    summary = sync_later(workspace, site)
    assert (summary.exit_code, summary.tasks_read, summary.writes_planned) == (0, len(written.all), 0)
    tasks = tasks_json(workspace)
    assert tasks["known"] is True and tasks["read_at"] == LATER.isoformat() and tasks["gone"] == 0
    reply = len(written.reply)
    assert tasks["by_owner"] == [
        {"owner": "customer service", "open": reply, "overdue": reply, "done": 0},
        {"owner": "marketing", "open": 1, "overdue": 1, "done": 1},
    ]
    assert tasks["by_measure"] == [
        {"measure": "M2", "title": "24-hour support rota", "open": reply, "overdue": reply, "done": 0},
        {"measure": "M3", "title": "Feedback follow-up tracking", "open": 1, "overdue": 1, "done": 1},
    ]
    # Overdue first (the longest overdue first), the solved rule task last.
    assert [t["ref"] for t in tasks["items"]] == Written.refs(written.goals + [written.rule])
    assert [t["ref"] for t in tasks["overdue"]] == Written.refs(written.goals)
    assert tasks["overdue"][0]["due"] == "2025-10-08T00:00:00+00:00"     # first-reply-12h of 2025-09, a week after
    solved = tasks["items"][-1]
    assert (solved["done"], solved["overdue"], solved["origin"], solved["measures"]) == (True, False, RULE, ["M3"])
    assert solved["status"] == ("solved" if site.kind == "zendesk" else "Done")
    path = "/agent/tickets/" if site.kind == "zendesk" else "/browse/"
    assert solved["url"] == f"{site.url}{path}{written.rule.remote_id}"


def test_a_task_is_linked_from_the_sync_that_wrote_it(site, tmp_path):
    # Zendesk reads its tasks from the stored tickets, and the pull came before the write-back:
    # the rule task is not read back yet, yet it links to the ticket an agent opens.
    workspace, written = synced_once(site, tmp_path)
    path = "/agent/tickets/" if site.kind == "zendesk" else "/browse/"
    states = TaskStates(Store.open(workspace / "state.db")).all()
    assert [(s.ref, s.url) for s in states] == [(written.rule.ref, f"{site.url}{path}{written.rule.remote_id}")]
    if site.kind == "zendesk":
        assert (states[0].read_at, states[0].status) == (None, "")
    (item,) = tasks_json(workspace, NOW)["items"]
    assert item["url"] == f"{site.url}{path}{written.rule.remote_id}"


def test_a_task_open_and_past_its_due_time_is_overdue_and_a_solved_one_is_not(site, tmp_path):
    workspace, written = synced_once(site, tmp_path)
    for task in written.reply:
        solve(site, task.remote_id)
    sync_later(workspace, site)
    tasks = tasks_json(workspace)
    assert [(t["ref"], t["owner"]) for t in tasks["overdue"]] == [
        (written.rule.ref, "marketing"), (written.csat[0].ref, "marketing")]
    assert tasks["by_owner"] == [
        {"owner": "marketing", "open": 2, "overdue": 2, "done": 0},
        {"owner": "customer service", "open": 0, "overdue": 0, "done": len(written.reply)},
    ]


def test_a_task_deleted_in_the_helpdesk_is_gone_not_an_error(site, tmp_path):
    workspace, written = synced_once(site, tmp_path)
    deleted = written.reply[0]
    delete(site, deleted.remote_id)
    summary = sync_later(workspace, site)
    assert (summary.exit_code, summary.errors, summary.tasks_read) == (0, [], len(written.all))
    tasks = tasks_json(workspace)
    assert tasks["gone"] == 1 and deleted.ref not in [t["ref"] for t in tasks["items"]]
    left = len(written.reply) - 1
    assert tasks["by_owner"][0] == {"owner": "customer service", "open": left, "overdue": left, "done": 0}
    # Deleted stays deleted: the next sync does not ask for it again.
    again = sync_later(workspace, site)
    assert (again.exit_code, again.errors, again.tasks_read) == (0, [], len(written.all) - 1)
    assert tasks_json(workspace)["gone"] == 1


def test_a_ticket_made_to_look_like_a_deskplan_task_is_not_counted(site, tmp_path):
    workspace, written = synced_once(site, tmp_path)
    real = written.rule
    marker = f"[deskplan:{real.key[:16]}]"
    # The tag, the marker, the external id and the issue property of a real task, on a task
    # deskplan's ledger never wrote (written here with the same API user, which is no proof either).
    if site.kind == "zendesk":
        helpdesk(site, "POST", "/api/v2/tickets.json", {"ticket": {
            "subject": "Follow up on the rating of 7", "type": "task", "tags": ["deskplan", "deskplan_task"],
            "comment": {"body": f"Looks like ours\n{marker}", "public": False}, "external_id": real.key,
            "due_at": "2025-01-01T00:00:00Z"}})
    else:
        helpdesk(site, "POST", "/rest/api/3/issue", {
            "fields": {"project": {"key": "IMP"}, "issuetype": {"name": "Task"}, "summary": "Looks like ours",
                       "labels": ["deskplan_task", f"deskplan-{real.key[:16]}"], "duedate": "2025-01-01"},
            "properties": [{"key": "deskplan", "value": {"key": real.key, "origin": real.origin}}]})
    summary = sync_later(workspace, site)
    assert (summary.exit_code, summary.tasks_read) == (0, len(written.all))
    tasks = tasks_json(workspace)
    assert sorted(t["ref"] for t in tasks["items"]) == sorted(Written.refs(written.all))
    assert sum(c["open"] + c["done"] for c in tasks["by_owner"]) == len(written.all)


def test_a_dry_run_reads_the_tasks_back_and_keeps_nothing(site, tmp_path):
    workspace, written = synced_once(site, tmp_path)
    solve(site, written.rule.remote_id)
    received = len(site.app.writes)
    summary = sync_later(workspace, site, dry_run=True)
    assert (summary.exit_code, summary.tasks_read, summary.writes_planned) == (0, len(written.all), 0)
    assert len(site.app.writes) == received
    # The state is as the first sync left it: the solved task was not recorded as done.
    kept = TaskStates(Store.open(workspace / "state.db")).get(written.rule.source, written.rule.remote_id)
    assert kept is not None and kept.done is False


def test_a_milestone_is_done_once_its_plan_push_task_is_solved_in_report_and_review(site, tmp_path):
    from deskplan.app.planpush import push_plan
    from deskplan.app.review.command import render as render_review, review_from_workspace
    from deskplan.config import load_config

    workspace = make_workspace(tmp_path / "ws", site)           # the example plan: P1 ended 2026-02-28
    sync(workspace)
    push_plan(load_config(workspace / "deskplan.toml"), environ=environment())
    sync_later(workspace, site)
    states = TaskStates(Store.open(workspace / "state.db")).all()
    (p1,) = [t for t in states if t.origin.endswith(":milestone:P1")]
    assert {m.id: m.state for m in report_from_workspace(workspace, LATER).milestones}["P1"] == "overdue"

    solve(site, p1.remote_id)
    then = LATER + timedelta(minutes=3)        # the solve, made at LATER, past the export's held-back minute
    sync_later(workspace, site, at=then)
    built = report_from_workspace(workspace, then)
    assert {m.id: m.state for m in built.milestones}["P1"] == "done"
    report = json.loads(render(built, "json"))
    (p1_item,) = [t for t in report["tasks"]["items"] if t["origin"].endswith(":milestone:P1")]
    assert p1_item["done"] is True and p1_item["overdue"] is False
    review = json.loads(render_review(review_from_workspace(workspace, then, cadence_id="monthly-review"), "json"))
    assert {m["id"]: m["state"] for m in review["milestones"]}["P1"] == "done"
    assert review["tasks"]["by_owner"] == report["tasks"]["by_owner"]

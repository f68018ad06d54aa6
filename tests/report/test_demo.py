"""`deskplan demo` end to end on a small story: simulators, workspace, sync with write-back, plan
push, the service team's work in the helpdesks, the sync that reads it back, report."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime, timedelta, timezone

from click.testing import CliRunner
from ruamel.yaml import YAML

from deskplan.app.demo import TOKEN_ENV, run_demo
from deskplan.cli import cli
from deskplan.state.store import Store

NOW = "2026-05-20T09:30:00Z"


def test_demo_runs_the_whole_loop(tmp_path):
    root = tmp_path / "demo"
    result = run_demo(root, tickets={"zendesk": 60, "jsm": 40}, seed=5, environ={"DESKPLAN_NOW": NOW})

    assert result.now == datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
    assert result.sync.exit_code == 0, [s.errors for s in result.sync.summaries]
    assert result.next_sync is not None and result.next_sync.exit_code == 0
    assert [(s.source, s.exit_code, s.tasks_created) for s in result.push] == [("zendesk", 0, 8), ("jsm", 0, 8)]
    # Nothing beyond loopback, and no token in any file written.
    assert all(re.fullmatch(r"http://127\.0\.0\.1:\d+", url) for url in result.urls.values())
    config = tomllib.loads((root / "deskplan.toml").read_text(encoding="utf-8"))
    assert [s["token_env"] for s in config["sources"]] == [TOKEN_ENV["zendesk"], TOKEN_ENV["jsm"]]
    assert [s["url"] for s in config["sources"]] == [result.urls["zendesk"], result.urls["jsm"]]

    # The plan began on the Monday 17 weeks before now (Asia/Shanghai), and kept its shape.
    plan = YAML().load((root / "plan.yaml").read_text(encoding="utf-8"))
    assert plan["plan"]["start"] == date(2026, 1, 19)
    assert plan["plan"]["end"] - plan["plan"]["start"] == date(2026, 6, 30) - date(2026, 1, 5)
    # The piloted measure moved with it (the example pilots M2 from its tenth week).
    m2 = next(m for m in plan["measures"] if m["id"] == "M2")
    assert m2["pilot"]["start"] == date(2026, 1, 19) + (date(2026, 3, 9) - date(2026, 1, 5))
    # Write-back went live when the plan began, so the story's history gets its tasks.
    assert config["writeback"] == {"since": date(2026, 1, 19)}

    store = Store.open(result.state)
    try:
        assert store.count_tickets("zendesk") + store.count_tickets("jsm") == result.tickets_stored
        assert store.count_tickets("zendesk") >= 55 and store.count_tickets("jsm") >= 35
    finally:
        store.close()

    # Each write deskplan made (both syncs and plan push) landed once in its simulator: a comment
    # or a task per applied write; the team's solves are not counted as deskplan's.
    summaries = [*result.sync.summaries, *result.push, *result.next_sync.summaries]
    for name, count in result.writes.items():
        assert count.comments + count.tasks == sum(s.writes_applied for s in summaries if s.source == name), name
    assert {name: c.tasks for name, c in result.writes.items()} == {"zendesk": 20, "jsm": 16}
    # The second sync found nothing new to write: the team's work is read back, not written again.
    assert [s.writes_applied for s in result.next_sync.summaries] == [0, 0]

    assert result.report_text.startswith("Customer service improvement plan (demo on generated tickets)")
    for goal in ("csat", "first-reply-12h", "resolution-24h", "complaint-rate"):
        assert f"\n{goal} " in result.report_text
    assert "\nMEASURE EFFECTS" in result.report_text and "\nM2 24-hour support rota" in result.report_text
    page = result.html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert str(root) in result.summary() and "improvement tasks" in result.summary()

    # Half an hour after the first sync the team works in each helpdesk through its API: older
    # tasks mostly solved, P1's task closed, P2's left open; the next sync, at now, reads it back.
    assert [w.line() for w in result.team] == [
        "zendesk: 8 of 20 open tasks solved; milestone P1's task closed; milestone P2's task left open, past its end",
        "jsm: 7 of 16 open tasks solved; milestone P1's task closed; milestone P2's task left open, past its end",
    ]
    summary = result.summary().splitlines()
    assert summary[0].startswith("deskplan demo: 100 generated tickets over the six months up to 2026-05-20 08:30 UTC")
    assert "Read back by the sync at 09:30 UTC: 36 tasks, 15 done, 21 open (10 overdue); milestones P1 done, " \
           "P2 overdue, P3 under way" in summary
    assert f"  report sections: {result.html.as_uri()}#milestones and #tasks; TASKS in deskplan report " \
           f"--workspace {root} --format text" in summary
    assert 'id="milestones"' in page and 'id="tasks"' in page

    # The report's JSON (deskplan report, as a user runs it after the demo): done and overdue
    # tasks per owner, every task linked to its helpdesk, P1 done and P2 overdue.
    shown = CliRunner().invoke(cli, ["report", "--workspace", str(root), "--format", "json"],
                               env={"DESKPLAN_NOW": NOW})
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    tasks = report["tasks"]
    assert (tasks["known"], tasks["gone"]) == (True, 0)
    assert [(m["id"], m["state"]) for m in report["milestones"]] == [("P1", "done"), ("P2", "overdue"),
                                                                      ("P3", "active")]
    items = tasks["items"]
    assert (len(items), sum(i["done"] for i in items), sum(i["overdue"] for i in items)) == (36, 15, 10)
    # Every task has an owner: the milestones' plan push tasks go to theirs (P1 technology, P2
    # customer service, P3 service manager), in both helpdesks.
    assert tasks["by_owner"] == [
        {"owner": "customer service", "open": 9, "overdue": 6, "done": 3},
        {"owner": "marketing", "open": 4, "overdue": 3, "done": 4},
        {"owner": "marketing, customer service", "open": 1, "overdue": 1, "done": 1},
        {"owner": "service manager", "open": 3, "overdue": 0, "done": 0},
        {"owner": "product", "open": 2, "overdue": 0, "done": 0},
        {"owner": "technology", "open": 2, "overdue": 0, "done": 2},
        {"owner": "technology, customer service", "open": 0, "overdue": 0, "done": 1},
        {"owner": "technology, product", "open": 0, "overdue": 0, "done": 4},
    ]
    assert sorted((i["source"], i["owner"], i["done"], i["overdue"]) for i in items
                  if ":milestone:" in i["origin"]) == [
        ("jsm", "customer service", False, True), ("jsm", "service manager", False, False),
        ("jsm", "technology", True, False),
        ("zendesk", "customer service", False, True), ("zendesk", "service manager", False, False),
        ("zendesk", "technology", True, False),
    ]
    # (A task serving two measures counts in each.)
    assert [(c["measure"], c["open"], c["overdue"], c["done"]) for c in tasks["by_measure"]] == [
        ("M1", 4, 2, 7), ("M2", 8, 6, 3), ("M3", 8, 6, 5), ("M4", 3, 1, 4), ("M5", 4, 0, 4), ("(no measure)", 3, 0, 0),
    ]
    for item in items:
        site = result.urls[item["source"]]
        path = "/agent/tickets/" if item["source"] == "zendesk" else "/browse/"
        assert item["url"] == f"{site}{path}{item['ref'].split(':', 1)[1]}", item
        assert item["read_at"] is not None and item["status"], item
    # The review tasks, read back like every task: open in the helpdesk and, written late (the
    # plan went live months ago), not overdue: each keeps its allowance from the day it was written.
    assert sorted((i["source"], i["title"].split(":")[0], i["done"]) for i in items if not i["measures"]) == [
        ("jsm", "Monthly review of every goal with the measure owners", False),
        ("zendesk", "Quarterly analysis of feedback categories and their trends", False),
        ("zendesk", "Weekly check of first-reply and resolution times", False),
    ]

    # A review task for the latest closed period of each cadence entry, in each simulator: the
    # monthly review in JSM (`in: jsm`), the weekly and quarterly ones in Zendesk, the first source.
    assert [(w.source, w.origin, w.owner) for w in result.reviews] == [
        ("zendesk", "review:weekly-check:2026-W20", "customer service"),
        ("jsm", "review:monthly-review:2026-04", "service manager"),
        ("zendesk", "review:quarterly-feedback:2026-Q1", "marketing"),
    ]
    assert {s.source: s.review_tasks_created for s in result.sync.summaries} == {"zendesk": 2, "jsm": 1}
    assert [line.strip() for line in result.summary().splitlines() if "review for" in line] == [
        "review for customer service, due by the end of 2026-05-21: Weekly check of first-reply and resolution "
        "times: week 20 of 2026 (11 to 17 May 2026)",
        "review for marketing, due by the end of 2026-05-29: Quarterly analysis of feedback categories and their "
        "trends: Q1 2026 (Jan to Mar)",
        "review for service manager, due by the end of 2026-05-24: Monthly review of every goal with the measure "
        "owners: April 2026",
    ]


def test_demo_command_prints_the_report_and_refuses_to_overwrite(tmp_path):
    root = tmp_path / "demo"
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--workspace", str(root), "--tickets", "40", "--seed", "3"],
                          env={"DESKPLAN_NOW": NOW})
    assert first.exit_code == 0, first.output
    assert "GOAL" in first.stdout and f"HTML report  {root / 'report.html'}" in first.stdout
    again = runner.invoke(cli, ["demo", "--workspace", str(root), "--tickets", "40"], env={"DESKPLAN_NOW": NOW})
    assert again.exit_code == 2
    assert "not overwriting existing files" in again.output


def test_the_demo_team_lists_deskplans_open_tasks_and_solves_them_as_an_agent_would(tmp_path):
    from deskplan.app.demo import helpdesks

    at = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
    with helpdesks({"zendesk": 12, "jsm": 12}, 5, at, tmp_path) as desks:
        zendesk, jira = desks.agent("zendesk", timezone.utc), desks.agent("jsm", timezone.utc)
        # Two of deskplan's tasks (its tag, its label) and a task someone else wrote, in each.
        for subject, tags, due in [("Later", ["deskplan_task"], "2026-05-12T16:00:00Z"),
                                   ("Sooner", ["deskplan", "deskplan_task"], "2026-05-01T16:00:00Z"),
                                   ("Not ours", ["other"], "2026-04-01T16:00:00Z")]:
            zendesk._call("POST", "/api/v2/tickets.json", {"ticket": {
                "subject": subject, "type": "task", "tags": tags, "due_at": due,
                "comment": {"body": "to do", "public": False}}})
            jira._call("POST", "/rest/api/3/issue", {"fields": {
                "project": {"key": "IMP"}, "issuetype": {"name": "Task"}, "summary": subject,
                "labels": [t for t in tags if t != "deskplan"], "duedate": due[:10]}})
        desks.clock.skip(at + timedelta(minutes=5))       # past Jira's search lag
        utc = timezone.utc
        dues = {"zendesk": [datetime(2026, 5, 1, 16, tzinfo=utc), datetime(2026, 5, 12, 16, tzinfo=utc)],
                "jira": [datetime(2026, 5, 2, tzinfo=utc), datetime(2026, 5, 13, tzinfo=utc)]}   # by the day's end
        for agent in (zendesk, jira):
            tasks = agent.open_tasks()
            assert [(t.title, t.due) for t in tasks] == [("Sooner", dues[agent.kind][0]),
                                                          ("Later", dues[agent.kind][1])], agent.kind
            agent.solve(tasks[0])
            assert [t.title for t in agent.open_tasks()] == ["Later"]
        # Zendesk solves nothing without an assignee: the agent took the unassigned task.
        (solved,) = [t for t in zendesk._call("GET", "/api/v2/tickets.json")["tickets"] if t["subject"] == "Sooner"]
        me = zendesk._call("GET", "/api/v2/users/me.json")["user"]["id"]
        assert (solved["status"], solved["assignee_id"]) == ("solved", me)
        (done,) = jira._call("POST", "/rest/api/3/search/jql", {"jql": "project = IMP AND summary ~ Sooner",
                                                                "fields": ["status"]})["issues"]
        assert done["fields"]["status"]["statusCategory"]["key"] == "done"
        zendesk.close()
        jira.close()

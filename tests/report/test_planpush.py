"""`deskplan plan push` against both simulators: a task per measure and milestone, a plan
status comment per measure task and week, nothing twice."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from click.testing import CliRunner

from deskplan.app.demo import helpdesks, point_workspace
from deskplan.app.planpush import push_plan
from deskplan.app.sync import run_sync
from deskplan.cli import cli
from deskplan.config import load_config
from deskplan.workspace.init import init_workspace

NOW = "2026-05-20T09:30:00Z"          # Wednesday of week 21 in Asia/Shanghai
NEXT_WEEK = "2026-05-27T09:30:00Z"


def test_plan_push_tasks_once_and_a_status_comment_a_week(tmp_path):
    now = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
    with helpdesks({"zendesk": 30, "jsm": 20}, 1, now, tmp_path / "logs") as desks:
        init_workspace(tmp_path)
        config = load_config(point_workspace(tmp_path, desks.urls, now))
        env = desks.environ({"DESKPLAN_NOW": NOW})
        assert run_sync(config, environ=env).exit_code == 0
        before = desks.writes()
        state = config.state_path.read_bytes()

        shown = CliRunner().invoke(cli, ["plan", "push", "--dry-run", "--json", "--workspace", str(tmp_path)],
                                   env={"DESKPLAN_NOW": NOW})        # no tokens: a dry-run needs none
        assert shown.exit_code == 0, shown.output
        lines = [json.loads(line) for line in shown.stdout.splitlines()]
        planned = [line for line in lines if "key" in line]
        assert [line["writes_planned"] for line in lines if "writes_planned" in line] == [13, 13]
        zendesk_plan = [(w["kind"], w["ticket"]) for w in planned if w["source"] == "zendesk"]
        assert zendesk_plan.count(("task", None)) == 8
        assert all(t.startswith("(new task M") for k, t in zendesk_plan if k == "comment")
        assert desks.writes() == before and config.state_path.read_bytes() == state

        first = push_plan(config, environ=env)
        assert [(s.source, s.tasks_created, s.comments_written, s.errors) for s in first] == [
            ("zendesk", 8, 5, []), ("jsm", 8, 5, []),      # 5 measures + 3 milestones; a comment per measure
        ]
        after = desks.writes()
        for name in ("zendesk", "jsm"):
            assert after[name].tasks - before[name].tasks == 8
            assert after[name].comments - before[name].comments == 5

        zendesk_comments = [r for r in desks.apps["zendesk"].writes if r.method == "PUT"][-5:]
        for record in zendesk_comments:
            comment = record.body["ticket"]["comment"]
            assert comment["public"] is False
        texts = [r.body["ticket"]["comment"].get("body") or r.body["ticket"]["comment"].get("html_body", "")
                 for r in zendesk_comments]
        assert any("Plan status, week 2026-W21" in t and "- first-reply-12h:" in t for t in texts)

        again = push_plan(config, environ=env)
        assert [(s.tasks_created, s.comments_written) for s in again] == [(0, 0), (0, 0)]
        assert desks.writes() == after

        result = CliRunner().invoke(cli, ["plan", "push", "--workspace", str(tmp_path), "--source", "jsm"],
                                    env=desks.environ({"DESKPLAN_NOW": NEXT_WEEK}))
        assert result.exit_code == 0, result.output
        assert result.stdout == "jsm: 0 plan tasks created, 5 plan status comments written\n"

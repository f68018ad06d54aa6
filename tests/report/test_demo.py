"""`deskplan demo` end to end on a small story: simulators, workspace, sync with write-back, report."""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, timezone

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

    # Each write deskplan made landed once in its simulator: a comment or a task per applied write.
    applied = {s.source: s.writes_applied for s in result.sync.summaries}
    for name, count in result.writes.items():
        assert count.comments + count.tasks == applied[name], name
    assert sum(c.tasks for c in result.writes.values()) > 0

    assert result.report_text.startswith("Customer service improvement plan (demo on generated tickets)")
    for goal in ("csat", "first-reply-12h", "resolution-24h", "complaint-rate"):
        assert f"\n{goal} " in result.report_text
    assert "\nMEASURE EFFECTS" in result.report_text and "\nM2 24-hour support rota" in result.report_text
    page = result.html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert str(root) in result.summary() and "improvement tasks" in result.summary()

    # A review task for the latest closed period of each cadence entry, in each simulator: the
    # monthly review in JSM (`in: jsm`), the weekly and quarterly ones in Zendesk, the first source.
    assert [(w.source, w.origin, w.owner) for w in result.reviews] == [
        ("zendesk", "review:weekly-check:2026-W20", "customer service"),
        ("jsm", "review:monthly-review:2026-04", "service manager"),
        ("zendesk", "review:quarterly-feedback:2026-Q1", "marketing"),
    ]
    assert {s.source: s.review_tasks_created for s in result.sync.summaries} == {"zendesk": 2, "jsm": 1}
    assert [line.strip() for line in result.summary().splitlines() if "review for" in line] == [
        "review for customer service, due by the end of 2026-05-19: Weekly check of first-reply and resolution "
        "times: week 20 of 2026 (11 to 17 May 2026)",
        "review for marketing, due by the end of 2026-04-10: Quarterly analysis of feedback categories and their "
        "trends: Q1 2026 (Jan to Mar)",
        "review for service manager, due by the end of 2026-05-05: Monthly review of every goal with the measure "
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

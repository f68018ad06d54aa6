"""`deskplan plan push`: measures and milestones that ended before the go-live cut-off are not
pushed as open work, and the output says which and why (dry-runs: no helpdesk needed)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from deskplan.app.planpush import plan_items
from deskplan.cli import cli
from deskplan.config import CONFIG_NAME, load_config
from deskplan.rules.load import load_workspace
from deskplan.state.identity import Identity, key_file
from deskplan.state.ledger import Ledger
from deskplan.state.store import Store
from deskplan.workspace.init import init_workspace
from deskplan.writes.planner import plan_push_tasks

NOW = "2026-05-20T09:30:00Z"


def workspace(tmp_path: Path, since: str | None = None) -> Path:
    """The example as packaged: plan 2026-01-05 to 2026-06-30 in Asia/Shanghai; P1 ends 28 February,
    P2 30 April; measure M3 serves goals due by 28 February and 31 March, M2 by 31 March and 30 April."""
    init_workspace(tmp_path)
    if since is not None:
        with (tmp_path / CONFIG_NAME).open("a", encoding="utf-8") as config:
            config.write(f"\n[writeback]\nsince = {since}\n")
    return tmp_path


def push(root: Path, *args: str):
    return CliRunner().invoke(cli, ["plan", "push", "--dry-run", "--workspace", str(root), *args],
                              env={"DESKPLAN_NOW": NOW}, catch_exceptions=False)


def test_work_that_ended_before_the_configured_cutoff_is_skipped_and_said(tmp_path):
    root = workspace(tmp_path, since="2026-04-01")
    result = push(root, "--source", "zendesk")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("  Measure ") or line.startswith("  Milestone ")] == [
        "  Measure M1: Automated order processing",
        "  Measure M2: 24-hour support rota for urgent and VIP requests",
        "  Measure M4: Service attitude and complaint handling training",
        "  Measure M5: Product knowledge base for first-line agents",
        "  Milestone P2: Test and tune the rota, follow-ups and routing (months 3-4)",
        "  Milestone P3: Go live everywhere (months 5-6)",
    ]
    # M3's last deadline (31 March) ends at the cut-off itself, midnight of 1 April in Shanghai: skipped.
    assert lines[-3:] == [
        "dry-run zendesk: 10 plan tasks and status comments planned",
        "  measure M3 not pushed: it ended on 2026-03-31, before the go-live cut-off 2026-04-01T00:00+08:00 "
        "([writeback] since)",
        "  milestone P1 not pushed: it ended on 2026-02-28, before the go-live cut-off 2026-04-01T00:00+08:00 "
        "([writeback] since)",
    ]


def test_without_a_write_back_yet_the_cutoff_is_now_and_json_lists_the_skipped(tmp_path):
    root = workspace(tmp_path)
    result = push(root, "--source", "jsm", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["skipped"], r["id"], r["ended"]) for r in rows if "skipped" in r] == [
        ("measure", "M2", "2026-04-30"), ("measure", "M3", "2026-03-31"),
        ("milestone", "P1", "2026-02-28"), ("milestone", "P2", "2026-04-30"),
    ]
    assert {(r["cutoff"], r["cutoff_origin"]) for r in rows if "skipped" in r} == {
        ("2026-05-20T09:30:00+00:00", "now: no sync has written back yet")}
    (summary,) = [r for r in rows if "writes_planned" in r]
    # M1, M4, M5 and P3, and a status comment on each new measure task
    assert (summary["writes_planned"], summary["writes_skipped_before_cutoff"]) == (7, 4)
    assert summary["writeback_since"] == "2026-05-20T09:30:00+00:00"


def test_work_already_pushed_is_neither_skipped_nor_pushed_again(tmp_path):
    root = workspace(tmp_path, since="2026-04-01")
    config = load_config(root / CONFIG_NAME)
    store = Store.open(config.state_path)
    try:
        secret = Identity(store).secret(key_file(config.state_path))
        ledger = Ledger(store)
        plan = load_workspace(root).plan
        (p1,) = [w for w in plan_push_tasks(plan_items(plan), "zendesk", ledger, secret=secret)
                 if w.origin.endswith(":milestone:P1")]
        ledger.begin(p1)
        ledger.done(p1, "77")
    finally:
        store.close()
    result = push(root, "--source", "zendesk")
    assert result.exit_code == 0, result.output
    assert "P1" not in result.stdout
    assert result.stdout.splitlines()[-2:] == [
        "dry-run zendesk: 10 plan tasks and status comments planned",
        "  measure M3 not pushed: it ended on 2026-03-31, before the go-live cut-off 2026-04-01T00:00+08:00 "
        "([writeback] since)",
    ]

"""`deskplan sync --pull-only` against both simulators: it pulls and stores, plans and writes
nothing; the dry-run after it pulls only what changed, and plans what the real sync then writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskplan.app.demo import Helpdesks, helpdesks, point_workspace
from deskplan.cli import cli
from deskplan.state.evaluations import Evaluations
from deskplan.state.ledger import Ledger, WriteStatus
from deskplan.state.store import Store
from deskplan.workspace.init import init_workspace

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
TICKETS = {"zendesk": 60, "jsm": 40}
SOURCES = ("zendesk", "jsm")


@pytest.fixture
def desks(tmp_path) -> Iterator[Helpdesks]:
    with helpdesks(TICKETS, 3, NOW, tmp_path / "logs") as running:
        yield running


def invoke(workspace: Path, desks: Helpdesks, *args: str):
    env = desks.environ({"DESKPLAN_NOW": NOW.isoformat()})
    run = CliRunner().invoke(cli, [*args, "--workspace", str(workspace)], env=env, catch_exceptions=False)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return run, lines


def summaries(lines: list[dict]) -> dict[str, dict]:
    return {line["source"]: line for line in lines if "exit_code" in line}


def state(workspace: Path) -> Store:
    return Store.open(workspace / ".deskplan" / "state.db")


@pytest.mark.timeout(120)
def test_pull_only_then_dry_run_then_sync(tmp_path, desks):
    workspace = tmp_path / "ws"
    init_workspace(workspace)
    point_workspace(workspace, desks.urls, NOW)
    before = desks.writes()

    pulled, lines = invoke(workspace, desks, "sync", "--pull-only", "--json")

    assert pulled.exit_code == 0, pulled.output
    by_source = summaries(lines)
    assert sorted(by_source) == sorted(SOURCES)
    for name in SOURCES:
        s = by_source[name]
        assert s["tickets_seen"] == s["tickets_changed"] == TICKETS[name], s
        assert (s["tickets_evaluated"], s["writes_planned"], s["writes_applied"]) == (0, 0, 0), s
        assert s["writeback_since"] is None
    assert desks.writes() == before                      # nothing written to either helpdesk
    store = state(workspace)
    try:
        assert len(list(store.tickets())) == sum(TICKETS.values())
        assert {name: Evaluations(store).first_writeback(name) for name in SOURCES} == {"zendesk": None, "jsm": None}
        assert all(Ledger(store).count(name, status) == 0 for name in SOURCES for status in WriteStatus)
    finally:
        store.close()

    tried, lines = invoke(workspace, desks, "sync", "--dry-run", "--json")

    assert tried.exit_code == 0, tried.output
    by_source = summaries(lines)
    # The pull-only run's cursors stand: nothing changed since, so nothing is pulled again.
    assert {name: by_source[name]["tickets_seen"] for name in SOURCES} == {"zendesk": 0, "jsm": 0}
    planned = sorted(line["key"] for line in lines if "key" in line and "exit_code" not in line)
    assert planned and len(planned) == sum(by_source[name]["writes_planned"] for name in SOURCES)
    assert desks.writes() == before

    live, lines = invoke(workspace, desks, "sync", "--json")

    assert live.exit_code == 0, live.output
    by_source = summaries(lines)
    assert {name: by_source[name]["tickets_seen"] for name in SOURCES} == {"zendesk": 0, "jsm": 0}
    store = state(workspace)
    try:
        done = sorted(row[0] for row in store.db.execute("SELECT key FROM writes WHERE status = 'done'"))
    finally:
        store.close()
    assert done == planned                                # the very writes the dry-run showed
    written = desks.writes()
    assert sum(c.comments + c.tasks for c in written.values()) == len(planned)


def test_pull_only_and_dry_run_together_is_a_usage_error(tmp_path, desks):
    workspace = tmp_path / "ws"
    init_workspace(workspace)
    point_workspace(workspace, desks.urls, NOW)

    run, _ = invoke(workspace, desks, "sync", "--pull-only", "--dry-run")

    assert run.exit_code == 2
    assert "--pull-only and --dry-run exclude each other" in run.output
    assert not (workspace / ".deskplan" / "state.db").exists()

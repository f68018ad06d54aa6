"""`sync --metrics-file`: the run's figures per source in the Prometheus text format, read back
with prometheus_client's own parser, after a run with one helpdesk down and after a failed run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from deskplan.app.demo import Helpdesks, helpdesks, point_workspace
from deskplan.cli import cli
from deskplan.state.lock import sync_lock
from deskplan.workspace.init import init_workspace

from .helpdesks import refused_port

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
COUNTS = {
    "tickets_seen": "tickets_seen", "tickets_changed": "tickets_changed", "requests": "requests",
    "writes_applied": "writes_applied", "writes_failed": "writes_failed",
    "tickets_quarantined": "quarantined", "tickets_quarantined_known": "quarantined_known",
}


@pytest.fixture
def desks(tmp_path) -> Iterator[Helpdesks]:
    with helpdesks({"zendesk": 30, "jsm": 30}, 6, NOW, tmp_path / "logs") as running:
        yield running


def read_metrics(path: Path) -> dict[str, dict[str, float]]:
    """metric name -> source -> value, through the reference parser (it rejects a malformed file)."""
    found: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        assert family.type == "gauge", family
        for sample in family.samples:
            assert set(sample.labels) == {"source"}, sample
            found.setdefault(sample.name, {})[sample.labels["source"]] = sample.value
    return found


def invoke(workspace: Path, env: dict[str, str], now: datetime, *args: str):
    return CliRunner().invoke(cli, [*args, "--workspace", str(workspace)],
                              env={**env, "DESKPLAN_NOW": now.isoformat()}, catch_exceptions=False)


@pytest.mark.timeout(90)
def test_metrics_after_a_run_with_one_helpdesk_down_and_after_a_failed_run(tmp_path, desks):
    workspace = tmp_path / "ws"
    init_workspace(workspace)
    point_workspace(workspace, {"zendesk": f"http://127.0.0.1:{refused_port()}", "jsm": desks.urls["jsm"]}, NOW)
    metrics = tmp_path / "deskplan.prom"
    env = desks.environ({})

    run = invoke(workspace, env, NOW, "sync", "--json", "--metrics-file", str(metrics))

    assert run.exit_code == 0, run.output
    summaries = {s["source"]: s for s in map(json.loads, run.stdout.splitlines()) if "exit_code" in s}
    found = read_metrics(metrics)
    assert found["deskplan_sync_last_run_timestamp_seconds"] == {"zendesk": NOW.timestamp(), "jsm": NOW.timestamp()}
    assert found["deskplan_sync_exit_code"] == {"zendesk": 4.0, "jsm": 0.0}
    assert found["deskplan_sync_last_success_timestamp_seconds"] == {"jsm": NOW.timestamp()}
    for name, figure in COUNTS.items():
        assert found[f"deskplan_sync_{name}"] == {s: float(summaries[s][figure]) for s in ("zendesk", "jsm")}, name
    assert found["deskplan_sync_tickets_seen"] == {"zendesk": 0.0, "jsm": 30.0}
    assert found["deskplan_sync_writes_applied"]["jsm"] > 0
    assert set(found["deskplan_sync_duration_seconds"]) == {"zendesk", "jsm"}
    assert all(0 < seconds < 60 for seconds in found["deskplan_sync_duration_seconds"].values())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("deskplan.prom")) == ["deskplan.prom"]

    # A run that cannot start (another sync holds the lock) still writes the file: exit 3 for every
    # source, nothing counted, and the last success carried over from the run before.
    later = NOW + timedelta(minutes=10)
    with sync_lock(workspace / ".deskplan" / "state.db"):
        locked = invoke(workspace, env, later, "sync", "--metrics-file", str(metrics))

    assert locked.exit_code == 3, locked.output
    found = read_metrics(metrics)
    assert found["deskplan_sync_last_run_timestamp_seconds"] == {"zendesk": later.timestamp(), "jsm": later.timestamp()}
    assert found["deskplan_sync_exit_code"] == {"zendesk": 3.0, "jsm": 3.0}
    assert found["deskplan_sync_last_success_timestamp_seconds"] == {"jsm": NOW.timestamp()}
    assert found["deskplan_sync_tickets_seen"] == {"zendesk": 0.0, "jsm": 0.0}


def test_metrics_file_in_a_missing_folder_or_with_a_dry_run_is_a_usage_error(tmp_path):
    init_workspace(tmp_path / "ws")
    missing = tmp_path / "nowhere" / "deskplan.prom"

    run = invoke(tmp_path / "ws", {}, NOW, "sync", "--metrics-file", str(missing))
    assert run.exit_code == 2
    assert f"the folder {missing.parent} does not exist" in run.output

    run = invoke(tmp_path / "ws", {}, NOW, "sync", "--dry-run", "--metrics-file", str(tmp_path / "m.prom"))
    assert run.exit_code == 2
    assert "not written by a dry-run" in run.output
    assert not (tmp_path / "m.prom").exists()


def test_a_file_that_is_not_metrics_is_replaced_and_the_last_success_starts_again(tmp_path):
    from deskplan.app.metrics import write_sync_metrics
    from deskplan.app.summary import SourceSummary

    path = tmp_path / "deskplan.prom"
    path.write_text("this is {not the text format\n", encoding="utf-8")
    failed = SourceSummary("zendesk", exit_code=1, tickets_seen=7)

    write_sync_metrics(path, [failed], seconds={"zendesk": 2.5}, finished_at=NOW)

    found = read_metrics(path)
    assert "deskplan_sync_last_success_timestamp_seconds" not in found
    assert found["deskplan_sync_exit_code"] == {"zendesk": 1.0}
    assert found["deskplan_sync_tickets_seen"] == {"zendesk": 7.0}
    assert found["deskplan_sync_duration_seconds"] == {"zendesk": 2.5}


def test_an_unknown_source_leaves_the_metrics_file_as_it_was(tmp_path):
    init_workspace(tmp_path / "ws")
    metrics = tmp_path / "deskplan.prom"
    metrics.write_text("deskplan_sync_exit_code{source=\"zendesk\"} 0.0\n", encoding="utf-8")

    run = invoke(tmp_path / "ws", {}, NOW, "sync", "--source", "nope", "--metrics-file", str(metrics))

    assert run.exit_code == 2
    assert "no source named 'nope'" in run.output
    assert metrics.read_text(encoding="utf-8") == "deskplan_sync_exit_code{source=\"zendesk\"} 0.0\n"

"""The exit code of a run over several sources: 4 only when no source could be reached; else the
worst outcome of the sources reached, each source's own code in its `--json` summary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskplan.app.demo import TOKEN_ENV, Helpdesks, helpdesks, point_workspace
from deskplan.app.summary import SourceSummary, run_exit_code
from deskplan.cli import cli
from deskplan.workspace.init import init_workspace

from .helpdesks import refused_port

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def desks(tmp_path) -> Iterator[Helpdesks]:
    with helpdesks({"zendesk": 30, "jsm": 30}, 4, NOW, tmp_path / "logs") as running:
        yield running


def workspace_with(tmp_path: Path, urls: dict[str, str]) -> Path:
    workspace = tmp_path / "ws"
    init_workspace(workspace)
    point_workspace(workspace, urls, NOW)
    return workspace


def invoke(workspace: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, dict], str]:
    run = CliRunner().invoke(cli, [*args, "--workspace", str(workspace)],
                             env={**env, "DESKPLAN_NOW": NOW.isoformat()}, catch_exceptions=False)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return run.exit_code, {line["source"]: line for line in lines if "exit_code" in line}, run.output


@pytest.mark.timeout(60)
def test_one_helpdesk_down_the_other_written_to_exits_with_the_reached_ones_outcome(tmp_path, desks):
    down = f"http://127.0.0.1:{refused_port()}"
    workspace = workspace_with(tmp_path, {"zendesk": down, "jsm": desks.urls["jsm"]})

    code, by_source, output = invoke(workspace, desks.environ({}), "sync", "--json")

    assert code == 0, output
    assert by_source["zendesk"]["exit_code"] == 4
    assert down in by_source["zendesk"]["errors"][0]
    assert by_source["jsm"]["exit_code"] == 0
    assert by_source["jsm"]["writes_applied"] == desks.writes()["jsm"].comments + desks.writes()["jsm"].tasks > 0
    assert desks.writes()["zendesk"].comments + desks.writes()["zendesk"].tasks == 0


@pytest.mark.timeout(60)
def test_one_helpdesk_refusing_the_credentials_the_other_written_to(tmp_path, desks):
    workspace = workspace_with(tmp_path, desks.urls)
    env = {**desks.environ({}), TOKEN_ENV["jsm"]: "not-the-token"}

    code, by_source, output = invoke(workspace, env, "sync", "--json")

    assert code == 0, output
    assert (by_source["zendesk"]["exit_code"], by_source["jsm"]["exit_code"]) == (0, 4)
    assert by_source["zendesk"]["writes_applied"] > 0


@pytest.mark.timeout(60)
def test_plan_push_with_one_helpdesk_down_pushes_to_the_other_and_exits_0(tmp_path, desks):
    down = f"http://127.0.0.1:{refused_port()}"
    workspace = workspace_with(tmp_path, {"zendesk": desks.urls["zendesk"], "jsm": down})

    code, by_source, output = invoke(workspace, desks.environ({}), "plan", "push", "--json")

    assert code == 0, output
    assert (by_source["zendesk"]["exit_code"], by_source["jsm"]["exit_code"]) == (0, 4)
    assert by_source["zendesk"]["tasks_created"] == desks.writes()["zendesk"].tasks > 0


@pytest.mark.timeout(60)
def test_every_helpdesk_down_exits_4(tmp_path):
    urls = {name: f"http://127.0.0.1:{refused_port()}" for name in ("zendesk", "jsm")}
    workspace = workspace_with(tmp_path, urls)
    env = {TOKEN_ENV["zendesk"]: "t1", TOKEN_ENV["jsm"]: "t2"}

    code, by_source, output = invoke(workspace, env, "sync", "--json")

    assert code == 4, output
    assert (by_source["zendesk"]["exit_code"], by_source["jsm"]["exit_code"]) == (4, 4)


def summary(exit_code: int, *, reached: bool) -> SourceSummary:
    s = SourceSummary("s", exit_code=exit_code)
    if reached:
        s.mark_reached()
    return s


@pytest.mark.parametrize(("codes", "expected"), [
    ([], 0),
    ([(4, False), (4, False)], 4),
    ([(4, False), (0, True)], 0),
    ([(4, False), (1, True)], 1),
    ([(1, False), (0, True)], 1),          # a source that failed otherwise before it was reached still counts
    ([(4, True), (0, True)], 4),           # reached, then lost mid-run: its own outcome
    ([(0, True), (1, True)], 1),
])
def test_run_exit_code(codes, expected):
    assert run_exit_code([summary(code, reached=reached) for code, reached in codes]) == expected

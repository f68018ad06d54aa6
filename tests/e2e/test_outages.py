"""A helpdesk that refuses connections: `sync` and `plan push` exit 4 within seconds, name the
URL they could not reach, and leave no write `pending` (a refused connection sent nothing).

The refused port is a real one: bound, closed, then used. The time bound is pytest-timeout's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from click.testing import CliRunner

from deskplan.adapters import open_writer
from deskplan.app.demo import TOKEN_ENV, helpdesks, point_workspace
from deskplan.app.planpush import push_plan
from deskplan.cli import cli
from deskplan.config import load_config
from deskplan.state.ledger import Ledger, WriteStatus
from deskplan.state.store import Store
from deskplan.workspace.init import init_workspace

from .helpdesks import refused_port

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
SOURCES = ("zendesk", "jsm")
TOKENS = {TOKEN_ENV["zendesk"]: "WITNESS-zd-token", TOKEN_ENV["jsm"]: "WITNESS-jsm-token"}


@pytest.fixture
def unreachable(tmp_path) -> tuple[Path, dict[str, str]]:
    """The example workspace with both sources on refused ports."""
    urls = {name: f"http://127.0.0.1:{refused_port()}" for name in SOURCES}
    init_workspace(tmp_path)
    point_workspace(tmp_path, urls, NOW)
    return tmp_path, urls


def invoke(workspace: Path, *args: str):
    env = {**TOKENS, "DESKPLAN_NOW": NOW.isoformat()}
    return CliRunner().invoke(cli, [*args, "--workspace", str(workspace)], env=env, catch_exceptions=False)


def ledger_rows(workspace: Path) -> dict[WriteStatus, int]:
    state = load_config(workspace / "deskplan.toml").state_path
    if not state.exists():
        return {}
    store = Store.open(state)
    try:
        ledger = Ledger(store)
        return {status: n for status in WriteStatus for n in [sum(ledger.count(s, status) for s in SOURCES)] if n}
    finally:
        store.close()


@pytest.mark.timeout(30)
def test_sync_against_a_refused_port_exits_4_within_seconds_naming_the_url(unreachable):
    workspace, urls = unreachable

    run = invoke(workspace, "sync")

    assert run.exit_code == 4, run.output
    for url in urls.values():
        assert url in run.stdout, run.stdout
    assert not any(token in run.output for token in TOKENS.values())
    assert WriteStatus.PENDING not in ledger_rows(workspace)


@pytest.mark.timeout(30)
def test_plan_push_against_a_refused_port_exits_4_within_seconds_naming_the_url(unreachable):
    workspace, urls = unreachable

    run = invoke(workspace, "plan", "push")

    assert run.exit_code == 4, run.output
    for url in urls.values():
        assert url in run.stderr, run.stderr
    assert not any(token in run.output for token in TOKENS.values())
    # The credentials are checked before anything is planned: no write was even begun.
    assert ledger_rows(workspace) == {}


class RefusingWrites(requests.Session):
    """Reads reach the helpdesk; every write goes to a port that refuses the connection."""

    def __init__(self, port: int):
        super().__init__()
        self.port = port

    def request(self, method, url, *args, **kwargs):
        if method.upper() != "GET":
            url = urlunsplit(urlsplit(url)._replace(netloc=f"127.0.0.1:{self.port}"))
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def desks(tmp_path) -> Iterator:
    with helpdesks({"zendesk": 20, "jsm": 20}, 1, NOW, tmp_path / "logs") as running:
        yield running


@pytest.mark.timeout(60)
def test_a_write_whose_connection_is_refused_is_not_left_pending(tmp_path, desks):
    init_workspace(tmp_path)
    config = load_config(point_workspace(tmp_path, desks.urls, NOW))
    env = desks.environ({"DESKPLAN_NOW": NOW.isoformat()})
    refused = refused_port()
    before = desks.writes()

    summaries = push_plan(config, environ=env,
                          writer_factory=lambda cfg, token: open_writer(cfg, token, session=RefusingWrites(refused)))

    assert [(s.source, s.exit_code, s.tasks_created) for s in summaries] == [("zendesk", 4, 0), ("jsm", 4, 0)]
    assert all(len(s.errors) == 1 and "could not connect" in s.errors[0] for s in summaries), summaries
    assert WriteStatus.PENDING not in ledger_rows(tmp_path)
    assert desks.writes() == before          # no write reached either helpdesk

    # Nothing is in doubt: the next push writes every task, once.
    again = push_plan(config, environ=env)
    assert [(s.source, s.exit_code, s.tasks_created, s.writes_unsettled) for s in again] == [
        ("zendesk", 0, 8, 0), ("jsm", 0, 8, 0)]
    assert ledger_rows(tmp_path) == {WriteStatus.DONE: 26}

"""Simulators on loopback and a workspace pointing at them, for end-to-end tests of the CLI."""

from __future__ import annotations

import io
import json
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from deskplan.cli import cli
from deskplan.state.store import Store
from deskplan_sandbox.server import SandboxServer

EMAIL = "deskplan-bot@acme.test"
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def refused_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SteppableClock:
    """A fixed start, then real time once `run()` is called, plus jumps a test makes
    (to let the export's held-back minute pass). Stopped at the start while a simulator
    generates its data, so the same seed gives the same data in every simulator."""

    def __init__(self, start: datetime = NOW):
        self.start = start
        self.origin: float | None = None
        self.offset = timedelta()

    def run(self) -> None:
        self.origin = time.monotonic()

    def __call__(self) -> datetime:
        running = 0.0 if self.origin is None else time.monotonic() - self.origin
        return self.start + timedelta(seconds=running) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Helpdesk:
    kind: str
    app: Any
    server: SandboxServer
    token: str
    log: io.StringIO
    clock: SteppableClock

    @property
    def token_env(self) -> str:
        return f"{self.kind.upper()}_TOKEN"

    def requests_logged(self) -> list[str]:
        return [line for line in self.log.getvalue().splitlines() if line.strip()]


def start_helpdesk(kind: str, *, tickets: int, seed: int = 5, token: str = "e2e-token", **options: Any) -> Helpdesk:
    from importlib import import_module

    clock = SteppableClock()
    log = io.StringIO()
    create_app = import_module(f"deskplan_sandbox.{kind}").create_app
    app = create_app(email=EMAIL, token=token, tickets=tickets, seed=seed, now=clock, log=log, **options)
    clock.run()
    server = SandboxServer(app).start()
    return Helpdesk(kind, app, server, token, log, clock)


def write_workspace(path: Path, helpdesks: list[Helpdesk], extra: str = "") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    blocks = []
    for h in helpdesks:
        blocks.append(
            f'[[sources]]\nname = "{h.kind}"\nkind = "{h.kind}"\nurl = "{h.server.url}"\n'
            f'email = "{EMAIL}"\ntoken_env = "{h.token_env}"\n' + extra
        )
    (path / "deskplan.toml").write_text("\n".join(blocks) + '\n[state]\npath = "state.db"\n', encoding="utf-8")
    return path


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str
    summaries: list[dict[str, Any]] = field(default_factory=list)


def run_cli(workspace: Path, helpdesks: list[Helpdesk], *args: str) -> CliRun:
    env = {h.token_env: h.token for h in helpdesks}
    env["DESKPLAN_WORKSPACE"] = str(workspace)
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    summaries = []
    if "--json" in args:
        summaries = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return CliRun(result.exit_code, result.stdout, result.stderr, summaries)


def stored(workspace: Path, *, without: tuple[str, ...] = ()) -> dict[str, str]:
    """Every stored canonical ticket (tombstones too) as (source:id -> canonical JSON),
    leaving out the fields named in `without` (e.g. the url, which holds the port)."""
    store = Store.open(workspace / "state.db")
    try:
        return {f"{t.source}:{t.id}": t.model_dump_json(exclude=set(without))
                for t in store.tickets(include_deleted=True)}
    finally:
        store.close()

"""Serve one helpdesk simulator on loopback until stopped (`python -m deskplan_sandbox`,
`deskplan sandbox`).

Each simulator package (`deskplan_sandbox.zendesk`, `deskplan_sandbox.jira`) exposes the
same `create_app(*, email, token, fixtures, tickets, seed, faults, rate_limit, rate_window,
clock_offset)`
factory; this module picks one by name, prints where it serves, and serves.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.server import SandboxServer, SimulatorApp

KINDS = ("zendesk", "jira")
DEFAULT_EMAIL = "admin@sandbox.example.com"
DEFAULT_TOKEN = "sandbox-token"
DEFAULT_TICKETS = 200
DEFAULT_RATE_LIMIT = 10
DEFAULT_RATE_WINDOW = 60.0
DEFAULT_CLOCK_OFFSET = 0.0


def create_app(kind: str, **options: Any) -> SimulatorApp:
    """The simulator of `kind` ("zendesk" or "jira"), built by that package's `create_app(**options)`."""
    # (the two factories return different simulator classes, so each gets a name of its own)
    if kind == "zendesk":
        from deskplan_sandbox.zendesk import create_app as create_zendesk
        return create_zendesk(**options)
    if kind == "jira":
        from deskplan_sandbox.jira import create_app as create_jira
        return create_jira(**options)
    raise ConfigError(f"unknown sandbox kind {kind!r}; choose one of {', '.join(KINDS)}")


def run(kind: str, *, port: int = 0, email: str = DEFAULT_EMAIL, token: str = DEFAULT_TOKEN,
        fixtures: Path | None = None, tickets: int = DEFAULT_TICKETS, seed: int = 0, faults: float = 0.0,
        rate_limit: int = DEFAULT_RATE_LIMIT, rate_window: float = DEFAULT_RATE_WINDOW,
        clock_offset: float = DEFAULT_CLOCK_OFFSET, out: TextIO | None = None, **kind_options: Any) -> None:
    """Serves until interrupted; the first line of output names the URL and the credentials.

    `clock_offset`: seconds the simulator's clock runs ahead of DESKPLAN_NOW or the host's
    clock (negative: behind). `kind_options` go to that kind's `create_app` only (Zendesk:
    `ratings_start_time`, ...)."""
    app = create_app(kind, email=email, token=token, fixtures=fixtures, tickets=0 if fixtures else tickets,
                     seed=seed, faults=faults, rate_limit=rate_limit, rate_window=rate_window,
                     clock_offset=clock_offset, **kind_options)
    server = SandboxServer(app, port=port)
    out = out or sys.stdout
    print(f"deskplan sandbox ({kind}) serving at {server.url}  email={email}  token={token}", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

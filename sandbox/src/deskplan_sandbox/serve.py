"""Serve one helpdesk simulator on loopback until stopped (`python -m deskplan_sandbox`,
`deskplan sandbox`).

Each simulator package (`deskplan_sandbox.zendesk`, `deskplan_sandbox.jira`) exposes a
`create_app(*, email, token, fixtures, tickets, seed, faults, rate_limit, rate_window,
clock_offset, ...)` factory with options of its own besides (`KIND_DEFAULTS`); this module
picks one by name, prints where it serves, and serves.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.server import SandboxServer, SimulatorApp
from deskplan_sandbox.zendesk.app import DEFAULT_RATINGS_START_TIME

KINDS = ("zendesk", "jira")
DEFAULT_EMAIL = "admin@sandbox.example.com"
DEFAULT_TOKEN = "sandbox-token"
DEFAULT_TICKETS = 200
DEFAULT_RATE_WINDOW = 60.0
DEFAULT_CLOCK_OFFSET = 0.0
# The options one kind of simulator has (or whose default differs by kind), at their defaults: the
# real services' (`--help` and the README say where each comes from).
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "zendesk": {
        "rate_limit": 10,                   # incremental exports a minute (30 with High Volume)
        "account_rate_limit": 700,          # requests a minute, an Enterprise account
        "ratings_start_time": DEFAULT_RATINGS_START_TIME,
    },
    "jira": {
        "rate_limit": 0,                    # no limit per account: API tokens meet the burst limits
        "burst_limit": 100,                 # Atlassian's example bucket per endpoint and method
        "search_lag": 0.0,
    },
}


def kind_options(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """`KIND_DEFAULTS[kind]` with the options `given` (None: not given); an option of the other
    kind only is refused, naming it as the command line spells it."""
    if kind not in KIND_DEFAULTS:
        raise ConfigError(f"unknown sandbox kind {kind!r}; choose one of {', '.join(KINDS)}")
    for name, value in given.items():
        if value is not None and name not in KIND_DEFAULTS[kind]:
            owner = next((k for k, names in KIND_DEFAULTS.items() if name in names), None)
            raise ConfigError(f"--{name.replace('_', '-')} is an option of the "
                              f"{(owner or 'other').capitalize()} simulator")
    return {name: value if (value := given.get(name)) is not None else default
            for name, default in KIND_DEFAULTS[kind].items()}


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
        rate_window: float = DEFAULT_RATE_WINDOW, clock_offset: float = DEFAULT_CLOCK_OFFSET,
        out: TextIO | None = None, **given: Any) -> None:
    """Serves until interrupted; the first line of output names the URL, the credentials and
    what the data is filed under (Jira's project keys, Zendesk's groups).

    `clock_offset`: seconds the simulator's clock runs ahead of DESKPLAN_NOW or the host's
    clock (negative: behind). `given`: the options of `KIND_DEFAULTS` (None: that kind's default)."""
    app = create_app(kind, email=email, token=token, fixtures=fixtures, tickets=0 if fixtures else tickets,
                     seed=seed, faults=faults, rate_window=rate_window, clock_offset=clock_offset,
                     **kind_options(kind, given))
    server = SandboxServer(app, port=port)
    out = out or sys.stdout
    described = app.describe()
    print(f"deskplan sandbox ({kind}) serving at {server.url}  email={email}  token={token}"
          + (f"  {described}" if described else ""), file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

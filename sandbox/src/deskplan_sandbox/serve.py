"""`deskplan sandbox`: serve one helpdesk simulator on loopback until stopped.

Each simulator package (`deskplan.sandbox.zendesk`, `deskplan.sandbox.jira`) exposes the
same `create_app(*, email, token, fixtures, tickets, seed, faults, rate_limit, rate_window)`
factory; this module picks one by name, prints where it serves, and serves.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TextIO

from deskplan.errors import ConfigError
from deskplan.sandbox.server import SandboxServer

KINDS = ("zendesk", "jira")
DEFAULT_EMAIL = "admin@sandbox.example.com"
DEFAULT_TOKEN = "sandbox-token"
DEFAULT_TICKETS = 200


def run(kind: str, *, port: int = 0, email: str = DEFAULT_EMAIL, token: str = DEFAULT_TOKEN,
        fixtures: Path | None = None, tickets: int = DEFAULT_TICKETS, seed: int = 0, faults: float = 0.0,
        rate_limit: int = 10, rate_window: float = 60.0, out: TextIO | None = None) -> None:
    """Serves until interrupted; the first line of output names the URL and the credentials."""
    if kind not in KINDS:
        raise ConfigError(f"unknown sandbox kind {kind!r}; choose one of {', '.join(KINDS)}")
    module = importlib.import_module(f"{__package__}.{kind}")
    app = module.create_app(email=email, token=token, fixtures=fixtures, tickets=0 if fixtures else tickets,
                            seed=seed, faults=faults, rate_limit=rate_limit, rate_window=rate_window)
    server = SandboxServer(app, port=port)
    out = out or sys.stdout
    print(f"deskplan sandbox ({kind}) serving at {server.url}  email={email}  token={token}", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

"""The helpdesk simulators, imported only when a command needs them.

They are a separate distribution (`deskplan-sandbox`, the `sandbox/` folder of a deskplan
checkout) that imports nothing from deskplan; deskplan runs without them. `deskplan sandbox`
and `deskplan demo` come through here: when the simulators are not installed they say how to
install them, and the simulators' own ConfigError (a bad fixtures file, a bad DESKPLAN_NOW)
comes back as deskplan's, so the command line reports it with exit status 2.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Protocol

from deskplan.errors import ConfigError

PACKAGE = "deskplan_sandbox"
MISSING = "the simulators are a separate distribution: pip install ./sandbox (from a deskplan checkout)"


class Server(Protocol):
    """What deskplan uses of a running simulator (`deskplan_sandbox.server.SandboxServer`)."""

    app: Any

    @property
    def url(self) -> str: ...

    def __enter__(self) -> Server: ...

    def __exit__(self, *exc: object) -> None: ...


def simulators() -> ModuleType:
    """The `deskplan_sandbox` package, or a ConfigError saying how to install it."""
    try:
        return importlib.import_module(PACKAGE)
    except ImportError as exc:
        if exc.name != PACKAGE:      # installed, but something it needs is missing: show that
            raise
        raise ConfigError(MISSING) from None


@contextmanager
def _their_errors_as_ours() -> Iterator[None]:
    from deskplan_sandbox.errors import ConfigError as SandboxConfigError

    try:
        yield
    except SandboxConfigError as exc:
        raise ConfigError(str(exc)) from None


def serve(kind: str, **options: Any) -> None:
    """`deskplan sandbox`: serve the simulator of `kind` on loopback until interrupted."""
    simulators()
    from deskplan_sandbox.serve import run

    with _their_errors_as_ours():
        run(kind, **options)


def create_app(kind: str, **options: Any) -> Any:
    """A simulator of `kind` ("zendesk" or "jira"), not yet serving; see `deskplan_sandbox.serve.create_app`."""
    simulators()
    from deskplan_sandbox.serve import create_app as create

    with _their_errors_as_ours():
        return create(kind, **options)


def server(app: Any) -> Server:
    """A loopback server for `app`; it serves inside `with` and stops when the block ends."""
    simulators()
    from deskplan_sandbox.server import SandboxServer

    return SandboxServer(app)

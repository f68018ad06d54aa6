"""Typed errors and exit codes.

Every error carries enough context to act on (which source, which file and line, which
request) and never a secret or a whole response body: messages end up in cron mail.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from enum import IntEnum
from pathlib import PurePath
from typing import TypedDict, Unpack


class ExitStatus(IntEnum):
    """Exit codes of every `deskplan` command (README, "Exit codes")."""

    OK = 0
    PARTIAL = 1        # finished, but some tickets or writes failed (they are listed)
    INVALID = 2        # invalid usage, config, plan or rules: nothing was written
    LOCKED = 3         # another sync holds the lock
    UNREACHABLE = 4    # the helpdesk could not be reached or refused the credentials


class DeskplanError(Exception):
    """Base of every error deskplan raises on purpose."""

    exit_status: ExitStatus = ExitStatus.PARTIAL


# --- configuration, plan and rule files -------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One problem in a user-edited file, reported as `FILE:LINE:COL: message`."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class InvalidFiles(DeskplanError):
    """One or more problems in deskplan.toml, plan.yaml or rules/*.yaml."""

    exit_status = ExitStatus.INVALID

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col))
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(DeskplanError):
    """A problem with the configuration that is not tied to a file position."""

    exit_status = ExitStatus.INVALID


class LockHeld(DeskplanError):
    exit_status = ExitStatus.LOCKED


# --- talking to a helpdesk ---------------------------------------------------------------

class RequestContext(TypedDict, total=False):
    """What a HelpdeskError says about the request (its keyword arguments)."""

    source: str
    where: str
    status: int | None


class HelpdeskError(DeskplanError):
    """A request to a helpdesk failed. `where` is `METHOD /path`, never with credentials."""

    def __init__(self, message: str, *, source: str = "", where: str = "", status: int | None = None):
        self.source = source
        self.where = where
        self.status = status
        prefix = " ".join(p for p in (source and f"[{source}]", where, status and f"-> {status}") if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class AuthError(HelpdeskError):
    """401/403: the credentials were refused. Nothing is retried."""

    exit_status = ExitStatus.UNREACHABLE


class Unreachable(HelpdeskError):
    """Connection refused, DNS failure or timeouts after every retry. The message names the
    helpdesk as `scheme://host:port`."""

    exit_status = ExitStatus.UNREACHABLE


class NotConnected(Unreachable):
    """No attempt of the request could connect (refused, DNS failure, connect timeout): it
    provably never left this host, so a write that failed so was not applied. Unlike a
    connection dropped after sending, whose write may have landed."""

    def __init__(self, message: str, *, attempts: int = 1, **kw: Unpack[RequestContext]):
        self.attempts = attempts        # the attempts made, none of which connected
        super().__init__(message, **kw)


class RateLimited(HelpdeskError):
    """429 past the retry budget. `retry_after` is the helpdesk's own hint, in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Unpack[RequestContext]):
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ServerError(HelpdeskError):
    """5xx past the retry budget, or a body that could not be read."""


class RequestRejected(HelpdeskError):
    """Another 4xx: the request itself is wrong (404, 400, 422 …). Not retried."""


class BadPayload(DeskplanError):
    """A ticket payload that cannot be turned into a canonical ticket (it is quarantined)."""

    def __init__(self, message: str, *, source: str = "", ref: str = ""):
        self.source = source
        self.ref = ref
        super().__init__(f"[{source}] ticket {ref}: {message}" if ref else message)


def unexpected(exc: BaseException) -> str:
    """An exception deskplan did not raise on purpose, in one line for the run summary: its type
    and the last place in deskplan's code it passed (`OverflowError in rules/calendar.py:65
    (_from_us)`). Not its message, which may quote ticket data (any text, of any length)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "deskplan" in PurePath(f.filename).parts]
    if not (ours or frames):
        return f"unexpected {type(exc).__name__}"
    frame = (ours or frames)[-1]
    parts = PurePath(frame.filename).parts
    where = "/".join(parts[len(parts) - parts[::-1].index("deskplan"):]) if ours else parts[-1]
    return f"unexpected {type(exc).__name__} in {where}:{frame.lineno} ({frame.name})"

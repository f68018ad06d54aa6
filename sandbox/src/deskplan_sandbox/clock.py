"""The simulators' `now`: DESKPLAN_NOW (an ISO-8601 instant with a zone) if set, else the real UTC time.

A near-copy of `deskplan.clock`, kept separate on purpose: the simulators stand apart from the
code they test and import nothing from it, but they honour the same variable, so that a
simulator and a deskplan run started with the same DESKPLAN_NOW tell the same story.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone

from deskplan_sandbox.errors import ConfigError


def now(environ: Mapping[str, str] = os.environ) -> datetime:
    """DESKPLAN_NOW if set, else the real time; always in UTC."""
    value = environ.get("DESKPLAN_NOW", "").strip()
    if not value:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"DESKPLAN_NOW={value!r} is not an ISO-8601 instant") from None
    if parsed.tzinfo is None:
        raise ConfigError(f"DESKPLAN_NOW={value!r} needs a time zone, e.g. 2026-11-22T09:00:00Z")
    return parsed.astimezone(timezone.utc)


MAX_OFFSET = 366 * 86400.0      # seconds either way: a year of skew is plenty, and every date stays in range


def shifted(clock: Callable[[], datetime], seconds: float) -> Callable[[], datetime]:
    """`clock`, running `seconds` ahead (negative: behind): a helpdesk whose clock is skewed
    against the host's (`--clock-offset`)."""
    if not abs(seconds) <= MAX_OFFSET:          # (NaN too)
        raise ConfigError(f"a clock offset of {seconds} seconds is not within ±{MAX_OFFSET:.0f}")
    if not seconds:
        return clock
    offset = timedelta(seconds=seconds)
    return lambda: clock() + offset

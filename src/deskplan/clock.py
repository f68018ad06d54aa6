"""The current time, overridable with DESKPLAN_NOW for reproducible runs (README, "Commands")."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone

from deskplan.errors import ConfigError


def now(environ: Mapping[str, str] = os.environ) -> datetime:
    """DESKPLAN_NOW (an ISO-8601 instant with a zone) if set, else the real UTC time."""
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

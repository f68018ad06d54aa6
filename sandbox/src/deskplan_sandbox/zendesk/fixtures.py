"""Reads a Zendesk fixtures file: `{"users", "tickets", "audits", "satisfaction_ratings", "groups",
"organizations"}`, each a list of objects exactly as the Zendesk API returns them (audits carry
`ticket_id`); fields the simulator does not know are kept and served as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deskplan_sandbox.errors import ConfigError

KINDS = ("users", "tickets", "audits", "satisfaction_ratings", "groups", "organizations")
REQUIRED = {"users": ("id",), "tickets": ("id", "created_at"), "audits": ("id", "ticket_id", "created_at"),
            "satisfaction_ratings": ("id",), "groups": ("id",), "organizations": ("id",)}


def read_fixtures(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The lists (missing ones empty); a ConfigError names the file and the bad entry."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read fixtures ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: fixtures must be an object with {', '.join(KINDS)}")
    unknown = sorted(set(data) - set(KINDS))
    if unknown:
        raise ConfigError(f"{path}: unknown fixture lists {unknown}; expected {', '.join(KINDS)}")
    lists: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        items = data.get(kind, [])
        if not isinstance(items, list):
            raise ConfigError(f"{path}: {kind} must be a list")
        for index, item in enumerate(items):
            missing = [k for k in REQUIRED[kind] if not isinstance(item, dict) or k not in item]
            if missing:
                raise ConfigError(f"{path}: {kind}[{index}] lacks {', '.join(missing)}")
        lists[kind] = items
    return lists

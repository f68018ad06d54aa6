"""What a write-back is, and what each helpdesk's writer offers (docs/design.md, "Exactly-once write-back").

A `PlannedWrite` is plain data: the planner produces it, `sync --dry-run` prints it, and
the apply step hands the very same object to a `Writer`. Its `key` is deterministic (an
HMAC-SHA256 under the installation's secret over what the write reports, never over
wall-clock time), so a re-run after a crash plans the same key again, and the ledger and the
helpdesk's copy of the key decide whether it already happened. The secret keeps keys and
markers from being computed outside the installation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

MARKER_PREFIX = "[deskplan:"          # the adapters' `is_deskplan_comment` looks for exactly this
LEGACY_SECRET = ""                    # the secret of installations from before keys had one: keys as they were
MARKER_KEY_CHARS = 16                 # 64 bits of the key: unique enough per helpdesk, short to read
PREVIEW_CHARS = 160
TASK_TAG = "deskplan_task"            # Zendesk tag / Jira label on every task deskplan creates
REVIEW_ORIGIN = "review:"             # origin prefix of review tasks (writes/reviews.py)


class WriteKind(StrEnum):
    COMMENT = "comment"     # an internal status comment on a ticket
    TASK = "task"           # an improvement task (a Zendesk task ticket, a Jira issue)


def digest(*parts: object) -> str:
    """sha256 over the parts, each JSON-encoded so that ("a", "bc") and ("ab", "c") differ."""
    return hashlib.sha256(_joined(parts)).hexdigest()


def idempotency_key(*parts: object, secret: str) -> str:
    """The key of a write: HMAC-SHA256 under the installation's `secret` over the parts (JSON-
    encoded, as `digest`), so that nobody without the secret can compute a key or its marker.
    The empty `LEGACY_SECRET` gives the plain `digest` keys of before, so that an installation
    that already wrote keeps its keys (docs/design.md, "Exactly-once write-back")."""
    if secret == LEGACY_SECRET:
        return digest(*parts)
    return hmac.new(secret.encode("utf-8"), _joined(parts), hashlib.sha256).hexdigest()


def _joined(parts: tuple[object, ...]) -> bytes:
    return "\x1f".join(json.dumps(p, sort_keys=True, ensure_ascii=False, default=str) for p in parts).encode("utf-8")


def marker(key: str) -> str:
    """The text a write carries so that it can be found in the helpdesk again."""
    return f"{MARKER_PREFIX}{key[:MARKER_KEY_CHARS]}]"


@dataclass(frozen=True)
class PlannedWrite:
    """One write-back, fully decided: the writer only translates it into its helpdesk's request."""

    key: str                          # idempotency key (sha256 hex)
    kind: WriteKind
    source: str                       # the source's name in deskplan.toml
    origin: str                       # what asked for it: "status", "rule:<id>", "goal:<id>:<window>", "plan:<id>",
    #                                   "review:<cadence id>:<period label>"
    title: str                        # a task's summary; a comment's headline (for previews)
    body: str                         # the full text, ending with the marker line
    ticket_id: str | None = None      # COMMENT: the ticket written on; TASK: the ticket it follows up, if any
    ticket_key: str | None = None     # what people call that ticket ("1234", "SD-12")
    fingerprint: str = ""             # the state the write reports (a status comment is written when it changes)
    previous: str | None = None       # COMMENT: key of the status comment this one supersedes
    due: datetime | None = None       # TASK: when it is due
    owner: str | None = None          # TASK: who owns it (a department or person, as the plan names them)
    links: tuple[str, ...] = ()       # TASK: keys of the source tickets it is linked to
    # TASK: when what it is about happened (a rule task's trigger, a goal window's close); a
    # task whose trigger lies before the go-live cut-off is never written (writeback.py)
    trigger: datetime | None = None
    # TASK: where its owner's tasks go in this helpdesk (plan.yaml `owners`): (field, value)
    # pairs such as ("group", "Support"), ("assignee", "a@example.com"), ("component", "Billing"),
    # which the writer resolves; empty: the source's defaults. Not part of the key.
    route: tuple[tuple[str, str], ...] = ()
    # TASK: the plan's time zone (IANA name): `due` is "by the end of day D" there, and a
    # helpdesk that keeps a due day alone (Jira's `duedate`) is given D (kpi/windows.py
    # `written_due_day`). None in writes planned before it was kept: they were given the UTC date.
    zone: str | None = None

    @property
    def marker(self) -> str:
        return marker(self.key)

    @property
    def ticket_ref(self) -> str:
        return f"{self.source}:{self.ticket_key}" if self.ticket_key else self.source

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["due"] = self.due.isoformat() if self.due else None
        data["trigger"] = self.trigger.isoformat() if self.trigger else None
        data["links"] = list(self.links)
        data["route"] = [list(pair) for pair in self.route]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedWrite:
        values = dict(data)
        values["kind"] = WriteKind(values["kind"])
        values["due"] = datetime.fromisoformat(values["due"]) if values.get("due") else None
        values["trigger"] = datetime.fromisoformat(values["trigger"]) if values.get("trigger") else None
        values["links"] = tuple(values.get("links") or ())
        values["route"] = tuple((str(name), str(value)) for name, value in values.get("route") or ())
        return cls(**values)

    def preview(self) -> dict[str, Any]:
        """What `sync --dry-run --json` prints for the write: one JSON object per line."""
        body = self.body if len(self.body) <= PREVIEW_CHARS else self.body[: PREVIEW_CHARS - 1] + "…"
        return {
            "kind": self.kind.value,
            "source": self.source,
            "ticket": self.ticket_key,
            "key": self.key,
            "origin": self.origin,
            "title": self.title,
            "body": body,
            "due": self.due.isoformat() if self.due else None,
            "owner": self.owner,
            "links": list(self.links),
            "route": dict(self.route),
        }


class Writer(Protocol):
    """The write side of one helpdesk source. Requests go through connector.http.HttpClient.

    `apply` sends the write once (it is never retried blindly: a write whose answer was lost
    raises ServerError/Unreachable and the caller asks `find_effect`). `find_effect` looks the
    write up in the helpdesk itself, by the key it carries, and returns its remote id or None.
    """

    source: str
    # (updates, window in seconds) the helpdesk allows per ticket, or None (Zendesk: 30 per 10 min)
    ticket_update_limit: tuple[int, float] | None

    @property
    def requests(self) -> int: ...

    def apply(self, write: PlannedWrite, previous_remote_id: str | None) -> str:
        """Perform the write; return the remote id (comment id, task ticket id or issue key)."""

    def find_effect(self, write: PlannedWrite, previous_remote_id: str | None) -> str | None:
        """The remote id of the write if the helpdesk already has it, else None."""

    def complete(self, write: PlannedWrite, remote_id: str) -> None:
        """Finish a write that `find_effect` found but a crash cut short (Jira: the task's
        links to its source tickets); a no-op where a write is a single request."""

    def lookup_is_immediate(self, write: PlannedWrite) -> bool:
        """Whether `find_effect` sees a write at once (Jira's issue search lags by seconds)."""

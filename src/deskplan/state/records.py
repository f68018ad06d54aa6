"""What the store keeps of a helpdesk: raw records as it sent them, the pages they come in
with the cursor that follows each, payloads that could not be read, and the stored records a
ticket's canonical form is built from. Adapters make and read these; the store keeps them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

RecordLookup = Callable[[str, str], dict[str, Any] | None]    # (kind, id) -> stored record data


class Record(NamedTuple):
    """One raw object as the helpdesk sent it.

    A named tuple, not a frozen dataclass: a full sync makes one per stored object, twice
    (pulled, then read back to build), and a frozen dataclass's `__init__` costs several times
    a tuple's.
    """

    kind: str                   # "ticket" | "event" | "rating" | "user" | "group" | "organization"
    id: str                     # unique within (source, kind)
    ticket_id: str | None       # the ticket it belongs to (None for users, groups, organizations)
    data: dict[str, Any]        # the JSON object, unchanged


@dataclass(frozen=True)
class Quarantined:
    """A payload that could not be read; it is stored and reported, the sync goes on."""

    ref: str                    # ticket id/key where known, else a description
    error: str
    payload: str                # the raw text (truncated by the store)


@dataclass(frozen=True)
class Page:
    stream: str
    records: list[Record]
    cursor: dict[str, Any]      # JSON-able; stored in the same transaction as `records`
    done: bool                  # the stream is exhausted for this run
    quarantined: list[Quarantined] = field(default_factory=list)


def _no_record(kind: str, id: str) -> dict[str, Any] | None:
    """The lookup of callers that hold no such records: every group or organization is unknown."""
    return None


class Related(NamedTuple):
    """The stored records a ticket's canonical form is built from (one per ticket built: a
    named tuple for the same reason as `Record`)."""

    events: list[Record]
    ratings: list[Record]
    user: Callable[[str], dict[str, Any] | None]   # user id -> stored user record data
    # (kind, id) -> stored record data, for records that belong to no ticket (groups, organizations)
    record: RecordLookup = _no_record

"""The ticket fields a condition can test, their kinds, and the operators each kind takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from deskplan.model import Priority, Score, Status, Ticket

OPERATORS = ("eq", "ne", "in", "not_in", "contains", "matches", "gt", "lt", "exists", "older_than")
COMBINATORS = ("all", "any", "not")
PRIORITY_RANK = MappingProxyType({p.value: rank for rank, p in enumerate(Priority)})


@dataclass(frozen=True)
class FieldSpec:
    """A testable field: its kind decides the operators and values it accepts."""

    name: str
    kind: str                       # enum | str | text | list | time | any
    get: Callable[[Ticket], Any]
    choices: tuple[str, ...] = ()   # enum values
    ordered: bool = False           # enum with gt/lt (priority)
    description: str = ""


KIND_OPERATORS = MappingProxyType({
    "enum": ("eq", "ne", "in", "not_in", "exists"),
    "str": ("eq", "ne", "in", "not_in", "contains", "matches", "exists"),
    "text": ("eq", "ne", "in", "not_in", "contains", "matches", "exists"),
    "list": ("eq", "ne", "in", "not_in", "contains", "matches", "exists"),
    "time": ("gt", "lt", "exists", "older_than"),
    "any": ("eq", "ne", "in", "not_in", "contains", "matches", "gt", "lt", "exists"),
})


def _sat(attr: str) -> Callable[[Ticket], Any]:
    def get(ticket: Ticket) -> Any:
        return getattr(ticket.satisfaction, attr) if ticket.satisfaction is not None else None
    return get


def _attr(name: str) -> Callable[[Ticket], Any]:
    def get(ticket: Ticket) -> Any:
        return getattr(ticket, name)
    return get


def _enum_value(name: str) -> Callable[[Ticket], Any]:
    def get(ticket: Ticket) -> Any:
        value = getattr(ticket, name)
        return value.value if value is not None else None
    return get


def _score(ticket: Ticket) -> str | None:
    return ticket.satisfaction.score.value if ticket.satisfaction is not None else None


_FIELDS = (
    FieldSpec("priority", "enum", _enum_value("priority"), tuple(p.value for p in Priority), ordered=True,
              description="low < normal < high < urgent"),
    FieldSpec("status", "enum", _enum_value("status"), tuple(s.value for s in Status),
              description="the canonical status"),
    FieldSpec("satisfaction", "enum", _score, tuple(s.value for s in Score),
              description="the latest rating: good or bad"),
    FieldSpec("satisfaction_comment", "text", _sat("comment"), description="the comment given with the rating"),
    FieldSpec("rated_at", "time", _sat("at"), description="when the latest rating was given"),
    FieldSpec("type", "str", _attr("type")),
    FieldSpec("channel", "str", _attr("channel")),
    FieldSpec("group", "str", _attr("group")),
    FieldSpec("organization", "str", _attr("organization")),
    FieldSpec("requester", "str", _attr("requester"), description="the requester's user id (Jira accountId)"),
    FieldSpec("assignee", "str", _attr("assignee"), description="the assignee's user id (Jira accountId)"),
    FieldSpec("requester_name", "str", _attr("requester_name"), description="the requester's display name"),
    FieldSpec("assignee_name", "str", _attr("assignee_name"), description="the assignee's display name"),
    FieldSpec("source", "str", _attr("source"), description="the source's name in deskplan.toml"),
    FieldSpec("key", "str", _attr("key")),
    FieldSpec("status_raw", "str", _attr("status_raw"), description="the helpdesk's own status name"),
    FieldSpec("subject", "text", _attr("subject")),
    FieldSpec("description", "text", _attr("description")),
    FieldSpec("text", "text", lambda t: t.text, description="subject, description and every comment"),
    FieldSpec("tags", "list", _attr("tags")),
    FieldSpec("created_at", "time", _attr("created_at")),
    FieldSpec("updated_at", "time", _attr("updated_at")),
    FieldSpec("solved_at", "time", _attr("solved_at")),
)
FIELDS: Mapping[str, FieldSpec] = MappingProxyType({f.name: f for f in _FIELDS})
CUSTOM_PREFIX = "custom."


def field_spec(name: str) -> FieldSpec | None:
    """The spec of a field name, `custom.<name>` included; None if there is no such field."""
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
        custom = name[len(CUSTOM_PREFIX):]
        return FieldSpec(name, "any", lambda t: t.custom.get(custom))
    return None

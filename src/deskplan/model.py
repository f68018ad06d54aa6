"""The canonical ticket: one model for every helpdesk, the only ticket shape past the adapters.

Adapters validate into these models exactly once, at their boundary; everything
downstream (rules, SLA clocks, KPIs, write-back) reads them and never re-validates.
Times are timezone-aware and normalised to UTC.

Validation also refuses what a helpdesk does not send and what would break a later stage on
every run (the ticket is quarantined at build instead, README "Bad tickets"):
- instants outside [1970-01-01, 2100-01-01) UTC: calendars, SLA clocks and report windows
  overflow near the ends of `datetime`'s range (year 9999 plus a day, year 1 minus an offset);
- a ticket `id` that is not a positive decimal integer (Zendesk's ids are 64-bit integers, Jira's
  issue ids the same as strings), a `key` with whitespace or control characters;
- text that is not text: a lone UTF-16 surrogate (JSON's `"\\ud800"`) anywhere in the ticket,
  which neither SQLite nor UTF-8 output can hold;
- `custom` values nested deeper than CUSTOM_DEPTH levels (a stored ticket must read back:
  pydantic's JSON reader stops at 200 levels, orjson's writer at 255).
The surrogate check is one orjson pass over the whole ticket (orjson refuses surrogates), not a
validator per text field; deskplan's own stored JSON, read back in JSON mode, is not checked again.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Annotated, Any

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_CUSTOMER = "waiting_customer"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"

    @property
    def is_resolved(self) -> bool:
        return self in (Status.SOLVED, Status.CLOSED)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Score(StrEnum):
    GOOD = "good"
    BAD = "bad"


class EventKind(StrEnum):
    STATUS = "status"                        # status change; `status` is the new one
    PUBLIC_REPLY = "public_reply"            # an agent's comment the requester sees
    INTERNAL_NOTE = "internal_note"          # an agent's comment only agents see
    REQUESTER_COMMENT = "requester_comment"  # a comment by the requester (customer)
    RATING = "rating"                        # a satisfaction rating given or changed


EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)    # no helpdesk ticket is older
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)      # exclusive; far from datetime.max, whatever the offset
CUSTOM_DEPTH = 32           # nesting of a custom field value (helpdesks send scalars, lists, small objects)


def _utc(value: datetime) -> datetime:
    # Compared before the conversion: astimezone itself overflows near year 1 and year 9999.
    if not EARLIEST <= value < LATEST:
        raise ValueError("outside the years 1970 to 2099")
    return value.astimezone(timezone.utc)


# Naive timestamps are rejected; aware ones are stored in UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
# What both helpdesks send as a ticket's id: a positive integer (Jira: as a string), at most 64 bits.
TicketId = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,18}$")]
# "1234" (Zendesk) or "SD-12" (Jira): printable, no whitespace, never empty.
TicketKey = Annotated[str, StringConstraints(pattern=r"^[^\s\x00-\x1f\x7f-\x9f]{1,255}$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimelineEvent(_Frozen):
    """One thing that happened to a ticket, at one instant."""

    at: UtcDatetime
    kind: EventKind
    id: str | None = None               # the helpdesk's own id for the event, for de-duplication
    author: str | None = None           # helpdesk user id (or account id) as a string
    status: Status | None = None        # STATUS: the status entered
    from_status: Status | None = None   # STATUS: the status left (None at creation)
    body: str | None = None             # comment text (plain), rating comment
    score: Score | None = None          # RATING: the score given
    by_deskplan: bool = False           # a comment deskplan itself wrote (carries its marker)


class Satisfaction(_Frozen):
    score: Score
    comment: str | None = None
    at: UtcDatetime


class Ticket(_Frozen):
    """A helpdesk ticket (Zendesk ticket or JSM request) in canonical form."""

    source: str                         # the source's name in deskplan.toml
    id: TicketId                        # the helpdesk's id (Zendesk ticket id, Jira issue id)
    key: TicketKey                      # what people call it: "1234" in Zendesk, "SD-12" in Jira
    url: str | None = None              # where an agent opens it
    subject: str = ""
    description: str = ""
    status: Status
    status_raw: str = ""                # the helpdesk's own status name
    priority: Priority | None = None
    type: str | None = None
    channel: str | None = None
    tags: tuple[str, ...] = ()
    group: str | None = None
    organization: str | None = None
    requester: str | None = None        # helpdesk user id (Jira accountId): what rules match on
    assignee: str | None = None
    requester_name: str | None = None   # the requester's display name, for people to read
    assignee_name: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    solved_at: UtcDatetime | None = None   # latest time it entered solved/closed, if it is resolved
    satisfaction: Satisfaction | None = None
    custom: dict[str, Any] = {}
    timeline: tuple[TimelineEvent, ...] = ()
    deleted: bool = False               # tombstone: the helpdesk deleted it

    @model_validator(mode="after")
    def _storable(self, info: ValidationInfo) -> Ticket:
        """No lone surrogate anywhere, custom values not nested too deep (see the module's doc)."""
        if info.mode == "json":
            return self         # deskplan's own stored JSON: checked when the ticket was built
        for name, value in self.custom.items():
            if isinstance(value, dict | list | tuple) and nested_deeper_than(value, CUSTOM_DEPTH):
                raise PydanticCustomError("too_deep", "custom.{name}: nested deeper than {limit} levels",
                                          {"name": name, "limit": CUSTOM_DEPTH})
        global _written
        try:
            # The JSON the ticket is stored as, written now: orjson refuses a surrogate, so this is
            # the check, and `ticket_json` hands the text out instead of writing it a second time.
            _written = (self, _dumps(self))
        except orjson.JSONEncodeError:
            # A surrogate, or only what ticket_json writes by its fallback (an integer beyond
            # 64 bits, which stops orjson before it reaches the rest): look field by field.
            field = _field_with_surrogate(self)
            if field is not None:
                raise PydanticCustomError(
                    "lone_surrogate", "{field}: a lone UTF-16 surrogate, not text", {"field": field}) from None
        return self

    @property
    def ref(self) -> str:
        """`SOURCE:KEY`, as `deskplan explain` takes it."""
        return f"{self.source}:{self.key}"

    @property
    def text(self) -> str:
        """Subject, description and every comment, for `text` conditions."""
        parts = [self.subject, self.description]
        parts.extend(
            e.body for e in self.timeline
            if e.body and e.kind is not EventKind.RATING and not e.by_deskplan
        )
        return "\n".join(p for p in parts if p)


def _field_with_surrogate(ticket: Ticket) -> str | None:
    """The first field holding a lone surrogate (`timeline`, `custom` …), or None."""
    for name, value in ticket.__dict__.items():
        if _has_surrogate(value):
            return name
    return None


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, BaseModel):
        value = value.__dict__
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_surrogate(v) for v in value)
    return False


def nested_deeper_than(value: Any, levels: int) -> bool:
    """Whether JSON-like data nests more than `levels` containers deep (a list or dict counts as
    one level, a scalar as none). Iterative: data nested thousands deep must not exhaust the stack."""
    if not isinstance(value, dict | list | tuple):
        return False
    if levels < 1:
        return True
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list | tuple):
                if depth + 1 > levels:
                    return True
                stack.append((child, depth + 1))
    return False


# The last ticket validated from Python data and its JSON, written by the validation's check:
# a sync stores each ticket right after building it, so its JSON is written once, not twice.
# (Compared by identity: another ticket, or another thread's, is simply written again.)
_written: tuple[Ticket | None, str] = (None, "")


def _dumps(ticket: Ticket) -> str:
    fields = dict(ticket.__dict__)
    fields["timeline"] = [event.__dict__ for event in ticket.timeline]
    if ticket.satisfaction is not None:
        fields["satisfaction"] = ticket.satisfaction.__dict__
    return orjson.dumps(fields).decode()


def ticket_json(ticket: Ticket) -> str:
    """The ticket as JSON that `Ticket.model_validate_json` reads back into an equal ticket.

    Written by orjson from the validated fields, at a third of `model_dump_json`'s cost: the
    latter calls back into Python for every enum value (about twenty per ticket). Times come
    out as `+00:00` rather than `Z`; both read back the same. A custom field value orjson
    cannot write (an integer beyond 64 bits) falls back to pydantic's own serializer.
    """
    last, text = _written
    if last is ticket:
        return text
    try:
        return _dumps(ticket)
    except orjson.JSONEncodeError:
        return ticket.model_dump_json()

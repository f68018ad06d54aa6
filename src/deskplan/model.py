"""The canonical ticket: one model for every helpdesk, the only ticket shape past the adapters.

Adapters validate into these models exactly once, at their boundary; everything
downstream (rules, SLA clocks, KPIs, write-back) reads them and never re-validates.
Times are timezone-aware and normalised to UTC.
"""

from __future__ import annotations

from datetime import timezone
from enum import StrEnum
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict


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


# Naive timestamps are rejected; aware ones are stored in UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda v: v.astimezone(timezone.utc))]


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
    id: str                             # the helpdesk's id (Zendesk ticket id, Jira issue id)
    key: str                            # what people call it: "1234" in Zendesk, "SD-12" in Jira
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


def ticket_json(ticket: Ticket) -> str:
    """The ticket as JSON that `Ticket.model_validate_json` reads back into an equal ticket.

    Written by orjson from the validated fields, at a third of `model_dump_json`'s cost: the
    latter calls back into Python for every enum value (about twenty per ticket). Times come
    out as `+00:00` rather than `Z`; both read back the same. A custom field value orjson
    cannot write (an integer beyond 64 bits) falls back to pydantic's own serializer.
    """
    fields = dict(ticket.__dict__)
    fields["timeline"] = [event.__dict__ for event in ticket.timeline]
    if ticket.satisfaction is not None:
        fields["satisfaction"] = ticket.satisfaction.__dict__
    try:
        return orjson.dumps(fields).decode()
    except orjson.JSONEncodeError:
        return ticket.model_dump_json()

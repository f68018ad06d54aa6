"""Zendesk JSON -> canonical Ticket, with pure functions (no HTTP, no clock).

Inputs are the raw objects as Zendesk sends them: the ticket from the incremental export,
its ticket events (already filtered to comments and status changes by `relevant_event`),
its satisfaction ratings, and a user lookup (for roles: an agent's public comment is a
reply, an end-user's is a requester comment). The canonical model is validated once, at
the end of `build_ticket`. A comment is deskplan's own (`by_deskplan`) only when deskplan's own
user (`Context.own_user`) wrote it as an internal note carrying deskplan's marker.

`group` and `organization` are names, as in Jira and in the rules process owners write
(`group: {in: [Billing, 华东客服]}`): the names of the group and organization objects the
ticket export side-loads (`include=groups,organizations`), found through the record lookup;
the id while no such object is stored. A renamed group or organization reaches the tickets
built after the rename; tickets built earlier keep the old name until one of their own
records changes and they are rebuilt. That is accepted: renames are rare, and the next
change to a ticket, which is what rules act on, brings the new name with it, while
rebuilding every ticket of a group on a rename would make one edit cost a full rebuild.
`requester_name` and `assignee_name` come from the stored user records the same way (the user
export runs before the ticket export); `requester` and `assignee` stay the user ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from itertools import count
from typing import Any, TypeGuard

from pydantic import ValidationError

from deskplan.errors import BadPayload
from deskplan.model import EventKind, Priority, Score, Status, Ticket

DESKPLAN_MARKER = "[deskplan:"

DEFAULT_STATUS_MAP: Mapping[str, Status] = {
    "new": Status.NEW,
    "open": Status.OPEN,
    "pending": Status.WAITING_CUSTOMER,
    "hold": Status.ON_HOLD,
    "solved": Status.SOLVED,
    "closed": Status.CLOSED,
}
DELETED = "deleted"
END_USER = "end-user"
SCORES = {"good": Score.GOOD, "bad": Score.BAD}
# A dict lookup, not `Priority(value)`: the enum's own lookup runs Python code on every ticket.
PRIORITIES = {priority.value: priority for priority in Priority}
COMMENT_TYPES = frozenset({"Comment", "VoiceComment"})
STATUS_TYPES = frozenset({"Create", "Change"})
RESOLVED = frozenset(status for status in Status if status.is_resolved)
# What the timeline reads of a ticket event and of its child events (see `relevant_event`).
EVENT_KEYS = ("id", "ticket_id", "created_at", "timestamp")
CHILD_KEYS = ("id", "event_type", "type", "created_at", "author_id", "public", "status", "previous_value",
              "field_name", "value")

UserLookup = Callable[[str], Mapping[str, Any] | None]
RecordLookup = Callable[[str, str], Mapping[str, Any] | None]      # (kind, id) -> stored record data


def is_deskplan_comment(body: str | None, *, author: str | None, public: bool, own_user: str | None) -> bool:
    """True for a comment deskplan wrote itself: an internal note by deskplan's own user that
    carries its marker. Anyone can type the marker (a customer, an agent quoting a note);
    only deskplan's user writes as deskplan, and it writes internal notes only."""
    return own_user is not None and author == own_user and not public and body is not None and DESKPLAN_MARKER in body


def relevant_event(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ticket event reduced to what the timeline reads, or None if nothing.

    Kept: comments, and creations/changes that carry a status, each with only the keys the
    timeline reads (`CHILD_KEYS`; a comment's text once, as `body`). Everything else (tags,
    notifications, SLA targets …, and the comment's HTML and plain-text copies, attachments,
    via and metadata) is dropped before it reaches the state, where it would be stored, read
    back and parsed again on every rebuild of the ticket for nothing.
    """
    # Runs on every child of every exported event (most are dropped): each child's kind is
    # read once, `_set_status` is written out inline, and the keys are copied in plain loops
    # (a comprehension costs a function call per child on Python 3.11).
    children = []
    for child in event.get("child_events") or event.get("events") or ():
        kind = child.get("event_type") or child.get("type")
        if kind in COMMENT_TYPES:
            body = child.get("body") or child.get("plain_body") or ""
        elif kind in STATUS_TYPES:
            if child.get("field_name") == "status":
                if child.get("value") is None:
                    continue
            elif not isinstance(child.get("status"), str):
                continue
            body = None
        else:
            continue
        kept = {}
        for key in CHILD_KEYS:
            if key in child:
                kept[key] = child[key]
        if body is not None:
            kept["body"] = body
        children.append(kept)
    if not children:
        return None
    reduced = {}
    for key in EVENT_KEYS:
        if key in event:
            reduced[key] = event[key]
    reduced["child_events"] = children
    return reduced


@dataclass(frozen=True)
class Context:
    """What building needs besides the payloads."""

    source: str
    site: str                                 # https://acme.zendesk.com (for the agent URL)
    status_map: Mapping[str, Status]          # overrides, from the source's config
    own_user: str | None = None               # deskplan's own user id: its internal notes are deskplan's

    @cached_property
    def statuses(self) -> Mapping[str, Status]:
        """Zendesk's own statuses with the source's overrides: merged once, not per ticket."""
        return {**DEFAULT_STATUS_MAP, **self.status_map}


def build_ticket(
    ticket: Mapping[str, Any],
    events: Iterable[Mapping[str, Any]],
    ratings: Iterable[Mapping[str, Any]],
    user: UserLookup,
    context: Context,
    record: RecordLookup = lambda kind, id: None,
) -> Ticket:
    """The canonical ticket; BadPayload (with the ticket ref, never payload text) if unreadable.

    `record` finds the stored group and organization objects by ("group" | "organization", id).
    """
    ref = str(ticket.get("id", "?"))
    try:
        fields = _fields(ticket, events, ratings, user, context, record)
        return Ticket.model_validate(fields)
    except ValidationError as exc:
        # (A check of the whole ticket has no field of its own: its message names the field.)
        where = ", ".join(sorted({".".join(str(p) for p in e["loc"]) or e["msg"] for e in exc.errors()}))
        raise BadPayload(f"unreadable field(s): {where}", source=context.source, ref=ref) from None
    except _Unreadable as exc:
        raise BadPayload(str(exc), source=context.source, ref=ref) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadPayload(f"unreadable payload ({type(exc).__name__})", source=context.source, ref=ref) from None


class _Unreadable(Exception):
    """A value the mapping cannot place; the message names the field, not the payload."""


def _fields(ticket: Mapping[str, Any], events: Iterable[Mapping[str, Any]], ratings: Iterable[Mapping[str, Any]],
            user: UserLookup, context: Context, record: RecordLookup) -> dict[str, Any]:
    statuses = context.statuses
    raw_status = ticket["status"]
    deleted = raw_status == DELETED
    requester = _id(ticket.get("requester_id"))
    assignee = _id(ticket.get("assignee_id"))
    opening, placed, changes, created = _timeline_parts(events, requester, user, statuses, context.own_user)
    created_at = ticket["created_at"]

    latest_ratings = _latest_ratings(ratings)
    for at, rating in latest_ratings:
        placed.append((at, _int(rating.get("id")), 2, 0, len(placed), _rating_event(at, rating)))
    # A tombstone without history gets no invented status event: nothing is known of it.
    if not created and (changes or not deleted):
        creation = _creation_status(created_at, changes, raw_status, statuses)
        placed.append((_parse_time(created_at), -1, -1, -1, len(placed), creation))
    timeline, status_events = _ordered_unique(placed)

    status = _current_status(raw_status, statuses, status_events, deleted)
    updated_at = ticket.get("updated_at") or created_at
    solved_at = _solved_at(status, status_events, updated_at)
    return {
        "source": context.source,
        "id": str(ticket["id"]),
        "key": str(ticket["id"]),
        "url": f"{context.site.rstrip('/')}/agent/tickets/{ticket['id']}",
        "subject": ticket.get("subject") or ticket.get("raw_subject") or "",
        "description": opening if opening is not None else (ticket.get("description") or ""),
        "status": status,
        "status_raw": raw_status,
        "priority": _priority(ticket.get("priority")),
        "type": ticket.get("type"),
        "channel": (ticket.get("via") or {}).get("channel"),
        "tags": tuple(ticket.get("tags") or ()),
        "group": _name(record, "group", ticket.get("group_id")),
        "organization": _name(record, "organization", ticket.get("organization_id")),
        "requester": requester,
        "assignee": assignee,
        "requester_name": _person(user, requester),
        "assignee_name": _person(user, assignee),
        "created_at": created_at,
        "updated_at": updated_at,
        "solved_at": solved_at,
        "satisfaction": _satisfaction(latest_ratings, ticket),
        "custom": _custom(ticket.get("custom_fields")),
        "timeline": timeline,
        "deleted": deleted,
    }


# --- timeline ---------------------------------------------------------------------------
#
# Each timeline event is placed as a tuple `(at, event id, rank, child index, seq, event)`:
# its place in the helpdesk's order (by time, then event, then child; within one update the
# status change, rank 0, goes before the comment made with it, rank 1; ratings rank 2, the
# invented creation -1) and the order it was found in, which settles ties as a stable sort
# would, so that a plain tuple sort (no Python key function) orders the timeline and never
# compares the event dicts themselves.
Placed = tuple[datetime, int, int, int, int, dict[str, Any]]


def _timeline_parts(events: Iterable[Mapping[str, Any]], requester: str | None, user: UserLookup,
                    statuses: Mapping[str, Status],
                    own_user: str | None) -> tuple[str | None, list[Placed], list[dict[str, Any]], bool]:
    """The opening comment's text, the placed comments and status changes, the status
    changes alone (in order), and whether a creation with its status was exported."""
    opening: str | None = None
    placed: list[Placed] = []
    changes: list[dict[str, Any]] = []
    created = False
    for at, event_id, _, event, same_time in sorted(map(_timed, count(), events)):
        children = event.get("child_events") or event.get("events") or ()
        for index, child in enumerate(children):
            kind = child.get("event_type") or child.get("type")
            # A child stamped with its event's own time gets the time already parsed (as
            # pydantic would read it, see `_is_zendesk_stamp`); any other stamp goes as it came.
            own = child.get("created_at")
            child_at = own if own and own != same_time else at
            if kind in COMMENT_TYPES:
                comment = _comment(child, child_at, requester, user, own_user)
                if opening is None and _is_creation(children):
                    opening = comment["body"]
                    # The opening comment is the request itself: an agent who opens a
                    # ticket on a customer's behalf has not replied to it yet.
                    if comment["kind"] is EventKind.PUBLIC_REPLY:
                        continue
                placed.append((at, event_id, 1, index, len(placed), comment))
            elif kind in STATUS_TYPES:
                status = _set_status(child)
                if status is None:
                    continue
                created = created or (kind == "Create" and bool(status))
                # Deleting and restoring are not workflow statuses: `Ticket.deleted` says it.
                if status == DELETED:
                    continue
                left = changes[-1]["status"] if changes else None
                change = _status_change(child, kind, child_at, status, statuses, left)
                if change["from_status"] != change["status"]:      # a restore back to the same
                    changes.append(change)
                    placed.append((at, event_id, 0, index, len(placed), change))
    return opening, placed, changes, created


def _is_creation(children: Iterable[Mapping[str, Any]]) -> bool:
    """True for the update that created the ticket (its first comment is the request)."""
    # a loop, not any() over a generator: cheaper on the few children of an update, once per ticket built
    for child in children:  # noqa: SIM110
        if (child.get("event_type") or child.get("type")) == "Create":
            return True
    return False


def _comment(child: Mapping[str, Any], at: datetime | str, requester: str | None, user: UserLookup,
             own_user: str | None) -> dict[str, Any]:
    author = child.get("author_id")
    if author is not None:
        author = str(author)
    body = child.get("body") or child.get("plain_body") or ""
    public = bool(child.get("public", True))
    if not public:
        kind = EventKind.INTERNAL_NOTE
    elif author is not None and author == requester:
        kind = EventKind.REQUESTER_COMMENT
    else:
        # Only end-users are customers; agents, admins and authors not (yet) exported reply.
        profile = user(author) if author is not None else None
        kind = EventKind.REQUESTER_COMMENT if (profile or {}).get("role") == END_USER else EventKind.PUBLIC_REPLY
    ident = child.get("id")
    return {"at": at, "kind": kind, "id": None if ident is None else str(ident), "author": author, "body": body,
            "by_deskplan": is_deskplan_comment(body, author=author, public=public, own_user=own_user)}


def _status_change(child: Mapping[str, Any], kind: str, at: datetime | str, status: str, statuses: Mapping[str, Status],
                   left: Status | None) -> dict[str, Any]:
    previous = child.get("previous_value")
    if kind == "Create" or not previous:
        from_status = None
    elif previous == DELETED:
        from_status = left          # restored: it comes back from where it was before
    else:
        from_status = _canonical(previous, statuses)
    ident = child.get("id")
    return {"at": at, "kind": EventKind.STATUS, "id": None if ident is None else str(ident),
            "status": _canonical(status, statuses), "from_status": from_status}


def _creation_status(created_at: Any, changes: list[dict[str, Any]], raw_status: str,
                     statuses: Mapping[str, Status]) -> dict[str, Any]:
    """The status a ticket was created in, when its creation event was not exported.

    The status it left first if it ever changed; otherwise the one it still has.
    """
    if changes and changes[0]["from_status"] is not None:
        initial = changes[0]["from_status"]
    elif changes:
        initial = changes[0]["status"]
    else:
        initial = _canonical(raw_status, statuses)
    return {"at": created_at, "kind": EventKind.STATUS, "id": None, "status": initial, "from_status": None}


def _latest_ratings(ratings: Iterable[Mapping[str, Any]]) -> list[tuple[datetime, Mapping[str, Any]]]:
    """One good/bad rating per rating id, with its time: its latest version (a changed score
    replaces the earlier)."""
    latest: dict[Any, tuple[datetime, Mapping[str, Any]]] = {}
    for rating in ratings:
        if rating.get("score") not in SCORES:
            continue
        at = _rating_time(rating)
        kept = latest.get(rating["id"])
        if kept is None or at >= kept[0]:
            latest[rating["id"]] = (at, rating)
    return list(latest.values())


def _rating_event(at: datetime, rating: Mapping[str, Any]) -> dict[str, Any]:
    return {"at": at, "kind": EventKind.RATING, "id": f"rating-{rating['id']}", "score": SCORES[rating["score"]],
            "body": rating.get("comment") or None, "author": _id(rating.get("requester_id"))}


def _rating_time(rating: Mapping[str, Any]) -> datetime:
    return _parse_time(rating.get("updated_at") or rating["created_at"])


def _ordered_unique(placed: list[Placed]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """By time, creation first; an event delivered twice (same id) counts once. Also the
    status events among them, in the same order."""
    placed.sort()
    seen: set[tuple[EventKind, str]] = set()
    unique: list[dict[str, Any]] = []
    status_events: list[dict[str, Any]] = []
    for entry in placed:
        event = entry[5]
        kind = event["kind"]
        if event["id"] is not None:
            key = (kind, event["id"])
            if key in seen:
                continue
            seen.add(key)
        unique.append(event)
        if kind is EventKind.STATUS:
            status_events.append(event)
    return unique, status_events


# --- ticket fields ----------------------------------------------------------------------

def _current_status(raw: str, statuses: Mapping[str, Status], status_events: list[dict[str, Any]],
                    deleted: bool) -> Status:
    if not deleted:
        return _canonical(raw, statuses)
    # A tombstone keeps the last status it was seen in.
    return status_events[-1]["status"] if status_events else _deleted_status(statuses)


def _deleted_status(statuses: Mapping[str, Status]) -> Status:
    # Deleted with no known history: no longer open work, unless the config says otherwise.
    return statuses.get(DELETED, Status.CLOSED)


def _solved_at(status: Status, changes: list[dict[str, Any]], updated_at: Any) -> Any:
    """When it last became resolved (solved -> closed keeps the solve time)."""
    if not status.is_resolved or not changes:
        return None
    if changes[-1]["status"] not in RESOLVED:
        # The ticket is resolved but the event saying so is not exported yet (events can
        # lag behind tickets); its last update is the best estimate until it arrives.
        return updated_at
    entered = None
    was_resolved = False
    for event in changes:
        resolved = event["status"] in RESOLVED
        if resolved and not was_resolved:
            entered = event["at"]
        was_resolved = resolved
    return entered


def _satisfaction(ratings: list[tuple[datetime, Mapping[str, Any]]],
                  ticket: Mapping[str, Any]) -> dict[str, Any] | None:
    """The most recently given or changed good/bad rating."""
    if ratings:
        at, latest = max(ratings, key=lambda timed: (timed[0], _int(timed[1].get("id"))))
        return {"score": SCORES[latest["score"]], "comment": latest.get("comment") or None, "at": at}
    embedded = ticket.get("satisfaction_rating")
    if isinstance(embedded, dict) and embedded.get("score") in SCORES:
        # The ticket's own copy carries no time of its own; its last update is when it was seen.
        return {"score": SCORES[embedded["score"]], "comment": embedded.get("comment") or None,
                "at": ticket.get("updated_at") or ticket["created_at"]}
    return None


def _custom(fields: Any) -> dict[str, Any]:
    """`custom_fields: [{id, value}]` keyed by field id as a string; unset (null) fields left out."""
    if fields is None:
        return {}
    if not isinstance(fields, list) or not all(isinstance(f, dict) and "id" in f for f in fields):
        raise _Unreadable("custom_fields is not a list of {id, value}")
    return {str(f["id"]): f.get("value") for f in fields if f.get("value") is not None}


def _name(record: RecordLookup, kind: str, ref: Any) -> str | None:
    """The name of the group or organization `ref` points at; the id while it is not stored."""
    ref = _id(ref)
    if ref is None:
        return None
    name = (record(kind, ref) or {}).get("name")
    return name if isinstance(name, str) and name else ref


def _person(user: UserLookup, user_id: str | None) -> str | None:
    """A user's name from the stored user record; None while the user is not stored."""
    name = (user(user_id) or {}).get("name") if user_id is not None else None
    return (name.strip() or None) if isinstance(name, str) else None


def _priority(value: Any) -> Priority | None:
    if value is None:
        return None
    try:
        return PRIORITIES[value]
    except (KeyError, TypeError):           # unknown, or not even a name (unhashable)
        raise _Unreadable(f"unknown priority {str(value)[:40]!r}") from None


def _canonical(name: Any, statuses: Mapping[str, Status]) -> Status:
    try:
        return statuses[name]
    except (KeyError, TypeError):         # unknown, or not even a name (unhashable)
        raise _Unreadable(f"unknown status {str(name)[:40]!r} (map it in the source's status_map)") from None


# --- raw shapes ---------------------------------------------------------------------------

def _set_status(child: Mapping[str, Any]) -> str | None:
    """The status a Create/Change child event sets, in either of Zendesk's two shapes:
    `{"status": "open", "previous_value": "new"}` (ticket events) or
    `{"field_name": "status", "value": "open"}` (audit events); None if it sets another field."""
    if child.get("field_name") == "status":
        return child.get("value")
    value = child.get("status")
    return value if isinstance(value, str) else None


def _is_zendesk_stamp(value: Any) -> TypeGuard[str]:
    """True for a time in the one shape Zendesk writes, `2026-03-02T09:00:00Z`: `_parse_time`
    and pydantic read the same instant from it (from other shapes they can differ, e.g. ISO
    week dates, which only `datetime.fromisoformat` reads)."""
    return (isinstance(value, str) and len(value) == 20 and value[19] == "Z" and value[10] == "T"
            and value[4] == "-" and value[7] == "-" and value[13] == ":" and value[16] == ":")


def _timed(position: int, event: Mapping[str, Any]) -> tuple[datetime, int, int, Mapping[str, Any], str | None]:
    """`(time, id, position, event, stamp)`, which sorts by time, then event id, then the
    position the event was delivered in (never comparing the events themselves); `stamp` is
    the event's `created_at` when it is in Zendesk's own shape, else None."""
    stamp = event.get("created_at")
    if _is_zendesk_stamp(stamp):
        at = datetime.fromisoformat(stamp)    # reads the "Z" itself (Python 3.11)
    else:
        at = _parse_time(stamp) if stamp else datetime.fromtimestamp(int(event.get("timestamp") or 0), timezone.utc)
        stamp = None
    return at, _int(event.get("id")), position, event, stamp


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0

"""Jira issue JSON (REST v3, with JSM fields) -> the canonical Ticket. Pure functions.

The input is the stored ticket record's data (see `issue_record`): the issue with its
whole changelog and every comment (only the parts read here, see stored.py), the JSM
feedback when it had to be fetched separately, and the site's JSM custom field ids, so a
ticket can be rebuilt from the store alone.

Mappings (the canonical side is the same for Zendesk; see model.py):

- status: `status_map` from deskplan.toml first (exact name, then case-insensitive);
  then the JSM names whose meaning is fixed ("Waiting for customer" -> waiting_customer,
  "Pending"/"On hold" -> on_hold, "Closed"/"Canceled"/"Declined" -> closed); then the status
  category (new -> new, indeterminate -> open, done -> solved). The changelog names
  statuses without their category, so a past status takes the category of the current
  status of the same name, else the category of Jira's and JSM's default status of that
  name, else it counts as open. A custom workflow status should be named in status_map.
- priority: Highest/Blocker/Critical -> urgent, High/Major -> high, Medium/Normal -> normal,
  Low/Lowest/Minor/Trivial -> low; any other name -> none.
- type: the issue type, lower-cased ("task", "incident", "service request"); the JSM request
  type the customer chose is `custom["request_type"]`.
- channel: "email" for JSM's "Emailed request" type, "web" (the customer portal) for any
  other request type; none for an issue raised inside Jira (no request type).
- group: the team in the site's team field (see fields.py), else the first component's name.
- organization: the first JSM customer organization.
- requester / assignee: account ids of reporter / assignee; requester_name / assignee_name
  their `displayName`.
- timeline: the creation status at `created`, the description as the requester's first
  comment (when the reporter or a customer raised it, like Zendesk's opening comment), one
  STATUS event per status change in the changelog (changes that stay in the same
  canonical status are left out), one event per comment (internal note when
  `jsdPublic` is false, requester comment when written by a customer account or by the
  reporter, otherwise public reply), RATING events from the feedback. A comment is deskplan's
  own (`by_deskplan`) only when deskplan's own account (`own_user`) wrote it internally with
  deskplan's marker.
- satisfaction: CSAT 1-5, good at 4 and above, one RATING event with the latest score (from
  the Satisfaction field, else the `/feedback` answer) and its comment when known (the
  field does not carry it; a `/feedback` answer does, see adapter.py);
  its time is the Satisfaction date field, else the latest changelog entry of the
  Satisfaction field, else the resolution date, else `updated` (`/feedback` has no time).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any

from pydantic import ValidationError

from deskplan.adapters.jira.adf import adf_to_text
from deskplan.adapters.jira.fields import JsmFields
from deskplan.adapters.jira.marker import is_deskplan_comment, is_internal
from deskplan.adapters.jira.stored import is_status_change, stored_issue
from deskplan.errors import BadPayload
from deskplan.model import EventKind, Priority, Score, Status, Ticket

_CATEGORY = {"new": Status.NEW, "indeterminate": Status.OPEN, "done": Status.SOLVED}

# JSM status names whose canonical meaning does not follow from their category.
_NAMED = {
    "waiting for customer": Status.WAITING_CUSTOMER,
    "pending": Status.ON_HOLD,
    "on hold": Status.ON_HOLD,
    "closed": Status.CLOSED,
    "canceled": Status.CLOSED,
    "cancelled": Status.CLOSED,
    "declined": Status.CLOSED,
}

# Categories of the statuses Jira and JSM projects start with, for changelog entries.
_DEFAULT_CATEGORY = {
    "open": "new", "to do": "new", "backlog": "new", "new": "new", "selected for development": "new",
    "waiting for support": "indeterminate", "in progress": "indeterminate",
    "work in progress": "indeterminate", "escalated": "indeterminate", "in review": "indeterminate",
    "waiting for approval": "indeterminate", "under investigation": "indeterminate",
    "resolved": "done", "done": "done", "completed": "done",
}

_PRIORITY = {
    "highest": Priority.URGENT, "blocker": Priority.URGENT, "critical": Priority.URGENT,
    "high": Priority.HIGH, "major": Priority.HIGH,
    "medium": Priority.NORMAL, "normal": Priority.NORMAL,
    "low": Priority.LOW, "lowest": Priority.LOW, "minor": Priority.LOW, "trivial": Priority.LOW,
}

_RESOLVED = frozenset(status for status in Status if status.is_resolved)
_EMAIL_REQUEST_TYPES = frozenset({"emailed request", "email request"})
GOOD_FROM = 4       # CSAT 1-5: 4 and 5 are good, 1 to 3 bad


# Jira's issue keys: the project key (a capital letter, then capitals, digits or _) and a number.
ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[1-9][0-9]{0,17}")

def issue_record(issue: dict[str, Any], *, feedback: dict[str, Any] | None, fields: JsmFields) -> dict[str, Any]:
    """What the store keeps for one issue: everything `build_ticket` reads."""
    return {"issue": stored_issue(issue, fields), "feedback": feedback, "jsm_fields": fields.to_json()}


def build_ticket(
    data: Mapping[str, Any], *, source: str, site: str, status_map: Mapping[str, Status],
    own_user: str | None = None,
) -> Ticket:
    """The canonical ticket of a stored issue record; BadPayload when it cannot be read.
    `own_user`: deskplan's own accountId (its internal comments with a marker are deskplan's)."""
    issue = data.get("issue") or {}
    ref = str(issue.get("key") or issue.get("id") or "?")
    try:
        return _build(issue, data, source=source, site=site, status_map=status_map, own_user=own_user)
    except (KeyError, TypeError, ValueError, AttributeError, ValidationError) as exc:
        raise BadPayload(_reason(exc), source=source, ref=ref) from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return f"{type(exc).__name__}: {exc}"


def _build(issue: dict[str, Any], data: Mapping[str, Any], *, source: str, site: str,
           status_map: Mapping[str, Status], own_user: str | None) -> Ticket:
    if not isinstance(issue["key"], str) or not ISSUE_KEY.fullmatch(issue["key"]):
        # A key deskplan stored would be linked from tasks and named in comments: one Jira cannot
        # resolve would have those writes refused on every run.
        raise ValueError("the key is not a Jira issue key (PROJECT-NUMBER)")
    f = issue["fields"]
    jsm = JsmFields.from_json(data.get("jsm_fields"))
    status = f["status"]
    status_of = status_resolver(status_map, current=(status["name"], _category_key(status)))
    reporter = _account(f.get("reporter"))
    created = _utc(f["created"])
    description = adf_to_text(f.get("description"))
    timeline = build_timeline(issue, created=created, description=description, status_of=status_of,
                              reporter=reporter, jsm=jsm, feedback=data.get("feedback"), own_user=own_user)
    current = status_of(status["name"])
    request_type = _request_type_name(f.get(jsm.request_type) if jsm.request_type else None)
    rating = _latest_rating(timeline)
    return Ticket(
        source=source,
        id=str(issue["id"]),
        key=issue["key"],
        url=f"{site.rstrip('/')}/browse/{issue['key']}",
        subject=f.get("summary") or "",
        description=description,
        status=current,
        status_raw=status["name"],
        priority=map_priority((f.get("priority") or {}).get("name")),
        type=_issue_type(f.get("issuetype")),
        channel=_channel(request_type),
        tags=tuple(f.get("labels") or ()),
        group=_group(f, jsm),
        organization=_organization(f.get(jsm.organizations) if jsm.organizations else None),
        requester=reporter,
        assignee=_account(f.get("assignee")),
        requester_name=_display_name(f.get("reporter")),
        assignee_name=_display_name(f.get("assignee")),
        created_at=created,
        updated_at=_utc(f["updated"]),
        solved_at=_solved_at(timeline, current, f.get("resolutiondate")),
        satisfaction={"score": rating["score"], "comment": rating["body"], "at": rating["at"]} if rating else None,
        custom=_custom(f, jsm, request_type),
        # Validated here with the ticket, in one call: building each TimelineEvent on its
        # own took twice the time.
        timeline=timeline,
    )


# --- pieces, each usable on its own --------------------------------------------------------

def parse_time(value: str) -> datetime:
    """Jira's `2022-12-08T02:22:18.889-0800` (or any ISO 8601 instant with an offset)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time without an offset: {value!r}")
    return parsed


def _utc(value: str) -> datetime:
    """`parse_time` in UTC, as the model keeps times. Build reads every time this way: times
    in one zone compare without offset arithmetic (the timeline is sorted by them), and the
    model's own conversion to UTC then has nothing to do."""
    return parse_time(value).astimezone(timezone.utc)


def time_ms(value: str) -> int:
    """Milliseconds since the epoch of a Jira timestamp (the watermark's unit)."""
    return round(parse_time(value).timestamp() * 1000)


def status_resolver(
    status_map: Mapping[str, Status], *, current: tuple[str | None, str | None] | None = None
) -> Callable[[str | None], Status]:
    """A function from a Jira status name to the canonical status (see the module doc)."""
    folded_map = {k.casefold(): v for k, v in status_map.items()}
    current_name, current_category = current or (None, None)
    current_folded = current_name.casefold() if current_name is not None else None

    def resolve(name: str | None) -> Status:
        name = name or ""
        if name in status_map:
            return status_map[name]
        folded = name.casefold()
        if folded in folded_map:
            return folded_map[folded]
        if folded in _NAMED:
            return _NAMED[folded]
        category = current_category if current_folded is not None and folded == current_folded else None
        category = category or _DEFAULT_CATEGORY.get(folded)
        return _CATEGORY.get(category or "", Status.OPEN)

    return resolve


def map_priority(name: str | None) -> Priority | None:
    return _PRIORITY.get((name or "").casefold())


def comment_kind(comment: Mapping[str, Any], reporter: str | None) -> EventKind:
    """Internal note, requester comment or public agent reply."""
    if comment.get("jsdPublic") is False:
        return EventKind.INTERNAL_NOTE      # customers cannot write internal comments
    author = comment.get("author") or {}
    if author.get("accountType") == "customer" or (reporter and author.get("accountId") == reporter):
        return EventKind.REQUESTER_COMMENT
    return EventKind.PUBLIC_REPLY


def csat_score(rating: int) -> Score:
    return Score.GOOD if rating >= GOOD_FROM else Score.BAD


def build_timeline(
    issue: dict[str, Any],
    *,
    created: datetime,
    description: str,
    status_of: Callable[[str | None], Status],
    reporter: str | None,
    jsm: JsmFields,
    feedback: dict[str, Any] | None,
    own_user: str | None = None,
) -> list[dict[str, Any]]:
    """Every event of the issue, oldest first (creation status, then by time), each as the
    fields of a TimelineEvent (validated with the ticket)."""
    f = issue["fields"]
    # Each change's time is parsed once: it orders the changes and stamps their events.
    histories = sorted(((_utc(h["created"]), _int_id(h), h) for h in _histories(issue)), key=_AT_AND_ID)
    events = _status_events(histories, created, status_of, current=f["status"]["name"])
    creator = f.get("creator") or f.get("reporter") or {}
    opening = comment_kind({"author": creator, "jsdPublic": True}, reporter)
    # The description is the request itself, as Zendesk's opening comment is: the
    # requester's first message. An agent who raised it on a customer's behalf has not
    # replied to anyone yet, so that description is no reply. (A request's description is
    # never deskplan's: deskplan writes internal comments only.)
    if description and opening is EventKind.REQUESTER_COMMENT:
        events.append({"at": created, "kind": opening, "id": "description", "author": _account(creator),
                       "body": description})
    for comment in _comments(issue):
        body = adf_to_text(comment.get("body"))
        author = _account(comment.get("author"))
        events.append({"at": _utc(comment["created"]), "kind": comment_kind(comment, reporter),
                       "id": str(comment["id"]), "author": author, "body": body,
                       "by_deskplan": is_deskplan_comment(body, author=author, internal=is_internal(comment),
                                                          own_user=own_user)})
    events.extend(_rating_events(f, histories, jsm, feedback))
    # Stable sort: at equal times the creation status and the description stay first.
    return sorted(events, key=_AT)


_AT_AND_ID = itemgetter(0, 1)
_AT = itemgetter("at")


def _status_events(
    histories: list[tuple[datetime, int, Mapping[str, Any]]], created: datetime,
    status_of: Callable[[str | None], Status], *, current: str,
) -> list[dict[str, Any]]:
    changes = [(at, h, item) for at, _, h in histories for item in h.get("items", ()) if is_status_change(item)]
    events: list[dict[str, Any]] = []
    # The changelog has no entry for the status an issue was created in (except on
    # sites that log creation as a change from nothing): it is where the first change starts.
    if not changes or changes[0][2].get("fromString") is not None:
        first = changes[0][2].get("fromString") if changes else current
        events.append({"at": created, "kind": EventKind.STATUS, "id": "created", "status": status_of(first)})
    left = events[-1]["status"] if events else None
    for at, history, item in changes:
        entered = status_of(item.get("toString"))
        if entered == left:
            continue
        events.append({"at": at, "kind": EventKind.STATUS, "id": str(history.get("id")),
                       "author": _account(history.get("author")), "status": entered, "from_status": left})
        left = entered
    return events


def _rating_events(
    f: dict[str, Any], histories: list[tuple[datetime, int, Mapping[str, Any]]], jsm: JsmFields,
    feedback: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The request's rating as one event: its latest score at the time of its latest change.

    A rating counts once (the csat KPI), as a Zendesk rating does: a bad rating changed to
    good is a good rating, given when it was changed.
    """
    value = f.get(jsm.feedback) if jsm.feedback else None
    in_field, answered = _rating(value), _rating(feedback)
    rated = in_field or answered
    if rated is None:
        return []
    # The field says whether and how the request was rated; `/feedback` adds the comment.
    rating = rated[0]
    comment = (in_field and in_field[1]) or (answered and answered[1]) or None
    changed = [h["created"] for _, _, h in histories for item in h.get("items", ())
               if jsm.feedback and item.get("fieldId") == jsm.feedback]
    at = (
        (f.get(jsm.feedback_date) if jsm.feedback_date else None)
        or (changed[-1] if changed else None)
        or f.get("resolutiondate")
        or f["updated"]
    )
    return [{"at": _utc(at), "kind": EventKind.RATING, "id": "rating", "score": csat_score(rating),
             "body": comment}]


def _rating(value: Any) -> tuple[int, str | None] | None:
    """(1-5 rating, comment) from a feedback field value or a `/feedback` answer."""
    if isinstance(value, dict):
        number = _rating_number(value.get("rating"))
        if number is None:
            return None
        comment = value.get("comment")
        if isinstance(comment, dict):
            comment = comment.get("body")
        return number, adf_to_text(comment) or None
    number = _rating_number(value)
    return (number, None) if number is not None else None


def field_rating(value: Any) -> int | None:
    """The 1-5 rating held by a satisfaction field value, if any."""
    found = _rating(value)
    return found[0] if found else None


def _rating_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _latest_rating(timeline: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    ratings = [e for e in timeline if e["kind"] is EventKind.RATING]
    return ratings[-1] if ratings else None


def _solved_at(timeline: list[dict[str, Any]], current: Status, resolutiondate: str | None) -> datetime | None:
    if current not in _RESOLVED:
        return None
    entered = [
        e["at"] for e in timeline
        if e["kind"] is EventKind.STATUS and e["status"] in _RESOLVED and e.get("from_status") not in _RESOLVED
    ]
    if entered:
        return entered[-1]
    return _utc(resolutiondate) if resolutiondate else None


def _histories(issue: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((issue.get("changelog") or {}).get("histories") or ())


def _comments(issue: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    block = issue["fields"].get("comment") or {}
    return list(block.get("comments") or ())


def _int_id(item: Mapping[str, Any]) -> int:
    value = str(item.get("id", ""))
    return int(value) if value.isdigit() else 0


def _category_key(status: Mapping[str, Any]) -> str | None:
    return (status.get("statusCategory") or {}).get("key")


def _account(user: Any) -> str | None:
    return user.get("accountId") if isinstance(user, dict) else None


def _display_name(user: Any) -> str | None:
    name = user.get("displayName") if isinstance(user, dict) else None
    return (name.strip() or None) if isinstance(name, str) else None


def _request_type_name(value: Any) -> str | None:
    if isinstance(value, dict):
        request_type = value.get("requestType") or {}
        return request_type.get("name")
    return None


def _channel(request_type: str | None) -> str | None:
    if request_type is None:
        return None
    return "email" if request_type.casefold() in _EMAIL_REQUEST_TYPES else "web"


def _group(f: Mapping[str, Any], jsm: JsmFields) -> str | None:
    team = f.get(jsm.team) if jsm.team else None
    if isinstance(team, dict):
        # An Atlassian team has a name (and title); a select option has a value.
        name = team.get("name") or team.get("title") or team.get("value")
        if name:
            return name
    components = f.get("components") or ()
    return components[0].get("name") if components else None


def _organization(value: Any) -> str | None:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0].get("name")
    return None


def _issue_type(value: Any) -> str | None:
    """The issue type, lower-cased ("task", "incident", "problem", "service request"), so
    a rule's `type: {ne: task}` reads the same for Jira issues as for Zendesk tickets."""
    name = value.get("name") if isinstance(value, dict) else None
    return name.casefold() if isinstance(name, str) and name else None


def _custom(f: Mapping[str, Any], jsm: JsmFields, request_type: str | None) -> dict[str, Any]:
    """`custom.request_type` (the JSM request type the customer chose, e.g. "Make a
    complaint") and JSM's own SLA verdicts by metric name."""
    custom = _sla_summaries(f, jsm)
    if request_type:
        custom["request_type"] = request_type
    return custom


def _sla_summaries(f: Mapping[str, Any], jsm: JsmFields) -> dict[str, Any]:
    """JSM's own SLA verdicts by metric name, for rules and reports (`custom.<name>`)."""
    summaries: dict[str, Any] = {}
    for field_id, name in jsm.sla:
        value = f.get(field_id)
        if not isinstance(value, dict):
            continue
        cycle = value.get("ongoingCycle") or (value.get("completedCycles") or [None])[-1]
        if not cycle:
            continue
        summaries[name] = {
            "breached": bool(cycle.get("breached")),
            "running": "ongoingCycle" in value and bool(value.get("ongoingCycle")),
            "goal_ms": (cycle.get("goalDuration") or {}).get("millis"),
            "elapsed_ms": (cycle.get("elapsedTime") or {}).get("millis"),
            "remaining_ms": (cycle.get("remainingTime") or {}).get("millis"),
        }
    return summaries

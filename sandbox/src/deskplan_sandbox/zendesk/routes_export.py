"""Incremental exports: tickets (cursor and time-based), ticket events, users (cursor).

They filter on generated_timestamp (users: updated_at), hold back the most recent minute of
the simulator's clock and answer a `start_time` inside it with 422 "Too recent start_time",
and share the incremental-export rate limit (Zendesk's Incremental Exports reference). The
ticket exports side-load, on `include=groups,organizations`, the groups and organizations
their page's tickets refer to.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from deskplan_sandbox.server import Request, Response
from deskplan_sandbox.zendesk import derive
from deskplan_sandbox.zendesk.errors import ApiError, invalid_value, too_recent_start_time
from deskplan_sandbox.zendesk.paging import (
    decode_export_cursor,
    encode_export_cursor,
    export_page_size,
    int_param,
    link,
)
from deskplan_sandbox.zendesk.render import epoch
from deskplan_sandbox.zendesk.site import Site, api

HOLD_BACK = 60          # seconds: "data from the most recent minute is withheld"
TICKETS_CURSOR_PATH = "/api/v2/incremental/tickets/cursor.json"
TICKETS_TIME_PATH = "/api/v2/incremental/tickets.json"
EVENTS_PATH = "/api/v2/incremental/ticket_events.json"
USERS_CURSOR_PATH = "/api/v2/incremental/users/cursor.json"


def register(sim: Site) -> None:
    sim.router.add("GET", api("incremental/tickets/cursor"), sim.incremental(partial(tickets_cursor, sim)))
    sim.router.add("GET", api("incremental/tickets"), sim.incremental(partial(tickets_by_time, sim)))
    sim.router.add("GET", api("incremental/ticket_events"), sim.incremental(partial(ticket_events, sim)))
    sim.router.add("GET", api("incremental/users/cursor"), sim.incremental(partial(users_cursor, sim)))


def _includes(request: Request) -> set[str]:
    return {part.strip() for value in request.query.get("include", []) for part in value.split(",")}


def _start(sim: Site, request: Request) -> tuple[int, int]:
    """Where a cursor export resumes: after the cursor's key, or at `start_time`."""
    cursor = request.arg("cursor")
    if cursor:
        return decode_export_cursor(cursor)
    start = int_param(request, "start_time")
    if start is None:
        raise ApiError(invalid_value("start_time or cursor is required"))
    return _not_too_recent(sim, start), 0   # keys sort as (timestamp, id) and ids start at 1: everything from it on


def _start_time(sim: Site, request: Request) -> int:
    """The `start_time` of a time-based export (required)."""
    start = int_param(request, "start_time")
    if start is None:
        raise ApiError(invalid_value("start_time is required"))
    return _not_too_recent(sim, start)


def _not_too_recent(sim: Site, start: int) -> int:
    """A start_time inside the held-back minute (or later) is refused, by the simulator's own clock."""
    if start > epoch(sim.clock()) - HOLD_BACK:
        raise ApiError(too_recent_start_time())
    return start


def _cursor_body(name: str, items: list[Any], last_key: tuple[int, int], more: bool, sim: Site,
                 path: str, request: Request) -> dict[str, Any]:
    cursor = encode_export_cursor(last_key)
    per_page = request.arg("per_page")
    return {
        name: items,
        "after_url": link(sim.base_url(), path, [("cursor", cursor), ("per_page", per_page)]),
        "before_url": None,
        "after_cursor": cursor,
        "before_cursor": None,
        "end_of_stream": not more,
    }


def tickets_cursor(sim: Site, request: Request) -> Response:
    size = export_page_size(request)
    after = _start(sim, request)
    until = epoch(sim.clock()) - HOLD_BACK
    page, more = sim.store.exported(after, size, until, exclude_deleted=request.arg("exclude_deleted") == "true")
    tickets = _with_metric_sets(sim, [doc for _, doc in page], "metric_sets" in _includes(request))
    last_key = page[-1][0] if page else after
    body = _cursor_body("tickets", tickets, last_key, more, sim, TICKETS_CURSOR_PATH, request)
    return Response(200, {**body, **sim.store.sideloads(tickets, _includes(request))})


def _with_metric_sets(sim: Site, tickets: list[dict[str, Any]], wanted: bool) -> list[dict[str, Any]]:
    if not wanted:
        return tickets
    return [{**doc, "metric_set": sim.store.metric_set(int(doc["id"]))} for doc in tickets]


def tickets_by_time(sim: Site, request: Request) -> Response:
    size = export_page_size(request)
    start = _start_time(sim, request)
    until = epoch(sim.clock()) - HOLD_BACK
    page, more = sim.store.exported((start - 1, 1 << 62), size, until, whole_seconds=True,
                                    exclude_deleted=request.arg("exclude_deleted") == "true")
    tickets = _with_metric_sets(sim, [doc for _, doc in page], "metric_sets" in _includes(request))
    end_time = _end_time([key[0] for key, _ in page], start, more)
    body = {"tickets": tickets, "count": len(tickets), "end_of_stream": not more,
            "next_page": link(sim.base_url(), TICKETS_TIME_PATH, [("per_page", request.arg("per_page")),
                                                                  ("start_time", end_time)]),
            "end_time": end_time}
    return Response(200, {**body, **sim.store.sideloads(tickets, _includes(request))})


def _end_time(times: list[int], start: int, more: bool) -> int:
    # Recorded: a page that stops mid-stream ends one second after its last item; the last
    # page ends at its last item's second, so the next poll re-reads that second.
    if not times:
        return start
    return times[-1] + 1 if more else times[-1]


def ticket_events(sim: Site, request: Request) -> Response:
    size = export_page_size(request)
    start = _start_time(sim, request)
    until = epoch(sim.clock()) - HOLD_BACK
    audits, more = sim.store.ticket_events(start, size, until)
    include_comments = "comment_events" in _includes(request)
    events = [derive.ticket_event(audit, include_comments) for audit in audits]
    end_time = _end_time([event["timestamp"] for event in events], start, more)
    body = {"ticket_events": events, "count": len(events), "end_of_stream": not more,
            "next_page": link(sim.base_url(), EVENTS_PATH, [("include", request.arg("include")),
                                                            ("per_page", request.arg("per_page")),
                                                            ("start_time", end_time)]),
            "end_time": end_time}
    return Response(200, body)


def users_cursor(sim: Site, request: Request) -> Response:
    size = export_page_size(request)
    after = _start(sim, request)
    until = epoch(sim.clock()) - HOLD_BACK
    page, more = sim.store.users_exported(after, size, until)
    last_key = page[-1][0] if page else after
    return Response(200, _cursor_body("users", [doc for _, doc in page], last_key, more, sim,
                                      USERS_CURSOR_PATH, request))

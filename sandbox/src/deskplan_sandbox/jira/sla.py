"""JSM-style SLA cycles computed from an issue's own history.

The simulated site has two SLAs on a 24/7 calendar, both paused while the request is in
"Waiting for customer":
- Time to first response: starts at creation, stops at the first public comment by someone
  other than the customer, or when the request is resolved; one cycle only.
- Time to resolution: starts at creation, stops on entering a done status; a reopened request
  starts a new cycle.
Goals depend on the current priority (JSM recalculates goals when priority changes).
The output is JSM's `SlaInformationDTO`, as `GET /rest/servicedeskapi/request/{issueIdOrKey}/sla`
returns it (Jira Service Management REST API reference); clients read `millis`/`epochMillis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deskplan_sandbox.jira.catalog import WAITING_FOR_CUSTOMER, status_by_id, status_by_name
from deskplan_sandbox.jira.dates import date_dto, duration_dto, from_ms, parse_jira_datetime, to_ms
from deskplan_sandbox.jira.shapes import SITE
from deskplan_sandbox.jira.store import IssueRecord

HOUR = 3_600_000
GOALS = {
    "first_response": {"Highest": HOUR // 2, "High": HOUR, "Medium": 4 * HOUR, "Low": 8 * HOUR, "Lowest": 8 * HOUR},
    "resolution": {"Highest": 4 * HOUR, "High": 8 * HOUR, "Medium": 24 * HOUR, "Low": 48 * HOUR, "Lowest": 72 * HOUR},
}
METRICS = (("1", "Time to first response", "first_response"), ("2", "Time to resolution", "resolution"))


@dataclass(frozen=True)
class Segment:
    start: int          # ms
    end: int            # ms
    status: str
    category: str

    @property
    def paused(self) -> bool:
        return self.status.lower() == WAITING_FOR_CUSTOMER.lower()


def metric_for(name: str) -> str | None:
    """Which of the site's SLAs an SLA field (by its name) shows."""
    lowered = name.lower()
    if "first response" in lowered:
        return "first_response"
    if "resolution" in lowered:
        return "resolution"
    return None


def sla_values(record: IssueRecord, now: datetime, zone: ZoneInfo) -> list[dict[str, Any]]:
    return [sla_value(record, metric_id, name, kind, now, zone) for metric_id, name, kind in METRICS]


def sla_value(record: IssueRecord, metric_id: str, name: str, kind: str, now: datetime,
              zone: ZoneInfo) -> dict[str, Any]:
    now_ms = max(to_ms(now), record.created_ms)
    segments = status_segments(record, now_ms)
    priority = (record.fields.get("priority") or {}).get("name") or "Medium"
    goal = GOALS[kind].get(priority, GOALS[kind]["Medium"])
    if kind == "first_response":
        cycles = _first_response_cycles(record, segments, now_ms)
    else:
        cycles = _resolution_cycles(segments, now_ms)
    value: dict[str, Any] = {
        "id": metric_id,
        "name": name,
        "_links": {"self": f"{SITE}/rest/servicedeskapi/request/{record.id}/sla/{metric_id}"},
        "completedCycles": [],
    }
    for start, stop in cycles:
        if stop is not None:
            value["completedCycles"].append(_completed(segments, start, stop, goal, zone))
        else:
            value["ongoingCycle"] = _ongoing(segments, start, now_ms, goal, zone)
    value["slaDisplayFormat"] = "NEW_SLA_FORMAT"
    return value


def status_segments(record: IssueRecord, now_ms: int) -> list[Segment]:
    """The issue's statuses over time, from creation to now, read from its changelog."""
    changes = []
    for history in record.histories:
        for item in history.get("items", []):
            if (item.get("fieldId") or item.get("field", "")).lower() == "status":
                at = to_ms(parse_jira_datetime(history["created"]))
                changes.append((at, item.get("from"), item.get("fromString"), item.get("to"), item.get("toString")))
    changes.sort(key=lambda change: change[0])
    if changes:
        status, status_id = changes[0][2] or "", changes[0][1]
    else:
        status, status_id = record.status.get("name", ""), record.status.get("id")
    segments, start = [], record.created_ms
    for at, _, _, to_id, to_name in changes:
        at = min(max(at, start), now_ms)
        if at > start:
            segments.append(Segment(start, at, status, _category(status_id, status)))
        start, status, status_id = at, to_name or "", to_id
    segments.append(Segment(start, max(now_ms, start), status, _category(status_id, status)))
    return segments


def _category(status_id: str | None, name: str) -> str:
    known = (status_id and status_by_id(status_id)) or status_by_name(name)
    return known.category if known else "indeterminate"


def _first_response_cycles(record: IssueRecord, segments: list[Segment], now_ms: int) -> list[tuple[int, int | None]]:
    stops = [s.start for s in segments if s.category == "done"]
    reporter = (record.fields.get("reporter") or {}).get("accountId")
    for comment in record.comments:
        author = comment.get("author") or {}
        if (comment.get("jsdPublic", True) and author.get("accountType") != "customer"
                and author.get("accountId") != reporter):
            stops.append(to_ms(parse_jira_datetime(comment["created"])))
    stops = [s for s in stops if s <= now_ms]
    start = record.created_ms
    return [(start, max(min(stops), start) if stops else None)]


def _resolution_cycles(segments: list[Segment], now_ms: int) -> list[tuple[int, int | None]]:
    cycles: list[tuple[int, int | None]] = []
    start: int | None = None
    for segment in segments:
        if segment.category != "done" and start is None:
            start = segment.start
        elif segment.category == "done" and start is not None:
            cycles.append((start, segment.start))
            start = None
    if start is not None:
        cycles.append((start, None))
    return cycles


def _running_ms(segments: list[Segment], start: int, stop: int) -> int:
    return sum(max(0, min(s.end, stop) - max(s.start, start)) for s in segments if not s.paused)


def _reached_at(segments: list[Segment], start: int, goal: int) -> int | None:
    """The instant the clock, running from `start`, reached `goal` (None if it has not yet)."""
    left = goal
    for segment in segments:
        if segment.end <= start or segment.paused:
            continue
        begin = max(segment.start, start)
        if segment.end - begin >= left:
            return begin + left
        left -= segment.end - begin
    return None


def _completed(segments: list[Segment], start: int, stop: int, goal: int, zone: ZoneInfo) -> dict[str, Any]:
    elapsed = _running_ms(segments, start, stop)
    breached = elapsed > goal
    reached = _reached_at(segments, start, goal) if breached else None
    breach_time = reached if reached is not None else stop + (goal - elapsed)
    return {
        "startTime": date_dto(from_ms(start), zone),
        "stopTime": date_dto(from_ms(stop), zone),
        "breachTime": date_dto(from_ms(breach_time), zone),
        "breached": breached,
        "goalDuration": duration_dto(goal),
        "elapsedTime": duration_dto(elapsed),
        "remainingTime": duration_dto(goal - elapsed),
    }


def _ongoing(segments: list[Segment], start: int, now_ms: int, goal: int, zone: ZoneInfo) -> dict[str, Any]:
    elapsed = _running_ms(segments, start, now_ms)
    paused = segments[-1].paused
    cycle: dict[str, Any] = {"startTime": date_dto(from_ms(start), zone)}
    reached = _reached_at(segments, start, goal) if elapsed > goal else None
    if reached is not None:
        cycle["breachTime"] = date_dto(from_ms(reached), zone)
    elif not paused:
        cycle["breachTime"] = date_dto(from_ms(now_ms + goal - elapsed), zone)
    cycle.update({
        "breached": elapsed > goal,
        "paused": paused,
        "withinCalendarHours": True,
        "goalDuration": duration_dto(goal),
        "elapsedTime": duration_dto(elapsed),
        "remainingTime": duration_dto(goal - elapsed),
    })
    return cycle

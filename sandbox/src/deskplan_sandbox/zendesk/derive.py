"""What Zendesk derives from a ticket's audits: comments, metric sets, ticket events.

Audits are the source of truth (in Zendesk, comments and status changes are events of a ticket's audits),
so fixtures and generated data get the same derivations. All functions are pure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from typing import Any

from deskplan_sandbox.zendesk.render import METRIC_ID_BASE, epoch, iso, parse_iso

# How `via` reads in the ticket events export, which names channels instead of nesting objects.
VIA_LABEL = {"web": "Web form", "email": "Mail", "api": "API", "voice": "Voice", "chat": "Chat",
             "rule": "Rule", "sample_ticket": "Sample ticket", "native_messaging": "Messaging"}


def comments(audits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ticket's comments, as `GET /tickets/{id}/comments` lists them (oldest first)."""
    found = []
    for audit in audits:
        for event in audit.get("events", []):
            if event.get("type") in ("Comment", "VoiceComment"):
                comment = {k: v for k, v in event.items()}
                comment.setdefault("audit_id", audit.get("id"))
                comment["via"] = event.get("via", audit.get("via"))
                comment["created_at"] = audit.get("created_at")
                comment["metadata"] = audit.get("metadata", {"system": {}, "custom": {}})
                found.append(comment)
    return found


def _status_history(ticket: dict[str, Any], audits: list[dict[str, Any]]) -> list[tuple[datetime, str]]:
    history: list[tuple[datetime, str]] = []
    for audit in audits:
        for event in audit.get("events", []):
            if event.get("field_name") == "status" and event.get("type") in ("Create", "Change"):
                history.append((parse_iso(audit["created_at"]), event.get("value")))
    if not history:
        history.append((parse_iso(ticket["created_at"]), ticket.get("status", "new")))
    return history


def _minutes(start: datetime, end: datetime | None) -> dict[str, int | None]:
    # No schedule is configured in the sandbox, so business minutes equal calendar minutes.
    if end is None:
        return {"calendar": None, "business": None}
    value = max(int((end - start).total_seconds()) // 60, 0)
    return {"calendar": value, "business": value}


def metric_set(ticket: dict[str, Any], audits: list[dict[str, Any]], is_agent: Callable[[int], bool],
               now: datetime, base_url: str) -> dict[str, Any]:
    """The ticket_metric object Zendesk keeps per ticket (`include=metric_sets`)."""
    created = parse_iso(ticket["created_at"])
    requester = ticket.get("requester_id")
    history = _status_history(ticket, audits)
    first_reply = last_requester = last_agent = latest_comment = None
    replies = 0
    assignees: list[Any] = []
    groups: list[Any] = []
    assigned: list[datetime] = []
    first_comment_seen = False
    for audit in audits:
        at = parse_iso(audit["created_at"])
        for event in audit.get("events", []):
            if event.get("type") == "Comment":
                latest_comment = at
                author = event.get("author_id")
                if not first_comment_seen:
                    first_comment_seen = True          # the description is not a reply
                elif author != requester and is_agent(author):
                    last_agent = at
                    if event.get("public"):
                        replies += 1
                        first_reply = first_reply or at
                if author == requester:
                    last_requester = at
            elif event.get("field_name") == "assignee_id" and event.get("value") is not None:
                assignees.append(event.get("value"))
                assigned.append(at)
            elif event.get("field_name") == "group_id" and event.get("value") is not None:
                groups.append(event.get("value"))

    solves = [at for at, status in history if status == "solved"]
    reopens = sum(1 for (_, before), (_, after) in pairwise(history)
                  if before in ("solved",) and after in ("new", "open", "pending", "hold"))
    current = history[-1][1]
    resolved = current in ("solved", "closed")
    on_hold = pending = 0
    for (start, status), (end, _) in zip(history, history[1:] + [(now, None)], strict=True):
        seconds = max(int((end - start).total_seconds()), 0)
        if status == "hold":
            on_hold += seconds
        elif status == "pending":
            pending += seconds
    until_solved = int(((solves[-1] if solves else now) - created).total_seconds())
    status_updated = history[-1][0]
    updated = parse_iso(audits[-1]["created_at"]) if audits else parse_iso(ticket["updated_at"])
    metric_id = METRIC_ID_BASE + int(ticket["id"])
    return {
        "url": f"{base_url}/api/v2/ticket_metrics/{metric_id}.json",
        "id": metric_id,
        "ticket_id": ticket["id"],
        "created_at": iso(created),
        "updated_at": iso(updated),
        "group_stations": len(set(groups)) or (1 if ticket.get("group_id") else 0),
        "assignee_stations": len(set(assignees)) or (1 if ticket.get("assignee_id") else 0),
        "reopens": reopens,
        "replies": replies,
        "assignee_updated_at": iso(last_agent) if last_agent else None,
        "requester_updated_at": iso(last_requester) if last_requester else None,
        "status_updated_at": iso(status_updated),
        "initially_assigned_at": iso(assigned[0]) if assigned else None,
        "assigned_at": iso(assigned[-1]) if assigned else None,
        "solved_at": iso(solves[-1]) if resolved and solves else None,
        "latest_comment_added_at": iso(latest_comment) if latest_comment else None,
        "reply_time_in_minutes": _minutes(created, first_reply),
        "first_resolution_time_in_minutes": _minutes(created, solves[0] if solves else None),
        "full_resolution_time_in_minutes": _minutes(created, solves[-1] if resolved and solves else None),
        "agent_wait_time_in_minutes": _wait(pending, resolved),
        "requester_wait_time_in_minutes": _wait(until_solved - pending - on_hold, resolved),
        "on_hold_time_in_minutes": {"calendar": on_hold // 60, "business": on_hold // 60},
        "custom_status_updated_at": iso(status_updated),
    }


def _wait(seconds: int, resolved: bool) -> dict[str, int | None]:
    # Zendesk fills the wait times in when the ticket is solved.
    if not resolved:
        return {"calendar": None, "business": None}
    value = max(seconds, 0) // 60
    return {"calendar": value, "business": value}


def ticket_event(audit: dict[str, Any], include_comments: bool) -> dict[str, Any]:
    """One audit as `GET /incremental/ticket_events` shows it (fields as child events)."""
    channel = (audit.get("via") or {}).get("channel", "api")
    label = VIA_LABEL.get(channel, channel.replace("_", " ").capitalize())
    children = []
    for event in audit.get("events", []):
        kind = event.get("type")
        if kind == "Comment":
            if include_comments:
                child = {k: v for k, v in event.items()}
                child["via"] = audit.get("via")
                child["via_reference_id"] = None
                child["created_at"] = audit.get("created_at")
                child["event_type"] = "Comment"
            else:
                child = {"id": event.get("id"), "via": label, "via_reference_id": None,
                         "comment_present": True, "comment_public": bool(event.get("public")),
                         "event_type": "Comment"}
        elif kind in ("Create", "Change") and "field_name" in event:
            child = {"id": event.get("id"), "via": label, "via_reference_id": None,
                     event["field_name"]: event.get("value")}
            if kind == "Change":
                child["previous_value"] = event.get("previous_value")
                if event["field_name"] == "tags":
                    before, after = event.get("previous_value") or [], event.get("value") or []
                    child["added_tags"] = [t for t in after if t not in before]
                    child["removed_tags"] = [t for t in before if t not in after]
            child["event_type"] = kind
        else:
            child = {k: v for k, v in event.items() if k != "type"}
            child.update({"via": label, "via_reference_id": None, "event_type": kind})
        children.append(child)
    created = parse_iso(audit["created_at"])
    return {
        "id": audit.get("id"),
        "ticket_id": audit.get("ticket_id"),
        "timestamp": epoch(created),
        "created_at": audit.get("created_at"),
        "updater_id": audit.get("author_id"),
        "via": label,
        "system": (audit.get("metadata") or {}).get("system", {}),
        "metadata": (audit.get("metadata") or {}).get("custom", {}),
        "event_type": "Audit",
        "child_events": children,
    }

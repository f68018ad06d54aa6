"""What a write does to a ticket, as pure functions on Zendesk dicts: validation, the
ticket `POST /tickets` creates, the changes `PUT /tickets/{id}` makes, and the audit
events each writes (Zendesk's Tickets and Ticket Comments API reference). The store applies
the results and indexes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from deskplan_sandbox.zendesk.render import (
    BRAND_ID,
    CUSTOM_STATUS_ID,
    TICKET_FORM_ID,
    comment_event,
    comment_html,
    iso,
    parse_iso,
    ticket_url,
    via,
)

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = (None, "low", "normal", "high", "urgent")
TYPES = (None, "problem", "incident", "question", "task")
CHANGEABLE = ("subject", "status", "priority", "type", "assignee_id", "group_id", "organization_id", "requester_id",
              "external_id", "custom_fields")
# Body keys the API takes; others are dropped and named in x-zendesk-api-warn.
ACCEPTED = set(CHANGEABLE) | {"tags", "due_at", "comment", "safe_update", "updated_stamp", "metadata",
                              "additional_tags", "remove_tags",
                              "description"}      # accepted and ignored (it is the first comment), as recorded

Problems = dict[str, list[dict[str, Any]]]


def new_audit(audit_id: int, ticket_id: int, author_id: int, at: datetime, channel: str,
              metadata: dict[str, Any] | None) -> tuple[dict[str, Any], Iterator[int]]:
    """An empty audit and the ids for its events (they follow the audit's id)."""
    audit = {"id": audit_id, "ticket_id": ticket_id, "created_at": iso(at), "author_id": author_id,
             "metadata": {"system": {"client": "deskplan-sandbox", "ip_address": "127.0.0.1"},
                          "custom": metadata or {}},
             "events": [], "via": via(channel)}
    return audit, iter(range(audit_id + 1, audit_id + 100))


def comment_parts(comment: Any) -> tuple[str, str] | None:
    """(plain body, html body) of a comment given as text, `body` or `html_body`; None if blank."""
    if isinstance(comment, str):
        comment = {"body": comment}
    if not isinstance(comment, dict):
        return None
    if isinstance(comment.get("html_body"), str) and comment["html_body"].strip():
        return re.sub(r"<[^>]+>", "", comment["html_body"]).strip(), comment["html_body"]
    body = comment.get("body")
    if isinstance(body, str) and body.strip():
        return body, comment_html(body)
    return None


def problems(changes: dict[str, Any]) -> Problems:
    """RecordInvalid details for the values Zendesk would refuse, keyed by field."""
    found: Problems = {}
    if "status" in changes and changes["status"] not in STATUSES:
        found["status"] = [{"description": f"Status: {changes['status']} is not valid", "error": "InvalidValue"}]
    if "priority" in changes and changes["priority"] not in PRIORITIES:
        found["priority"] = [{"description": "Priority: is not valid", "error": "InvalidValue"}]
    if "type" in changes and changes["type"] not in TYPES:
        found["type"] = [{"description": "Type: is not valid", "error": "InvalidValue"}]
    if changes.get("due_at") is not None:
        try:
            parse_iso(str(changes["due_at"]))
        except ValueError:
            found["due_at"] = [{"description": "Due date: is invalid", "error": "InvalidValue"}]
    tags = changes.get("tags", [])
    if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        found["tags"] = [{"description": "Tags: is invalid", "error": "InvalidValue"}]
    if "comment" in changes and comment_parts(changes["comment"]) is None:
        found["comment"] = [{"description": "Comment: cannot be blank", "error": "BlankValue"}]
    return found


def ignored(fields: dict[str, Any]) -> tuple[str, ...]:
    return tuple(f"ticket.{key}" for key in fields if key not in ACCEPTED)


def new_ticket(ticket_id: int, fields: dict[str, Any], *, author_id: int, requester_org: int | None,
               at: datetime, base_url: str, channel: str,
               audit: dict[str, Any], ids: Iterator[int]) -> dict[str, Any]:
    """The ticket `POST /tickets` makes from `fields` (validated), filling `audit` with its events."""
    comment = fields.get("comment")
    if comment is None:
        comment = {"body": fields.get("description")}
    if not isinstance(comment, dict):
        comment = {"body": comment}
    parts = comment_parts(comment)
    assert parts is not None        # validated: create_ticket refuses a blank comment or description
    body, html_body = parts
    public = bool(comment.get("public", True))
    requester_id = int(fields.get("requester_id") or author_id)
    status = fields.get("status") or ("open" if fields.get("assignee_id") else "new")
    subject = fields.get("subject") or body.splitlines()[0][:80]
    doc = {
        "url": ticket_url(base_url, ticket_id), "id": ticket_id,
        "external_id": fields.get("external_id"), "via": via(channel),
        "created_at": iso(at), "updated_at": iso(at),
        "type": fields.get("type"), "subject": subject, "raw_subject": subject, "description": body,
        "priority": fields.get("priority"), "status": status, "recipient": None,
        "requester_id": requester_id, "submitter_id": author_id, "assignee_id": fields.get("assignee_id"),
        "organization_id": fields.get("organization_id", requester_org), "group_id": fields.get("group_id"),
        "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [], "forum_topic_id": None,
        "problem_id": None, "has_incidents": False, "is_public": public,
        "due_at": iso(parse_iso(str(fields["due_at"]))) if fields.get("due_at") else None,
        "tags": list(fields.get("tags") or []), "custom_fields": list(fields.get("custom_fields") or []),
        "satisfaction_rating": {"score": "unoffered"}, "sharing_agreement_ids": [],
        "custom_status_id": CUSTOM_STATUS_ID[status], "fields": list(fields.get("custom_fields") or []),
        "followup_ids": [], "ticket_form_id": TICKET_FORM_ID, "brand_id": BRAND_ID,
        "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": False,
    }
    event = comment_event(next(ids), audit["id"], author_id, body, public)
    event["html_body"] = html_body
    created: list[tuple[str, Any]] = [("subject", subject), ("requester_id", str(requester_id)),
                                      ("priority", doc["priority"]), ("type", doc["type"]), ("status", status)]
    created += [(k, doc[k]) for k in ("tags", "due_at") if doc[k]]
    created += [(k, str(doc[k])) for k in ("group_id", "assignee_id", "organization_id") if doc[k]]
    created += [("brand_id", str(BRAND_ID)), ("ticket_form_id", str(TICKET_FORM_ID)),
                ("custom_status_id", str(CUSTOM_STATUS_ID[status]))]
    audit["events"] = [event] + [{"id": next(ids), "type": "Create", "value": v, "field_name": k} for k, v in created]
    return doc


def _shown(name: str, value: Any) -> Any:
    # Audits show ids as strings, as recorded.
    return str(value) if name.endswith("_id") and value is not None else value


def apply_update(doc: dict[str, Any], changes: dict[str, Any], *, author_id: int,
                 audit: dict[str, Any], ids: Iterator[int]) -> dict[str, Any]:
    """The ticket after `PUT /tickets/{id}` with `changes` (validated); `audit` gets the events."""
    doc = dict(doc)
    events: list[dict[str, Any]] = []
    if "comment" in changes:
        comment = changes["comment"] if isinstance(changes["comment"], dict) else {"body": changes["comment"]}
        parts = comment_parts(comment)
        assert parts is not None    # validated: `problems` reports a blank comment
        body, html_body = parts
        public = bool(comment.get("public", True))
        event = comment_event(next(ids), audit["id"], int(comment.get("author_id") or author_id), body, public)
        event["html_body"] = html_body
        events.append(event)
        doc["is_public"] = bool(doc.get("is_public")) or public
    wanted = {k: changes[k] for k in CHANGEABLE if k in changes}
    tags = list(changes["tags"]) if "tags" in changes else list(doc.get("tags") or [])
    tags += [t for t in changes.get("additional_tags") or [] if t not in tags]
    tags = [t for t in tags if t not in (changes.get("remove_tags") or [])]
    if tags != list(doc.get("tags") or []):
        wanted["tags"] = tags
    if "due_at" in changes:
        wanted["due_at"] = iso(parse_iso(str(changes["due_at"]))) if changes["due_at"] else None
    for name, value in wanted.items():
        if doc.get(name) == value:
            continue
        events.append({"id": next(ids), "type": "Change", "value": _shown(name, value), "field_name": name,
                       "previous_value": _shown(name, doc.get(name))})
        doc[name] = value
        if name == "subject":
            doc["raw_subject"] = value
        elif name == "status":
            doc["custom_status_id"] = CUSTOM_STATUS_ID[value]
        elif name == "custom_fields":
            doc["fields"] = value
    audit["events"] = events
    return doc


def rating(rating_id: int, ticket: dict[str, Any], score: str, comment: str | None, *, created_at: str,
           at: datetime, base_url: str) -> dict[str, Any]:
    return {
        "url": f"{base_url}/api/v2/satisfaction_ratings/{rating_id}.json", "id": rating_id,
        "assignee_id": ticket.get("assignee_id"), "group_id": ticket.get("group_id"),
        "requester_id": ticket.get("requester_id"), "ticket_id": ticket["id"], "score": score,
        "created_at": created_at, "updated_at": iso(at), "comment": comment,
        "reason": "No reason provided", "reason_id": 0,
    }

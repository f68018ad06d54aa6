"""Small builders for Zendesk payloads in the API's own shapes (tests only)."""

from __future__ import annotations

from typing import Any

SITE = "https://acme.zendesk.com"


def ticket(id: int, *, status: str = "open", created_at: str = "2026-03-02T09:00:00Z",
           updated_at: str | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "url": f"{SITE}/api/v2/tickets/{id}.json", "id": id, "external_id": None,
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": created_at, "updated_at": updated_at or created_at, "type": None,
        "subject": f"Ticket {id}", "raw_subject": f"Ticket {id}", "description": "", "priority": None,
        "status": status, "requester_id": 100, "submitter_id": 100, "assignee_id": None,
        "organization_id": None, "group_id": None, "tags": [], "custom_fields": [],
        "satisfaction_rating": None, "generated_timestamp": 0, **fields,
    }


def export_page(items: list[dict], *, key: str = "tickets", after_cursor: str | None,
                end_of_stream: bool) -> dict[str, Any]:
    after_url = f"{SITE}/api/v2/incremental/{key}/cursor.json?cursor={after_cursor}" if after_cursor else None
    return {key: items, "after_url": after_url, "after_cursor": after_cursor, "before_url": None,
            "before_cursor": None, "end_of_stream": end_of_stream}


def events_page(events: list[dict], *, end_time: int, end_of_stream: bool) -> dict[str, Any]:
    return {"ticket_events": events, "count": len(events), "end_of_stream": end_of_stream,
            "next_page": f"{SITE}/api/v2/incremental/ticket_events.json?start_time={end_time}",
            "end_time": end_time}


def ticket_event(id: int, ticket_id: int, at: str, *children: dict, updater_id: int = 100) -> dict[str, Any]:
    return {"id": id, "ticket_id": ticket_id, "timestamp": 0, "created_at": at, "updater_id": updater_id,
            "via": "Web form", "event_type": "Audit", "child_events": list(children)}


def created(id: int, status: str = "new") -> dict[str, Any]:
    return {"id": id, "via": "Web form", "via_reference_id": None, "status": status, "event_type": "Create"}


def changed(id: int, status: str, previous: str) -> dict[str, Any]:
    return {"id": id, "via": "Web form", "via_reference_id": None, "status": status,
            "previous_value": previous, "event_type": "Change"}


def comment(id: int, author: int, body: str, *, public: bool = True) -> dict[str, Any]:
    return {"id": id, "via": "Web form", "via_reference_id": None, "type": "Comment", "author_id": author,
            "body": body, "html_body": f"<p>{body}</p>", "public": public, "attachments": [],
            "event_type": "Comment"}


def rating(id: int, ticket_id: int, score: str, *, created_at: str, updated_at: str | None = None,
           comment: str | None = None) -> dict[str, Any]:
    return {"url": f"{SITE}/api/v2/satisfaction_ratings/{id}.json", "id": id, "assignee_id": 200,
            "group_id": None, "requester_id": 100, "ticket_id": ticket_id, "score": score, "comment": comment,
            "created_at": created_at, "updated_at": updated_at or created_at}


def ratings_page(ratings: list[dict], *, after_cursor: str | None, has_more: bool) -> dict[str, Any]:
    return {"satisfaction_ratings": ratings,
            "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": None},
            "links": {"prev": None, "next": f"{SITE}/api/v2/satisfaction_ratings.json?page[after]={after_cursor}"}}


def user(id: int, role: str) -> dict[str, Any]:
    return {"id": id, "url": f"{SITE}/api/v2/users/{id}.json", "name": f"User {id}", "role": role,
            "email": f"u{id}@example.com", "active": True}

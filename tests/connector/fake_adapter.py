"""An in-memory adapter over the protocol, for testing the store and the sync loop alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from deskplan.errors import BadPayload, ServerError
from deskplan.model import EventKind, Status, Ticket, TimelineEvent
from deskplan.state.records import Page, Quarantined, Record, Related


def raw_ticket(n: int, updated: int, status: str = "open", **extra: Any) -> dict[str, Any]:
    return {"id": n, "subject": f"ticket {n}", "status": status, "updated": updated, **extra}


class FakeAdapter:
    """Serves `tickets` (raw dicts with an `updated` counter) as one stream, pages of `page_size`."""

    streams = ("tickets", "events")
    own_user: str | None = None        # a fake helpdesk names no user of its own

    def __init__(self, source: str, tickets: list[dict[str, Any]], events: list[dict[str, Any]] = (),
                 page_size: int = 2, fail_after_pages: int | None = None):
        self.source = source
        self.tickets = tickets
        self.events = list(events)
        self.page_size = page_size
        self.fail_after_pages = fail_after_pages
        self.requests = 0

    def check(self) -> None:
        self.requests += 1

    def pull(self, stream: str, cursor: dict[str, Any] | None) -> Iterator[Page]:
        since = (cursor or {}).get("updated", -1)
        items = self.tickets if stream == "tickets" else self.events
        todo = sorted((t for t in items if t["updated"] > since), key=lambda t: t["updated"])
        if not todo:
            self.requests += 1
            yield Page(stream, [], {"updated": since}, done=True)
            return
        for start in range(0, len(todo), self.page_size):
            if self.fail_after_pages is not None and start // self.page_size >= self.fail_after_pages:
                raise ServerError("503 after retries", source=self.source, where="GET /fake", status=503)
            self.requests += 1
            chunk = todo[start:start + self.page_size]
            good = [t for t in chunk if "id" in t]
            records = [
                Record("ticket", str(t["id"]), str(t["id"]), t) if stream == "tickets"
                else Record("event", str(t["event_id"]), str(t["id"]), t)
                for t in good
            ]
            bad = [Quarantined(ref="unknown", error="no id", payload=str(t)) for t in chunk if "id" not in t]
            yield Page(stream, records, {"updated": chunk[-1]["updated"]},
                       done=start + self.page_size >= len(todo), quarantined=bad)

    def build(self, ticket: Record, related: Related) -> Ticket:
        data = ticket.data
        if data.get("status") == "broken":
            raise BadPayload("status 'broken' is not a status", source=self.source, ref=ticket.id)
        t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
        events = [TimelineEvent(at=t0, kind=EventKind.STATUS, status=Status.NEW)]
        events += [TimelineEvent(at=t0, kind=EventKind.INTERNAL_NOTE, id=e.id, body=e.data["body"])
                   for e in sorted(related.events, key=lambda e: e.id)]
        return Ticket(source=self.source, id=ticket.id, key=str(data.get("key", ticket.id)), subject=data["subject"],
                      status=Status(data["status"]), created_at=t0, updated_at=t0, timeline=tuple(events))

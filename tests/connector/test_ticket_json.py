"""The canonical ticket's stored JSON (model.ticket_json) reads back into an equal ticket."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import orjson

from deskplan.model import EventKind, Score, Status, Ticket, TimelineEvent, ticket_json

from ..generated_tickets import generated_tickets


def test_generated_tickets_read_back_equal_and_as_pydantic_would_read_its_own_json():
    tickets = generated_tickets(300, seed=11)
    assert {e.kind for t in tickets for e in t.timeline} == set(EventKind)
    for ticket in tickets:
        text = ticket_json(ticket)
        assert Ticket.model_validate_json(text) == ticket
        assert orjson.loads(text) == orjson.loads(ticket.model_dump_json().replace("Z\"", "+00:00\""))


def test_unusual_values_read_back_equal():
    at = datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=timezone.utc)
    ticket = Ticket(
        source="zd", id="1", key="1", status=Status.SOLVED, created_at=at, updated_at=at + timedelta(hours=1),
        solved_at=at, subject='引号 "quoted" \\ back\nslash \u2028', tags=("a", "b"),
        custom={"360001": 2**63 - 1, "360002": [1.5, None, True], "360003": {"nested": "客服"}},
        satisfaction={"score": Score.BAD, "comment": None, "at": at},
        timeline=(TimelineEvent(at=at, kind=EventKind.STATUS, status=Status.OPEN),
                  TimelineEvent(at=at, kind=EventKind.RATING, score=Score.GOOD, id="rating-1", by_deskplan=True)),
    )
    assert Ticket.model_validate_json(ticket_json(ticket)) == ticket


def test_a_value_orjson_cannot_write_falls_back_to_pydantic():
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ticket = Ticket(source="zd", id="1", key="1", status=Status.OPEN, created_at=at, updated_at=at,
                    custom={"big": 2**70})
    assert Ticket.model_validate_json(ticket_json(ticket)) == ticket
    assert ticket_json(ticket) == ticket.model_dump_json()

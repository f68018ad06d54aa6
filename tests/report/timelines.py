"""Hand-built canonical tickets for the report tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

from deskplan.model import EventKind, Satisfaction, Score, Status, Ticket, TimelineEvent

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)       # a Monday
_numbers = count(1)


def at(hours: float = 0, base: datetime = T0) -> datetime:
    return base + timedelta(hours=hours)


def status(hours: float, to: Status, base: datetime = T0) -> TimelineEvent:
    return TimelineEvent(at=at(hours, base), kind=EventKind.STATUS, status=to)


def reply(hours: float, base: datetime = T0, *, by_deskplan: bool = False) -> TimelineEvent:
    return TimelineEvent(at=at(hours, base), kind=EventKind.PUBLIC_REPLY, author="agent", body="reply",
                         by_deskplan=by_deskplan)


def note(hours: float, base: datetime = T0, *, by_deskplan: bool = False) -> TimelineEvent:
    return TimelineEvent(at=at(hours, base), kind=EventKind.INTERNAL_NOTE, author="agent", body="note",
                         by_deskplan=by_deskplan)


def requester(hours: float, base: datetime = T0) -> TimelineEvent:
    return TimelineEvent(at=at(hours, base), kind=EventKind.REQUESTER_COMMENT, author="customer", body="hello")


def rating(hours: float, score: Score, base: datetime = T0) -> TimelineEvent:
    return TimelineEvent(at=at(hours, base), kind=EventKind.RATING, score=score)


def ticket(*events: TimelineEvent, created: datetime = T0, satisfaction: tuple[float, Score] | None = None,
           **fields) -> Ticket:
    number = next(_numbers)
    timeline = (TimelineEvent(at=created, kind=EventKind.STATUS, status=Status.NEW),) + events
    statuses = [e.status for e in timeline if e.kind is EventKind.STATUS]
    sat = None
    if satisfaction is not None:
        sat = Satisfaction(score=satisfaction[1], at=at(satisfaction[0], created))
    last = max(e.at for e in timeline)
    defaults = dict(source="zd", id=str(number), key=str(number), subject="help", status=statuses[-1],
                    created_at=created, updated_at=last, satisfaction=sat, timeline=timeline)
    defaults.update(fields)
    return Ticket(**defaults)

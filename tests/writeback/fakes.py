"""An in-memory helpdesk writer for testing the ledger, planner and apply step alone.

It keeps comments per ticket and tasks by key, and can lose the answer to a write after
applying it, refuse a write, or fail a lookup: the cases exactly-once must survive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from deskplan.effects import PlannedWrite, WriteKind
from deskplan.errors import RateLimited, RequestRejected, ServerError
from deskplan.model import Status, Ticket
from deskplan.rules.engine import PlannedTask
from deskplan.rules.sla import SlaClock, SlaState
from deskplan.state.ledger import Ledger
from deskplan.state.store import Store
from deskplan.writes.planner import Assessment, MeasureInfo

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
SECRET = "0f" * 16                  # the installation's secret the planner keys writes under


@dataclass
class FakeWriter:
    source: str = "zd"
    ticket_update_limit: tuple[int, float] | None = None
    immediate: bool = True
    comments: dict[str, list[tuple[str, str]]] = field(default_factory=dict)   # ticket -> [(id, body)]
    tasks: dict[str, str] = field(default_factory=dict)                         # remote id -> body
    lose_answers: int = 0          # the next N writes are applied, then their answer is lost
    drop_before: int = 0           # the next N writes fail before they are applied
    reject: bool = False
    rate_limited: bool = False
    lookup_fails: bool = False
    sent: list[str] = field(default_factory=list)   # keys, one per apply call
    completed: list[str] = field(default_factory=list)
    requests: int = 0

    def apply(self, write: PlannedWrite, previous_remote_id: str | None) -> str:
        self.requests += 1
        self.sent.append(write.key)
        if self.rate_limited:
            raise RateLimited("rate limited", source=self.source, status=429)
        if self.reject:
            raise RequestRejected("request rejected (RecordInvalid)", source=self.source, status=422)
        if self.drop_before:
            self.drop_before -= 1
            raise ServerError("server error", source=self.source, status=503)
        remote = self._store(write)
        if self.lose_answers:
            self.lose_answers -= 1
            raise ServerError("the response body was cut off", source=self.source)
        return remote

    def _store(self, write: PlannedWrite) -> str:
        if write.kind is WriteKind.COMMENT:
            notes = self.comments.setdefault(write.ticket_id, [])
            notes.append((f"c{len(notes) + 1}", write.body))
            return notes[-1][0]
        remote = f"t{len(self.tasks) + 1}"
        self.tasks[remote] = write.body
        return remote

    def find_effect(self, write: PlannedWrite, previous_remote_id: str | None) -> str | None:
        self.requests += 1
        if self.lookup_fails:
            raise ServerError("server error", source=self.source, status=500)
        if write.kind is WriteKind.COMMENT:
            for remote, body in self.comments.get(write.ticket_id, []):
                if write.marker in body:
                    return remote
            return None
        return next((r for r, body in self.tasks.items() if write.marker in body), None)

    def complete(self, write: PlannedWrite, remote_id: str) -> None:
        self.completed.append(remote_id)

    def lookup_is_immediate(self, write: PlannedWrite) -> bool:
        return self.immediate

    def count(self, marker: str) -> int:
        bodies = [b for notes in self.comments.values() for _, b in notes] + list(self.tasks.values())
        return sum(1 for b in bodies if marker in b)


def ticket(n: int = 1, status: Status = Status.OPEN, **kw) -> Ticket:
    return Ticket(source="zd", id=str(n), key=str(n), subject=f"ticket {n}", status=status,
                  created_at=T0, updated_at=T0, **kw)


def clock(kind: str = "first_reply", state: str = "on_track", *, target_h: float = 4, elapsed_m: int = 30,
          rule: str = "urgent-vip") -> SlaClock:
    target = timedelta(hours=target_h)
    elapsed = timedelta(minutes=elapsed_m)
    return SlaClock(kind=kind, target=target, calendar="support-hours", rule_id=rule, started_at=T0,
                    due=T0 + target, elapsed=elapsed, remaining=max(target - elapsed, timedelta(0)),
                    state=SlaState(state), stopped_at=None, paused=False)


M2 = MeasureInfo(id="M2", title="24-hour support rota", owner="customer service", rule_ids=("urgent-vip",))


def assessment(n: int = 1, *, state: str = "on_track", tasks: tuple[PlannedTask, ...] = (), **kw) -> Assessment:
    return Assessment(ticket=ticket(n, **kw), measures=(M2,), clocks=(clock(state=state),), tasks=tasks,
                      plan_id="sip-2026")


FOLLOW_UP = PlannedTask(rule_id="bad-rating-follow-up", title="Follow up on the rating of 1", body="Call back.",
                        owner="Marketing", measure="M3", due_at=T0 + timedelta(hours=48), trigger=T0)


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    """A ledger on an in-memory state file (import it as a fixture)."""
    store = Store.open(":memory:")
    yield Ledger(store)
    store.close()


def settle(ledger: Ledger, writes: Iterable[PlannedWrite]) -> None:
    """Record writes as applied, as the apply step would."""
    for w in writes:
        ledger.begin(w)
        ledger.done(w, f"remote-{w.key[:4]}")

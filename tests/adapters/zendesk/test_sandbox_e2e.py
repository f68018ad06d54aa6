"""The adapter against the Zendesk simulator over real HTTP on loopback.

Counts are checked two ways: the adapter's own request counter, and the simulator's log
(one line per request), and compared with the fewest pages the delivered data needs.
"""

from __future__ import annotations

import io
import json
import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest
import requests

from deskplan.adapters.zendesk import create_adapter
from deskplan.config import SourceConfig
from deskplan.model import EventKind
from deskplan.state.records import Related
from deskplan.transport.http import HttpClient
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import create_app

from ..simtime import SimTime

EMAIL, TOKEN = "bot@acme.test", "sandbox-token"
START = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
PAGE_SIZE = {"users": 1000, "tickets": 1000, "ticket_events": 1000, "satisfaction_ratings": 100}
LIST_KEY = {"users": "users", "tickets": "tickets", "ticket_events": "ticket_events",
            "satisfaction_ratings": "satisfaction_ratings"}


class Delivered:
    """Counts the items each stream's responses carried (a requests response hook)."""

    def __init__(self) -> None:
        self.items: Counter[str] = Counter()
        self.retry_after: list[float] = []

    def __call__(self, response: requests.Response, *args, **kwargs) -> None:
        if response.status_code == 429:
            self.retry_after.append(float(response.headers["Retry-After"]))
        if response.status_code != 200:
            return
        for stream, marker in (("users", "/incremental/users/"), ("tickets", "/incremental/tickets/"),
                               ("ticket_events", "/incremental/ticket_events"),
                               ("satisfaction_ratings", "/satisfaction_ratings.json")):
            if marker in response.url:
                self.items[stream] += len(json.loads(response.content)[LIST_KEY[stream]])


class World:
    def __init__(self, tickets: int, *, rate_limit: int = 0, faults: float = 0.0, monkeypatch):
        self.time = SimTime(START)
        self.log = io.StringIO()
        self.app = create_app(email=EMAIL, token=TOKEN, tickets=tickets, seed=11, rate_limit=rate_limit,
                              faults=faults, now=self.time, log=self.log)
        self.server = SandboxServer(self.app).start()
        self.delivered = Delivered()
        session = requests.Session()
        session.hooks["response"].append(self.delivered)
        self.config = SourceConfig(name="zd", kind="zendesk", url=self.server.url, email=EMAIL, token_env="ZD")
        self.adapter = create_adapter(self.config, TOKEN, sleep=self.time.sleep, clock=self.time.monotonic,
                                      session=session)
        self.records: dict[tuple[str, str], object] = {}
        self.cursors: dict[str, dict | None] = defaultdict(lambda: None)
        self._monkeypatch = monkeypatch
        monkeypatch.setenv("DESKPLAN_NOW", START.isoformat())

    def advance(self, minutes: float) -> None:
        self.time.now += timedelta(minutes=minutes)
        self._monkeypatch.setenv("DESKPLAN_NOW", self.time.now.isoformat())

    def sync(self) -> dict[str, list]:
        """One sync as the connector runs it: check, then every stream from its stored cursor."""
        self.adapter.check()
        pulled: dict[str, list] = {}
        for stream in self.adapter.streams:
            pulled[stream] = []
            for page in self.adapter.pull(stream, self.cursors[stream]):
                for record in page.records:
                    self.records[(record.kind, record.id)] = record
                pulled[stream].extend(page.records)
                self.cursors[page.stream] = page.cursor
        return pulled

    def build(self, ticket_id: str):
        related = [r for r in self.records.values() if r.ticket_id == ticket_id]
        users = {rid: r.data for (kind, rid), r in self.records.items() if kind == "user"}
        return self.adapter.build(
            self.records[("ticket", ticket_id)],
            Related(events=[r for r in related if r.kind == "event"],
                    ratings=[r for r in related if r.kind == "rating"], user=users.get,
                    record=lambda kind, rid: getattr(self.records.get((kind, rid)), "data", None)),
        )

    def logged_requests(self) -> int:
        return len(self.log.getvalue().splitlines())

    def close(self) -> None:
        self.server.stop()


@pytest.fixture
def world(monkeypatch):
    worlds: list[World] = []

    def make(tickets: int, **kw) -> World:
        worlds.append(World(tickets, monkeypatch=monkeypatch, **kw))
        return worlds[-1]

    yield make
    for w in worlds:
        w.close()


def test_a_full_sync_builds_every_generated_ticket_with_the_fewest_pages(world):
    w = world(400)

    pulled = w.sync()

    tickets = [r.id for r in pulled["tickets"] if r.kind == "ticket"]
    assert len(tickets) == len(set(tickets)) == 400
    built = [w.build(tid) for tid in tickets]
    assert len(built) == 400
    # Group and organization names came side-loaded with the tickets (no request of their own).
    story = {t.number: t for t in generate_scenario(400, 11, START).tickets}
    assert [(t.group, t.organization) for t in built] == [
        (story[int(t.id)].group, story[int(t.id)].organization) for t in built]
    assert {r.data["name"] for r in pulled["tickets"] if r.kind == "group"} == {
        "Support", "Billing", "Technical", "Logistics", "华东客服"}
    assert all(t.timeline and t.timeline[0].kind is EventKind.STATUS for t in built if not t.deleted)
    kinds = Counter(e.kind for t in built for e in t.timeline)
    assert all(kinds[k] > 0 for k in EventKind)
    # Every rating record is on its ticket's timeline; satisfaction is the latest one.
    assert sum(1 for t in built if t.satisfaction) == len({r.ticket_id for r in pulled["satisfaction_ratings"]})

    fewest = 1 + sum(max(1, math.ceil(w.delivered.items[s] / PAGE_SIZE[s])) for s in w.adapter.streams)
    assert w.adapter.requests == fewest          # 1 credential check + the pages the data needs
    assert w.logged_requests() == w.adapter.requests


def test_a_second_sync_with_nothing_changed_asks_once_per_stream(world):
    w = world(200)
    w.sync()
    w.advance(5)
    before = w.adapter.requests

    pulled = w.sync()

    assert w.adapter.requests - before == 1 + len(w.adapter.streams)
    assert [r.id for r in pulled["tickets"]] == []


def test_after_50_tickets_change_the_next_sync_pulls_exactly_those_50(world):
    w = world(300)
    w.sync()
    w.advance(2)
    writer = HttpClient(w.server.url, auth=(f"{EMAIL}/token", TOKEN), source="zd")
    # Closed tickets cannot be updated (422, as in Zendesk): comment on every other one,
    # and open new tickets to make up fifty changes.
    open_ones = sorted(int(r.id) for (kind, _), r in w.records.items() if kind == "ticket"
                       and r.data["status"] not in ("closed", "deleted"))[:50]
    for tid in open_ones:
        writer.send("PUT", f"/api/v2/tickets/{tid}.json", retry="never",
                    json={"ticket": {"comment": {"body": f"Follow-up on {tid}", "public": True}}})
    opened = [writer.send("POST", "/api/v2/tickets.json", retry="never",
                          json={"ticket": {"subject": f"New {n}", "comment": {"body": "Printer jammed"}}}
                          ).json["ticket"]["id"] for n in range(50 - len(open_ones))]
    w.advance(2)                                  # past the export's one-minute hold-back

    pulled = w.sync()

    changed = sorted(open_ones + opened)
    assert len(changed) == 50 and open_ones
    assert sorted(int(r.id) for r in pulled["tickets"] if r.kind == "ticket") == changed
    assert sorted({int(r.ticket_id) for r in pulled["ticket_events"]}) == changed
    for tid in open_ones:
        last = w.build(str(tid)).timeline[-1]
        assert (last.kind, last.body) == (EventKind.PUBLIC_REPLY, f"Follow-up on {tid}")
    # Opened through the API without a requester: the API user is the requester.
    fresh = w.build(str(opened[0]))
    assert (fresh.description, [e.kind for e in fresh.timeline]) == (
        "Printer jammed", [EventKind.STATUS, EventKind.REQUESTER_COMMENT])


def test_under_the_incremental_rate_limit_the_sync_waits_as_told_and_completes(world):
    w = world(300, rate_limit=1)                  # one export request a minute

    pulled = w.sync()

    assert len({r.id for r in pulled["tickets"] if r.kind == "ticket"}) == 300
    assert len(w.delivered.retry_after) >= 2
    assert len(w.time.slept) == len(w.delivered.retry_after)
    assert all(slept >= asked for slept, asked in zip(w.time.slept, w.delivered.retry_after, strict=True))


def test_with_injected_faults_a_sync_still_gets_every_ticket_and_event(world):
    clean = world(300)
    expected = clean.sync()
    faulty = world(300, faults=0.25)

    got = faulty.sync()

    for stream in ("tickets", "ticket_events", "satisfaction_ratings", "users"):
        assert {r.id for r in got[stream]} == {r.id for r in expected[stream]}, stream
    assert "fault:" in faulty.log.getvalue()
    assert faulty.adapter.requests > clean.adapter.requests

"""A helpdesk simulator in its own process, so that its CPU never counts as deskplan's.

`Simulator(kind, tickets=N)` starts a child process that generates N tickets, serves them on
loopback and then answers commands over a pipe: move its clock on, change a share of the
tickets the way a helpdesk's users would (an internal comment each), report how many items
each export holds (the floor a client's requests are measured against), and how many
requests it served. The simulator's clock starts at NOW and runs with the real time (rate
windows need a running clock), plus whatever `advance` added.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
EMAIL = "bench@acme.test"
TOKEN = "bench-token"


class RunningClock:
    """NOW + real time elapsed since the start + the jumps `advance` made."""

    def __init__(self, start: datetime):
        self.start = start
        self.origin = time.monotonic()
        self.offset = 0.0

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.origin + self.offset)


# a path segment naming one object (an issue key, a numeric id): one endpoint for all of them
OBJECT_SEGMENT = re.compile(r"(?<!/api)/(?:[A-Za-z][A-Za-z0-9_]*-\d+|\d+)(?=/|$)")      # (not the API version)


def endpoint(method: str, target: str) -> str:
    """`METHOD /path/{id}/...`: the request's endpoint, as the rate limits count them."""
    path = target.split("?", 1)[0].removesuffix(".json")
    return f"{method} {OBJECT_SEGMENT.sub('/{id}', path)}"


class RequestTally:
    """The simulator's request log (one line per request), counted instead of kept."""

    def __init__(self) -> None:
        self.lines = 0
        self.by_status: dict[str, int] = {}
        self.by_endpoint: dict[str, int] = {}       # requests served (not refused with 429) per endpoint

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self.lines += 1
                method, target, status = (line.split(" ", 2) + ["", ""])[:3]
                self.by_status[status] = self.by_status.get(status, 0) + 1
                if status != "429":          # served: what the limits let through
                    key = endpoint(method, target)
                    self.by_endpoint[key] = self.by_endpoint.get(key, 0) + 1
        return len(text)

    def flush(self) -> None:
        pass


def _story(tickets: int, seed: int, open_half: bool, now: datetime):
    """The generator's story; with `open_half`, the write-back tests' variant in which every
    other ticket is still unsolved (so that status comments are due on half the tickets)."""
    if open_half:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.writeback.harness import scenario  # the write-back tests' rig

        return scenario(tickets, seed)
    from deskplan_sandbox.generate import generate_scenario

    return generate_scenario(tickets, seed, now)


def _zendesk_app(story, seed: int, clock, log, rate_limit: int, rate_window: float, limits: dict[str, Any]):
    from deskplan_sandbox.server import FaultInjector
    from deskplan_sandbox.zendesk import ZendeskSimulator, ZendeskStore

    store = ZendeskStore(clock)
    store.load_scenario(story)
    return ZendeskSimulator(store=store, email=EMAIL, token=TOKEN, clock=clock, faults=FaultInjector(0.0, seed),
                            rate_limit=rate_limit, rate_window=rate_window, log=log, **limits)


def _jira_app(story, seed: int, clock, log, rate_limit: int, rate_window: float, limits: dict[str, Any]):
    from deskplan_sandbox.jira import create_app

    return create_app(email=EMAIL, token=TOKEN, scenario=story, seed=seed, now=clock, log=log,
                      rate_limit=rate_limit, rate_window=rate_window, **limits)


def _pages(items: int, size: int) -> int:
    return max(1, math.ceil(items / size))


def _zendesk_floor(app, since: float | None) -> dict[str, Any]:
    """Items each stream holds past `since` (epoch seconds; None: everything) up to the held-back
    minute, and the fewest pages that carry them: one request per stream at least."""
    from deskplan.adapters.zendesk.client import EXPORT_PAGE_SIZE, LIST_PAGE_SIZE
    from deskplan_sandbox.zendesk.render import epoch

    store = app.store
    until = epoch(app.clock()) - 60
    after = -1 if since is None else since
    with store._lock:
        users = sum(1 for t, _ in store._users_by_updated if after < t <= until)
        tickets = sum(1 for t, _ in store._by_generated if after < t <= until)
        if store._event_times is None:
            store._build_event_index()
        events = sum(1 for t in store._event_times if after < t <= until)
        ratings = sum(1 for t, rid in store._ratings_by_updated
                      if after < t and (store.rating(rid) or {}).get("score") in ("good", "bad"))
    pages = {"users_me": 1, "users": _pages(users, EXPORT_PAGE_SIZE), "tickets": _pages(tickets, EXPORT_PAGE_SIZE),
             "ticket_events": _pages(events, EXPORT_PAGE_SIZE),
             "satisfaction_ratings": _pages(ratings, LIST_PAGE_SIZE)}
    return {"items": {"users": users, "tickets": tickets, "ticket_events": events, "satisfaction_ratings": ratings},
            "pages": pages, "minimum": sum(pages.values()),
            # the pages that count against the incremental-export limit (10 a minute)
            "limited_pages": pages["users"] + pages["tickets"] + pages["ticket_events"]}


def _jira_floor(app, since: float | None) -> dict[str, Any]:
    """`/myself` and the field catalog, one search page per 100 issues updated past `since`,
    the changelog and comment pages the search leaves out (issues with more than 20 of
    either inline), and one `/feedback` call per bad rating (the adapter's default mode
    fetches the comment of bad ratings only)."""
    from deskplan.adapters.jira.client import DETAIL_PAGE_SIZE, SEARCH_PAGE_SIZE

    inline = 20
    store = app.store
    feedback_field = store.field_ids.feedback
    after = -1 if since is None else since * 1000
    with store.lock:
        records = [r for r in store.records() if r.project_key == "SUP" and r.updated_ms > after]
        detail = sum(math.ceil(max(len(r.histories) - inline, 0) / DETAIL_PAGE_SIZE)
                     + math.ceil(max(len(r.comments) - inline, 0) / DETAIL_PAGE_SIZE) for r in records)
        bad = sum(1 for r in records
                  if isinstance(r.fields.get(feedback_field), dict) and r.fields[feedback_field].get("rating", 5) < 4)
    search = _pages(len(records), SEARCH_PAGE_SIZE)
    pages = {"myself": 1, "fields": 1, "search": search, "detail": detail, "feedback": bad}
    return {"items": {"issues": len(records)}, "pages": pages, "minimum": sum(pages.values()),
            "limited_pages": sum(pages.values())}


def _change(kind: str, app, clock, share: float, seed: int) -> int:
    """An internal comment on `share` of the live tickets, chosen at random (seeded)."""
    rng = random.Random(seed)
    if kind == "zendesk":
        store = app.store
        candidates = [tid for tid in store._ids if store._status(store._tickets[tid]) not in ("deleted", "closed")]
        chosen = rng.sample(candidates, min(len(candidates), round(share * len(store._ids))))
        for tid in chosen:
            store.update_ticket(tid, {"comment": {"body": f"bench check {tid}", "public": False}})
        return len(chosen)
    store = app.store
    with store.lock:
        keys = sorted(r.key for r in store.records() if r.project_key == "SUP")
    chosen = rng.sample(keys, min(len(keys), round(share * len(keys))))
    for key in chosen:
        store.add_comment(key, clock(), f"bench check {key}", app.myself, internal=True)
    return len(chosen)


def _serve(conn, kind: str, tickets: int, seed: int, rate_limit: int, rate_window: float, open_half: bool,
           start: datetime, limits: dict[str, Any]) -> None:
    from deskplan_sandbox.server import SandboxServer

    clock = RunningClock(start)
    tally = RequestTally()
    started = time.perf_counter()
    factory = _zendesk_app if kind == "zendesk" else _jira_app
    app = factory(_story(tickets, seed, open_half, start), seed, clock, tally, rate_limit, rate_window, limits)
    # What was just loaded lives as long as the simulator: keep the cyclic collector off it
    # (at 100,000 tickets its full passes over the story took a third of the serving time).
    gc.freeze()
    clock.offset += 120          # the generator writes up to "now"; let the held-back minute pass
    server = SandboxServer(app).start()
    conn.send({"url": server.url, "load_seconds": time.perf_counter() - started})
    floor = _zendesk_floor if kind == "zendesk" else _jira_floor
    try:
        while True:
            command, args = conn.recv()
            if command == "stop":
                break
            if command == "now":
                conn.send(clock().isoformat())
            elif command == "advance":
                clock.offset += args
                conn.send(clock().isoformat())
            elif command == "floor":
                conn.send(floor(app, args))
            elif command == "change":
                conn.send(_change(kind, app, clock, *args))
            elif command == "requests":
                conn.send({"served": tally.lines, "by_status": dict(tally.by_status),
                           "by_endpoint": dict(tally.by_endpoint)})
            elif command == "writes":
                conn.send(len(app.writes))
            else:
                conn.send(ValueError(f"unknown command {command!r}"))
    finally:
        server.stop()
        conn.send("stopped")


@dataclass
class Simulator:
    """A simulator in a child process (spawned: it shares nothing with the caller)."""

    kind: str
    tickets: int
    seed: int = 7
    rate_limit: int = 0
    rate_window: float = 60.0
    open_half: bool = False          # the write-back tests' story: every other ticket unsolved
    start: datetime = NOW            # the simulator's clock starts here (the story ends here)
    # that kind's limit options (`account_rate_limit`, `burst_limit`): none by default
    limits: dict[str, Any] = field(default_factory=dict)

    def __enter__(self) -> Simulator:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, self.kind, self.tickets, self.seed, self.rate_limit, self.rate_window,
                                 self.open_half, self.start, self.limits),
            name=f"sim-{self.kind}", daemon=True)
        self._process.start()
        hello = self._conn.recv()
        self.url, self.load_seconds = hello["url"], hello["load_seconds"]
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._call("stop", None)
        finally:
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.kill()

    def _call(self, command: str, args: Any) -> Any:
        self._conn.send((command, args))
        answer = self._conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def now(self) -> str:
        return self._call("now", None)

    def advance(self, seconds: float) -> str:
        return self._call("advance", seconds)

    def floor(self, since: float | None = None) -> dict[str, Any]:
        """The fewest requests a pull of everything changed after `since` (epoch seconds) needs."""
        return self._call("floor", since)

    def change(self, share: float, seed: int = 1) -> int:
        return self._call("change", (share, seed))

    def requests(self) -> dict[str, Any]:
        return self._call("requests", None)

    def writes(self) -> int:
        return self._call("writes", None)

"""A local Zendesk Support API simulator (`deskplan sandbox --kind zendesk`).

`create_app` builds it from a fixtures file in Zendesk's own shapes or from the seeded
scenario generator; serve it with `deskplan_sandbox.server.SandboxServer`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from deskplan_sandbox import clock as clocks
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.server import FaultInjector
from deskplan_sandbox.zendesk.app import DEFAULT_RATINGS_START_TIME, WriteRecord, ZendeskSimulator
from deskplan_sandbox.zendesk.fixtures import read_fixtures
from deskplan_sandbox.zendesk.store import ZendeskStore

__all__ = ["WriteRecord", "ZendeskSimulator", "ZendeskStore", "create_app", "running_clock"]


def running_clock() -> Callable[[], datetime]:
    """Starts at DESKPLAN_NOW (or the real time) and runs on with the real time from there."""
    start, origin = clocks.now(), time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def create_app(*, email: str, token: str, fixtures: Path | None = None, tickets: int = 0, seed: int = 0,
               faults: float = 0.0, rate_limit: int = 10, rate_window: float = 60.0,
               now: Callable[[], datetime] | None = None, log: TextIO | None = None,
               clock_offset: float = 0.0, ratings_start_time: str = DEFAULT_RATINGS_START_TIME,
               account_rate_limit: int = 0) -> ZendeskSimulator:
    """A Zendesk simulator serving `fixtures`, or else `tickets` generated tickets (seeded by `seed`).

    `now` is the host's clock (default: DESKPLAN_NOW or the real time, running on); the
    simulator's own clock runs `clock_offset` seconds ahead of it (negative: behind), as a
    helpdesk's clock may. Exports hold back the last minute of the simulator's clock, refuse a
    `start_time` inside it, and rate windows run on it. `ratings_start_time` ("created", the
    default, or "updated") is the time the satisfaction-ratings list's `start_time` filters on.
    `account_rate_limit` > 0 refuses requests of the account past that many per rate window (a
    minute by default) with Zendesk's plain-text 429, and ticket updates past 100 per window
    (300 from 2,500, a High Volume account); 0 (the default here; the command line's is 700)
    only counts them for the headers.
    """
    clock = clocks.shifted(now or running_clock(), clock_offset)
    store = ZendeskStore(clock)
    if fixtures is not None:
        store.load_fixtures(**read_fixtures(fixtures))
    elif tickets:
        store.load_scenario(generate_scenario(tickets, seed, clock()))
    return ZendeskSimulator(store=store, email=email, token=token, clock=clock,
                            faults=FaultInjector(faults, seed), rate_limit=rate_limit,
                            rate_window=rate_window, log=log, ratings_start_time=ratings_start_time,
                            account_rate_limit=account_rate_limit)

"""The Zendesk adapter and writer under the account-wide rate limit (the simulator's
`account_rate_limit`, Zendesk's plain-text 429 with Retry-After), over real HTTP: a sync waits
as told and completes, with every ticket, and loses no write."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime, timezone

import requests

from deskplan.adapters.zendesk import create_adapter
from deskplan.config import SourceConfig
from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import create_app

from ..simtime import SimTime

START = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
EMAIL, TOKEN = "bot@acme.test", "sandbox-token"
LIMIT = 3                  # requests a minute: a full sync of five streams runs into it twice


def test_a_sync_under_the_account_limit_waits_as_told_and_pulls_every_ticket():
    time = SimTime(START)
    log = io.StringIO()
    app = create_app(email=EMAIL, token=TOKEN, tickets=150, seed=4, now=time, log=log, rate_limit=0,
                     account_rate_limit=LIMIT)
    refusals: list[tuple[str, str]] = []
    session = requests.Session()
    session.hooks["response"].append(
        lambda r, *a, **k: refusals.append((r.text, r.headers["Retry-After"])) if r.status_code == 429 else None)
    with SandboxServer(app) as server:
        config = SourceConfig(name="zd", kind="zendesk", url=server.url, email=EMAIL, token_env="ZD")
        adapter = create_adapter(config, TOKEN, sleep=time.sleep, clock=time.monotonic, session=session)
        adapter.check()
        cursors: dict[str, dict | None] = defaultdict(lambda: None)
        tickets: set[str] = set()
        for stream in adapter.streams:
            for page in adapter.pull(stream, cursors[stream]):
                tickets.update(r.id for r in page.records if r.kind == "ticket")
                cursors[page.stream] = page.cursor

    assert len(tickets) == 150
    assert refusals and all(text == "Number of allowed API requests per minute exceeded" for text, _ in refusals)
    # Every wait is at least what the helpdesk asked for (jitter only ever adds).
    assert len(time.slept) == len(refusals)
    assert all(slept >= float(asked) for slept, (_, asked) in zip(time.slept, refusals, strict=True))
    served = [line for line in log.getvalue().splitlines() if line.endswith(" 200")]
    assert len(served) == adapter.requests - len(refusals)

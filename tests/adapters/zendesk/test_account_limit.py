"""The Zendesk adapter and writer under the account-wide rate limit (the simulator's
`account_rate_limit`, Zendesk's plain-text 429 with Retry-After), over real HTTP: a sync waits
as told and completes, with every ticket, and loses no write."""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
import requests

from deskplan.adapters.zendesk import create_adapter
from deskplan.config import SourceConfig
from deskplan.effects import PlannedWrite, WriteKind, marker
from deskplan.errors import RateLimited
from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import create_app

from ..simtime import SimTime

START = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
EMAIL, TOKEN = "bot@acme.test", "sandbox-token"
LIMIT = 3                  # requests a minute: a full sync of five streams runs into it twice


def recording_refusals() -> tuple[requests.Session, list[tuple[str, str]]]:
    """A session for the adapter that records every 429 it gets: (body, Retry-After)."""
    refusals: list[tuple[str, str]] = []
    session = requests.Session()
    session.hooks["response"].append(
        lambda r, *a, **k: refusals.append((r.text, r.headers["Retry-After"])) if r.status_code == 429 else None)
    return session, refusals


def test_a_sync_under_the_account_limit_waits_as_told_and_pulls_every_ticket():
    time = SimTime(START)
    log = io.StringIO()
    app = create_app(email=EMAIL, token=TOKEN, tickets=150, seed=4, now=time, log=log, rate_limit=0,
                     account_rate_limit=LIMIT)
    session, refusals = recording_refusals()
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


def test_a_note_past_the_per_ticket_update_limit_is_refused_unwritten_and_lands_once_later():
    """Zendesk allows 30 updates of one ticket in 10 minutes per user and refuses the next in plain
    text (sandbox/src/deskplan_sandbox/zendesk/errors.py, `ticket_updates_limited`, with the page it
    is taken from). Its Retry-After, the rest of the 10 minutes, overruns the run's retry budget, so
    the writer gives the 31st note up as rate limited (the run defers it); nothing of it is written,
    and ten minutes on it is written, once."""
    time = SimTime(START)
    app = create_app(email=EMAIL, token=TOKEN, tickets=0, now=time, log=io.StringIO())
    ticket_id = app.store.create_ticket({"comment": {"body": "Printer"}}, author_id=app.api_user_id).ticket["id"]
    session, refusals = recording_refusals()

    def note(n: int) -> PlannedWrite:
        key = hashlib.sha256(f"note {n}".encode()).hexdigest()
        return PlannedWrite(key=key, kind=WriteKind.COMMENT, source="zd", origin="status", title="Status",
                            body=f"note {n}\n{marker(key)}", ticket_id=str(ticket_id), ticket_key=str(ticket_id))

    def notes() -> list[str]:
        return [c["plain_body"].split("\n")[0] for c in app.store.comments(ticket_id) if not c["public"]]

    with SandboxServer(app) as server:
        config = SourceConfig(name="zd", kind="zendesk", url=server.url, email=EMAIL, token_env="ZD")
        adapter = create_adapter(config, TOKEN, sleep=time.sleep, clock=time.monotonic, session=session)
        adapter.check()
        writer = adapter.writer()
        for n in range(30):
            writer.apply(note(n), None)
        with pytest.raises(RateLimited):
            writer.apply(note(30), None)
        assert refusals == [("Rate limit for ticket updates exceeded, please wait before updating this ticket "
                             "again", "600")]
        assert notes() == [f"note {n}" for n in range(30)] and time.slept == []
        time.now += timedelta(minutes=10)
        assert writer.find_effect(note(30), None) is None
        written = writer.apply(note(30), None)

    assert notes() == [f"note {n}" for n in range(31)]
    assert written == str(app.store.comments(ticket_id)[-1]["id"])

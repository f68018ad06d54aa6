"""The invariant behind the simulators' options for the real services' behaviours: with every one
switched on, changes arriving late, throttled and lagged, incremental syncs end with the same
tickets (timelines included) as a fresh full sync at the same moment. Over loopback HTTP, driven
through the adapter protocol as `deskplan sync` drives it; the adapters' sleeps move the
simulators' clocks, so the rate limits' waits cost no real time.

- Zendesk: surveys offered before a sync and answered after it, with the ratings list's
  `start_time` read as the creation (`ratings_start_time="created"`); the account limit and the
  export limit throttling every sync.
- Jira: a search index that shows changes up to 10 minutes late and out of order (`search_lag`,
  beyond the adapter's 5-minute overlap), the burst limit throttling, and search pages cut short.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from deskplan.adapters.jira import create_adapter as create_jira_adapter
from deskplan.adapters.zendesk import create_adapter as create_zendesk_adapter
from deskplan.config import SourceConfig
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.jira import create_app as create_jira
from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import create_app as create_zendesk
from tests.adapters.jira.protocol_driver import MemoryState, sync

START = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
EMAIL, TOKEN = "bot@acme.test", "invariant-token"


class SimTime:
    """The simulators' clock; the adapters' sleeps move it on."""

    def __init__(self, start: datetime):
        self.now = start
        self.slept = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return self.now.timestamp()

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


def test_zendesk_incremental_syncs_end_where_a_full_sync_does(tmp_path):
    time = SimTime(START)
    app = create_zendesk(email=EMAIL, token=TOKEN, tickets=150, seed=9, now=time, log=io.StringIO(),
                         rate_limit=2, account_rate_limit=6, ratings_start_time="created")
    with SandboxServer(app) as server:
        config = SourceConfig(name="zd", kind="zendesk", url=server.url, email=EMAIL, token_env="ZD")

        def adapter():
            return create_zendesk_adapter(config, TOKEN, sleep=time.sleep, clock=time.monotonic)

        customers = [u["id"] for _, u in app.store.users_exported((0, 0), 10_000, 1 << 40)[0]
                     if u["role"] == "end-user"]
        live = [app.store.create_ticket({"subject": f"Order {n}", "comment": {"body": "Where is it?"},
                                         "requester_id": customers[n]}, author_id=customers[n],
                                        at=START - timedelta(hours=n + 1)).ticket["id"] for n in range(5)]
        incremental = MemoryState()
        syncing = adapter()
        sync(syncing, incremental)
        # Surveys go out for three tickets solved now; the sync after that sees the offers only.
        surveyed = live[:3]
        for ticket_id in surveyed:
            app.store.update_ticket(ticket_id, status="solved", comment={"body": "Fixed", "public": True})
            app.store.offer_survey(ticket_id)
        time.advance(5)
        sync(syncing, incremental)
        # Answers come after that sync's resume point; other tickets change meanwhile.
        time.advance(20)
        app.store.rate(surveyed[0], "bad", "Took a week")
        app.store.rate(surveyed[1], "good")
        app.store.update_ticket(live[3], comment={"body": "Any news?", "public": True}, author_id=None)
        time.advance(2)
        sync(syncing, incremental)
        time.advance(30)
        app.store.rate(surveyed[1], "bad", "It broke again")          # a rating changed
        app.store.rate(surveyed[2], "good", "Thanks")
        app.store.update_ticket(live[4], status="pending")
        created = app.store.create_ticket({"subject": "Printer", "comment": {"body": "Jammed"}},
                                          author_id=app.api_user_id).ticket["id"]
        time.advance(2)                                                # past the exports' held-back minute
        sync(syncing, incremental)

        full = MemoryState()
        sync(adapter(), full)

    assert time.slept > 0                                              # the limits made the syncs wait
    assert str(created) in full.tickets and set(incremental.tickets) == set(full.tickets)
    assert incremental.tickets == full.tickets
    rated = {tid: full.tickets[str(tid)].satisfaction for tid in surveyed}
    assert [(s.score.value, s.comment) for s in rated.values()] == [("bad", "Took a week"),
                                                                     ("bad", "It broke again"), ("good", "Thanks")]


def test_jira_incremental_syncs_end_where_a_full_sync_does():
    time = SimTime(START)
    app = create_jira(email=EMAIL, token=TOKEN, scenario=generate_scenario(80, 9, START), now=time,
                      log=io.StringIO(), search_lag=600.0, burst_limit=5)
    app.search_page_bytes = 60_000
    keys = sorted((r.key for r in app.store.records() if r.project_key == "SUP"), key=lambda k: int(k.split("-")[1]))
    with SandboxServer(app) as server:
        config = SourceConfig(name="jsm", kind="jira", url=server.url, email=EMAIL, token_env="JIRA_TOKEN",
                              projects=("SUP",))

        def adapter():
            return create_jira_adapter(config, TOKEN, sleep=time.sleep, clock=time.monotonic, now=time)

        incremental = MemoryState()
        syncing = adapter()
        time.advance(15)                                               # the generated history is indexed
        sync(syncing, incremental)
        # Two hours of changes, a sync every seven minutes, the index up to ten minutes behind.
        for step in range(18):
            time.advance(7)
            for key in keys[step * 3:step * 3 + 3]:
                app.store.touch([key], time.now - timedelta(minutes=step % 4))
            sync(syncing, incremental)
        time.advance(15)                                               # everything indexed by now
        sync(syncing, incremental)
        # A quiet hour on, the next sync reconciles, reaching back before the last reconciliation.
        time.advance(60)
        sync(syncing, incremental)

        full = MemoryState()
        sync(adapter(), full)

    assert time.slept > 0
    assert set(incremental.tickets) == set(full.tickets)
    assert incremental.tickets == full.tickets
    assert syncing.reconciled_issues > 0

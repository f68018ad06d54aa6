"""The invariant behind the simulators' options for the real services' behaviours: with every one
switched on, changes arriving late, throttled and lagged, incremental syncs end with the same
tickets (timelines included) and the same report as a fresh full sync at the same moment. Over
loopback HTTP, through `run_sync` and the state file as `deskplan sync --pull-only` runs them (the
KPI facts refreshed after each sync, as a sync with a plan does), and the report built from the
state as `deskplan report --format json` builds it; the adapters' sleeps move the simulators'
clocks, so the rate limits' waits cost no real time.

- Zendesk: surveys offered before a sync and answered after it, with the ratings list's
  `start_time` read as the creation (`ratings_start_time="created"`); the account limit and the
  export limit throttling every sync.
- Jira: a search index that shows changes up to 10 minutes late and out of order (`search_lag`,
  beyond the adapter's 5-minute overlap), the burst limit throttling, and search pages cut short.

The reports are compared whole but for `synced` (when each source's last sync ran and ended, on
the host's clock: the incremental state has had five runs, the full one a single run).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from deskplan.adapters.base import Adapter
from deskplan.adapters.jira import create_adapter as create_jira_adapter
from deskplan.adapters.jira.watermark import RECONCILE_SPAN_MS, Watermark
from deskplan.adapters.zendesk import create_adapter as create_zendesk_adapter
from deskplan.app.demo import EMAIL, TOKEN_ENV, point_workspace
from deskplan.app.report.command import report_from_store
from deskplan.app.report.render_json import report_dict
from deskplan.app.sync import run_sync
from deskplan.config import Config, SourceConfig, load_config
from deskplan.effects import TASK_TAG
from deskplan.kpi.facts import refresh_facts
from deskplan.model import Ticket
from deskplan.rules.load import load_workspace
from deskplan.state.store import Store
from deskplan.workspace.init import init_workspace
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.jira import create_app as create_jira
from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import create_app as create_zendesk
from tests.adapters.simtime import SimTime

START = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
TOKEN = "invariant-token"
# Report fields that differ between two states of the same tickets: when each source last synced.
RUN_FIELDS = ("synced",)


class Workspace:
    """The example workspace pointed at one simulator (`source`: "zendesk" or "jsm"), with its own
    state file; `sync()` is `deskplan sync --pull-only` and the facts refresh a plan's sync adds."""

    def __init__(self, root: Path, source: str, url: str, time: SimTime,
                 factory: Callable[[SourceConfig, str], Adapter]):
        init_workspace(root)
        urls = {"zendesk": "https://zendesk.invalid", "jsm": "https://jsm.invalid", source: url}
        self.config: Config = load_config(point_workspace(root, urls, START))
        self.workspace = load_workspace(root)
        self.source, self.time = source, time
        self.adapters: list[Adapter] = []

        def adapter(config: SourceConfig, token: str) -> Adapter:
            self.adapters.append(factory(config, token))
            return self.adapters[-1]

        self.factory = adapter

    def sync(self) -> None:
        environ = {TOKEN_ENV[self.source]: TOKEN, "DESKPLAN_NOW": self.time.now.isoformat()}
        result = run_sync(self.config, source=self.source, pull_only=True, environ=environ,
                          adapter_factory=self.factory)
        assert result.exit_code == 0, result.summaries
        with self.store() as store:
            refresh_facts(store, self.workspace)

    def store(self) -> closing[Store]:
        return closing(Store.open(self.config.state_path))

    def cursor(self, stream: str) -> dict[str, Any] | None:
        with self.store() as store:
            return store.cursor(self.source, stream)

    def tickets(self) -> dict[str, Ticket]:
        with self.store() as store:
            return {t.id: t for t in store.tickets(include_deleted=True)}

    def report(self) -> dict[str, Any]:
        with self.store() as store:
            report = report_dict(report_from_store(self.workspace, store, self.time.now, [self.source]))
        return {k: v for k, v in report.items() if k not in RUN_FIELDS}


def assert_same_report(incremental: Workspace, full: Workspace) -> dict[str, Any]:
    report = full.report()
    assert incremental.report() == report
    # Not two empty reports: every request is counted (deleted tickets and deskplan's own tasks are
    # no requests), and a goal's windows hold some of them.
    requests = [t for t in full.tickets().values() if not t.deleted and TASK_TAG not in t.tags]
    assert report["tickets"] == len(requests) > 0
    assert any(w["denominator"] for goal in report["goals"] for w in goal["windows"])
    return report


def test_zendesk_incremental_syncs_end_where_a_full_sync_does(tmp_path):
    time = SimTime(START)
    app = create_zendesk(email=EMAIL, token=TOKEN, tickets=150, seed=9, now=time, log=io.StringIO(),
                         rate_limit=2, account_rate_limit=6, ratings_start_time="created")
    with SandboxServer(app) as server:

        def factory(config: SourceConfig, token: str) -> Adapter:
            return create_zendesk_adapter(config, token, sleep=time.sleep, clock=time.monotonic)

        customers = [u["id"] for _, u in app.store.users_exported((0, 0), 10_000, 1 << 40)[0]
                     if u["role"] == "end-user"]
        live = [app.store.create_ticket({"subject": f"Order {n}", "comment": {"body": "Where is it?"},
                                         "requester_id": customers[n]}, author_id=customers[n],
                                        at=START - timedelta(hours=n + 1)).ticket["id"] for n in range(5)]
        incremental, full = (Workspace(tmp_path / name, "zendesk", server.url, time, factory)
                             for name in ("incremental", "full"))
        incremental.sync()
        # Surveys go out for three tickets solved now; the sync after that sees the offers only.
        surveyed = live[:3]
        for ticket_id in surveyed:
            app.store.update_ticket(ticket_id, status="solved", comment={"body": "Fixed", "public": True})
            app.store.offer_survey(ticket_id)
        time.advance(minutes=5)
        incremental.sync()
        # Answers come after that sync's resume point; other tickets change meanwhile.
        time.advance(minutes=20)
        app.store.rate(surveyed[0], "bad", "Took a week")
        app.store.rate(surveyed[1], "good")
        app.store.update_ticket(live[3], comment={"body": "Any news?", "public": True}, author_id=None)
        time.advance(minutes=2)
        incremental.sync()
        time.advance(minutes=30)
        app.store.rate(surveyed[1], "bad", "It broke again")          # a rating changed
        app.store.rate(surveyed[2], "good", "Thanks")
        app.store.update_ticket(live[4], status="pending")
        created = app.store.create_ticket({"subject": "Printer", "comment": {"body": "Jammed"}},
                                          author_id=app.api_user_id).ticket["id"]
        time.advance(minutes=2)                                                # past the exports' held-back minute
        incremental.sync()

        full.sync()

    assert sum(time.slept) > 0                                              # the limits made the syncs wait
    tickets = full.tickets()
    assert str(created) in tickets and set(incremental.tickets()) == set(tickets)
    assert incremental.tickets() == tickets
    rated = {tid: tickets[str(tid)].satisfaction for tid in surveyed}
    assert [(s.score.value, s.comment) for s in rated.values()] == [("bad", "Took a week"),
                                                                     ("bad", "It broke again"), ("good", "Thanks")]
    # Every rating the ticket export named was fetched: the tickets cursor owes none.
    assert sorted(incremental.cursor("tickets") or {}) == ["after_cursor"]
    assert_same_report(incremental, full)


def test_jira_incremental_syncs_end_where_a_full_sync_does(tmp_path):
    time = SimTime(START)
    app = create_jira(email=EMAIL, token=TOKEN, scenario=generate_scenario(80, 9, START), now=time,
                      log=io.StringIO(), search_lag=600.0, burst_limit=5)
    app.search_page_bytes = 60_000
    keys = sorted((r.key for r in app.store.records() if r.project_key == "SUP"), key=lambda k: int(k.split("-")[1]))
    with SandboxServer(app) as server:

        def factory(config: SourceConfig, token: str) -> Adapter:
            return create_jira_adapter(config, token, sleep=time.sleep, clock=time.monotonic, now=time)

        incremental, full = (Workspace(tmp_path / name, "jsm", server.url, time, factory)
                             for name in ("incremental", "full"))
        time.advance(minutes=15)                                               # the generated history is indexed
        incremental.sync()
        # Two hours of changes, a sync every seven minutes, the index up to ten minutes behind.
        for step in range(18):
            time.advance(minutes=7)
            for key in keys[step * 3:step * 3 + 3]:
                app.store.touch([key], time.now - timedelta(minutes=step % 4))
            incremental.sync()
        time.advance(minutes=15)                                               # everything indexed by now
        incremental.sync()
        # A quiet hour on, the next sync reconciles, reaching back before the last reconciliation.
        time.advance(minutes=60)
        incremental.sync()

        full.sync()

    assert sum(time.slept) > 0
    tickets = full.tickets()
    assert set(incremental.tickets()) == set(tickets)
    assert incremental.tickets() == tickets
    assert sum(a.reconciled_issues for a in incremental.adapters) > 0
    # Changes ten minutes late at most are within the reconciliations' reach, which says nothing and
    # stays as it is (adapters/jira/watermark.py; how many the last reconciliation passed depends on
    # the retries' jittered waits).
    assert [w for a in incremental.adapters for w in a.pull_warnings] == []
    assert Watermark.from_cursor(incremental.cursor("issues")).span_ms == RECONCILE_SPAN_MS
    assert_same_report(incremental, full)

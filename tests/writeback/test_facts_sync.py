"""A sync keeps the KPI facts of what it pulls: right after it, and after the helpdesk changes
and the next sync, the report added up from the facts is the report from the timelines."""

from __future__ import annotations

from datetime import timedelta

from deskplan.kpi.facts import stored_report
from deskplan.kpi.report import build_report
from deskplan.rules.load import load_workspace
from deskplan.state.facts import Facts
from deskplan.state.store import Store

from .harness import NOW, environment, make_workspace, sync
from .test_cutoff import rate_bad


def test_the_facts_a_sync_keeps_give_the_timelines_report(site, tmp_path):
    root = make_workspace(tmp_path / "ws", site)
    sync(root)
    workspace = load_workspace(root)
    store = Store.open(root / "state.db")
    try:
        facts = Facts(store)
        assert facts.stale_count() == 0 and facts.ticket_count() > 0
        for now in (NOW, NOW + timedelta(hours=30)):
            assert stored_report(workspace, store, now) == build_report(workspace, store.tickets(), now)
    finally:
        store.close()
    later = NOW + timedelta(hours=2)
    rate_bad(site, 3, NOW + timedelta(hours=1))           # the helpdesk changes: ticket 3 rated bad
    (summary,) = sync(root, environ=environment(now=later)).summaries
    assert summary.tickets_changed >= 1
    store = Store.open(root / "state.db")
    try:
        assert Facts(store).stale_count() == 0
        assert stored_report(workspace, store, later) == build_report(workspace, store.tickets(), later)
    finally:
        store.close()

"""`deskplan sync` end to end: the CLI, the store and the Zendesk adapter against the simulator."""

from __future__ import annotations

import json

import pytest

from deskplan.model import EventKind
from deskplan.state.store import Store

from .helpdesks import run_cli, start_helpdesk, stored, write_workspace

TICKETS = 5000
FAULTY_TICKETS = 1500     # enough for every stream to page, while retries and waits stay short


@pytest.fixture(scope="module")
def zendesk():
    helpdesk = start_helpdesk("zendesk", tickets=TICKETS, rate_limit=0)
    helpdesk.clock.advance(120)     # the generator writes up to "now"; let the held-back minute pass
    yield helpdesk
    helpdesk.server.stop()


@pytest.fixture(scope="module")
def synced(zendesk, tmp_path_factory):
    workspace = write_workspace(tmp_path_factory.mktemp("zd-ws"), [zendesk])
    first = run_cli(workspace, [zendesk], "sync", "--json")
    return workspace, first


def test_a_full_sync_stores_every_ticket_with_its_timeline(synced):
    workspace, first = synced
    assert first.exit_code == 0, first.stderr
    (summary,) = first.summaries
    assert summary["source"] == "zendesk" and summary["errors"] == []
    assert summary["tickets_seen"] == TICKETS and summary["tickets_changed"] == TICKETS
    tickets = stored(workspace)
    assert len(tickets) == TICKETS
    store = Store.open(workspace / "state.db")
    live = list(store.tickets())
    assert 0 < len(live) <= TICKETS
    for ticket in live:
        kinds = [e.kind for e in ticket.timeline]
        assert kinds[0] is EventKind.STATUS, ticket.key         # the creation status comes first
        assert [e.at for e in ticket.timeline] == sorted(e.at for e in ticket.timeline)
    assert sum(1 for t in live if any(e.kind is EventKind.PUBLIC_REPLY for e in t.timeline)) > TICKETS // 2


def test_a_second_sync_with_nothing_changed_makes_one_request_per_stream_and_changes_nothing(synced, zendesk):
    workspace, _ = synced
    before = stored(workspace)
    mark = len(zendesk.requests_logged())
    second = run_cli(workspace, [zendesk], "sync", "--json")
    assert second.exit_code == 0, second.stderr
    (summary,) = second.summaries
    assert (summary["tickets_seen"], summary["tickets_changed"]) == (0, 0)
    requests = zendesk.requests_logged()[mark:]
    exports = [r for r in requests if "/api/v2/users/me" not in r]   # the credentials probe aside
    assert len(exports) == 4, exports          # users, tickets, ticket events, ratings: one each
    assert summary["requests"] == len(requests)
    assert stored(workspace) == before


def test_after_50_tickets_change_the_next_sync_pulls_exactly_those(synced, zendesk):
    workspace, _ = synced
    updatable = (i for i in range(1, TICKETS + 1)
                 if (zendesk.app.store.ticket(i) or {}).get("status") not in (None, "closed"))
    changed_ids = [next(updatable) for _ in range(50)]
    for ticket_id in changed_ids:
        zendesk.app.store.update_ticket(ticket_id, {"comment": {"body": f"checked {ticket_id}", "public": False}})
    zendesk.clock.advance(120)      # past the minute the export holds back
    run = run_cli(workspace, [zendesk], "sync", "--json")
    assert run.exit_code == 0, run.stderr
    (summary,) = run.summaries
    assert summary["tickets_seen"] == 50
    assert summary["tickets_changed"] == 50
    store = Store.open(workspace / "state.db")
    notes = {t.id: t.timeline[-1].body for t in store.tickets() if int(t.id) in changed_ids}
    assert notes == {str(i): f"checked {i}" for i in changed_ids}


def test_rate_limits_and_faults_end_with_the_same_stored_tickets(tmp_path):
    clean = start_helpdesk("zendesk", tickets=FAULTY_TICKETS, rate_limit=0)
    # The same data behind the real incremental limit (10 a window; the window scaled
    # down to 1 s so the test waits seconds, not minutes) and 10% injected faults.
    rough = start_helpdesk("zendesk", tickets=FAULTY_TICKETS, rate_limit=10, rate_window=1.0, faults=0.1)
    try:
        for helpdesk in (clean, rough):
            helpdesk.clock.advance(120)
        clean_ws = write_workspace(tmp_path / "clean", [clean])
        assert run_cli(clean_ws, [clean], "sync").exit_code == 0
        workspace = write_workspace(tmp_path / "rough", [rough])
        runs = [run_cli(workspace, [rough], "sync", "--json")]
        # A run that gives up on a fault keeps its pages; the next run resumes (as cron would).
        while runs[-1].exit_code != 0 and len(runs) < 5:
            runs.append(run_cli(workspace, [rough], "sync", "--json"))
        assert runs[-1].exit_code == 0, [r.summaries for r in runs]
        logged = rough.requests_logged()
        assert any("fault:" in line for line in logged), "the simulator injected no faults"
        assert any(line.endswith(" 429") for line in logged), "the rate limit never answered 429"
        assert stored(workspace, without=("url",)) == stored(clean_ws, without=("url",))
    finally:
        clean.server.stop()
        rough.server.stop()


def test_sync_json_lines_are_on_stdout_and_logs_elsewhere(synced, zendesk):
    workspace, _ = synced
    run = run_cli(workspace, [zendesk], "sync", "--json")
    assert [json.loads(line)["source"] for line in run.stdout.splitlines()] == ["zendesk"]

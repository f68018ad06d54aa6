"""A helpdesk whose clock runs ten minutes ahead of the host's, or behind it: incremental
syncs after changes end, and end with the same tickets as a fresh full sync.

The simulators run `clock_offset` seconds off the host's clock (`--clock-offset`); deskplan
runs at DESKPLAN_NOW. Zendesk's ticket events are changed by more than a page (1,000) within
one second of the helpdesk's clock, so that a page ends inside the skew: a client that moves
the server's `end_time` back to its own "now - 1 minute" asks for the same page forever.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from .helpdesks import NOW, Helpdesk, run_cli, start_helpdesk, stored, write_workspace

TICKETS = 300
SKEWS = [pytest.param(600, id="ahead-10min"), pytest.param(-600, id="behind-10min")]
EVENTS_PAGE = 1000          # the ticket-events export's page size


@pytest.fixture(autouse=True)
def host_clock(monkeypatch):
    monkeypatch.setenv("DESKPLAN_NOW", NOW.isoformat())


def tickets_of(workspace: Path) -> dict[str, Any]:
    """The stored tickets, without what moves with the clock alone: a running JSM SLA clock's
    elapsed and remaining time (Jira changes them without changing `updated`, so an incremental
    sync rightly keeps the value it pulled)."""
    tickets = {ref: json.loads(text) for ref, text in stored(workspace).items()}
    for ticket in tickets.values():
        for value in (ticket.get("custom") or {}).values():
            if isinstance(value, dict) and value.get("running"):
                value.pop("elapsed_ms", None)
                value.pop("remaining_ms", None)
    return tickets


def change_zendesk(helpdesk: Helpdesk) -> set[str]:
    """A page of ticket events and more within one second of the helpdesk's clock, then a few
    more a second later, on the tickets still open."""
    store = helpdesk.app.store
    open_ids = [i for i in range(1, TICKETS + 1)
                if (store.ticket(i) or {}).get("status") not in (None, "closed", "deleted")]
    at = helpdesk.app.clock().replace(microsecond=0)
    for n in range(EVENTS_PAGE + 20):
        ticket_id = open_ids[n % len(open_ids)]
        store.update_ticket(ticket_id, {"comment": {"body": f"note {n}", "public": False}}, at=at)
    for ticket_id in open_ids[:5]:
        store.update_ticket(ticket_id, {"comment": {"body": "a second later", "public": False}},
                            at=at + timedelta(seconds=1))
    return {str(i) for i in open_ids}


def change_jira(helpdesk: Helpdesk) -> set[str]:
    """Forty issues edited at the site's "now", one a millisecond after another."""
    app = helpdesk.app
    at = app.now()
    keys = [key for key in (f"SUP-{n}" for n in range(1, TICKETS + 1)) if app.store.get(key) is not None][:40]
    for n, key in enumerate(keys):
        app.store.update_issue(key, at + timedelta(milliseconds=n), summary=f"edited {key}")
    return {app.store.require(key).id for key in keys}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("offset", SKEWS)
@pytest.mark.parametrize("kind", ["zendesk", "jira"])
def test_incremental_syncs_under_clock_skew_end_and_match_a_full_sync(tmp_path, kind, offset):
    helpdesk = start_helpdesk(kind, tickets=TICKETS, rate_limit=0, clock_offset=offset)
    try:
        helpdesk.clock.advance(120)        # the generator writes up to the helpdesk's "now"
        workspace = write_workspace(tmp_path / "incremental", [helpdesk])
        first = run_cli(workspace, [helpdesk], "sync", "--json")
        assert first.exit_code == 0, first.stderr

        changed = change_zendesk(helpdesk) if kind == "zendesk" else change_jira(helpdesk)
        helpdesk.clock.advance(120)        # past the minute Zendesk's exports hold back
        mark = len(helpdesk.requests_logged())
        second = run_cli(workspace, [helpdesk], "sync", "--json")
        assert second.exit_code == 0, second.stderr
        (summary,) = second.summaries
        assert summary["errors"] == []
        assert summary["tickets_seen"] >= len(changed)
        if kind == "zendesk":     # (Jira's search pages are POSTs: their log lines do not differ)
            asked = helpdesk.requests_logged()[mark:]
            assert len(asked) == len(set(asked)), "a request was repeated"
            # The changes took two pages of events: the second one starts a second after the first.
            assert sum("/incremental/ticket_events" in line for line in asked) == 2, asked

        fresh = write_workspace(tmp_path / "full", [helpdesk])
        full = run_cli(fresh, [helpdesk], "sync", "--json")
        assert full.exit_code == 0, full.stderr
        assert tickets_of(workspace) == tickets_of(fresh)

        # Nothing changed since: a third sync neither loops nor finds anything.
        third = run_cli(workspace, [helpdesk], "sync", "--json")
        assert third.exit_code == 0, third.stderr
        assert third.summaries[0]["tickets_changed"] == 0
        assert tickets_of(workspace) == tickets_of(fresh)
    finally:
        helpdesk.server.stop()

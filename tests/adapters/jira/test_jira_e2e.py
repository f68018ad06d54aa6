"""The Jira adapter against the Jira simulator over loopback HTTP: 5,000 generated issues.

Driven through the adapter protocol (pull pages with cursors, then build), as `deskplan
sync` drives it. The request figures are exact: one `/myself`, one field catalog, one
request per search page, and detail pages only for issues whose changelog or comments
the search cut short, and `/feedback` for each bad rating's comment (the scores are in the Satisfaction field).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest
import requests
from protocol_driver import MemoryState, sync

from deskplan.adapters.jira import create_adapter
from deskplan.adapters.jira.client import DETAIL_PAGE_SIZE, SEARCH_PAGE_SIZE
from deskplan.config import SourceConfig
from deskplan.model import EventKind, Status
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.jira import create_app
from deskplan_sandbox.server import SandboxServer
from tests.clocks import Clock

EMAIL, TOKEN = "bot@acme.test", "jira-e2e-token"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
INLINE = 20          # what enhanced search embeds per issue (comments and changelog entries)
TICKETS = 5000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scenario():
    return generate_scenario(TICKETS, 11, NOW)


@pytest.fixture(scope="module")
def site(scenario):
    clock = Clock(NOW)
    app = create_app(email=EMAIL, token=TOKEN, scenario=scenario, now=clock, seed=11)
    with SandboxServer(app) as server:
        yield app, server, clock


def adapter_for(server):
    config = SourceConfig(name="jsm", kind="jira", url=server.url, email=EMAIL, token_env="JIRA_TOKEN",
                          projects=("SUP",))
    return create_adapter(config, TOKEN, sleep=lambda s: None)


def detail_pages_needed(records) -> int:
    """Requests the search leaves to be made: missing changelog and comment pages."""
    pages = 0
    for record in records:
        issue = record.data["issue"]
        histories = issue["changelog"]["total"]
        comments = issue["fields"]["comment"]["total"]
        pages += math.ceil(max(histories - INLINE, 0) / DETAIL_PAGE_SIZE)
        pages += math.ceil(max(comments - INLINE, 0) / DETAIL_PAGE_SIZE)
    return pages


@pytest.fixture(scope="module")
def full(site):
    app, server, _ = site
    adapter = adapter_for(server)
    state = MemoryState()
    served_before = app.requests
    run = sync(adapter, state)
    return adapter, state, run, app.requests - served_before


def test_full_sync_builds_every_issue(scenario, full):
    _, state, run, _ = full
    live = [t for t in scenario.tickets if t.deleted_at is None]
    assert run.bad == [] and run.quarantined == []
    assert len(run.pulled) == len(live) == len(state.tickets)
    assert sorted(t.key for t in state.tickets.values()) == sorted(f"SUP-{t.number}" for t in live)
    # Every comment of the scenario arrived (the search embeds 20; the rest was paged).
    by_key = {t.key: t for t in state.tickets.values()}
    for ticket in live:
        built = by_key[f"SUP-{ticket.number}"]
        comments = [e for e in built.timeline if e.kind in (
            EventKind.PUBLIC_REPLY, EventKind.INTERNAL_NOTE, EventKind.REQUESTER_COMMENT)]
        assert len(comments) == len(ticket.comments), built.key


def test_full_sync_requests_are_the_pages_needed(full):
    adapter, _, run, served = full
    search_pages = math.ceil(len(run.pulled) / SEARCH_PAGE_SIZE)
    assert run.pages == search_pages
    # The scores are in the Satisfaction field; only bad ratings need `/feedback`, for their comment.
    rated = [t for t in full[1].tickets.values() if t.satisfaction]
    bad = [t for t in rated if t.satisfaction.score == "bad"]
    assert rated and bad and len(bad) < len(rated)
    assert adapter.feedback_requests == len(bad)
    assert adapter.requests == served == 2 + search_pages + detail_pages_needed(run.pulled) + len(bad)
    assert any(t.satisfaction.comment for t in bad)          # fetched: what the feedback rules classify
    assert not any(t.satisfaction.comment for t in rated if t.satisfaction.score == "good")


def test_incremental_changes_in_the_watermarks_minute_are_neither_lost_nor_repeated(site, full):
    app, server, clock = site
    _, state, _, _ = full
    cursor = state.cursors["issues"]
    watermark = datetime.fromtimestamp(cursor["updated_ms"] / 1000, timezone.utc)
    at_watermark = [t.key for t in state.tickets.values() if t.updated_at == watermark]
    others = sorted((t for t in state.tickets.values() if t.updated_at < watermark - timedelta(minutes=10)),
                    key=lambda t: t.key)
    same_ms, same_minute, busy = others[0].key, others[1].key, others[2].key
    busy_before = state.tickets[next(i for i, t in state.tickets.items() if t.key == busy)]

    # Through the REST API, as an agent would: one issue changes at the watermark's very
    # millisecond, another later in its minute.
    end_of_minute = watermark.replace(second=59, microsecond=999000)
    assert end_of_minute > watermark
    rest_comment(server, clock, same_ms, watermark, "同一毫秒的更新")
    rest_comment(server, clock, same_minute, end_of_minute, "same minute")
    # And one issue gets more status changes and comments than the search embeds.
    later = watermark + timedelta(minutes=1)
    for n in range(22):
        app.store.update_issue(busy, later + timedelta(seconds=2 * n), author=app.myself,
                               status="Waiting for customer" if n % 2 == 0 else "In Progress")
        app.store.add_comment(busy, later + timedelta(seconds=2 * n + 1), adf(f"update {n}"), app.myself)

    adapter = adapter_for(server)
    run = sync(adapter, state)
    assert sorted(r.data["issue"]["key"] for r in run.pulled) == sorted([same_ms, same_minute, busy])
    assert at_watermark and not set(at_watermark) & {r.data["issue"]["key"] for r in run.pulled}
    by_key = {t.key: t for t in state.tickets.values()}
    assert [(e.at, e.kind) for e in by_key[same_ms].timeline if e.body == "同一毫秒的更新"] == [
        (watermark, EventKind.PUBLIC_REPLY)]
    assert [(e.at, e.kind) for e in by_key[same_minute].timeline if e.body == "same minute"] == [
        (end_of_minute, EventKind.PUBLIC_REPLY)]
    busy_after = by_key[busy]
    new_events = [(e.at - later, e.kind, e.status, e.body) for e in busy_after.timeline if e.at >= later]
    assert new_events == [
        item for n in range(22) for item in (
            (timedelta(seconds=2 * n), EventKind.STATUS,
             Status.WAITING_CUSTOMER if n % 2 == 0 else Status.OPEN, None),
            (timedelta(seconds=2 * n + 1), EventKind.PUBLIC_REPLY, None, f"update {n}"),
        )
    ]
    assert busy_after.timeline[:len(busy_before.timeline)] == busy_before.timeline
    # myself, fields, one search page, and the changelog and comment pages the search left out
    assert adapter.requests == 5

    # Nothing changed since: nothing is processed again.
    again = adapter_for(server)
    assert sync(again, state).pulled == [] and again.requests == 3


def adf(text: str) -> dict:
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


def rest_comment(server, clock: Clock, key: str, at: datetime, text: str) -> None:
    clock.at = at
    answer = requests.post(f"{server.url}/rest/api/3/issue/{key}/comment", json={"body": adf(text)},
                           auth=(EMAIL, TOKEN))
    assert answer.status_code == 201, answer.text


def test_a_site_without_a_feedback_field_asks_feedback_of_resolved_issues_only(tmp_path):
    """CSAT then comes from `/feedback` (experimental API), one call per resolved issue.

    This site's API user lives in Asia/Kolkata (UTC+05:30), so the watermark's JQL is
    rendered at a half-hour offset; a change in the watermark's minute still arrives.
    """
    from deskplan_sandbox.jira.catalog import default_fields

    catalog = [f for f in default_fields() if (f.get("schema") or {}).get("custom") not in (
        "com.atlassian.servicedesk:sd-request-feedback", "com.atlassian.servicedesk:sd-request-feedback-date")]
    fixtures = tmp_path / "site.json"
    fixtures.write_text(json.dumps({"fields": catalog, "issues": []}), encoding="utf-8")
    scenario = generate_scenario(300, 5, NOW)
    clock = Clock(NOW)
    app = create_app(email=EMAIL, token=TOKEN, fixtures=fixtures, scenario=scenario, now=clock, seed=5,
                     time_zone="Asia/Kolkata")
    with SandboxServer(app) as server:
        adapter = adapter_for(server)
        state = MemoryState()
        run = sync(adapter, state)
        live = {f"SUP-{t.number}": t for t in scenario.tickets if t.deleted_at is None}
        resolved = [r for r in run.pulled
                    if r.data["issue"]["fields"]["status"]["statusCategory"]["key"] == "done"]
        assert adapter.feedback_requests == len(resolved) > 0
        assert adapter.requests == 2 + run.pages + len(resolved) + detail_pages_needed(run.pulled)
        for ticket in state.tickets.values():
            story = live[ticket.key]
            rated = story.ratings[-1].score if story.ratings and ticket.status.is_resolved else None
            assert (ticket.satisfaction.score.value if ticket.satisfaction else None) == rated, ticket.key

        watermark = datetime.fromtimestamp(state.cursors["issues"]["updated_ms"] / 1000, timezone.utc)
        quiet = next(t.key for t in state.tickets.values() if not t.status.is_resolved)
        rest_comment(server, clock, quiet, watermark.replace(second=59, microsecond=999000), "last second")
        again = adapter_for(server)
        assert [r.data["issue"]["key"] for r in sync(again, state).pulled] == [quiet]
        assert again.requests == 3 and again.feedback_requests == 0

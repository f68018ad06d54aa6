"""Group (team) and organization names are the same in both helpdesks, so rules written with
names fire in both: one story served by the Zendesk and the Jira simulator, pulled by each
adapter into one state file, built from it, and evaluated with the example workspace."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import deskplan
from deskplan.adapters.base import Adapter
from deskplan.adapters.jira import create_adapter as create_jira_adapter
from deskplan.adapters.zendesk import create_adapter as create_zendesk_adapter
from deskplan.config import SourceConfig
from deskplan.rules.load import load_workspace
from deskplan.state.store import Store
from deskplan_sandbox import jira as jira_sandbox, zendesk as zendesk_sandbox
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.server import SandboxServer
from tests.clocks import Clock

EMAIL, TOKEN = "bot@acme.test", "team-names-token"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
TICKETS, SEED = 150, 31
EXAMPLE = Path(deskplan.__file__).parent / "workspace" / "example"


def pull_and_build(store: Store, source: str, adapter: Adapter) -> None:
    """What `deskplan sync` does before write-back: every stream into the state, then build."""
    for stream in adapter.streams:
        for page in adapter.pull(stream, None):
            store.save_page(source, page)
    for ticket_id in list(store.touched(source)):
        store.save_ticket(adapter.build(store.ticket_record(source, ticket_id), store.related(source, ticket_id)))


@pytest.fixture(scope="module")
def built():
    """(scenario tickets by number, Zendesk tickets by number, Jira tickets by number)."""
    scenario = generate_scenario(TICKETS, SEED, NOW)
    later = NOW + timedelta(hours=1)          # past the minute Zendesk's exports hold back
    zendesk_clock = Clock(NOW)
    zendesk_app = zendesk_sandbox.create_app(email=EMAIL, token=TOKEN, tickets=TICKETS, seed=SEED,
                                             now=zendesk_clock, rate_limit=0)
    zendesk_clock.at = later
    jira_app = jira_sandbox.create_app(email=EMAIL, token=TOKEN, scenario=scenario, seed=SEED, now=lambda: later)
    store = Store.open(":memory:")
    with SandboxServer(zendesk_app) as zendesk_server, SandboxServer(jira_app) as jira_server:
        zendesk = create_zendesk_adapter(
            SourceConfig(name="zd", kind="zendesk", url=zendesk_server.url, email=EMAIL, token_env="ZD_TOKEN"),
            TOKEN, sleep=lambda s: None)
        jira = create_jira_adapter(
            SourceConfig(name="jsm", kind="jira", url=jira_server.url, email=EMAIL, token_env="JIRA_TOKEN",
                         projects=("SUP",)),
            TOKEN, sleep=lambda s: None, rating_comments="none")
        pull_and_build(store, "zd", zendesk)
        pull_and_build(store, "jsm", jira)
        requests = zendesk.requests
    return ({t.number: t for t in scenario.tickets},
            {int(t.key): t for t in store.tickets("zd")},
            {int(t.key.removeprefix("SUP-")): t for t in store.tickets("jsm")},
            requests)


def test_both_helpdesks_give_every_ticket_the_scenarios_team_and_organization_names(built):
    story, zendesk, jira, _ = built

    assert sorted(jira) == sorted(zendesk) == sorted(n for n, t in story.items() if t.deleted_at is None)
    expected = {n: (story[n].group, story[n].organization) for n in jira}
    assert {n: (t.group, t.organization) for n, t in zendesk.items()} == expected
    assert {n: (t.group, t.organization) for n, t in jira.items()} == expected
    assert {t.group for t in zendesk.values()} == {"Support", "Billing", "Technical", "Logistics", "华东客服"}


def test_the_names_cost_zendesk_no_request_of_their_own(built):
    *_, requests = built
    # One page for each of the four streams (users, tickets, ticket events, ratings): nothing for names.
    assert requests == 4


def test_the_example_team_rule_fires_on_the_same_tickets_in_both_helpdesks(built):
    story, zendesk, jira, _ = built
    workspace = load_workspace(EXAMPLE)

    def fired(tickets):
        return sorted(n for n, t in tickets.items()
                      if "product-questions" in workspace.evaluate(t, NOW, render_tasks=False).rules_fired)

    expected = sorted(n for n in jira if story[n].type == "question" and story[n].group in ("Support", "华东客服"))
    assert expected and fired(zendesk) == fired(jira) == expected

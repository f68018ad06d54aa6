"""One model for both helpdesks: the same scenario, served by the Zendesk and the Jira
simulator and pulled by each adapter, gives the same canonical timelines.

Each simulator renders the helpdesk-neutral Scenario in its own API's shapes; each adapter
reads only those shapes. Ticket by ticket, the timelines must agree on what happened and
when: event kinds, instants, statuses entered, comment bodies and rating scores. (Ids and
authors are the helpdesks' own and differ by design.)

One thing needs a request per rating in Jira: the rating's comment. JSM's Satisfaction
field holds the score, not the comment, which only `/feedback` answers. With
`rating_comments="all"` the Jira adapter asks for it and the timelines agree exactly;
with `rating_comments="none"` (no `/feedback` calls) they agree except that Jira's ratings have no comment.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from protocol_driver import MemoryState, sync

from deskplan.adapters.jira import create_adapter as create_jira_adapter
from deskplan.adapters.zendesk import create_adapter as create_zendesk_adapter
from deskplan.config import SourceConfig
from deskplan_sandbox import jira as jira_sandbox, zendesk as zendesk_sandbox
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.server import SandboxServer
from tests.clocks import Clock

EMAIL, TOKEN = "bot@acme.test", "one-model-token"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
TICKETS, SEED = 400, 23


def timeline(ticket):
    return [(e.at, e.kind.value, e.status and e.status.value, e.body, e.score and e.score.value)
            for e in ticket.timeline]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    scenario = generate_scenario(TICKETS, SEED, NOW)
    # Zendesk withholds the last minute of its exports: both sites are looked at an hour
    # after the story ends, so every event of it is exportable.
    later = NOW + timedelta(hours=1)
    zendesk_clock = Clock(NOW)
    zendesk_app = zendesk_sandbox.create_app(email=EMAIL, token=TOKEN, tickets=TICKETS, seed=SEED,
                                             now=zendesk_clock, rate_limit=0)
    zendesk_clock.at = later
    jira_app = jira_sandbox.create_app(email=EMAIL, token=TOKEN, scenario=scenario, seed=SEED, now=lambda: later)
    with SandboxServer(zendesk_app) as zendesk_server, SandboxServer(jira_app) as jira_server:
        zendesk = create_zendesk_adapter(
            SourceConfig(name="zd", kind="zendesk", url=zendesk_server.url, email=EMAIL, token_env="ZD_TOKEN"),
            TOKEN, sleep=lambda s: None)
        jira_config = SourceConfig(name="jsm", kind="jira", url=jira_server.url, email=EMAIL,
                                   token_env="JIRA_TOKEN", projects=("SUP",))
        jira = create_jira_adapter(jira_config, TOKEN, sleep=lambda s: None, rating_comments="all")
        zendesk_state, jira_state = MemoryState(), MemoryState()
        zendesk_run, jira_run = sync(zendesk, zendesk_state), sync(jira, jira_state)
        default_state = MemoryState()
        sync(create_jira_adapter(jira_config, TOKEN, sleep=lambda s: None, rating_comments="none"), default_state)
    return scenario, zendesk_state, zendesk_run, jira_state, jira_run, default_state


def test_both_simulators_serve_the_same_generated_story(both):
    scenario = both[0]
    # The Zendesk simulator generates its story itself from (tickets, seed, now).
    assert generate_scenario(TICKETS, SEED, NOW) == scenario


def test_every_live_ticket_is_built_by_both_adapters(both):
    scenario, zendesk_state, zendesk_run, jira_state, jira_run, _ = both
    assert zendesk_run.bad == [] and jira_run.bad == []
    live = sorted(t.number for t in scenario.tickets if t.deleted_at is None)
    assert sorted(int(t.key) for t in zendesk_state.tickets.values() if not t.deleted) == live
    assert sorted(int(t.key.removeprefix("SUP-")) for t in jira_state.tickets.values()) == live


def test_the_canonical_timelines_agree_ticket_by_ticket(both):
    _, zendesk_state, _, jira_state, _, _ = both
    zendesk = {int(t.key): t for t in zendesk_state.tickets.values()}
    jira = {int(t.key.removeprefix("SUP-")): t for t in jira_state.tickets.values()}
    differing = {
        number: (timeline(zendesk[number]), timeline(jira[number]))
        for number in sorted(jira) if timeline(zendesk[number]) != timeline(jira[number])
    }
    assert not differing, _explain(differing)


def test_the_canonical_fields_both_helpdesks_carry_agree(both):
    _, zendesk_state, _, jira_state, _, _ = both
    zendesk = {int(t.key): t for t in zendesk_state.tickets.values()}
    jira = {int(t.key.removeprefix("SUP-")): t for t in jira_state.tickets.values()}
    fields = ("subject", "status", "priority", "tags", "created_at", "solved_at", "satisfaction")
    differing = {
        (number, name): (getattr(zendesk[number], name), getattr(jira[number], name))
        for number in sorted(jira) for name in fields
        if getattr(zendesk[number], name) != getattr(jira[number], name)
    }
    assert not differing, "\n".join(f"#{n} {name}: zendesk {z!r} / jira {j!r}"
                                    for (n, name), (z, j) in list(differing.items())[:10])


def test_without_rating_comments_only_the_comments_of_ratings_differ(both):
    _, zendesk_state, _, _, _, default_state = both
    zendesk = {int(t.key): t for t in zendesk_state.tickets.values()}
    jira = {int(t.key.removeprefix("SUP-")): t for t in default_state.tickets.values()}

    def without_rating_comments(events):
        return [(at, kind, status, None if kind == "rating" else body, score)
                for at, kind, status, body, score in events]

    differing = {
        number: (timeline(zendesk[number]), timeline(jira[number])) for number in sorted(jira)
        if without_rating_comments(timeline(zendesk[number])) != timeline(jira[number])
    }
    assert not differing, _explain(differing)
    commented = [n for n, t in zendesk.items() if t.satisfaction and t.satisfaction.comment and n in jira]
    assert commented and all(jira[n].satisfaction.comment is None for n in commented)


def _explain(differing: dict) -> str:
    lines = [f"{len(differing)} tickets differ; the first ones:"]
    for number, (zendesk, jira) in list(differing.items())[:3]:
        lines.append(f"ticket #{number}")
        for index in range(max(len(zendesk), len(jira))):
            z = zendesk[index] if index < len(zendesk) else None
            j = jira[index] if index < len(jira) else None
            mark = "  " if z == j else "!="
            lines.append(f"  {mark} zendesk {z}\n     jira    {j}")
    return "\n".join(lines)

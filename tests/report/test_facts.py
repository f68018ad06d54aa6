"""The report from stored KPI facts (kpi/facts.py) equals the report from the timelines, figure for
figure: every goal's numerators and denominators per window and group, the evidence, categories,
measures and their SLA states, the pilots' cells, the tickets counted and left out. On the
hand-built tickets of sample.py and on generated helpdesks, at many `now`s: before, between and
long after the tickets' events (a ticket still waiting turns missed by time alone)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from deskplan.kpi.facts import FactMaker, facts_basis, horizon, refresh_facts, stored_report
from deskplan.kpi.report import build_report
from deskplan.kpi.results import Report
from deskplan.model import Status, Ticket
from deskplan.rules.load import Workspace, load_workspace
from deskplan.state.facts import Facts
from deskplan.state.store import Store
from deskplan.workspace.init import init_workspace

from ..generated_tickets import generated_tickets
from .sample import NOW, tickets, utc
from .timelines import reply, status, ticket

UTC = timezone.utc


def example_workspace(root: Path) -> Workspace:
    """The example plan and rules: every metric, a business calendar with holidays, a pilot."""
    init_workspace(root)
    return load_workspace(root)


def stored(root: Path, workspace: Workspace, items: list[Ticket]) -> Store:
    store = Store.open(root / "state.db")
    with store.transaction():
        store.save_tickets(items)
    refresh_facts(store, workspace)
    return store


def normal(report: Report) -> Report:
    """Left-out tickets in one order (the facts list theirs before the timelines')."""
    return replace(report, left_out=tuple(sorted(report.left_out, key=lambda t: (t.source, t.ticket_id))))


def assert_same(workspace: Workspace, store: Store, now: datetime) -> Report:
    expected = normal(build_report(workspace, store.tickets(), now))
    actual = normal(stored_report(workspace, store, now))
    for mine, theirs in zip(actual.goals, expected.goals, strict=True):
        assert [(w.label, w.numerator, w.denominator) for w in mine.windows] == \
               [(w.label, w.numerator, w.denominator) for w in theirs.windows], (mine.id, now)
        assert mine.groups == theirs.groups, (mine.id, now)
        assert [w.worst for w in mine.windows] == [w.worst for w in theirs.windows], (mine.id, now)
    assert actual == expected
    return actual


def test_the_goal_check_gets_the_same_goals(tmp_path: Path, workspace: Workspace):
    store = stored(tmp_path, workspace, tickets())
    expected = build_report(workspace, store.tickets(), NOW).goals
    assert stored_report(workspace, store, NOW, goals_only=True).goals == expected


def test_the_sample_tickets_at_every_instant_around_their_events(tmp_path: Path, workspace: Workspace):
    store = stored(tmp_path, workspace, tickets())
    instants = sorted({horizon(t) for t in tickets()})
    moments = [NOW, NOW + timedelta(days=40), utc(2026, 3, 29), *instants,
               *(i + timedelta(minutes=1) for i in instants), *(i + timedelta(hours=5) for i in instants)]
    for now in moments:
        assert_same(workspace, store, now)
    assert assert_same(workspace, store, NOW).tickets == 7


def test_a_waiting_ticket_turns_missed_at_the_same_instant_both_ways(tmp_path: Path):
    """Waiting on a business calendar: the first reply and resolution goals turn missed by the
    clock alone, and a paused ticket (waiting for the customer) never does."""
    workspace = example_workspace(tmp_path)
    created = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)      # Friday 17:30 in Shanghai: half an hour left
    waiting = ticket(created=created, key="W", group="Billing")
    paused = ticket(status(1, Status.WAITING_CUSTOMER, created), created=created, key="P")
    answered = ticket(reply(30, created), created=created, key="R")
    store = stored(tmp_path, workspace, [waiting, paused, answered])
    facts = FactMaker(workspace).facts(waiting)
    turns = sorted(g.turn for g in facts.goals if g.turn is not None)
    assert turns, "the waiting ticket's reply and resolution goals wait for the clock"
    for turn in turns:
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=turn)
        for now in (at - timedelta(microseconds=1), at, at + timedelta(microseconds=1), at + timedelta(hours=3)):
            assert_same(workspace, store, now)
    for days in (1, 3, 9, 30, 90):
        assert_same(workspace, store, created + timedelta(days=days))


def test_a_changed_workspace_recomputes_every_fact(tmp_path: Path, workspace: Workspace):
    store = stored(tmp_path, workspace, tickets())
    facts = Facts(store)
    assert facts.basis() == facts_basis(workspace) and facts.stale_count() == 0
    (tmp_path / "rules" / "complaints.yaml").write_text(
        (tmp_path / "rules" / "complaints.yaml").read_text() + "\n# changed\n", encoding="utf-8")
    changed = load_workspace(tmp_path)
    assert facts_basis(changed) != facts.basis()
    assert_same(changed, store, NOW)         # from the timelines until the facts are computed again
    assert refresh_facts(store, changed) == 7
    assert facts.basis() == facts_basis(changed)
    assert_same(changed, store, NOW)


def test_a_changed_ticket_is_counted_from_its_timeline_until_its_facts_are_computed(tmp_path: Path,
                                                                                  workspace: Workspace):
    store = stored(tmp_path, workspace, tickets())
    waiting = next(t for t in store.tickets() if t.key == "E")
    late = waiting.model_copy(update={"timeline": (reply(1, waiting.created_at),), "updated_at": NOW})
    with store.transaction():
        store.save_tickets([late])
    assert Facts(store).stale_count() == 1
    assert_same(workspace, store, NOW)
    assert refresh_facts(store, workspace) == 1
    assert_same(workspace, store, NOW)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), count=st.integers(20, 120), hours=st.integers(-24 * 40, 24 * 200))
def test_generated_helpdesks_at_any_now(tmp_path_factory, seed: int, count: int, hours: int):
    root = tmp_path_factory.mktemp("generated")
    workspace = example_workspace(root)
    told = datetime(2026, 5, 20, 10, tzinfo=UTC)
    store = stored(root, workspace, generated_tickets(count, seed, told))
    try:
        for now in (told, told + timedelta(hours=hours), told + timedelta(minutes=7)):
            assert_same(workspace, store, now)
    finally:
        store.close()

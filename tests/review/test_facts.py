"""A review from the stored KPI facts (kpi/facts.py, `stored_review`) equals the review built from
the timelines, figure for figure: each goal's numerators and denominators over the period and the
one before, its evidence, its teams and breakdowns, the planned path it is judged on, the
feedback categories and the measures' effects as of the period's end. On the hand-built
tickets of sample.py (weeks, months and quarters over a goal of another window, the turn of
the year) and on generated helpdesks with a pilot, for every closed period at several `now`s."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from deskplan.kpi import facts as kpi_facts
from deskplan.kpi.facts import horizon, refresh_facts, stored_review
from deskplan.kpi.review import Review, build_review, closed_periods
from deskplan.model import Ticket
from deskplan.rules.load import Workspace
from deskplan.state.facts import Facts
from deskplan.state.store import Store

from ..generated_tickets import generated_tickets
from ..report.test_facts import example_workspace
from .sample import local, november, turn_of_the_year

UTC = timezone.utc


@pytest.fixture()
def from_facts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many tickets each stored review read from their timelines, -1 for one built from the
    timelines alone (no facts used): a test of equality must show the facts were used. A handful
    of tickets is mostly read from timelines around its events, which the share kept for speed
    would turn into a review from the timelines alone: it is lifted here."""
    read: list[int] = []
    monkeypatch.setattr(kpi_facts, "TIMELINE_SHARE", 1.0)
    build = kpi_facts.build_review

    def counting(workspace: Workspace, tickets: Any, *args: Any, **kwargs: Any) -> Review:
        streamed = list(tickets)
        read.append(len(streamed) if kwargs.get("prefill") else -1)
        return build(workspace, streamed, *args, **kwargs)

    monkeypatch.setattr(kpi_facts, "build_review", counting)
    return read


def stored(root: Path, workspace: Workspace, items: list[Ticket]) -> Store:
    store = Store.open(root / "state.db")
    with store.transaction():
        store.save_tickets(items)
    refresh_facts(store, workspace)
    assert Facts(store).stale_count() == 0
    return store


def assert_same(workspace: Workspace, store: Store, now: datetime) -> int:
    """Every cadence entry's every closed period both ways; how many reviews were compared."""
    compared = 0
    for cadence in workspace.plan.cadence:
        for period in closed_periods(cadence.every, workspace.plan, now):
            expected = build_review(workspace, store.tickets(), now, cadence, period)
            actual = stored_review(workspace, store, now, cadence, period)
            for mine, theirs in zip(actual.goals, expected.goals, strict=True):
                assert (mine.numerator, mine.denominator, mine.previous_numerator, mine.previous_denominator) == \
                       (theirs.numerator, theirs.denominator, theirs.previous_numerator,
                        theirs.previous_denominator), (cadence.id, period.label, mine.id, now)
                assert mine.worst == theirs.worst, (cadence.id, period.label, mine.id, now)
            assert actual.groups == expected.groups, (cadence.id, period.label, now)
            assert actual.feedback == expected.feedback, (cadence.id, period.label, now)
            assert actual.effects == expected.effects, (cadence.id, period.label, now)
            assert actual == expected, (cadence.id, period.label, now)
            compared += 1
    return compared


def test_the_sample_reviews_from_the_facts(tmp_path: Path, workspace: Workspace, from_facts: list[int]):
    items = november() + turn_of_the_year()
    store = stored(tmp_path, workspace, items)
    for now in (local(2026, 11, 16, 9), local(2026, 11, 17, 10), local(2027, 1, 5, 9), local(2027, 4, 2, 9)):
        assert assert_same(workspace, store, now) > 0
    # Weekly, monthly and quarterly periods over weekly, monthly and quarterly goals: the plan's
    # week 40 to week 45 (7 weeks) and October by 16 November; 26 weeks, 6 months and 2 quarters
    # by April.
    assert len(from_facts) == (7 + 1) + (7 + 1) + (14 + 3 + 1) + (26 + 6 + 2)
    assert -1 not in from_facts
    # Long after every ticket, only a ticket created before the period's end and answered after
    # it is read from its timeline (for the effects as of the period's end): D across week 46's
    # end, W52 and LAST across their weeks' ends, NYE across December's and the quarter's.
    spanning = [sum(1 for t in items if t.created_at < period.end < horizon(t))
                for cadence in workspace.plan.cadence
                for period in closed_periods(cadence.every, workspace.plan, local(2027, 4, 2, 9))]
    assert sum(spanning) == 5 and max(spanning) == 1
    assert from_facts[-(26 + 6 + 2):] == spanning


def test_the_review_is_the_same_before_a_reply_and_after_it(tmp_path: Path, workspace: Workspace,
                                                           from_facts: list[int]):
    """A ticket of the period answered after it ends: its effect as of the period's end comes
    from its timeline; its goal figures (what happened by `now`) from its facts."""
    late = november()[-1]       # created Sunday 23:30 of week 46, answered in week 47
    store = stored(tmp_path, workspace, november())
    for now in (late.created_at + timedelta(minutes=40), late.created_at + timedelta(hours=2),
                late.created_at + timedelta(days=3)):
        assert assert_same(workspace, store, now) > 0
    assert -1 not in from_facts


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), count=st.integers(20, 100), hours=st.integers(0, 24 * 60))
def test_generated_helpdesks_with_a_pilot(tmp_path_factory, seed: int, count: int, hours: int):
    root = tmp_path_factory.mktemp("generated")
    workspace = example_workspace(root)
    told = datetime(2026, 5, 20, 10, tzinfo=UTC)
    store = stored(root, workspace, generated_tickets(count, seed, told))
    try:
        for now in (told, told + timedelta(hours=hours)):
            assert assert_same(workspace, store, now) > 0
    finally:
        store.close()

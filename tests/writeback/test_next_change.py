"""`next_change`: no SLA clock's state changes from `now` up to the instant it names, and one
does just after it (an idle run skips a ticket exactly as long as nothing changes for it)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from deskplan.rules.load import Workspace, load_workspace
from deskplan.workspace.init import init_workspace
from deskplan.writes.assess import Assessor, next_change

from ..generated_tickets import generated_tickets

TOLD = datetime(2026, 5, 20, 10, tzinfo=timezone.utc)
US = timedelta(microseconds=1)


def example_workspace(root: Path) -> Workspace:
    init_workspace(root)
    return load_workspace(root)


def states(workspace: Workspace, ticket, now: datetime) -> list[str]:
    return [str(clock.state) for clock in Assessor(workspace, now).assess(ticket).clocks]


def as_of(ticket, now: datetime):
    """The ticket as it stood at `now`: what happened later cut off (so many are still waiting)."""
    timeline = tuple(e for e in ticket.timeline if e.at <= now)
    return ticket.model_copy(update={"timeline": timeline, "updated_at": min(ticket.updated_at, now),
                                     "solved_at": None, "satisfaction": None})


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), minutes=st.integers(0, 60 * 72))
def test_no_clock_changes_before_the_next_change_and_one_does_after_it(tmp_path_factory, seed: int, minutes: int):
    workspace = example_workspace(tmp_path_factory.mktemp("ws"))
    turned = 0
    for story in generated_tickets(40, seed, TOLD):
        now = story.created_at + timedelta(minutes=minutes)       # each ticket in the middle of its story
        ticket = as_of(story, now)
        assessment = Assessor(workspace, now).assess(ticket)
        turn = next_change(assessment, workspace.calendars, now)
        before = states(workspace, ticket, now)
        if turn is None:
            assert states(workspace, ticket, now + timedelta(days=400)) == before, ticket.ref
            continue
        assert states(workspace, ticket, turn) == before, ticket.ref
        assert states(workspace, ticket, turn - (turn - now) / 2) == before, ticket.ref
        assert states(workspace, ticket, turn + US) != before, ticket.ref
        turned += 1
    assert turned

"""SLA clock laws over random timelines (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from deskplan.model import EventKind, Status, Ticket, TimelineEvent
from deskplan.rules.calendar import build_calendar
from deskplan.rules.calendar_spec import CalendarSpec
from deskplan.rules.engine import SlaTarget
from deskplan.rules.sla import SlaState, active_elapsed, compute_clock, split_by_pauses

UTC = timezone.utc
CREATED = datetime(2026, 11, 16, 8, 30, tzinfo=UTC)
OFFICE = build_calendar("office", CalendarSpec.model_validate(
    {"timezone": "Europe/Berlin", "hours": {"mon-fri": ["09:00-12:00", "13:00-17:00"]}, "holidays": {"country": "DE"}},
))

offsets = st.integers(0, 20 * 24 * 3600)


@st.composite
def tickets(draw) -> Ticket:
    events = [
        TimelineEvent(at=CREATED + timedelta(seconds=s), kind=EventKind.STATUS, status=draw(st.sampled_from(Status)))
        for s in draw(st.lists(offsets, max_size=8))
    ]
    events += [
        TimelineEvent(at=CREATED + timedelta(seconds=s), kind=EventKind.PUBLIC_REPLY, by_deskplan=draw(st.booleans()))
        for s in draw(st.lists(offsets, max_size=3))
    ]
    return Ticket(source="s", id="1", key="1", status=Status.OPEN, created_at=CREATED,
                  updated_at=CREATED, timeline=tuple(events))


targets = st.builds(
    lambda kind, minutes: SlaTarget(kind, timedelta(minutes=minutes), "office", "r"),
    st.sampled_from(["first_reply", "resolution"]), st.integers(1, 5 * 8 * 60),
)


@settings(max_examples=150, deadline=None)
@given(tickets(), offsets)
def test_active_and_paused_stretches_partition_the_span(ticket, seconds):
    end = CREATED + timedelta(seconds=seconds)
    active, paused = split_by_pauses(ticket, CREATED, end)
    stretches = sorted(active + paused)
    assert all(a < b for a, b in stretches)
    assert all(stretches[i][1] == stretches[i + 1][0] for i in range(len(stretches) - 1))
    if seconds:
        assert (stretches[0][0], stretches[-1][1]) == (CREATED, end)


@settings(max_examples=150, deadline=None)
@given(tickets(), targets, offsets, offsets)
def test_clock_laws(ticket, target, s1, s2):
    early, late = sorted((CREATED + timedelta(seconds=s1), CREATED + timedelta(seconds=s2)))
    first, second = (compute_clock(ticket, target, OFFICE, now) for now in (early, late))
    for clock, now in ((first, early), (second, late)):
        assert clock.elapsed == active_elapsed(ticket, OFFICE, CREATED, clock.stopped_at or now)
        assert clock.elapsed + clock.remaining >= target.target
        assert (clock.state is SlaState.BREACHED) == (clock.elapsed > target.target)
        assert (clock.state is SlaState.MET) == (clock.stopped_at is not None and clock.elapsed <= target.target)
        waiting = clock.paused and clock.state is not SlaState.BREACHED and clock.remaining > timedelta(0)
        assert (clock.due is None) == waiting
        if clock.due is not None and clock.remaining == timedelta(0):
            assert active_elapsed(ticket, OFFICE, CREATED, clock.due) == target.target
    # Time only moves a clock forward, and a stopped clock stays stopped where it stopped.
    assert first.elapsed <= second.elapsed
    if first.stopped_at is not None:
        assert (second.stopped_at, second.elapsed, second.state) == (first.stopped_at, first.elapsed, first.state)

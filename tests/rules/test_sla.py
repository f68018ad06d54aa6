"""SLA clocks on small hand-built timelines, with exact expected values.

The calendar is Mon-Fri 09:00-17:00 UTC unless a test says otherwise; 2026-11-16 is a Monday.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from deskplan.errors import ConfigError
from deskplan.model import EventKind, Status, Ticket, TimelineEvent
from deskplan.rules.calendar import CALENDAR_24X7, build_calendar
from deskplan.rules.calendar_spec import CalendarSpec
from deskplan.rules.engine import SlaTarget
from deskplan.rules.sla import (
    SlaState,
    active_elapsed,
    active_intervals,
    compute_clock,
    compute_clocks,
    first_reply_at,
    first_solved_at,
    status_changes,
)

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
M = timedelta(minutes=1)
OFFICE = build_calendar("office", CalendarSpec.model_validate({"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}))


def at(day: int, hour: int, minute: int = 0, second: int = 0, tz=UTC) -> datetime:
    """An instant in the week of Monday 2026-11-16 (`day` 16 is Monday)."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=tz)


def status(when: datetime, new: Status, old: Status | None = None) -> TimelineEvent:
    return TimelineEvent(at=when, kind=EventKind.STATUS, status=new, from_status=old)


def reply(when: datetime, *, by_deskplan: bool = False) -> TimelineEvent:
    return TimelineEvent(at=when, kind=EventKind.PUBLIC_REPLY, body="hello", by_deskplan=by_deskplan)


def ticket(created: datetime, *events: TimelineEvent, current: Status = Status.OPEN, **fields) -> Ticket:
    return Ticket(source="zd", id="1", key="1", status=current, created_at=created,
                  updated_at=max([created] + [e.at for e in events]), timeline=events, **fields)


def first_reply(target: timedelta, calendar: str = "office") -> SlaTarget:
    return SlaTarget("first_reply", target, calendar, "r1")


def resolution(target: timedelta, calendar: str = "office") -> SlaTarget:
    return SlaTarget("resolution", target, calendar, "r2")


# --- first reply ------------------------------------------------------------------------------

def test_reply_within_target_is_met():
    t = ticket(at(16, 9), status(at(16, 9), Status.NEW), reply(at(16, 10, 30)))
    clock = compute_clock(t, first_reply(2 * H), OFFICE, now=at(16, 15))
    assert clock.state is SlaState.MET
    assert (clock.elapsed, clock.remaining, clock.overdue) == (90 * M, 30 * M, timedelta(0))
    assert clock.stopped_at == at(16, 10, 30)
    assert clock.due == at(16, 11)           # when it would have fallen due
    assert clock.started_at == at(16, 9)
    assert not clock.paused


def test_reply_after_target_is_breached():
    t = ticket(at(16, 9), reply(at(16, 10, 30)))
    clock = compute_clock(t, first_reply(1 * H), OFFICE, now=at(16, 15))
    assert clock.state is SlaState.BREACHED
    assert (clock.elapsed, clock.remaining, clock.overdue) == (90 * M, timedelta(0), 30 * M)
    assert clock.due == at(16, 10)
    assert clock.stopped_at == at(16, 10, 30)


def test_replies_by_deskplan_and_after_now_do_not_stop_the_clock():
    t = ticket(at(16, 9), reply(at(16, 9, 30), by_deskplan=True), reply(at(16, 11)))
    clock = compute_clock(t, first_reply(4 * H), OFFICE, now=at(16, 10, 30))
    assert clock.stopped_at is None
    assert clock.state is SlaState.ON_TRACK
    assert (clock.elapsed, clock.remaining) == (90 * M, 150 * M)
    assert clock.due == at(16, 13)
    assert first_reply_at(t) == at(16, 11)
    assert first_reply_at(t, until=at(16, 10)) is None


def test_solving_without_a_reply_does_not_stop_the_first_reply_clock():
    t = ticket(at(16, 9), status(at(16, 9), Status.NEW), status(at(16, 10), Status.SOLVED, Status.NEW),
               current=Status.SOLVED)
    clock = compute_clock(t, first_reply(2 * H), OFFICE, now=at(16, 12))
    assert clock.state is SlaState.BREACHED
    assert clock.stopped_at is None
    assert clock.due == at(16, 11)


# --- the at_risk boundary ---------------------------------------------------------------------

@pytest.mark.parametrize(("now", "state", "remaining"), [
    (at(16, 11, 59, 59), SlaState.ON_TRACK, 60 * M + timedelta(seconds=1)),
    (at(16, 12), SlaState.ON_TRACK, 60 * M),                 # exactly a quarter left
    (at(16, 12, 0, 1), SlaState.AT_RISK, 60 * M - timedelta(seconds=1)),
    (at(16, 13), SlaState.AT_RISK, timedelta(0)),            # exactly the target elapsed
    (at(16, 13, 0, 1), SlaState.BREACHED, timedelta(0)),
])
def test_at_risk_when_less_than_a_quarter_remains(now, state, remaining):
    t = ticket(at(16, 9))
    clock = compute_clock(t, resolution(4 * H), OFFICE, now=now)
    assert (clock.state, clock.remaining) == (state, remaining)
    assert clock.due == at(16, 13)


# --- pauses -----------------------------------------------------------------------------------

def pending_overnight() -> Ticket:
    return ticket(
        at(16, 9),
        status(at(16, 9), Status.NEW),
        status(at(16, 10), Status.WAITING_CUSTOMER, Status.NEW),
        status(at(17, 9), Status.OPEN, Status.WAITING_CUSTOMER),     # the customer answered
    )


def test_time_waiting_for_the_customer_is_not_counted():
    clock = compute_clock(pending_overnight(), resolution(8 * H), OFFICE, now=at(17, 12))
    assert clock.elapsed == 4 * H                     # Mon 09-10 and Tue 09-12
    assert clock.counted == ((at(16, 9), at(16, 10)), (at(17, 9), at(17, 12)))
    assert clock.pauses == ((at(16, 10), at(17, 9)),)
    assert clock.state is SlaState.ON_TRACK
    assert clock.due == at(17, 16)
    assert not clock.paused


def test_while_paused_due_is_unknown():
    clock = compute_clock(pending_overnight(), resolution(8 * H), OFFICE, now=at(16, 15))
    assert clock.paused
    assert clock.due is None
    assert (clock.elapsed, clock.remaining, clock.state) == (1 * H, 7 * H, SlaState.ON_TRACK)


def test_paused_clock_that_already_passed_its_target_is_breached():
    t = ticket(at(16, 9), status(at(16, 12), Status.WAITING_CUSTOMER, Status.OPEN))
    clock = compute_clock(t, first_reply(2 * H), OFFICE, now=at(17, 10))
    assert clock.paused
    assert clock.state is SlaState.BREACHED
    assert (clock.elapsed, clock.overdue) == (3 * H, 1 * H)
    assert clock.due == at(16, 11)


def test_paused_at_risk():
    t = ticket(at(16, 9), status(at(16, 12, 30), Status.WAITING_CUSTOMER, Status.OPEN))
    clock = compute_clock(t, resolution(4 * H), OFFICE, now=at(18, 10))
    assert (clock.state, clock.paused, clock.due, clock.remaining) == (SlaState.AT_RISK, True, None, 30 * M)


def test_pause_statuses_are_configurable():
    t = ticket(at(16, 9), status(at(16, 10), Status.ON_HOLD, Status.OPEN), status(at(16, 14), Status.OPEN))
    default = compute_clock(t, resolution(8 * H), OFFICE, now=at(16, 15))
    on_hold_too = compute_clock(t, resolution(8 * H), OFFICE, now=at(16, 15),
                                pause_statuses={Status.WAITING_CUSTOMER, Status.ON_HOLD})
    assert (default.elapsed, on_hold_too.elapsed) == (6 * H, 2 * H)


def test_ticket_created_waiting_for_the_customer_is_paused_from_the_start():
    t = ticket(at(16, 9), status(at(16, 9), Status.WAITING_CUSTOMER), status(at(16, 11), Status.OPEN))
    clock = compute_clock(t, resolution(8 * H), OFFICE, now=at(16, 12))
    assert clock.elapsed == 1 * H
    assert clock.pauses == ((at(16, 9), at(16, 11)),)


def test_reply_while_going_to_waiting_at_the_same_instant_stops_the_clock():
    t = ticket(at(16, 9), reply(at(16, 10)), status(at(16, 10), Status.WAITING_CUSTOMER, Status.OPEN))
    clock = compute_clock(t, first_reply(2 * H), OFFICE, now=at(16, 15))
    assert (clock.state, clock.elapsed, clock.paused, clock.stopped_at) == (SlaState.MET, 1 * H, False, at(16, 10))


# --- resolution and reopening -----------------------------------------------------------------

def reopened() -> Ticket:
    return ticket(
        at(16, 9),
        status(at(16, 9), Status.NEW),
        status(at(16, 11), Status.SOLVED, Status.NEW),
        status(at(17, 9), Status.OPEN, Status.SOLVED),                # the customer reopened it
        status(at(18, 12), Status.SOLVED, Status.OPEN),
        current=Status.SOLVED,
    )


def test_resolution_measures_to_the_first_solve_and_a_reopen_starts_no_new_cycle():
    for now in (at(17, 10), at(18, 16)):
        clock = compute_clock(reopened(), resolution(4 * H), OFFICE, now=now)
        assert clock.state is SlaState.MET
        assert clock.stopped_at == at(16, 11)
        assert clock.elapsed == 2 * H
        assert clock.due == at(16, 13)
    assert first_solved_at(reopened()) == at(16, 11)


def test_closed_counts_as_resolved():
    t = ticket(at(16, 9), status(at(16, 10), Status.CLOSED, Status.OPEN), current=Status.CLOSED)
    assert compute_clock(t, resolution(4 * H), OFFICE, now=at(20, 9)).stopped_at == at(16, 10)


def test_ticket_without_status_events_uses_solved_at():
    t = Ticket(source="zd", id="2", key="2", status=Status.SOLVED, created_at=at(16, 9),
               updated_at=at(17, 9), solved_at=at(16, 14))
    clock = compute_clock(t, resolution(4 * H), OFFICE, now=at(20, 9))
    assert (clock.stopped_at, clock.elapsed, clock.state) == (at(16, 14), 5 * H, SlaState.BREACHED)
    assert status_changes(t) == [(at(16, 9), Status.NEW), (at(16, 14), Status.SOLVED)]


# --- calendars ----------------------------------------------------------------------------------

def test_ticket_created_outside_working_hours():
    t = ticket(datetime(2026, 11, 21, 10, tzinfo=UTC))                 # Saturday
    waiting = compute_clock(t, first_reply(2 * H), OFFICE, now=datetime(2026, 11, 22, 20, tzinfo=UTC))
    assert (waiting.elapsed, waiting.state, waiting.due) == (timedelta(0), SlaState.ON_TRACK, at(23, 11))
    answered = ticket(datetime(2026, 11, 21, 10, tzinfo=UTC), reply(at(23, 10)))
    clock = compute_clock(answered, first_reply(2 * H), OFFICE, now=at(23, 12))
    assert (clock.elapsed, clock.state) == (1 * H, SlaState.MET)


def test_clock_across_the_national_day_holidays():
    support = build_calendar("support-hours", CalendarSpec.model_validate({
        "timezone": "Asia/Shanghai",
        "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"]},
        "holidays": {"country": "CN"},
    }))
    t = ticket(datetime(2026, 9, 30, 17, tzinfo=SHANGHAI))
    clock = compute_clock(t, resolution(4 * H, "support-hours"), support,
                          now=datetime(2026, 10, 8, 10, tzinfo=SHANGHAI))
    assert clock.elapsed == 2 * H                     # Sep 30 17-18, Oct 8 09-10
    assert clock.due == datetime(2026, 10, 8, 12, tzinfo=SHANGHAI)
    assert clock.state is SlaState.ON_TRACK


def test_now_before_creation():
    clock = compute_clock(ticket(at(16, 9)), resolution(4 * H), OFFICE, now=at(16, 8))
    assert (clock.elapsed, clock.state, clock.due, clock.paused) == (timedelta(0), SlaState.ON_TRACK, at(16, 13), False)


def test_compute_clocks_uses_each_target_calendar_and_knows_24x7():
    t = ticket(at(16, 16))
    clocks = compute_clocks(t, [first_reply(2 * H, "24x7"), resolution(2 * H)], {"office": OFFICE}, now=at(16, 17))
    assert [(c.kind, c.calendar, c.elapsed, c.due) for c in clocks] == [
        ("first_reply", "24x7", 1 * H, at(16, 18)),
        ("resolution", "office", 1 * H, at(17, 10)),
    ]


def test_unknown_calendar_is_a_config_error():
    with pytest.raises(ConfigError, match="rule r2: SLA target resolution names calendar 'nights'"):
        compute_clocks(ticket(at(16, 9)), [resolution(H, "nights")], {"office": OFFICE}, now=at(16, 10))


def test_invalid_targets():
    with pytest.raises(ValueError):
        compute_clock(ticket(at(16, 9)), SlaTarget("next_reply", H, "office", "r"), OFFICE, now=at(16, 10))
    with pytest.raises(ValueError, match="longer than zero"):
        compute_clock(ticket(at(16, 9)), SlaTarget("resolution", timedelta(0), "office", "r"), OFFICE, now=at(16, 10))


# --- helpers for KPIs and explain ---------------------------------------------------------------

def test_active_intervals_and_elapsed_for_kpis():
    t = pending_overnight()
    assert active_intervals(t, at(16, 9), at(17, 12)) == [(at(16, 9), at(16, 10)), (at(17, 9), at(17, 12))]
    assert active_elapsed(t, OFFICE, at(16, 9), at(17, 12)) == 4 * H
    assert active_elapsed(t, CALENDAR_24X7, at(16, 9), at(17, 12)) == 4 * H
    assert active_elapsed(t, CALENDAR_24X7, at(16, 8), at(16, 9, 30)) == 90 * M    # before creation: counted
    assert active_elapsed(t, OFFICE, at(17, 12), at(16, 9)) == timedelta(0)


def test_status_changes_collapse_repeats_and_same_instant_changes():
    t = ticket(at(16, 9), status(at(16, 9), Status.NEW), status(at(16, 10), Status.OPEN, Status.NEW),
               status(at(16, 10), Status.WAITING_CUSTOMER, Status.OPEN), status(at(16, 11), Status.WAITING_CUSTOMER))
    assert status_changes(t) == [(at(16, 9), Status.NEW), (at(16, 10), Status.WAITING_CUSTOMER)]
    # A ticket whose history starts later: its status at creation is the first change's origin.
    late = ticket(at(16, 9), status(at(16, 12), Status.SOLVED, Status.OPEN))
    assert status_changes(late) == [(at(16, 9), Status.OPEN), (at(16, 12), Status.SOLVED)]


def test_explain_lists_the_working_intervals_counted_and_the_pauses():
    clock = compute_clock(pending_overnight(), resolution(8 * H), OFFICE, now=at(17, 12))
    explained = clock.explain(OFFICE)
    assert explained["counted"] == [
        {"from": "2026-11-16T09:00:00Z", "to": "2026-11-16T10:00:00Z", "business": 3600,
         "working_intervals": [["2026-11-16T09:00:00Z", "2026-11-16T10:00:00Z"]]},
        {"from": "2026-11-17T09:00:00Z", "to": "2026-11-17T12:00:00Z", "business": 10800,
         "working_intervals": [["2026-11-17T09:00:00Z", "2026-11-17T12:00:00Z"]]},
    ]
    assert explained["paused_periods"] == [{"from": "2026-11-16T10:00:00Z", "to": "2026-11-17T09:00:00Z"}]
    assert explained["sum"] == "3600 + 10800 = 14400 s of 28800 s"
    assert explained["calendar_hours"] == (
        "office (UTC): mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"
    )
    assert {k: explained[k] for k in ("state", "due", "elapsed", "remaining", "paused", "rule_id")} == {
        "state": "on_track", "due": "2026-11-17T16:00:00Z", "elapsed": 14400, "remaining": 14400,
        "paused": False, "rule_id": "r2",
    }


def test_explain_before_any_working_time():
    clock = compute_clock(ticket(datetime(2026, 11, 21, 10, tzinfo=UTC)), resolution(H), OFFICE,
                          now=datetime(2026, 11, 21, 12, tzinfo=UTC))
    explained = clock.explain(OFFICE)
    assert explained["counted"] == [{"from": "2026-11-21T10:00:00Z", "to": "2026-11-21T12:00:00Z", "business": 0,
                                     "working_intervals": []}]
    assert explained["sum"] == "0 = 0 s of 3600 s"


def test_rule_ids_name_the_overridden_rules_too():
    target = SlaTarget("resolution", 4 * H, "office", "vip", ("default",))
    assert compute_clock(ticket(at(16, 9)), target, OFFICE, now=at(16, 10)).rule_ids == ("vip", "default")

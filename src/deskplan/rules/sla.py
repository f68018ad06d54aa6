"""SLA clocks from a ticket's timeline, on a business calendar (README, "What deskplan writes").

Two kinds of clock start when the ticket is created:

- `first_reply` stops at the first public reply by an agent (`EventKind.PUBLIC_REPLY`, not
  written by deskplan). Solving a ticket does not stop it: `first_reply_within` counts a ticket with no
  reply as missed once the target has passed, and the clock says the same.
- `resolution` stops at the first entry into `solved` or `closed`.

While the ticket is in a pause status (default: `waiting_customer`, as the KPIs leave that
time out of the KPIs) the clock does not count; outside the calendar's working hours it does
not count either. Elapsed time is business time on the clock's calendar.

Reopened tickets: a clock has one cycle. The resolution clock measures to the FIRST solve and
stays stopped when the ticket is reopened, exactly as the KPI `resolution_within` counts
"to the first solved"; reopens show up in `first_contact_resolution` instead. So a status
comment and the KPI report never disagree about whether a ticket met its resolution target.

State at `now` (events after `now` are ignored, so DESKPLAN_NOW replays are exact):
- `breached`: more than the target has elapsed, whether the clock runs, is paused or stopped;
- `met`: stopped within the target;
- `at_risk`: running (or paused) and less than a quarter of the target remains; exactly a
  quarter is still `on_track`, and exactly the target elapsed is `at_risk`, not yet breached;
- `on_track`: otherwise.

`due` is the instant the target was or will be reached: for a breached clock, when it was
crossed; for a running one, `now` plus the remaining business time; for one stopped within
its target, the stop plus the remaining time (when it would have fallen due); for a paused
one, None: when the customer answers is unknown, and `remaining` says what is left.
`remaining` is never negative; `overdue` is how far past the target a breached clock is.

A ticket's status history comes from its STATUS events. Its status at creation is the first
event's status if that event is at creation, else the first event's `from_status`, else
`new`. A ticket without STATUS events is taken to have been `new` until its `updated_at`
(its `solved_at` if resolved) and in its current status since.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from deskplan.errors import ConfigError
from deskplan.model import EventKind, Status, Ticket
from deskplan.rules.calendar import CALENDAR_24X7, NAME_24X7, ZERO, Calendar

DEFAULT_PAUSE_STATUSES: frozenset[Status] = frozenset({Status.WAITING_CUSTOMER})

Span = tuple[datetime, datetime]


class SlaKind(StrEnum):
    FIRST_REPLY = "first_reply"
    RESOLUTION = "resolution"


class SlaState(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


class SlaTargetLike(Protocol):
    """What a clock needs of a target; the rules engine's `SlaTarget` is one."""

    @property
    def kind(self) -> str: ...
    @property
    def target(self) -> timedelta: ...
    @property
    def calendar(self) -> str: ...
    @property
    def rule_id(self) -> str | None: ...


@dataclass(frozen=True)
class SlaClock:
    """One SLA clock of one ticket at one instant (`now`)."""

    kind: str
    target: timedelta
    calendar: str
    rule_id: str | None
    started_at: datetime
    due: datetime | None              # None while paused (and not yet breached)
    elapsed: timedelta                # business time counted, pauses left out
    remaining: timedelta              # business time left before the target; never negative
    state: SlaState
    stopped_at: datetime | None       # the reply or the first solve, if it came by `now`
    paused: bool                      # running, but in a pause status at `now`
    counted: tuple[Span, ...] = ()    # the unpaused stretches measured, from start to stop or now
    pauses: tuple[Span, ...] = ()     # the paused stretches left out, within the same span
    overridden: tuple[str, ...] = ()  # rules that also set this kind, less strictly

    @property
    def overdue(self) -> timedelta:
        """How much business time past the target a breached clock is (zero otherwise)."""
        return max(self.elapsed - self.target, ZERO)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The rule behind the target first, then the rules it overrode."""
        return ((self.rule_id,) if self.rule_id else ()) + self.overridden

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: instants in ISO-8601 UTC, durations in whole seconds."""
        return {
            "kind": self.kind,
            "rule_id": self.rule_id,
            "calendar": self.calendar,
            "target": _seconds(self.target),
            "state": str(self.state),
            "started_at": _iso(self.started_at),
            "due": _iso(self.due),
            "stopped_at": _iso(self.stopped_at),
            "paused": self.paused,
            "elapsed": _seconds(self.elapsed),
            "remaining": _seconds(self.remaining),
            "overdue": _seconds(self.overdue),
        }

    def explain(self, calendar: Calendar) -> dict[str, Any]:
        """The arithmetic behind `elapsed`, for `deskplan explain`: each unpaused stretch with the
        working intervals counted in it, and the paused stretches that were left out."""
        stretches = []
        for start, end in self.counted:
            intervals = list(calendar.working_intervals(start, end))
            stretches.append({
                "from": _iso(start),
                "to": _iso(end),
                "business": _seconds(sum((e - s for s, e in intervals), ZERO)),
                "working_intervals": [[_iso(s), _iso(e)] for s, e in intervals],
            })
        return {
            **self.as_dict(),
            "calendar_hours": calendar.describe(),
            "counted": stretches,
            "paused_periods": [{"from": _iso(s), "to": _iso(e)} for s, e in self.pauses],
            "sum": (" + ".join(str(s["business"]) for s in stretches) or "0")
                   + f" = {_seconds(self.elapsed)} s of {_seconds(self.target)} s",
        }


# --- timeline facts -------------------------------------------------------------------------------

def status_changes(ticket: Ticket, until: datetime | None = None) -> list[tuple[datetime, Status]]:
    """(instant, status entered) from creation on, the first at `created_at`; none after `until`.
    Consecutive repeats of one status are dropped."""
    created = ticket.created_at
    # (instant, status entered, status left) of each status event, in time order
    entered = sorted(((e.at, e.status, e.from_status) for e in ticket.timeline
                      if e.kind is EventKind.STATUS and e.status is not None), key=lambda e: e[0])
    if entered:
        first_at, first_status, first_from = entered[0]
        initial = first_status if first_at <= created else (first_from or Status.NEW)
        raw = [(created, initial)] + [(max(at, created), status) for at, status, _ in entered]
    else:
        since = (ticket.solved_at if ticket.status.is_resolved else None) or ticket.updated_at
        raw = [(created, Status.NEW), (max(since, created), ticket.status)]
    changes: list[tuple[datetime, Status]] = []
    for at, status in raw:
        if until is not None and at > until:
            break
        if changes and changes[-1][0] == at:
            changes[-1] = (at, status)          # several changes at one instant: the last one holds
        elif not changes or changes[-1][1] != status:
            changes.append((at, status))
    # A same-instant overwrite can leave two equal statuses in a row.
    return [c for i, c in enumerate(changes) if i == 0 or changes[i - 1][1] != c[1]]


def first_reply_at(ticket: Ticket, until: datetime | None = None) -> datetime | None:
    """The first public agent reply not written by deskplan (at or after creation), by `until`."""
    replies = [
        max(e.at, ticket.created_at) for e in ticket.timeline
        if e.kind is EventKind.PUBLIC_REPLY and not e.by_deskplan and (until is None or e.at <= until)
    ]
    return min(replies, default=None)


def first_solved_at(ticket: Ticket, until: datetime | None = None) -> datetime | None:
    """The first time the ticket entered solved or closed, by `until`."""
    return next((at for at, status in status_changes(ticket, until) if status.is_resolved), None)


def split_by_pauses(
    ticket: Ticket, start: datetime, end: datetime, pause_statuses: Iterable[Status] = DEFAULT_PAUSE_STATUSES,
) -> tuple[list[Span], list[Span]]:
    """[start, end] cut into the stretches the ticket was not paused and those it was, in order."""
    if end <= start:
        return [], []
    return _split(status_changes(ticket, until=end), start, end, frozenset(pause_statuses))


def _split(
    changes: list[tuple[datetime, Status]], start: datetime, end: datetime, pause: frozenset[Status],
) -> tuple[list[Span], list[Span]]:
    active: list[Span] = []
    paused: list[Span] = []
    if end <= start:
        return active, paused
    if not changes:                             # all before creation: nothing is known, not paused
        return [(start, end)], paused
    # Before creation nothing is known: not paused.
    pieces = [(start, changes[0][0], False)] if start < changes[0][0] else []
    bounds = [at for at, _ in changes[1:]] + [end]
    pieces += [(max(at, start), until, status in pause) for (at, status), until in zip(changes, bounds, strict=True)]
    for lo, hi, is_paused in pieces:
        hi = min(hi, end)
        if lo >= hi:
            continue
        spans = paused if is_paused else active
        if spans and spans[-1][1] == lo:
            spans[-1] = (spans[-1][0], hi)      # new -> open: one stretch
        else:
            spans.append((lo, hi))
    return active, paused


def active_intervals(
    ticket: Ticket, start: datetime, end: datetime, pause_statuses: Iterable[Status] = DEFAULT_PAUSE_STATUSES,
) -> list[Span]:
    """The stretches of [start, end] the ticket spent outside the pause statuses."""
    return split_by_pauses(ticket, start, end, pause_statuses)[0]


def active_elapsed(
    ticket: Ticket, calendar: Calendar, start: datetime, end: datetime,
    pause_statuses: Iterable[Status] = DEFAULT_PAUSE_STATUSES,
) -> timedelta:
    """Business time between two instants on `calendar`, time in a pause status not counted."""
    return sum((calendar.elapsed(a, b) for a, b in active_intervals(ticket, start, end, pause_statuses)), ZERO)


# --- clocks --------------------------------------------------------------------------------------

def compute_clock(
    ticket: Ticket, target: SlaTargetLike, calendar: Calendar, now: datetime,
    pause_statuses: Iterable[Status] = DEFAULT_PAUSE_STATUSES,
) -> SlaClock:
    """The state at `now` of one SLA target of `ticket`, measured on `calendar`."""
    kind = SlaKind(target.kind)
    if target.target <= ZERO:
        raise ValueError(f"an SLA target must be longer than zero, got {target.target} ({target.rule_id})")
    pause = frozenset(pause_statuses)
    started = ticket.created_at
    changes = status_changes(ticket, until=now)
    if kind is SlaKind.FIRST_REPLY:
        stopped = first_reply_at(ticket, now)
    else:
        stopped = next((at for at, status in changes if status.is_resolved), None)
    end = stopped or max(now, started)
    counted, pauses = _split([c for c in changes if c[0] <= end], started, end, pause)
    elapsed = sum((calendar.elapsed(a, b) for a, b in counted), ZERO)
    remaining = max(target.target - elapsed, ZERO)
    paused = stopped is None and bool(changes) and changes[-1][1] in pause

    if elapsed > target.target:
        state = SlaState.BREACHED
    elif stopped is not None:
        state = SlaState.MET
    elif remaining * 4 < target.target:
        state = SlaState.AT_RISK
    else:
        state = SlaState.ON_TRACK

    if remaining == ZERO:
        due = _instant_reached(calendar, counted, target.target)
    elif stopped is not None:
        due = calendar.add(stopped, remaining)
    elif paused:
        due = None
    else:
        due = calendar.add(max(now, started), remaining)

    return SlaClock(
        kind=str(kind), target=target.target, calendar=target.calendar, rule_id=target.rule_id,
        started_at=started, due=due, elapsed=elapsed, remaining=remaining, state=state,
        stopped_at=stopped, paused=paused, counted=tuple(counted), pauses=tuple(pauses),
        overridden=tuple(getattr(target, "overridden", ())),
    )


def compute_clocks(
    ticket: Ticket, targets: Iterable[SlaTargetLike], calendars: Mapping[str, Calendar], now: datetime,
    pause_statuses: Iterable[Status] = DEFAULT_PAUSE_STATUSES,
) -> list[SlaClock]:
    """Every target's clock, each on its own calendar (`24x7` is always known)."""
    pause = frozenset(pause_statuses)
    return [compute_clock(ticket, t, _calendar(calendars, t), now, pause) for t in targets]


def _calendar(calendars: Mapping[str, Calendar], target: SlaTargetLike) -> Calendar:
    found = calendars.get(target.calendar)
    if found is None and target.calendar == NAME_24X7:
        return CALENDAR_24X7
    if found is None:
        raise ConfigError(
            f"rule {target.rule_id or '?'}: SLA target {target.kind} names calendar {target.calendar!r}, "
            f"which the plan does not define (known: {', '.join(sorted(calendars)) or 'none'})"
        )
    return found


def _instant_reached(calendar: Calendar, counted: list[Span], target: timedelta) -> datetime:
    """When the business time counted in `counted` reached `target` (it does, by assumption)."""
    so_far = ZERO
    for start, end in counted:
        here = calendar.elapsed(start, end)
        if so_far + here >= target:
            return calendar.add(start, target - so_far)
        so_far += here
    raise AssertionError("unreachable: the counted stretches hold at least the target")


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat().replace("+00:00", "Z")


def _seconds(duration: timedelta) -> int:
    return int(duration.total_seconds())

"""What a report holds: plain frozen dataclasses, the interface other parts read.

The write-back planner reads `GoalResult.windows`: a window that is `closed` with
`met is False` is a missed goal window, worth one task per goal and window (key:
`GoalResult.id` + `WindowResult.label`), owned by `GoalResult.owners`, with
`WindowResult.worst` as the evidence. Renderers read everything.

Values are shares between 0.0 and 1.0 (targets too); `value` and `met` are None for a
window with nothing to measure (denominator 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from deskplan.kpi.effect import MeasureEffect

# Overall goal status (see status.py for the exact definitions).
MET, ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA = "met", "on_track", "at_risk", "off_track", "no_data"
STATUSES = (MET, ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA)

# Trend of the latest value against the one before, in the goal's direction.
IMPROVING, WORSENING, STEADY, NO_TREND = "improving", "worsening", "steady", "n/a"


@dataclass(frozen=True)
class Evidence:
    """A ticket that pulled a window away from its target."""

    ref: str                    # SOURCE:KEY, as `deskplan explain` takes it
    source: str
    ticket_id: str              # the helpdesk's id (for links from tasks)
    key: str
    url: str | None
    at: datetime                # when it was observed (created, solved, rated)
    detail: str                 # e.g. "first reply after 14h (allowed 12h)"
    weight: float               # larger is worse (seconds for timed metrics)


@dataclass(frozen=True)
class WindowResult:
    start: datetime             # UTC instant; the window is [start, end) in the plan's time zone
    end: datetime
    label: str                  # 2026-W14 | 2026-04 | 2026-Q2
    numerator: int
    denominator: int
    value: float | None         # numerator / denominator
    met: bool | None            # value against the goal's target in its direction
    closed: bool                # the window had ended at the report's `now`
    worst: tuple[Evidence, ...] = ()    # up to EVIDENCE_LIMIT tickets, worst first


@dataclass(frozen=True)
class GroupResult:
    """One group's (team's) share of a goal over the report's windows."""

    group: str                  # the ticket's group; NO_GROUP when it has none
    numerator: int
    denominator: int
    value: float | None         # over all windows of the report
    met: bool | None
    windows: tuple[WindowResult, ...]
    trend: str = NO_TREND       # of its latest closed window with data against the one before (breakdowns)
    change: float | None = None


@dataclass(frozen=True)
class Breakdown:
    """A goal per value of one dimension (kpi/dimensions.py): `group` (team), `organization`,
    `channel` or `agent`; each row's `group` holds the value."""

    dimension: str
    rows: tuple[GroupResult, ...]


@dataclass(frozen=True)
class GoalResult:
    id: str
    title: str
    metric: str
    threshold: timedelta | None
    target: float
    baseline: float | None      # as written in plan.yaml
    by: date
    direction: str              # at_least | at_most
    window: str                 # week | month | quarter
    calendar: str               # the calendar durations are measured on
    measures: tuple[str, ...]   # ids of the measures serving the goal
    owners: tuple[str, ...]     # owners of those measures, each once
    windows: tuple[WindowResult, ...]
    planned_from: float | None  # where the planned line starts: the baseline, or its stand-in (status.py)
    latest: WindowResult | None     # the value the status is judged on (see status.py)
    expected: float | None      # the baseline-to-target line at the end of `latest`
    status: str                 # one of STATUSES
    trend: str                  # IMPROVING | WORSENING | STEADY | NO_TREND
    change: float | None        # latest value minus the previous window's value
    groups: tuple[GroupResult, ...] = ()
    breakdowns: tuple[Breakdown, ...] = ()  # by team, organization, channel (and agent), with trends

    def missed_windows(self) -> tuple[WindowResult, ...]:
        """Closed windows whose value missed the target: one improvement task each."""
        return tuple(w for w in self.windows if w.closed and w.met is False)


@dataclass(frozen=True)
class CategoryWindow:
    label: str
    start: datetime
    end: datetime
    closed: bool
    tickets: int                # tickets created in the window (in every category or none)
    counts: dict[str, int]      # category -> tickets created in the window in it


@dataclass(frozen=True)
class CategoryTrend:
    category: str
    total: int
    latest: int                 # tickets in the latest closed window
    trend: str                  # rising | falling | steady | new | n/a (see breakdowns.py)


@dataclass(frozen=True)
class MeasureResult:
    """Ticket volume and SLA attainment of one measure (tickets the rules gave it)."""

    id: str
    title: str
    owner: str
    tickets: int
    sla_met: int                # SLA targets met (completed within their target)
    sla_breached: int           # SLA targets breached (completed late, or running past due)
    sla_open: int               # SLA targets still running within their target

    @property
    def sla_attainment(self) -> float | None:
        decided = self.sla_met + self.sla_breached
        return self.sla_met / decided if decided else None


@dataclass(frozen=True)
class LeftOut:
    """A stored ticket the report could not count: its data broke a computation, or it no
    longer reads back. Counted apart; the sync's goal check quarantines it (stage `report`)."""

    source: str
    ticket_id: str
    ref: str                    # SOURCE:KEY (SOURCE:ID when the ticket could not be read)
    reason: str                 # what went wrong, never the ticket's data

    @classmethod
    def unreadable(cls, source: str, ticket_id: str, exc: Exception) -> LeftOut:
        """A stored ticket that no longer reads back (today's model refuses what an older deskplan stored)."""
        reason = f"the stored ticket cannot be read ({type(exc).__name__})"
        return cls(source, ticket_id, f"{source}:{ticket_id}", reason)


@dataclass(frozen=True)
class MilestoneResult:
    """A milestone of plan.yaml and its state at the report's `now`, or at the end of a review's
    period (kpi/review.py, milestone_result)."""

    id: str
    title: str
    start: date
    end: date
    owner: str | None
    measures: tuple[str, ...]
    state: str                  # planned | active | overdue | done


@dataclass(frozen=True)
class SourceSync:
    """How fresh a source's stored tickets are: from the runs `deskplan sync` recorded."""

    source: str
    synced_at: datetime | None  # the end of the last sync run the source finished without error (exit 0)
    last_run_at: datetime | None    # the end of the last sync run that included the source
    last_exit: int | None       # the source's exit code in that run
    stale: bool                 # never synced without error, or not for longer than kpi/freshness.py's STALE_AFTER


@dataclass(frozen=True)
class Report:
    plan_id: str
    plan_title: str
    plan_start: date
    plan_end: date
    timezone: str
    now: datetime
    tickets: int                # tickets read from the state
    goals: tuple[GoalResult, ...]
    category_window: str
    categories: tuple[CategoryWindow, ...]
    category_trends: tuple[CategoryTrend, ...]
    measures: tuple[MeasureResult, ...]
    left_out: tuple[LeftOut, ...] = ()  # tickets not counted in any figure, each with the reason
    effects: tuple[MeasureEffect, ...] = ()     # per measure of the plan: pilot effect or before/after
    milestones: tuple[MilestoneResult, ...] = ()
    milestones_done_known: bool = False     # False: no milestone is known done (none was read back)
    synced: tuple[SourceSync, ...] = ()     # per source, in the config's order (empty: not known)
    tasks: TaskReport | None = None         # deskplan's own tasks as read back (kpi/tasks.py); None: not asked
    language: str = "en"                    # plan.yaml `language`: what the text and HTML reports are written in
    # The real time `synced` was judged at. The runs table holds real times (what monitoring
    # needs: when did deskplan last reach the helpdesk), so "synced … ago" and stale compare
    # with the real clock, never with DESKPLAN_NOW, which may set `now` months back or ahead.
    # None: `now` (a report built without the runs table).
    synced_checked_at: datetime | None = None


@dataclass(frozen=True)
class TaskItem:
    """One of deskplan's own tasks as last read back from its helpdesk (kpi/tasks.py)."""

    ref: str                    # SOURCE:KEY
    source: str
    title: str
    owner: str                  # as the plan names it; kpi/review.py's NO_OWNER when the task has none
    origin: str                 # what asked for it: rule:<id>, goal:<id>:<window>, plan:<plan>:<kind>:<id>, ...
    measures: tuple[str, ...]   # the plan's measures it serves (from its origin); empty: none
    due: datetime | None
    done: bool                  # solved or closed (Zendesk), status category done (Jira)
    overdue: bool               # open and due at or before the report's `now`
    status: str                 # the helpdesk's own status name ("" when not read back yet)
    url: str | None             # where an agent opens it
    read_at: datetime | None    # when its state was last read back; None: written, not read back yet


@dataclass(frozen=True)
class TaskCount:
    """Tasks of one owner or one measure: open (overdue among them) and done."""

    name: str                   # the owner, or the measure's id (NO_MEASURE: tasks serving none)
    title: str                  # the measure's title; "" for an owner
    open: int
    overdue: int                # open and past due (counted in `open` too)
    done: int


@dataclass(frozen=True)
class TaskReport:
    """The closed loop: deskplan's tasks per owner and per measure, overdue first."""

    known: bool                 # some task was read back from its helpdesk (else the counts show the ledger only)
    read_at: datetime | None    # the latest read-back
    by_owner: tuple[TaskCount, ...]     # most overdue first, then most open
    by_measure: tuple[TaskCount, ...]   # in plan order, NO_MEASURE last
    overdue: tuple[TaskItem, ...]       # longest overdue first
    items: tuple[TaskItem, ...]         # overdue first, then open by due time, then done
    gone: int = 0               # tasks deleted in their helpdesk: in no count


NO_GROUP = "(no group)"
NO_MEASURE = "(no measure)"
EVIDENCE_LIMIT = 5

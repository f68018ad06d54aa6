"""One period's review on the plan's cadence: the digest a weekly check, a monthly review or a
quarterly look-back reads (README, "`deskplan review`").

The digest is plain data, computed from the workspace, the stored tickets, `now`, a cadence
entry of plan.yaml and one of its periods; renderers (app/review/) turn it into words. What
lives outside the tickets is handed in by the caller as plain data as well:

- `actions`: the tasks deskplan wrote (rows of the ledger, read by the app layer), of which the
  review keeps the missed-goal tasks (origin `goal:<goal id>:<window label>`) whose goal window
  closed within the period and whose goal the entry reviews;
- `tasks`: the state of deskplan's tasks in the helpdesk (open or done, due when), once
  something reads them back; without them the digest says that it does not know, rather than
  showing zeros;
- `milestones_done`: milestone id -> whether its `plan push` task is solved or closed; without
  it no milestone is known to be done, and one past its end shows as overdue.

Periods are report windows (kpi/windows.py): weeks (Monday first, ISO numbering, so
`2026-W53` exists), months and quarters in the time zone of the plan's calendar, as UTC
instants, half-open [start, end). A cadence entry's periods are those of its kind that
overlap the plan, from the one holding the plan's first day to the one holding its last.

**A goal over a period of another length.** A goal is measured over the review period itself
with the goal's own definition (metric, threshold, calendar, scope, target, direction):
its KPI function (kpi/metrics.py) observes each ticket once and the observations that fall
into the period are counted, whatever the goal's own `window`. A monthly review of a weekly
goal thus shows the share over every ticket of the month, not an average of weekly shares;
where the period is the goal's own window, the figures are exactly the report's. `previous`
is the same over the period before.

Figures count what had happened by `now` (as the report does: a ticket still without a reply
counts once its threshold has passed). A goal's status and trend (kpi/status.py) are judged
on the period's value against the planned path at the end of the period, and a milestone's
state is judged at the end of the period too, so a review of a closed period reads the same
whenever it is rendered, up to late data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from deskplan.effects import TASK_TAG
from deskplan.errors import ConfigError, unexpected
from deskplan.kpi.breakdowns import CategoryTally
from deskplan.kpi.dimensions import NONE_LABELS, TEAM
from deskplan.kpi.effect import EffectTally, MeasureEffect
from deskplan.kpi.goals import GoalSpec, GoalTally
from deskplan.kpi.metrics import METRICS, Metric, MetricContext, Observation, goal_context
from deskplan.kpi.results import Evidence, GoalResult, LeftOut, MilestoneResult
from deskplan.kpi.status import Line, goal_status, standin_baseline, trend
from deskplan.kpi.windows import Window, WindowKind, local_midnight, next_first_day, window_of, windows_between
from deskplan.model import Ticket
from deskplan.rules.load import Workspace
from deskplan.rules.plan import BUILTIN_CALENDAR, Cadence, Goal, Milestone, Plan
from deskplan.rules.ruleset import CATEGORIES
from deskplan.state.ledger import WriteStatus

log = logging.getLogger(__name__)

# Milestone states
PLANNED, ACTIVE, OVERDUE, DONE = "planned", "active", "overdue", "done"
MILESTONE_STATES = (PLANNED, ACTIVE, OVERDUE, DONE)

# Ledger statuses of a written task that the digest names
PENDING, FAILED = WriteStatus.PENDING, WriteStatus.FAILED

NO_OWNER = "(no owner)"
GOAL_ORIGIN = "goal:"
FIRST_YEAR, LAST_YEAR = 1970, 2099      # the instants a ticket may hold (model.py)

KIND_NOUNS: dict[WindowKind, str] = {"week": "week", "month": "month", "quarter": "quarter"}
LABEL_EXAMPLES = "2026-W46 (a week), 2026-10 (a month) or 2026-Q4 (a quarter)"
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q(\d)$")


class PeriodError(ConfigError):
    """A period label that is malformed, of the wrong kind, not closed or outside the plan."""


# --- periods ------------------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Period:
    """One period of a cadence: a report window with its local first and last day."""

    start: datetime             # UTC instant of the local midnight it begins at
    end: datetime               # UTC instant it ends at (exclusive): the next period's start
    kind: WindowKind
    first: date                 # its first local day
    label: str                  # 2026-W46 | 2026-10 | 2026-Q4

    @classmethod
    def of(cls, window: Window) -> Period:
        return cls(start=window.start, end=window.end, kind=window.kind, first=window.first, label=window.label)

    @property
    def window(self) -> Window:
        return Window(self.start, self.end, self.kind, self.first)

    @property
    def last(self) -> date:
        """Its last local day."""
        return next_first_day(self.first, self.kind) - timedelta(days=1)

    def previous(self, zone: ZoneInfo) -> Period:
        """The period of the same kind just before."""
        return Period.of(window_of(self.start - timedelta(microseconds=1), self.kind, zone))

    def holds(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def closed_at(self, now: datetime) -> bool:
        return self.end <= now


def plan_zone(plan: Plan) -> ZoneInfo:
    """The time zone of the plan's calendar, which periods and windows are counted in."""
    name = plan.plan.calendar
    if name == BUILTIN_CALENDAR or name not in plan.calendars:
        return ZoneInfo("UTC")
    return ZoneInfo(plan.calendars[name].timezone)


def parse_period(label: str, zone: ZoneInfo) -> Period:
    """`2026-W46`, `2026-10` or `2026-Q4` as the period in `zone`; a PeriodError says what
    is wrong with any other text (`2027-W53`: 2027 has 52 ISO weeks)."""
    text = label.strip().upper()
    kind: WindowKind
    if match := _WEEK.match(text):
        year, week = int(match[1]), int(match[2])
        _check_year(label, year)
        weeks = date(year, 12, 28).isocalendar()[1]
        if not 1 <= week <= weeks:
            raise PeriodError(f"period {label!r}: ISO year {year} has weeks 01 to {weeks}")
        first, kind = date.fromisocalendar(year, week, 1), "week"
    elif match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        _check_year(label, year)
        if not 1 <= month <= 12:
            raise PeriodError(f"period {label!r}: a month is 01 to 12")
        first, kind = date(year, month, 1), "month"
    elif match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        _check_year(label, year)
        if not 1 <= quarter <= 4:
            raise PeriodError(f"period {label!r}: a quarter is Q1 to Q4")
        first, kind = date(year, 3 * quarter - 2, 1), "quarter"
    else:
        raise PeriodError(f"period {label!r} is not a period label; expected {LABEL_EXAMPLES}")
    return Period.of(window_of(local_midnight(first, zone), kind, zone))


def _check_year(label: str, year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"period {label!r}: the year lies outside {FIRST_YEAR} to {LAST_YEAR}")


def plan_bounds(plan: Plan) -> tuple[datetime, datetime]:
    """[local midnight of the plan's first day, local midnight after its last day), as UTC."""
    zone = plan_zone(plan)
    return local_midnight(plan.plan.start, zone), local_midnight(plan.plan.end + timedelta(days=1), zone)


def plan_periods(every: WindowKind, plan: Plan) -> list[Period]:
    """Every period of this kind that overlaps the plan, in order."""
    start, end = plan_bounds(plan)
    return [Period.of(w) for w in windows_between(start, end, every, plan_zone(plan))]


def closed_periods(every: WindowKind, plan: Plan, now: datetime) -> list[Period]:
    """The periods of this kind that overlap the plan and had ended by `now`, oldest first."""
    return [p for p in plan_periods(every, plan) if p.closed_at(now)]


def latest_closed(every: WindowKind, plan: Plan, now: datetime) -> Period | None:
    """The last period of this kind that overlaps the plan and had ended by `now`."""
    closed = closed_periods(every, plan, now)
    return closed[-1] if closed else None


def period_for(cadence: Cadence, plan: Plan, now: datetime, label: str | None = None) -> Period:
    """The period a review of `cadence` covers: the one `label` names (it must be of the
    entry's kind, overlap the plan and be closed), else the latest closed one. PeriodError,
    naming the closed periods there are, for anything else."""
    every: WindowKind = cadence.every
    noun = KIND_NOUNS[every]
    closed = closed_periods(every, plan, now)
    if label is None:
        if closed:
            return closed[-1]
        periods = plan_periods(every, plan)
        nxt = f"; the first, {periods[0].label}, closes at {_local(periods[0].end, plan)}" if periods else ""
        raise PeriodError(f"cadence {cadence.id}: no {noun} of the plan has closed yet{nxt}")
    period = parse_period(label, plan_zone(plan))
    listed = _closed_list(closed, noun, cadence)
    if period.kind != every:
        raise PeriodError(f"cadence {cadence.id} reviews {noun}s, and {period.label} is a {KIND_NOUNS[period.kind]}"
                          f"{listed}")
    if period not in plan_periods(every, plan):
        raise PeriodError(f"period {period.label} lies outside the plan ({plan.plan.start} to {plan.plan.end})"
                          f"{listed}")
    if not period.closed_at(now):
        raise PeriodError(f"period {period.label} has not closed yet (it ends at {_local(period.end, plan)})"
                          f"{listed}")
    return period


def _local(instant: datetime, plan: Plan) -> str:
    return f"{instant.astimezone(plan_zone(plan)):%Y-%m-%d %H:%M %Z}"


def _closed_list(closed: list[Period], noun: str, cadence: Cadence) -> str:
    if not closed:
        return f"; no {noun} of the plan has closed yet"
    if len(closed) == 1:
        return f"; closed: {closed[0].label}"
    return f"; closed {noun}s of {cadence.id}: {closed[0].label} to {closed[-1].label} ({len(closed)})"


# --- what the caller hands in ------------------------------------------------------------------

@dataclass(frozen=True)
class WrittenTask:
    """A task deskplan wrote: a ledger row (state/ledger.py) as plain data."""

    origin: str                 # goal:<goal id>:<window label>, rule:<id>, plan:...
    title: str
    owner: str | None
    source: str
    status: str                 # done | pending | failed (the ledger's statuses)
    remote_id: str | None       # the task's id in the helpdesk, once done
    due: datetime | None = None


@dataclass(frozen=True)
class TaskState:
    """One of deskplan's tasks as read back from the helpdesk."""

    ref: str                    # SOURCE:KEY
    title: str
    owner: str | None
    done: bool                  # solved or closed in the helpdesk
    due: datetime | None = None
    url: str | None = None
    origin: str = ""            # what asked for it (the ledger's origin), when known


# --- the digest ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class GoalReview:
    """One goal over the period, beside the period before."""

    id: str
    title: str
    metric: str
    threshold: timedelta | None
    target: float
    by: date                    # the deadline for the target
    direction: str              # at_least | at_most
    window: str                 # the goal's own window (week | month | quarter)
    calendar: str
    measures: tuple[str, ...]
    owners: tuple[str, ...]
    value: float | None         # numerator / denominator over the period; None with nothing to measure
    numerator: int
    denominator: int
    met: bool | None
    previous: float | None      # the same over the period before
    previous_numerator: int
    previous_denominator: int
    change: float | None        # value - previous
    trend: str                  # improving | worsening | steady | n/a
    status: str                 # met | on_track | at_risk | off_track | no_data
    expected: float | None      # the planned path's height in the middle of the period
    worst: tuple[Evidence, ...]  # the tickets that pulled the period away from its target


@dataclass(frozen=True)
class TeamResult:
    group: str
    value: float | None
    numerator: int
    denominator: int
    met: bool | None


@dataclass(frozen=True)
class GoalTeams:
    """A goal per group (team) for the period, lagging teams first."""

    goal: str
    teams: tuple[TeamResult, ...]


@dataclass(frozen=True)
class BreakdownRow:
    """One organization's, channel's or agent's share of a goal over the period and the one before."""

    name: str
    value: float | None
    numerator: int
    denominator: int
    met: bool | None
    previous: float | None
    change: float | None
    trend: str                  # improving | worsening | steady | n/a


@dataclass(frozen=True)
class GoalBreakdown:
    """A goal per customer organization, channel or (report: {agents: true}) agent for the
    period, the most tickets first; a dimension no ticket of the period has a value for is left out."""

    goal: str
    dimension: str              # organization | channel | agent
    rows: tuple[BreakdownRow, ...]


MilestoneReview = MilestoneResult   # a review's milestone: its state at the end of the period


@dataclass(frozen=True)
class OwnerTasks:
    owner: str
    open: int
    overdue: int                # open and past their due time at `now` (counted in `open` too)
    done: int


@dataclass(frozen=True)
class OverdueTask:
    ref: str
    title: str
    owner: str
    due: datetime
    url: str | None


@dataclass(frozen=True)
class TaskSummary:
    known: bool                 # False: no task states were handed in (the lists are empty)
    by_owner: tuple[OwnerTasks, ...]
    overdue: tuple[OverdueTask, ...]


@dataclass(frozen=True)
class FeedbackCount:
    category: str
    count: int                  # tickets created in the period in this category
    previous: int               # the same for the period before
    change: int


@dataclass(frozen=True)
class Action:
    """A missed-goal task written for a goal window that closed within the period."""

    goal: str
    window: str                 # the goal window's label
    title: str
    owner: str | None
    source: str
    status: str                 # done | pending | failed
    remote_id: str | None
    due: datetime | None


@dataclass(frozen=True)
class Review:
    plan_id: str
    plan_title: str
    timezone: str
    now: datetime
    cadence: Cadence
    period: Period
    previous: Period
    tickets: int                # requests created in the period (deskplan's own tasks not counted)
    previous_tickets: int
    goals: tuple[GoalReview, ...]
    milestones: tuple[MilestoneResult, ...]
    milestones_done_known: bool     # False: no milestone is known to be done (none was read back)
    tasks: TaskSummary
    feedback: tuple[FeedbackCount, ...]
    groups: tuple[GoalTeams, ...]
    actions: tuple[Action, ...]
    breakdowns: tuple[GoalBreakdown, ...] = ()
    effects: tuple[MeasureEffect, ...] = ()     # each measure's pilot effect or before/after, as of the period's end
    language: str = "en"        # plan.yaml `language`: what the digest is written in
    left_out: tuple[LeftOut, ...] = ()  # tickets not counted in any figure, each with the reason


# --- building it --------------------------------------------------------------------------------

def reviewed_goals(cadence: Cadence, plan: Plan) -> tuple[Goal, ...]:
    """The goals the entry names, in plan order; every goal when it names none."""
    if not cadence.goals:
        return plan.goals
    return tuple(g for g in plan.goals if g.id in cadence.goals)


# ((each reviewed goal's tally of [previous, period] and of its own windows up to the period's
# end), the feedback categories of [previous, period], the effects as of the period's end):
# counts of tickets not in `tickets`, added up elsewhere (kpi/facts.py: from the stored facts).
ReviewPrefill = Callable[[Sequence[tuple[GoalTally, GoalTally]], CategoryTally, EffectTally], None]


def build_review(workspace: Workspace, tickets: Iterable[Ticket], now: datetime, cadence: Cadence, period: Period,
                 *, actions: Iterable[WrittenTask] = (), tasks: Iterable[TaskState] | None = None,
                 milestones_done: Mapping[str, bool] | None = None, prefill: ReviewPrefill | None = None,
                 left_out: list[LeftOut] | None = None) -> Review:
    """The review of `period` for `cadence` (see the module's docstring for what each part
    means and what the caller supplies). Tickets are streamed once."""
    plan = workspace.plan
    zone = workspace.calendar().zone
    previous = period.previous(zone)
    plan_start, plan_end = plan_bounds(plan)
    goals = reviewed_goals(cadence, plan)
    runs = [_GoalRun.of(workspace, goal, now, [previous.window, period.window],
                        list(windows_between(plan_start, min(period.end, plan_end), goal.window, zone)))
            for goal in goals]
    categories = CategoryTally([previous.window, period.window])
    effects = EffectTally(workspace, min(now, period.end))
    if prefill is not None:
        prefill([(run.tally, run.history) for run in runs], categories, effects)
    left_out = [] if left_out is None else left_out
    for ticket in tickets:
        if TASK_TAG in ticket.tags:
            continue        # deskplan's own tasks come back with the pull; they are not requests
        # Every contribution of a ticket is computed before any is counted, so a ticket whose
        # data breaks a computation is left out whole (as in the report) and the review, and the
        # review task sync writes from it, go on for the rest.
        try:
            evaluation = workspace.evaluate(ticket, now, render_tasks=False)
            found = frozenset(evaluation.categories)
            observed = [(run, run.observe(ticket, found)) for run in runs
                        if workspace.in_scope(run.goal, ticket, now)]
            effect = effects.observe(ticket, found)
        except Exception as exc:
            log.debug("%s left out of the review", ticket.ref, exc_info=True)
            left_out.append(LeftOut(ticket.source, ticket.id, ticket.ref, unexpected(exc)))
            continue
        for run, observation in observed:
            run.add(ticket, observation)
        categories.add(ticket.created_at, evaluation.categories)
        effects.count(effect)

    category_windows, _ = categories.result(period.end)
    before, during = category_windows
    return Review(
        plan_id=plan.plan.id, plan_title=plan.plan.title, timezone=zone.key, now=now, cadence=cadence,
        language=plan.language,
        period=period, previous=previous, tickets=during.tickets, previous_tickets=before.tickets,
        goals=tuple(run.review(period, plan_start, local_midnight(run.goal.by + timedelta(days=1), zone))
                    for run in runs),
        milestones=tuple(milestone_result(m, period.end, zone, milestones_done) for m in plan.milestones),
        milestones_done_known=milestones_done is not None,
        tasks=_tasks(tasks, now),
        feedback=tuple(
            FeedbackCount(c, during.counts[c], before.counts[c], during.counts[c] - before.counts[c])
            for c in CATEGORIES
        ),
        groups=tuple(GoalTeams(run.goal.id, _teams(run.goal, run.result(period))) for run in runs),
        breakdowns=tuple(b for run in runs for b in _breakdowns(run.goal, run.result(period))),
        actions=_actions(actions, period, zone, tuple(g.id for g in goals)),
        effects=effects.result(),
        left_out=tuple(left_out),
    )


@dataclass
class _GoalRun:
    """One goal's metric, counted into the period and the one before (`tally`), and into the
    goal's own windows from the plan's start to the period's end (`history`): without a
    baseline in plan.yaml, the planned path starts where the report starts it (status.py)."""

    goal: Goal
    metric: Metric
    context: MetricContext
    tally: GoalTally
    history: GoalTally

    @classmethod
    def of(cls, workspace: Workspace, goal: Goal, now: datetime, windows: list[Window],
           history: list[Window]) -> _GoalRun:
        spec = GoalSpec.of(workspace.plan, goal)
        return cls(goal, METRICS[goal.metric], goal_context(workspace.goal_calendar(goal), goal.threshold, now),
                   GoalTally(spec, windows), GoalTally(spec, history))

    def observe(self, ticket: Ticket, categories: frozenset[str]) -> Observation | None:
        return self.metric(ticket, self.context, categories)

    def add(self, ticket: Ticket, observation: Observation | None) -> None:
        if observation is not None:
            self.tally.add(ticket, observation)
            self.history.add(ticket, observation)

    def result(self, period: Period) -> GoalResult:
        """The counts of both periods, closed as of the period's end (its status is not used)."""
        return self.tally.result(period.end, period.start, period.end)

    def review(self, period: Period, line_start: datetime, line_by: datetime) -> GoalReview:
        goal = self.goal
        result = self.result(period)
        before, during = result.windows
        baseline = goal.baseline
        if baseline is None:
            own = self.history.result(period.end, line_start, line_by).windows
            baseline = standin_baseline(own, goal.is_met, goal.target)
        line = Line(line_start, line_by, baseline, goal.target) if baseline is not None else None
        # Judged on the period's own value: with nothing measured in it, no_data (the report
        # would fall back on the window before).
        status, expected = goal_status(during, line, direction=goal.direction, now=period.end, is_met=goal.is_met)
        direction_trend, change = trend((before, during), during, direction=goal.direction)
        return GoalReview(
            id=goal.id, title=goal.title, metric=goal.metric, threshold=goal.threshold, target=goal.target,
            by=goal.by, direction=goal.direction, window=goal.window, calendar=result.calendar,
            measures=result.measures,
            owners=result.owners, value=during.value, numerator=during.numerator, denominator=during.denominator,
            met=during.met, previous=before.value, previous_numerator=before.numerator,
            previous_denominator=before.denominator, change=change, trend=direction_trend, status=status,
            expected=expected, worst=during.worst,
        )


def _teams(goal: Goal, result: GoalResult) -> tuple[TeamResult, ...]:
    sign = 1 if goal.direction == "at_least" else -1
    teams = [
        TeamResult(g.group, w.value, w.numerator, w.denominator, w.met)
        for g in result.groups for w in g.windows[1:] if w.denominator
    ]
    # Lagging first: missed before met, the furthest from the target first, then by name.
    return tuple(sorted(teams, key=lambda t: (t.met is not False, sign * (t.value or 0.0), t.group)))


def milestone_state(milestone: Milestone, at: datetime, zone: ZoneInfo, done: Mapping[str, bool] | None) -> str:
    """A milestone's state at the instant `at` (a review: its period's end; the report: its
    `now`): done once its `plan push` task is known done, else planned before its first day,
    overdue after its last day, active in between (days in `zone`, the plan calendar's)."""
    if done is not None and done.get(milestone.id):
        return DONE
    if local_midnight(milestone.start, zone) >= at:
        return PLANNED
    if local_midnight(milestone.end + timedelta(days=1), zone) <= at:
        return OVERDUE
    return ACTIVE


def _breakdowns(goal: Goal, result: GoalResult) -> tuple[GoalBreakdown, ...]:
    found = []
    for breakdown in result.breakdowns:
        if breakdown.dimension == TEAM:
            continue        # teams are the review's `groups`
        rows = []
        for row in breakdown.rows:
            before, during = row.windows
            if not during.denominator:
                continue
            rows.append(BreakdownRow(name=row.group, value=during.value, numerator=during.numerator,
                                     denominator=during.denominator, met=during.met, previous=before.value,
                                     change=row.change, trend=row.trend))
        if any(r.name != NONE_LABELS[breakdown.dimension] for r in rows):
            rows.sort(key=lambda r: (r.name.startswith("("), -r.denominator, r.name))
            found.append(GoalBreakdown(goal.id, breakdown.dimension, tuple(rows)))
    return tuple(found)


def milestone_result(milestone: Milestone, at: datetime, zone: ZoneInfo,
                     done: Mapping[str, bool] | None) -> MilestoneResult:
    """A milestone of plan.yaml with its state at `at` (milestone_state)."""
    return MilestoneResult(id=milestone.id, title=milestone.title, start=milestone.start, end=milestone.end,
                           owner=milestone.owner, measures=milestone.measures,
                           state=milestone_state(milestone, at, zone, done))


def _tasks(tasks: Iterable[TaskState] | None, now: datetime) -> TaskSummary:
    if tasks is None:
        return TaskSummary(known=False, by_owner=(), overdue=())
    counts: dict[str, dict[str, int]] = {}
    overdue: list[OverdueTask] = []
    for task in tasks:
        owner = task.owner or NO_OWNER
        count = counts.setdefault(owner, {"open": 0, "overdue": 0, "done": 0})
        if task.done:
            count["done"] += 1
            continue
        count["open"] += 1
        if task.due is not None and task.due <= now:
            count["overdue"] += 1
            overdue.append(OverdueTask(task.ref, task.title, owner, task.due, task.url))
    by_owner = sorted(
        (OwnerTasks(owner, **c) for owner, c in counts.items()),
        key=lambda o: (-o.overdue, -o.open, o.owner == NO_OWNER, o.owner),
    )
    return TaskSummary(known=True, by_owner=tuple(by_owner),
                       overdue=tuple(sorted(overdue, key=lambda t: (t.due, t.ref))))


def goal_window_of(origin: str, zone: ZoneInfo) -> tuple[str, Period] | None:
    """(goal id, goal window) of a missed-goal task's origin `goal:<id>:<label>`, else None."""
    if not origin.startswith(GOAL_ORIGIN):
        return None
    goal_id, sep, label = origin[len(GOAL_ORIGIN):].rpartition(":")
    if not sep or not goal_id:
        return None
    try:
        return goal_id, parse_period(label, zone)
    except PeriodError:
        return None


def _actions(written: Iterable[WrittenTask], period: Period, zone: ZoneInfo,
             goals: tuple[str, ...]) -> tuple[Action, ...]:
    """Missed-goal tasks of the reviewed goals whose window closed within the period (its end
    lies in (start, end]): for a goal of the period's own kind, the period's own window."""
    found: list[tuple[datetime, int, Action]] = []
    for task in written:
        parsed = goal_window_of(task.origin, zone)
        if parsed is None or parsed[0] not in goals:
            continue
        goal_id, window = parsed
        if not period.start < window.end <= period.end:
            continue
        action = Action(goal=goal_id, window=window.label, title=task.title, owner=task.owner, source=task.source,
                        status=task.status, remote_id=task.remote_id, due=task.due)
        found.append((window.end, goals.index(goal_id), action))
    found.sort(key=lambda entry: (entry[0], entry[1], entry[2].window))
    return tuple(entry[2] for entry in found)

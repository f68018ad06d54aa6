"""Build a report: stream the canonical tickets once, evaluate each, count it everywhere.

Memory stays flat: each ticket is evaluated, observed by every goal, counted into the
category and measure tallies, and dropped. The report period runs from the plan's start
(local midnight, in the plan calendar's zone) to the earlier of `now` and the plan's end.

A ticket whose data breaks a computation (an exception anywhere in its evaluation, its
metrics or its clocks) is left out of every figure and listed in `Report.left_out`: all of a
ticket's contributions are computed before any is counted, so it is never counted half.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from deskplan.effects import TASK_TAG
from deskplan.errors import unexpected
from deskplan.kpi.breakdowns import SLA_BREACHED, SLA_MET, SLA_RUNNING, CategoryTally, MeasureTally
from deskplan.kpi.effect import EffectTally
from deskplan.kpi.goals import GoalSpec, GoalTally
from deskplan.kpi.metrics import METRICS, Metric, MetricContext, Observation, goal_context
from deskplan.kpi.results import LeftOut, Report, SourceSync
from deskplan.kpi.review import milestone_result, plan_bounds
from deskplan.kpi.windows import WindowKind, local_midnight, windows_between
from deskplan.model import Ticket
from deskplan.rules.load import Workspace
from deskplan.rules.plan import Goal
from deskplan.rules.sla import SlaState, compute_clocks
from deskplan.state.store import Store

log = logging.getLogger(__name__)

# Feedback categories are counted per month: enough windows for a trend within a plan of a
# few months, which a quarterly review reads as well.
DEFAULT_CATEGORY_WINDOW: WindowKind = "month"

SLA_BUCKETS = {SlaState.MET: SLA_MET, SlaState.BREACHED: SLA_BREACHED,
               SlaState.ON_TRACK: SLA_RUNNING, SlaState.AT_RISK: SLA_RUNNING}


@dataclass
class _GoalRun:
    goal: Goal
    metric: Metric
    context: MetricContext
    tally: GoalTally


# (goal tallies in plan order, categories, measures, effects) -> how many tickets it counted
Prefill = Callable[[Sequence[GoalTally], CategoryTally, MeasureTally, EffectTally], int]


def stored_tickets(store: Store, left_out: list[LeftOut]) -> Iterator[Ticket]:
    """Every ticket in the state, for a report; one that no longer reads back joins `left_out`."""
    def unreadable(source: str, ticket_id: str, exc: Exception) -> None:
        left_out.append(LeftOut.unreadable(source, ticket_id, exc))

    return store.tickets(on_error=unreadable)


def build_report(workspace: Workspace, tickets: Iterable[Ticket], now: datetime,
                 *, category_window: WindowKind | None = None,
                 progress: Callable[[int], None] | None = None,
                 left_out: list[LeftOut] | None = None,
                 milestones_done: Mapping[str, bool] | None = None,
                 synced: tuple[SourceSync, ...] = (),
                 prefill: Prefill | None = None) -> Report:
    """The report over `tickets`. `left_out` may already hold tickets the caller could not read
    (it may go on adding to it while `tickets` is read); those this build cannot count join them.
    `milestones_done` (milestone id -> its `plan push` task is done, as read back from the
    helpdesk) and `synced` (kpi/freshness.py) come from the state; without them no milestone is
    known done and the report does not say when the data was synced."""
    left_out = [] if left_out is None else left_out
    plan = workspace.plan
    zone = workspace.calendar().zone
    start, end = plan_bounds(plan)
    stop = min(now, end)
    runs = [
        _GoalRun(goal, METRICS[goal.metric], goal_context(workspace.goal_calendar(goal), goal.threshold, now),
                 GoalTally(GoalSpec.of(plan, goal), list(windows_between(start, stop, goal.window, zone))))
        for goal in plan.goals
    ]
    category_kind = category_window or DEFAULT_CATEGORY_WINDOW
    categories = CategoryTally(list(windows_between(start, stop, category_kind, zone)))
    measures = MeasureTally(plan)
    effects = EffectTally(workspace, now)
    calendars = workspace.calendars

    # Counts of tickets not in `tickets`, added up elsewhere (kpi/facts.py: from the stored facts).
    count = prefill([run.tally for run in runs], categories, measures, effects) if prefill else 0
    for ticket in tickets:
        if TASK_TAG in ticket.tags:
            continue        # deskplan's own improvement tasks come back with the pull; they are not requests
        try:
            evaluation = workspace.evaluate(ticket, now, render_tasks=False)    # a report writes no tasks
            found = frozenset(evaluation.categories)
            observed: list[tuple[_GoalRun, Observation]] = []
            for run in runs:
                if not workspace.in_scope(run.goal, ticket, now):
                    continue
                observation = run.metric(ticket, run.context, found)
                if observation is not None:
                    observed.append((run, observation))
            effect = effects.observe(ticket, found)
            buckets: tuple[str, ...] = ()
            if evaluation.measures:
                clocks = compute_clocks(ticket, evaluation.sla.values(), calendars, now)
                buckets = tuple(SLA_BUCKETS[c.state] for c in clocks)
        except Exception as exc:
            log.debug("%s left out of the report", ticket.ref, exc_info=True)
            left_out.append(LeftOut(ticket.source, ticket.id, ticket.ref, unexpected(exc)))
            continue
        count += 1
        for run, observation in observed:
            run.tally.add(ticket, observation)
        categories.add(ticket.created_at, evaluation.categories)
        if evaluation.measures:
            measures.add(evaluation.measures, buckets)
        effects.count(effect)
        if progress:
            progress(count)

    category_windows, category_trends = categories.result(now)
    return Report(
        plan_id=plan.plan.id, plan_title=plan.plan.title, plan_start=plan.plan.start, plan_end=plan.plan.end,
        timezone=zone.key, now=now, tickets=count,
        goals=tuple(
            run.tally.result(now, start, local_midnight(run.goal.by + timedelta(days=1), zone)) for run in runs
        ),
        category_window=category_kind, categories=category_windows, category_trends=category_trends,
        measures=measures.result(), left_out=tuple(left_out), effects=effects.result(), language=plan.language,
        milestones=tuple(milestone_result(m, now, zone, milestones_done) for m in plan.milestones),
        milestones_done_known=milestones_done is not None, synced=synced,
    )

"""KPI facts: each ticket's contribution to the report, computed once when the ticket is built
or the plan changes, and added up in SQL by every report, goal check and review after that.

A ticket's facts are computed at its *horizon*, the latest instant in its data. For a report at
any `now` from the horizon on they say exactly what the timeline would: nothing in the ticket
changes after it but the clock, and what the clock changes is kept as instants:

- a `*_within` observation of a ticket still waiting (no reply yet, no answer to a bad rating,
  not resolved) whose clock runs appears once `now` passes `turn`, the last instant at which
  the business time counted is still within the threshold; its weight is the time counted at
  the horizon plus the business time from the horizon to `now`;
- a running SLA clock of a measure's ticket turns breached the same way.

A ticket whose data is later than the report's `now` (a report replaying the past), whose
facts are stale (kpi_stale) or not exact is counted from its timeline by `build_report`, as
every ticket was before; so is every ticket when the workspace's conditions read the clock
(`older_than`), since what the rules say would then change with time alone. Tables: state/facts.py.
"""

from __future__ import annotations

import hashlib
import logging
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import metadata
from typing import Any

from deskplan.effects import TASK_TAG
from deskplan.errors import unexpected
from deskplan.gcpause import collector_paused
from deskplan.kpi.breakdowns import CategoryTally, MeasureTally
from deskplan.kpi.dimensions import TEAM, dimension_value, dimensions
from deskplan.kpi.effect import PILOT, EffectTally
from deskplan.kpi.goals import GoalSpec, GoalTally
from deskplan.kpi.metrics import METRICS, Metric, MetricContext, Observation, goal_context, hours
from deskplan.kpi.report import build_report, stored_tickets
from deskplan.kpi.results import EVIDENCE_LIMIT, Evidence, LeftOut, Report
from deskplan.kpi.review import Period, Review, TaskState, WrittenTask, build_review, plan_bounds, reviewed_goals
from deskplan.kpi.windows import Window, windows_between
from deskplan.model import Ticket
from deskplan.rules.calendar import CALENDAR_24X7, Calendar
from deskplan.rules.load import PLAN_FILE, Workspace, rule_files
from deskplan.rules.nodes import Condition, Group, Leaf
from deskplan.rules.plan import Cadence, Goal
from deskplan.rules.ruleset import CATEGORIES
from deskplan.rules.sla import SlaClock, SlaState, compute_clocks
from deskplan.state.facts import Facts, GoalFact, TicketFacts, Worst, instant, micros
from deskplan.state.store import Store

log = logging.getLogger(__name__)

FACTS_VERSION = "1"                 # raised whenever what a fact means changes: every fact is recomputed
PROBE = timedelta(days=400)         # far enough ahead that a running clock has counted business time
BELOW_ANY = -timedelta(microseconds=1)    # a threshold every elapsed time exceeds: the metric always observes
MAX_BITS = 62                       # measures and categories kept as bits of an SQLite integer
TIMELINE_SHARE = 0.2                # more tickets than this share to count from timelines: count all that way
BATCH = 500


# --- the basis ----------------------------------------------------------------------------------

def workspace_digest(workspace: Workspace, *salt: str) -> str:
    """A digest of plan.yaml, the rule files and deskplan's version (and `salt`)."""
    digest = hashlib.sha256(_version().encode())
    for part in salt:
        digest.update(part.encode() + b"\0")
    for path in [workspace.root / PLAN_FILE, *rule_files(workspace.root)]:
        digest.update(str(path.relative_to(workspace.root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _version() -> str:
    try:
        return metadata.version("deskplan")
    except metadata.PackageNotFoundError:
        return "dev"


def facts_basis(workspace: Workspace) -> str | None:
    """The basis facts are computed on, or None when they cannot be exact for this workspace."""
    plan = workspace.plan
    if reads_the_clock(workspace) or len(plan.measures) > MAX_BITS or len(CATEGORIES) > MAX_BITS:
        return None
    return workspace_digest(workspace, "facts", FACTS_VERSION)


def reads_the_clock(workspace: Workspace) -> bool:
    """Whether a rule, goal scope or pilot condition tests time against now (`older_than`)."""
    conditions: list[Condition] = [rule.condition for rule in workspace.engine.rules]
    conditions += list(workspace.scopes.values())
    for groups in workspace.pilots.values():
        conditions += [c for c in (groups.scope, groups.control) if c is not None]
    while conditions:
        condition = conditions.pop()
        if isinstance(condition, Group):
            conditions.extend(condition.children)
        elif not isinstance(condition, Leaf) or " older_than " in condition.expr:
            return True
    return False


def horizon(ticket: Ticket) -> datetime:
    """The latest instant in the ticket's data: from it on, only the clock changes what it counts."""
    instants = [ticket.created_at, ticket.updated_at, *(e.at for e in ticket.timeline)]
    if ticket.solved_at is not None:
        instants.append(ticket.solved_at)
    if ticket.satisfaction is not None:
        instants.append(ticket.satisfaction.at)
    return max(instants)


def _us(seconds: float) -> int:
    return round(seconds * 1_000_000)


def turn_after(calendar: Calendar, start: datetime, remaining: timedelta) -> datetime:
    """The last instant by which at most `remaining` business time has passed since `start`:
    any later instant has counted more."""
    return calendar.next_working_instant(calendar.add(start, remaining))


# --- computing a ticket's facts -----------------------------------------------------------------

@dataclass
class _Goal:
    index: int
    spec: GoalSpec
    metric: Metric
    context: MetricContext
    calendar: Calendar
    windows: list[Window]
    starts: list[datetime]

    def window(self, at: datetime) -> int:
        index = bisect_right(self.starts, at) - 1
        if index < 0 or at >= self.windows[index].end:
            return -1
        return index


class FactMaker:
    """Computes TicketFacts on one workspace."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        plan = workspace.plan
        zone = workspace.calendar().zone
        start, end = plan_bounds(plan)
        self.goals = []
        for index, goal in enumerate(plan.goals):
            windows = list(windows_between(start, end, goal.window, zone))
            calendar = workspace.goal_calendar(goal)
            context = goal_context(calendar, goal.threshold, start)
            self.goals.append(_Goal(index, GoalSpec.of(plan, goal), METRICS[goal.metric], context, calendar,
                                    windows, [w.start for w in windows]))
        self.measures = {m.id: bit for bit, m in enumerate(plan.measures)}
        self.piloted = [(m.id, self.measures[m.id]) for m in plan.measures if m.pilot is not None]
        self.dims = dimensions(plan.report.agents)

    def facts(self, ticket: Ticket) -> TicketFacts:
        if TASK_TAG in ticket.tags:
            return TicketFacts(ticket.source, ticket.id, counted=False)
        workspace = self.workspace
        at = horizon(ticket)
        try:
            evaluation = workspace.evaluate(ticket, at, render_tasks=False)
            found = frozenset(evaluation.categories)
            observed: list[tuple[_Goal, Observation | None]] = []
            for goal in self.goals:
                if workspace.in_scope(goal.spec.goal, ticket, at):
                    observed.append((goal, goal.metric(ticket, replace(goal.context, now=at), found)))
            clocks: list[SlaClock] = []
            if evaluation.measures:
                clocks = compute_clocks(ticket, evaluation.sla.values(), workspace.calendars, at)
            pilots = controls = 0
            for measure_id, bit in self.piloted:
                group = workspace.pilot_group(measure_id, ticket, at)
                if group == PILOT:
                    pilots |= 1 << bit
                elif group is not None:
                    controls |= 1 << bit
        except Exception as exc:
            log.debug("%s cannot be counted", ticket.ref, exc_info=True)
            return TicketFacts(ticket.source, ticket.id, error=(ticket.ref, unexpected(exc)))
        try:
            goals = tuple(fact for goal, observation in observed
                          if (fact := self._goal(goal, ticket, at, observation, found)) is not None)
            sla = self._clocks(clocks, at)
        except Exception:
            # What only the facts compute (a turn instant) failed: the timeline still counts it.
            log.debug("%s: facts not exact, counted from its timeline", ticket.ref, exc_info=True)
            return TicketFacts(ticket.source, ticket.id)
        categories = sum(1 << CATEGORIES.index(c) for c in found if c in CATEGORIES)
        measures = sum(1 << self.measures[m] for m in set(evaluation.measures) if m in self.measures)
        return TicketFacts(
            ticket.source, ticket.id, horizon=micros(at), created=micros(ticket.created_at),
            dims=tuple((dim, dimension_value(ticket, dim)) for dim in self.dims),
            categories=categories, measures=measures, sla_met=sla[0], sla_breached=sla[1], sla_running=sla[2],
            sla_turns=sla[3] if measures else (), pilots=pilots, controls=controls, goals=goals)

    def _goal(self, goal: _Goal, ticket: Ticket, at: datetime, observation: Observation | None,
              found: frozenset[str]) -> GoalFact | None:
        threshold = goal.context.threshold
        if threshold is not None:
            probe = replace(goal.context, threshold=BELOW_ANY)
            now = goal.metric(ticket, replace(probe, now=at), found)
            later = goal.metric(ticket, replace(probe, now=at + PROBE), found)
            if now is not None and later is not None and later.weight != now.weight:
                return self._waiting(goal, at, observation, now, threshold)
        if observation is None:
            return None
        against = goal.spec.against(observation)
        return GoalFact(goal.index, goal.window(observation.at), observation.hit, micros(observation.at),
                        _us(observation.weight), against, detail=observation.detail if against else None)

    def _waiting(self, goal: _Goal, at: datetime, observation: Observation | None, probe: Observation,
                 threshold: timedelta) -> GoalFact:
        """A ticket still waiting, its clock running: missed from `turn` on, by more every moment."""
        elapsed = _us(probe.weight)
        turn = None
        if observation is None:     # within the threshold at the horizon
            turn = micros(turn_after(goal.calendar, at, threshold - timedelta(microseconds=elapsed)))
        missed = Observation(probe.at, False, probe.weight, probe.detail)
        prefix = probe.detail.split(" after ", 1)[0]    # "no first reply": the rest is the weight, at `now`
        return GoalFact(goal.index, goal.window(probe.at), False, micros(probe.at), elapsed,
                        goal.spec.against(missed), turn=turn, running=True, detail=prefix)

    def _clocks(self, clocks: Sequence[SlaClock], at: datetime) -> tuple[int, int, int, tuple[int | None, ...]]:
        met = breached = running = 0
        turns: list[int | None] = []
        for clock in clocks:
            if clock.state is SlaState.MET:
                met += 1
            elif clock.state is SlaState.BREACHED:
                breached += 1
            else:
                running += 1
                calendar = self.workspace.calendars.get(clock.calendar) or CALENDAR_24X7
                turns.append(None if clock.paused else micros(turn_after(calendar, at, clock.remaining)))
        return met, breached, running, tuple(turns)


# --- keeping them ------------------------------------------------------------------------------

def refresh_facts(store: Store, workspace: Workspace, progress: Callable[[int], None] | None = None) -> int:
    """Compute the facts of every stale ticket (all of them when the workspace changed), in
    batches of one transaction each. Returns how many tickets were computed."""
    basis = facts_basis(workspace)
    if basis is None:
        return 0
    facts = Facts(store)
    if facts.basis() != basis:
        with store.transaction():
            facts.rebase(basis)
    maker = FactMaker(workspace)
    done = 0
    while True:
        batch = next(facts.stale(BATCH), None)
        if not batch:
            return done
        with store.transaction(), collector_paused():
            computed: list[TicketFacts] = []
            gone: list[tuple[str, str]] = []
            for source, ticket_id, data, deleted in batch:
                if data is None or deleted:
                    gone.append((source, ticket_id))
                    continue
                try:
                    ticket = Ticket.model_validate_json(data)
                except Exception as exc:
                    bad = LeftOut.unreadable(source, ticket_id, exc)
                    computed.append(TicketFacts(source, ticket_id, error=(bad.ref, bad.reason)))
                    continue
                computed.append(maker.facts(ticket))
            facts.forget(gone)
            facts.save(computed)
        done += len(batch)
        if progress:
            progress(done)


# --- reading them --------------------------------------------------------------------------------

def stored_report(workspace: Workspace, store: Store, now: datetime, *, goals_only: bool = False,
                  **options: Any) -> Report:
    """`build_report` over every stored ticket, the same figures, from the facts where they hold
    and from the timelines of the rest. `options` are build_report's. With `goals_only` (the goal
    check) only the goals' figures are whole: categories, measures and pilots count the tickets
    read from their timelines alone."""
    facts = Facts(store)
    with facts.snapshot():
        return _stored_report(workspace, store, facts, now, goals_only, options)


def _stored_report(workspace: Workspace, store: Store, facts: Facts, now: datetime, goals_only: bool,
                   options: dict[str, Any]) -> Report:
    left_out: list[LeftOut] = []
    basis = facts_basis(workspace)
    if basis is None or facts.basis() != basis:
        return build_report(workspace, stored_tickets(store, left_out), now, left_out=left_out,
                            **options)
    at = micros(now)
    timeline = list(dict.fromkeys([*facts.stale_keys(), *facts.beyond(at)]))
    if len(timeline) > TIMELINE_SHARE * max(facts.ticket_count(), 1):
        return build_report(workspace, stored_tickets(store, left_out), now, left_out=left_out,
                            **options)
    excluded = facts.numbers(timeline)
    skip = set(timeline)
    left_out += [LeftOut(source, ticket_id, ref, reason) for source, ticket_id, ref, reason in facts.errors()
                 if (source, ticket_id) not in skip]

    def prefill(goals: Sequence[GoalTally], categories: CategoryTally, measures: MeasureTally,
                effects: EffectTally) -> int:
        _goal_counts(workspace, facts, goals, now, excluded)
        if not goals_only:
            _categories(facts, categories, excluded)
            _measures(workspace, facts, measures, at, excluded)
            _effects(workspace, facts, effects, at, excluded)
        return facts.ticket_count(excluded)

    return build_report(workspace, _timeline_tickets(facts, timeline, left_out), now, left_out=left_out,
                        prefill=prefill, **options)


def _timeline_tickets(facts: Facts, keys: Iterable[tuple[str, str]], left_out: list[LeftOut]) -> Iterator[Ticket]:
    for source, ticket_id, data in facts.tickets(keys):
        try:
            yield Ticket.model_validate_json(data)
        except Exception as exc:
            left_out.append(LeftOut.unreadable(source, ticket_id, exc))


def _goal_counts(workspace: Workspace, facts: Facts, goals: Sequence[GoalTally], now: datetime,
                 excluded: Sequence[int]) -> None:
    names = facts.names()
    at = micros(now)
    for index, win, dim, value, numerator, denominator in facts.goal_counts(at, excluded):
        tally = goals[index]
        if win >= len(tally.windows) or dim not in tally.breakdown.dims:
            continue
        if dim == TEAM:     # every observation has one team: the goal's own counts and groups too
            tally.add_counts(win, names[value], numerator, denominator)
        tally.breakdown.add_counts(win, dim, names[value], numerator, denominator)
    plan = workspace.plan
    candidates: dict[tuple[int, int], list[tuple[Worst, int, str]]] = {}
    for index, tally in enumerate(goals):
        for win in range(len(tally.windows)):
            candidates[(index, win)] = [(w, w.weight, w.detail or "")
                                        for w in facts.worst(index, win, EVIDENCE_LIMIT, excluded)]
    for index, win, worst in facts.running_against(at, excluded):
        if win >= len(goals[index].windows):
            continue
        candidates[(index, win)].append(_running(workspace, plan.goals[index], worst, now))
    _keep_evidence(facts, goals, candidates)


def _running(workspace: Workspace, goal: Goal, worst: Worst, now: datetime) -> tuple[Worst, int, str]:
    """An observation still waiting, its weight and evidence line at `now`."""
    assert goal.threshold is not None, "only *_within goals wait"
    calendar = workspace.goal_calendar(goal)
    weight = worst.weight + calendar.elapsed(instant(worst.horizon), now) // timedelta(microseconds=1)
    detail = f"{worst.detail} after {hours(timedelta(microseconds=weight))} (allowed {hours(goal.threshold)})"
    return worst, weight, detail


def _keep_evidence(facts: Facts, goals: Sequence[GoalTally],
                   candidates: dict[tuple[int, int], list[tuple[Worst, int, str]]]) -> None:
    """Keep the worst of each (tally, window)'s candidates as its evidence."""
    # The tally's own order is (weight, instant, ref), worst first: only the candidates up to the
    # fifth's weight and instant can be kept, and only those are read for their keys and links.
    for key in candidates:
        found = sorted(candidates[key], key=lambda c: (c[1], c[0].at), reverse=True)
        if len(found) > EVIDENCE_LIMIT:
            last = (found[EVIDENCE_LIMIT - 1][1], found[EVIDENCE_LIMIT - 1][0].at)
            found = [c for c in found if (c[1], c[0].at) >= last]
        candidates[key] = found
    keys = facts.keys((w.source, w.ticket_id) for found in candidates.values() for w, _, _ in found)
    for (index, win), found in candidates.items():
        ranked = sorted(found, key=lambda c: (c[1], c[0].at, f"{c[0].source}:{keys[(c[0].source, c[0].ticket_id)]}"),
                        reverse=True)
        for worst, weight, detail in ranked[:EVIDENCE_LIMIT]:
            goals[index].keep_worst(win, _evidence(facts, worst, weight, detail))


def stored_review(workspace: Workspace, store: Store, now: datetime, cadence: Cadence, period: Period,
                  *, actions: Iterable[WrittenTask] = (), tasks: Iterable[TaskState] | None = None,
                  milestones_done: Mapping[str, bool] | None = None) -> Review:
    """`build_review` over every stored ticket, the same review, from the facts where they hold
    and from the timelines of the rest.

    A goal's facts keep the instant each ticket counts at, so any period sums them, whatever
    the goal's own window; categories are kept with the instant a ticket was created. The
    goals' figures count what happened by `now`, so the facts of tickets whose data ends by
    `now` answer them. The measures' effects are counted as of the period's end: a ticket whose
    data goes on after it (answered, solved or rated later) is counted from its timeline, as
    far as it was created before the period's end (one created later counts nowhere then)."""
    facts = Facts(store)
    left_out: list[LeftOut] = []
    options: dict[str, Any] = {"actions": actions, "tasks": tasks, "milestones_done": milestones_done,
                               "left_out": left_out}
    with facts.snapshot():
        basis = facts_basis(workspace)
        if basis is None or facts.basis() != basis:
            return build_review(workspace, stored_tickets(store, left_out), now, cadence, period, **options)
        at, end = micros(now), micros(min(now, period.end))
        timeline = list(dict.fromkeys([*facts.stale_keys(), *facts.beyond(at),
                                       *facts.beyond_created_before(end, micros(period.end))]))
        if len(timeline) > TIMELINE_SHARE * max(facts.ticket_count(), 1):
            return build_review(workspace, stored_tickets(store, left_out), now, cadence, period, **options)
        excluded = facts.numbers(timeline)
        plan = workspace.plan
        indexes = [plan.goals.index(goal) for goal in reviewed_goals(cadence, plan)]

        def prefill(tallies: Sequence[tuple[GoalTally, GoalTally]], categories: CategoryTally,
                    effects: EffectTally) -> None:
            _review_goals(workspace, facts, indexes, [tally for tally, _ in tallies], now, excluded)
            history: list[GoalTally | None] = [None] * len(plan.goals)
            for index, (_, own) in zip(indexes, tallies, strict=True):
                history[index] = own
            names = facts.names()
            # The goal's own windows from the plan's start: the first of the facts' windows.
            for index, win, dim, value, numerator, denominator in facts.goal_counts(at, excluded):
                tally = history[index]
                if tally is not None and dim == TEAM and win < len(tally.windows):
                    tally.add_counts(win, names[value], numerator, denominator)
            _categories(facts, categories, excluded)
            _effects(workspace, facts, effects, end, excluded)

        return build_review(workspace, _timeline_tickets(facts, timeline, left_out), now, cadence, period,
                            prefill=prefill, **options)


def _review_goals(workspace: Workspace, facts: Facts, indexes: Sequence[int], tallies: Sequence[GoalTally],
                  now: datetime, excluded: Sequence[int]) -> None:
    """Each reviewed goal's observations in each of its tally's windows (any span), with the evidence."""
    names = facts.names()
    at = micros(now)
    candidates: dict[tuple[int, int], list[tuple[Worst, int, str]]] = {}
    for position, (index, tally) in enumerate(zip(indexes, tallies, strict=True)):
        goal = workspace.plan.goals[index]
        for win, window in enumerate(tally.windows):
            start, end = micros(window.start), micros(window.end)
            for hit, dims, count in facts.span_counts(index, start, end, at, excluded):
                for dim, value in dims:
                    if dim == TEAM:
                        tally.add_counts(win, names[value], hit * count, count)
                    if dim in tally.breakdown.dims:
                        tally.breakdown.add_counts(win, dim, names[value], hit * count, count)
            found = [(w, w.weight, w.detail or "") for w in facts.span_worst(index, start, end, EVIDENCE_LIMIT,
                                                                             excluded)]
            found += [_running(workspace, goal, w, now)
                      for w in facts.span_running_against(index, start, end, at, excluded)]
            candidates[(position, win)] = found
    _keep_evidence(facts, tallies, candidates)


def _evidence(facts: Facts, worst: Worst, weight: int, detail: str) -> Evidence:
    key, url = facts.links(worst.source, worst.ticket_id)
    return Evidence(ref=f"{worst.source}:{key}", source=worst.source, ticket_id=worst.ticket_id, key=key, url=url,
                    at=instant(worst.at), detail=detail, weight=weight / 1_000_000)


def _categories(facts: Facts, categories: CategoryTally, excluded: Sequence[int]) -> None:
    for index, window in enumerate(categories.windows):
        tickets, counts = facts.category_counts(micros(window.start), micros(window.end), excluded)
        categories.add_counts(index, tickets, {CATEGORIES[bit]: count for bit, count in counts.items()})


def _measures(workspace: Workspace, facts: Facts, measures: MeasureTally, at: int, excluded: Sequence[int]) -> None:
    plan_measures = workspace.plan.measures
    for mask, tickets, met, breached, running in facts.measure_counts(at, excluded):
        for bit, measure in enumerate(plan_measures):
            if mask >> bit & 1:
                measures.add_counts(measure.id, tickets, met, breached, running)


def _effects(workspace: Workspace, facts: Facts, effects: EffectTally, at: int, excluded: Sequence[int]) -> None:
    plan = workspace.plan
    goal_index = {goal.id: index for index, goal in enumerate(plan.goals)}
    measure_bit = {measure.id: bit for bit, measure in enumerate(plan.measures)}
    # EffectTally's counters, one per (measure, goal), get the cells counted here added.
    for counter in effects._counters:
        spans = [(micros(counter.before.start), micros(counter.before.end)),
                 (micros(counter.during.start), micros(counter.during.end))]
        piloted = counter.measure.pilot is not None
        bit = measure_bit[counter.measure.id] if piloted else None
        for period, group, hits, tickets in facts.effect_counts(goal_index[counter.goal.id], spans, at, bit, excluded):
            if period is None or group < 0:
                continue
            cell = counter.cells[2 * group + period]     # pilot before, pilot during, control before, during
            cell[0] += hits
            cell[1] += tickets

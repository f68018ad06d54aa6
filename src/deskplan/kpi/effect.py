"""Does a measure work? Pilot against control, before against during, on a goal's own KPI.

For every goal a piloted measure serves, the goal's KPI (kpi/metrics.py: the same metric,
threshold, calendar and scope as the goal) is counted in four cells: the pilot group and the
control group, each over the pilot (`during`: from its first day to its last, or to `now`)
and over a span of the same length just before it (`before`). A ticket falls in a cell by the
instant its metric observes it (created, solved, rated) and by the pilot's `scope` and
`control` conditions (workspace.pilot_group).

The effect is the difference in differences, in percentage points:
    (pilot during - pilot before) - (control during - control before)
The control group's change takes out what moved every ticket alike (a quiet month, a holiday),
which a before/after comparison of the pilot alone would call an effect.

**The interval** is the adjusted Wald interval of Price and Bonett (2004) for a linear function
of independent binomial proportions: each of the m = 4 proportions gets 2/m = 0.5 pseudo-
successes and 4/m = 1 pseudo-trial, p~ = (x + 0.5) / (n + 1), and the 95% interval is
    sum(c_i p~_i) +- z_0.975 * sqrt(sum(p~_i (1 - p~_i) / (n_i + 1))),
with c = -1, +1, +1, -1 for pilot before, pilot during, control before, control during, and
held within the range the difference can take (-200 to 200 points).
With two proportions (the before/after comparison of a measure without a pilot) the same
adjustment is Agresti and Caffo's (2000): one success and one failure added to each. Unlike
the plain Wald interval it keeps close to its nominal coverage at small counts and at rates of
0% or 100%, where the plain one collapses to a point. Assumptions: the four cells hold
different tickets, each ticket's outcome independent of the others' with one probability per
cell. The reported `effect_pp` is the plain difference of the four observed rates, so that it
adds up from the figures shown; the interval is centred on the adjusted one.

**The verdict**, in the goal's direction (a goal that must fall is good below 0):
- `effective`: the interval lies entirely on the good side of 0; `harmful`: entirely on the bad side;
- otherwise `no_effect_detected` when every cell holds the tickets needed to detect the
  expected change, else `too_early` (so does a cell without a ticket: there is no rate), its
  `reason` saying which: `not_started` (the pilot begins after `now`; `needed` is then the whole
  sample it will need), `empty_cell` or `few_tickets`.

**Tickets needed** to detect the expected change Δ (plan.yaml `expected`, else
DEFAULT_EXPECTED_PP) with a two-sided test at alpha 0.05 and power 0.8: the standard
two-proportion sample size, n = (z_0.975 + z_0.8)^2 * (p1 q1 + p2 q2) / Δ^2 per group, taken
over the four cells with equal counts, n = (z_0.975 + z_0.8)^2 * sum(p_i q_i) / Δ^2 per cell.
The planning rates are the adjusted before rates of both groups, the pilot's during rate that
plus Δ (held within 0% and 100%), and the control's during rate unchanged. `needed` is, per
group, how many more tickets its smaller cell needs to reach n.

The tallies keep four counters per (measure, goal): a report over any number of tickets
stays small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import NormalDist
from typing import Any

from deskplan.kpi.metrics import METRICS, Observation, goal_context
from deskplan.kpi.windows import local_midnight
from deskplan.model import Ticket
from deskplan.rules.load import PILOT, Workspace
from deskplan.rules.plan import Budget, Goal, Measure

CONFIDENCE = 0.95
POWER = 0.80
Z_CONFIDENCE = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)   # 1.959963984540054
Z_POWER = NormalDist().inv_cdf(POWER)                             # 0.8416212335729143
DEFAULT_EXPECTED_PP = 5.0
"""The change a pilot is asked to detect on a goal plan.yaml gives no `expected` for."""

EFFECTIVE, HARMFUL, NO_EFFECT, TOO_EARLY, UNCONTROLLED = (
    "effective", "harmful", "no_effect_detected", "too_early", "uncontrolled")
VERDICTS = (EFFECTIVE, HARMFUL, NO_EFFECT, TOO_EARLY)
NOT_STARTED, EMPTY_CELL, FEW_TICKETS = "not_started", "empty_cell", "few_tickets"
"""Why a pilot is `too_early`: it has not begun by `now` (no span to count in yet), a cell has no
ticket (no rate, no effect), or the cells hold fewer tickets than the expected change needs."""
BEFORE, DURING = 0, 1


# --- the statistics (pure functions of counts) ----------------------------------------------

@dataclass(frozen=True)
class Rate:
    """A KPI share over one cell: numerator / denominator (None without a ticket)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Interval:
    """An estimate and its 95% interval, in percentage points."""

    estimate: float
    low: float
    high: float


def adjusted_interval(rates: Sequence[Rate], signs: Sequence[int], z: float = Z_CONFIDENCE) -> Interval | None:
    """The Price-Bonett adjusted Wald interval of sum(sign_i * p_i) (see the module's docstring),
    in points; None when a rate has no ticket."""
    if any(r.denominator == 0 for r in rates):
        return None
    m = sum(1 for s in signs if s)
    successes, trials = 2 / m, 4 / m
    estimate = sum(s * (r.numerator / r.denominator) for r, s in zip(rates, signs, strict=True))
    adjusted = [(r.numerator + successes) / (r.denominator + trials) for r in rates]
    centre = sum(s * p for p, s in zip(adjusted, signs, strict=True))
    spread = z * math.sqrt(sum(
        s * s * p * (1 - p) / (r.denominator + trials) for p, r, s in zip(adjusted, rates, signs, strict=True)))
    lowest, highest = sum(min(0, s) for s in signs), sum(max(0, s) for s in signs)
    return Interval(100 * estimate, 100 * max(lowest, centre - spread), 100 * min(highest, centre + spread))


DID_SIGNS = (-1, 1, 1, -1)      # pilot before, pilot during, control before, control during


def did_interval(pilot_before: Rate, pilot_during: Rate, control_before: Rate, control_during: Rate) -> Interval | None:
    """(pilot during - pilot before) - (control during - control before), in points."""
    return adjusted_interval((pilot_before, pilot_during, control_before, control_during), DID_SIGNS)


def change_interval(before: Rate, after: Rate) -> Interval | None:
    """after - before, in points (Agresti-Caffo)."""
    return adjusted_interval((before, after), (-1, 1))


def tickets_per_cell(pilot_before: Rate, control_before: Rate, expected_pp: float) -> int:
    """Tickets each of the four cells needs to detect a change of `expected_pp` (see the module's docstring)."""
    delta = expected_pp / 100
    pilot = (pilot_before.numerator + 0.5) / (pilot_before.denominator + 1)
    control = (control_before.numerator + 0.5) / (control_before.denominator + 1)
    shifted = min(1.0, max(0.0, pilot + delta))
    variance = pilot * (1 - pilot) + shifted * (1 - shifted) + 2 * control * (1 - control)
    return math.ceil((Z_CONFIDENCE + Z_POWER) ** 2 * variance / delta ** 2)


@dataclass(frozen=True)
class Needed:
    """About how many more tickets each group needs (its smaller cell, before or during)."""

    pilot: int
    control: int
    per_cell: int               # the tickets each cell needs in all


def needed_more(cells: Sequence[Rate], expected_pp: float) -> Needed:
    pilot_before, pilot_during, control_before, control_during = cells
    per_cell = tickets_per_cell(pilot_before, control_before, expected_pp)
    return Needed(
        pilot=max(0, per_cell - min(pilot_before.denominator, pilot_during.denominator)),
        control=max(0, per_cell - min(control_before.denominator, control_during.denominator)),
        per_cell=per_cell,
    )


def verdict(interval: Interval | None, needed: Needed, direction: str) -> str:
    if interval is not None:
        good, bad = (interval.low > 0, interval.high < 0) if direction == "at_least" else \
            (interval.high < 0, interval.low > 0)
        if good:
            return EFFECTIVE
        if bad:
            return HARMFUL
        if needed.pilot == 0 and needed.control == 0:
            return NO_EFFECT
    return TOO_EARLY


def cost_per_point(budget: Budget | None, effect_pp: float | None, direction: str) -> float | None:
    """The budget over the effect, where there is an effect on the goal's good side."""
    if budget is None or effect_pp is None:
        return None
    gain = effect_pp if direction == "at_least" else -effect_pp
    return budget.amount / gain if gain > 0 else None


# --- results ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """[start, end) as UTC instants."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class GoalEffect:
    """One goal of a piloted measure: the four cells and what they say."""

    goal: str
    metric: str
    direction: str
    pilot_before: Rate
    pilot_during: Rate
    control_before: Rate
    control_during: Rate
    effect_pp: float | None
    ci_low_pp: float | None
    ci_high_pp: float | None
    expected_pp: float          # the change asked to be detected
    expected_given: bool        # plan.yaml gives it (else DEFAULT_EXPECTED_PP)
    verdict: str
    needed: Needed | None       # with `too_early`
    cost_per_pp: float | None
    reason: str | None = None   # with `too_early`: NOT_STARTED, EMPTY_CELL or FEW_TICKETS


@dataclass(frozen=True)
class PilotResult:
    scope: Any                  # the condition as written
    control: Any | None
    start: date
    end: date | None
    before: Span
    during: Span
    goals: tuple[GoalEffect, ...]
    started: bool = True        # False while `now` is before its first day: nothing to compare yet


@dataclass(frozen=True)
class GoalChange:
    """One goal of a measure without a pilot: before and after its start, `uncontrolled`."""

    goal: str
    metric: str
    direction: str
    before: Rate
    after: Rate
    change_pp: float | None
    ci_low_pp: float | None
    ci_high_pp: float | None
    verdict: str = UNCONTROLLED


@dataclass(frozen=True)
class BeforeAfter:
    start: date
    before: Span
    after: Span
    goals: tuple[GoalChange, ...]
    started: bool = True        # False while `now` is before its start: nothing to compare yet


@dataclass(frozen=True)
class MeasureEffect:
    id: str
    title: str
    owner: str
    start: date | None                  # the day it took effect: its `start`, else its first milestone's
    budget: Budget | None
    pilot: PilotResult | None
    uncontrolled: BeforeAfter | None    # a measure without a pilot that has a start
    cost_per_pp: float | None           # on its first goal with a cost per point (expected goals first)


# --- counting ---------------------------------------------------------------------------------

def _spans(start: date, end: date | None, now: datetime, workspace: Workspace) -> tuple[Span, Span]:
    """(before, during): during from the local midnight of `start` to the midnight after `end`
    (or `now`, whichever is first); before as long, just before."""
    zone = workspace.calendar().zone
    begin = local_midnight(start, zone)
    stop = min(now, local_midnight(end + timedelta(days=1), zone)) if end else now
    stop = max(stop, begin)
    return Span(begin - (stop - begin), begin), Span(begin, stop)


@dataclass
class _Counter:
    """One (measure, goal): [hits, tickets] of pilot before, pilot during, control before, control
    during; a measure without a pilot uses the first two as before and after."""

    measure: Measure
    goal: Goal
    before: Span
    during: Span
    cells: list[list[int]] = field(default_factory=lambda: [[0, 0] for _ in range(4)])

    def period(self, at: datetime) -> int | None:
        if self.before.start <= at < self.before.end:
            return BEFORE
        if self.during.start <= at < self.during.end:
            return DURING
        return None

    def rate(self, index: int) -> Rate:
        return Rate(self.cells[index][0], self.cells[index][1])


Pending = list[tuple[_Counter, int, bool]]


class EffectTally:
    """Counts every piloted measure's goals into pilot/control x before/during, and every other
    measure with a start into before/after. `observe` computes a ticket's contributions without
    counting them, `count` counts them: a ticket whose data breaks a computation is never counted half."""

    def __init__(self, workspace: Workspace, now: datetime):
        self.workspace = workspace
        self.now = now
        plan = workspace.plan
        self._contexts = {g.id: goal_context(workspace.goal_calendar(g), g.threshold, now) for g in plan.goals}
        self._spans: dict[str, tuple[Span, Span]] = {}
        self._counters: list[_Counter] = []
        for measure in plan.measures:
            start = measure.pilot.start if measure.pilot else plan.measure_start(measure)
            if start is None:
                continue
            self._spans[measure.id] = _spans(start, measure.pilot.end if measure.pilot else None, now, workspace)
            before, during = self._spans[measure.id]
            self._counters += [_Counter(measure, plan.goal(g), before, during) for g in measure.goals]

    def observe(self, ticket: Ticket, categories: frozenset[str]) -> Pending:
        found: dict[str, Observation | None] = {}
        groups: dict[str, str | None] = {}
        pending: Pending = []
        for counter in self._counters:
            goal, measure = counter.goal, counter.measure
            if goal.id not in found:
                in_scope = self.workspace.in_scope(goal, ticket, self.now)
                found[goal.id] = METRICS[goal.metric](ticket, self._contexts[goal.id], categories) \
                    if in_scope else None
            observation = found[goal.id]
            if observation is None or (period := counter.period(observation.at)) is None:
                continue
            row = 0
            if measure.pilot is not None:
                if measure.id not in groups:
                    groups[measure.id] = self.workspace.pilot_group(measure.id, ticket, self.now)
                if groups[measure.id] is None:
                    continue
                row = 0 if groups[measure.id] == PILOT else 2
            pending.append((counter, row + period, observation.hit))
        return pending

    @staticmethod
    def count(pending: Pending) -> None:
        for counter, index, hit in pending:
            counter.cells[index][0] += hit
            counter.cells[index][1] += 1

    def result(self) -> tuple[MeasureEffect, ...]:
        results = []
        for measure in self.workspace.plan.measures:
            counters = [c for c in self._counters if c.measure.id == measure.id]
            pilot = uncontrolled = None
            if measure.pilot is not None and measure.id in self._spans:
                before, during = self._spans[measure.id]
                started = self.now > during.start
                pilot = PilotResult(scope=measure.pilot.scope, control=measure.pilot.control,
                                    start=measure.pilot.start, end=measure.pilot.end, before=before, during=during,
                                    goals=tuple(_goal_effect(measure, c, started) for c in counters),
                                    started=started)
            elif measure.id in self._spans:
                before, during = self._spans[measure.id]
                start = self.workspace.plan.measure_start(measure)
                assert start is not None, "a measure has spans only with a start"
                uncontrolled = BeforeAfter(start=start, before=before, after=during,
                                           goals=tuple(_goal_change(c) for c in counters),
                                           started=self.now > during.start)
            results.append(MeasureEffect(
                id=measure.id, title=measure.title, owner=measure.owner,
                start=self.workspace.plan.measure_start(measure), budget=measure.budget, pilot=pilot,
                uncontrolled=uncontrolled, cost_per_pp=_measure_cost(measure, pilot)))
        return tuple(results)


def _goal_effect(measure: Measure, counter: _Counter, started: bool = True) -> GoalEffect:
    cells = [counter.rate(i) for i in range(4)]
    goal = counter.goal
    interval = did_interval(*cells)
    given = measure.expected_change(goal.id)
    expected = given if given is not None else (DEFAULT_EXPECTED_PP if goal.direction == "at_least"
                                                else -DEFAULT_EXPECTED_PP)
    needed = needed_more(cells, expected)
    judged = verdict(interval, needed, goal.direction)
    effect = interval.estimate if interval else None
    reason = None
    if judged == TOO_EARLY:
        reason = NOT_STARTED if not started else EMPTY_CELL if interval is None else FEW_TICKETS
    return GoalEffect(
        goal=goal.id, metric=goal.metric, direction=goal.direction,
        pilot_before=cells[0], pilot_during=cells[1], control_before=cells[2], control_during=cells[3],
        effect_pp=effect, ci_low_pp=interval.low if interval else None, ci_high_pp=interval.high if interval else None,
        expected_pp=expected, expected_given=given is not None, verdict=judged,
        needed=needed if judged == TOO_EARLY else None,
        cost_per_pp=cost_per_point(measure.budget, effect, goal.direction), reason=reason,
    )


def _goal_change(counter: _Counter) -> GoalChange:
    before, after = counter.rate(0), counter.rate(1)
    interval = change_interval(before, after)
    goal = counter.goal
    return GoalChange(goal=goal.id, metric=goal.metric, direction=goal.direction, before=before, after=after,
                      change_pp=interval.estimate if interval else None,
                      ci_low_pp=interval.low if interval else None, ci_high_pp=interval.high if interval else None)


def _measure_cost(measure: Measure, pilot: PilotResult | None) -> float | None:
    """The cost per point on the first goal that has one: goals plan.yaml expects a change on first."""
    if pilot is None:
        return None
    expected = {e.goal for e in measure.expected}
    ordered = sorted(pilot.goals, key=lambda g: g.goal not in expected)
    return next((g.cost_per_pp for g in ordered if g.cost_per_pp is not None), None)

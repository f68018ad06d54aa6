"""Per goal: observations counted into windows and groups, then judged (status.py).

A `GoalTally` holds only counters per window and per (group, window) and a bounded heap
of the worst tickets per window, so a report over any number of tickets stays small.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from itertools import count

from deskplan.kpi.dimensions import BreakdownTally, dimensions
from deskplan.kpi.metrics import Observation
from deskplan.kpi.results import EVIDENCE_LIMIT, NO_GROUP, Evidence, GoalResult, GroupResult, WindowResult
from deskplan.kpi.status import Line, goal_status, latest_window, standin_baseline, trend
from deskplan.kpi.windows import Window
from deskplan.model import Ticket
from deskplan.rules.plan import Goal, Plan


@dataclass(frozen=True)
class GoalSpec:
    """A goal of plan.yaml with what the plan says around it."""

    goal: Goal
    calendar: str               # the calendar its durations run on (the goal's, else the plan's)
    measures: tuple[str, ...]   # ids of the measures serving it
    owners: tuple[str, ...]     # their owners, each once
    agents: bool = False        # broken down per agent too (plan.yaml report: {agents: true})

    @classmethod
    def of(cls, plan: Plan, goal: Goal) -> GoalSpec:
        return cls(
            goal=goal, calendar=plan.goal_calendar(goal),
            measures=tuple(m.id for m in plan.measures_for(goal.id)), owners=plan.owners_of(goal.id),
            agents=plan.report.agents,
        )

    def against(self, observation: Observation) -> bool:
        """Whether the observation pulls away from the target (evidence for a missed window)."""
        return not observation.hit if self.goal.direction == "at_least" else observation.hit


class _Counts:
    __slots__ = ("numerator", "denominator")

    def __init__(self) -> None:
        self.numerator = 0
        self.denominator = 0

    def add(self, hit: bool) -> None:
        self.denominator += 1
        self.numerator += hit


class GoalTally:
    """Counts one goal's observations into its report windows."""

    def __init__(self, spec: GoalSpec, windows: list[Window]):
        self.spec = spec
        self.windows = windows
        self._starts = [w.start for w in windows]
        self._counts = [_Counts() for _ in windows]
        self._groups: dict[str, list[_Counts]] = {}
        # heaps of (weight, at, ref, arrival, evidence): see _keep_worst
        self._worst: list[list[tuple[float, datetime, str, int, Evidence]]] = [[] for _ in windows]
        self._order = count()      # a tie-breaker, so heap entries never compare Evidence
        self.breakdown = BreakdownTally(windows, dimensions(spec.agents))

    def window_index(self, instant: datetime) -> int | None:
        index = bisect_right(self._starts, instant) - 1
        if index < 0 or instant >= self.windows[index].end:
            return None
        return index

    def add(self, ticket: Ticket, observation: Observation) -> None:
        index = self.window_index(observation.at)
        if index is None:
            return      # outside the report's period
        self._counts[index].add(observation.hit)
        group = ticket.group or NO_GROUP
        if group not in self._groups:
            self._groups[group] = [_Counts() for _ in self.windows]
        self._groups[group][index].add(observation.hit)
        self.breakdown.add(index, ticket, observation.hit)
        if self.spec.against(observation):
            self.keep_worst(index, Evidence(
                ref=ticket.ref, source=ticket.source, ticket_id=ticket.id, key=ticket.key, url=ticket.url,
                at=observation.at, detail=observation.detail, weight=observation.weight,
            ))

    def add_counts(self, index: int, group: str, numerator: int, denominator: int) -> None:
        """Observations counted elsewhere (kpi/facts.py), into window `index` and `group`."""
        self._counts[index].numerator += numerator
        self._counts[index].denominator += denominator
        if group not in self._groups:
            self._groups[group] = [_Counts() for _ in self.windows]
        self._groups[group][index].numerator += numerator
        self._groups[group][index].denominator += denominator

    def keep_worst(self, index: int, evidence: Evidence) -> None:
        """Keep `evidence` among the worst of window `index` if it is one of them."""
        # Worst = largest weight; among equals the latest. The ref keeps the order total.
        entry = (evidence.weight, evidence.at, evidence.ref, next(self._order), evidence)
        heap = self._worst[index]
        if len(heap) < EVIDENCE_LIMIT:
            heapq.heappush(heap, entry)
        elif entry[:3] > heap[0][:3]:
            heapq.heapreplace(heap, entry)

    def result(self, now: datetime, line_start: datetime, line_by: datetime) -> GoalResult:
        spec, goal = self.spec, self.spec.goal
        windows = tuple(
            self._window_result(window, counts, now, self._worst_of(i))
            for i, (window, counts) in enumerate(zip(self.windows, self._counts, strict=True))
        )
        latest = latest_window(windows)
        baseline = goal.baseline if goal.baseline is not None else standin_baseline(windows, goal.is_met, goal.target)
        line = Line(line_start, line_by, baseline, goal.target) if baseline is not None else None
        status, expected = goal_status(latest, line, direction=goal.direction, now=now, is_met=goal.is_met)
        direction_trend, change = trend(windows, latest, direction=goal.direction)
        return GoalResult(
            id=goal.id, title=goal.title, metric=goal.metric, threshold=goal.threshold, target=goal.target,
            baseline=goal.baseline, by=goal.by, direction=goal.direction, window=goal.window,
            calendar=spec.calendar, measures=spec.measures, owners=spec.owners, windows=windows,
            planned_from=baseline, latest=latest, expected=expected, status=status, trend=direction_trend,
            change=change,
            groups=self._group_results(now),
            breakdowns=self.breakdown.result(now, goal.direction, goal.is_met),
        )

    def _worst_of(self, index: int) -> tuple[Evidence, ...]:
        return tuple(entry[-1] for entry in sorted(self._worst[index], key=lambda e: e[:3], reverse=True))

    def _window_result(self, window: Window, counts: _Counts, now: datetime,
                       worst: tuple[Evidence, ...] = ()) -> WindowResult:
        value = counts.numerator / counts.denominator if counts.denominator else None
        return WindowResult(
            start=window.start, end=window.end, label=window.label,
            numerator=counts.numerator, denominator=counts.denominator, value=value,
            met=None if value is None else self.spec.goal.is_met(value),
            closed=window.closed_at(now), worst=worst,
        )

    def _group_results(self, now: datetime) -> tuple[GroupResult, ...]:
        results = []
        for group in sorted(self._groups, key=lambda g: (g == NO_GROUP, g)):
            per_window = self._groups[group]
            numerator = sum(c.numerator for c in per_window)
            denominator = sum(c.denominator for c in per_window)
            value = numerator / denominator if denominator else None
            results.append(GroupResult(
                group=group, numerator=numerator, denominator=denominator, value=value,
                met=None if value is None else self.spec.goal.is_met(value),
                windows=tuple(self._window_result(w, c, now) for w, c in zip(self.windows, per_window, strict=True)),
            ))
        return tuple(results)


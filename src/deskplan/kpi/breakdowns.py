"""Feedback categories over time, and ticket volume and SLA attainment per measure.

Categories (attitude, quality, product, process, complaint) come from the rules; a
ticket counts in the window it was created in, once per category it is in.

A category's trend compares its share of the tickets in the latest closed window with
its mean share over up to three closed windows before that:
- `rising`:  more than a fifth above that mean (and at least two tickets in the window),
- `falling`: more than a fifth below it,
- `new`:     none in those earlier windows, some now,
- `steady`:  otherwise; `n/a` with fewer than two closed windows.

SLA attainment of a measure: of the SLA targets of its tickets (the strictest target of
each kind the rules set), how many were met, breached (done late, or still running past
the target), or are still running within it; attainment = met / (met + breached).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime

from deskplan.kpi.results import CategoryTrend, CategoryWindow, MeasureResult
from deskplan.kpi.windows import Window
from deskplan.rules.plan import Plan
from deskplan.rules.ruleset import CATEGORIES

TREND_RATIO = 0.2
TREND_LOOKBACK = 3
MIN_RISING = 2

SLA_MET, SLA_BREACHED, SLA_RUNNING = "met", "breached", "running"


class CategoryTally:
    def __init__(self, windows: list[Window]):
        self.windows = windows
        self._starts = [w.start for w in windows]
        self._tickets = [0] * len(windows)
        self._counts = [dict.fromkeys(CATEGORIES, 0) for _ in windows]

    def add(self, created_at: datetime, categories: tuple[str, ...] | frozenset[str]) -> None:
        index = bisect_right(self._starts, created_at) - 1
        if index < 0 or created_at >= self.windows[index].end:
            return
        self._tickets[index] += 1
        for category in set(categories):
            if category in self._counts[index]:
                self._counts[index][category] += 1

    def add_counts(self, index: int, tickets: int, counts: dict[str, int]) -> None:
        """Tickets counted elsewhere (kpi/facts.py): created in window `index`, and per category."""
        self._tickets[index] += tickets
        for category, count in counts.items():
            if category in self._counts[index]:
                self._counts[index][category] += count

    def result(self, now: datetime) -> tuple[tuple[CategoryWindow, ...], tuple[CategoryTrend, ...]]:
        windows = tuple(
            CategoryWindow(label=w.label, start=w.start, end=w.end, closed=w.closed_at(now),
                           tickets=self._tickets[i], counts=dict(self._counts[i]))
            for i, w in enumerate(self.windows)
        )
        closed = [w for w in windows if w.closed]
        trends = tuple(
            CategoryTrend(category=c, total=sum(w.counts[c] for w in windows),
                          latest=closed[-1].counts[c] if closed else 0, trend=category_trend(closed, c))
            for c in CATEGORIES
        )
        return windows, trends


def _share(window: CategoryWindow, category: str) -> float:
    return window.counts[category] / window.tickets if window.tickets else 0.0


def category_trend(closed: list[CategoryWindow], category: str) -> str:
    if len(closed) < 2:
        return "n/a"
    latest = closed[-1]
    before = closed[-1 - TREND_LOOKBACK:-1]
    mean = sum(_share(w, category) for w in before) / len(before)
    share = _share(latest, category)
    if mean == 0:
        return "new" if share > 0 else "steady"
    if share > mean * (1 + TREND_RATIO) and latest.counts[category] >= MIN_RISING:
        return "rising"
    if share < mean * (1 - TREND_RATIO):
        return "falling"
    return "steady"


class MeasureTally:
    def __init__(self, plan: Plan):
        self.plan = plan
        self._tickets = {m.id: 0 for m in plan.measures}
        self._sla = {m.id: {SLA_MET: 0, SLA_BREACHED: 0, SLA_RUNNING: 0} for m in plan.measures}

    def add(self, measures: tuple[str, ...], sla_states: tuple[str, ...]) -> None:
        """A ticket's measures and the state of each of its SLA targets."""
        for measure in set(measures):
            if measure not in self._tickets:
                continue    # a rule names a measure the plan lacks: `deskplan check` reports it
            self._tickets[measure] += 1
            for state in sla_states:
                self._sla[measure][state] += 1

    def add_counts(self, measure: str, tickets: int, met: int, breached: int, running: int) -> None:
        """Tickets of a measure counted elsewhere (kpi/facts.py), with their SLA targets' states."""
        if measure not in self._tickets:
            return
        self._tickets[measure] += tickets
        sla = self._sla[measure]
        sla[SLA_MET] += met
        sla[SLA_BREACHED] += breached
        sla[SLA_RUNNING] += running

    def result(self) -> tuple[MeasureResult, ...]:
        return tuple(
            MeasureResult(
                id=m.id, title=m.title, owner=m.owner, tickets=self._tickets[m.id],
                sla_met=self._sla[m.id][SLA_MET], sla_breached=self._sla[m.id][SLA_BREACHED],
                sla_open=self._sla[m.id][SLA_RUNNING],
            )
            for m in self.plan.measures
        )

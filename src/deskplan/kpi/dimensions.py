"""A goal broken down by team, customer organization, channel and (only when plan.yaml sets
`report: {agents: true}`) agent: per value, per window, with the trend of its latest window.

A GoalTally (goals.py) holds one BreakdownTally and hands it each observation it counts, so the
breakdowns count exactly what the goal counts. Per dimension at most MAX_VALUES values are kept
apart, in the order they are first seen; tickets of any value past them count under OTHER, so a
helpdesk with thousands of organizations keeps the report small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from deskplan.kpi.results import NO_GROUP, Breakdown, GroupResult, WindowResult
from deskplan.kpi.status import trend
from deskplan.kpi.windows import Window
from deskplan.model import Ticket

TEAM, ORGANIZATION, CHANNEL, AGENT = "group", "organization", "channel", "agent"
DIMENSIONS = (TEAM, ORGANIZATION, CHANNEL)
NONE_LABELS = {TEAM: NO_GROUP, ORGANIZATION: "(no organization)", CHANNEL: "(no channel)", AGENT: "(unassigned)"}
MAX_VALUES = 100
OTHER = "(other)"


def dimension_value(ticket: Ticket, dimension: str) -> str:
    """The ticket's team, organization, channel or agent (the assignee's name, else id)."""
    value = {
        TEAM: ticket.group, ORGANIZATION: ticket.organization, CHANNEL: ticket.channel,
        AGENT: ticket.assignee_name or ticket.assignee,
    }[dimension]
    return value or NONE_LABELS[dimension]


def dimensions(agents: bool) -> tuple[str, ...]:
    return DIMENSIONS + ((AGENT,) if agents else ())


@dataclass
class _Cell:
    numerator: int = 0
    denominator: int = 0


class BreakdownTally:
    """Counters per (dimension, value, window)."""

    def __init__(self, windows: list[Window], dims: tuple[str, ...]):
        self.windows = windows
        self.dims = dims
        self._counts: dict[str, dict[str, list[_Cell]]] = {d: {} for d in dims}

    def add(self, index: int, ticket: Ticket, hit: bool) -> None:
        for dimension in self.dims:
            self.add_counts(index, dimension, dimension_value(ticket, dimension), int(hit), 1)

    def add_counts(self, index: int, dimension: str, value: str, numerator: int, denominator: int) -> None:
        """Observations of window `index` whose ticket has `value` (also for counts made elsewhere)."""
        values = self._counts[dimension]
        if value not in values:
            if len(values) >= MAX_VALUES:
                value = OTHER
            values.setdefault(value, [_Cell() for _ in self.windows])
        cell = values[value][index]
        cell.numerator += numerator
        cell.denominator += denominator

    def result(self, now: datetime, direction: str, is_met: Callable[[float], bool]) -> tuple[Breakdown, ...]:
        return tuple(Breakdown(d, self._rows(d, now, direction, is_met)) for d in self.dims)

    def _rows(self, dimension: str, now: datetime, direction: str,
              is_met: Callable[[float], bool]) -> tuple[GroupResult, ...]:
        rows = []
        for value, cells in self._counts[dimension].items():
            windows = tuple(
                WindowResult(start=w.start, end=w.end, label=w.label, numerator=c.numerator,
                             denominator=c.denominator, value=c.numerator / c.denominator if c.denominator else None,
                             met=is_met(c.numerator / c.denominator) if c.denominator else None,
                             closed=w.closed_at(now))
                for w, c in zip(self.windows, cells, strict=True)
            )
            numerator = sum(c.numerator for c in cells)
            denominator = sum(c.denominator for c in cells)
            share = numerator / denominator if denominator else None
            # The trend of the latest closed window with data against the one before it.
            closed = [w for w in windows if w.closed and w.value is not None]
            direction_trend, change = trend(windows, closed[-1] if closed else None, direction=direction)
            rows.append(GroupResult(group=value, numerator=numerator, denominator=denominator, value=share,
                                    met=None if share is None else is_met(share), windows=windows,
                                    trend=direction_trend, change=change))
        # The most tickets first; the catch-alls last.
        rows.sort(key=lambda r: (r.group in (OTHER, NONE_LABELS[dimension]), -r.denominator, r.group))
        return tuple(rows)

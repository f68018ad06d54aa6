"""The milestones on a timeline, as positions the HTML report draws with CSS.

Each milestone is a row: its words above (readable at any width), a track below holding a bar
from its first to its last day. The plan's first and last day and today are lines across every
track. Positions are shares of the time span in percent, so the drawing follows the width of
its card from a phone to a wide screen without a script and without scaling any text.

The span runs from the plan's first day (or an earlier milestone's) to the day after the
plan's last (or a later milestone's), in the plan calendar's days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from deskplan.i18n import ENGLISH, Lang
from deskplan.kpi.results import MilestoneResult

MAX_LABELS = 6          # month labels along the ruler: six fit a phone's width
LAST_LABEL_AT = 92.0    # no month label starts further right: it would run out of the card


@dataclass(frozen=True)
class Tick:
    at: float               # percent of the span
    label: str              # "" for a line without words


@dataclass(frozen=True)
class Bar:
    milestone: MilestoneResult
    left: float             # percent of the span
    width: float


@dataclass(frozen=True)
class Timeline:
    first: date             # the span's first day
    last: date              # its last day
    plan_start: float       # percent: where the plan's first day begins
    plan_end: float         # where the day after its last begins
    today: float            # where `now` lies, held within 0..100
    today_where: str        # "" inside the span, else "before" or "after" it
    ticks: tuple[Tick, ...]
    bars: tuple[Bar, ...]


def timeline(plan_start: date, plan_end: date, now: datetime, milestones: tuple[MilestoneResult, ...],
             lang: Lang = ENGLISH) -> Timeline:
    """The timeline of `milestones` between the plan's dates; `now` in the plan's zone; the
    months along the ruler in `lang` (`Nov`, `11月`)."""
    first = min([plan_start] + [m.start for m in milestones])
    last = max([plan_end] + [m.end for m in milestones])
    days = (last - first).days + 1

    def at(day: date) -> float:
        return round(100 * (day - first).days / days, 2)

    today_days = (now.date() - first).days + (now.hour * 3600 + now.minute * 60 + now.second) / 86400
    today = 100 * today_days / days
    where = "before" if today < 0 else "after" if today > 100 else ""
    bars = tuple(
        Bar(m, at(m.start), round(max(at(m.end + timedelta(days=1)) - at(m.start), 0.0), 2)) for m in milestones
    )
    return Timeline(first=first, last=last, plan_start=at(plan_start), plan_end=at(plan_end + timedelta(days=1)),
                    today=round(min(max(today, 0.0), 100.0), 2), today_where=where,
                    ticks=_month_ticks(first, last, at, lang), bars=bars)


def _month_ticks(first: date, last: date, at: Callable[[date], float], lang: Lang = ENGLISH) -> tuple[Tick, ...]:
    """A line at the first of every month inside the span; words on every n-th, so at most
    MAX_LABELS: the month's name, or its year for a January (the legend gives the plan's dates)."""
    starts: list[date] = []
    month = date(first.year, first.month, 1)
    while True:
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        if month > last:
            break
        starts.append(month)
    every = max(1, -(-len(starts) // MAX_LABELS))
    ticks: list[Tick] = []
    for index, start in enumerate(starts):
        position = at(start)
        label = ""
        if index % every == 0 and position <= LAST_LABEL_AT:
            label = str(start.year) if start.month == 1 else lang.month(start)
        ticks.append(Tick(position, label))
    return tuple(ticks)

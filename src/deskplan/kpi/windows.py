"""Report windows: weeks (Monday first), months and quarters in the plan's time zone.

A window is half-open, [start, end), and its bounds are local midnights of the plan's
calendar converted to UTC instants (UTC because Python compares and subtracts two
datetimes of the same zone by their wall clocks, which is wrong across a DST change);
across a DST change a window is therefore an hour longer or shorter than its nominal
length, exactly as people there count days. An instant belongs to the window whose local
date range holds the instant's local date.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

WindowKind = Literal["week", "month", "quarter"]
WINDOW_KINDS: tuple[WindowKind, ...] = ("week", "month", "quarter")


@dataclass(frozen=True, order=True)
class Window:
    """One report window; `start` and `end` are UTC instants, `first` its first local date."""

    start: datetime
    end: datetime
    kind: WindowKind
    first: date

    @property
    def label(self) -> str:
        """`2026-W14`, `2026-04` or `2026-Q2` (ISO week numbering for weeks)."""
        first = self.first
        if self.kind == "week":
            year, week, _ = first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{first.year}-{first.month:02d}"
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"

    def holds(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def closed_at(self, now: datetime) -> bool:
        """True once the window has ended: its figures no longer change with time."""
        return self.end <= now


def first_day(day: date, kind: WindowKind) -> date:
    """The first local date of the window holding `day`."""
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_first_day(first: date, kind: WindowKind) -> date:
    """The first local date of the window after the one starting on `first`."""
    if kind == "week":
        return first + timedelta(days=7)
    months = 1 if kind == "month" else 3
    month = first.month - 1 + months
    return date(first.year + month // 12, month % 12 + 1, 1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day begins. Where midnight itself is skipped by a DST change,
    fold=0 resolves it with the offset before the change: the instant of the change."""
    return datetime.combine(day, time()).replace(tzinfo=zone).astimezone(timezone.utc)


def due_day(due: datetime, zone: tzinfo) -> date:
    """The day a due time is shown as, in `zone`: its local date, but the day before for a
    local midnight. deskplan writes "by the end of day D" as D+1 00:00 local (review tasks,
    plan push, goal tasks' windows), and a reader told "due 11 Oct" of a task due by the end of
    10 Oct would think it had a day more than it has; a due time within a day (a rule's
    business-hours deadline) is shown as its own day."""
    local = due.astimezone(zone)
    day = local.date()
    return day - timedelta(days=1) if local.time() == time() else day


def written_due_day(due: datetime, zone: str | None) -> date:
    """The day a helpdesk that keeps a due day alone (Jira's `duedate`) is given for a task due
    at `due`: `due_day` in the plan's `zone` (an IANA name, effects.py PlannedWrite.zone). A
    write planned before the zone was kept (None) was given the UTC date of `due`."""
    if zone is None:
        return due.astimezone(timezone.utc).date()
    return due_day(due, ZoneInfo(zone))


def day_end(day: date, zone: str | None) -> datetime:
    """The end of `day` in `zone` (the next local midnight, as a UTC instant): what a due day
    someone set in a helpdesk means; UTC for writes planned before the zone was kept."""
    return local_midnight(day + timedelta(days=1), ZoneInfo(zone or "UTC"))


def zone_name(zone: tzinfo) -> str | None:
    """The IANA name of a plan's zone (a ZoneInfo), "UTC" for `timezone.utc`; None for another
    tzinfo, which has no name to keep."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    return "UTC" if zone is timezone.utc else None


def _window(first: date, kind: WindowKind, zone: ZoneInfo) -> Window:
    return Window(local_midnight(first, zone), local_midnight(next_first_day(first, kind), zone), kind, first)


def window_of(instant: datetime, kind: WindowKind, zone: ZoneInfo) -> Window:
    """The window holding `instant` (aware)."""
    return _window(first_day(instant.astimezone(zone).date(), kind), kind, zone)


def windows_between(start: datetime, end: datetime, kind: WindowKind, zone: ZoneInfo) -> Iterator[Window]:
    """Every window that overlaps [start, end), in order; the first one holds `start`."""
    if start >= end:
        return
    first = first_day(start.astimezone(zone).date(), kind)
    while True:
        window = _window(first, kind, zone)
        if window.start >= end:
            return
        yield window
        first = next_first_day(first, kind)

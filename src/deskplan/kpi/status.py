"""A goal's overall status and trend, judged against the straight line of the plan.

The line runs from the baseline at the plan's start (local midnight of `plan.start`) to
the target at the deadline (the end of the day `by`); after the deadline it stays at the
target. Without a baseline in plan.yaml the first measured window's value stands in, unless
that value already meets the target: then the goal is to hold it, and the line is flat at
the target.

The status is judged on the *latest value*: that of the latest closed window with
something to measure; only while no window with data has closed yet, the current one.
`expected` is the line's height in the middle of that window (of the part up to `now`, for
an open window), since the value sums up the whole window.
`ahead` is how far the latest value is on the good side of the line (the goal's direction).

- met:        the latest value meets the target.
- on_track:   not met, but on or ahead of the line (ahead >= 0).
- at_risk:    behind the line by no more than the tolerance, and the deadline has not passed.
- off_track:  behind the line by more than the tolerance, or the deadline has passed
              without the target met.
- no_data:    no window has anything to measure.

The tolerance is a quarter of the planned improvement |target - baseline|, and never less
than one percentage point, so a goal that holds a level (baseline = target) still has one.

Trend compares the latest value with the previous window that has data: `improving` or
`worsening` when it moved by more than half a percentage point in or against the goal's
direction, else `steady`; `n/a` without a previous value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from deskplan.kpi.results import (
    AT_RISK,
    IMPROVING,
    MET,
    NO_DATA,
    NO_TREND,
    OFF_TRACK,
    ON_TRACK,
    STEADY,
    WORSENING,
    WindowResult,
)

MIN_TOLERANCE = 0.01
TOLERANCE_SHARE = 0.25
TREND_EPSILON = 0.005
ROUNDING = 1e-9     # shares that differ by less are equal (0.8 + 0.1 * 0.5 is not exactly 0.85)


@dataclass(frozen=True)
class Line:
    """The planned path from baseline to target."""

    start: datetime
    by: datetime
    baseline: float
    target: float

    def at(self, instant: datetime) -> float:
        if instant <= self.start:
            return self.baseline
        if instant >= self.by:
            return self.target
        progress = (instant - self.start) / (self.by - self.start)
        return self.baseline + (self.target - self.baseline) * progress

    @property
    def tolerance(self) -> float:
        return max(TOLERANCE_SHARE * abs(self.target - self.baseline), MIN_TOLERANCE)


def standin_baseline(windows: tuple[WindowResult, ...], is_met: Callable[[float], bool], target: float) -> float | None:
    """Where the line starts when plan.yaml gives no baseline (see above)."""
    first = next((w.value for w in windows if w.value is not None), None)
    if first is None:
        return None
    return target if is_met(first) else first


def latest_window(windows: tuple[WindowResult, ...]) -> WindowResult | None:
    measured = [w for w in windows if w.value is not None]
    closed = [w for w in measured if w.closed]
    if closed:
        return closed[-1]
    return measured[-1] if measured else None


def judged_at(window: WindowResult, now: datetime) -> datetime:
    """The middle of the window, or of its part up to `now`."""
    end = window.end if window.closed else min(window.end, now)
    return window.start + (end - window.start) / 2


def goal_status(latest: WindowResult | None, line: Line | None, *, direction: str, now: datetime,
                is_met: Callable[[float], bool]) -> tuple[str, float | None]:
    """(status, expected value on the line) for a goal; `is_met(value)` applies its target."""
    if latest is None or latest.value is None or line is None:
        return NO_DATA, None
    at = judged_at(latest, now)
    expected = line.at(at)
    if is_met(latest.value):
        return MET, expected
    if now >= line.by:
        return OFF_TRACK, expected
    sign = 1 if direction == "at_least" else -1
    ahead = (latest.value - expected) * sign
    if ahead >= -ROUNDING:
        return ON_TRACK, expected
    if -ahead <= line.tolerance + ROUNDING:
        return AT_RISK, expected
    return OFF_TRACK, expected


def trend(windows: tuple[WindowResult, ...], latest: WindowResult | None,
          *, direction: str) -> tuple[str, float | None]:
    """(trend, change) of the latest value against the window with data before it."""
    if latest is None or latest.value is None:
        return NO_TREND, None
    earlier = [w.value for w in windows if w.value is not None and w.end <= latest.start]
    if not earlier:
        return NO_TREND, None
    change = latest.value - earlier[-1]
    better = change if direction == "at_least" else -change
    if better > TREND_EPSILON:
        return IMPROVING, change
    if better < -TREND_EPSILON:
        return WORSENING, change
    return STEADY, change

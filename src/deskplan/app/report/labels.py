"""Words and numbers as the text and HTML reports show them."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from deskplan.app.terminal import printable
from deskplan.kpi.metrics import hours
from deskplan.kpi.results import GoalResult

STATUS_LABELS = {
    "met": "met", "on_track": "on track", "at_risk": "at risk", "off_track": "off track", "no_data": "no data",
}
TREND_ARROWS = {"improving": "↑", "worsening": "↓", "steady": "→", "n/a": " "}


def metric_label(metric: str, threshold: timedelta | None) -> str:
    within = hours(threshold) if threshold else ""
    return {
        "first_reply_within": f"first reply within {within}",
        "resolution_within": f"resolved within {within}",
        "first_contact_resolution": "first-contact resolution",
        "csat": "customer satisfaction",
        "complaint_rate": "complaint rate",
        "feedback_response_within": f"bad rating answered within {within}",
    }.get(metric, metric)


def goal_label(goal: GoalResult) -> str:
    return goal.title or metric_label(goal.metric, goal.threshold)


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def points(change: float | None) -> str:
    """A change of a share in percentage points: `+1.3pp`."""
    return "" if change is None else f"{change * 100:+.1f}pp"


def target_text(goal: GoalResult) -> str:
    return f"{'≥' if goal.direction == 'at_least' else '≤'} {pct(goal.target, 0 if goal.target * 100 % 1 == 0 else 1)}"


def width(text: str) -> int:
    """Terminal columns: East Asian wide characters (CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fit(text: str, columns: int) -> str:
    """`text` cut (with an ellipsis) and padded to exactly `columns` terminal columns; a control
    character (from ticket data: a group's name) shown as its escape, never sent to the terminal."""
    text = printable(text)
    if width(text) > columns:
        out, used = [], 0
        for char in text:
            w = width(char)
            if used + w > columns - 1:
                break
            out.append(char)
            used += w
        text = "".join(out) + "…"
    return text + " " * (columns - width(text))


def fit_right(text: str, columns: int) -> str:
    text = fit(text, columns).rstrip()
    return " " * (columns - width(text)) + text

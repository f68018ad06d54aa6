"""Words and numbers as the text and HTML reports show them."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from deskplan.app.terminal import printable
from deskplan.i18n import ENGLISH, Lang
from deskplan.kpi.dimensions import NONE_LABELS, OTHER
from deskplan.kpi.metrics import hours
from deskplan.kpi.results import NO_MEASURE, GoalResult
from deskplan.kpi.review import NO_OWNER

STATUS_LABELS = {
    "met": "met", "on_track": "on track", "at_risk": "at risk", "off_track": "off track", "no_data": "no data",
}
TREND_ARROWS = {"improving": "↑", "worsening": "↓", "steady": "→", "n/a": " "}


def placeholder(name: str, lang: Lang = ENGLISH) -> str:
    """A name as the reports show it: kpi's stand-ins for none (`(no owner)`, `(no measure)`,
    `(no group)`, `(no channel)`, `(other)` …) in the plan's language, every other name (an
    owner, a team, a company) as written. kpi keeps them in English: they are JSON values."""
    return {NO_OWNER: lang._("(no owner)"), NO_MEASURE: lang._("(no measure)"), OTHER: lang._("(other)"),
            NONE_LABELS["group"]: lang._("(no group)"), NONE_LABELS["organization"]: lang._("(no organization)"),
            NONE_LABELS["channel"]: lang._("(no channel)"), NONE_LABELS["agent"]: lang._("(unassigned)"),
            }.get(name, name)


def status_label(status: str, lang: Lang = ENGLISH) -> str:
    """A goal's status in words: `on track` (STATUS_LABELS in the plan's language)."""
    return {
        "met": lang._("met"), "on_track": lang._("on track"), "at_risk": lang._("at risk"),
        "off_track": lang._("off track"), "no_data": lang._("no data"),
    }.get(status, status)


def trend_word(trend: str, lang: Lang = ENGLISH) -> str:
    """A goal's trend (improving | worsening | steady | n/a) or a feedback category's (rising |
    falling | steady | new | n/a), in the plan's language."""
    return {
        "improving": lang._("improving"), "worsening": lang._("worsening"), "steady": lang._("steady"),
        "n/a": lang._("n/a"), "rising": lang._("rising"), "falling": lang._("falling"), "new": lang._("new"),
    }.get(trend, trend)


def category_name(category: str, lang: Lang = ENGLISH) -> str:
    """A feedback category in words: `Service attitude` (`服务态度`); one the plan made up as written."""
    return {
        "attitude": lang._("Service attitude"), "quality": lang._("Service quality"), "product": lang._("Product"),
        "process": lang._("Process"), "complaint": lang._("Complaints"),
    }.get(category, category)


def category_label(category: str, lang: Lang = ENGLISH) -> str:
    """A feedback category as the report's tables show it: the id as the rules write it
    (`attitude`), or in another language than English its name (`服务态度`)."""
    return category if lang.english else category_name(category, lang)


def verdict_label(verdict: str, lang: Lang = ENGLISH) -> str:
    """A measure's verdict (kpi/effect.py) in words: `no effect detected`."""
    return {
        "effective": lang._("effective"), "harmful": lang._("harmful"),
        "no_effect_detected": lang._("no effect detected"), "too_early": lang._("too early"),
        "uncontrolled": lang._("uncontrolled"),
    }.get(verdict, verdict)


def metric_label(metric: str, threshold: timedelta | None, lang: Lang = ENGLISH) -> str:
    within = hours(threshold) if threshold else ""
    if metric == "first_reply_within":
        return lang._("first reply within {span}", span=within)
    if metric == "resolution_within":
        return lang._("resolved within {span}", span=within)
    if metric == "feedback_response_within":
        return lang._("bad rating answered within {span}", span=within)
    return {
        "first_contact_resolution": lang._("first-contact resolution"),
        "csat": lang._("customer satisfaction"),
        "complaint_rate": lang._("complaint rate"),
    }.get(metric, metric)


def goal_label(goal: GoalResult, lang: Lang = ENGLISH) -> str:
    return goal.title or metric_label(goal.metric, goal.threshold, lang)


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def better_word(trend: str, lang: Lang = ENGLISH) -> str:
    """What a goal's trend arrow means, in a word: `better`, `worse`, `steady` (nothing for n/a)."""
    return {"improving": lang._("better"), "worsening": lang._("worse"), "steady": lang._("steady")}.get(trend, "")


def met_mark(met: bool | None) -> str:
    """`✓` for a value that meets its goal's target, `✗` for one that misses it, nothing without data."""
    return "" if met is None else ("✓" if met else "✗")


def header_lines(names: list[str], columns: int, gap: int = 1) -> list[str]:
    """Column headings right-aligned in `columns` each, wrapped after hyphens over as many lines as
    the longest needs (`first-reply-12h` -> `first-`, `reply-12h`), so no id is cut; a part
    wider than a column alone is cut. Each line holds a cell per name, each followed by `gap` spaces."""
    wrapped = []
    for name in names:
        parts, line = [], ""
        pieces = name.replace("-", "-\n").split("\n")
        for index, piece in enumerate(pieces):
            if width(piece) > columns and piece.endswith("-") and index + 1 < len(pieces):
                # `resolution-` one too wide: the hyphen starts the next line instead.
                piece, pieces[index + 1] = piece[:-1], "-" + pieces[index + 1]
            if line and width(line + piece) > columns:
                parts.append(line)
                line = ""
            line += piece
        wrapped.append([*parts, line])
    depth = max((len(parts) for parts in wrapped), default=0)
    return ["".join(fit_right(([""] * (depth - len(parts)) + parts)[row], columns) + " " * gap for parts in wrapped)
            for row in range(depth)]


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

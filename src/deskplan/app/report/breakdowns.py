"""Goals by team, customer organization, channel (and agent) as the report shows them
(kpi/dimensions.py computes them).

JSON, per goal: "breakdowns": [{"dimension" ("group" | "organization" | "channel" | "agent"),
  "rows": [{"name", "value", "numerator", "denominator", "met", "trend", "change",
            "windows": [{"label", "value", "numerator", "denominator"}]}]}]
"""

from __future__ import annotations

from typing import Any

from deskplan.app.report.labels import TREND_ARROWS, fit, fit_right, header_lines, met_mark, pct, placeholder
from deskplan.i18n import ENGLISH, Lang
from deskplan.kpi.results import Breakdown, GoalResult, GroupResult, Report

WIDTH = 100
SHOWN_ROWS = 8
HEADINGS = {"group": "team", "organization": "customer organization", "channel": "channel", "agent": "agent"}


def heading(dimension: str, lang: Lang = ENGLISH) -> str:
    """HEADINGS in the plan's language."""
    return {"group": lang._("team"), "organization": lang._("customer organization"), "channel": lang._("channel"),
            "agent": lang._("agent")}.get(dimension, dimension)


def breakdowns_list(goal: GoalResult) -> list[dict[str, Any]]:
    return [
        {"dimension": b.dimension, "rows": [
            {"name": r.group, "value": r.value, "numerator": r.numerator, "denominator": r.denominator,
             "met": r.met, "trend": r.trend, "change": r.change,
             "windows": [{"label": w.label, "value": w.value, "numerator": w.numerator,
                          "denominator": w.denominator} for w in r.windows]}
            for r in b.rows]}
        for b in goal.breakdowns
    ]


def cell(value: float | None, trend: str) -> str:
    return f"{pct(value)} {TREND_ARROWS[trend]}".rstrip()


def text_cell(row: GroupResult | None) -> str:
    """A cell of the text report, 12 columns: `78.3% ✗↑ `, the value and its met/missed mark
    right-aligned, then the trend's arrow (or a space), so values line up with or without one."""
    if row is None:
        return fit_right("–", 10) + "  "
    return fit_right(f"{pct(row.value)} {met_mark(row.met)}".rstrip(), 10) + TREND_ARROWS[row.trend] + " "


def table(report: Report, dimension: str) -> tuple[list[str], list[tuple[str, list[str]]], int]:
    """(goal ids, [(row name, cells)], rows left out) for one dimension, most tickets first."""
    goal_ids, rows, more = found_rows(report, dimension)
    return goal_ids, [(name, [cell(r.value, r.trend) if r else "–" for r in found]) for name, found in rows], more


def found_rows(report: Report, dimension: str) -> tuple[list[str], list[tuple[str, list[GroupResult | None]]], int]:
    """(goal ids, [(row name, each goal's row or None)], rows left out) for one dimension, most
    tickets first."""
    goals = [g for g in report.goals if any(b.dimension == dimension and b.rows for b in g.breakdowns)]
    per_goal: dict[str, Breakdown] = {
        g.id: next(b for b in g.breakdowns if b.dimension == dimension) for g in goals}
    volume: dict[str, int] = {}
    for breakdown in per_goal.values():
        for row in breakdown.rows:
            volume[row.group] = volume.get(row.group, 0) + row.denominator
    names = sorted(volume, key=lambda n: (n.startswith("("), -volume[n], n))
    rows = [(name, [next((r for r in per_goal[goal.id].rows if r.group == name), None) for goal in goals])
            for name in names[:SHOWN_ROWS]]
    return [g.id for g in goals], rows, max(0, len(names) - SHOWN_ROWS)


def breakdown_lines(report: Report, lang: Lang = ENGLISH) -> list[str]:
    """BY ORGANIZATION, BY CHANNEL (and BY AGENT): each goal over the whole period, the arrow the
    trend of the latest closed window; teams have their own table (BY GROUP)."""
    dims = list(dict.fromkeys(b.dimension for g in report.goals for b in g.breakdowns if b.dimension != "group"))
    lines: list[str] = []
    for dimension in dims:
        goal_ids, rows, more = found_rows(report, dimension)
        if not rows:
            continue
        shown = goal_ids[:(WIDTH - 22) // 12]
        lines.append(fit(lang._("BY {dimension} (each goal over the whole period)",
                                dimension=heading(dimension, lang).upper()), WIDTH))
        lines.append(fit(lang._("✓ meets the target, ✗ misses it; the latest closed window: ↑ better, ↓ worse, "
                                "→ steady for the goal"), WIDTH))
        lines.extend(fit("", 22) + header for header in header_lines(shown, 10, gap=2))
        for name, found in rows:
            lines.append(fit(placeholder(name, lang), 22) + "".join(text_cell(r) for r in found[:len(shown)]))
        if more:
            lines.append(lang._("and {count} more", count=more))
        lines.append("")
    return lines


def breakdown_views(report: Report, lang: Lang = ENGLISH) -> list[dict[str, Any]]:
    """What templates/breakdowns.html.j2 shows: a table per dimension."""
    views = []
    for dimension in dict.fromkeys(b.dimension for g in report.goals for b in g.breakdowns):
        goal_ids, rows, more = table(report, dimension)
        rows = [(placeholder(name, lang), cells) for name, cells in rows]
        if rows:
            views.append({"dimension": dimension, "heading": heading(dimension, lang), "goals": goal_ids,
                          "rows": rows, "more": more})
    return views

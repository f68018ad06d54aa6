"""Goals by team, customer organization, channel (and agent) as the report shows them
(kpi/dimensions.py computes them).

JSON, per goal: "breakdowns": [{"dimension" ("group" | "organization" | "channel" | "agent"),
  "rows": [{"name", "value", "numerator", "denominator", "met", "trend", "change",
            "windows": [{"label", "value", "numerator", "denominator"}]}]}]
"""

from __future__ import annotations

from typing import Any

from deskplan.app.report.labels import TREND_ARROWS, fit, fit_right, pct
from deskplan.i18n import ENGLISH, Lang
from deskplan.kpi.results import Breakdown, GoalResult, Report

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


def table(report: Report, dimension: str) -> tuple[list[str], list[tuple[str, list[str]]], int]:
    """(goal ids, [(row name, cells)], rows left out) for one dimension, most tickets first."""
    goals = [g for g in report.goals if any(b.dimension == dimension and b.rows for b in g.breakdowns)]
    per_goal: dict[str, Breakdown] = {
        g.id: next(b for b in g.breakdowns if b.dimension == dimension) for g in goals}
    volume: dict[str, int] = {}
    for breakdown in per_goal.values():
        for row in breakdown.rows:
            volume[row.group] = volume.get(row.group, 0) + row.denominator
    names = sorted(volume, key=lambda n: (n.startswith("("), -volume[n], n))
    rows = []
    for name in names[:SHOWN_ROWS]:
        cells = []
        for goal in goals:
            found = next((r for r in per_goal[goal.id].rows if r.group == name), None)
            cells.append(cell(found.value, found.trend) if found else "–")
        rows.append((name, cells))
    return [g.id for g in goals], rows, max(0, len(names) - SHOWN_ROWS)


def breakdown_lines(report: Report, lang: Lang = ENGLISH) -> list[str]:
    """BY ORGANIZATION, BY CHANNEL (and BY AGENT): each goal over the whole period, the arrow the
    trend of the latest closed window; teams have their own table (BY GROUP)."""
    dims = list(dict.fromkeys(b.dimension for g in report.goals for b in g.breakdowns if b.dimension != "group"))
    lines: list[str] = []
    for dimension in dims:
        goal_ids, rows, more = table(report, dimension)
        if not rows:
            continue
        shown = goal_ids[:(WIDTH - 22) // 11]
        lines.append(lang._("BY {dimension} (each goal over the whole period; arrow: latest closed window's trend)",
                            dimension=heading(dimension, lang).upper()))
        lines.append(fit("", 22) + "".join(fit_right(g, 10) + " " for g in shown))
        for name, cells in rows:
            lines.append(fit(name, 22) + "".join(fit_right(c, 10) + " " for c in cells[:len(shown)]))
        if more:
            lines.append(lang._("and {count} more", count=more))
        lines.append("")
    return lines


def breakdown_views(report: Report, lang: Lang = ENGLISH) -> list[dict[str, Any]]:
    """What templates/breakdowns.html.j2 shows: a table per dimension."""
    views = []
    for dimension in dict.fromkeys(b.dimension for g in report.goals for b in g.breakdowns):
        goal_ids, rows, more = table(report, dimension)
        if rows:
            views.append({"dimension": dimension, "heading": heading(dimension, lang), "goals": goal_ids,
                          "rows": rows, "more": more})
    return views

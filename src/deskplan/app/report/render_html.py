"""`deskplan report --format html`: one self-contained file.

Inline CSS and inline SVG only: no script, no web font, no external image or style, so
the file opens offline, can be mailed as an attachment, and shows the same everywhere.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from deskplan.app.report.labels import STATUS_LABELS, TREND_ARROWS, goal_label, metric_label, pct, points, target_text
from deskplan.app.report.svg import GREEN, PlanLine, SeriesPoint, goal_chart, hbars, stacked_bars
from deskplan.kpi.results import GoalResult, Report
from deskplan.kpi.windows import local_midnight


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("deskplan.app.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["pct"] = pct
    env.filters["points"] = points
    return env


def _goal_view(goal: GoalResult, report: Report, zone: ZoneInfo) -> dict[str, Any]:
    plan_start = local_midnight(report.plan_start, zone)
    by = local_midnight(goal.by + timedelta(days=1), zone)
    baseline = goal.planned_from
    line = PlanLine(plan_start, by, baseline, goal.target) if baseline is not None else None
    series = [SeriesPoint(w.label, w.start, w.end, w.value, w.met, w.closed) for w in goal.windows]
    until = max([by] + [w.end for w in goal.windows])
    label = goal_label(goal)
    measured = [w for w in goal.windows if w.value is not None]
    description = (
        f"{goal.id} {label}: target {target_text(goal)} by {goal.by}. "
        + (f"Latest {goal.latest.label}: {pct(goal.latest.value)}. " if goal.latest else "No data yet. ")
        + f"{len(measured)} {goal.window}s measured, {len(goal.missed_windows())} closed ones missed the target."
    )
    chart = goal_chart(series, target=goal.target, line=line, until=until, description=description) \
        if goal.windows else ""
    return {
        "goal": goal, "label": label, "metric": metric_label(goal.metric, goal.threshold),
        "target": target_text(goal), "status": STATUS_LABELS[goal.status], "arrow": TREND_ARROWS[goal.trend],
        "chart": Markup(chart), "missed": goal.missed_windows(),
        "windows": [{"w": w, "start": w.start.astimezone(zone), "end": w.end.astimezone(zone)} for w in goal.windows],
    }


def render_html(report: Report) -> str:
    zone = ZoneInfo(report.timezone)
    goals = [_goal_view(g, report, zone) for g in report.goals]
    labels = [c.label + ("" if c.closed else " (so far)") for c in report.categories]
    categories = [t.category for t in report.category_trends]
    category_chart = stacked_bars(
        labels, [(c, [w.counts[c] for w in report.categories]) for c in categories],
        description="Tickets per feedback category and " + report.category_window + ": "
        + "; ".join(f"{t.category} {t.total} in all, {t.trend}" for t in report.category_trends),
    ) if report.categories else ""
    measures = sorted(report.measures, key=lambda m: -m.tickets)
    volume_chart = hbars(
        [(f"{m.id} {m.title}", m.tickets, str(m.tickets)) for m in measures],
        maximum=max([m.tickets for m in measures] + [1]),
        description="Tickets per measure: " + "; ".join(f"{m.id} {m.tickets}" for m in measures),
    ) if measures else ""
    sla_rows = [(m, m.sla_attainment) for m in report.measures if m.sla_attainment is not None]
    sla_chart = hbars(
        [(f"{m.id} {m.title}", share, f"{pct(share)}") for m, share in sla_rows],
        maximum=1.0, colour=GREEN,
        description="SLA targets met per measure: "
        + "; ".join(f"{m.id} {pct(share)}" for m, share in sla_rows),
    ) if sla_rows else ""
    groups = sorted({x.group for g in report.goals for x in g.groups})
    group_cells = {
        (g.id, x.group): x for g in report.goals for x in g.groups
    }
    return _environment().get_template("report.html.j2").render(
        report=report, now=report.now.astimezone(zone), goals=goals,
        category_chart=Markup(category_chart), volume_chart=Markup(volume_chart), sla_chart=Markup(sla_chart),
        measures=report.measures, groups=groups, group_cells=group_cells, statuses=STATUS_LABELS,
    )

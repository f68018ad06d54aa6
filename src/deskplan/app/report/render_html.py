"""`deskplan report --format html`: one self-contained file.

Inline CSS and inline SVG only: no script, no web font, no external image or style, so
the file opens offline, can be mailed as an attachment, and shows the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from deskplan.app.report.breakdowns import breakdown_views
from deskplan.app.report.effects_html import effect_views
from deskplan.app.report.labels import (
    STATUS_LABELS,
    TREND_ARROWS,
    category_label,
    goal_label,
    metric_label,
    pct,
    placeholder,
    points,
    status_label,
    target_text,
    trend_word,
)
from deskplan.app.report.svg import GREEN, PlanLine, SeriesPoint, goal_chart, hbars, stacked_bars
from deskplan.app.report.timeline import timeline
from deskplan.i18n import ENGLISH, Lang, translator
from deskplan.kpi.freshness import STALE_AFTER
from deskplan.kpi.results import GoalResult, Report, SourceSync, TaskItem, TaskReport
from deskplan.kpi.review import ACTIVE, DONE, OVERDUE, PLANNED
from deskplan.kpi.windows import due_day, local_midnight


def _environment(lang: Lang = ENGLISH) -> Environment:
    env = Environment(
        loader=PackageLoader("deskplan.app.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"],
    )
    # this render's language: the templates' _() and ngettext() (`make catalogue` extracts them)
    env.install_gettext_callables(lang._, lang.ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.globals["trend_word"] = lambda trend: trend_word(trend, lang)
    env.globals["category_label"] = lambda category: category_label(category, lang)
    env.globals["effect_views"] = lambda report: effect_views(report, lang)
    env.globals["breakdown_views"] = lambda report: breakdown_views(report, lang)
    env.filters["pct"] = pct
    env.filters["points"] = points
    env.filters["placeholder"] = lambda name: placeholder(name, lang)
    return env


# (width, height) of a chart's two drawings: a wide screen's, and a phone's, whose text stays
# readable when the drawing is scaled to the card (about 380 px on a 420 px screen).
WIDE, PHONE = (720, 240), (400, 260)


def both_widths(draw: Callable[[int, int], str]) -> Markup:
    """A chart drawn for a wide screen and for a phone; the CSS shows one by the screen's width."""
    return Markup(f'<div class="chart-wide">{draw(*WIDE)}</div><div class="chart-phone">{draw(*PHONE)}</div>')


def _goal_view(goal: GoalResult, report: Report, zone: ZoneInfo, lang: Lang = ENGLISH) -> dict[str, Any]:
    plan_start = local_midnight(report.plan_start, zone)
    by = local_midnight(goal.by + timedelta(days=1), zone)
    baseline = goal.planned_from
    line = PlanLine(plan_start, by, baseline, goal.target) if baseline is not None else None
    series = [SeriesPoint(w.label, w.start, w.end, w.value, w.met, w.closed) for w in goal.windows]
    until = max([by] + [w.end for w in goal.windows])
    label = goal_label(goal, lang)
    measured = [w for w in goal.windows if w.value is not None]
    description = (
        f"{goal.id} {label}: target {target_text(goal)} by {goal.by}. "
        + (f"Latest {goal.latest.label}: {pct(goal.latest.value)}. " if goal.latest else "No data yet. ")
        + f"{len(measured)} {goal.window}s measured, {len(goal.missed_windows())} closed ones missed the target."
    )
    chart = both_widths(lambda width, height: goal_chart(
        series, target=goal.target, line=line, until=until, description=description, width=width, height=height,
        target_word=lang._("target"),
    )) if goal.windows else ""
    return {
        "goal": goal, "label": label, "metric": metric_label(goal.metric, goal.threshold, lang),
        "target": target_text(goal), "status": status_label(goal.status, lang), "arrow": TREND_ARROWS[goal.trend],
        "trend": trend_word(goal.trend, lang),
        "per_window": {"week": lang._("per week"), "month": lang._("per month"), "quarter": lang._("per quarter")
                       }.get(goal.window, goal.window),
        "every": {"week": lang._("Every week"), "month": lang._("Every month"), "quarter": lang._("Every quarter")
                  }.get(goal.window, goal.window),
        "window_noun": {"week": lang._("Week"), "month": lang._("Month"), "quarter": lang._("Quarter")
                        }.get(goal.window, goal.window),
        "chart": chart, "missed": goal.missed_windows(),
        "windows": [{"w": w, "start": w.start.astimezone(zone), "end": w.end.astimezone(zone)} for w in goal.windows],
    }


OVERDUE_SHOWN = 10      # overdue tasks listed by themselves (every task is in the list below them)

# a milestone's state -> the badge style of the goals' statuses, and its words
MILESTONE_STYLES = {DONE: "met", ACTIVE: "on_track", PLANNED: "no_data", OVERDUE: "off_track"}
MILESTONE_LABELS = {DONE: "done", ACTIVE: "under way", PLANNED: "planned", OVERDUE: "overdue"}


def ago(then: datetime, now: datetime, lang: Lang = ENGLISH) -> str:
    """How long before `now`: `just now`, `40 minutes ago`, `5 hours ago`, `3 days ago`."""
    seconds = (now - then).total_seconds()
    if seconds >= 86400:
        return lang.ngettext("{n} day ago", "{n} days ago", int(seconds // 86400))
    if seconds >= 3600:
        return lang.ngettext("{n} hour ago", "{n} hours ago", int(seconds // 3600))
    if seconds >= 60:
        return lang.ngettext("{n} minute ago", "{n} minutes ago", int(seconds // 60))
    return lang._("just now")


def late_by(due: datetime, now: datetime, lang: Lang = ENGLISH) -> str:
    """How long past due: `3 days`."""
    seconds = (now - due).total_seconds()
    if seconds >= 86400:
        return lang.ngettext("{n} day", "{n} days", int(seconds // 86400))
    if seconds >= 3600:
        return lang.ngettext("{n} hour", "{n} hours", int(seconds // 3600))
    if seconds >= 60:
        return lang.ngettext("{n} minute", "{n} minutes", int(seconds // 60))
    return lang._("just now")


def _synced_view(synced: SourceSync, now: datetime, zone: ZoneInfo, lang: Lang = ENGLISH) -> dict[str, Any]:
    def local(instant: datetime) -> str:
        return f"{instant.astimezone(zone):%Y-%m-%d %H:%M}"

    failed = synced.last_run_at is not None and synced.last_exit not in (0, None) and (
        synced.synced_at is None or synced.last_run_at > synced.synced_at)
    return {
        "s": synced, "when": local(synced.synced_at) if synced.synced_at else None,
        "ago": ago(synced.synced_at, now, lang) if synced.synced_at else None,
        "failed": lang._("the last sync, {time}, ended with exit {code}", time=local(synced.last_run_at),
                         code=synced.last_exit) if failed and synced.last_run_at else None,
    }


def tasks_view(tasks: TaskReport | None, zone: ZoneInfo, now: datetime, lang: Lang = ENGLISH) -> dict[str, Any] | None:
    """The tasks section: the overdue ones (longest overdue first), counts per owner and per
    measure (most overdue first), then every task; None when they were not read back yet."""
    if tasks is None:
        return None

    def item(t: TaskItem) -> dict[str, Any]:
        return {"t": t, "due": due_day(t.due, zone).isoformat() if t.due else "–",
                "late": late_by(t.due, now, lang) if t.overdue and t.due else "",
                "state": "overdue" if t.overdue else "done" if t.done else "open"}

    opened = sum(c.open for c in tasks.by_owner)
    return {
        "r": tasks, "overdue": [item(t) for t in tasks.overdue], "every": [item(t) for t in tasks.items],
        "open": opened, "late": sum(c.overdue for c in tasks.by_owner), "done": sum(c.done for c in tasks.by_owner),
        "read": f"{tasks.read_at.astimezone(zone):%Y-%m-%d %H:%M}" if tasks.read_at else None,
        "read_ago": ago(tasks.read_at, now, lang) if tasks.read_at else None,
    }


def milestone_label(state: str, lang: Lang) -> str:
    return {DONE: lang._("done"), ACTIVE: lang._("under way"), PLANNED: lang._("planned"),
            OVERDUE: lang._("overdue")}.get(state, state)


def render_html(report: Report) -> str:
    """The page in the plan's `language` (the report's)."""
    lang = translator(report.language)
    zone = ZoneInfo(report.timezone)
    goals = [_goal_view(g, report, zone, lang) for g in report.goals]
    labels = [c.label + ("" if c.closed else lang._(" (so far)")) for c in report.categories]
    categories = [t.category for t in report.category_trends]
    category_chart = both_widths(lambda width, height: stacked_bars(
        labels, [(category_label(c, lang), [w.counts[c] for w in report.categories]) for c in categories],
        description="Tickets per feedback category and " + report.category_window + ": "
        + "; ".join(f"{t.category} {t.total} in all, {t.trend}" for t in report.category_trends),
        width=width, height=height,
    )) if report.categories else ""
    measures = sorted(report.measures, key=lambda m: -m.tickets)
    volume_chart = both_widths(lambda width, _: hbars(
        [(f"{m.id} {m.title}", m.tickets, str(m.tickets)) for m in measures],
        maximum=max([m.tickets for m in measures] + [1]),
        description="Tickets per measure: " + "; ".join(f"{m.id} {m.tickets}" for m in measures), width=width,
    )) if measures else ""
    sla_rows = [(m, m.sla_attainment) for m in report.measures if m.sla_attainment is not None]
    sla_chart = both_widths(lambda width, _: hbars(
        [(f"{m.id} {m.title}", share, f"{pct(share)}") for m, share in sla_rows],
        maximum=1.0, colour=GREEN,
        description="SLA targets met per measure: "
        + "; ".join(f"{m.id} {pct(share)}" for m, share in sla_rows), width=width,
    )) if sla_rows else ""
    groups = sorted({x.group for g in report.goals for x in g.groups})
    group_cells = {
        (g.id, x.group): x for g in report.goals for x in g.groups
    }
    latest_closed = {"week": lang._("Latest closed week"), "month": lang._("Latest closed month"),
                     "quarter": lang._("Latest closed quarter")}.get(report.category_window, "")
    return _environment(lang).get_template("report.html.j2").render(
        html_lang=lang.code, latest_closed=latest_closed, categories_note={
            "week": lang._("Tickets created per week, by the category the rules gave them."),
            "month": lang._("Tickets created per month, by the category the rules gave them."),
            "quarter": lang._("Tickets created per quarter, by the category the rules gave them."),
        }.get(report.category_window, ""),
        report=report, now=report.now.astimezone(zone), goals=goals,
        category_chart=category_chart, volume_chart=volume_chart, sla_chart=sla_chart,
        measures=report.measures, groups=groups, group_cells=group_cells,
        statuses={k: status_label(k, lang) for k in STATUS_LABELS},
        synced=[_synced_view(s, report.synced_checked_at or report.now, zone, lang) for s in report.synced],
        stale=[s.source for s in report.synced if s.stale], stale_after=STALE_AFTER.days,
        timeline=timeline(report.plan_start, report.plan_end, report.now.astimezone(zone), report.milestones, lang),
        milestone_styles=MILESTONE_STYLES, milestone_labels={k: milestone_label(k, lang) for k in MILESTONE_LABELS},
        tasks=tasks_view(report.tasks, zone, report.now, lang),
        overdue_shown=OVERDUE_SHOWN,
    )

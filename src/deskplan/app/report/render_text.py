"""`deskplan report` on a terminal: goals, feedback categories, measures, groups.

Every line fits in 100 columns (CJK characters count two).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from deskplan.app.report.breakdowns import breakdown_lines
from deskplan.app.report.effects import effect_lines
from deskplan.app.report.labels import STATUS_LABELS, TREND_ARROWS, fit, fit_right, goal_label, pct, points, target_text
from deskplan.kpi.results import Report

WIDTH = 100
SPARK = "▁▂▃▄▅▆▇█"
RECENT = 6          # windows shown in the feedback table
LEFT_OUT_SHOWN = 10  # tickets named in the left-out list
OVERDUE_SHOWN = 20  # overdue tasks listed (the JSON lists every one)


def sparkline(values: list[float | None]) -> str:
    """One character per window, scaled from 0% to 100%; a space where nothing was measured."""
    return "".join(" " if v is None else SPARK[min(int(v * len(SPARK)), len(SPARK) - 1)] for v in values)


def render_text(report: Report) -> str:
    lines: list[str] = []
    lines += _header(report)
    lines += _goals(report)
    lines += _groups(report)
    lines += breakdown_lines(report)
    lines += _categories(report)
    lines += _measures(report)
    lines += effect_lines(report.effects)
    lines += _tasks(report)
    lines += _left_out(report)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _header(report: Report) -> list[str]:
    now = report.now.astimezone(ZoneInfo(report.timezone))
    return [
        fit(f"{report.plan_title} ({report.plan_id})", WIDTH),
        fit(f"plan {report.plan_start} to {report.plan_end}, {report.timezone}; "
            f"as of {now:%Y-%m-%d %H:%M %Z}; {report.tickets} tickets"
            + (f", {len(report.left_out)} left out" if report.left_out else ""), WIDTH),
        *(fit(f"{s.source}: " + (f"synced {s.synced_at.astimezone(now.tzinfo):%Y-%m-%d %H:%M}" if s.synced_at
                                 else "never synced without error")
              + (" — STALE, the figures may lag the helpdesk" if s.stale else ""), WIDTH) for s in report.synced),
        "",
    ]


def _goals(report: Report) -> list[str]:
    lines = [fit("GOAL", 27) + fit("TARGET", 8) + fit("BY", 12) + fit("LATEST", 18) + fit("PLANNED", 9)
             + fit("TREND", 11) + "STATUS"]
    for g in report.goals:
        latest = f"{pct(g.latest.value)} {g.latest.label}" if g.latest else "–"
        trend = f"{TREND_ARROWS[g.trend]} {points(g.change)}".rstrip()
        lines.append(
            fit(g.id, 26) + " " + fit(target_text(g), 8) + fit(str(g.by), 12) + fit(latest, 18)
            + fit(pct(g.expected), 9) + fit(trend, 11) + STATUS_LABELS[g.status]
        )
        closed = sum(1 for w in g.windows if w.closed and w.value is not None)
        missed = len(g.missed_windows())
        history = f"  {sparkline([w.value for w in g.windows])}  {missed} of {closed} closed {g.window}s missed"
        lines.append(fit(f"{history} · {goal_label(g)}", WIDTH))
    return lines + [""]


def _groups(report: Report) -> list[str]:
    goals = [g for g in report.goals if g.groups]
    if not goals:
        return []
    groups = sorted({x.group for g in goals for x in g.groups})
    shown = goals[:(WIDTH - 22) // 11]
    lines = ["BY GROUP (each goal over the whole period)",
             fit("", 22) + "".join(fit_right(g.id, 10) + " " for g in shown)]
    for name in groups:
        cells = []
        for g in shown:
            match = next((x for x in g.groups if x.group == name), None)
            cells.append(fit_right(pct(match.value) if match else "–", 10) + " ")
        lines.append(fit(name, 22) + "".join(cells))
    return lines + [""]


def _categories(report: Report) -> list[str]:
    windows = report.categories[-RECENT:]
    if not windows:
        return []
    lines = [
        f"FEEDBACK CATEGORIES (tickets created per {report.category_window})",
        fit("", 14) + "".join(fit_right(w.label + ("*" if not w.closed else ""), 9) for w in windows) + "   TREND",
    ]
    for trend in report.category_trends:
        lines.append(fit(trend.category, 14) + "".join(fit_right(str(w.counts[trend.category]), 9) for w in windows)
                     + "   " + trend.trend)
    lines.append(fit("all tickets", 14) + "".join(fit_right(str(w.tickets), 9) for w in windows))
    if any(not w.closed for w in windows):
        lines.append("* still open")
    return lines + [""]


def _left_out(report: Report) -> list[str]:
    """Tickets no figure counts (their data broke a computation): at most LEFT_OUT_SHOWN named."""
    if not report.left_out:
        return []
    count = len(report.left_out)
    lines = [fit(f"LEFT OUT: {count} ticket{'' if count == 1 else 's'} whose data could not be counted", WIDTH)]
    lines += [fit(f"  {t.ref}  {t.reason}", WIDTH) for t in report.left_out[:LEFT_OUT_SHOWN]]
    if count > LEFT_OUT_SHOWN:
        lines.append(f"  and {count - LEFT_OUT_SHOWN} more")
    return lines + [""]


def _measures(report: Report) -> list[str]:
    if not report.measures:
        return []
    lines = [fit("MEASURE", 46) + fit("OWNER", 20) + fit_right("TICKETS", 9) + fit_right("SLA MET", 10)
             + fit_right("BREACHED", 10)]
    for m in report.measures:
        lines.append(
            fit(f"{m.id} {m.title}", 45) + " " + fit(m.owner, 20) + fit_right(str(m.tickets), 9)
            + fit_right(pct(m.sla_attainment), 10) + fit_right(str(m.sla_breached), 10)
        )
    return lines + [""]


def _tasks(report: Report) -> list[str]:
    """deskplan's own tasks as the syncs read them back: per owner, per measure, the overdue ones."""
    tasks = report.tasks
    if tasks is None:
        return [fit("TASKS: deskplan's tasks were written but not read back yet; the next sync reads them", WIDTH), ""]
    if not tasks.items and not tasks.gone:
        return []
    zone = ZoneInfo(report.timezone)
    opened = sum(c.open for c in tasks.by_owner)
    overdue = sum(c.overdue for c in tasks.by_owner)
    done = sum(c.done for c in tasks.by_owner)
    read = f"read back {tasks.read_at.astimezone(zone):%Y-%m-%d %H:%M}" if tasks.read_at else "not read back yet"
    gone = f", {tasks.gone} deleted in the helpdesk" if tasks.gone else ""
    lines = [fit(f"TASKS ({read}): {opened} open, {overdue} of them overdue, {done} done{gone}", WIDTH),
             fit("OWNER", 46) + fit_right("OPEN", 9) + fit_right("OVERDUE", 10) + fit_right("DONE", 9)]
    lines += [fit(c.name, 46) + fit_right(str(c.open), 9) + fit_right(str(c.overdue), 10) + fit_right(str(c.done), 9)
              for c in tasks.by_owner]
    lines.append(fit("MEASURE", 46) + fit_right("OPEN", 9) + fit_right("OVERDUE", 10) + fit_right("DONE", 9))
    lines += [fit(f"{c.name} {c.title}".rstrip(), 46) + fit_right(str(c.open), 9) + fit_right(str(c.overdue), 10)
              + fit_right(str(c.done), 9) for c in tasks.by_measure]
    if tasks.overdue:
        lines.append("OVERDUE")
        for t in tasks.overdue[:OVERDUE_SHOWN]:
            due = f"{t.due.astimezone(zone):%Y-%m-%d}" if t.due else "–"
            lines.append(fit(f"  {t.ref}", 16) + fit(f"due {due}", 15) + fit(t.owner, 20) + fit(t.title, 49))
            if t.url:
                lines.append(fit(f"    {t.url}", WIDTH))
        if len(tasks.overdue) > OVERDUE_SHOWN:
            lines.append(f"  and {len(tasks.overdue) - OVERDUE_SHOWN} more")
    return lines + [""]

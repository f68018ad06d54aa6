"""`deskplan report` on a terminal: goals, feedback categories, measures, groups.

Every line fits in 100 columns (CJK characters count two).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from deskplan.app.report.breakdowns import breakdown_lines
from deskplan.app.report.effects import effect_lines
from deskplan.app.report.labels import (
    TREND_ARROWS,
    better_word,
    category_label,
    fit,
    fit_right,
    goal_label,
    header_lines,
    met_mark,
    pct,
    placeholder,
    points,
    status_label,
    target_text,
    trend_word,
)
from deskplan.app.report.render_html import ago, milestone_label
from deskplan.i18n import Lang, translator
from deskplan.kpi.results import Report, SourceSync
from deskplan.kpi.windows import due_day

WIDTH = 100
SPARK = "▁▂▃▄▅▆▇█"
RECENT = 6          # windows shown in the feedback table
LEFT_OUT_SHOWN = 10  # tickets named in the left-out list
OVERDUE_SHOWN = 20  # overdue tasks listed (the JSON lists every one)


def sparkline(values: list[float | None]) -> str:
    """One character per window, scaled from 0% to 100%; a space where nothing was measured."""
    return "".join(" " if v is None else SPARK[min(int(v * len(SPARK)), len(SPARK) - 1)] for v in values)


def render_text(report: Report) -> str:
    """The report in the plan's `language` (the report's)."""
    lang = translator(report.language)
    lines: list[str] = []
    lines += _header(report, lang)
    lines += _goals(report, lang)
    lines += _groups(report, lang)
    lines += breakdown_lines(report, lang)
    lines += _categories(report, lang)
    lines += _measures(report, lang)
    lines += effect_lines(report.effects, lang)
    lines += _milestones(report, lang)
    lines += _tasks(report, lang)
    lines += _left_out(report, lang)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _header(report: Report, lang: Lang) -> list[str]:
    now = report.now.astimezone(ZoneInfo(report.timezone))

    def synced(s: SourceSync) -> str:
        if s.synced_at:
            # "ago" by the clock the runs were recorded in (Report.synced_checked_at)
            line = lang._("{source}: synced {time} ({ago})", source=s.source,
                          time=s.synced_at.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M"),
                          ago=ago(s.synced_at, report.synced_checked_at or report.now, lang))
        else:
            line = lang._("{source}: never synced without error", source=s.source)
        return line + (lang._(" — STALE, the figures may lag the helpdesk") if s.stale else "")

    left_out = lang._(", {count} left out", count=len(report.left_out)) if report.left_out else ""
    return [
        fit(lang._("{title} ({id})", title=report.plan_title, id=report.plan_id), WIDTH),
        fit(lang._("plan {start} to {end}, {zone}; as of {now}; {tickets} tickets", start=report.plan_start,
                   end=report.plan_end, zone=report.timezone, now=now.strftime("%Y-%m-%d %H:%M %Z"),
                   tickets=report.tickets) + left_out, WIDTH),
        *(fit(synced(s), WIDTH) for s in report.synced),
        "",
    ]


def _goals(report: Report, lang: Lang) -> list[str]:
    lines = [fit(lang._("GOAL"), 27) + fit(lang._("TARGET"), 8) + fit(lang._("BY"), 12) + fit(lang._("LATEST"), 18)
             + fit(lang._("PLANNED"), 9) + fit(lang._("TREND"), 17) + lang._("STATUS")]
    for g in report.goals:
        latest = f"{pct(g.latest.value)} {g.latest.label}" if g.latest else "–"
        # The arrow and the word say better or worse for the goal; the points, how the value moved:
        # a rate that must fall and rose is `↓ worse +2.3pp`.
        trend = f"{TREND_ARROWS[g.trend]} {better_word(g.trend, lang)} {points(g.change)}".strip()
        lines.append(
            fit(g.id, 26) + " " + fit(target_text(g), 8) + fit(str(g.by), 12) + fit(latest, 18)
            + fit(pct(g.expected), 9) + fit(trend, 17) + status_label(g.status, lang)
        )
        closed = sum(1 for w in g.windows if w.closed and w.value is not None)
        missed = len(g.missed_windows())
        history = "  " + sparkline([w.value for w in g.windows]) + "  " + {
            "week": lang._("{missed} of {closed} closed weeks missed", missed=missed, closed=closed),
            "month": lang._("{missed} of {closed} closed months missed", missed=missed, closed=closed),
            "quarter": lang._("{missed} of {closed} closed quarters missed", missed=missed, closed=closed),
        }.get(g.window, f"{missed} of {closed} closed {g.window}s missed")
        lines.append(fit(f"{history} · {goal_label(g, lang)}", WIDTH))
    if any(g.trend != "n/a" for g in report.goals):
        lines += [fit(lang._("TREND: the latest value against the window before, ↑ better, ↓ worse or → steady "
                             "for the goal"), WIDTH),
                  fit(lang._("(a ≤ goal is better when it falls); the points are how the value itself moved"), WIDTH)]
    return lines + [""]


def _groups(report: Report, lang: Lang) -> list[str]:
    goals = [g for g in report.goals if g.groups]
    if not goals:
        return []
    groups = sorted({x.group for g in goals for x in g.groups})
    shown = goals[:(WIDTH - 22) // 12]
    lines = [lang._("BY GROUP (each goal over the whole period; ✓ meets the goal's target, ✗ misses it)"),
             *(fit("", 22) + header for header in header_lines([g.id for g in shown], 10, gap=2))]
    for name in groups:
        cells = []
        for g in shown:
            match = next((x for x in g.groups if x.group == name), None)
            text = f"{pct(match.value)} {met_mark(match.met)}".rstrip() if match else "–"
            cells.append(fit_right(text, 10) + "  ")
        lines.append(fit(placeholder(name, lang), 22) + "".join(cells))
    return lines + [""]


def _categories(report: Report, lang: Lang) -> list[str]:
    windows = report.categories[-RECENT:]
    if not windows:
        return []
    heading = {
        "week": lang._("FEEDBACK CATEGORIES (tickets created per week)"),
        "month": lang._("FEEDBACK CATEGORIES (tickets created per month)"),
        "quarter": lang._("FEEDBACK CATEGORIES (tickets created per quarter)"),
    }.get(report.category_window, f"FEEDBACK CATEGORIES (tickets created per {report.category_window})")
    lines = [
        heading,
        fit("", 14) + "".join(fit_right(w.label + ("*" if not w.closed else ""), 9) for w in windows)
        + "   " + lang._("TREND"),
    ]
    for trend in report.category_trends:
        counts = "".join(fit_right(str(w.counts[trend.category]), 9) for w in windows)
        lines.append(fit(category_label(trend.category, lang), 14) + counts + "   " + trend_word(trend.trend, lang))
    lines.append(fit(lang._("all tickets"), 14) + "".join(fit_right(str(w.tickets), 9) for w in windows))
    if any(not w.closed for w in windows):
        lines.append(lang._("* still open"))
    return lines + [""]


def _left_out(report: Report, lang: Lang) -> list[str]:
    """Tickets no figure counts (their data broke a computation): at most LEFT_OUT_SHOWN named."""
    if not report.left_out:
        return []
    count = len(report.left_out)
    lines = [fit(lang.ngettext("LEFT OUT: {n} ticket whose data could not be counted",
                               "LEFT OUT: {n} tickets whose data could not be counted", count), WIDTH)]
    lines += [fit(f"  {t.ref}  {t.reason}", WIDTH) for t in report.left_out[:LEFT_OUT_SHOWN]]
    if count > LEFT_OUT_SHOWN:
        lines.append(lang._("  and {count} more", count=count - LEFT_OUT_SHOWN))
    return lines + [""]


def _measures(report: Report, lang: Lang) -> list[str]:
    if not report.measures:
        return []
    lines = [fit(lang._("MEASURE"), 46) + fit(lang._("OWNER"), 20) + fit_right(lang._("TICKETS"), 9)
             + fit_right(lang._("SLA MET"), 10) + fit_right(lang._("BREACHED"), 10)]
    for m in report.measures:
        lines.append(
            fit(f"{m.id} {m.title}", 45) + " " + fit(m.owner, 20) + fit_right(str(m.tickets), 9)
            + fit_right(pct(m.sla_attainment), 10) + fit_right(str(m.sla_breached), 10)
        )
    return lines + [""]


def _milestones(report: Report, lang: Lang) -> list[str]:
    """The plan's milestones in plan order, each with its state at `now` (the HTML report's
    timeline in words): who answers for which phase, and whether it is behind."""
    if not report.milestones:
        return []
    lines = [fit(lang._("MILESTONES (done once their plan push task is done in the helpdesk)"), WIDTH),
             fit(lang._("STATE"), 11) + fit(lang._("MILESTONE"), 32) + fit(lang._("DATES"), 25)
             + fit(lang._("OWNER"), 18) + lang._("MEASURES")]
    for m in report.milestones:
        dates = lang._("{first} to {last}", first=m.start.isoformat(), last=m.end.isoformat())
        lines.append(fit(milestone_label(m.state, lang), 10) + " " + fit(f"{m.id} {m.title}", 31) + " "
                     + fit(dates, 24) + " " + fit(m.owner or "–", 17) + " " + fit(lang.listed(m.measures) or "–", 14))
    if not report.milestones_done_known:
        lines.append(fit(lang._("No plan push task was read back done yet: a milestone past its last day shows as "
                                "overdue until its task is."), WIDTH))
    return lines + [""]


def _tasks(report: Report, lang: Lang) -> list[str]:
    """deskplan's own tasks as the syncs read them back: per owner, per measure, the overdue ones."""
    tasks = report.tasks
    if tasks is None:
        return [fit(lang._("TASKS: deskplan's tasks were written but not read back yet; the next sync reads them"),
                    WIDTH), ""]
    if not tasks.items and not tasks.gone:
        return []
    zone = ZoneInfo(report.timezone)
    opened = sum(c.open for c in tasks.by_owner)
    overdue = sum(c.overdue for c in tasks.by_owner)
    done = sum(c.done for c in tasks.by_owner)
    read = (lang._("read back {time}", time=tasks.read_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
            if tasks.read_at else lang._("not read back yet"))
    gone = lang._(", {count} deleted in the helpdesk", count=tasks.gone) if tasks.gone else ""
    counts = fit_right(lang._("OPEN"), 9) + fit_right(lang._("OVERDUE"), 10) + fit_right(lang._("DONE"), 9)
    lines = [fit(lang._("TASKS ({read}): {open} open, {overdue} of them overdue, {done} done", read=read,
                        open=opened, overdue=overdue, done=done) + gone, WIDTH),
             fit(lang._("OWNER"), 46) + counts]
    lines += [fit(placeholder(c.name, lang), 46) + fit_right(str(c.open), 9) + fit_right(str(c.overdue), 10)
              + fit_right(str(c.done), 9) for c in tasks.by_owner]
    lines.append(fit(lang._("MEASURE"), 46) + counts)
    lines += [fit(f"{placeholder(c.name, lang)} {c.title}".rstrip(), 46) + fit_right(str(c.open), 9)
              + fit_right(str(c.overdue), 10) + fit_right(str(c.done), 9) for c in tasks.by_measure]
    if tasks.overdue:
        lines.append(lang._("OVERDUE"))
        for t in tasks.overdue[:OVERDUE_SHOWN]:
            due = due_day(t.due, zone).isoformat() if t.due else "–"
            lines.append(fit(f"  {t.ref}", 16) + fit(lang._("due {day}", day=due), 15)
                         + fit(placeholder(t.owner, lang), 20) + fit(t.title, 49))
            if t.url:
                lines.append(fit(f"    {t.url}", WIDTH))
        if len(tasks.overdue) > OVERDUE_SHOWN:
            lines.append(lang._("  and {count} more", count=len(tasks.overdue) - OVERDUE_SHOWN))
    return lines + [""]

"""`deskplan report --format json`: one JSON object, stable and documented.

Shape (schema `deskplan.report/1`; keys are only ever added, never renamed):

    {
      "schema": "deskplan.report/1",
      "plan": {"id", "title", "start", "end", "timezone"},
      "now": instant, "tickets": int,
      "goals": [{
        "id", "title", "metric", "threshold" ("12h", in hours and minutes | null), "target", "baseline" (| null),
        "by", "direction" ("at_least" | "at_most"), "window" ("week" | "month" | "quarter"),
        "calendar", "measures": [id], "owners": [name],
        "status" ("met" | "on_track" | "at_risk" | "off_track" | "no_data"),
        "trend" ("improving" | "worsening" | "steady" | "n/a"), "change" (| null),
        "latest": label | null, "value": the latest value | null, "expected": line value | null,
        "planned_from": where the baseline-to-target line starts | null,
        "windows": [{"label", "start", "end", "closed", "value", "numerator", "denominator",
                     "met", "worst": [{"ref", "url", "at", "detail"}]}],
        "groups": [{"group", "value", "numerator", "denominator", "met",
                    "windows": [{"label", "value", "numerator", "denominator"}]}],
        "breakdowns": [{"dimension", "rows": [...]}]   (by team, organization, channel, agent:
                    app/report/breakdowns.py)
      }],
      "categories": {"window", "windows": [{"label", "start", "end", "closed", "tickets", "counts"}],
                     "trends": [{"category", "total", "latest", "trend"}]},
      "measures": [{"id", "title", "owner", "tickets", "sla_met", "sla_breached", "sla_open",
                    "sla_attainment", "start", "budget", "pilot", "uncontrolled", "cost_per_pp"
                    (app/report/effects.py)}],
      "left_out": [{"ref", "reason"}],   (tickets no figure counts: their data broke a computation)
      "tasks": null (tasks were written and none read back yet) | {
        "known" (some task was read back from its helpdesk), "read_at": instant | null,
        "by_owner": [{"owner", "open", "overdue", "done"}],   (most overdue first; overdue is counted in open)
        "by_measure": [{"measure", "title", "open", "overdue", "done"}],   (plan order; "(no measure)" last)
        "overdue": [{"ref", "title", "owner", "due", "url"}],   (longest overdue first)
        "items": [{"ref", "source", "title", "owner", "origin", "measures", "due", "done", "overdue",
                   "status", "url", "read_at"}],   (overdue first, then open by due, then done)
        "gone": int   (tasks deleted in their helpdesk: in no count)
      },
      "milestones": [{"id", "title", "start", "end", "owner", "measures",
                      "state" ("planned" | "active" | "overdue" | "done", at `now`)}],
      "synced": [{"source", "synced_at" (the end of the last sync the source finished with exit 0) | null,
                  "last_run_at" | null, "last_exit" | null, "stale" (no such sync in the last 2 days)}]
                  (empty when not known)
    }

Shares (`target`, `baseline`, `value`, `expected`, `planned_from`, `change`) are fractions
from 0 to 1.
Instants are ISO-8601; window bounds carry the plan's UTC offset at that instant.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deskplan.app.report.breakdowns import breakdowns_list
from deskplan.app.report.effects import effect_fields
from deskplan.kpi.metrics import hours
from deskplan.kpi.results import GoalResult, GroupResult, Report, TaskItem, TaskReport, WindowResult

SCHEMA = "deskplan.report/1"


def report_dict(report: Report) -> dict[str, Any]:
    zone = ZoneInfo(report.timezone)
    effects = {e.id: e for e in report.effects}

    def local(instant: datetime) -> str:
        return instant.astimezone(zone).isoformat()

    def window(w: WindowResult) -> dict[str, Any]:
        return {
            "label": w.label, "start": local(w.start), "end": local(w.end), "closed": w.closed,
            "value": w.value, "numerator": w.numerator, "denominator": w.denominator, "met": w.met,
            "worst": [{"ref": e.ref, "url": e.url, "at": e.at.isoformat(), "detail": e.detail} for e in w.worst],
        }

    def group(g: GroupResult) -> dict[str, Any]:
        return {
            "group": g.group, "value": g.value, "numerator": g.numerator, "denominator": g.denominator,
            "met": g.met,
            "windows": [{"label": w.label, "value": w.value, "numerator": w.numerator,
                         "denominator": w.denominator} for w in g.windows],
        }

    def goal(g: GoalResult) -> dict[str, Any]:
        return {
            "id": g.id, "title": g.title, "metric": g.metric,
            "threshold": hours(g.threshold) if g.threshold else None,
            "target": g.target, "baseline": g.baseline, "by": g.by.isoformat(), "direction": g.direction,
            "window": g.window, "calendar": g.calendar, "measures": list(g.measures), "owners": list(g.owners),
            "status": g.status, "trend": g.trend, "change": g.change,
            "latest": g.latest.label if g.latest else None, "value": g.latest.value if g.latest else None,
            "expected": g.expected, "planned_from": g.planned_from,
            "windows": [window(w) for w in g.windows],
            "groups": [group(x) for x in g.groups],
            "breakdowns": breakdowns_list(g),
        }

    return {
        "schema": SCHEMA,
        "plan": {"id": report.plan_id, "title": report.plan_title, "start": report.plan_start.isoformat(),
                 "end": report.plan_end.isoformat(), "timezone": report.timezone},
        "now": report.now.isoformat(),
        "tickets": report.tickets,
        "goals": [goal(g) for g in report.goals],
        "categories": {
            "window": report.category_window,
            "windows": [{"label": c.label, "start": local(c.start), "end": local(c.end), "closed": c.closed,
                         "tickets": c.tickets, "counts": c.counts} for c in report.categories],
            "trends": [{"category": t.category, "total": t.total, "latest": t.latest, "trend": t.trend}
                       for t in report.category_trends],
        },
        "measures": [{"id": m.id, "title": m.title, "owner": m.owner, "tickets": m.tickets,
                      "sla_met": m.sla_met, "sla_breached": m.sla_breached, "sla_open": m.sla_open,
                      "sla_attainment": m.sla_attainment, **effect_fields(effects.get(m.id), local)}
                     for m in report.measures],
        "left_out": [{"ref": t.ref, "reason": t.reason} for t in report.left_out],
        "tasks": tasks_dict(report.tasks, local),
        "milestones": [{"id": m.id, "title": m.title, "start": m.start.isoformat(), "end": m.end.isoformat(),
                        "owner": m.owner, "measures": list(m.measures), "state": m.state} for m in report.milestones],
        "synced": [{"source": s.source, "synced_at": local(s.synced_at) if s.synced_at else None,
                    "last_run_at": local(s.last_run_at) if s.last_run_at else None, "last_exit": s.last_exit,
                    "stale": s.stale} for s in report.synced],
    }


def tasks_dict(tasks: TaskReport | None, local: Callable[[datetime], str]) -> dict[str, Any] | None:
    """The closed loop's section (README, "Tasks"); None when no task was read back yet."""
    if tasks is None:
        return None

    def when(instant: datetime | None) -> str | None:
        return None if instant is None else local(instant)

    def item(t: TaskItem) -> dict[str, Any]:
        return {"ref": t.ref, "source": t.source, "title": t.title, "owner": t.owner, "origin": t.origin,
                "measures": list(t.measures), "due": when(t.due), "done": t.done, "overdue": t.overdue,
                "status": t.status, "url": t.url, "read_at": when(t.read_at)}

    return {
        "known": tasks.known, "read_at": when(tasks.read_at),
        "by_owner": [{"owner": c.name, "open": c.open, "overdue": c.overdue, "done": c.done} for c in tasks.by_owner],
        "by_measure": [{"measure": c.name, "title": c.title, "open": c.open, "overdue": c.overdue, "done": c.done}
                       for c in tasks.by_measure],
        "overdue": [{"ref": t.ref, "title": t.title, "owner": t.owner, "due": when(t.due), "url": t.url}
                    for t in tasks.overdue],
        "items": [item(t) for t in tasks.items],
        "gone": tasks.gone,
    }


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n"

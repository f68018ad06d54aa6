"""`deskplan review --format json`: one JSON object, stable and documented.

Shape (schema `deskplan.review/1`; keys are only ever added, never renamed):

    {
      "schema": "deskplan.review/1",
      "plan": {"id", "title", "timezone"}, "now": instant,
      "cadence": {"id", "title", "every", "owner" (| null), "goals": [id] (empty: every goal)},
      "period": {"label", "kind", "start", "end", "first", "last"},
      "previous": {"label", "start", "end"},
      "tickets": {"count", "previous"},          # requests created in the period and the one before
      "left_out": [{"ref", "reason"}],           # tickets whose data broke a computation: in no figure
      "goals": [{"id", "title", "metric", "threshold" ("12h" | null), "window" (the goal's own),
                 "direction", "target", "by", "value", "numerator", "denominator", "met",
                 "previous", "previous_numerator", "previous_denominator", "change",
                 "trend" ("improving" | "worsening" | "steady" | "n/a"),
                 "status" ("met" | "on_track" | "at_risk" | "off_track" | "no_data"),
                 "expected", "measures": [id], "owners": [name],
                 "worst": [{"ref", "url", "at", "detail"}], "summary": the sentence}],
      "milestones": [{"id", "title", "start", "end", "owner", "measures",
                      "state" ("planned" | "active" | "overdue" | "done")}],
      "milestones_done_known": bool,             # false: no milestone is known to be done yet
      "tasks": {"known": bool,                   # false: task states were not read back (empty lists)
                "by_owner": [{"owner", "open", "overdue", "done"}],
                "overdue": [{"ref", "title", "owner", "due", "url"}]},
      "feedback": [{"category", "count", "previous", "change"}],
      "groups": [{"goal", "groups": [{"group", "value", "numerator", "denominator", "met"}]}],
      "actions": [{"goal", "window", "title", "owner", "source", "ref", "status", "due"}],
      "breakdowns": [{"goal", "dimension" ("organization" | "channel" | "agent"), "rows": [{"name", "value",
          "numerator", "denominator", "met", "previous", "change", "trend"}]}] (most tickets first),
      "measures": [{"id", "title", "owner", "start", "budget", "pilot", "uncontrolled", "cost_per_pp"}]
          (as of the period's end; the fields as in the report, app/report/effects.py)
    }

Shares (`target`, `value`, `previous`, `change`, `expected`) are fractions from 0 to 1.
Instants are ISO-8601 with the plan's UTC offset at that instant; dates are ISO dates.
`groups` lists teams lagging first; `actions[].status` is the ledger's `done`, `pending`
(its outcome is checked on the next sync) or `failed` (planned again), `ref` the task's id
in its source once done.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deskplan.app.report.effects import effect_fields
from deskplan.app.review.words import goal_labels, goal_sentence
from deskplan.kpi.metrics import hours
from deskplan.kpi.review import GoalReview, Period, Review

SCHEMA = "deskplan.review/1"


def review_dict(review: Review) -> dict[str, Any]:
    zone = ZoneInfo(review.timezone)
    labels = goal_labels(review.goals)

    def local(instant: datetime | None) -> str | None:
        return instant.astimezone(zone).isoformat() if instant is not None else None

    def instant(moment: datetime) -> str:
        return moment.astimezone(zone).isoformat()

    def period(p: Period) -> dict[str, Any]:
        return {"label": p.label, "start": local(p.start), "end": local(p.end)}

    def goal(g: GoalReview) -> dict[str, Any]:
        return {
            "id": g.id, "title": g.title, "metric": g.metric, "threshold": hours(g.threshold) if g.threshold else None,
            "window": g.window, "direction": g.direction, "target": g.target, "by": g.by.isoformat(),
            "value": g.value, "numerator": g.numerator, "denominator": g.denominator, "met": g.met,
            "previous": g.previous, "previous_numerator": g.previous_numerator,
            "previous_denominator": g.previous_denominator, "change": g.change, "trend": g.trend,
            "status": g.status, "expected": g.expected, "measures": list(g.measures), "owners": list(g.owners),
            "worst": [{"ref": e.ref, "url": e.url, "at": local(e.at), "detail": e.detail} for e in g.worst],
            "summary": goal_sentence(g, labels[g.id], review),
        }

    cadence = review.cadence
    return {
        "schema": SCHEMA,
        "plan": {"id": review.plan_id, "title": review.plan_title, "timezone": review.timezone},
        "now": review.now.isoformat(),
        "cadence": {"id": cadence.id, "title": cadence.title, "every": cadence.every, "owner": cadence.owner,
                    "goals": list(cadence.goals)},
        "period": {**period(review.period), "kind": review.period.kind, "first": review.period.first.isoformat(),
                   "last": review.period.last.isoformat()},
        "previous": period(review.previous),
        "tickets": {"count": review.tickets, "previous": review.previous_tickets},
        "left_out": [{"ref": t.ref, "reason": t.reason} for t in review.left_out],
        "goals": [goal(g) for g in review.goals],
        "milestones": [{"id": m.id, "title": m.title, "start": m.start.isoformat(), "end": m.end.isoformat(),
                        "owner": m.owner, "measures": list(m.measures), "state": m.state}
                       for m in review.milestones],
        "milestones_done_known": review.milestones_done_known,
        "tasks": {
            "known": review.tasks.known,
            "by_owner": [{"owner": o.owner, "open": o.open, "overdue": o.overdue, "done": o.done}
                         for o in review.tasks.by_owner],
            "overdue": [{"ref": t.ref, "title": t.title, "owner": t.owner, "due": local(t.due), "url": t.url}
                        for t in review.tasks.overdue],
        },
        "feedback": [{"category": f.category, "count": f.count, "previous": f.previous, "change": f.change}
                     for f in review.feedback],
        "groups": [{"goal": g.goal, "groups": [{"group": t.group, "value": t.value, "numerator": t.numerator,
                                                "denominator": t.denominator, "met": t.met} for t in g.teams]}
                   for g in review.groups],
        "actions": [{"goal": a.goal, "window": a.window, "title": a.title, "owner": a.owner, "source": a.source,
                     "ref": a.remote_id, "status": a.status, "due": local(a.due)} for a in review.actions],
        "breakdowns": [{"goal": b.goal, "dimension": b.dimension, "rows": [
            {"name": r.name, "value": r.value, "numerator": r.numerator, "denominator": r.denominator, "met": r.met,
             "previous": r.previous, "change": r.change, "trend": r.trend} for r in b.rows]}
            for b in review.breakdowns],
        "measures": [{"id": e.id, "title": e.title, "owner": e.owner, **effect_fields(e, instant)}
                     for e in review.effects],
    }


def render_json(review: Review) -> str:
    return json.dumps(review_dict(review), ensure_ascii=False, indent=2) + "\n"

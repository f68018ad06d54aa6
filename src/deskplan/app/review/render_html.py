"""`deskplan review --format html`: one self-contained page in the report's style.

The report's CSS (app/report/templates/style.css.j2) inline, no script, no web font, no
external image or style: the file opens offline and can be mailed as an attachment.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from deskplan.app.report.labels import STATUS_LABELS, TREND_ARROWS, pct, points
from deskplan.app.review.words import (
    CATEGORY_NAMES,
    digest as make_digest,
    goal_labels,
    local_day,
    previous_name,
    share,
    team_words,
    worst_lines,
)
from deskplan.kpi.review import ACTIVE, DONE, OVERDUE, PLANNED, Review

# a milestone's state -> the badge style of the report's statuses
STATE_STYLES = {DONE: "met", ACTIVE: "on_track", PLANNED: "no_data", OVERDUE: "off_track"}
STATE_LABELS = {DONE: "done", ACTIVE: "under way", PLANNED: "planned", OVERDUE: "overdue"}


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([PackageLoader("deskplan.app.review", "templates"),
                             PackageLoader("deskplan.app.report", "templates")]),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["pct"] = pct
    env.filters["points"] = points
    env.filters["share"] = share
    return env


def render_html(review: Review) -> str:
    zone = ZoneInfo(review.timezone)
    doc = make_digest(review)
    labels = goal_labels(review.goals)
    sections = {s.key: s for s in doc.sections}
    goals: list[dict[str, Any]] = [
        {"g": g, "label": labels[g.id], "sentence": item.text, "worst": worst_lines(g),
         "status": STATUS_LABELS[g.status], "arrow": TREND_ARROWS[g.trend]}
        for g, item in zip(review.goals, sections["goals"].items, strict=True)
    ]
    teams = [{"label": labels[g.goal], "teams": g.teams, "words": [team_words(t) for t in g.teams]}
             for g in review.groups if g.teams]
    milestones = [{"m": m, "sentence": item.text, "style": STATE_STYLES.get(m.state, "no_data"),
                   "state": STATE_LABELS.get(m.state, m.state)}
                  for m, item in zip(review.milestones, sections["milestones"].items, strict=True)]
    return _environment().get_template("review.html.j2").render(
        review=review, doc=doc, sections=sections, goals=goals, teams=teams, milestones=milestones,
        kind=review.period.kind, previous=previous_name(review), categories=CATEGORY_NAMES,
        overdue=[{"t": t, "due": local_day(t.due, zone)} for t in review.tasks.overdue],
    )

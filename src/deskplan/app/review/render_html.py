"""`deskplan review --format html`: one self-contained page in the report's style.

The report's CSS (app/report/templates/style.css.j2) inline, no script, no web font, no
external image or style: the file opens offline and can be mailed as an attachment.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from deskplan.app.report.labels import TREND_ARROWS, pct, points, status_label
from deskplan.app.review.words import (
    category_name,
    digest as make_digest,
    goal_labels,
    local_due,
    previous_name,
    share,
    team_words,
    this_period,
    worst_lines,
)
from deskplan.i18n import Lang, translator
from deskplan.kpi.review import ACTIVE, DONE, OVERDUE, PLANNED, Review

# a milestone's state -> the badge style of the report's statuses
STATE_STYLES = {DONE: "met", ACTIVE: "on_track", PLANNED: "no_data", OVERDUE: "off_track"}
STATE_LABELS = {DONE: "done", ACTIVE: "under way", PLANNED: "planned", OVERDUE: "overdue"}


def state_label(state: str, lang: Lang) -> str:
    return {DONE: lang._("done"), ACTIVE: lang._("under way"), PLANNED: lang._("planned"),
            OVERDUE: lang._("overdue")}.get(state, state)


def _environment(lang: Lang) -> Environment:
    env = Environment(
        loader=ChoiceLoader([PackageLoader("deskplan.app.review", "templates"),
                             PackageLoader("deskplan.app.report", "templates")]),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"],
    )
    # this render's language: the templates' _() and ngettext() (`make catalogue` extracts them)
    env.install_gettext_callables(lang._, lang.ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.filters["pct"] = pct
    env.filters["points"] = points
    env.filters["share"] = share
    return env


def render_html(review: Review) -> str:
    zone = ZoneInfo(review.timezone)
    lang = translator(review.language)
    doc = make_digest(review, lang)
    labels = goal_labels(review.goals, lang)
    sections = {s.key: s for s in doc.sections}
    goals: list[dict[str, Any]] = [
        {"g": g, "label": labels[g.id], "sentence": item.text, "worst": worst_lines(g, lang),
         "status": status_label(g.status, lang), "arrow": TREND_ARROWS[g.trend]}
        for g, item in zip(review.goals, sections["goals"].items, strict=True)
    ]
    teams = [{"label": labels[g.goal], "teams": g.teams, "words": [team_words(t, lang) for t in g.teams]}
             for g in review.groups if g.teams]
    milestones = [{"m": m, "sentence": item.text, "style": STATE_STYLES.get(m.state, "no_data"),
                   "state": state_label(m.state, lang)}
                  for m, item in zip(review.milestones, sections["milestones"].items, strict=True)]
    categories = {f.category: category_name(f.category, lang) for f in review.feedback}
    return _environment(lang).get_template("review.html.j2").render(
        review=review, doc=doc, sections=sections, goals=goals, teams=teams, milestones=milestones,
        kind=review.period.kind, previous=previous_name(review, lang), categories=categories,
        overdue=[{"t": t, "due": local_due(t.due, zone, lang)} for t in review.tasks.overdue],
        html_lang=lang.code, this_period=this_period(review.period.kind, lang),
    )

"""A review in a service manager's words: the sentences every format of the digest shows.

`digest(review)` turns the review's data into a title, a few lines under it, and sections of
items (one sentence each, with detail lines under some). The renderers only lay these out:
as a terminal page, Markdown, an HTML page, or the plain text of a helpdesk task. A sentence
reads like "First reply within 12h: 88.2% this month (150 of 170 requests; target 90%), up
2.1 points from October; missed (at risk: 89.0% planned by then)."
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from deskplan.app.report.effects import (
    interval_text,
    missing_change,
    missing_tickets,
    money,
    needed_words,
    pp,
    rate_text,
    sample_words,
)
from deskplan.app.report.labels import category_name, metric_label, placeholder, points, trend_word, verdict_label
from deskplan.i18n import ENGLISH, Lang, translator
from deskplan.kpi.effect import MeasureEffect
from deskplan.kpi.review import (
    ACTIVE,
    DONE,
    FAILED,
    NO_OWNER,
    OVERDUE,
    PENDING,
    PLANNED,
    Action,
    BreakdownRow,
    GoalReview,
    MilestoneReview,
    Period,
    Review,
    TeamResult,
)
from deskplan.kpi.windows import due_day

WORST_SHOWN = 3         # tickets named under a missed goal


def counted(goal: GoalReview, n: int, lang: Lang = ENGLISH) -> str:
    """`150 requests`: what a goal's metric counts, by count."""
    if goal.metric in ("first_reply_within", "resolution_within", "complaint_rate"):
        return lang.ngettext("{n} request", "{n} requests", n)
    if goal.metric == "first_contact_resolution":
        return lang.ngettext("{n} request solved", "{n} requests solved", n)
    if goal.metric == "csat":
        return lang.ngettext("{n} rating", "{n} ratings", n)
    if goal.metric == "feedback_response_within":
        return lang.ngettext("{n} bad rating", "{n} bad ratings", n)
    return lang.ngettext("{n} ticket", "{n} tickets", n)


def nothing_counted(goal: GoalReview, lang: Lang = ENGLISH) -> str:
    """`no requests`: none of what the goal's metric counts."""
    if goal.metric in ("first_reply_within", "resolution_within", "complaint_rate"):
        return lang._("no requests")
    if goal.metric == "first_contact_resolution":
        return lang._("no requests solved")
    if goal.metric == "csat":
        return lang._("no ratings")
    if goal.metric == "feedback_response_within":
        return lang._("no bad ratings")
    return lang._("no tickets")


def this_period(kind: str, lang: Lang = ENGLISH) -> str:
    """`this week`, `this month`, `this quarter`."""
    return {"week": lang._("this week"), "month": lang._("this month"), "quarter": lang._("this quarter")}.get(
        kind, kind)


@dataclass(frozen=True)
class Item:
    text: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    key: str                    # goals | groups | feedback | milestones | tasks | overdue | actions
    heading: str
    items: tuple[Item, ...]
    note: str = ""              # a sentence about the section as a whole (shown after its items)


@dataclass(frozen=True)
class Digest:
    title: str
    lines: tuple[str, ...]      # under the title: the period, the plan, as of when
    sections: tuple[Section, ...]


# --- dates and periods --------------------------------------------------------------------------

def day(value: date, lang: Lang = ENGLISH) -> str:
    """`9 Nov 2026` (`2026年11月9日`)."""
    return lang.day(value)


def date_range(first: date, last: date, lang: Lang = ENGLISH) -> str:
    """`9 to 15 Nov 2026`, `28 Sep to 4 Oct 2026`, `28 Dec 2026 to 3 Jan 2027`
    (`2026年11月9日至2026年11月15日`)."""
    if not lang.english or first.year != last.year:
        return lang._("{first} to {last}", first=day(first, lang), last=day(last, lang))
    if first.month != last.month:
        return f"{first.day} {lang.month(first)} to {day(last)}"
    return f"{first.day} to {day(last)}"


def period_name(period: Period, lang: Lang = ENGLISH) -> str:
    """`week 46 of 2026 (9 to 15 Nov 2026)`, `November 2026`, `Q4 2026 (Oct to Dec)`."""
    first = period.first
    if period.kind == "week":
        year, week, _ = first.isocalendar()
        return lang._("week {week} of {year} ({days})", week=week, year=year,
                      days=date_range(first, period.last, lang))
    if period.kind == "month":
        return lang.month(first, year=True)
    quarter = (first.month - 1) // 3 + 1
    return lang._("Q{quarter} {year} ({first} to {last})", quarter=quarter, year=first.year, first=lang.month(first),
                  last=lang.month(period.last))


def previous_name(review: Review, lang: Lang = ENGLISH) -> str:
    """How the period before is called beside this one: `the week before`, `October`, `Q3`
    (with the year when it differs: `December 2026`, `Q4 2026`)."""
    period, previous = review.period, review.previous
    first = previous.first
    other_year = first.year != period.first.year
    if period.kind == "week":
        return lang._("the week before")
    if period.kind == "month":
        if lang.english:
            return lang.month(first, year=True) if other_year else lang.month(first, year=True).split()[0]
        return lang.month(first, year=other_year)
    quarter = (first.month - 1) // 3 + 1
    if other_year:
        return lang._("Q{quarter} {year}", quarter=quarter, year=first.year)
    return lang._("Q{quarter}", quarter=quarter)


def in_previous(review: Review, lang: Lang = ENGLISH) -> str:
    name = previous_name(review, lang)
    return name if review.period.kind == "week" else lang._("in {period}", period=name)


def local_time(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%Y-%m-%d %H:%M %Z}"


def local_due(due: datetime, zone: ZoneInfo, lang: Lang = ENGLISH) -> str:
    """The day a task is due by the end of (kpi/windows.py, due_day): `10 Oct 2026`."""
    return day(due_day(due, zone), lang)


# --- goals ----------------------------------------------------------------------------------

def share(value: float, lang: Lang = ENGLISH) -> str:
    """A target as written: `90%`, `92.5%`."""
    return lang.percent(value, 0 if round(value * 100, 6) % 1 == 0 else 1)


def goal_labels(goals: tuple[GoalReview, ...], lang: Lang = ENGLISH) -> dict[str, str]:
    """Goal id -> `First reply within 12h`; with the id added where two goals read the same."""
    labels = {g.id: _capital(metric_label(g.metric, g.threshold, lang)) for g in goals}
    repeated = Counter(labels.values())
    return {gid: (f"{label} ({gid})" if repeated[label] > 1 else label) for gid, label in labels.items()}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def change_words(goal: GoalReview, review: Review, lang: Lang = ENGLISH) -> str:
    if goal.change is None:
        return lang._("nothing measured {before} to compare with", before=in_previous(review, lang))
    points = round(goal.change * 100, 1)
    before = previous_name(review, lang)
    if points == 0:
        return lang._("level with {before}", before=before)
    size = f"{abs(points):.1f}"
    if points > 0:
        return lang._("up {points} points from {before}", points=size, before=before)
    return lang._("down {points} points from {before}", points=size, before=before)


def verdict(goal: GoalReview, period: Period, lang: Lang = ENGLISH) -> str:
    if goal.met:
        return lang._("met")
    planned = lang.percent(goal.expected)
    if goal.status == "on_track":
        return lang._("missed, but on the planned path ({planned} planned by then)", planned=planned)
    if goal.status == "at_risk":
        return lang._("missed (at risk: {planned} planned by then)", planned=planned)
    return lang._("missed (off track: the deadline has passed)") if goal.by <= period.last \
        else lang._("missed (off track: {planned} planned by then)", planned=planned)


def goal_sentence(goal: GoalReview, label: str, review: Review, lang: Lang = ENGLISH) -> str:
    this = this_period(review.period.kind, lang)
    if goal.direction == "at_most":
        target = lang._("target at most {share}", share=share(goal.target, lang))
    else:
        target = lang._("target {share}", share=share(goal.target, lang))
    if goal.value is None:
        before = lang._("; {value} {before}", value=lang.percent(goal.previous), before=in_previous(review, lang)) \
            if goal.previous is not None else ""
        return lang._("{label}: nothing to measure {this} ({nothing}{before}; {target}).", label=label, this=this,
                      nothing=nothing_counted(goal, lang), before=before, target=target)
    counts = lang._("{numerator} of {counted}", numerator=goal.numerator,
                    counted=counted(goal, goal.denominator, lang))
    return lang._("{label}: {value} {this} ({counts}; {target}), {change}; {verdict}.", label=label,
                  value=lang.percent(goal.value), this=this, counts=counts, target=target,
                  change=change_words(goal, review, lang), verdict=verdict(goal, review.period, lang))


def worst_lines(goal: GoalReview, lang: Lang = ENGLISH) -> tuple[str, ...]:
    if goal.met is not False:
        return ()
    return tuple(lang._("{ref}: {detail}", ref=e.ref, detail=e.detail) for e in goal.worst[:WORST_SHOWN])


def _goals(review: Review, labels: dict[str, str], lang: Lang) -> Section:
    items = tuple(Item(goal_sentence(g, labels[g.id], review, lang), worst_lines(g, lang)) for g in review.goals)
    kind = review.period.kind
    other = [g for g in review.goals if g.window != kind]
    note = ""
    if not review.goals:
        note = lang._("This review has no goals.")
    elif other:
        kinds = sorted({g.window for g in other}, key=("week", "month", "quarter").index)
        named = {"week": lang._("Weekly"), "month": lang._("Monthly"), "quarter": lang._("Quarterly")}
        joined = lang._(" and ").join(named[k] for k in kinds)
        joined = joined[:1] + joined[1:].lower() if lang.english else joined
        whole = {"week": lang._("the whole week"), "month": lang._("the whole month"),
                 "quarter": lang._("the whole quarter")}[kind]
        note = lang._("{kinds} goals are measured here over {whole}, each with its own definition.", kinds=joined,
                      whole=whole)
    return Section("goals", lang._("Goals"), items, note)


# --- the other sections ---------------------------------------------------------------------

def team_words(team: TeamResult, lang: Lang = ENGLISH) -> str:
    return lang._("{team} {value} ({numerator} of {denominator}, {verdict})", team=team.group,
                  value=lang.percent(team.value), numerator=team.numerator, denominator=team.denominator,
                  verdict=lang._("met") if team.met else lang._("missed"))


def _groups(review: Review, labels: dict[str, str], lang: Lang) -> Section:
    items = tuple(
        Item(lang._("{goal}: {teams}.", goal=labels[g.goal], teams=lang._("; ").join(team_words(t, lang)
                                                                                      for t in g.teams)))
        for g in review.groups if g.teams
    )
    note = "" if items else lang._("No team had anything to measure {this}.",
                                   this=this_period(review.period.kind, lang))
    return Section("groups", lang._("By team, lagging teams first"), items, note)


def _feedback(review: Review, lang: Lang) -> Section:
    this = this_period(review.period.kind, lang)
    before = in_previous(review, lang)
    items = [Item(lang.ngettext("{n} request created {this}, {previous} {before}.",
                                "{n} requests created {this}, {previous} {before}.", review.tickets,
                                this=this, previous=review.previous_tickets, before=before))]
    for f in review.feedback:
        if not f.count and not f.previous:
            continue
        if not f.change:
            change = lang._("no change")
        elif f.change > 0:
            change = lang._("up {count}", count=abs(f.change))
        else:
            change = lang._("down {count}", count=abs(f.change))
        items.append(Item(lang._("{category}: {count} {this}, {previous} {before} ({change}).",
                                 category=category_name(f.category, lang), count=f.count, this=this,
                                 previous=f.previous, before=before, change=change)))
    note = "" if len(items) > 1 else lang._("No request was put in a feedback category {this} or {before}.",
                                            this=this, before=before)
    return Section("feedback", lang._("Feedback"), tuple(items), note)


def milestone_sentence(m: MilestoneReview, known: bool, lang: Lang = ENGLISH) -> str:
    span = date_range(m.start, m.end, lang)
    if m.state == DONE:
        state = lang._("done")
    elif m.state == PLANNED:
        state = lang._("planned, starts {day}", day=day(m.start, lang))
    elif m.state == ACTIVE:
        state = lang._("under way, ends {day}", day=day(m.end, lang))
    elif m.state == OVERDUE:
        state = (lang._("overdue, ended {day}", day=day(m.end, lang)) if known
                 else lang._("overdue, ended {day} and not known to be done", day=day(m.end, lang)))
    else:
        state = m.state
    if m.owner:
        return lang._("{id} {title} ({span}, {owner}): {state}.", id=m.id, title=m.title, span=span, owner=m.owner,
                      state=state)
    return lang._("{id} {title} ({span}): {state}.", id=m.id, title=m.title, span=span, state=state)


def _milestones(review: Review, lang: Lang) -> Section:
    items = tuple(Item(milestone_sentence(m, review.milestones_done_known, lang)) for m in review.milestones)
    note = ""
    if not items:
        note = lang._("The plan has no milestones.")
    elif not review.milestones_done_known:
        note = lang._("Whether a milestone is done is not read back from the helpdesk yet: "
                      "one past its end shows as overdue.")
    return Section("milestones", lang._("Milestones"), items, note)


def _tasks(review: Review, lang: Lang) -> tuple[Section, ...]:
    tasks = review.tasks
    zone = ZoneInfo(review.timezone)
    heading = lang._("Tasks by owner")
    if not tasks.known:
        return (Section("tasks", heading, (), lang._(
            "The state of deskplan's tasks in the helpdesk is not read back yet: open, overdue and "
            "done tasks per owner will show here once it is.")),)
    owners = tuple(
        Item(lang._("{owner}: {open} open ({overdue} overdue), {done} done.", owner=placeholder(o.owner, lang),
                    open=o.open, overdue=o.overdue, done=o.done) if o.overdue else
             lang._("{owner}: {open} open, {done} done.", owner=placeholder(o.owner, lang), open=o.open,
                    done=o.done))
        for o in tasks.by_owner
    )
    overdue = tuple(
        Item(lang._("{ref} {title} ({owner}): due {day}.", ref=t.ref, title=t.title,
                    owner=lang._("no owner") if t.owner == NO_OWNER else t.owner, day=local_due(t.due, zone, lang)))
        for t in tasks.overdue
    )
    return (
        Section("tasks", heading, owners, "" if owners else lang._("deskplan has no tasks in the helpdesk yet.")),
        Section("overdue", lang._("Overdue tasks"), overdue, "" if overdue else lang._("No task is overdue.")),
    )


def action_sentence(action: Action, zone: ZoneInfo, lang: Lang = ENGLISH) -> str:
    owner = lang._(" for {owner}", owner=action.owner) if action.owner else ""
    due = lang._(", due {day}", day=local_due(action.due, zone, lang)) if action.due else ""
    if action.status == PENDING:
        return lang._("Task{owner}{due}, not confirmed in {source} yet (checked on the next sync): {title}.",
                      owner=owner, due=due, source=action.source, title=action.title)
    if action.status == FAILED:
        return lang._("Task{owner}, refused by {source} (planned again on the next sync): {title}.", owner=owner,
                      source=action.source, title=action.title)
    where = f"{action.source}:{action.remote_id}" if action.remote_id else lang._("Task in {source}",
                                                                                    source=action.source)
    return lang._("{where}{owner}{due}: {title}.", where=where, owner=owner, due=due, title=action.title)


def _actions(review: Review, lang: Lang) -> Section:
    kind = review.period.kind
    zone = ZoneInfo(review.timezone)
    items = tuple(Item(action_sentence(a, zone, lang)) for a in review.actions)
    note = "" if items else {
        "week": lang._("No task for a missed goal was written for this week."),
        "month": lang._("No task for a missed goal was written for this month."),
        "quarter": lang._("No task for a missed goal was written for this quarter."),
    }.get(kind, "")
    heading = {"week": lang._("Written for this week"), "month": lang._("Written for this month"),
               "quarter": lang._("Written for this quarter")}.get(kind, kind)
    return Section("actions", heading, items, note)


def effect_sentence(effect: MeasureEffect, lang: Lang = ENGLISH) -> Item | None:
    """A measure's budget, and per goal its effect with the interval and the verdict."""
    if not (effect.pilot or effect.uncontrolled or effect.budget):
        return None
    if effect.budget:
        budget = lang._("budget {amount}", amount=money(effect.budget.amount, effect.budget.currency))
    else:
        budget = lang._("no budget")
    if effect.budget and effect.cost_per_pp is not None:
        budget += lang._(", {amount} a point", amount=money(effect.cost_per_pp, effect.budget.currency))
    details: list[str] = []
    pilot = effect.pilot
    for g in pilot.goals if pilot else ():
        if pilot is not None and not pilot.started:
            sample = sample_words(g, lang)
            details.append(lang._("{goal}: pilot starts {start}; nothing to compare yet ({sample}).", goal=g.goal,
                                  start=pilot.start, sample=sample) if sample else
                           lang._("{goal}: pilot starts {start}; nothing to compare yet.", goal=g.goal,
                                  start=pilot.start))
            continue
        rates = lang._("pilot {pilot_before} → {pilot_during}, control {control_before} → {control_during}",
                       pilot_before=rate_text(g.pilot_before, lang), pilot_during=rate_text(g.pilot_during, lang),
                       control_before=rate_text(g.control_before, lang),
                       control_during=rate_text(g.control_during, lang))
        needed = needed_words(g, lang)
        if g.effect_pp is None:
            judged = lang._("no effect yet ({missing}), {verdict}", missing=missing_tickets(g, lang),
                            verdict=verdict_label(g.verdict, lang))
        else:
            judged = lang._("effect {effect} {interval}, {verdict}", effect=pp(g.effect_pp),
                            interval=interval_text(g.ci_low_pp, g.ci_high_pp), verdict=verdict_label(g.verdict, lang))
        if needed:
            details.append(lang._("{goal}: {rates}; {judged}; {needed}.", goal=g.goal, rates=rates, judged=judged,
                                  needed=needed))
        else:
            details.append(lang._("{goal}: {rates}; {judged}.", goal=g.goal, rates=rates, judged=judged))
    before_after = effect.uncontrolled
    for c in before_after.goals if before_after else ():
        assert before_after is not None
        if not before_after.started:
            details.append(lang._("{goal}: takes effect {since}; nothing to compare yet.", goal=c.goal,
                                  since=before_after.start))
        elif c.before.denominator == 0 and c.after.denominator == 0:
            details.append(lang._("{goal}: in effect since {since}; no tickets before or after it yet, nothing to "
                                  "compare.", goal=c.goal, since=before_after.start))
        elif c.change_pp is None:
            details.append(lang._("{goal}: {before} → {after} since {since}; nothing to compare yet ({missing}), "
                                  "uncontrolled.", goal=c.goal, before=rate_text(c.before, lang),
                                  after=rate_text(c.after, lang), since=before_after.start,
                                  missing=missing_change(c, lang)))
        else:
            details.append(lang._("{goal}: {before} → {after} since {since}, {change} {interval}, uncontrolled "
                                  "(not proof).", goal=c.goal, before=rate_text(c.before, lang),
                                  after=rate_text(c.after, lang), since=before_after.start, change=pp(c.change_pp),
                                  interval=interval_text(c.ci_low_pp, c.ci_high_pp)))
    return Item(lang._("{id} {title} ({owner}): {budget}.", id=effect.id, title=effect.title, owner=effect.owner,
                       budget=budget), tuple(details))


BREAKDOWN_ROWS = 5


def breakdown_noun(dimension: str, lang: Lang = ENGLISH) -> str:
    return {"organization": lang._("customer organization"), "channel": lang._("channel"),
            "agent": lang._("agent")}.get(dimension, dimension)


def breakdown_row_words(row: BreakdownRow, lang: Lang = ENGLISH) -> str:
    if row.change is None:
        return lang._("{name} {value} ({numerator} of {denominator})", name=row.name, value=lang.percent(row.value),
                      numerator=row.numerator, denominator=row.denominator)
    return lang._("{name} {value} ({numerator} of {denominator}, {change}, {trend})", name=row.name,
                  value=lang.percent(row.value), numerator=row.numerator, denominator=row.denominator,
                  change=points(row.change), trend=trend_word(row.trend, lang))


def _breakdowns(review: Review, labels: dict[str, str], lang: Lang) -> tuple[Section, ...]:
    """Each goal by customer organization, channel (and agent): the most tickets first."""
    items = []
    for b in review.breakdowns:
        shown = lang._("; ").join(breakdown_row_words(r, lang) for r in b.rows[:BREAKDOWN_ROWS])
        more = lang._("; and {count} more", count=len(b.rows) - BREAKDOWN_ROWS) if len(b.rows) > BREAKDOWN_ROWS \
            else ""
        items.append(Item(lang._("{goal} by {dimension}: {rows}{more}.", goal=labels[b.goal],
                                 dimension=breakdown_noun(b.dimension, lang), rows=shown, more=more)))
    if not items:
        return ()
    return (Section("breakdowns", lang._("By customer organization and channel"), tuple(items),
                    lang._("Change and trend against {before}.", before=previous_name(review, lang))),)


def _measures(review: Review, lang: Lang) -> tuple[Section, ...]:
    """Shown when a measure has a pilot, a start or a budget."""
    items = tuple(item for e in review.effects if (item := effect_sentence(e, lang)) is not None)
    return (Section("measures", lang._("Measures: budget, effect, verdict"), items),) if items else ()


def digest(review: Review, lang: Lang | None = None) -> Digest:
    """The digest in `lang`, else in the plan's `language` (the review's)."""
    lang = lang or translator(review.language)
    zone = ZoneInfo(review.timezone)
    cadence, period = review.cadence, review.period
    labels = goal_labels(review.goals, lang)
    owner = lang._("; owner: {owner}", owner=cadence.owner) if cadence.owner else ""
    lines: tuple[str, ...] = (
        lang._("{title} ({id}), {label}: {days}, {zone}{owner}.", title=cadence.title, id=cadence.id,
               label=period.label, days=date_range(period.first, period.last, lang), zone=review.timezone,
               owner=owner),
        lang._("Plan {title} ({id}); figures as of {time}.", title=review.plan_title, id=review.plan_id,
               time=local_time(review.now, zone)),
    )
    if review.left_out:
        # Never silent: a figure without them is not the whole story (deskplan report lists them).
        lines += (lang.ngettext("{n} ticket could not be counted in any figure (deskplan report lists it).",
                                "{n} tickets could not be counted in any figure (deskplan report lists them).",
                                len(review.left_out)),)
    sections = (
        _goals(review, labels, lang), _groups(review, labels, lang), _feedback(review, lang),
        _milestones(review, lang), *_breakdowns(review, labels, lang), *_tasks(review, lang),
        _actions(review, lang), *_measures(review, lang),
    )
    return Digest(title=lang._("{title}: {period}", title=cadence.title, period=period_name(period, lang)),
                  lines=lines, sections=sections)

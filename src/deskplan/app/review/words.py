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

from deskplan.app.report.effects import VERDICT_LABELS, interval_text, money, pp, rate_text
from deskplan.app.report.labels import metric_label, pct, points
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

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
WORST_SHOWN = 3         # tickets named under a missed goal

CATEGORY_NAMES = {
    "attitude": "Service attitude", "quality": "Service quality", "product": "Product", "process": "Process",
    "complaint": "Complaints",
}
# what a goal's metric counts, singular and plural
COUNTED = {
    "first_reply_within": ("request", "requests"),
    "resolution_within": ("request", "requests"),
    "complaint_rate": ("request", "requests"),
    "first_contact_resolution": ("request solved", "requests solved"),
    "csat": ("rating", "ratings"),
    "feedback_response_within": ("bad rating", "bad ratings"),
}


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

def day(value: date) -> str:
    """`9 Nov 2026`."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def date_range(first: date, last: date) -> str:
    """`9 to 15 Nov 2026`, `28 Sep to 4 Oct 2026`, `28 Dec 2026 to 3 Jan 2027`."""
    if first.year != last.year:
        return f"{day(first)} to {day(last)}"
    if first.month != last.month:
        return f"{first.day} {MONTHS[first.month - 1]} to {day(last)}"
    return f"{first.day} to {day(last)}"


def period_name(period: Period) -> str:
    """`week 46 of 2026 (9 to 15 Nov 2026)`, `November 2026`, `Q4 2026 (Oct to Dec)`."""
    first = period.first
    if period.kind == "week":
        year, week, _ = first.isocalendar()
        return f"week {week} of {year} ({date_range(first, period.last)})"
    if period.kind == "month":
        return f"{MONTH_NAMES[first.month - 1]} {first.year}"
    quarter = (first.month - 1) // 3 + 1
    return f"Q{quarter} {first.year} ({MONTHS[first.month - 1]} to {MONTHS[first.month + 1]})"


def previous_name(review: Review) -> str:
    """How the period before is called beside this one: `the week before`, `October`, `Q3`
    (with the year when it differs: `December 2026`, `Q4 2026`)."""
    period, previous = review.period, review.previous
    first = previous.first
    year = f" {first.year}" if first.year != period.first.year else ""
    if period.kind == "week":
        return "the week before"
    if period.kind == "month":
        return f"{MONTH_NAMES[first.month - 1]}{year}"
    return f"Q{(first.month - 1) // 3 + 1}{year}"


def in_previous(review: Review) -> str:
    name = previous_name(review)
    return name if review.period.kind == "week" else f"in {name}"


def local_time(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%Y-%m-%d %H:%M %Z}"


def local_day(instant: datetime, zone: ZoneInfo) -> str:
    return day(instant.astimezone(zone).date())


# --- goals ----------------------------------------------------------------------------------

def share(value: float) -> str:
    """A target as written: `90%`, `92.5%`."""
    return pct(value, 0 if round(value * 100, 6) % 1 == 0 else 1)


def counted(goal: GoalReview, n: int) -> str:
    one, many = COUNTED.get(goal.metric, ("ticket", "tickets"))
    return f"{n} {one if n == 1 else many}"


def goal_labels(goals: tuple[GoalReview, ...]) -> dict[str, str]:
    """Goal id -> `First reply within 12h`; with the id added where two goals read the same."""
    labels = {g.id: _capital(metric_label(g.metric, g.threshold)) for g in goals}
    repeated = Counter(labels.values())
    return {gid: (f"{label} ({gid})" if repeated[label] > 1 else label) for gid, label in labels.items()}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def change_words(goal: GoalReview, review: Review) -> str:
    if goal.change is None:
        return f"nothing measured {in_previous(review)} to compare with"
    points = round(goal.change * 100, 1)
    if points == 0:
        return f"level with {previous_name(review)}"
    return f"{'up' if points > 0 else 'down'} {abs(points):.1f} points from {previous_name(review)}"


def verdict(goal: GoalReview, period: Period) -> str:
    if goal.met:
        return "met"
    planned = pct(goal.expected)
    if goal.status == "on_track":
        return f"missed, but on the planned path ({planned} planned by then)"
    if goal.status == "at_risk":
        return f"missed (at risk: {planned} planned by then)"
    return "missed (off track: the deadline has passed)" if goal.by <= period.last \
        else f"missed (off track: {planned} planned by then)"


def goal_sentence(goal: GoalReview, label: str, review: Review) -> str:
    kind = review.period.kind
    target = f"target {'at most ' if goal.direction == 'at_most' else ''}{share(goal.target)}"
    if goal.value is None:
        before = f"; {pct(goal.previous)} {in_previous(review)}" if goal.previous is not None else ""
        nothing = COUNTED.get(goal.metric, ("ticket", "tickets"))[1]
        return f"{label}: nothing to measure this {kind} (no {nothing}{before}; {target})."
    counts = f"{goal.numerator} of {counted(goal, goal.denominator)}"
    return (f"{label}: {pct(goal.value)} this {kind} ({counts}; {target}), {change_words(goal, review)}; "
            f"{verdict(goal, review.period)}.")


def worst_lines(goal: GoalReview) -> tuple[str, ...]:
    if goal.met is not False:
        return ()
    return tuple(f"{e.ref}: {e.detail}" for e in goal.worst[:WORST_SHOWN])


def _goals(review: Review, labels: dict[str, str]) -> Section:
    items = tuple(Item(goal_sentence(g, labels[g.id], review), worst_lines(g)) for g in review.goals)
    kind = review.period.kind
    other = [g for g in review.goals if g.window != kind]
    note = ""
    if not review.goals:
        note = "This review has no goals."
    elif other:
        kinds = sorted({g.window for g in other}, key=("week", "month", "quarter").index)
        note = (_capital(" and ".join(f"{k}ly" for k in kinds)) + f" goals are measured here over the whole "
                f"{kind}, each with its own definition.")
    return Section("goals", "Goals", items, note)


# --- the other sections ---------------------------------------------------------------------

def team_words(team: TeamResult) -> str:
    verdict_ = "met" if team.met else "missed"
    return f"{team.group} {pct(team.value)} ({team.numerator} of {team.denominator}, {verdict_})"


def _groups(review: Review, labels: dict[str, str]) -> Section:
    items = tuple(
        Item(f"{labels[g.goal]}: " + "; ".join(team_words(t) for t in g.teams) + ".")
        for g in review.groups if g.teams
    )
    note = "" if items else f"No team had anything to measure this {review.period.kind}."
    return Section("groups", "By team, lagging teams first", items, note)


def _feedback(review: Review) -> Section:
    kind = review.period.kind
    before = in_previous(review)
    items = [Item(f"{review.tickets} request{'s' if review.tickets != 1 else ''} created this {kind}, "
                  f"{review.previous_tickets} {before}.")]
    for f in review.feedback:
        if not f.count and not f.previous:
            continue
        change = "no change" if not f.change else f"{'up' if f.change > 0 else 'down'} {abs(f.change)}"
        items.append(Item(f"{CATEGORY_NAMES.get(f.category, f.category)}: {f.count} this {kind}, "
                          f"{f.previous} {before} ({change})."))
    note = "" if len(items) > 1 else f"No request was put in a feedback category this {kind} or {before}."
    return Section("feedback", "Feedback", tuple(items), note)


def milestone_sentence(m: MilestoneReview, known: bool) -> str:
    span = date_range(m.start, m.end)
    if m.state == DONE:
        state = "done"
    elif m.state == PLANNED:
        state = f"planned, starts {day(m.start)}"
    elif m.state == ACTIVE:
        state = f"under way, ends {day(m.end)}"
    elif m.state == OVERDUE:
        state = f"overdue, ended {day(m.end)}" + ("" if known else " and not known to be done")
    else:
        state = m.state
    owner = f", {m.owner}" if m.owner else ""
    return f"{m.id} {m.title} ({span}{owner}): {state}."


def _milestones(review: Review) -> Section:
    items = tuple(Item(milestone_sentence(m, review.milestones_done_known)) for m in review.milestones)
    note = ""
    if not items:
        note = "The plan has no milestones."
    elif not review.milestones_done_known:
        note = ("Whether a milestone is done is not read back from the helpdesk yet: "
                "one past its end shows as overdue.")
    return Section("milestones", "Milestones", items, note)


def _tasks(review: Review) -> tuple[Section, ...]:
    tasks = review.tasks
    zone = ZoneInfo(review.timezone)
    if not tasks.known:
        return (Section("tasks", "Tasks by owner", (), (
            "The state of deskplan's tasks in the helpdesk is not read back yet: open, overdue and "
            "done tasks per owner will show here once it is.")),)
    owners = tuple(
        Item(f"{o.owner}: {o.open} open" + (f" ({o.overdue} overdue)" if o.overdue else "") + f", {o.done} done.")
        for o in tasks.by_owner
    )
    overdue = tuple(
        Item(f"{t.ref} {t.title} ({'no owner' if t.owner == NO_OWNER else t.owner}): due {local_day(t.due, zone)}.")
        for t in tasks.overdue
    )
    return (
        Section("tasks", "Tasks by owner", owners, "" if owners else "deskplan has no tasks in the helpdesk yet."),
        Section("overdue", "Overdue tasks", overdue, "" if overdue else "No task is overdue."),
    )


def action_sentence(action: Action, zone: ZoneInfo) -> str:
    owner = f" for {action.owner}" if action.owner else ""
    due = f", due {local_day(action.due, zone)}" if action.due else ""
    if action.status == PENDING:
        return (f"Task{owner}{due}, not confirmed in {action.source} yet (checked on the next sync): "
                f"{action.title}.")
    if action.status == FAILED:
        return f"Task{owner}, refused by {action.source} (planned again on the next sync): {action.title}."
    where = f"{action.source}:{action.remote_id}" if action.remote_id else f"Task in {action.source}"
    return f"{where}{owner}{due}: {action.title}."


def _actions(review: Review) -> Section:
    kind = review.period.kind
    zone = ZoneInfo(review.timezone)
    items = tuple(Item(action_sentence(a, zone)) for a in review.actions)
    note = "" if items else f"No task for a missed goal was written for this {kind}."
    return Section("actions", f"Written for this {kind}", items, note)


def effect_sentence(effect: MeasureEffect) -> Item | None:
    """A measure's budget, and per goal its effect with the interval and the verdict."""
    if not (effect.pilot or effect.uncontrolled or effect.budget):
        return None
    budget = f"budget {money(effect.budget.amount, effect.budget.currency)}" if effect.budget else "no budget"
    if effect.budget and effect.cost_per_pp is not None:
        budget += f", {money(effect.cost_per_pp, effect.budget.currency)} a point"
    details: list[str] = []
    for g in effect.pilot.goals if effect.pilot else ():
        needed = (f"; about {g.needed.pilot} more pilot and {g.needed.control} more control tickets needed"
                  if g.needed else "")
        details.append(f"{g.goal}: pilot {rate_text(g.pilot_before)} → {rate_text(g.pilot_during)}, control "
                       f"{rate_text(g.control_before)} → {rate_text(g.control_during)}; effect {pp(g.effect_pp)} "
                       f"{interval_text(g.ci_low_pp, g.ci_high_pp)}, {VERDICT_LABELS[g.verdict]}{needed}.")
    since = effect.uncontrolled.start if effect.uncontrolled else None
    for c in effect.uncontrolled.goals if effect.uncontrolled else ():
        details.append(f"{c.goal}: {rate_text(c.before)} → {rate_text(c.after)} since {since}, "
                       f"{pp(c.change_pp)} {interval_text(c.ci_low_pp, c.ci_high_pp)}, uncontrolled (not proof).")
    return Item(f"{effect.id} {effect.title} ({effect.owner}): {budget}.", tuple(details))


BREAKDOWN_ROWS = 5
BREAKDOWN_NOUNS = {"organization": "customer organization", "channel": "channel", "agent": "agent"}


def breakdown_row_words(row: BreakdownRow) -> str:
    if row.change is None:
        return f"{row.name} {pct(row.value)} ({row.numerator} of {row.denominator})"
    return f"{row.name} {pct(row.value)} ({row.numerator} of {row.denominator}, {points(row.change)}, {row.trend})"


def _breakdowns(review: Review, labels: dict[str, str]) -> tuple[Section, ...]:
    """Each goal by customer organization, channel (and agent): the most tickets first."""
    items = []
    for b in review.breakdowns:
        shown = "; ".join(breakdown_row_words(r) for r in b.rows[:BREAKDOWN_ROWS])
        more = f"; and {len(b.rows) - BREAKDOWN_ROWS} more" if len(b.rows) > BREAKDOWN_ROWS else ""
        items.append(Item(f"{labels[b.goal]} by {BREAKDOWN_NOUNS[b.dimension]}: {shown}{more}."))
    if not items:
        return ()
    return (Section("breakdowns", "By customer organization and channel", tuple(items),
                    f"Change and trend against {previous_name(review)}."),)


def _measures(review: Review) -> tuple[Section, ...]:
    """Shown when a measure has a pilot, a start or a budget."""
    items = tuple(item for e in review.effects if (item := effect_sentence(e)) is not None)
    return (Section("measures", "Measures: budget, effect, verdict", items),) if items else ()


def digest(review: Review) -> Digest:
    zone = ZoneInfo(review.timezone)
    cadence, period = review.cadence, review.period
    labels = goal_labels(review.goals)
    owner = f"; owner: {cadence.owner}" if cadence.owner else ""
    lines = (
        f"{cadence.title} ({cadence.id}), {period.label}: {date_range(period.first, period.last)}, "
        f"{review.timezone}{owner}.",
        f"Plan {review.plan_title} ({review.plan_id}); figures as of {local_time(review.now, zone)}.",
    )
    sections = (
        _goals(review, labels), _groups(review, labels), _feedback(review), _milestones(review),
        *_breakdowns(review, labels), *_tasks(review), _actions(review), *_measures(review),
    )
    return Digest(title=f"{cadence.title}: {period_name(period)}", lines=lines, sections=sections)

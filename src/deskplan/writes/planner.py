"""From evaluated tickets (and goal results, and `plan push`) to the writes deskplan wants.

Pure functions: an `Assessment` (a ticket with its measures, SLA clocks and rule tasks) and
a read-only view of the ledger go in, `PlannedWrite`s come out. Nothing here talks to a
helpdesk or writes state, so the dry-run and the real run plan identically.

Keys (see effects.idempotency_key; each under the installation's `secret`, which the caller
gives: state/identity.py keeps it):
- status comment: ("comment", source, ticket id, state fingerprint, key of the comment it
  supersedes). Chaining the previous key makes a state that comes back (A -> B -> A) a new
  comment, while a re-run after a crash plans the very same key again.
- rule task: ("task", "rule", source, ticket id, rule id): one follow-up per ticket and rule,
  however often the rule is edited or the ticket changes.
- goal task: ("task", "goal", plan id, goal id, window label): one per goal and window.
- plan push: ("task", "plan", plan id, item kind, item id, source).

None of them holds a word of the text: the texts are written in the plan's `language` (a
`Lang`, i18n.py), and a plan that switches language does not write its comments and tasks again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Protocol

from deskplan.effects import PlannedWrite, WriteKind, digest, idempotency_key, marker
from deskplan.i18n import ENGLISH, Lang
from deskplan.kpi.windows import zone_name
from deskplan.model import Status, Ticket
from deskplan.rules.durations import format_hours
from deskplan.rules.engine import PlannedTask
from deskplan.rules.sla import SlaClock
from deskplan.state.ledger import StatusComment, WriteStatus

CLOCK_STATES = ("on_track", "at_risk", "breached", "met")
_SEVERITY = {"met": 0, "on_track": 1, "at_risk": 2, "breached": 3}
CLOCK_NAMES = {"first_reply": "first reply", "resolution": "resolution"}
GOAL_TASK_GRACE = timedelta(days=7)      # a missed goal's task is due a week after its window closed


# --- what the planner reads ------------------------------------------------------------------

@dataclass(frozen=True)
class MeasureInfo:
    id: str
    title: str
    owner: str | None
    rule_ids: tuple[str, ...] = ()       # the rules that put the ticket under this measure


@dataclass(frozen=True)
class Assessment:
    """A ticket as the rules and the SLA engine see it at one instant."""

    ticket: Ticket
    measures: tuple[MeasureInfo, ...] = ()
    clocks: tuple[SlaClock, ...] = ()
    tasks: tuple[PlannedTask, ...] = ()
    comment: str | None = None           # a rule's rendered `comment` override, if one fired
    zone: tzinfo = timezone.utc          # the plan calendar's zone: due times are shown in it
    plan_id: str = ""


@dataclass(frozen=True)
class EvidenceTicket:
    source: str
    ticket_id: str
    ticket_key: str
    note: str = ""                       # why it counts against the goal, e.g. "first reply after 19h"


@dataclass(frozen=True)
class GoalMiss:
    """A goal that missed its target in a closed window (see `goal_misses`)."""

    plan_id: str
    goal_id: str
    metric: str
    window_label: str                    # 2026-W14 | 2026-04 | 2026-Q2
    window_start: datetime               # [start, end), UTC instants
    window_end: datetime
    value: float | None                  # the share reached (None: nothing to measure)
    target: float
    direction: str = "at_least"          # or "at_most"
    title: str = ""
    owners: tuple[str, ...] = ()         # owners of the goal's measures
    measures: tuple[str, ...] = ()
    numerator: int = 0
    denominator: int = 0
    evidence: tuple[EvidenceTicket, ...] = ()   # the worst tickets, worst first


def goal_misses(goals: Iterable[Any], plan_id: str) -> Iterator[GoalMiss]:
    """The missed windows of the report's goal results (report.results.GoalResult)."""
    for goal in goals:
        for window in goal.missed_windows():
            yield GoalMiss(
                plan_id=plan_id, goal_id=goal.id, metric=goal.metric, window_label=window.label,
                window_start=window.start, window_end=window.end, value=window.value, target=goal.target,
                direction=goal.direction, title=goal.title, owners=tuple(goal.owners),
                measures=tuple(goal.measures), numerator=window.numerator, denominator=window.denominator,
                evidence=tuple(EvidenceTicket(e.source, e.ticket_id, e.key, e.detail) for e in window.worst),
            )


@dataclass(frozen=True)
class PlanItem:
    """A measure or milestone that `deskplan plan push` turns into a task."""

    plan_id: str
    kind: str                            # "measure" | "milestone"
    id: str
    title: str
    owner: str | None = None
    due: date | None = None
    description: str = ""
    measures: tuple[str, ...] = field(default_factory=tuple)


class LedgerView(Protocol):
    def status(self, key: str) -> WriteStatus | None: ...
    def status_comment(self, source: str, ticket_id: str) -> StatusComment | None: ...
    def comment_in_doubt(self, source: str, ticket_id: str) -> bool: ...


# --- tickets -----------------------------------------------------------------------------------

def plan_ticket(assessment: Assessment, ledger: LedgerView, *, secret: str, lang: Lang = ENGLISH) -> list[PlannedWrite]:
    """The writes one ticket needs now: a status comment if its state changed, and the
    rule tasks not yet created. Writes already done, or in doubt, are left out."""
    ticket = assessment.ticket
    writes: list[PlannedWrite] = []
    if wants_status_comment(ticket) and not ledger.comment_in_doubt(ticket.source, ticket.id):
        comment = status_comment(assessment, ledger.status_comment(ticket.source, ticket.id), secret=secret,
                                 lang=lang)
        if comment is not None:
            writes.append(comment)
    writes.extend(rule_tasks(assessment, secret=secret, lang=lang))
    return [w for w in writes if ledger.status(w.key) in (None, WriteStatus.FAILED)]


def wants_status_comment(ticket: Ticket) -> bool:
    # A closed ticket can no longer be updated (Zendesk answers 422), and nobody reads it.
    return not ticket.deleted and ticket.status is not Status.CLOSED


def state_fingerprint(assessment: Assessment) -> str:
    """What a status comment reports: measures, and each target's size, calendar, state and rules.

    Due and remaining times are left out: they move with every run (and while a clock is
    paused), and a new comment on every run is exactly the noise agents learn to ignore.
    """
    measures = sorted((m.id, m.owner or "", sorted(m.rule_ids)) for m in assessment.measures)
    clocks = sorted(
        (c.kind, int(c.target.total_seconds()), c.calendar, c.state, sorted(c.rule_ids))
        for c in assessment.clocks
    )
    return digest("state", measures, clocks)[:32]


def status_comment(assessment: Assessment, current: StatusComment | None, *, secret: str,
                   lang: Lang = ENGLISH) -> PlannedWrite | None:
    """The status comment for the ticket's state, or None when the ticket already carries it
    (or there is nothing to say and never was)."""
    ticket = assessment.ticket
    fingerprint = state_fingerprint(assessment)
    if current is not None and current.fingerprint == fingerprint:
        return None
    if current is None and not assessment.measures and not assessment.clocks:
        return None
    previous = current.key if current else None
    key = idempotency_key("comment", ticket.source, ticket.id, fingerprint, previous or "", secret=secret)
    text = assessment.comment if assessment.comment is not None else comment_text(assessment, lang)
    return PlannedWrite(
        key=key,
        kind=WriteKind.COMMENT,
        source=ticket.source,
        origin="status",
        title=headline(assessment, lang),
        body=f"{text.rstrip()}\n{marker(key)}",
        ticket_id=ticket.id,
        ticket_key=ticket.key,
        fingerprint=fingerprint,
        previous=previous,
    )


def clock_name(kind: str, lang: Lang) -> str:
    if kind == "first_reply":
        return lang._("first reply")
    if kind == "resolution":
        return lang._("resolution")
    return kind


def clock_state(state: str, lang: Lang) -> str:
    """A clock's state as the comment shows it: `AT RISK` (capitals stand out in a thread)."""
    return {
        "on_track": lang._("ON TRACK"), "at_risk": lang._("AT RISK"), "breached": lang._("BREACHED"),
        "met": lang._("MET"),
    }.get(state, state.upper().replace("_", " "))


def _state_words(state: str, lang: Lang) -> str:
    return {
        "on_track": lang._("on_track"), "at_risk": lang._("at_risk"), "breached": lang._("breached"),
        "met": lang._("met"),
    }.get(state, state)


def headline(assessment: Assessment, lang: Lang = ENGLISH) -> str:
    clocks = sorted(assessment.clocks, key=lambda c: -_SEVERITY.get(c.state, 0))
    key = assessment.ticket.key
    if clocks:
        worst = clocks[0]
        return lang._("SLA {clock} {state} on {key}", clock=clock_name(worst.kind, lang),
                      state=_state_words(worst.state, lang), key=key)
    if assessment.measures:
        return lang._("{measures} on {key}", measures=lang.listed(m.id for m in assessment.measures), key=key)
    return lang._("no measure or SLA target applies to {key} any more", key=key)


def comment_text(assessment: Assessment, lang: Lang = ENGLISH) -> str:
    """The default status comment: short, for the agent who has the ticket open."""
    if assessment.plan_id:
        lines = [lang._("deskplan status ({plan})", plan=assessment.plan_id)]
    else:
        lines = [lang._("deskplan status")]
    for m in assessment.measures:
        owner = lang._(" (owner: {owner})", owner=m.owner) if m.owner else ""
        rules = lang._(" [rule {rules}]", rules=lang.listed(m.rule_ids)) if m.rule_ids else ""
        lines.append(lang._("Measure {id} {title}", id=m.id, title=m.title) + owner + rules)
    for c in sorted(assessment.clocks, key=lambda c: c.kind):
        lines.append(clock_line(c, assessment.zone, lang))
    if not assessment.measures and not assessment.clocks:
        lines.append(lang._("No measure or SLA target applies to this ticket any more."))
    return "\n".join(lines)


def clock_line(clock: SlaClock, zone: tzinfo, lang: Lang = ENGLISH) -> str:
    name = clock_name(clock.kind, lang)
    name = name[:1].upper() + name[1:]
    parts = [lang._("{clock}: {state}", clock=name, state=clock_state(clock.state, lang)),
             lang._("target {span}", span=format_hours(clock.target))]
    if clock.state != "met":
        parts.append(lang._("due {time}", time=format_time(clock.due, zone)) if clock.due is not None
                     else lang._("paused"))
    parts.append(lang._("elapsed {span}", span=format_hours(clock.elapsed)))
    if clock.state != "met":
        if clock.overdue:
            parts.append(lang._("overdue by {span}", span=format_hours(clock.overdue)))
        else:
            parts.append(lang._("remaining {span}", span=format_hours(clock.remaining)))
    parts.append(lang._("calendar {calendar}", calendar=clock.calendar))
    rules = lang._(" [rule {rules}]", rules=lang.listed(clock.rule_ids)) if clock.rule_ids else ""
    return lang._("SLA {parts}", parts=lang.p_("clauses", ", ").join(parts)) + rules


def format_time(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def rule_tasks(assessment: Assessment, *, secret: str, lang: Lang = ENGLISH) -> list[PlannedWrite]:
    ticket = assessment.ticket
    if ticket.deleted:
        return []
    writes = []
    for task in assessment.tasks:
        key = idempotency_key("task", "rule", ticket.source, ticket.id, task.rule_id, secret=secret)
        where = ticket.url or ticket.ref
        lines = [task.body.rstrip()] if task.body.strip() else []
        lines.append(lang._("Follow-up of {ref} ({where}), rule {rule}.", ref=ticket.ref, where=where,
                            rule=task.rule_id))
        if task.owner:
            lines.append(lang._("Owner: {owner}", owner=task.owner))
        if task.due_at:
            lines.append(lang._("Due: {time}", time=format_time(task.due_at, assessment.zone)))
        lines.append(marker(key))
        writes.append(PlannedWrite(
            key=key,
            kind=WriteKind.TASK,
            source=ticket.source,
            origin=f"rule:{task.rule_id}",
            title=task.title,
            body="\n".join(lines),
            ticket_id=ticket.id,
            ticket_key=ticket.key,
            due=task.due_at,
            zone=zone_name(assessment.zone),
            owner=task.owner or None,
            links=(ticket.key,),
            trigger=task.trigger,
        ))
    return writes


# --- goals and plan push (the KPI engine and `plan push` call these) ---------------------------

def goal_tasks(misses: Iterable[GoalMiss], sources: Sequence[str], ledger: LedgerView, *,
               secret: str, lang: Lang = ENGLISH, zone: tzinfo | None = None) -> Iterator[PlannedWrite]:
    """One task per goal and closed window that missed its target, in the source of its
    worst ticket (or the first source), linked to the evidence tickets of that source; its
    due time ends a day in the plan's `zone` (None: a caller that does not say, read as UTC)."""
    for miss in misses:
        in_sources = [e for e in miss.evidence if e.source in sources]
        source = in_sources[0].source if in_sources else (sources[0] if sources else "")
        if not source:
            continue
        key = idempotency_key("task", "goal", miss.plan_id, miss.goal_id, miss.window_label, secret=secret)
        if ledger.status(key) not in (None, WriteStatus.FAILED):
            continue
        yield _goal_task(miss, source, key, lang, None if zone is None else zone_name(zone))


def _goal_task(miss: GoalMiss, source: str, key: str, lang: Lang = ENGLISH, zone: str | None = None) -> PlannedWrite:
    reached = lang._("nothing to measure") if miss.value is None else _share(miss.value, lang)
    goal = lang._("{id} ({title})", id=miss.goal_id, title=miss.title) if miss.title else miss.goal_id
    span = dict(window=miss.window_label, start=f"{miss.window_start:%Y-%m-%d %H:%M}",
                end=f"{miss.window_end:%Y-%m-%d %H:%M}")
    figures = dict(metric=miss.metric, reached=reached, numerator=miss.numerator, denominator=miss.denominator,
                   target=_share(miss.target, lang))
    lines = [
        lang._("Goal {goal} of plan {plan} missed its target in {window} ({start} to {end} UTC).",
               goal=goal, plan=miss.plan_id, **span),
        lang._("Metric {metric}: {reached} ({numerator}/{denominator}), target at most {target}.", **figures)
        if miss.direction == "at_most" else
        lang._("Metric {metric}: {reached} ({numerator}/{denominator}), target at least {target}.", **figures),
    ]
    if miss.measures:
        lines.append(lang._("Measures: {measures}", measures=lang.listed(miss.measures)))
    if miss.owners:
        lines.append(lang._("Owners: {owners}", owners=lang.listed(miss.owners)))
    if miss.evidence:
        lines.append(lang._("Worst tickets:"))
        lines.extend(f"- {e.source}:{e.ticket_key}{f' {e.note}' if e.note else ''}" for e in miss.evidence)
    lines.append(marker(key))
    return PlannedWrite(
        key=key,
        kind=WriteKind.TASK,
        source=source,
        origin=f"goal:{miss.goal_id}:{miss.window_label}",
        title=lang._("Goal {goal} missed in {window} ({metric})", goal=miss.goal_id, window=miss.window_label,
                     metric=miss.metric),
        body="\n".join(lines),
        due=miss.window_end + GOAL_TASK_GRACE,
        zone=zone,
        # In the plan's language ("市场部、客户服务部"); rules/owners.py `owner_route` splits it again.
        owner=lang.listed(miss.owners) or None,
        links=tuple(e.ticket_key for e in miss.evidence if e.source == source),
        trigger=miss.window_end,
    )


def plan_push_tasks(items: Iterable[PlanItem], source: str, ledger: LedgerView, *,
                    secret: str, lang: Lang = ENGLISH, zone: tzinfo = timezone.utc) -> Iterator[PlannedWrite]:
    """A task per measure and milestone of the plan, once per source: due by the end of its due
    day in the plan's `zone` (the next local midnight, as every due time deskplan writes: the
    day is the item's last, not overdue while it lasts)."""
    for item in items:
        key = idempotency_key("task", "plan", item.plan_id, item.kind, item.id, source, secret=secret)
        if ledger.status(key) not in (None, WriteStatus.FAILED):
            continue
        lines = [item.description.rstrip()] if item.description.strip() else []
        kind = lang._("Milestone") if item.kind == "milestone" else lang._("Measure")
        lines.append(lang._("{kind} {id} of plan {plan}.", kind=kind, id=item.id, plan=item.plan_id))
        if item.measures:
            lines.append(lang._("Measures: {measures}", measures=lang.listed(item.measures)))
        if item.owner:
            lines.append(lang._("Owner: {owner}", owner=item.owner))
        lines.append(marker(key))
        yield PlannedWrite(
            key=key,
            kind=WriteKind.TASK,
            source=source,
            origin=f"plan:{item.plan_id}:{item.kind}:{item.id}",
            title=lang._("{kind} {id}: {title}", kind=kind, id=item.id, title=item.title),
            body="\n".join(lines),
            due=(datetime.combine(item.due + timedelta(days=1), time(), zone).astimezone(timezone.utc)
                 if item.due else None),
            zone=zone_name(zone),
            owner=item.owner,
        )


def _share(value: float, lang: Lang = ENGLISH) -> str:
    if lang.english:
        return f"{round(value * 100, 1):g}%"
    return lang.percent(value, 0 if round(value * 100, 1) % 1 == 0 else 1)

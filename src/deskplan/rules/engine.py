"""Evaluate a ticket against every rule (SPEC §2, "When several rules match").

Every matching rule applies its measure, category and task. For each SLA kind the
*strictest* target wins, defined as the earliest due instant: each candidate's target is
added, in business time on the candidate's own calendar, to the ticket's creation time, and
the earliest result wins (when all candidates share one calendar this is simply the shortest
target, and no calendar arithmetic is done). Equal due instants are settled by the rule
priority (lower first), then the rule id. Waiting time is left out of this comparison: it
pauses every candidate alike, so it cannot change which target is the strictest on one
calendar, and across calendars the unpaused due instant is the documented tie-breaker.

The hot loop is `Engine.evaluate`: one extraction of the ticket's values, then one closure
call per rule; nothing else is touched unless a rule fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Mapping

from ..model import Ticket
from .calendar import Calendar
from .conditions import Condition, Extractor, Trace
from .ruleset import SLA_KINDS
from .templates import RuleTemplate, ticket_context


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """The SLA target a ticket gets for one kind, and the rule behind it."""

    kind: str                       # first_reply | resolution
    target: timedelta               # business time on `calendar`
    calendar: str
    rule_id: str
    overridden: tuple[str, ...] = ()    # rules that also set this kind, less strictly


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """An improvement task a rule asks for, rendered for one ticket."""

    rule_id: str
    title: str
    body: str
    owner: str
    measure: str | None
    due_at: datetime | None         # wall clock: the anchor (see TaskSpec.due_from) plus `due`


@dataclass(frozen=True, slots=True)
class FiredRule:
    rule_id: str
    description: str
    priority: int
    why: Trace                      # the condition's trace: which test saw which value


@dataclass(frozen=True)
class Evaluation:
    """What the rules say about one ticket at one instant. Immutable."""

    ticket_ref: str
    now: datetime
    measures: tuple[str, ...]                 # in rule order, each once
    categories: tuple[str, ...]               # in rule order, each once
    tasks: tuple[PlannedTask, ...]
    sla: Mapping[str, SlaTarget]              # kind -> the strictest target
    fired: tuple[FiredRule, ...]              # in rule order
    comment: RuleTemplate | None = None       # the first fired rule's comment override

    @property
    def rules_fired(self) -> tuple[str, ...]:
        return tuple(f.rule_id for f in self.fired)


@dataclass(frozen=True, slots=True)
class CompiledTask:
    title: RuleTemplate
    body: RuleTemplate | None
    owner: str
    due: timedelta | None
    due_from: str                   # created | updated | rated


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its condition compiled, its templates checked."""

    id: str
    description: str
    priority: int
    condition: Condition
    measure: str | None = None
    category: str | None = None
    sla: tuple[tuple[str, timedelta], ...] = ()     # (kind, target)
    sla_calendar: str = ""
    task: CompiledTask | None = None
    comment: RuleTemplate | None = None
    measure_context: Mapping[str, Any] | None = None   # {id, title, owner} for templates


_NO_SLA: Mapping[str, SlaTarget] = MappingProxyType({})


@dataclass(frozen=True)
class Engine:
    rules: tuple[CompiledRule, ...]           # in evaluation order
    extractor: Extractor
    calendars: Mapping[str, Calendar]
    plan_context: Mapping[str, Any] = field(default_factory=dict)
    _tests: tuple = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tests", tuple(rule.condition.test for rule in self.rules))

    def values(self, ticket: Ticket, now: datetime) -> list[Any]:
        """The ticket's values as compiled conditions read them (one pass over the ticket)."""
        return self.extractor.values(ticket, now)

    def matching(self, ticket: Ticket, now: datetime) -> list[CompiledRule]:
        """The rules whose condition holds, in order (the fast path; nothing rendered)."""
        values = self.extractor.values(ticket, now)
        return [rule for rule, test in zip(self.rules, self._tests) if test(values)]

    def evaluate(self, ticket: Ticket, now: datetime) -> Evaluation:
        values = self.extractor.values(ticket, now)
        fired = [rule for rule, test in zip(self.rules, self._tests) if test(values)]
        if not fired:
            return Evaluation(ticket.ref, now, (), (), (), _NO_SLA, ())
        return Evaluation(
            ticket_ref=ticket.ref,
            now=now,
            measures=tuple(dict.fromkeys(r.measure for r in fired if r.measure)),
            categories=tuple(dict.fromkeys(r.category for r in fired if r.category)),
            tasks=self._tasks(ticket, fired),
            sla=self._sla(ticket, fired),
            fired=tuple(FiredRule(r.id, r.description, r.priority, r.condition.trace(values)) for r in fired),
            comment=next((r.comment for r in fired if r.comment is not None), None),
        )

    def _tasks(self, ticket: Ticket, fired: list[CompiledRule]) -> tuple[PlannedTask, ...]:
        with_task = [r for r in fired if r.task is not None]
        if not with_task:
            return ()
        base = {"ticket": ticket_context(ticket), "plan": self.plan_context}
        planned = []
        for rule in with_task:
            task = rule.task
            context = {**base, "rule": {"id": rule.id, "description": rule.description},
                       "measure": rule.measure_context}
            planned.append(PlannedTask(
                rule_id=rule.id,
                title=task.title.render(context),
                body=task.body.render(context) if task.body else "",
                owner=task.owner,
                measure=rule.measure,
                due_at=_due_at(ticket, task),
            ))
        return tuple(planned)

    def _sla(self, ticket: Ticket, fired: list[CompiledRule]) -> Mapping[str, SlaTarget]:
        chosen = {}
        for kind in SLA_KINDS:
            candidates = [(rule, target) for rule in fired for k, target in rule.sla if k == kind]
            if not candidates:
                continue
            one_calendar = len({rule.sla_calendar for rule, _ in candidates}) == 1

            def strictness(candidate: tuple[CompiledRule, timedelta]) -> tuple:
                rule, target = candidate
                due = target if one_calendar else self.calendars[rule.sla_calendar].add(ticket.created_at, target)
                return due, rule.priority, rule.id

            ranked = sorted(candidates, key=strictness)
            best, target = ranked[0]
            chosen[kind] = SlaTarget(kind, target, best.sla_calendar, best.id, tuple(r.id for r, _ in ranked[1:]))
        return MappingProxyType(chosen)


def _due_at(ticket: Ticket, task: CompiledTask) -> datetime | None:
    if task.due is None:
        return None
    if task.due_from == "rated" and ticket.satisfaction is not None:
        anchor = ticket.satisfaction.at
    elif task.due_from == "created":
        anchor = ticket.created_at
    else:
        anchor = ticket.updated_at      # `updated`, or `rated` on a ticket without a rating
    return anchor + task.due

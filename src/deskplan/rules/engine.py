"""Evaluate a ticket against every rule (README, "rules/*.yaml": when several rules match).

Every matching rule applies its measure, category and task. For each SLA kind the
*strictest* target wins, defined as the earliest due instant: each candidate's target is
added, in business time on the candidate's own calendar, to the ticket's creation time, and
the earliest result wins (when all candidates share one calendar this is simply the shortest
target, and no calendar arithmetic is done). Equal due instants are settled by the rule
priority (lower first), then the rule id. Waiting time is left out of this comparison: it
pauses every candidate alike, so it cannot change which target is the strictest on one
calendar, and across calendars the unpaused due instant is the documented tie-breaker.

The hot loop is `Engine.evaluate`: one extraction of the ticket's values, then one closure
call per rule that can fire; nothing else is touched unless a rule fires. "Can fire": rules
are indexed by the single-valued fields their conditions require (`status: {ne: closed}`,
`priority: {in: [...]}` at the top of an `all`). For the few most used such fields the
engine precomputes, for every combination of the values rules name (plus "any other
value"), the rules not ruled out; a ticket then runs only the rules of its combination.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import product
from types import MappingProxyType
from typing import Any, NamedTuple

from deskplan.model import Ticket
from deskplan.rules.calendar import Calendar
from deskplan.rules.conditions import Extractor
from deskplan.rules.nodes import Condition, Trace, Values
from deskplan.rules.ruleset import SLA_KINDS
from deskplan.rules.templates import RuleTemplate, ticket_context


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
    # When what the task follows up happened, for the go-live cut-off (app/writeback.py): the
    # latest rating when the task counts from the rating, else the ticket's creation; never the
    # latest update, which deskplan's own comments move.
    trigger: datetime


class FiredRule(NamedTuple):
    """A rule that fired for a ticket. (A named tuple: evaluations build many of them.)"""

    rule_id: str
    description: str
    priority: int
    condition: Condition                # what it tested …
    values: tuple[Any, ...]             # … on which of the ticket's values

    @property
    def why(self) -> Trace:
        """Which test saw which value. Worked out on demand: the hot loop never traces."""
        return self.condition.trace(self.values)


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
_OTHER = object()           # in an index key: a value no rule names
MAX_INDEX_FIELDS = 6
MAX_COMBINATIONS = 1024     # combinations precomputed, at most

Candidates = tuple[tuple[CompiledRule, Callable[[Values], bool]], ...]   # (rule, its test), in order


@dataclass(frozen=True)
class RuleIndex:
    """For each combination of the indexed fields' values, the rules that can fire."""

    slots: tuple[tuple[int, frozenset[Any]], ...]     # (slot, the values rules name there)
    by_key: Mapping[tuple[Any, ...], Candidates]      # one key per combination of values

    @classmethod
    def build(cls, rules: tuple[CompiledRule, ...]) -> RuleIndex:
        named_by_slot: dict[int, frozenset[Any]] = {}
        for rule in rules:
            for slot, requirements in rule.condition.requires.items():
                named_by_slot[slot] = named_by_slot.get(slot, frozenset()).union(*(r.values for r in requirements))
        used = Counter(slot for rule in rules for slot in rule.condition.requires)
        # Fields that many rules require and that have few values rule out the most rules.
        ranked = sorted(named_by_slot, key=lambda slot: (-used[slot] / (len(named_by_slot[slot]) + 1), slot))
        chosen: list[tuple[int, frozenset[Any]]] = []
        size = 1
        for slot in ranked:
            named = named_by_slot[slot]
            if size * (len(named) + 1) <= MAX_COMBINATIONS and len(chosen) < MAX_INDEX_FIELDS:
                chosen.append((slot, named))
                size *= len(named) + 1
        domains = [(*sorted(named, key=str), _OTHER) for _, named in chosen]
        by_key = {
            key: tuple(
                (rule, rule.condition.test) for rule in rules
                if all(r.allows(value) for (slot, _), value in zip(chosen, key, strict=True)
                       for r in rule.condition.requires.get(slot, ()))
            )
            for key in product(*domains)
        }
        return cls(tuple(chosen), MappingProxyType(by_key))

    def candidates(self, values: Values) -> Candidates:
        """The rules a ticket with these values can fire, each with its test."""
        return self.by_key[tuple([v if (v := values[s]) in named else _OTHER for s, named in self.slots])]


@dataclass(frozen=True)
class Engine:
    rules: tuple[CompiledRule, ...]           # in evaluation order
    extractor: Extractor
    calendars: Mapping[str, Calendar]
    plan_context: Mapping[str, Any] = field(default_factory=dict)
    index: RuleIndex = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", RuleIndex.build(self.rules))

    def values(self, ticket: Ticket, now: datetime) -> list[Any]:
        """The ticket's values as compiled conditions read them (one pass over the ticket)."""
        return self.extractor.values(ticket, now)

    def matching(self, ticket: Ticket, now: datetime) -> list[CompiledRule]:
        """The rules whose condition holds, in order (the fast path; nothing rendered)."""
        values = self.extractor.values(ticket, now)
        return [rule for rule, test in self.index.candidates(values) if test(values)]

    def evaluate(self, ticket: Ticket, now: datetime, *, render_tasks: bool = True) -> Evaluation:
        """What the rules say of `ticket` at `now`.

        `render_tasks=False` leaves `tasks` empty: readers that only count (reports) neither
        pay for the templates nor stop on a ticket whose task template cannot render.
        """
        values = self.extractor.values(ticket, now)
        fired = [rule for rule, test in self.index.candidates(values) if test(values)]
        if not fired:
            return Evaluation(ticket.ref, now, (), (), (), _NO_SLA, ())
        seen = tuple(values)
        return Evaluation(
            ticket_ref=ticket.ref,
            now=now,
            measures=tuple(dict.fromkeys(r.measure for r in fired if r.measure)),
            categories=tuple(dict.fromkeys(r.category for r in fired if r.category)),
            tasks=self._tasks(ticket, fired) if render_tasks else (),
            sla=self._sla(ticket, fired),
            fired=tuple(FiredRule(r.id, r.description, r.priority, r.condition, seen) for r in fired),
            comment=next((r.comment for r in fired if r.comment is not None), None),
        )

    def _tasks(self, ticket: Ticket, fired: list[CompiledRule]) -> tuple[PlannedTask, ...]:
        with_task = [(r, r.task) for r in fired if r.task is not None]
        if not with_task:
            return ()
        base = {"ticket": ticket_context(ticket), "plan": self.plan_context}
        planned = []
        for rule, task in with_task:
            context = {**base, "rule": {"id": rule.id, "description": rule.description},
                       "measure": rule.measure_context}
            planned.append(PlannedTask(
                rule_id=rule.id,
                title=task.title.render(context),
                body=task.body.render(context) if task.body else "",
                owner=task.owner,
                measure=rule.measure,
                due_at=_due_at(ticket, task),
                trigger=task_trigger(ticket, task.due_from),
            ))
        return tuple(planned)

    def _sla(self, ticket: Ticket, fired: list[CompiledRule]) -> Mapping[str, SlaTarget]:
        chosen = {}
        for kind in SLA_KINDS:
            candidates = [(rule, target) for rule in fired for k, target in rule.sla if k == kind]
            if len(candidates) == 1:
                rule, target = candidates[0]
                chosen[kind] = SlaTarget(kind, target, rule.sla_calendar, rule.id)
            elif candidates:
                ranked = sorted(candidates, key=self._strictness(ticket, candidates))
                best, target = ranked[0]
                chosen[kind] = SlaTarget(kind, target, best.sla_calendar, best.id, tuple(r.id for r, _ in ranked[1:]))
        return MappingProxyType(chosen) if chosen else _NO_SLA

    def _strictness(
        self, ticket: Ticket, candidates: list[tuple[CompiledRule, timedelta]],
    ) -> Callable[[tuple[CompiledRule, timedelta]], tuple[timedelta | datetime, int, str]]:
        """Sort key: the due instant (just the target when all share one calendar), the rule's
        priority, its id."""
        if len({rule.sla_calendar for rule, _ in candidates}) == 1:
            return lambda c: (c[1], c[0].priority, c[0].id)
        # Calendar arithmetic is most of an evaluation's cost; many fired rules share a
        # (calendar, target) pair, so each distinct pair is added once.
        pairs = {(rule.sla_calendar, target) for rule, target in candidates}
        due = {(calendar, target): self.calendars[calendar].add(ticket.created_at, target)
               for calendar, target in pairs}
        return lambda c: (due[c[0].sla_calendar, c[1]], c[0].priority, c[0].id)


def task_trigger(ticket: Ticket, due_from: str) -> datetime:
    """When what a rule's task follows up happened (see PlannedTask.trigger)."""
    if due_from == "rated" and ticket.satisfaction is not None:
        return ticket.satisfaction.at
    return ticket.created_at


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

"""Load a workspace: plan.yaml and rules/*.yaml, checked as a whole, compiled once.

Every problem of every file is collected in one run (YAML syntax, unknown keys, wrong
types, duplicate ids, references to unknown measures, goals and calendars, conditions,
regular expressions, durations, templates) and raised together as InvalidFiles. Nothing
is half-loaded: either the whole workspace is valid, or the caller gets every problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from deskplan.errors import InvalidFiles, Problem
from deskplan.model import Ticket
from deskplan.rules.calendar import CALENDAR_24X7, Calendar, build_calendar
from deskplan.rules.conditions import ConditionCompiler
from deskplan.rules.engine import CompiledRule, CompiledTask, Engine, Evaluation
from deskplan.rules.nodes import Condition
from deskplan.rules.plan import BUILTIN_CALENDAR, Goal, Plan, parse_points
from deskplan.rules.ruleset import SLA_KINDS, Rule, RuleFile
from deskplan.rules.suggest import suggest
from deskplan.rules.template_limits import BoundedEnvironment
from deskplan.rules.templates import (
    COMMENT_NAMES,
    TASK_NAMES,
    RuleTemplate,
    TemplateProblem,
    compile_template,
    make_environment,
    sample_problem,
)
from deskplan.rules.validation import ENTRY_NAMES, message, validate
from deskplan.rules.yamlload import FW_COLON, FW_COMMA, Path_, YamlDoc, YamlSyntaxError, load_yaml

PLAN_FILE = "plan.yaml"
RULES_DIR = "rules"
SATISFACTION_FIELDS = frozenset({"satisfaction", "satisfaction_comment", "rated_at"})

PILOT, CONTROL = "pilot", "control"

MAX_RULES = 2_000
"""Rules in one workspace, every file counted. Ten times the 200 the rule benchmark measures
(bench/bench_rules.py): loading, checking and evaluating grow with the count, and a workspace
past this is generated, not written, and more likely a mistake."""


@dataclass(frozen=True)
class PilotGroups:
    """A piloted measure's groups, compiled: the pilot's scope, and the control condition
    (None: every ticket outside the scope)."""

    scope: Condition
    control: Condition | None


@dataclass(frozen=True)
class Workspace:
    """A loaded, valid workspace: the plan, the rules compiled, the calendars built."""

    root: Path
    plan: Plan
    rules: tuple[Rule, ...]                   # in evaluation order (priority, then file order)
    engine: Engine
    scopes: Mapping[str, Condition]           # goal id -> compiled scope (goals with one)
    pilots: Mapping[str, PilotGroups] = field(default_factory=lambda: MappingProxyType({}))  # measure id -> groups

    @property
    def calendars(self) -> Mapping[str, Calendar]:
        """Every calendar by name, the built-in `24x7` included."""
        return self.engine.calendars

    def evaluate(self, ticket: Ticket, now: datetime, *, render_tasks: bool = True) -> Evaluation:
        return self.engine.evaluate(ticket, now, render_tasks=render_tasks)

    def compiled_rule(self, rule_id: str) -> CompiledRule:
        return next(rule for rule in self.engine.rules if rule.id == rule_id)

    def calendar(self, name: str | None = None) -> Calendar:
        """A calendar by name; the plan's calendar when no name is given."""
        return self.engine.calendars[name or self.plan.plan.calendar]

    def goal_calendar(self, goal: Goal) -> Calendar:
        return self.calendar(self.plan.goal_calendar(goal))

    def in_scope(self, goal: Goal, ticket: Ticket, now: datetime) -> bool:
        """Whether a ticket counts for a goal (always, for a goal without `scope`)."""
        scope = self.scopes.get(goal.id)
        return scope is None or bool(scope.test(self.engine.values(ticket, now)))

    def pilot_group(self, measure_id: str, ticket: Ticket, now: datetime) -> str | None:
        """`pilot`, `control` or None (neither) for a piloted measure; a ticket its pilot's
        scope matches is in the pilot group even when the control condition matches it too."""
        groups = self.pilots[measure_id]
        values = self.engine.values(ticket, now)
        if bool(groups.scope.test(values)):
            return PILOT
        if groups.control is None or bool(groups.control.test(values)):
            return CONTROL
        return None


def load_workspace(root: Path) -> Workspace:
    """Load and check plan.yaml and rules/*.yaml under `root`. Raises InvalidFiles with
    every problem found."""
    root = Path(root)
    problems: list[Problem] = []
    plan_doc = _read(root / PLAN_FILE, problems)
    rule_docs = [doc for path in rule_files(root) if (doc := _read(path, problems)) is not None]
    if (too_many := _past_rule_limit(rule_docs)) is not None:
        raise InvalidFiles([*problems, too_many])

    plan = validate(Plan, plan_doc, problems) if plan_doc is not None else None
    rule_sets = [validate(RuleFile, doc, problems) for doc in rule_docs]
    names = _Names.collect(plan_doc, rule_docs, problems)
    _check_references(plan_doc, rule_docs, names, problems)
    _check_owners(plan_doc, rule_docs, problems)

    compiler = ConditionCompiler(problems)
    env = make_environment()
    scopes = _compile_scopes(plan_doc, compiler) if plan_doc is not None else {}
    pilots = _compile_pilots(plan_doc, compiler) if plan_doc is not None else {}
    compiled = [
        _compile_rule(doc, index, item, compiler, env, plan, problems)
        for doc in rule_docs for index, item in _entries(doc, "rules")
    ]
    valid_sets = [rule_set for rule_set in rule_sets if rule_set is not None]
    valid_rules = [rule for rule in compiled if rule is not None]
    if problems or plan is None or len(valid_sets) < len(rule_sets) or len(valid_rules) < len(compiled):
        raise InvalidFiles(problems or [Problem(str(root / PLAN_FILE), 1, 1, "invalid workspace")])

    order = sorted(range(len(valid_rules)), key=lambda i: valid_rules[i].priority)   # stable: file order
    models = [rule for rule_set in valid_sets for rule in rule_set.rules]
    calendars = {name: build_calendar(name, spec) for name, spec in plan.calendars.items()}
    calendars[BUILTIN_CALENDAR] = CALENDAR_24X7
    engine = Engine(
        rules=tuple(valid_rules[i] for i in order),
        extractor=compiler.extractor(),
        calendars=MappingProxyType(calendars),
        plan_context=MappingProxyType({"id": plan.plan.id, "title": plan.plan.title}),
    )
    return Workspace(root, plan, tuple(models[i] for i in order), engine, MappingProxyType(scopes),
                     MappingProxyType(pilots))


def rule_files(root: Path) -> list[Path]:
    """rules/*.yaml (and *.yml), in name order; rules/tests/ holds rule tests, not rules."""
    folder = root / RULES_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def _read(path: Path, problems: list[Problem]) -> YamlDoc | None:
    try:
        return load_yaml(path, str(path))
    except FileNotFoundError:
        problems.append(Problem(str(path), 1, 1, "file not found (run `deskplan init DIR` for an example)"))
    except YamlSyntaxError as exc:
        problems.append(exc.problem)
    except (UnicodeDecodeError, OSError) as exc:
        problems.append(Problem(str(path), 1, 1, f"cannot read: {exc}"))
    return None


def _past_rule_limit(rule_docs: list[YamlDoc]) -> Problem | None:
    """The first rule past MAX_RULES, counted in file order, as a problem at that rule."""
    seen = 0
    for doc in rule_docs:
        items = doc.data.get("rules") if isinstance(doc.data, dict) else None
        count = len(items) if isinstance(items, list) else 0
        if seen + count > MAX_RULES:
            index = MAX_RULES - seen
            return doc.problem(("rules", index), f"rule #{index + 1} of this file is rule {MAX_RULES + 1:,} of the "
                                                 f"workspace; a workspace holds at most {MAX_RULES:,} rules")
        seen += count
    return None


def _entries(doc: YamlDoc | None, key: str) -> Iterable[tuple[int, dict[str, Any]]]:
    """(index, mapping) of each well-formed entry of a top-level list; others are reported
    by validation."""
    data = doc.data if doc is not None else None
    items = data.get(key) if isinstance(data, dict) else None
    if isinstance(items, list):
        yield from ((i, item) for i, item in enumerate(items) if isinstance(item, dict))


# --- names and references ------------------------------------------------------------------

@dataclass(frozen=True)
class _Names:
    """The ids defined anywhere, taken from the raw data so that one bad entry does not hide
    the references to it."""

    goals: frozenset[str]
    measures: Mapping[str, dict[str, Any]]      # id -> raw measure
    calendars: frozenset[str]

    @classmethod
    def collect(cls, plan_doc: YamlDoc | None, rule_docs: list[YamlDoc], problems: list[Problem]) -> _Names:
        ids: dict[str, dict[str, Any]] = {}
        for list_name in ("goals", "measures", "milestones", "cadence"):
            ids[list_name] = _unique_ids(plan_doc, list_name, problems, {}) if plan_doc else {}
        seen_rules: dict[str, str] = {}
        for doc in rule_docs:
            _unique_ids(doc, "rules", problems, seen_rules)
        calendars = plan_doc.get(("calendars",)) if plan_doc else None
        calendar_names = set(calendars) if isinstance(calendars, dict) else set()
        if plan_doc is not None and BUILTIN_CALENDAR in calendar_names:
            problems.append(plan_doc.problem(("calendars", BUILTIN_CALENDAR),
                                             f"calendar {BUILTIN_CALENDAR}: this name is built in (every hour, UTC); "
                                             "give your calendar another name", at_key=True))
        return cls(
            goals=frozenset(ids["goals"]),
            measures=MappingProxyType(ids["measures"]),
            calendars=frozenset(calendar_names | {BUILTIN_CALENDAR}),
        )


def _unique_ids(doc: YamlDoc, list_name: str, problems: list[Problem], seen: dict[str, str]) -> dict[str, Any]:
    """Ids of a list's entries; a repeated id is a problem at the repeat, naming the first."""
    noun, key = ENTRY_NAMES[list_name]
    found: dict[str, Any] = {}
    for index, item in _entries(doc, list_name):
        value = item.get(key)
        if value is None or isinstance(value, (dict, list)):
            continue
        ident = str(value)
        path = (list_name, index, key)
        where = doc.problem(path, "")
        if ident in seen:
            problems.append(doc.problem(path, f"{noun} {ident}: duplicate id; the first is at {seen[ident]}"))
            continue
        seen[ident] = f"{where.file}:{where.line}:{where.col}"
        found[ident] = item
    return found


def _check_references(plan_doc: YamlDoc | None, rule_docs: list[YamlDoc], names: _Names,
                      problems: list[Problem]) -> None:
    def expect(doc: YamlDoc, path: Path_, value: Any, known: Iterable[str], what: str) -> None:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value) not in known:
            choices = sorted(known)
            listed = f"; known: {', '.join(choices)}" if choices else f"; plan.yaml defines no {what}s"
            problems.append(doc.problem(path, message(
                doc, path, f"unknown {what} {str(value)!r}{suggest(str(value), choices)}{listed}"
                           f"{_full_width_hint(str(value))}")))

    if plan_doc is not None:
        expect(plan_doc, ("plan", "calendar"), plan_doc.get(("plan", "calendar")), names.calendars, "calendar")
        for index, goal in _entries(plan_doc, "goals"):
            expect(plan_doc, ("goals", index, "calendar"), goal.get("calendar"), names.calendars, "calendar")
        for index, measure in _entries(plan_doc, "measures"):
            for j, goal_id in _listed(measure.get("goals")):
                expect(plan_doc, ("measures", index, "goals", j), goal_id, names.goals, "goal")
            _check_expected(plan_doc, index, measure, problems)
        for index, milestone in _entries(plan_doc, "milestones"):
            for j, measure_id in _listed(milestone.get("measures")):
                expect(plan_doc, ("milestones", index, "measures", j), measure_id, names.measures, "measure")
        for index, cadence in _entries(plan_doc, "cadence"):
            for j, goal_id in _listed(cadence.get("goals")):
                expect(plan_doc, ("cadence", index, "goals", j), goal_id, names.goals, "goal")
    if plan_doc is None:
        # plan.yaml is missing or not YAML (reported already): the rules' measures and
        # calendars are defined there, so every reference would be a false "unknown".
        return
    for doc in rule_docs:
        for index, rule in _entries(doc, "rules"):
            then = rule.get("then")
            if not isinstance(then, dict):
                continue
            expect(doc, ("rules", index, "then", "measure"), then.get("measure"), names.measures, "measure")
            sla = then.get("sla")
            if isinstance(sla, dict):
                expect(doc, ("rules", index, "then", "sla", "calendar"), sla.get("calendar"), names.calendars,
                       "calendar")
            task = then.get("task")
            if isinstance(task, dict) and task.get("owner") is None and str(then.get("measure")) not in names.measures:
                path = ("rules", index, "then", "task")
                problems.append(doc.problem(path, message(
                    doc, path, "the task needs an `owner` (or a `measure`, whose owner then gets it)")))


def _full_width_hint(value: str) -> str:
    """A full-width comma or colon inside a name YAML read as one item (`[csat, nps]` typed
    with a full-width comma is one string): say what to type instead."""
    if FW_COMMA in value:
        return f" (a full-width comma '{FW_COMMA}' does not separate items in YAML: type ', ')"
    if FW_COLON in value:
        return f" (a full-width colon '{FW_COLON}' is not YAML's ':': type ': ')"
    return ""


def _listed(value: Any) -> Iterable[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else ()


def owner_uses(plan_doc: YamlDoc | None, rule_docs: Iterable[YamlDoc]) -> Iterator[tuple[YamlDoc, Path_, str]]:
    """(file, path, owner) of every owner the plan and the rules name: measures, milestones,
    cadence entries, and rule tasks (a rule task without one gets its measure's owner)."""
    if plan_doc is not None:
        for list_name in ("measures", "milestones", "cadence"):
            for index, item in _entries(plan_doc, list_name):
                owner = item.get("owner")
                if isinstance(owner, str):
                    yield plan_doc, (list_name, index, "owner"), owner
    for doc in rule_docs:
        for index, rule in _entries(doc, "rules"):
            then = rule.get("then")
            task = then.get("task") if isinstance(then, dict) else None
            if isinstance(task, dict) and isinstance(task.get("owner"), str):
                yield doc, ("rules", index, "then", "task", "owner"), task["owner"]


def _check_owners(plan_doc: YamlDoc | None, rule_docs: list[YamlDoc], problems: list[Problem]) -> None:
    """With `owners` in plan.yaml, every owner named anywhere must be listed there, so that a
    typo (`marketting`) never routes a task nowhere. Without `owners`, owners are free text."""
    owners = plan_doc.get(("owners",)) if plan_doc is not None else None
    if not isinstance(owners, dict):
        return
    known = sorted(str(name) for name in owners)
    for doc, path, owner in owner_uses(plan_doc, rule_docs):
        if owner not in owners:
            listed = f"; `owners` lists: {', '.join(known)}" if known else "; `owners` lists nobody"
            problems.append(doc.problem(path, message(
                doc, path, f"owner {owner!r} is not listed in `owners`{suggest(owner, known)}{listed}")))


def _check_expected(plan_doc: YamlDoc, index: int, measure: dict[str, Any], problems: list[Problem]) -> None:
    """Each `expected` entry names a goal the measure serves, and its change points the way
    the goal must move (negative for a goal that must fall)."""
    served = [str(g) for _, g in _listed(measure.get("goals"))]
    directions = {str(g.get("id")): g.get("direction", "at_least") for _, g in _entries(plan_doc, "goals")}
    for j, entry in _listed(measure.get("expected")):
        if not isinstance(entry, dict):
            continue
        goal_id = entry.get("goal")
        if isinstance(goal_id, (str, int, float)) and not isinstance(goal_id, bool) and str(goal_id) not in served:
            path: Path_ = ("measures", index, "expected", j, "goal")
            listed = f"; it serves: {', '.join(served)}" if served else "; it serves no goal (add it to `goals`)"
            problems.append(plan_doc.problem(path, message(
                plan_doc, path, f"goal {goal_id!r} is not one this measure serves{suggest(str(goal_id), served)}"
                                f"{listed}")))
            continue
        try:
            change = parse_points(entry.get("change"))
        except ValueError:
            continue        # validation reports it
        falls = directions.get(str(goal_id)) == "at_most"
        if (change > 0) == falls:
            path = ("measures", index, "expected", j, "change")
            want = "negative (the goal must fall: direction at_most)" if falls else "positive (the goal must rise)"
            problems.append(plan_doc.problem(path, message(plan_doc, path, f"the change should be {want}")))


# --- compiling -----------------------------------------------------------------------------

def _compile_scopes(plan_doc: YamlDoc, compiler: ConditionCompiler) -> dict[str, Condition]:
    scopes = {}
    for index, goal in _entries(plan_doc, "goals"):
        if goal.get("scope") is not None:
            compiled = compiler.compile(plan_doc, ("goals", index, "scope"), f"goal {goal.get('id')}")
            if compiled is not None:
                scopes[str(goal.get("id"))] = compiled
    return scopes


def _compile_pilots(plan_doc: YamlDoc, compiler: ConditionCompiler) -> dict[str, PilotGroups]:
    pilots = {}
    for index, measure in _entries(plan_doc, "measures"):
        pilot = measure.get("pilot")
        if not isinstance(pilot, dict) or pilot.get("scope") is None:
            continue        # validation reports a missing scope
        label = f"measure {measure.get('id')}"
        scope = compiler.compile(plan_doc, ("measures", index, "pilot", "scope"), label)
        control = (compiler.compile(plan_doc, ("measures", index, "pilot", "control"), label)
                   if pilot.get("control") is not None else None)
        if scope is not None and (control is not None or pilot.get("control") is None):
            pilots[str(measure.get("id"))] = PilotGroups(scope, control)
    return pilots


def _compile_rule(doc: YamlDoc, index: int, raw: dict[str, Any], compiler: ConditionCompiler, env: BoundedEnvironment,
                  plan: Plan | None, problems: list[Problem]) -> CompiledRule | None:
    """Compile one rule's condition and templates (problems are collected even when its other
    parts are invalid); the CompiledRule needs the rule and the plan to be valid too."""
    rule_id = str(raw.get("id", f"#{index + 1}"))
    where = ("rules", index)
    condition = compiler.compile(doc, (*where, "when"), f"rule {rule_id}") if "when" in raw else None
    templates = _compile_templates(doc, where, raw, env, rule_id, problems)
    rule = validate(Rule, doc, [], base=where)          # its problems were reported with the file
    if condition is None or templates is None or rule is None or plan is None:
        return None
    then = rule.then
    measure = next((m for m in plan.measures if m.id == then.measure), None)
    task = None
    if then.task is not None:
        due_from = then.task.due_from or ("rated" if condition.fields & SATISFACTION_FIELDS else "created")
        task = CompiledTask(
            title=templates["title"],
            body=templates.get("body"),
            owner=then.task.owner or (measure.owner if measure else ""),
            due=then.task.due,
            due_from=due_from,
        )
    sla = then.sla
    return CompiledRule(
        id=rule.id,
        description=rule.description,
        priority=then.priority,
        condition=condition,
        measure=then.measure,
        category=then.category,
        sla=tuple((kind, getattr(sla, kind)) for kind in SLA_KINDS if sla and getattr(sla, kind) is not None),
        sla_calendar=(sla.calendar if sla and sla.calendar else plan.plan.calendar),
        task=task,
        comment=templates.get("comment"),
        measure_context=MappingProxyType(
            {"id": measure.id, "title": measure.title, "owner": measure.owner}) if measure else None,
    )


def _compile_templates(doc: YamlDoc, where: Path_, raw: dict[str, Any], env: BoundedEnvironment, rule_id: str,
                       problems: list[Problem]) -> dict[str, RuleTemplate] | None:
    then = _mapping(raw.get("then"))
    task = _mapping(then.get("task"))
    sources = {
        "title": ((*where, "then", "task", "title"), task.get("title"), TASK_NAMES),
        "body": ((*where, "then", "task", "body"), task.get("body"), TASK_NAMES),
        "comment": ((*where, "then", "comment"), then.get("comment"), COMMENT_NAMES),
    }
    compiled: dict[str, RuleTemplate] = {}
    ok = True
    for name, (path, source, allowed) in sources.items():
        if not isinstance(source, str):
            continue        # absent, or a wrong type that validation reports
        try:
            compiled[name] = compile_template(env, source, rule_id, allowed)
        except TemplateProblem as exc:
            problems.append(doc.problem(path, message(doc, path, str(exc))))
            ok = False
            continue
        # Rendered once for a sample ticket: a template that runs past a limit (or into the
        # sandbox) does so for every ticket, so it is a problem here, at its position.
        stopped = sample_problem(compiled[name], allowed, {"id": rule_id, "description": raw.get("description", "")})
        if stopped is not None:
            problems.append(doc.problem(path, message(doc, path, stopped)))
            ok = False
    return compiled if ok else None


def _mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping, else an empty one (validation reports the wrong type)."""
    return value if isinstance(value, dict) else {}

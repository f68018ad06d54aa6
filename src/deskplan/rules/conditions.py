"""Conditions: `all`/`any`/`not` and field tests, compiled once into closures.

A condition is a mapping; every entry must hold (a mapping with several entries is an
implicit `all`). An entry is `all: [...]`, `any: [...]`, `not: {...}`, or a field test
`FIELD: {OPERATOR: VALUE}` (several operators must all hold) or `FIELD: VALUE` for `eq`.

Evaluation never touches the pydantic ticket: an `Extractor` reads the fields the loaded
rules test into a flat list once per ticket ("values"), and each compiled test is a closure
over a slot index in that list. Slot 0 is "now" (for `older_than`). `trace` re-runs a
condition slowly and records which value matched, for `deskplan explain`.

Semantics worth knowing:
- `contains` on text is a case-insensitive substring test (Unicode casefold); on `tags`
  (and list-valued custom fields) it tests for an element.
- On a list field, `eq`/`in`/`matches` hold when some element does; `ne`/`not_in` when none does.
- `priority` is ordered (low < normal < high < urgent), so `gt`/`lt` work on it.
- `older_than: 2d` on a time field: that time is more than two days (wall clock) before now.
- A field the ticket does not have (no group, no rating) matches no test but `ne`, `not_in`
  and `exists: false`.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import re2

from ..errors import Problem
from ..model import Priority, Score, Status, Ticket
from .durations import DurationError, format_duration, parse_duration
from .yamlload import YamlDoc

Values = Sequence[Any]          # what an Extractor produces for one ticket
NOW_SLOT = 0

OPERATORS = ("eq", "ne", "in", "not_in", "contains", "matches", "gt", "lt", "exists", "older_than")
COMBINATORS = ("all", "any", "not")
PRIORITY_RANK = MappingProxyType({p.value: rank for rank, p in enumerate(Priority)})


# --- the fields a condition can test ----------------------------------------------------

@dataclass(frozen=True)
class FieldSpec:
    """A testable field: its kind decides the operators and values it accepts."""

    name: str
    kind: str                       # enum | str | text | list | time | any
    get: Callable[[Ticket], Any]
    choices: tuple[str, ...] = ()   # enum values
    ordered: bool = False           # enum with gt/lt (priority)
    description: str = ""


KIND_OPERATORS = MappingProxyType({
    "enum": ("eq", "ne", "in", "not_in", "exists"),
    "str": ("eq", "ne", "in", "not_in", "contains", "matches", "exists"),
    "text": ("eq", "ne", "in", "not_in", "contains", "matches", "exists"),
    "list": ("eq", "ne", "in", "not_in", "contains", "matches", "exists"),
    "time": ("gt", "lt", "exists", "older_than"),
    "any": ("eq", "ne", "in", "not_in", "contains", "matches", "gt", "lt", "exists"),
})


def _sat(attr: str) -> Callable[[Ticket], Any]:
    def get(ticket: Ticket) -> Any:
        return getattr(ticket.satisfaction, attr) if ticket.satisfaction is not None else None
    return get


def _attr(name: str) -> Callable[[Ticket], Any]:
    def get(ticket: Ticket) -> Any:
        return getattr(ticket, name)
    return get


def _enum_value(name: str) -> Callable[[Ticket], Any]:
    def get(ticket: Ticket) -> Any:
        value = getattr(ticket, name)
        return value.value if value is not None else None
    return get


def _score(ticket: Ticket) -> str | None:
    return ticket.satisfaction.score.value if ticket.satisfaction is not None else None


_FIELDS = (
    FieldSpec("priority", "enum", _enum_value("priority"), tuple(p.value for p in Priority), ordered=True,
              description="low < normal < high < urgent"),
    FieldSpec("status", "enum", _enum_value("status"), tuple(s.value for s in Status),
              description="the canonical status"),
    FieldSpec("satisfaction", "enum", _score, tuple(s.value for s in Score),
              description="the latest rating: good or bad"),
    FieldSpec("satisfaction_comment", "text", _sat("comment"), description="the comment given with the rating"),
    FieldSpec("rated_at", "time", _sat("at"), description="when the latest rating was given"),
    FieldSpec("type", "str", _attr("type")),
    FieldSpec("channel", "str", _attr("channel")),
    FieldSpec("group", "str", _attr("group")),
    FieldSpec("organization", "str", _attr("organization")),
    FieldSpec("requester", "str", _attr("requester")),
    FieldSpec("assignee", "str", _attr("assignee")),
    FieldSpec("source", "str", _attr("source"), description="the source's name in deskplan.toml"),
    FieldSpec("key", "str", _attr("key")),
    FieldSpec("status_raw", "str", _attr("status_raw"), description="the helpdesk's own status name"),
    FieldSpec("subject", "text", _attr("subject")),
    FieldSpec("description", "text", _attr("description")),
    FieldSpec("text", "text", lambda t: t.text, description="subject, description and every comment"),
    FieldSpec("tags", "list", _attr("tags")),
    FieldSpec("created_at", "time", _attr("created_at")),
    FieldSpec("updated_at", "time", _attr("updated_at")),
    FieldSpec("solved_at", "time", _attr("solved_at")),
)
FIELDS: Mapping[str, FieldSpec] = MappingProxyType({f.name: f for f in _FIELDS})
CUSTOM_PREFIX = "custom."


def field_spec(name: str) -> FieldSpec | None:
    """The spec of a field name, `custom.<name>` included; None if there is no such field."""
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
        custom = name[len(CUSTOM_PREFIX):]
        return FieldSpec(name, "any", lambda t: t.custom.get(custom))
    return None


def suggest(word: str, choices: Sequence[str]) -> str:
    """` (did you mean 'x'?)` for a close match, else an empty string."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- extraction: a ticket's values, once per ticket --------------------------------------

@dataclass(frozen=True)
class Extractor:
    """Reads the slots the compiled conditions use from a ticket, in one pass."""

    getters: tuple[Callable[[Ticket], Any], ...]
    slots: Mapping[tuple[str, str], int]      # (field, variant) -> slot, for introspection

    def values(self, ticket: Ticket, now: datetime) -> list[Any]:
        values = [now]
        values.extend([get(ticket) for get in self.getters])
        return values


def _fold(get: Callable[[Ticket], Any]) -> Callable[[Ticket], Any]:
    def folded(ticket: Ticket) -> Any:
        value = get(ticket)
        return value.casefold() if isinstance(value, str) else value
    return folded


def _rank(get: Callable[[Ticket], Any]) -> Callable[[Ticket], Any]:
    def rank(ticket: Ticket) -> Any:
        return PRIORITY_RANK.get(get(ticket))
    return rank


_VARIANTS = {"raw": lambda get: get, "fold": _fold, "rank": _rank}


# --- compiled conditions -----------------------------------------------------------------

@dataclass(frozen=True)
class Trace:
    """How one part of a condition came out for one ticket."""

    expr: str                           # "priority in [urgent, high]", "all", "any", "not"
    result: bool
    value: Any = None                   # the ticket's value of the field (leaves)
    matched: Any = None                 # what made it hold: the tag, the text that matched …
    children: tuple["Trace", ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"expr": self.expr, "result": self.result}
        if not self.children:
            out["value"] = _jsonable(self.value)
            if self.matched is not None:
                out["matched"] = _jsonable(self.matched)
        else:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    def lines(self, indent: int = 0) -> list[str]:
        mark = "yes" if self.result else "no "
        text = f"{'  ' * indent}[{mark}] {self.expr}"
        if not self.children:
            text += f"  (value: {_show(self.value)}"
            text += f"; matched: {_show(self.matched)})" if self.matched is not None else ")"
        return [text, *(line for c in self.children for line in c.lines(indent + 1))]


@dataclass(frozen=True)
class Requirement:
    """Something a condition cannot hold without: the value in `slot` is (or, negated, is
    not) one of `values`. The engine uses these to skip rules that cannot fire."""

    slot: int
    values: frozenset
    negate: bool = False

    def allows(self, value: Any) -> bool:
        return (value in self.values) != self.negate


Requirements = Mapping[int, tuple[Requirement, ...]]


class Condition(ABC):
    """A compiled condition. `test(values)` is the fast path; `trace(values)` explains."""

    __slots__ = ("test", "expr", "fields", "requires")
    test: Callable[[Values], bool]
    expr: str
    fields: frozenset[str]          # the fields it tests
    requires: Requirements          # necessary conditions on scalar slots, by slot

    @abstractmethod
    def trace(self, values: Values) -> Trace:
        """Evaluate slowly, recording what each part saw."""


class Leaf(Condition):
    __slots__ = ("why", "slot")

    def __init__(self, expr: str, field_name: str, slot: int, test: Callable[[Values], bool],
                 why: Callable[[Any, datetime], Any], requirement: Requirement | None = None):
        self.expr, self.fields, self.slot, self.test, self.why = expr, frozenset([field_name]), slot, test, why
        self.requires = {requirement.slot: (requirement,)} if requirement else {}

    def trace(self, values: Values) -> Trace:
        result = bool(self.test(values))
        value = values[self.slot]
        return Trace(self.expr, result, _shorten(value), self.why(value, values[NOW_SLOT]) if result else None)


class Group(Condition):
    __slots__ = ("children", "kind")

    def __init__(self, kind: str, children: tuple[Condition, ...]):
        self.kind, self.children, self.expr = kind, children, kind
        self.fields = frozenset().union(*(c.fields for c in children))
        self.requires = _all_requirements(children) if kind == "all" or len(children) == 1 and kind == "any" else {}
        tests = tuple(c.test for c in children)
        if kind == "not":
            (inner,) = tests
            self.test = lambda v: not inner(v)
        elif len(tests) == 1:
            self.test = tests[0]
        elif kind == "all":
            self.test = _all_of(tests)
        else:
            self.test = _any_of(tests)

    def trace(self, values: Values) -> Trace:
        return Trace(self.kind, bool(self.test(values)), children=tuple(c.trace(values) for c in self.children))


def _all_requirements(children: tuple[Condition, ...]) -> Requirements:
    merged: dict[int, tuple[Requirement, ...]] = {}
    for child in children:
        for slot, requirements in child.requires.items():
            merged[slot] = merged.get(slot, ()) + requirements
    return merged


def _all_of(tests: tuple[Callable[[Values], bool], ...]) -> Callable[[Values], bool]:
    if len(tests) == 2:
        a, b = tests
        return lambda v: a(v) and b(v)
    if len(tests) == 3:
        a, b, c = tests
        return lambda v: a(v) and b(v) and c(v)

    def all_of(v: Values) -> bool:
        for t in tests:
            if not t(v):
                return False
        return True
    return all_of


def _any_of(tests: tuple[Callable[[Values], bool], ...]) -> Callable[[Values], bool]:
    if len(tests) == 2:
        a, b = tests
        return lambda v: a(v) or b(v)

    def any_of(v: Values) -> bool:
        for t in tests:
            if t(v):
                return True
        return False
    return any_of


# --- the compiler ------------------------------------------------------------------------

class PatternGroup:
    """Every `matches` pattern on one field, run in one pass per ticket.

    RE2's FilteredRE2 scans the text once for the literal atoms of all patterns and then
    runs, exactly, only the patterns whose atoms occur (and those without atoms), so forty
    rules matching on `text` cost about one search rather than forty. Each search is RE2,
    linear in the text. Built while compiling; read-only once compiled.
    """

    def __init__(self) -> None:
        self._filter = re2.Filter()
        self._indexes: dict[str, int] = {}
        self._compiled = False

    def add(self, pattern: str) -> int:
        if pattern not in self._indexes:
            self._indexes[pattern] = self._filter.Add(pattern, _options())
        return self._indexes[pattern]

    def compile(self) -> None:
        if not self._compiled:
            self._filter.Compile()
            self._compiled = True

    def matched(self, value: Any) -> tuple[int, ...] | list[int]:
        """Indexes of the patterns found in `value` (for a list: in any of its strings)."""
        if isinstance(value, str):
            return self._filter.Match(value) or ()
        if isinstance(value, (list, tuple)):
            found: set[int] = set()
            for item in value:
                if isinstance(item, str):
                    found.update(self._filter.Match(item) or ())
            return tuple(sorted(found))
        return ()


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False          # a bad pattern is reported as FILE:LINE:COL instead
    return options


@dataclass
class ConditionCompiler:
    """Compiles every condition of a workspace against one shared slot table.

    Problems are collected, never raised, so that one run reports all of them.
    """

    problems: list[Problem] = field(default_factory=list)
    _slots: dict[tuple[str, str], int] = field(default_factory=dict)
    _getters: list[Callable[[Ticket], Any]] = field(default_factory=list)
    _patterns: dict[str, PatternGroup] = field(default_factory=dict)

    def extractor(self) -> Extractor:
        for group in self._patterns.values():
            group.compile()
        return Extractor(tuple(self._getters), MappingProxyType(dict(self._slots)))

    def compile(self, doc: YamlDoc, path: tuple, where: str) -> Condition | None:
        """Compile the condition at `path` in `doc`; `where` names its owner ("rule r1")."""
        return _Compiling(self, doc, where).condition(doc.get(path), tuple(path))

    def slot(self, spec: FieldSpec, variant: str = "raw") -> int:
        key = (spec.name, variant)
        if key not in self._slots:
            self._getters.append(_VARIANTS[variant](spec.get))
            self._slots[key] = len(self._getters)       # slot 0 is now
        return self._slots[key]

    def pattern_slot(self, spec: FieldSpec, pattern: str) -> tuple[int, int]:
        """(slot, index): the slot holding the indexes of the patterns found in the field, and
        this pattern's index among them."""
        group = self._patterns.get(spec.name)
        if group is None:
            group = self._patterns[spec.name] = PatternGroup()
            get = spec.get
            self._getters.append(lambda ticket: group.matched(get(ticket)))
            self._slots[(spec.name, "patterns")] = len(self._getters)
        return self._slots[(spec.name, "patterns")], group.add(pattern)


@dataclass
class _Compiling:
    compiler: ConditionCompiler
    doc: YamlDoc
    where: str

    def problem(self, path: tuple, message: str, *, at_key: bool = False) -> None:
        self.compiler.problems.append(self.doc.problem(path, f"{self.where}: {message}", at_key=at_key))

    def condition(self, raw: Any, path: tuple) -> Condition | None:
        if not isinstance(raw, dict) or not raw:
            self.problem(path, "a condition is a mapping such as {priority: urgent} or {all: [...]}"
                         f", got {_show(raw)}")
            return None
        parts = [self.entry(key, value, (*path, key)) for key, value in raw.items()]
        if any(p is None for p in parts):
            return None
        return parts[0] if len(parts) == 1 else Group("all", tuple(parts))

    def entry(self, key: Any, value: Any, path: tuple) -> Condition | None:
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self.problem(path, f"`{key}` takes a non-empty list of conditions")
                return None
            children = [self.condition(item, (*path, i)) for i, item in enumerate(value)]
            if any(c is None for c in children):
                return None
            return Group(key, tuple(children))
        if key == "not":
            inner = self.condition(value, path)
            return Group("not", (inner,)) if inner is not None else None
        spec = field_spec(str(key))
        if spec is None:
            known = [*COMBINATORS, *FIELDS]
            hint = suggest(key, known) or (
                " (fields: " + ", ".join(FIELDS) + ", custom.<name>; or all, any, not)")
            self.problem(path, f"unknown field {str(key)!r}{hint}", at_key=True)
            return None
        return self.field_test(spec, value, path)

    def field_test(self, spec: FieldSpec, raw: Any, path: tuple) -> Condition | None:
        if isinstance(raw, dict):
            if not raw:
                self.problem(path, f"{spec.name}: no operator given (one of: {', '.join(OPERATORS)})")
                return None
            tests = [self.operator(spec, op, value, (*path, op)) for op, value in raw.items()]
            if any(t is None for t in tests):
                return None
            return tests[0] if len(tests) == 1 else Group("all", tuple(tests))
        if isinstance(raw, list):
            self.problem(path, f"{spec.name}: a list needs an operator, e.g. {{in: [...]}} for any of them")
            return None
        if raw is None:
            self.problem(path, f"{spec.name}: no value; to test for a missing value write {{exists: false}}")
            return None
        return self.operator(spec, "eq", raw, path)

    def operator(self, spec: FieldSpec, op: Any, value: Any, path: tuple) -> Condition | None:
        allowed = KIND_OPERATORS[spec.kind] + (("gt", "lt") if spec.ordered else ())
        if op not in OPERATORS:
            self.problem(path, f"{spec.name}: unknown operator {str(op)!r}{suggest(op, OPERATORS)}"
                         f"; expected one of: {', '.join(allowed)}", at_key=True)
            return None
        if op not in allowed:
            self.problem(path, f"{spec.name}: operator {op!r} does not apply to this field"
                         f"; expected one of: {', '.join(allowed)}", at_key=True)
            return None
        try:
            return _BUILDERS[op](self.compiler, spec, value)
        except _BadValue as exc:
            self.problem(path, f"{spec.name} {op}: {exc}")
            return None


class _BadValue(ValueError):
    pass


# --- operand checks ----------------------------------------------------------------------

def _scalar(spec: FieldSpec, value: Any) -> Any:
    """A single comparable value for `spec`, checked against its kind."""
    if value is None or isinstance(value, (dict, list)):
        raise _BadValue(f"expected a single value, got {_show(value)}")
    if spec.kind == "enum":
        text = str(value)
        if text not in spec.choices:
            raise _BadValue(f"unknown {spec.name} {text!r}{suggest(text, spec.choices)}"
                            f"; expected one of: {', '.join(spec.choices)}")
        return text
    if spec.kind in ("str", "text", "list"):
        if isinstance(value, bool):
            raise _BadValue(f"expected text, got {_show(value)}")
        return str(value)
    if isinstance(value, (date, datetime)):
        raise _BadValue(f"dates are compared with gt/lt on time fields, got {_show(value)}")
    return value


def _scalars(spec: FieldSpec, value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list) or not value:
        raise _BadValue(f"expected a non-empty list, e.g. [a, b], got {_show(value)}")
    return tuple(_scalar(spec, v) for v in value)


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _BadValue(f"expected a time such as 2026-03-01T09:00:00+08:00, got {value!r}") from None
    if not isinstance(value, datetime):
        raise _BadValue(f"expected a time with its zone, such as 2026-03-01T09:00:00+08:00, got {_show(value)}")
    if value.tzinfo is None:
        raise _BadValue(f"{value.isoformat()} has no time zone; add one, e.g. +08:00 or Z")
    return value


def _regex(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise _BadValue(f"expected a regular expression, got {_show(value)}")
    try:
        return re2.compile(value, _options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise _BadValue(f"invalid regular expression {value!r}: {reason}") from None


# --- operator builders: each returns a Leaf with a one-call test closure -----------------

def _expr(spec: FieldSpec, op: str, operand: Any) -> str:
    return f"{spec.name} {op} {_show(operand)}"


def _build_eq(c: ConditionCompiler, spec: FieldSpec, value: Any, negate: bool = False) -> Leaf:
    x = _scalar(spec, value)
    s = c.slot(spec)
    if spec.kind == "list":
        test = (lambda v: x not in v[s]) if negate else (lambda v: x in v[s])
    elif spec.kind == "any":
        test = (lambda v: not _any_eq(v[s], x)) if negate else (lambda v: _any_eq(v[s], x))
    else:
        test = (lambda v: v[s] != x) if negate else (lambda v: v[s] == x)
    why = (lambda val, now: val) if negate else (lambda val, now: x)
    return Leaf(_expr(spec, "ne" if negate else "eq", x), spec.name, s, test, why, _scalar_requirement(spec, s, {x}, negate))


def _build_in(c: ConditionCompiler, spec: FieldSpec, value: Any, negate: bool = False) -> Leaf:
    listed = tuple(dict.fromkeys(_scalars(spec, value)))
    xs = frozenset(listed)
    s = c.slot(spec)
    if spec.kind == "list":
        test = (lambda v: xs.isdisjoint(v[s])) if negate else (lambda v: not xs.isdisjoint(v[s]))
    elif spec.kind == "any":
        test = (lambda v: not _any_in(v[s], xs)) if negate else (lambda v: _any_in(v[s], xs))
    else:
        test = (lambda v: v[s] not in xs) if negate else (lambda v: v[s] in xs)

    def why(val: Any, now: datetime) -> Any:
        if isinstance(val, (list, tuple)) and not negate:
            return [e for e in val if _hashable(e) and e in xs]
        return val
    return Leaf(_expr(spec, "not_in" if negate else "in", listed), spec.name, s, test, why,
                _scalar_requirement(spec, s, xs, negate))


def _scalar_requirement(spec: FieldSpec, slot: int, values: set | frozenset, negate: bool) -> Requirement | None:
    """Only single-valued fields with exact comparison can index rules (not lists, not custom)."""
    if spec.kind in ("enum", "str", "text"):
        return Requirement(slot, frozenset(values), negate)
    return None


def _build_contains(c: ConditionCompiler, spec: FieldSpec, value: Any) -> Leaf:
    x = _scalar(spec, value)
    if isinstance(x, str) and not x:
        raise _BadValue("expected some text to look for, got an empty string")
    if spec.kind == "list":
        s = c.slot(spec)
        test = lambda v: x in v[s]  # noqa: E731
    elif spec.kind == "any":
        s = c.slot(spec)
        test = lambda v: _any_contains(v[s], x)  # noqa: E731
    else:
        needle = x.casefold()
        s = c.slot(spec, "fold")
        test = lambda v: v[s] is not None and needle in v[s]  # noqa: E731
    return Leaf(_expr(spec, "contains", x), spec.name, c.slot(spec), test, lambda val, now: x)


def _build_matches(c: ConditionCompiler, spec: FieldSpec, value: Any) -> Leaf:
    search = _regex(value).search       # checks the pattern; explains what matched
    found, index = c.pattern_slot(spec, value)
    test = lambda v: index in v[found]  # noqa: E731
    return Leaf(f"{spec.name} matches /{value}/", spec.name, c.slot(spec), test,
                lambda val, now: _any_match(search, val))


def _build_compare(c: ConditionCompiler, spec: FieldSpec, value: Any, op: str) -> Leaf:
    greater = op == "gt"
    if spec.kind == "time":
        x = _instant(value)
        s = c.slot(spec)
        shown = x.isoformat()
    elif spec.ordered:
        shown = _scalar(spec, value)
        x = PRIORITY_RANK[shown]
        s = c.slot(spec, "rank")
    elif spec.kind == "any":
        x = _scalar(spec, value)
        if isinstance(x, bool) or not isinstance(x, (int, float, str)):
            raise _BadValue(f"expected a number or text, got {_show(value)}")
        s = c.slot(spec)
        shown = x
        kind = str if isinstance(x, str) else (int, float)
        if greater:
            test = lambda v: isinstance(v[s], kind) and not isinstance(v[s], bool) and v[s] > x  # noqa: E731
        else:
            test = lambda v: isinstance(v[s], kind) and not isinstance(v[s], bool) and v[s] < x  # noqa: E731
        return Leaf(_expr(spec, op, shown), spec.name, s, test, lambda val, now: val)
    else:
        raise _BadValue(f"{op} does not apply to {spec.name}")
    if greater:
        test = lambda v: v[s] is not None and v[s] > x  # noqa: E731
    else:
        test = lambda v: v[s] is not None and v[s] < x  # noqa: E731
    return Leaf(_expr(spec, op, shown), spec.name, c.slot(spec), test, lambda val, now: val)


def _build_exists(c: ConditionCompiler, spec: FieldSpec, value: Any) -> Leaf:
    if not isinstance(value, bool):
        raise _BadValue(f"expected true or false, got {_show(value)}")
    s = c.slot(spec)
    if value:
        test = lambda v: _present(v[s])  # noqa: E731
    else:
        test = lambda v: not _present(v[s])  # noqa: E731
    return Leaf(_expr(spec, "exists", value), spec.name, s, test, lambda val, now: val if value else None)


def _build_older_than(c: ConditionCompiler, spec: FieldSpec, value: Any) -> Leaf:
    try:
        age = parse_duration(value)
    except DurationError as exc:
        raise _BadValue(str(exc)) from None
    s = c.slot(spec)
    test = lambda v: v[s] is not None and v[NOW_SLOT] - v[s] > age  # noqa: E731
    return Leaf(_expr(spec, "older_than", format_duration(age)), spec.name, s, test,
                lambda val, now: f"{format_duration(now - val)} old")


_BUILDERS: Mapping[str, Callable[[ConditionCompiler, FieldSpec, Any], Leaf]] = MappingProxyType({
    "eq": _build_eq,
    "ne": lambda c, spec, value: _build_eq(c, spec, value, negate=True),
    "in": _build_in,
    "not_in": lambda c, spec, value: _build_in(c, spec, value, negate=True),
    "contains": _build_contains,
    "matches": _build_matches,
    "gt": lambda c, spec, value: _build_compare(c, spec, value, "gt"),
    "lt": lambda c, spec, value: _build_compare(c, spec, value, "lt"),
    "exists": _build_exists,
    "older_than": _build_older_than,
})


# --- runtime helpers for custom fields (any JSON value) and lists ------------------------

def _hashable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != () and value != [] and value != {}


def _any_eq(value: Any, x: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return x in value
    return value == x


def _any_in(value: Any, xs: frozenset) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_hashable(e) and e in xs for e in value)
    return _hashable(value) and value in xs


def _any_contains(value: Any, x: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return x in value
    if isinstance(value, str) and isinstance(x, str):
        return x.casefold() in value.casefold()
    return False


def _any_match(search: Callable[[str], Any], value: Any) -> str | None:
    """The text that matched (for a list: in its first matching element), else None."""
    for item in value if isinstance(value, (list, tuple)) else (value,):
        if isinstance(item, str):
            found = search(item)
            if found is not None:
                return found.group(0)
    return None


# --- display -----------------------------------------------------------------------------

def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if value is None:
        return "none"
    if value == "":
        return '""'
    return str(value)


def _shorten(value: Any, limit: int = 120) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)

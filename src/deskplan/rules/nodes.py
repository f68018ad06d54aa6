"""Compiled conditions: a tree of nodes whose `test(values)` is one closure call.

`values` is what an Extractor (conditions.py) reads from a ticket: slot 0 is "now", the
other slots hold the fields the workspace's conditions test. `trace(values)` evaluates
slowly and records what each test saw, for `deskplan explain`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from deskplan.rules.durations import format_duration

Values = Sequence[Any]          # what an Extractor produces for one ticket
NOW_SLOT = 0


@dataclass(frozen=True)
class Trace:
    """How one part of a condition came out for one ticket."""

    expr: str                           # "priority in [urgent, high]", "all", "any", "not"
    result: bool
    value: Any = None                   # the ticket's value of the field (leaves)
    matched: Any = None                 # what made it hold: the tag, the text that matched …
    children: tuple[Trace, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"expr": self.expr, "result": self.result}
        if not self.children:
            out["value"] = jsonable(self.value)
            if self.matched is not None:
                out["matched"] = jsonable(self.matched)
        else:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    def lines(self, indent: int = 0) -> list[str]:
        mark = "yes" if self.result else "no "
        text = f"{'  ' * indent}[{mark}] {self.expr}"
        if not self.children:
            # On one line: a ticket's text (subject and comments) would otherwise run over many.
            text += f"  (value: {' '.join(show(self.value).split())}"
            text += f"; matched: {show(self.matched)})" if self.matched is not None else ")"
        return [text, *(line for c in self.children for line in c.lines(indent + 1))]


@dataclass(frozen=True)
class Requirement:
    """Something a condition cannot hold without: the value in `slot` is (or, negated, is
    not) one of `values`. The engine uses these to skip rules that cannot fire."""

    slot: int
    values: frozenset[Any]
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
        return Trace(self.expr, result, shorten(value), self.why(value, values[NOW_SLOT]) if result else None)


class Group(Condition):
    __slots__ = ("children", "kind")

    def __init__(self, kind: str, children: tuple[Condition, ...]):
        self.kind, self.children, self.expr = kind, children, kind
        self.fields = frozenset().union(*(c.fields for c in children))
        self.requires = _all_requirements(children) if kind == "all" or (len(children) == 1 and kind == "any") else {}
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
        # a loop, not all() over a generator: this runs for every ticket and rule
        for t in tests:  # noqa: SIM110
            if not t(v):
                return False
        return True
    return all_of


def _any_of(tests: tuple[Callable[[Values], bool], ...]) -> Callable[[Values], bool]:
    if len(tests) == 2:
        a, b = tests
        return lambda v: a(v) or b(v)

    def any_of(v: Values) -> bool:
        # a loop, not any() over a generator: this runs for every ticket and rule
        for t in tests:  # noqa: SIM110
            if t(v):
                return True
        return False
    return any_of


# --- display -------------------------------------------------------------------------------

def show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if value is None:
        return "none"
    if value == "":
        return '""'
    return str(value)


def shorten(value: Any, limit: int = 120) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value


def jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)

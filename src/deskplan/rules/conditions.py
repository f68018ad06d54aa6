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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import re2

from deskplan.errors import Problem
from deskplan.model import Ticket
from deskplan.rules.fields import COMBINATORS, FIELDS, KIND_OPERATORS, OPERATORS, PRIORITY_RANK, FieldSpec, field_spec
from deskplan.rules.nodes import Condition, Group, show
from deskplan.rules.operators import BUILDERS, BadValue, re2_options
from deskplan.rules.suggest import suggest
from deskplan.rules.yamlload import Path_, YamlDoc

# --- extraction: a ticket's values, once per ticket --------------------------------------

@dataclass(frozen=True)
class Extractor:
    """Reads the slots the compiled conditions use from a ticket, in one pass.

    Each step fills the next slot: from the ticket (`source` None) or from an earlier slot
    (`source` its index), so a field is read from the ticket once however many variants of
    it (casefolded, ranked, searched for patterns) the conditions use.
    """

    steps: tuple[tuple[int | None, Callable[[Any], Any]], ...]
    slots: Mapping[tuple[str, str], int]      # (field, variant) -> slot, for introspection

    def values(self, ticket: Ticket, now: datetime) -> list[Any]:
        values = [now]
        for source, fn in self.steps:
            values.append(fn(ticket) if source is None else fn(values[source]))
        return values


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


_DERIVED: dict[str, Callable[[Any], Any]] = {"fold": _fold, "rank": PRIORITY_RANK.get}


# --- the compiler ------------------------------------------------------------------------

class PatternGroup:
    """Every `matches` pattern on one field, run in one pass per ticket.

    RE2's FilteredRE2 scans the text once for the literal atoms of all patterns and then
    runs, exactly, only the patterns whose atoms occur (and those without atoms), so forty
    rules matching on `text` cost about one search rather than forty. Each search is RE2,
    linear in the text. Built while compiling; read-only once compiled.

    FilteredRE2 refuses to compile a set whose atoms grow too many (some tens of thousands:
    hundreds of long keyword lists). The set is then split in halves until each part compiles;
    a pattern that cannot be filtered even alone is searched on its own. The indexes stay those
    `add` returned.
    """

    def __init__(self) -> None:
        self._patterns: list[str] = []
        self._indexes: dict[str, int] = {}
        self._filters: list[tuple[int, Any]] = []          # (index of its first pattern, re2.Filter)
        self._alone: list[tuple[int, Any]] = []            # (index, compiled pattern) searched on its own
        self._compiled = False

    def add(self, pattern: str) -> int:
        if pattern not in self._indexes:
            self._indexes[pattern] = len(self._patterns)
            self._patterns.append(pattern)
        return self._indexes[pattern]

    def compile(self) -> None:
        if not self._compiled:
            self._build(0, len(self._patterns))
            self._compiled = True

    def _build(self, start: int, end: int) -> None:
        if start >= end:
            return
        found = re2.Filter()
        try:
            for pattern in self._patterns[start:end]:
                found.Add(pattern, re2_options())
            found.Compile()
        except re2.error:
            if end - start == 1:
                self._alone.append((start, re2.compile(self._patterns[start], re2_options())))
                return
            middle = (start + end) // 2
            self._build(start, middle)
            self._build(middle, end)
            return
        self._filters.append((start, found))

    def _match(self, text: str) -> list[int]:
        found = [offset + index for offset, part in self._filters for index in (part.Match(text) or ())]
        found.extend(index for index, pattern in self._alone if pattern.search(text))
        return found

    def matched(self, value: Any) -> tuple[int, ...] | list[int]:
        """Indexes of the patterns found in `value` (for a list: in any of its strings)."""
        if isinstance(value, str):
            if len(self._filters) == 1 and not self._alone:         # the usual case: one filter
                return self._filters[0][1].Match(value) or ()
            return self._match(value)
        if isinstance(value, (list, tuple)):
            found: set[int] = set()
            for item in value:
                if isinstance(item, str):
                    found.update(self._match(item))
            return tuple(sorted(found))
        return ()


@dataclass
class ConditionCompiler:
    """Compiles every condition of a workspace against one shared slot table.

    Problems are collected, never raised, so that one run reports all of them.
    """

    problems: list[Problem] = field(default_factory=list)
    _slots: dict[tuple[str, str], int] = field(default_factory=dict)
    _steps: list[tuple[int | None, Callable[[Any], Any]]] = field(default_factory=list)
    _patterns: dict[str, PatternGroup] = field(default_factory=dict)

    def extractor(self) -> Extractor:
        for group in self._patterns.values():
            group.compile()
        return Extractor(tuple(self._steps), MappingProxyType(dict(self._slots)))

    def compile(self, doc: YamlDoc, path: Path_, where: str) -> Condition | None:
        """Compile the condition at `path` in `doc`; `where` names its owner ("rule r1")."""
        return _Compiling(self, doc, where).condition(doc.get(path), tuple(path))

    def slot(self, spec: FieldSpec, variant: str = "raw") -> int:
        """The slot of a field (`raw`), or of a variant of it: `fold` (casefolded), `rank`."""
        key = (spec.name, variant)
        if key not in self._slots:
            step = (None, spec.get) if variant == "raw" else (self.slot(spec), _DERIVED[variant])
            self._slots[key] = self._add(step)
        return self._slots[key]

    def pattern_slot(self, spec: FieldSpec, pattern: str) -> tuple[int, int]:
        """(slot, index): the slot holding the indexes of the patterns found in the field, and
        this pattern's index among them."""
        group = self._patterns.get(spec.name)
        if group is None:
            group = self._patterns[spec.name] = PatternGroup()
            self._slots[(spec.name, "patterns")] = self._add((self.slot(spec), group.matched))
        return self._slots[(spec.name, "patterns")], group.add(pattern)

    def _add(self, step: tuple[int | None, Callable[[Any], Any]]) -> int:
        self._steps.append(step)
        return len(self._steps)         # slot 0 is now


@dataclass
class _Compiling:
    compiler: ConditionCompiler
    doc: YamlDoc
    where: str

    def problem(self, path: Path_, message: str, *, at_key: bool = False) -> None:
        self.compiler.problems.append(self.doc.problem(path, f"{self.where}: {message}", at_key=at_key))

    def condition(self, raw: Any, path: Path_) -> Condition | None:
        if not isinstance(raw, dict) or not raw:
            self.problem(path, "a condition is a mapping such as {priority: urgent} or {all: [...]}"
                         f", got {show(raw)}")
            return None
        entries = [self.entry(key, value, (*path, key)) for key, value in raw.items()]
        parts = [p for p in entries if p is not None]
        if len(parts) < len(entries):
            return None
        return parts[0] if len(parts) == 1 else Group("all", tuple(parts))

    def entry(self, key: Any, value: Any, path: Path_) -> Condition | None:
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self.problem(path, f"`{key}` takes a non-empty list of conditions")
                return None
            compiled = [self.condition(item, (*path, i)) for i, item in enumerate(value)]
            children = [c for c in compiled if c is not None]
            if len(children) < len(compiled):
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

    def field_test(self, spec: FieldSpec, raw: Any, path: Path_) -> Condition | None:
        if isinstance(raw, dict):
            if not raw:
                self.problem(path, f"{spec.name}: no operator given (one of: {', '.join(OPERATORS)})")
                return None
            operators = [self.operator(spec, op, value, (*path, op)) for op, value in raw.items()]
            tests = [t for t in operators if t is not None]
            if len(tests) < len(operators):
                return None
            return tests[0] if len(tests) == 1 else Group("all", tuple(tests))
        if isinstance(raw, list):
            self.problem(path, f"{spec.name}: a list needs an operator, e.g. {{in: [...]}} for any of them")
            return None
        if raw is None:
            self.problem(path, f"{spec.name}: no value; to test for a missing value write {{exists: false}}")
            return None
        return self.operator(spec, "eq", raw, path)

    def operator(self, spec: FieldSpec, op: Any, value: Any, path: Path_) -> Condition | None:
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
            return BUILDERS[op](self.compiler, spec, value)
        except BadValue as exc:
            self.problem(path, f"{spec.name} {op}: {exc}")
            return None

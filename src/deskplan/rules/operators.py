"""The operators of field tests: each checks its operand once, at load, and returns a Leaf
whose test is a single closure over the ticket's values (see nodes.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Protocol

import re2

from deskplan.rules.durations import DurationError, format_duration, parse_duration
from deskplan.rules.fields import PRIORITY_RANK, FieldSpec
from deskplan.rules.nodes import NOW_SLOT, Leaf, Requirement, show
from deskplan.rules.suggest import suggest


class Slots(Protocol):
    """Where a compiled test finds its field among a ticket's values (the compiler)."""

    def slot(self, spec: FieldSpec, variant: str = "raw") -> int: ...

    def pattern_slot(self, spec: FieldSpec, pattern: str) -> tuple[int, int]: ...


MAX_PATTERN_CHARS = 10_000
"""The longest `matches` pattern. A list of a thousand keywords (`投诉|complain|refund|...`)
fits in 10,000 characters and RE2 compiles it in milliseconds; a pattern of megabytes makes
RE2 run out of its memory budget, slowly."""


def re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False          # a bad pattern is reported as FILE:LINE:COL instead
    return options


def shown_pattern(pattern: str, limit: int = 60) -> str:
    """A pattern as a message quotes it: its start, if it is long."""
    return repr(pattern if len(pattern) <= limit else pattern[:limit] + "…")


class BadValue(ValueError):
    """An operand that does not fit its field and operator; the message says why."""


# --- operand checks ----------------------------------------------------------------------

def _scalar(spec: FieldSpec, value: Any) -> Any:
    """A single comparable value for `spec`, checked against its kind."""
    if value is None or isinstance(value, (dict, list)):
        raise BadValue(f"expected a single value, got {show(value)}")
    if spec.kind == "enum":
        text = str(value)
        if text not in spec.choices:
            raise BadValue(f"unknown {spec.name} {text!r}{suggest(text, spec.choices)}"
                            f"; expected one of: {', '.join(spec.choices)}")
        return text
    if spec.kind in ("str", "text", "list"):
        if isinstance(value, bool):
            raise BadValue(f"expected text, got {show(value)}")
        return str(value)
    if isinstance(value, (date, datetime)):
        raise BadValue(f"dates are compared with gt/lt on time fields, got {show(value)}")
    return value


def _scalars(spec: FieldSpec, value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list) or not value:
        raise BadValue(f"expected a non-empty list, e.g. [a, b], got {show(value)}")
    return tuple(_scalar(spec, v) for v in value)


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise BadValue(f"expected a time such as 2026-03-01T09:00:00+08:00, got {value!r}") from None
    if not isinstance(value, datetime):
        raise BadValue(f"expected a time with its zone, such as 2026-03-01T09:00:00+08:00, got {show(value)}")
    if value.tzinfo is None:
        raise BadValue(f"{value.isoformat()} has no time zone; add one, e.g. +08:00 or Z")
    return value


def _regex(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise BadValue(f"expected a regular expression, got {show(value)}")
    if len(value) > MAX_PATTERN_CHARS:
        raise BadValue(f"the pattern {shown_pattern(value)} is {len(value):,} characters long; "
                       f"at most {MAX_PATTERN_CHARS:,}")
    try:
        return re2.compile(value, re2_options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise BadValue(f"invalid regular expression {shown_pattern(value)}: {reason}") from None


# --- operator builders: each returns a Leaf with a one-call test closure -----------------

def _expr(spec: FieldSpec, op: str, operand: Any) -> str:
    return f"{spec.name} {op} {show(operand)}"


def _build_eq(c: Slots, spec: FieldSpec, value: Any, negate: bool = False) -> Leaf:
    x = _scalar(spec, value)
    s = c.slot(spec)
    if spec.kind == "list":
        test = (lambda v: x not in v[s]) if negate else (lambda v: x in v[s])
    elif spec.kind == "any":
        test = (lambda v: not _any_eq(v[s], x)) if negate else (lambda v: _any_eq(v[s], x))
    else:
        test = (lambda v: v[s] != x) if negate else (lambda v: v[s] == x)
    why = (lambda val, now: val) if negate else (lambda val, now: x)
    return Leaf(_expr(spec, "ne" if negate else "eq", x), spec.name, s, test, why,
                _scalar_requirement(spec, s, {x}, negate))


def _build_in(c: Slots, spec: FieldSpec, value: Any, negate: bool = False) -> Leaf:
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


def _scalar_requirement(
    spec: FieldSpec, slot: int, values: set[Any] | frozenset[Any], negate: bool,
) -> Requirement | None:
    """Only single-valued fields with exact comparison can index rules (not lists, not custom)."""
    if spec.kind in ("enum", "str", "text"):
        return Requirement(slot, frozenset(values), negate)
    return None


def _build_contains(c: Slots, spec: FieldSpec, value: Any) -> Leaf:
    x = _scalar(spec, value)
    if isinstance(x, str) and not x:
        raise BadValue("expected some text to look for, got an empty string")
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


def _build_matches(c: Slots, spec: FieldSpec, value: Any) -> Leaf:
    search = _regex(value).search       # checks the pattern; explains what matched
    found, index = c.pattern_slot(spec, value)
    test = lambda v: index in v[found]  # noqa: E731
    return Leaf(f"{spec.name} matches /{value}/", spec.name, c.slot(spec), test,
                lambda val, now: _any_match(search, val))


def _build_compare(c: Slots, spec: FieldSpec, value: Any, op: str) -> Leaf:
    greater = op == "gt"
    x: datetime | float | str       # the bound as compared: an instant, a priority's rank, a number or text
    shown: float | str              # the bound as the rule wrote it
    if spec.kind == "time":
        x = _instant(value)
        s = c.slot(spec)
        shown = x.isoformat()
    elif spec.ordered:
        name = _scalar(spec, value)
        x, shown = PRIORITY_RANK[name], name
        s = c.slot(spec, "rank")
    elif spec.kind == "any":
        x = _scalar(spec, value)
        if isinstance(x, bool) or not isinstance(x, (int, float, str)):
            raise BadValue(f"expected a number or text, got {show(value)}")
        s = c.slot(spec)
        shown = x
        kind = str if isinstance(x, str) else (int, float)
        if greater:
            test = lambda v: isinstance(v[s], kind) and not isinstance(v[s], bool) and v[s] > x  # noqa: E731
        else:
            test = lambda v: isinstance(v[s], kind) and not isinstance(v[s], bool) and v[s] < x  # noqa: E731
        return Leaf(_expr(spec, op, shown), spec.name, s, test, lambda val, now: val)
    else:
        raise BadValue(f"{op} does not apply to {spec.name}")
    if greater:
        test = lambda v: v[s] is not None and v[s] > x  # noqa: E731
    else:
        test = lambda v: v[s] is not None and v[s] < x  # noqa: E731
    return Leaf(_expr(spec, op, shown), spec.name, c.slot(spec), test, lambda val, now: val)


def _build_exists(c: Slots, spec: FieldSpec, value: Any) -> Leaf:
    if not isinstance(value, bool):
        raise BadValue(f"expected true or false, got {show(value)}")
    s = c.slot(spec)
    if value:
        test = lambda v: _present(v[s])  # noqa: E731
    else:
        test = lambda v: not _present(v[s])  # noqa: E731
    return Leaf(_expr(spec, "exists", value), spec.name, s, test, lambda val, now: val if value else None)


def _build_older_than(c: Slots, spec: FieldSpec, value: Any) -> Leaf:
    try:
        age = parse_duration(value)
    except DurationError as exc:
        raise BadValue(str(exc)) from None
    s = c.slot(spec)
    test = lambda v: v[s] is not None and v[NOW_SLOT] - v[s] > age  # noqa: E731
    return Leaf(_expr(spec, "older_than", format_duration(age)), spec.name, s, test,
                lambda val, now: f"{format_duration(now - val)} old")


BUILDERS: Mapping[str, Callable[[Slots, FieldSpec, Any], Leaf]] = MappingProxyType({
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


def _any_in(value: Any, xs: frozenset[Any]) -> bool:
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

"""Pydantic validation errors -> Problems at FILE:LINE:COL, named for what the owner wrote.

A message says which entry (`rule urgent-vip`, `goal G2`), which key inside it
(`then.sla.first_reply`), what is wrong and, for a typo, the close match:
`rules/sla.yaml:7:7: rule urgent-vip: then: unknown key 'measrue' (did you mean 'measure'?);
expected one of: measure, sla, category, task, comment, priority`.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from deskplan.errors import Problem
from deskplan.rules.suggest import suggest
from deskplan.rules.yamlload import Path_, YamlDoc

M = TypeVar("M", bound=BaseModel)

# list name -> what one entry is called, and the key that names it
ENTRY_NAMES = {
    "goals": ("goal", "id"),
    "measures": ("measure", "id"),
    "milestones": ("milestone", "id"),
    "cadence": ("cadence", "id"),
    "rules": ("rule", "id"),
    "tests": ("test", "name"),
}


def entry_label(doc: YamlDoc, path: Path_) -> tuple[str, int]:
    """(`rule urgent-vip`, 2) for a path inside a rule: the label and how many path steps it covers."""
    if len(path) >= 2 and path[0] in ENTRY_NAMES and isinstance(path[1], int):
        noun, key = ENTRY_NAMES[path[0]]
        name = doc.get((path[0], path[1], key))
        if isinstance(name, (str, int, float)) and not isinstance(name, bool) and str(name):
            return (f"{noun} {name!r}" if noun == "test" else f"{noun} {name}"), 2
        return f"{noun} #{path[1] + 1}", 2
    if len(path) >= 2 and path[0] == "calendars":
        return f"calendar {path[1]}", 2
    if path and path[0] == "plan":
        return "plan", 1
    return "", 0


def message(doc: YamlDoc, path: Path_, text: str) -> str:
    """`label: key.path: text`, leaving out what is empty."""
    label, covered = entry_label(doc, path)
    inner = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[covered:]).lstrip(".")
    return ": ".join(p for p in (label, inner, text) if p)


def validate(model: type[M], doc: YamlDoc, problems: list[Problem], base: Path_ = (), data: Any = None) -> M | None:
    """Validate the part of `doc` at `base` (default: all of it), or `data` derived from it
    (with defaults filled in); on failure add one Problem per error and return None."""
    try:
        return model.model_validate(doc.get(base) if data is None else data)
    except ValidationError as exc:
        problems.extend(_problems(model, doc, base, exc.errors()))
        return None


def _problems(model: type[BaseModel], doc: YamlDoc, base: Path_, errors: Iterable[ErrorDetails]) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[int, int, str]] = set()
    for err in errors:
        path, rest = _data_path(doc, base, tuple(err["loc"]))
        kind = err["type"]
        if kind == "extra_forbidden":
            key = path[-1]
            allowed = _fields_at(model, path[len(base):-1]) or []
            text = f"unknown key {str(key)!r}{suggest(str(key), allowed)}"
            if allowed:
                text += f"; expected one of: {', '.join(allowed)}"
            problem = doc.problem(path, message(doc, path[:-1], text), at_key=True)
        elif kind == "missing":
            problem = doc.problem(path, message(doc, path, f"missing `{rest[-1] if rest else '?'}`"))
        elif not path[len(base):] and kind in ("model_type", "model_attributes_type"):
            required = [n for n, f in model.model_fields.items() if f.is_required()]
            want = f"a mapping with {', '.join(f'`{n}:`' for n in required)}" if required else "a mapping"
            shown = "an empty file" if err["input"] is None else f"{type(err['input']).__name__}"
            problem = doc.problem(path, message(doc, path, f"expected {want}, got {shown}"))
        else:
            # A problem with a mapping key itself (a calendar's day range) is shown at the key.
            about_key = bool(path[len(base):]) and isinstance(path[-1], str) and err.get("input") == path[-1]
            problem = doc.problem(path, message(doc, path, _describe(err)), at_key=about_key)
        if (problem.line, problem.col, problem.message) not in seen:
            seen.add((problem.line, problem.col, problem.message))
            out.append(problem)
    return out


def _describe(err: ErrorDetails) -> str:
    kind, text = err["type"], err["msg"]
    if kind in ("literal_error", "enum"):
        expected = _quoted(err.get("ctx", {}).get("expected", ""))
        value = err["input"]
        return f"unknown value {str(value)!r}{suggest(str(value), expected)}; expected one of: {', '.join(expected)}"
    if kind == "value_error":
        return text.removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{text}, got {_show(err['input'])}"
    return text


def _quoted(expected: str) -> list[str]:
    parts = [p.strip() for p in expected.replace(" or ", ",").split(",")]
    return [p.strip("'") for p in parts if p]


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)


def _data_path(doc: YamlDoc, base: Path_, loc: Path_) -> tuple[Path_, Path_]:
    """Split pydantic's `loc` into the steps that exist in the document and those that do not
    (union member tags such as 'list[str]', or the name of a missing key)."""
    node = doc.get(base)
    path: list[Any] = list(base)
    rest: list[Any] = []
    for step in loc:
        if (isinstance(node, dict) and step in node) or (
                isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)):
            node = node[step]
            path.append(step)
        else:
            rest.append(step)
    return tuple(path), tuple(rest)


def _fields_at(model: type[BaseModel], path: Path_) -> list[str] | None:
    """The keys the model accepts at `path` (a path of data steps), or None if not a model there."""
    tp: Any = model
    for step in path:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if step not in tp.model_fields:
                return None
            tp = tp.model_fields[step].annotation
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [info.alias or name for name, info in tp.model_fields.items()]     # as written: `in`, not `source`
    return None


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional: `Annotated[X, ...] | None` -> X."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp

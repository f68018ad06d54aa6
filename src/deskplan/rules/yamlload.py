"""YAML with positions: plain data plus the line and column of every key and value.

ruamel.yaml's round-trip loader keeps positions on collections only (plain scalars are bare
`str`), so a document is converted once into plain Python data and two position tables keyed
by path (`("rules", 0, "then", "sla")`). Validation then works on plain data and asks the
document where a path is when it has something to report. Positions are 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from deskplan.errors import Problem

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Pos:
    line: int
    col: int


@dataclass(frozen=True)
class YamlDoc:
    """One loaded file: its data and where each part of it was written."""

    file: str                                   # the name problems are reported under
    data: Any
    keys: dict[Path_, Pos] = field(default_factory=dict)     # path of a mapping entry -> its key
    values: dict[Path_, Pos] = field(default_factory=dict)   # path -> where its value starts

    def key_pos(self, path: Path_) -> Pos:
        """Where the key of `path` was written (falls back to the nearest known ancestor)."""
        return self.keys.get(tuple(path)) or self.value_pos(path)

    def value_pos(self, path: Path_) -> Pos:
        """Where the value at `path` was written, or of its nearest ancestor that exists."""
        path = tuple(path)
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), Pos(1, 1))

    def get(self, path: Path_, default: Any = None) -> Any:
        """The plain value at `path`, or `default` when some step is missing."""
        node = self.data
        for step in path:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def problem(self, path: Path_, message: str, *, at_key: bool = False) -> Problem:
        pos = self.key_pos(path) if at_key else self.value_pos(path)
        return Problem(self.file, pos.line, pos.col, message)


class YamlSyntaxError(Exception):
    """The text is not YAML; `problem` says where and why."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def load_yaml(path: Path, name: str | None = None) -> YamlDoc:
    """Read a YAML file. Raises YamlSyntaxError (with the position) for invalid YAML,
    duplicate keys included."""
    return load_yaml_text(path.read_text(encoding="utf-8"), name or str(path))


def load_yaml_text(text: str, name: str) -> YamlDoc:
    yaml = YAML(typ="rt")
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        text = f"YAML syntax: {_describe(exc)}"
        start = exc.context_mark
        if start is not None and mark is not start and (start.line, start.column) != (mark.line, mark.column):
            text += f" (it starts at line {start.line + 1}, column {start.column + 1})"
        raise YamlSyntaxError(Problem(name, line, col, text)) from None
    except YAMLError as exc:
        raise YamlSyntaxError(Problem(name, 1, 1, f"YAML syntax: {exc}")) from None
    keys: dict[Path_, Pos] = {}
    values: dict[Path_, Pos] = {(): _own_pos(root) or Pos(1, 1)}
    data = _plain(root, (), keys, values)
    return YamlDoc(name, data, keys, values)


def _describe(exc: MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    text = ", ".join(parts) or str(exc)
    return " ".join(text.split())


def _own_pos(node: Any) -> Pos | None:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return None
    return Pos(lc.line + 1, lc.col + 1)


def _plain(node: Any, path: Path_, keys: dict[Path_, Pos], values: dict[Path_, Pos]) -> Any:
    """Plain dict/list/scalars from ruamel's round-trip objects, recording positions."""
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            key = _scalar(key)
            child = (*path, key)
            if key in node.lc.data:
                line, col = node.lc.key(key)
                if line is not None:
                    keys[child] = Pos(line + 1, col + 1)
                vline, vcol = node.lc.value(key)
                if vline is not None:
                    values[child] = Pos(vline + 1, vcol + 1)
            out[key] = _plain(value, child, keys, values)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for index, value in enumerate(node):
            child = (*path, index)
            if index in node.lc.data:
                line, col = node.lc.item(index)
                values[child] = Pos(line + 1, col + 1)
            out_list.append(_plain(value, child, keys, values))
        return out_list
    return _scalar(node)


def _scalar(value: Any) -> Any:
    # ruamel's scalar subclasses (ScalarFloat, ScalarBoolean, TimeStamp …) carry formatting
    # state; downstream code wants the plain builtin types.
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, datetime):
        return datetime.combine(value.date(), value.timetz())
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, str):
        return str(value)
    return value

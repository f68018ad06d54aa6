"""YAML with positions: plain data plus the line and column of every key and value.

ruamel.yaml's round-trip loader keeps positions on collections only (plain scalars are bare
`str`), so a document is converted once into plain Python data and two position tables keyed
by path (`("rules", 0, "then", "sla")`). Validation then works on plain data and asks the
document where a path is when it has something to report. Positions are 1-based.

A file is loaded within limits (README, "rules/*.yaml": limits): its size, how deeply it
nests, how many aliases it uses and how much they repeat, so that a file that would take
minutes and gigabytes (a "billion laughs" of nested aliases) is a problem at FILE:LINE:COL
in a second. A date that cannot be (2026-04-31) is kept as its text, for validation to report
at its key like any other wrong value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, StreamMark, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from deskplan.errors import Problem

Path_ = tuple[Any, ...]

MAX_FILE_BYTES = 1024 * 1024
"""The largest plan, rule or rule test file: 1 MiB. The example rules take 5 KB, and a
thousand rules written by hand some 300 KB; the YAML loader reads about 300 KB a second, so a
file at the limit loads in a few seconds, and one of 50 MB is refused before it is read."""

MAX_YAML_DEPTH = 64
"""How deeply mappings and lists may nest (the top level is 1). A rule sits at level 3, and
each `all`/`any` adds two levels: 64 leaves room for conditions nested some thirty deep, far
more than anyone writes, while the loader and the condition compiler, which recurse once a
level, stay well inside Python's recursion limit."""

MAX_ALIASES = 10_000
"""Aliases (`*name`) in one file. A file may reuse a condition or a calendar by anchor in
every rule; ten thousand is five per rule at the rule limit."""

MAX_ALIAS_NODES = 100_000
"""Values the aliases of one file add when expanded, added up. A condition of ten values
reused by two thousand rules adds 20,000; nested aliases that multiply (each naming several
of the one before) pass this after a few levels, where they would have made billions."""

FW_COLON, FW_COMMA, FW_SPACE = "\uff1a", "\uff0c", "\u3000"
"""What an input method left in full-width mode types for `:`, `,` and a space."""


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
    duplicate keys included, for a file past the limits and for one that cannot be read;
    FileNotFoundError when there is none."""
    name = name or str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise YamlSyntaxError(Problem(name, 1, 1, f"cannot read: {exc.strerror or exc}")) from None
    if len(data) > MAX_FILE_BYTES:
        raise YamlSyntaxError(Problem(name, 1, 1, f"the file is larger than {MAX_FILE_BYTES // 1024:,} KiB "
                                                  f"({MAX_FILE_BYTES:,} bytes), the most deskplan reads"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlSyntaxError(Problem(name, line, col, "not UTF-8 text: save the file as UTF-8")) from None
    return load_yaml_text(text, name)


def reread_yaml(path: Path) -> YamlDoc | None:
    """A file that loaded once, read again for the positions of problems found later; None when
    it can no longer be read (changed or removed since): the caller places them at its start."""
    try:
        return load_yaml(path, str(path))
    except (OSError, YamlSyntaxError):
        return None


class _LimitReached(Exception):
    """A limit of the loader, at a position in the text."""

    def __init__(self, mark: StreamMark, message: str):
        self.line, self.col = mark.line + 1, mark.column + 1
        super().__init__(message)


class _BoundedComposer(Composer):
    """ruamel's composer, counting what it composes: nesting depth, aliases, and the values
    the aliases stand for (each alias adds the size of the node it names, nested aliases
    expanded, as the plain data will hold it). An alias inside the node it names is refused:
    it would make data without end."""

    def __init__(self, loader: Any = None):
        super().__init__(loader)
        self.alias_count = 0
        self.alias_nodes = 0
        self.open_anchors: set[Any] = set()
        self.sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise _LimitReached(event.start_mark, f"more than {MAX_ALIASES:,} aliases in one file")
            if event.anchor in self.open_anchors:
                raise _LimitReached(event.start_mark, f"the alias *{event.anchor} is inside the value it names, "
                                                      "so it would repeat without end")
            node = super().compose_node(parent, index)
            self.alias_nodes += self._size(node)
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise _LimitReached(event.start_mark, f"the aliases of this file stand for more than "
                                                      f"{MAX_ALIAS_NODES:,} values (aliases that repeat aliases?)")
            return node
        if self.depth >= MAX_YAML_DEPTH:
            raise _LimitReached(event.start_mark, f"nested more than {MAX_YAML_DEPTH} levels deep")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.open_anchors.discard(anchor)

    def _size(self, node: Node) -> int:
        """Values in `node` with its aliases expanded; each node is counted once (iteratively,
        children before parents)."""
        stack: list[tuple[Node, bool]] = [(node, False)]
        while stack:
            current, children_done = stack.pop()
            if id(current) in self.sizes:
                continue
            children = _children(current)
            if children_done or not children:
                self.sizes[id(current)] = 1 + sum(self.sizes.get(id(c), 1) for c in children)
            else:
                stack.append((current, True))
                stack.extend((c, False) for c in children if id(c) not in self.sizes)
        return self.sizes[id(node)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, except that a timestamp that names no real day or
    time (2026-04-31, 2026-13-01) stays the text it was: validation then reports it at its
    key, naming the entry, as it does any value of the wrong kind."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return str(node.value)


_Constructor.add_default_constructor("timestamp")


def load_yaml_text(text: str, name: str) -> YamlDoc:
    if len(text) > MAX_FILE_BYTES:
        raise YamlSyntaxError(Problem(name, 1, 1, f"the text is longer than {MAX_FILE_BYTES:,} characters, "
                                                  "the most deskplan reads"))
    yaml = YAML(typ="rt")
    yaml.Composer = _BoundedComposer
    yaml.Constructor = _Constructor
    try:
        root = yaml.load(text)
    except _LimitReached as exc:
        raise YamlSyntaxError(Problem(name, exc.line, exc.col, str(exc))) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        start_line = exc.context_mark.line + 1 if exc.context_mark is not None else line
        typed = typing_slip(text, min(start_line, line), line)
        if typed is not None:
            # The parser's own words ("found character '\t' that cannot start any token", or a
            # missing ':' a line later) do not say what to type: the slip does, where it is.
            raise YamlSyntaxError(Problem(name, *typed)) from None
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
    for path, pos in keys.items():
        # A slip YAML happens to accept: `{group<full-width colon> Billing}` is one key, a line
        # indented with full-width spaces a key that starts with them; no key deskplan reads is so.
        slip = _slip_in_key(path[-1])
        if slip is not None:
            raise YamlSyntaxError(Problem(name, pos.line, pos.col + slip[0], slip[1]))
    return YamlDoc(name, data, keys, values)


def _slip_in_key(key: Any) -> tuple[int, str] | None:
    """(offset in the key, message) of a full-width colon after a name, or of a full-width
    space that starts the key."""
    if not isinstance(key, str):
        return None
    if key.startswith(FW_SPACE):
        return 0, ("a full-width space (U+3000) in the indentation: YAML indents with ASCII spaces only; "
                   "type spaces instead")
    match = _KEY_THEN_COLON.match(key)
    rest = key[match.end():] if match is not None else ""
    # A full-width colon then a space (`{group<colon> Billing}`) is a slip; with none after it
    # (`Support<colon>L1`) it may be a name someone chose, such as an owner's.
    if match is not None and (not rest or rest[0].isspace()):
        return key.index(FW_COLON), _colon_after(match.group(1))
    return None


_KEY_THEN_COLON = re.compile(rf"^\s*(?:-\s+)?([A-Za-z_][\w.-]*)\s*{FW_COLON}")


def typing_slip(text: str, first: int, last: int) -> tuple[int, int, str] | None:
    """(line, column, message) of a typing slip that breaks YAML between lines `first` and `last`
    (1-based, the parser's error and where its construct began): a tab in the indentation, or a
    full-width colon, comma or space (an input method left in full-width mode) where YAML needs
    the ASCII one. The slip nearest the error wins; None when there is none (then the parser's
    message stands). Full-width punctuation inside a value, such as a Chinese title, is no slip."""
    lines = text.splitlines()
    for number in range(min(last, len(lines)), 0, -1):
        found = _slip_on(lines, number)
        if found is not None and (number >= first or number == last - 1 or _blank_between(lines, number, last)):
            return found
    return None


def _blank_between(lines: list[str], number: int, last: int) -> bool:
    """Whether only blank or comment lines lie between line `number` and line `last`."""
    return all(not line.strip() or line.lstrip().startswith("#") for line in lines[number:last - 1])


def _slip_on(lines: list[str], number: int) -> tuple[int, int, str] | None:
    line = lines[number - 1]
    indent = len(line) - len(line.lstrip(f" \t{FW_SPACE}"))
    lead = line[:indent]
    if "\t" in lead:
        return number, lead.index("\t") + 1, (
            f"a tab in the indentation: YAML indents with spaces only; type spaces instead{_indent_of(lines, number)}")
    if FW_SPACE in lead:
        return number, lead.index(FW_SPACE) + 1, (
            f"a full-width space (U+3000) in the indentation: YAML indents with ASCII spaces only; type spaces "
            f"instead{_indent_of(lines, number)}")
    key = _KEY_THEN_COLON.match(line)
    if key is not None:
        at = line.index(FW_COLON, key.end(1))
        return number, at + 1, _colon_after(key.group(1))
    code = line.split(" #", 1)[0]
    at = code.find(FW_COLON, indent)
    if at >= 0 and re.match(r"\s*(?:-\s+)?[^\s'\"]", code) and ":" not in code[:at]:
        # A key typed in Chinese, or a stray full-width colon before the first ASCII one.
        return number, at + 1, f"a full-width colon '{FW_COLON}': YAML needs an ASCII colon and a space; type ': '"
    at = code.find(FW_COMMA, indent)
    if at >= 0 and ("[" in code[:at] or "{" in code[:at]):
        return number, at + 1, (f"a full-width comma '{FW_COMMA}' in a [list] or {{mapping}}: YAML separates items "
                                "with an ASCII comma; type ', '")
    at = code.find(FW_SPACE, indent)
    if at > 0 and code[at - 1] in ":-":
        return number, at + 1, (f"a full-width space (U+3000) after '{code[at - 1]}': YAML needs an ASCII space "
                                f"there; type '{code[at - 1]} '")
    return None


def _colon_after(key: str) -> str:
    return f"a full-width colon '{FW_COLON}' after `{key}`: YAML needs an ASCII colon and a space; type `{key}: `"


def _indent_of(lines: list[str], number: int) -> str:
    """` (line N is indented K spaces)`: the line above with content, whose indentation the
    slip most likely meant to match."""
    for above in range(number - 1, 0, -1):
        line = lines[above - 1]
        if line.strip() and not line.lstrip().startswith("#"):
            spaces = len(line) - len(line.lstrip(" "))
            if line[spaces:spaces + 1] in ("\t", FW_SPACE):
                continue
            if not spaces:
                return f" (line {above} is not indented)"
            return f" (line {above} is indented {spaces} space{'s' if spaces != 1 else ''})"
    return ""


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

"""Change a few scalars of a YAML file and leave every other byte as it was.

A round-trip dump (ruamel.yaml's own) keeps comments but re-indents lists, realigns comments
and may rewrap long lines, which turns a one-value change into a diff of the whole file. So
the file is composed with ruamel.yaml's round-trip loader, which knows where each scalar
starts and ends in the text, and only those characters are replaced: `plan.yaml` keeps its
comments, blank lines, quoting and layout byte for byte. A missing key is inserted just
before a sibling key, on a line of its own in a block mapping (`baseline: 85%`, indented like
its siblings) or as `baseline: 85%, ` in a flow mapping.

The result is read back and compared with what was meant (the old data with exactly these
values changed); anything else (the value behind an anchor that other entries share, a
multi-line scalar) is an EditError and nothing is changed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from deskplan.errors import ConfigError
from deskplan.rules.yamlload import Path_, YamlSyntaxError, _BoundedComposer, load_yaml_text


class EditError(ConfigError):
    """The file cannot be changed in place as asked; nothing was changed."""


@dataclass(frozen=True)
class Edit:
    """Set the scalar at `path` (`("goals", 0, "baseline")`) to `text`, written as it is to
    stand in the file (`82.4%`, `2026-11-01`). When the key is missing, it is inserted before
    the sibling key `before`."""

    path: Path_
    text: str
    before: str | None = None


def edit_scalars(text: str, edits: Sequence[Edit], name: str) -> str:
    """`text` with each edit made; EditError, naming `name`, when one cannot be made exactly."""
    root = _compose(text, name)
    splices: list[tuple[int, int, str]] = []
    for edit in edits:
        parent = _node_at(root, edit.path[:-1])
        if not isinstance(parent, MappingNode):
            raise EditError(f"{name}: {_dotted(edit.path[:-1])} is not a mapping; nothing was changed")
        key = edit.path[-1]
        key_node, found = next(((k, v) for k, v in parent.value if isinstance(k, ScalarNode) and k.value == key),
                               (None, None))
        if key_node is not None and isinstance(found, ScalarNode):
            start, end = found.start_mark.index, found.end_mark.index
            if end == start:
                # `key:` with no value: its (empty) scalar is marked at the next token; write after the colon.
                colon = text.find(":", key_node.end_mark.index)
                splices.append((colon + 1, colon + 1, f" {edit.text}"))
            else:
                splices.append((start, end, edit.text))
            continue
        if found is not None:
            raise EditError(f"{name}: {_dotted(edit.path)} is not a single value; nothing was changed")
        anchor = next((k for k, _ in parent.value if isinstance(k, ScalarNode) and k.value == edit.before), None)
        if anchor is None:
            raise EditError(f"{name}: {_dotted(edit.path)} is missing and there is no "
                            f"`{edit.before}` to put it before; nothing was changed")
        at = anchor.start_mark.index
        if parent.flow_style:
            splices.append((at, at, f"{key}: {edit.text}, "))
        else:
            splices.append((at, at, f"{key}: {edit.text}\n{' ' * anchor.start_mark.column}"))
    out = text
    for start, end, replacement in sorted(splices, key=lambda s: s[0], reverse=True):
        out = out[:start] + replacement + out[end:]
    _verify(text, out, edits, name)
    return out


def _compose(text: str, name: str) -> Node:
    yaml = YAML(typ="rt")
    yaml.Composer = _BoundedComposer
    try:
        node = yaml.compose(text)
    except YAMLError as exc:
        raise EditError(f"{name}: cannot be read as YAML ({type(exc).__name__}); nothing was changed") from None
    if node is None:
        raise EditError(f"{name}: the file is empty; nothing was changed")
    return node


def _node_at(node: Node, path: Path_) -> Node | None:
    for step in path:
        if isinstance(node, MappingNode):
            match = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == step), None)
        elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            match = node.value[step]
        else:
            return None
        if match is None:
            return None
        node = match
    return node


def _verify(before: str, after: str, edits: Sequence[Edit], name: str) -> None:
    try:
        expected = copy.deepcopy(load_yaml_text(before, name).data)
        for edit in edits:
            _set(expected, edit.path, load_yaml_text(f"value: {edit.text}\n", name).data["value"])
        got = load_yaml_text(after, name).data
    except YamlSyntaxError as exc:
        raise EditError(f"{name}: the edited file would not be valid YAML ({exc.problem.message}); "
                        "nothing was changed") from None
    if got != expected:
        raise EditError(f"{name}: {', '.join(_dotted(e.path) for e in edits)} cannot be changed in place "
                        "(a value shared through an anchor, or written over several lines?); nothing was changed")


def _set(data: Any, path: Path_, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path) or "the document"

"""JSON of any nesting depth, read without recursion: the HTTP client's last resort.

orjson stops at 1,024 levels and the standard library's reader at about 1,000 (RecursionError).
A helpdesk page holding one item nested deeper (a custom field 5,000 levels deep) would then be
unreadable as a whole, and every good ticket on it lost with it, on every run. This reader takes
the page apart with an explicit stack instead; the store then quarantines the one record it
cannot keep (state/store.py) and keeps the rest. It reads what the standard library reads
(NaN and Infinity included), at a fraction of its speed: only pathological pages come here.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]   # the C string scanner, public in practice
from typing import Any

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS = (("null", None), ("true", True), ("false", False), ("NaN", float("nan")),
             ("Infinity", float("inf")), ("-Infinity", float("-inf")))


def loads(body: bytes | str) -> Any:
    """The JSON value of `body` (bytes in any encoding `json.loads` detects); ValueError if it is not JSON."""
    text = body if isinstance(body, str) else body.decode(json.detect_encoding(body), "surrogatepass")
    containers: list[list[Any] | dict[str, Any]] = []
    keys: list[str] = []            # the pending key of each open object (lists keep a placeholder)
    i = _skip(text, 0)
    while True:
        value, i, opened = _value(text, i)
        if opened is not None:
            containers.append(opened)
            keys.append("")
            if isinstance(opened, dict):
                keys[-1], i = _key(text, i)
            continue
        while True:                 # place the value, then close every container that ends here
            if not containers:
                if _skip(text, i) != len(text):
                    raise ValueError(f"extra data at {i}")
                return value
            top = containers[-1]
            if isinstance(top, list):
                top.append(value)
            else:
                top[keys[-1]] = value
            i = _skip(text, i)
            char = text[i:i + 1]
            if char == ",":
                i = _skip(text, i + 1)
                if isinstance(top, dict):
                    keys[-1], i = _key(text, i)
                break
            if char != ("]" if isinstance(top, list) else "}"):
                raise ValueError(f"expected ',' or the container's end at {i}")
            i += 1
            value = containers.pop()
            keys.pop()


def _skip(text: str, i: int) -> int:
    match = _WHITESPACE.match(text, i)
    return match.end() if match else i


def _key(text: str, i: int) -> tuple[str, int]:
    """An object's key and the position of its value."""
    if text[i:i + 1] != '"':
        raise ValueError(f"expected a key at {i}")
    key, i = scanstring(text, i + 1, True)
    i = _skip(text, i)
    if text[i:i + 1] != ":":
        raise ValueError(f"expected ':' at {i}")
    return key, _skip(text, i + 1)


def _value(text: str, i: int) -> tuple[Any, int, list[Any] | dict[str, Any] | None]:
    """A scalar or an empty container and the position after it, or a container just opened
    (third item) and the position of its first element."""
    char = text[i:i + 1]
    if char in ("[", "{"):
        j = _skip(text, i + 1)
        closer = "]" if char == "[" else "}"
        empty: list[Any] | dict[str, Any] = [] if char == "[" else {}
        if text[j:j + 1] == closer:
            return empty, j + 1, None
        return None, j, empty
    if char == '"':
        string, end = scanstring(text, i + 1, True)
        return string, end, None
    for word, literal in _LITERALS:
        if text.startswith(word, i):
            return literal, i + len(word), None
    match = _NUMBER.match(text, i)
    if match is None:
        raise ValueError(f"expected a value at {i}")
    whole, fraction, exponent = match.groups()
    number = float(whole + (fraction or "") + (exponent or "")) if fraction or exponent else int(whole)
    return number, match.end(), None

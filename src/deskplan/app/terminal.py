"""Text from tickets, shown on a terminal: control characters appear as escapes, never act.

A subject, a group name or a comment is whatever a customer or an agent typed: it may hold an
escape sequence that recolours, moves the cursor or rewrites what the terminal showed before,
a bidirectional override that reorders a line, or a lone UTF-16 surrogate that cannot be
printed at all. Each becomes its visible escape (`\\x1b`, `\\u202e`, `\\ud800`).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line and paragraph separators, bidirectional marks and overrides,
# lone surrogates. (A tab is kept where text spans lines: `multiline`.)
_UNSAFE = "\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_IN_LINE = re.compile(f"[\t{_UNSAFE}]")
_IN_LINES = re.compile(f"[{_UNSAFE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """One line of text, safe to print: every control character (tabs too) as its escape."""
    return _IN_LINE.sub(_escape, text)


def printable_line(text: str) -> str:
    """A line of a longer text (a comment's body), safe to print: tabs are kept."""
    return _IN_LINES.sub(_escape, text)

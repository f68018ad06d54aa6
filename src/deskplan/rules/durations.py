"""Durations as rule owners write them: `30m`, `12h`, `2d`, `1h30m`.

One or more `<number><unit>` parts, largest unit first, each unit at most once; units are
`w` (weeks), `d` (days), `h` (hours), `m` (minutes). Whether a duration counts wall-clock
or business time is decided where it is used (an SLA target runs on its calendar), never here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
PATTERN = r"^(?=\d)(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?$"
EXAMPLES = "30m, 12h, 2d or 1h30m"

_PART = re.compile(r"(\d+)([wdhm])")
_WHOLE = re.compile(PATTERN)


class DurationError(ValueError):
    """Not a duration; the message says what was given and what is expected."""


def parse_duration(text: object) -> timedelta:
    """`"1h30m"` -> 90 minutes. Raises DurationError for anything else, zero included."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, bool) or not isinstance(text, str):
        raise DurationError(f"expected a duration such as {EXAMPLES}, got {text!r}")
    compact = text.strip()
    if not compact or not _WHOLE.match(compact):
        raise DurationError(f"invalid duration {text!r}: expected a duration such as {EXAMPLES}")
    total = sum((int(n) * UNITS[unit] for n, unit in _PART.findall(compact)), timedelta())
    if not total:
        raise DurationError(f"invalid duration {text!r}: a duration must be longer than zero")
    return total


def format_duration(value: timedelta) -> str:
    """The shortest spelling parse_duration reads back: 90 minutes -> `1h30m`, 2 days -> `2d`."""
    return "".join(_days_hours_minutes(value)) or "0m"


def _days_hours_minutes(value: timedelta) -> list[str]:
    """`["2d", "17h", "30m"]`, the parts that are not zero."""
    minutes = int(value.total_seconds() // 60)
    parts = []
    for unit, size in (("d", 1440), ("h", 60), ("m", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count}{unit}")
    return parts


def format_hours(value: timedelta) -> str:
    """Hours and minutes, never days: 24 hours -> `24h`, 466.5 hours -> `466h30m`. How business
    time is shown (SLA targets, elapsed, remaining): a "day" of business time would read as 24
    working hours to some and as one working day to others. parse_duration reads it back."""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours}h{minutes}m"
    return f"{hours}h" if hours else f"{minutes}m"


def format_wall(value: timedelta) -> str:
    """Time on the clock, days first, parts apart: `16d 11h`, `2d 17h 30m`, `45m`; apart from
    business time (`format_hours`) at a glance. Not for files: parse_duration does not read it."""
    return " ".join(_days_hours_minutes(value)) or "0m"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PATTERN, "description": f"a duration such as {EXAMPLES}"}),
]
"""A pydantic field type for durations in plan and rule files."""

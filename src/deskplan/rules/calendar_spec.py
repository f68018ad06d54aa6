"""A business calendar as plan.yaml writes it (README, "plan.yaml"), validated with clear messages.

```yaml
support-hours:
  timezone: Asia/Shanghai
  hours:                                  # day ranges -> intervals; several a day
    mon-fri: ["09:00-12:00", "13:00-18:00"]
    sat: ["10:00-14:00"]
    fri: ["22:00-06:00"]                  # an end before its start crosses midnight
  holidays: {country: CN, dates: [2026-12-24]}
  extra_workdays: [2026-12-26]            # worked with Monday's hours
```

Day ranges are `mon`..`sun`, ranges (`mon-fri`, `fri-mon` wraps over the week end) and
comma lists (`mon,wed,fri`). Intervals are `HH:MM-HH:MM`; `24:00` may end one. An interval
belongs to the day it starts on: `fri: ["22:00-06:00"]` runs from Friday 22:00 to Saturday
06:00, and a holiday on Saturday does not cut it short. Intervals may not overlap, neither on
one day nor where an overnight interval runs into the next day's.

Every problem is reported with a `loc` that points at what the user wrote — `("hours",
"mon-fry")` for a day range, `("hours", "sat", 1)` for an interval, `("timezone",)` — so the
plan loader can turn it into FILE:LINE:COL. This module only validates; the runtime
`Calendar` (calendar.py) is built from a valid spec.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import holidays as holidays_lib
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY = 0
DAY = 24 * 3600

DAY_RANGE_PATTERN = r"^\s*[A-Za-z]{3}(\s*-\s*[A-Za-z]{3})?(\s*,\s*[A-Za-z]{3}(\s*-\s*[A-Za-z]{3})?)*\s*$"
INTERVAL_PATTERN = r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$"

_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

WeeklyHours = tuple[tuple[tuple[int, int], ...], ...]
"""Seven tuples (Monday first) of `(start, end)` in seconds after that day's midnight,
sorted; `end` exceeds 86400 for an interval that crosses midnight."""


class SpecError(ValueError):
    """One problem in a calendar entry; `message` is what the user reads."""


@dataclass(frozen=True)
class Interval:
    """One working interval of a day, in seconds after its midnight (end > start)."""

    start: int
    end: int
    text: str

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds if seconds == DAY else seconds % DAY, 3600)
    return f"{hours:02d}:{rest // 60:02d}"


def _suggest(word: str, choices: Iterator[str] | tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_day_range(text: str) -> tuple[int, ...]:
    """`"mon-fri"` -> (0, 1, 2, 3, 4); `"fri-mon"` wraps; `"mon,wed"` lists. Monday is 0."""
    days: set[int] = set()
    for part in str(text).split(","):
        first, dash, last = (p.strip().lower() for p in part.partition("-"))
        start = _day_index(first, text)
        stop = _day_index(last, text) if dash else start
        span = (stop - start) % 7
        days.update((start + i) % 7 for i in range(span + 1))
    return tuple(sorted(days))


def _day_index(name: str, text: str) -> int:
    if name in DAY_NAMES:
        return DAY_NAMES.index(name)
    raise SpecError(
        f"unknown day {name!r} in day range {text!r}{_suggest(name, DAY_NAMES)}: "
        "use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri or a list such as mon,wed,fri"
    )


def parse_interval(text: str) -> Interval:
    """`"09:00-12:00"` -> Interval(32400, 43200); `"22:00-06:00"` ends at 30:00 (next day)."""
    match = _INTERVAL.match(str(text))
    if not match:
        raise SpecError(f"invalid interval {text!r}: expected HH:MM-HH:MM, such as 09:00-18:00 or 22:00-06:00")
    start = _time_of_day(int(match[1]), int(match[2]), text, may_be_midnight_end=False)
    end = _time_of_day(int(match[3]), int(match[4]), text, may_be_midnight_end=True)
    if end == start:
        raise SpecError(f"invalid interval {text!r}: it starts where it ends; write 00:00-24:00 for a whole day")
    if end < start:
        end += DAY   # crosses midnight into the next day
    return Interval(start, end, str(text))


def _time_of_day(hour: int, minute: int, text: str, *, may_be_midnight_end: bool) -> int:
    if (hour, minute) == (24, 0) and may_be_midnight_end:
        return DAY
    if hour > 23 or minute > 59:
        raise SpecError(
            f"invalid interval {text!r}: {hour:02d}:{minute:02d} is not a time of day "
            "(00:00 to 23:59, and 24:00 only as an end)"
        )
    return hour * 3600 + minute * 60


@cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _countries() -> dict[str, tuple[str, ...]]:
    return {code: tuple(subdivs) for code, subdivs in holidays_lib.list_supported_countries().items()}


def _custom_error(kind: str, message: str) -> PydanticCustomError:
    # The message is passed as a context value so that braces in user input stay literal.
    return PydanticCustomError(kind, "{message}", {"message": message})


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HolidaysSpec(_Spec):
    """Non-working days: a country's public holidays (the `holidays` library) and/or dates."""

    country: str | None = Field(
        None, description="ISO 3166 country code whose public holidays are days off, e.g. CN, US, DE",
    )
    subdiv: str | None = Field(None, description="the country's subdivision (state, province), e.g. CA for US")
    dates: tuple[date, ...] = Field((), description="further days off, e.g. 2026-12-24")

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in _countries():
            raise _custom_error(
                "unknown_country",
                f"unknown country code {value!r}{_suggest(code, list(_countries()))}: "
                "use an ISO 3166 code that the holidays library knows, such as CN, US or DE",
            )
        return code

    @model_validator(mode="after")
    def _known_subdivision(self) -> HolidaysSpec:
        if self.subdiv is None:
            return self
        if self.country is None:
            raise _invalid(("subdiv",), self.subdiv, "subdiv_without_country",
                           "`subdiv` needs `country` beside it")
        known = _countries()[self.country]
        if self.subdiv not in known:
            hint = f"; known: {', '.join(known)}" if known else f"; {self.country} has none"
            raise _invalid(("subdiv",), self.subdiv, "unknown_subdivision",
                           f"unknown subdivision {self.subdiv!r} of {self.country}{hint}")
        return self


class CalendarSpec(_Spec):
    """One entry of plan.yaml's `calendars:` mapping."""

    timezone: str = Field(description="IANA time zone name, e.g. Asia/Shanghai, Europe/Berlin, UTC")
    hours: dict[str, list[str] | str] = Field(
        description="working hours per day range (mon-fri, sat, mon,wed): a list of HH:MM-HH:MM intervals",
        json_schema_extra={
            "propertyNames": {"pattern": DAY_RANGE_PATTERN},
            "additionalProperties": {
                "anyOf": [
                    {"type": "array", "items": {"type": "string", "pattern": INTERVAL_PATTERN}},
                    {"type": "string", "pattern": INTERVAL_PATTERN},
                ]
            },
            "minProperties": 1,
        },
    )
    holidays: HolidaysSpec | None = Field(None, description="days off: {country: CN, dates: [2026-12-24]}")
    extra_workdays: tuple[date, ...] = Field(
        (), description="working days on top of the country's make-up days; they get Monday's hours",
    )

    @field_validator("timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        name = value.strip()
        if name not in _time_zone_names():
            raise _custom_error(
                "unknown_time_zone",
                f"unknown time zone {value!r}{_suggest(name, sorted(_time_zone_names()))}: "
                "use an IANA name such as Asia/Shanghai, Europe/Berlin or UTC",
            )
        return name

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, hours: dict[str, list[str] | str]) -> dict[str, list[str] | str]:
        # Raised as one ValidationError so that every bad entry is reported, each at its key
        # or list index (pydantic puts "hours" in front of these locs).
        problems = list(_hours_problems(hours))
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return hours

    @model_validator(mode="after")
    def _valid_workdays(self) -> CalendarSpec:
        problems = _workday_problems(self)
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def weekly_hours(self) -> WeeklyHours:
        """The intervals of each weekday, Monday first, from a validated spec."""
        return weekly_hours(self.hours)


def weekly_hours(hours: dict[str, list[str] | str]) -> WeeklyHours:
    """Day ranges and interval strings -> seven sorted tuples of (start, end) seconds."""
    week: list[list[tuple[int, int]]] = [[] for _ in DAY_NAMES]
    for key, texts in hours.items():
        for day in parse_day_range(key):
            week[day].extend((i.start, i.end) for i in map(parse_interval, _as_list(texts)))
    return tuple(tuple(sorted(day)) for day in week)


def _as_list(texts: list[str] | str) -> list[str]:
    return [texts] if isinstance(texts, str) else list(texts)


def _hours_problems(hours: dict[str, list[str] | str]) -> Iterator[InitErrorDetails]:
    if not hours:
        yield _detail((), hours, "no_hours", "`hours` needs at least one day range with intervals")
        return
    placed: list[tuple[int, int, str, int | None, Interval]] = []   # (week start, week end, key, index)
    for key, texts in hours.items():
        try:
            days = parse_day_range(key)
        except SpecError as err:
            yield _detail((key,), key, "day_range", str(err))
            continue
        listed = _as_list(texts)
        if not listed:
            yield _detail((key,), texts, "no_intervals", f"{key!r} lists no intervals")
        for index, text in enumerate(listed):
            where = index if isinstance(texts, list) else None
            try:
                interval = parse_interval(text)
            except SpecError as err:
                yield _detail(_loc(key, where), text, "interval", str(err))
                continue
            placed.extend((day * DAY + interval.start, day * DAY + interval.end, key, where, interval) for day in days)
    yield from _overlaps(placed)


def _overlaps(placed: list[tuple[int, int, str, int | None, Interval]]) -> Iterator[InitErrorDetails]:
    """Each interval that starts before an earlier one has ended, around the week."""
    if not placed:
        return
    placed.sort(key=lambda p: (p[0], p[1]))
    week = 7 * DAY
    # What runs latest at the week's end may run on into Monday: it starts the scan, a week back.
    latest = max(placed, key=lambda p: p[1])
    running_end, running = latest[1] - week, latest
    reported: set[tuple[str, int | None]] = set()
    for entry in placed:
        start, end, key, where, interval = entry
        if start < running_end and (key, where) not in reported:
            reported.add((key, where))
            day = DAY_NAMES[start // DAY]
            yield _detail(
                _loc(key, where), interval.text, "overlap",
                f"interval {interval.text!r} of {key!r} overlaps {running[4].text!r} of {running[2]!r} on {day}",
            )
        if end > running_end:
            running_end, running = end, entry


def _workday_problems(spec: CalendarSpec) -> list[InitErrorDetails]:
    problems = []
    off = set(spec.holidays.dates) if spec.holidays else set()
    for index, day in enumerate(spec.extra_workdays):
        if day in off:
            problems.append(_detail(("extra_workdays", index), day.isoformat(), "workday_and_holiday",
                                    f"{day.isoformat()} is both an extra workday and a holiday date"))
    if spec.extra_workdays and not _has_monday(spec.hours):
        problems.append(_detail(("extra_workdays",), [d.isoformat() for d in spec.extra_workdays], "no_monday",
                                "extra workdays are worked with Monday's hours, but `hours` gives Monday none"))
    return problems


def _has_monday(hours: dict[str, list[str] | str]) -> bool:
    try:
        return bool(weekly_hours(hours)[MONDAY])
    except SpecError:
        return True   # already reported as a bad day range or interval


def _loc(key: str, index: int | None) -> tuple[str | int, ...]:
    return (key,) if index is None else (key, index)


def _detail(loc: tuple[str | int, ...], value: Any, kind: str, message: str) -> InitErrorDetails:
    return InitErrorDetails(type=_custom_error(kind, message), loc=loc, input=value)


def _invalid(loc: tuple[str | int, ...], value: Any, kind: str, message: str) -> ValidationError:
    return ValidationError.from_exception_data("HolidaysSpec", [_detail(loc, value, kind, message)])

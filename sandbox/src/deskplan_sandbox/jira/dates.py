"""Jira's ways of writing instants: REST datetimes, JSM DateDTO/DurationDTO, epoch milliseconds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (floor, as Jira stores them)."""
    return (moment - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


@lru_cache(maxsize=8192)
def jira_datetime(moment: datetime, zone: ZoneInfo) -> str:
    """`2022-12-08T02:22:18.889-0800`: milliseconds and an offset without a colon.

    Written out by hand and cached: loading a large site formats hundreds of thousands of these.
    """
    local = moment.astimezone(zone)
    # (astimezone made `local` aware, so utcoffset() is never None; no check on this hot path)
    offset = int(local.utcoffset().total_seconds()) // 60      # type: ignore[union-attr]
    sign = "-" if offset < 0 else "+"
    offset = abs(offset)
    return (f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:{local.minute:02d}:"
            f"{local.second:02d}.{local.microsecond // 1000:03d}{sign}{offset // 60:02d}{offset % 60:02d}")


def parse_jira_datetime(text: str) -> datetime:
    """Reads Jira's REST datetimes (also ISO forms with a colon in the offset or a `Z`).

    `fromisoformat` reads all of them since Python 3.11, several times faster than `strptime`
    (the SLA fields parse every change and comment of an issue each time they are rendered)."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"datetime without an offset: {text!r}")
    return parsed


def date_dto(moment: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """JSM `DateDTO`. `friendly` is for people (localised on real sites) — clients use epochMillis."""
    local = moment.astimezone(zone)
    jira = jira_datetime(moment, zone)
    # Written out by hand, not by strftime (several times slower): every SLA field of every
    # issue of a search page carries a few of these. `iso8601` is `jira` without milliseconds.
    hour = local.hour
    return {
        "iso8601": jira[:19] + jira[23:],
        "jira": jira,
        "friendly": (f"{local.day:02d}/{_MONTHS[local.month - 1]}/{local.year % 100:02d} "
                     f"{hour % 12 or 12:02d}:{local.minute:02d} {'AM' if hour < 12 else 'PM'}"),
        "epochMillis": to_ms(moment),
    }


def duration_dto(millis: int) -> dict[str, Any]:
    """JSM `DurationDTO`; `friendly` as `3h 20m` (negative when an SLA is breached)."""
    sign = "-" if millis < 0 else ""
    minutes = abs(millis) // 60_000
    return {"millis": millis, "friendly": f"{sign}{minutes // 60}h {sign}{minutes % 60}m"}

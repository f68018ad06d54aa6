"""The persisted position of the Jira issue pull, and the JQL that resumes from it.

Search page tokens expire after 7 days and are bound to one query, so the cursor is a
watermark instead: the highest millisecond `fields.updated` processed, plus the issues
already processed in the last `overlap` before it, each with the version (`updated`)
that was processed. JQL date literals only have minute precision and are read in the
API user's profile time zone; the query therefore starts at the watermark minus the
overlap, rendered in that zone and rounded down to the minute, and every issue the
search returns is re-checked here on its millisecond `updated`:

- older than the overlap window: processed in an earlier run (returned only because
  JQL rounds to the minute) -> dropped;
- the same id at the same or an older `updated` as recorded -> dropped (already done);
- anything else -> processed, including an issue that the eventually consistent search
  index shows late, as long as it is late by less than the overlap.

So an issue changed in the same minute, or the same millisecond, as the watermark is
neither lost nor processed twice.

The index does not catch up in order: a change can surface after later ones, and one that
surfaces more than the overlap after the watermark passed it would be missed. So once the
watermark has moved `RECONCILE_EVERY_MS` on since the last reconciliation (`reconciled_ms`),
or an hour has passed on the host's clock since it (`reconciled_at`: a quiet site's last
changes are settled too), a pull reaches back to `RECONCILE_SPAN_MS` before that point and
admits every version it has not processed: a change the index shows up to half an hour late is
then pulled, at the cost of reading the issues changed in that span and since again, about once
an hour (the store rewrites none of those it already holds unchanged). A first, full pull is a
reconciliation. The host's clock only measures the hour between two reconciliations, so its
skew against the helpdesk's does not matter.

Atlassian documents the index's lag as "a few seconds to minutes", longer for bulk operations,
with no bound; a change later than the span would be missed silently. So a reconciliation also
measures how late the changes it finds were. It keeps (`tail`) the versions it read in the span
before the mark it reached; the next one, reading that span again, tells a version the last one
read from one it passed unseen (`updated` before that mark, not in the tail), which surfaced at
least `reconciled_at - updated` late (the host's clock against the helpdesk's this once: a skew
of seconds moves a threshold of minutes little).
One late by more than half the span widens it (`span_ms`, kept in the cursor) to twice that, up
to `MAX_RECONCILE_SPAN_MS`, and the sync says so. It stays that wide (an index that was that late
once, in a bulk edit, can be again; narrowing after quiet hours would miss the next one), at the
bounded cost of reading up to five hours of changes once an hour. A change later than the widest
span can still be missed: the warning names `deskplan sync --full`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_OVERLAP_MS = 5 * 60 * 1000      # search index lag is "seconds to minutes" (Atlassian, "Search and reconcile")
RECONCILE_EVERY_MS = 60 * 60 * 1000     # of watermark progress between two reconciliations
RECONCILE_SPAN_MS = 30 * 60 * 1000      # how far before the last reconciliation the next one reaches
MAX_RECONCILE_SPAN_MS = 4 * 60 * 60 * 1000   # the widest: a reconciliation then reads 5 hours of changes
JQL_TIME_FORMAT = "%Y/%m/%d %H:%M"
# When /myself hides the time zone, render in the westernmost zone: a wall time read in
# any other zone is then an earlier instant, so the bound can only include more.
WESTERNMOST = "Etc/GMT+12"


@dataclass(frozen=True)
class Watermark:
    updated_ms: int = 0
    seen: Mapping[str, int] = field(default_factory=dict)    # issue id -> updated_ms processed
    reconciled_ms: int = 0          # how far the last reconciliation (or full pull) has read
    reconciled_at: int = 0          # when it did, in ms on the host's clock (0: not known)
    span_ms: int = RECONCILE_SPAN_MS    # how far before that the next reconciliation reaches
    # issue id -> `updated` of the versions the last reconciliation read from `tail_ms` (its reach,
    # at most `span_ms` before `reconciled_ms`) on (None: not known, a cursor written before it was kept)
    tail: Mapping[str, int] | None = None
    tail_ms: int = 0

    @classmethod
    def from_cursor(cls, cursor: Mapping[str, Any] | None) -> Watermark:
        if not cursor:
            return cls()
        updated = int(cursor["updated_ms"])
        return cls(updated, {str(k): int(v) for k, v in cursor.get("seen", {}).items()},
                   int(cursor.get("reconciled_ms", updated)), int(cursor.get("reconciled_at", 0)),
                   int(cursor.get("span_ms", RECONCILE_SPAN_MS)),
                   *_tail(cursor.get("tail")))

    def to_cursor(self) -> dict[str, Any]:
        cursor = {"updated_ms": self.updated_ms, "seen": dict(sorted(self.seen.items())),
                  "reconciled_ms": self.reconciled_ms, "reconciled_at": self.reconciled_at}
        if self.span_ms != RECONCILE_SPAN_MS:
            cursor["span_ms"] = self.span_ms
        if self.tail is not None:
            cursor["tail"] = {"from": self.tail_ms, "read": dict(sorted(self.tail.items()))}
        return cursor

    def reach_ms(self, overlap_ms: int = DEFAULT_OVERLAP_MS, now_ms: int = 0) -> int:
        """How far before the watermark this pull reaches: the overlap, or back to the
        reconciliation span when one is due (`now_ms`: the host's clock)."""
        if not self.updated_ms:
            return overlap_ms
        moved = self.updated_ms - self.reconciled_ms >= RECONCILE_EVERY_MS
        waited = bool(self.reconciled_at) and now_ms - self.reconciled_at >= RECONCILE_EVERY_MS
        if moved or waited:
            return max(self.updated_ms - self.reconciled_ms + self.span_ms, overlap_ms)
        return overlap_ms

    def passed_unseen(self, issue_id: str, updated_ms: int) -> int | None:
        """For a version a reconciliation reads: how late at least the index showed it, when the
        last reconciliation had read past it without seeing it (None: it had not read so far, or
        it read this version, or what it read is not known)."""
        if (not self.reconciled_at or self.tail is None or updated_ms >= self.reconciled_ms
                or updated_ms < self.tail_ms or self.tail.get(issue_id) == updated_ms):
            return None
        return max(self.reconciled_at - updated_ms, 0)

    def respanned(self, late_ms: int) -> Watermark:
        """After a reconciliation whose latest change was `late_ms` late (0: none passed unseen)."""
        if 2 * late_ms <= self.span_ms:
            return self
        return replace(self, span_ms=max(self.span_ms, min(2 * late_ms, MAX_RECONCILE_SPAN_MS)))

    def reconciled(self, now_ms: int, read: Mapping[str, int], since_ms: int) -> Watermark:
        """After a page of a reconciling pull, which has read everything from `since_ms` (its
        reach) to here; `read`: issue id -> `updated` of every version it read (its tail is kept)."""
        floor = max(self.updated_ms - self.span_ms, since_ms)
        return replace(self, reconciled_ms=self.updated_ms, reconciled_at=now_ms, tail_ms=floor,
                       tail={k: v for k, v in read.items() if floor <= v <= self.updated_ms})

    def admits(self, issue_id: str, updated_ms: int, overlap_ms: int = DEFAULT_OVERLAP_MS) -> bool:
        """Whether this version of the issue still has to be processed."""
        if self.updated_ms and updated_ms < self.updated_ms - overlap_ms:
            return False
        return self.seen.get(issue_id, -1) < updated_ms

    def advance(self, processed: Iterable[tuple[str, int]], overlap_ms: int = DEFAULT_OVERLAP_MS) -> Watermark:
        """The watermark after these (issue id, updated_ms) versions were processed."""
        seen = dict(self.seen)
        top = self.updated_ms
        for issue_id, updated_ms in processed:
            seen[issue_id] = max(updated_ms, seen.get(issue_id, -1))
            top = max(top, updated_ms)
        floor = top - overlap_ms
        return replace(self, updated_ms=top, seen={k: v for k, v in seen.items() if v >= floor})

    def search_from_ms(self, overlap_ms: int = DEFAULT_OVERLAP_MS) -> int | None:
        """The earliest `updated` the search must cover (None: everything)."""
        return max(self.updated_ms - overlap_ms, 0) if self.updated_ms else None


def _tail(kept: Any) -> tuple[dict[str, int] | None, int]:
    if not isinstance(kept, Mapping):
        return None, 0
    return {str(k): int(v) for k, v in kept.get("read", {}).items()}, int(kept.get("from", 0))


def jql_for(projects: Iterable[str], since_ms: int | None, time_zone: str | None) -> str:
    """`project in (...) AND updated >= "..." ORDER BY updated ASC, key ASC`.

    The order makes the pull resumable page by page: every issue before the last one
    processed has been processed too. With neither projects nor a watermark the query
    is still bounded (enhanced search rejects unbounded JQL) by `updated >= <epoch>`.
    """
    clauses = []
    keys = [k for k in projects]
    if keys:
        clauses.append(f"project in ({', '.join(_quote(k) for k in keys)})")
    if since_ms is not None or not keys:
        clauses.append(f'updated >= "{render_lower_bound(since_ms or 0, time_zone)}"')
    return " AND ".join(clauses) + " ORDER BY updated ASC, key ASC"


def render_lower_bound(ms: int, time_zone: str | None) -> str:
    """A JQL wall time (minute precision, in `time_zone`) that is never after instant `ms`.

    Rounds down to the minute; in a daylight-saving fold, where the wall time names two
    instants and Jira may pick either, steps back until both readings are early enough.
    """
    zone = ZoneInfo(time_zone or WESTERNMOST)
    instant = datetime.fromtimestamp(ms / 1000, timezone.utc)
    wall = instant.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
    while max(_instant(wall, zone, fold) for fold in (0, 1)) > instant:
        wall -= timedelta(minutes=30)
    return wall.strftime(JQL_TIME_FORMAT)


def _instant(wall: datetime, zone: ZoneInfo, fold: int) -> datetime:
    return wall.replace(tzinfo=zone, fold=fold).astimezone(timezone.utc)


def _quote(project_key: str) -> str:
    # Project keys are [A-Z][A-Z0-9_]+; quoting keeps reserved JQL words (e.g. a key "AND") valid.
    return '"' + project_key.replace("\\", "\\\\").replace('"', '\\"') + '"'

"""The ledger of write-backs: exactly-once in effect, across crashes, retries and re-runs.

Every write gets a row keyed by its idempotency key. The row is `pending` and on disk
before the helpdesk is called, and `done` with the remote id after. A row still `pending`
at the start of a run means a sync died (or lost the answer) mid-write: it is reconciled
with the helpdesk itself (`Writer.find_effect`) before anything is sent again, so a write
is neither repeated nor lost. `failed` rows were refused by the helpdesk (definitely not
applied) and are planned again on the next run.

`status_comments` holds the status comment each ticket carries now; the planner compares
a ticket's state with it, and the Jira writer edits that comment in place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from deskplan.effects import PlannedWrite, WriteKind
from deskplan.state.store import Store

ERROR_LIMIT = 500     # last_error is a typed error's message; cut to keep rows small


class WriteStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class LedgerEntry:
    write: PlannedWrite
    status: WriteStatus
    remote_id: str | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class StatusComment:
    """The deskplan status comment a ticket carries now."""

    key: str
    fingerprint: str
    remote_id: str | None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


class Ledger:
    """Ledger rows in the state file. `clock` is wall-clock time (rate limits are real time)."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = _utc_now):
        self.store = store
        self._conn = store.db.conn
        self._clock = clock

    # --- reading ---------------------------------------------------------------------------

    def get(self, key: str) -> LedgerEntry | None:
        row = self._conn.execute(
            "SELECT request, status, remote_id, attempts, last_error FROM writes WHERE key = ?", [key]
        ).fetchone()
        return _entry(row) if row else None

    def status(self, key: str) -> WriteStatus | None:
        row = self._conn.execute("SELECT status FROM writes WHERE key = ?", [key]).fetchone()
        return WriteStatus(row[0]) if row else None

    def remote_id(self, key: str) -> str | None:
        row = self._conn.execute("SELECT remote_id FROM writes WHERE key = ? AND status = 'done'", [key]).fetchone()
        return row[0] if row else None

    def pending(self, source: str, batch: int = 200) -> Iterator[LedgerEntry]:
        """Rows left `pending` by an earlier run, oldest first, in batches (memory stays flat)."""
        last = ""
        while True:
            rows = self._conn.execute(
                "SELECT key, request, status, remote_id, attempts, last_error FROM writes "
                "WHERE source = ? AND status = 'pending' AND key > ? ORDER BY key LIMIT ?",
                [source, last, batch],
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _entry(row[1:])
            last = rows[-1][0]

    def count(self, source: str, status: WriteStatus) -> int:
        return self._conn.execute(
            "SELECT count(*) FROM writes WHERE source = ? AND status = ?", [source, status.value]
        ).fetchone()[0]

    def tasks(self, origin_prefix: str = "") -> list[LedgerEntry]:
        """Task rows whose origin starts with `origin_prefix` (`goal:` for the missed-goal tasks),
        in key order: what `deskplan review` lists as written for a period."""
        rows = self._conn.execute(
            "SELECT request, status, remote_id, attempts, last_error FROM writes "
            "WHERE kind = 'task' AND substr(origin, 1, ?) = ? ORDER BY key",
            [len(origin_prefix), origin_prefix],
        ).fetchall()
        return [_entry(row) for row in rows]

    def status_comment(self, source: str, ticket_id: str) -> StatusComment | None:
        row = self._conn.execute(
            "SELECT key, fingerprint, remote_id FROM status_comments WHERE source = ? AND ticket_id = ?",
            [source, ticket_id],
        ).fetchone()
        return StatusComment(*row) if row else None

    def comment_in_doubt(self, source: str, ticket_id: str) -> bool:
        """A comment on the ticket may or may not have landed (reconciling it failed)."""
        return self._conn.execute(
            "SELECT 1 FROM writes WHERE source = ? AND ticket_id = ? AND kind = 'comment' AND status = 'pending' "
            "LIMIT 1",
            [source, ticket_id],
        ).fetchone() is not None

    def comments_since(self, source: str, ticket_id: str, window: timedelta) -> int:
        """Comments written on a ticket within the last `window` (done or possibly sent)."""
        since = _iso(self._clock() - window)
        return self._conn.execute(
            "SELECT count(*) FROM writes WHERE source = ? AND ticket_id = ? AND kind = 'comment' "
            "AND status IN ('done', 'pending') AND updated_at > ?",
            [source, ticket_id, since],
        ).fetchone()[0]

    # --- recording -------------------------------------------------------------------------

    def begin(self, write: PlannedWrite, run_id: int | None = None) -> None:
        """Record the write as `pending`, durably, before the helpdesk is called."""
        now = _iso(self._clock())
        with self._durable():
            self._conn.execute(
                "INSERT INTO writes (key, source, kind, ticket_id, origin, status, remote_id, attempts, "
                "last_error, request, created_at, updated_at, run_id) "
                "VALUES (?, ?, ?, ?, ?, 'pending', NULL, 1, NULL, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET status = 'pending', attempts = attempts + 1, "
                "request = excluded.request, updated_at = excluded.updated_at, run_id = excluded.run_id "
                "WHERE writes.status != 'done'",
                [write.key, write.source, write.kind.value, write.ticket_id, write.origin,
                 json.dumps(write.to_json(), ensure_ascii=False, sort_keys=True), now, now, run_id],
            )

    def done(self, write: PlannedWrite, remote_id: str) -> None:
        """The helpdesk has the write (it answered, or it was found there)."""
        now = _iso(self._clock())
        with self.store.transaction():
            self._conn.execute(
                "UPDATE writes SET status = 'done', remote_id = ?, last_error = NULL, updated_at = ? WHERE key = ?",
                [remote_id, now, write.key],
            )
            if write.kind is WriteKind.COMMENT and write.ticket_id is not None:
                self._conn.execute(
                    "INSERT INTO status_comments (source, ticket_id, key, fingerprint, remote_id, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, ticket_id) DO UPDATE SET key = excluded.key, "
                    "fingerprint = excluded.fingerprint, remote_id = excluded.remote_id, "
                    "updated_at = excluded.updated_at",
                    [write.source, write.ticket_id, write.key, write.fingerprint, remote_id, now],
                )

    def failed(self, write: PlannedWrite, error: str) -> None:
        """The helpdesk refused the write: it was not applied, and is planned again next run."""
        self._conn.execute(
            "UPDATE writes SET status = 'failed', last_error = ?, updated_at = ? WHERE key = ? AND status != 'done'",
            [error[:ERROR_LIMIT], _iso(self._clock()), write.key],
        )

    def note_error(self, write: PlannedWrite, error: str) -> None:
        """The outcome is unknown (answer lost, lookup failed): the row stays pending."""
        self._conn.execute(
            "UPDATE writes SET last_error = ?, updated_at = ? WHERE key = ? AND status = 'pending'",
            [error[:ERROR_LIMIT], _iso(self._clock()), write.key],
        )

    def forget(self, write: PlannedWrite) -> None:
        """Reconciled: the helpdesk does not have the write. The planner decides afresh."""
        self._conn.execute("DELETE FROM writes WHERE key = ? AND status = 'pending'", [write.key])

    @contextmanager
    def _durable(self) -> Iterator[None]:
        # The pending row must survive a power cut, not only a killed process: with WAL and
        # synchronous=NORMAL the last commits may be lost, so this one commit is fsynced.
        # Inside an open transaction (a dry-run's) the row would be committed later, if ever,
        # and not at FULL: refused, rather than sending a write whose row is not on disk.
        if self._conn.in_transaction:
            raise RuntimeError("a write's pending row must be committed before it is sent, "
                               "not inside an open transaction")
        self._conn.execute("PRAGMA synchronous=FULL")
        try:
            yield
        finally:
            self._conn.execute("PRAGMA synchronous=NORMAL")


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    request, status, remote_id, attempts, last_error = row
    return LedgerEntry(
        write=PlannedWrite.from_json(json.loads(request)),
        status=WriteStatus(status),
        remote_id=remote_id,
        attempts=attempts,
        last_error=last_error,
    )

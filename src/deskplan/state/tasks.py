"""The closed loop's memory: the state of each of deskplan's own tasks as last read back from
its helpdesk. Owns the table `task_states` (docs/design.md, "State").

A row exists only for a task the ledger holds as written (`writes`: kind `task`, status `done`,
with the helpdesk's id): deskplan recognises as its own what it created itself, never a tag,
label or text anyone could add to a ticket. Each sync reads its tasks back (app/tasks.py) and
records here what it found: open or done, the due time the helpdesk holds, deleted. A task
written in this very run, not read back yet, has a row without `read_at`.

Overdue is not stored: it depends on when the question is asked (`TaskRecord.overdue(now)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from deskplan.state.store import Store


@dataclass(frozen=True)
class TaskReading:
    """What a helpdesk says of one task now (an adapter's answer; None fields: not said)."""

    remote_id: str              # the id the ledger holds: Zendesk ticket id, Jira issue key
    gone: bool = False          # deleted in the helpdesk (or no longer visible to deskplan)
    done: bool = False          # Zendesk solved or closed; Jira status category done
    status: str = ""            # the helpdesk's own status name
    due: datetime | None = None  # the due time the helpdesk holds (someone may have moved it)
    due_day: date | None = None  # where the helpdesk holds a day only (Jira's duedate): that day
    url: str | None = None      # where an agent opens it


@dataclass(frozen=True)
class TaskRecord:
    """One of deskplan's tasks: what the ledger says it wrote, and what was last read back."""

    source: str
    remote_id: str
    key: str                    # the write's idempotency key (the ledger's row)
    ref: str                    # SOURCE:KEY, as people name the task
    title: str
    owner: str | None
    origin: str                 # what asked for it: rule:<id>, goal:<id>:<window>, plan:<plan>:<kind>:<id> ...
    due: datetime | None
    done: bool
    gone: bool
    status: str                 # the helpdesk's status name when last read ("" before)
    url: str | None
    read_at: datetime | None    # when it was last read back; None: not yet (written this run)

    def overdue(self, now: datetime) -> bool:
        """Open, still in the helpdesk, and past its due time at `now`."""
        return not self.done and not self.gone and self.due is not None and self.due <= now


_COLUMNS = ("source", "remote_id", "key", "ref", "title", "owner", "origin", "due", "done", "gone", "status",
            "url", "read_at")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class TaskStates:
    """The `task_states` table."""

    def __init__(self, store: Store):
        self.store = store
        self._conn = store.db.conn

    def record(self, tasks: Iterable[TaskRecord]) -> int:
        """Insert or replace each task's row, all in one transaction; the count recorded."""
        rows = [(t.source, t.remote_id, t.key, t.ref, t.title, t.owner, t.origin, _iso(t.due), int(t.done),
                 int(t.gone), t.status, t.url, _iso(t.read_at)) for t in tasks]
        with self.store.transaction():
            self._conn.executemany(
                f"INSERT INTO task_states ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
                "ON CONFLICT (source, remote_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[2:]),
                rows,
            )
        return len(rows)

    def get(self, source: str, remote_id: str) -> TaskRecord | None:
        row = self._conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM task_states WHERE source = ? AND remote_id = ?", [source, remote_id]
        ).fetchone()
        return _record(row) if row else None

    def all(self, source: str | None = None) -> list[TaskRecord]:
        """Every task's row (of one source), in source and ref order."""
        where, args = ("WHERE source = ?", [source]) if source is not None else ("", [])
        rows = self._conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM task_states {where} ORDER BY source, ref, remote_id", args
        ).fetchall()
        return [_record(row) for row in rows]


def _record(row: tuple[Any, ...]) -> TaskRecord:
    (source, remote_id, key, ref, title, owner, origin, due, done, gone, status, url, read_at) = row
    return TaskRecord(
        source=str(source), remote_id=str(remote_id), key=str(key), ref=str(ref), title=str(title),
        owner=None if owner is None else str(owner), origin=str(origin), due=_instant(due),
        done=bool(done), gone=bool(gone), status=str(status or ""), url=None if url is None else str(url),
        read_at=_instant(read_at),
    )

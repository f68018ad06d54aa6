"""The state file: raw records with their cursors, canonical tickets, quarantine, runs.

A page of records and the cursor after it are written in one transaction, so the cursor
never runs ahead of the data it covers: a sync killed at any instant resumes from the
last page it stored. Tickets whose records changed are marked `touched` in that same
transaction and rebuilt into canonical form afterwards; a crash between the two only
delays the rebuild to the next run.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from ..adapters.base import Page, Quarantined, Record, Related
from ..model import Ticket

QUARANTINE_PAYLOAD_LIMIT = 64 * 1024


def _migration_1(db: sqlite_utils.Database) -> None:
    db["cursors"].create({"source": str, "stream": str, "cursor": str, "updated_at": str}, pk=("source", "stream"))
    db["records"].create(
        {"source": str, "kind": str, "id": str, "ticket_id": str, "data": str, "hash": str},
        pk=("source", "kind", "id"),
    )
    db["records"].create_index(["source", "ticket_id", "kind"])
    db["touched"].create({"source": str, "ticket_id": str}, pk=("source", "ticket_id"))
    db["tickets"].create(
        {"source": str, "id": str, "key": str, "status": str, "created_at": str, "updated_at": str,
         "deleted": int, "hash": str, "data": str},
        pk=("source", "id"),
    )
    db["tickets"].create_index(["source", "key"], unique=True)
    db["tickets"].create_index(["created_at"])
    db["quarantine"].create(
        {"source": str, "ref": str, "stream": str, "error": str, "payload": str,
         "first_seen": str, "last_seen": str, "run_id": int},
        pk=("source", "ref"),
    )
    db["runs"].create(
        {"id": int, "started_at": str, "finished_at": str, "mode": str, "exit_code": int, "summary": str},
        pk="id",
    )


def _migration_2(db: sqlite_utils.Database) -> None:
    """The write-back ledger (connector/ledger.py): one row per idempotency key,
    `pending` before the helpdesk is called and `done` (with the remote id) after."""
    db["writes"].create(
        {"key": str, "source": str, "kind": str, "ticket_id": str, "origin": str, "status": str,
         "remote_id": str, "attempts": int, "last_error": str, "request": str,
         "created_at": str, "updated_at": str, "run_id": int},
        pk="key",
    )
    db["writes"].create_index(["source", "status"])
    db["writes"].create_index(["source", "ticket_id", "kind", "updated_at"])
    # The status comment each ticket carries now: what it reported, and where it is.
    db["status_comments"].create(
        {"source": str, "ticket_id": str, "key": str, "fingerprint": str, "remote_id": str, "updated_at": str},
        pk=("source", "ticket_id"),
    )
    # What each ticket was last evaluated on (its hash and the workspace's), so resolved
    # tickets that did not change are not evaluated again on every run.
    db["evaluated"].create({"source": str, "ticket_id": str, "basis": str}, pk=("source", "ticket_id"))


def _migration_3(db: sqlite_utils.Database) -> None:
    """When write-back last checked the plan's goals for a set of sources, and on what
    workspace: the check reads every ticket, so it runs at most once an hour (writeback.py)."""
    db["goal_checks"].create({"sources": str, "basis": str, "checked_at": str}, pk="sources")


# Append only: a released state file is migrated forward, never rewritten.
MIGRATIONS = (_migration_1, _migration_2, _migration_3)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Store:
    """deskplan's SQLite state. One writer at a time (the sync lock guards that)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self._migrate()

    @classmethod
    def open(cls, path: Path | str) -> "Store":
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            db.enable_wal()
            conn.execute("PRAGMA synchronous=NORMAL")
        return cls(db)

    def close(self) -> None:
        self.db.conn.close()

    def copy_to(self, path: Path) -> "Store":
        """A consistent copy (for dry-runs, which must leave the real state untouched)."""
        target = sqlite3.connect(str(path), isolation_level=None)
        self.db.conn.backup(target)
        target.close()
        return Store.open(path)

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                migration(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- cursors and pages ----------------------------------------------------------------

    def cursor(self, source: str, stream: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT cursor FROM cursors WHERE source = ? AND stream = ?", [source, stream]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_page(self, source: str, page: Page, run_id: int | None = None) -> int:
        """Store a page's records, its quarantined payloads and its cursor atomically.

        Returns how many records were new or different from what was stored.
        """
        changed = 0
        with self.transaction():
            for record in page.records:
                changed += self._upsert_record(source, record)
            for bad in page.quarantined:
                self.quarantine(source, page.stream, bad, run_id)
            self.db.execute(
                "INSERT INTO cursors (source, stream, cursor, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                [source, page.stream, json.dumps(page.cursor, sort_keys=True), _now_iso()],
            )
        return changed

    def _upsert_record(self, source: str, record: Record) -> int:
        data = json.dumps(record.data, sort_keys=True, ensure_ascii=False)
        digest = _digest(data)
        conn = self.db.conn
        row = conn.execute(
            "SELECT hash FROM records WHERE source = ? AND kind = ? AND id = ?", [source, record.kind, record.id]
        ).fetchone()
        if row and row[0] == digest:
            return 0    # a re-delivered record (overlap, retry): nothing to rebuild
        conn.execute(
            "INSERT INTO records (source, kind, id, ticket_id, data, hash) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source, kind, id) DO UPDATE SET ticket_id = excluded.ticket_id, "
            "data = excluded.data, hash = excluded.hash",
            [source, record.kind, record.id, record.ticket_id, data, digest],
        )
        if record.ticket_id is not None:
            conn.execute(
                "INSERT OR IGNORE INTO touched (source, ticket_id) VALUES (?, ?)", [source, record.ticket_id]
            )
        return 1

    # --- building canonical tickets ----------------------------------------------------------

    def touched(self, source: str, batch: int = 500) -> Iterator[str]:
        """Ticket ids whose records changed since they were last built, in batches (memory stays flat)."""
        last = ""
        while True:
            rows = self.db.execute(
                "SELECT ticket_id FROM touched WHERE source = ? AND ticket_id > ? ORDER BY ticket_id LIMIT ?",
                [source, last, batch],
            ).fetchall()
            if not rows:
                return
            for (ticket_id,) in rows:
                yield ticket_id
            last = rows[-1][0]

    def ticket_record(self, source: str, ticket_id: str) -> Record | None:
        row = self.db.execute(
            "SELECT data FROM records WHERE source = ? AND kind = 'ticket' AND id = ?", [source, ticket_id]
        ).fetchone()
        return Record("ticket", ticket_id, ticket_id, json.loads(row[0])) if row else None

    def related(self, source: str, ticket_id: str) -> Related:
        events: list[Record] = []
        ratings: list[Record] = []
        for kind, rid, data in self.db.execute(
            "SELECT kind, id, data FROM records WHERE source = ? AND ticket_id = ? AND kind IN ('event', 'rating')",
            [source, ticket_id],
        ):
            (events if kind == "event" else ratings).append(Record(kind, rid, ticket_id, json.loads(data)))
        return Related(events=events, ratings=ratings, user=lambda uid: self.user(source, uid),
                       record=lambda kind, rid: self.record(source, kind, rid))

    def user(self, source: str, user_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT data FROM records WHERE source = ? AND kind = 'user' AND id = ?", [source, str(user_id)]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def record(self, source: str, kind: str, record_id: str) -> dict[str, Any] | None:
        """A stored record's data by kind and id (groups and organizations, which belong to no ticket)."""
        row = self.db.execute(
            "SELECT data FROM records WHERE source = ? AND kind = ? AND id = ?", [source, kind, str(record_id)]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_ticket(self, ticket: Ticket) -> bool:
        """Store the canonical ticket and clear its `touched` mark. True if it changed."""
        data = ticket.model_dump_json()
        digest = _digest(data)
        conn = self.db.conn
        row = conn.execute(
            "SELECT hash FROM tickets WHERE source = ? AND id = ?", [ticket.source, ticket.id]
        ).fetchone()
        changed = not row or row[0] != digest
        if changed:
            conn.execute(
                "INSERT INTO tickets (source, id, key, status, created_at, updated_at, deleted, hash, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO UPDATE SET key = excluded.key, "
                "status = excluded.status, created_at = excluded.created_at, updated_at = excluded.updated_at, "
                "deleted = excluded.deleted, hash = excluded.hash, data = excluded.data",
                [ticket.source, ticket.id, ticket.key, ticket.status.value, ticket.created_at.isoformat(),
                 ticket.updated_at.isoformat(), int(ticket.deleted), digest, data],
            )
        self.untouch(ticket.source, ticket.id)
        return changed

    def untouch(self, source: str, ticket_id: str) -> None:
        self.db.conn.execute("DELETE FROM touched WHERE source = ? AND ticket_id = ?", [source, ticket_id])

    # --- reading canonical tickets ------------------------------------------------------------

    def get_ticket(self, source: str, key: str) -> Ticket | None:
        row = self.db.execute(
            "SELECT data FROM tickets WHERE source = ? AND (key = ? OR id = ?)", [source, key, key]
        ).fetchone()
        return Ticket.model_validate_json(row[0]) if row else None

    def tickets(self, source: str | None = None, *, include_deleted: bool = False,
                batch: int = 1000) -> Iterator[Ticket]:
        """Every stored canonical ticket, streamed in batches."""
        where = ["1 = 1"]
        params: list[Any] = []
        if source is not None:
            where.append("source = ?")
            params.append(source)
        if not include_deleted:
            where.append("deleted = 0")
        last = ("", "")
        while True:
            rows = self.db.execute(
                f"SELECT source, id, data FROM tickets WHERE {' AND '.join(where)} AND (source, id) > (?, ?) "
                "ORDER BY source, id LIMIT ?",
                [*params, *last, batch],
            ).fetchall()
            if not rows:
                return
            for _, _, data in rows:
                yield Ticket.model_validate_json(data)
            last = (rows[-1][0], rows[-1][1])

    def count_tickets(self, source: str | None = None) -> int:
        if source is None:
            return self.db.execute("SELECT count(*) FROM tickets WHERE deleted = 0").fetchone()[0]
        return self.db.execute(
            "SELECT count(*) FROM tickets WHERE source = ? AND deleted = 0", [source]
        ).fetchone()[0]

    # --- quarantine and runs -------------------------------------------------------------------

    def quarantine(self, source: str, stream: str, bad: Quarantined, run_id: int | None = None) -> None:
        now = _now_iso()
        self.db.conn.execute(
            "INSERT INTO quarantine (source, ref, stream, error, payload, first_seen, last_seen, run_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, ref) DO UPDATE SET stream = excluded.stream, "
            "error = excluded.error, payload = excluded.payload, last_seen = excluded.last_seen, "
            "run_id = excluded.run_id",
            [source, bad.ref, stream, bad.error, bad.payload[:QUARANTINE_PAYLOAD_LIMIT], now, now, run_id],
        )

    def release_quarantine(self, source: str, ref: str) -> None:
        self.db.conn.execute("DELETE FROM quarantine WHERE source = ? AND ref = ?", [source, ref])

    def quarantined(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT source, ref, stream, error, last_seen FROM quarantine"
        params: list[Any] = []
        if source:
            sql += " WHERE source = ?"
            params.append(source)
        cursor = self.db.execute(sql + " ORDER BY source, ref", params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def start_run(self, mode: str) -> int:
        cursor = self.db.conn.execute(
            "INSERT INTO runs (started_at, mode) VALUES (?, ?)", [_now_iso(), mode]
        )
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int, exit_code: int, summary: list[dict[str, Any]]) -> None:
        self.db.conn.execute(
            "UPDATE runs SET finished_at = ?, exit_code = ?, summary = ? WHERE id = ?",
            [_now_iso(), exit_code, json.dumps(summary, sort_keys=True), run_id],
        )

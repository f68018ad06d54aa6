"""The state file: raw records with their cursors, canonical tickets, quarantine, runs.

A page of records and the cursor after it are written in one transaction, so the cursor
never runs ahead of the data it covers: a sync killed at any instant resumes from the
last page it stored. Tickets whose records changed are marked `touched` in that same
transaction and rebuilt into canonical form afterwards; a crash between the two only
delays the rebuild to the next run.

The Store owns the connection (database.py) and the tables of records and tickets; the
ledger and the evaluation bookkeeping own theirs (schema.py lists which is whose).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import sqlite_utils

from deskplan.model import Ticket, ticket_json
from deskplan.state import database
from deskplan.state.records import Page, Quarantined, Record, RecordLookup, Related
from deskplan.state.schema import migrate

QUARANTINE_PAYLOAD_LIMIT = 64 * 1024
SQL_CHUNK = 500              # ids bound in one `IN (...)` (SQLite allows 32,766 variables; any page fits in two)
LOOKUP_CACHE = 4096          # users, groups, organizations kept while building (bounded: memory stays flat)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _encode(data: Any) -> bytes:
    """A record's stored JSON: keys sorted, UTF-8, compact, written by orjson (several times
    faster than the standard library). What orjson refuses (integers beyond 64 bits, keys that
    are not strings) the standard library writes, behind a leading space that tells `_decode`
    to read it back with the standard library too: orjson would read such an integer as a float."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return (" " + json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))).encode()


def _decode(text: str) -> Any:
    return json.loads(text) if text.startswith(" ") else orjson.loads(text)


def _chunks(items: list[str], size: int = SQL_CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _marks(items: list[str]) -> str:
    return ", ".join("?" * len(items))


class Store:
    """deskplan's SQLite state. One writer at a time (the sync lock guards that)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        migrate(db)

    @classmethod
    def open(cls, path: Path | str) -> Store:
        return cls(database.connect(path))

    @classmethod
    @contextmanager
    def scratch(cls, path: Path | str) -> Iterator[Store]:
        """The state file at `path` with everything done to it undone at the end, migrations
        included: a dry-run leaves even an older file's schema as it found it."""
        db = database.connect(path)
        try:
            with database.rolled_back(db):
                yield cls(db)
        finally:
            db.close()

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> AbstractContextManager[None]:
        """All or nothing; a savepoint inside an open transaction (database.transaction)."""
        return database.transaction(self.db)

    def rolled_back(self) -> AbstractContextManager[None]:
        """Everything stored inside is undone at the end, however it ends: the dry-run pulls and
        builds like a sync and leaves the state as it found it."""
        return database.rolled_back(self.db)

    # --- cursors and pages ----------------------------------------------------------------

    def cursor(self, source: str, stream: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT cursor FROM cursors WHERE source = ? AND stream = ?", [source, stream]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_page(self, source: str, page: Page, run_id: int | None = None) -> int:
        """Store a page's records, its quarantined payloads and its cursor atomically.

        Returns how many records were new or different from what was stored; their tickets
        are marked `touched`. A record whose stored JSON is identical is left alone (a
        re-delivered record, from an overlap or a retry, has nothing to rebuild). The page
        takes a handful of statements, not a few per record: what is stored of the page's
        records is read in one query per kind.
        """
        encoded = {(record.kind, record.id): (record, _encode(record.data).decode()) for record in page.records}
        with self.transaction():
            stored = self._stored(source, page.records)
            changed = [(source, kind, rid, record.ticket_id, data) for (kind, rid), (record, data) in encoded.items()
                       if stored.get((kind, rid)) != (record.ticket_id, data)]
            conn = self.db.conn
            # None of them stored yet (a first sync's pages): a plain insert costs less than an upsert.
            conn.executemany(
                "INSERT INTO records (source, kind, id, ticket_id, data) VALUES (?, ?, ?, ?, ?)" if not stored else
                "INSERT INTO records (source, kind, id, ticket_id, data) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (source, kind, id) DO UPDATE SET ticket_id = excluded.ticket_id, data = excluded.data",
                changed,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO touched (source, ticket_id) VALUES (?, ?)",
                [(source, ticket_id) for ticket_id in dict.fromkeys(row[3] for row in changed)
                 if ticket_id is not None],
            )
            for bad in page.quarantined:
                self.quarantine(source, page.stream, bad, run_id)
            conn.execute(
                "INSERT INTO cursors (source, stream, cursor, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                [source, page.stream, json.dumps(page.cursor, sort_keys=True), _now_iso()],
            )
        return len(changed)

    def _stored(self, source: str, records: list[Record]) -> dict[tuple[str, str], tuple[str | None, str]]:
        """(ticket id, stored JSON) of each of these records that is stored, by (kind, id).

        Comparing the JSON itself costs less than hashing every record of every page to
        compare digests, and a full sync into an empty state finds nothing to compare."""
        ids_by_kind: dict[str, list[str]] = {}
        for record in records:
            ids_by_kind.setdefault(record.kind, []).append(record.id)
        found: dict[tuple[str, str], tuple[str | None, str]] = {}
        for kind, ids in ids_by_kind.items():
            for chunk in _chunks(ids):
                found.update(((kind, rid), (ticket_id, data)) for rid, ticket_id, data in self.db.conn.execute(
                    "SELECT id, ticket_id, data FROM records WHERE source = ? AND kind = ? "
                    f"AND id IN ({_marks(chunk)})",
                    [source, kind, *chunk],
                ))
        return found

    # --- building canonical tickets ----------------------------------------------------------

    def touch_all(self, source: str) -> int:
        """Mark every stored ticket of `source` for rebuilding (a full sync rebuilds them all,
        so a newer deskplan's mapping reaches tickets whose records did not change)."""
        with self.transaction():
            cursor = self.db.conn.execute(
                "INSERT OR IGNORE INTO touched (source, ticket_id) "
                "SELECT source, id FROM records WHERE source = ? AND kind = 'ticket'", [source])
        return cursor.rowcount

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
        return Record("ticket", ticket_id, ticket_id, _decode(row[0])) if row else None

    def related(self, source: str, ticket_id: str) -> Related:
        ((_, _, related),) = self.build_inputs(source, [ticket_id])
        return related

    def user(self, source: str, user_id: str) -> dict[str, Any] | None:
        return self.record(source, "user", user_id)

    def record(self, source: str, kind: str, record_id: str) -> dict[str, Any] | None:
        """A stored record's data by kind and id (groups and organizations, which belong to no ticket)."""
        row = self.db.execute(
            "SELECT data FROM records WHERE source = ? AND kind = ? AND id = ?", [source, kind, str(record_id)]
        ).fetchone()
        return _decode(row[0]) if row else None

    def build_inputs(self, source: str, ticket_ids: list[str], lookup: RecordLookup | None = None
                     ) -> Iterator[tuple[str, Record | None, Related]]:
        """For each ticket id, in order: its ticket record (None if not stored yet) and its
        related records, as `ticket_record` and `related` give them, read in one query for
        the whole batch. `lookup` (see `record_lookup`) serves users, groups and organizations."""
        lookup = lookup or self.record_lookup(source)
        conn = self.db.conn
        tickets: dict[str, Record] = {}
        related: dict[str, tuple[list[Record], list[Record]]] = {tid: ([], []) for tid in ticket_ids}
        for chunk in _chunks(ticket_ids):
            for rid, data in conn.execute(
                f"SELECT id, data FROM records WHERE source = ? AND kind = 'ticket' AND id IN ({_marks(chunk)})",
                [source, *chunk],
            ):
                tickets[rid] = Record("ticket", rid, rid, _decode(data))
            for kind, rid, ticket_id, data in conn.execute(
                "SELECT kind, id, ticket_id, data FROM records WHERE source = ? AND ticket_id IN "
                f"({_marks(chunk)}) AND kind IN ('event', 'rating') ORDER BY ticket_id, kind, rowid",
                [source, *chunk],
            ):
                events, ratings = related[ticket_id]
                (events if kind == "event" else ratings).append(Record(kind, rid, ticket_id, _decode(data)))
        user = functools.partial(lookup, "user")
        for ticket_id in ticket_ids:
            events, ratings = related[ticket_id]
            yield ticket_id, tickets.get(ticket_id), Related(events=events, ratings=ratings, user=user, record=lookup)

    def record_lookup(self, source: str, cache_size: int = LOOKUP_CACHE) -> RecordLookup:
        """`(kind, id) -> stored data` for records that belong to no ticket (users, groups,
        organizations), each read once while it stays among the `cache_size` most recently used.
        For one build run: records stored after it is made may be missed."""
        @functools.lru_cache(maxsize=cache_size)
        def lookup(kind: str, record_id: str) -> dict[str, Any] | None:
            return self.record(source, kind, record_id)

        return lambda kind, record_id: lookup(kind, str(record_id))

    def save_ticket(self, ticket: Ticket) -> bool:
        """Store the canonical ticket and clear its `touched` mark. True if it changed."""
        return self.save_tickets([ticket]) == 1

    def untouch(self, source: str, ticket_id: str) -> None:
        self.db.conn.execute("DELETE FROM touched WHERE source = ? AND ticket_id = ?", [source, ticket_id])

    def save_tickets(self, tickets: list[Ticket]) -> int:
        """Store canonical tickets and clear their `touched` marks, in two statements for the
        whole batch; one whose JSON is unchanged is not rewritten. Returns how many changed."""
        if not tickets:
            return 0
        rows = [(t.source, t.id, t.key, t.status.value, t.created_at.isoformat(), t.updated_at.isoformat(),
                 int(t.deleted), _digest(data), data) for t in tickets for data in (ticket_json(t),)]
        conn = self.db.conn
        changed = conn.executemany(
            "INSERT INTO tickets (source, id, key, status, created_at, updated_at, deleted, hash, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO UPDATE SET key = excluded.key, "
            "status = excluded.status, created_at = excluded.created_at, updated_at = excluded.updated_at, "
            "deleted = excluded.deleted, hash = excluded.hash, data = excluded.data "
            "WHERE tickets.hash IS NOT excluded.hash",
            # A ticket built twice in one batch counts once: the last build is what is stored.
            list({(row[0], row[1]): row for row in rows}.values()),
        ).rowcount
        conn.executemany("DELETE FROM touched WHERE source = ? AND ticket_id = ?",
                         [(ticket.source, ticket.id) for ticket in tickets])
        return changed

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

    def release_quarantined(self, source: str, refs: list[str]) -> None:
        """`release_quarantine` for a batch (one statement; usually nothing is quarantined)."""
        self.db.conn.executemany("DELETE FROM quarantine WHERE source = ? AND ref = ?", [(source, r) for r in refs])

    def quarantined(self, source: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT source, ref, stream, error, last_seen FROM quarantine"
        params: list[Any] = []
        if source:
            sql += " WHERE source = ?"
            params.append(source)
        cursor = self.db.execute(sql + " ORDER BY source, ref", params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def start_run(self, mode: str) -> int:
        cursor = self.db.conn.execute(
            "INSERT INTO runs (started_at, mode) VALUES (?, ?)", [_now_iso(), mode]
        )
        run_id = cursor.lastrowid
        assert run_id is not None       # set by every INSERT
        return run_id

    def finish_run(self, run_id: int, exit_code: int, summary: list[dict[str, Any]]) -> None:
        self.db.conn.execute(
            "UPDATE runs SET finished_at = ?, exit_code = ?, summary = ? WHERE id = ?",
            [_now_iso(), exit_code, json.dumps(summary, sort_keys=True), run_id],
        )

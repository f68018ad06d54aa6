"""The state file: raw records with their cursors, canonical tickets, quarantine, runs.

A page of records and the cursor after it are written in one transaction, so the cursor
never runs ahead of the data it covers: a sync killed at any instant resumes from the
last page it stored. Tickets whose records changed are marked `touched` in that same
transaction and rebuilt into canonical form afterwards; a crash between the two only
delays the rebuild to the next run.

The Store owns the connection (database.py) and the tables of records and tickets; the
ledger and the evaluation bookkeeping own theirs (schema.py lists which is whose).

One bad record never stops a page: a record that cannot be stored (nested deeper than JSON
writers go, an id that is not text) is quarantined in stage `store` and the rest of the page
is stored. The quarantine keeps one entry per source, stage and ref, with a digest of what
failed: the same failure met again is known, not new (README, "Bad tickets").
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import sqlite_utils

from deskplan.errors import BadPayload
from deskplan.model import Ticket, nested_deeper_than, ticket_json
from deskplan.state import database
from deskplan.state.packing import Packer
from deskplan.state.records import Page, Quarantined, Record, RecordLookup, Related
from deskplan.state.schema import migrate

log = logging.getLogger(__name__)

QUARANTINE_PAYLOAD_LIMIT = 64 * 1024
STORED_DEPTH = 254           # the deepest JSON a record may nest: what orjson writes (and reads back)
# Quarantine stages beside the adapters' own streams (a page's item without an id, say). Entries
# of the later stages are settled where their stage runs again, not by the ticket's next build.
STORE, BUILD, EVALUATE, WRITE, REPORT = "store", "build", "evaluate", "write", "report"
SETTLED_ELSEWHERE = (STORE, EVALUATE, WRITE, REPORT)
SQL_CHUNK = 500              # ids bound in one `IN (...)` (SQLite allows 32,766 variables; any page fits in two)
TICKET_JSON = "canonical ticket"   # the packing dictionary of canonical tickets (records use their kinds)
LOOKUP_CACHE = 4096          # users, groups, organizations kept while building (bounded: memory stays flat)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Unstorable(Exception):
    """A record that cannot be stored as JSON; the message says why, never what it holds."""


def _encode(data: Any) -> bytes:
    """A record's stored JSON: keys sorted, UTF-8, compact, written by orjson (several times
    faster than the standard library). What orjson refuses (integers beyond 64 bits, keys that
    are not strings, lone UTF-16 surrogates) the standard library writes, ASCII-escaped, behind a
    leading space that tells `_decode` to read it back with the standard library too: orjson
    would read such an integer as a float, and refuses the surrogate's escape. Raises
    Unstorable for JSON nested deeper than STORED_DEPTH, which could not be read back safely."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        pass
    if nested_deeper_than(data, STORED_DEPTH):
        raise Unstorable(f"nested deeper than {STORED_DEPTH} levels")
    try:
        return (" " + json.dumps(data, sort_keys=True, separators=(",", ":"))).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise Unstorable(f"not JSON ({type(exc).__name__})") from None


def _decode(text: str) -> Any:
    return json.loads(text) if text.startswith(" ") else orjson.loads(text)


def _is_text(value: str) -> bool:
    """Whether SQLite can take the string (UTF-8): not when it holds a lone surrogate."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable_text(value: str) -> str:
    """The string as SQLite can store it: a lone surrogate becomes its visible escape `\\ud800`."""
    return value if _is_text(value) else value.encode("utf-8", "backslashreplace").decode("utf-8")


def payload_text(data: Any) -> str:
    """What a quarantine entry shows of a payload: its JSON (ASCII, escapes for anything odd),
    at most QUARANTINE_PAYLOAD_LIMIT characters; a note where it cannot be written at all."""
    try:
        return json.dumps(data, sort_keys=True)[:QUARANTINE_PAYLOAD_LIMIT]
    except (TypeError, ValueError, RecursionError) as exc:
        return f"(not shown: the payload cannot be written as JSON, {type(exc).__name__})"


def record_ref(record: Record) -> str:
    """How the quarantine names a record it could not store: `ticket 5`, `event 123`."""
    return f"{record.kind} {record.id}"


# (stage or stream, what was quarantined, True when it is new rather than known)
OnQuarantine = Callable[[str, Quarantined, bool], None]


def _chunks(items: list[str], size: int = SQL_CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _marks(items: Sequence[str]) -> str:
    return ", ".join("?" * len(items))


class Store:
    """deskplan's SQLite state. One writer at a time (the sync lock guards that)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        migrate(db)
        self.packer = Packer(db)        # records' and tickets' JSON are stored compressed (packing.py)

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

    def save_page(self, source: str, page: Page, run_id: int | None = None, *,
                  on_quarantine: OnQuarantine | None = None) -> int:
        """Store a page's records, its quarantined payloads and its cursor atomically.

        Returns how many records were new or different from what was stored; their tickets
        are marked `touched`. A record whose stored JSON is identical is left alone (a
        re-delivered record, from an overlap or a retry, has nothing to rebuild). The page
        takes a handful of statements, not a few per record: what is stored of the page's
        records is read in one query per kind. A record that cannot be stored is quarantined
        (stage `store`) and the rest of the page stored; `on_quarantine` sees every entry the
        page quarantines, new or known.
        """
        encoded: dict[tuple[str, str], tuple[Record, str]] = {}
        unstorable: list[Quarantined] = []
        for record in page.records:
            try:
                if not (_is_text(record.id) and (record.ticket_id is None or _is_text(record.ticket_id))):
                    raise Unstorable("its id is not text (a lone UTF-16 surrogate)")
                encoded[(record.kind, record.id)] = (record, _encode(record.data).decode())
            except Unstorable as exc:
                unstorable.append(Quarantined(ref=record_ref(record), error=f"cannot be stored: {exc}",
                                              payload=payload_text(record.data)))
        records = [record for record, _ in encoded.values()]
        with self.transaction():
            stored = self._stored(source, records)
            changed = self._packed(source, [
                (source, kind, rid, record.ticket_id, data) for (kind, rid), (record, data) in encoded.items()
                if stored.get((kind, rid)) != (record.ticket_id, data)])
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
            for stage, bad in [(page.stream, bad) for bad in page.quarantined] + [(STORE, bad) for bad in unstorable]:
                bad = Quarantined(storable_text(bad.ref), storable_text(bad.error), bad.payload)
                new = self.quarantine(source, stage, bad, run_id)
                if on_quarantine is not None:
                    on_quarantine(stage, bad, new)
            self._release_stored(source, records)
            conn.execute(
                "INSERT INTO cursors (source, stream, cursor, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                [source, page.stream, json.dumps(page.cursor, sort_keys=True), _now_iso()],
            )
        return len(changed)

    def _packed(self, source: str, rows: list[tuple[str, str, str, str | None, str]]) -> list[tuple[Any, ...]]:
        """The rows with their JSON packed, each kind with its own dictionary."""
        blobs = self.packer.pack_each([(source, row[1]) for row in rows], [row[4] for row in rows])
        return [(*row[:4], blob) for row, blob in zip(rows, blobs, strict=True)]

    def _release_stored(self, source: str, records: list[Record]) -> None:
        """Entries of stage `store` for records now stored: settled (one query, usually finding none)."""
        held = {ref for (ref,) in self.db.conn.execute(
            "SELECT ref FROM quarantine WHERE source = ? AND stream = ?", [source, STORE])}
        if held:
            self.release_quarantined(source, [ref for ref in map(record_ref, records) if ref in held], stage=STORE)

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
                unpack = self.packer.unpack
                found.update(((kind, rid), (ticket_id, unpack(data))) for rid, ticket_id, data in self.db.conn.execute(
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
        return Record("ticket", ticket_id, ticket_id, _decode(self.packer.unpack(row[0]))) if row else None

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
        return _decode(self.packer.unpack(row[0])) if row else None

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
                tickets[rid] = Record("ticket", rid, rid, _decode(self.packer.unpack(data)))
            for kind, rid, ticket_id, data in conn.execute(
                "SELECT kind, id, ticket_id, data FROM records WHERE source = ? AND ticket_id IN "
                f"({_marks(chunk)}) AND kind IN ('event', 'rating') ORDER BY ticket_id, kind, rowid",
                [source, *chunk],
            ):
                events, ratings = related[ticket_id]
                (events if kind == "event" else ratings).append(
                    Record(kind, rid, ticket_id, _decode(self.packer.unpack(data))))
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

    def save_tickets(self, tickets: Iterable[Ticket | tuple[Ticket, str]]) -> int:
        """Store canonical tickets and clear their `touched` marks, in two statements for the
        whole batch; one whose JSON is unchanged is not rewritten. Returns how many changed.
        A ticket may come with its JSON (`ticket_json`) already written."""
        built = [t if isinstance(t, tuple) else (t, ticket_json(t)) for t in tickets]
        if not built:
            return 0
        texts: list[tuple[Any, ...]] = [
            (t.source, t.id, t.key, t.status.value, t.created_at.isoformat(), t.updated_at.isoformat(),
             int(t.deleted), _digest(data), data) for t, data in built]
        blobs = self.packer.pack_each([(row[0], TICKET_JSON) for row in texts], [row[8] for row in texts])
        rows = [(*row[:8], blob) for row, blob in zip(texts, blobs, strict=True)]
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
                         [(ticket.source, ticket.id) for ticket, _ in built])
        return changed

    def ticket_data(self, value: str | bytes) -> str:
        """A stored ticket's JSON, from the `data` column as read."""
        return self.packer.unpack(value)

    def key_holders(self, source: str, keys: Iterable[str]) -> dict[str, str]:
        """The id of the stored ticket that holds each of `keys` (keys held by none are left out)."""
        wanted = list(dict.fromkeys(keys))
        holders: dict[str, str] = {}
        for chunk in _chunks(wanted):
            rows = self.db.execute(
                f"SELECT key, id FROM tickets WHERE source = ? AND key IN ({_marks(chunk)})", [source, *chunk])
            holders.update((key, ticket_id) for key, ticket_id in rows)
        return holders

    # --- reading canonical tickets ------------------------------------------------------------

    def get_ticket(self, source: str, key: str) -> Ticket | None:
        """The stored ticket by key or id; BadPayload when it no longer reads back."""
        row = self.db.execute(
            "SELECT data FROM tickets WHERE source = ? AND (key = ? OR id = ?)", [source, key, key]
        ).fetchone()
        if row is None:
            return None
        try:
            return Ticket.model_validate_json(self.packer.unpack(row[0]))
        except ValueError as exc:
            raise BadPayload(f"the stored ticket cannot be read ({type(exc).__name__})", source=source,
                             ref=key) from None

    def tickets(self, source: str | None = None, *, include_deleted: bool = False, batch: int = 1000,
                on_error: Callable[[str, str, Exception], None] | None = None) -> Iterator[Ticket]:
        """Every stored canonical ticket, streamed in batches. One that no longer reads back (a
        ticket stored by an older deskplan that today's model refuses) is left out and passed to
        `on_error(source, id, error)`, else logged: the others are read on."""
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
            for ticket_source, ticket_id, data in rows:
                try:
                    ticket = Ticket.model_validate_json(self.packer.unpack(data))
                except Exception as exc:
                    if on_error is None:
                        log.warning("%s:%s: the stored ticket cannot be read (%s); left out", ticket_source,
                                    ticket_id, type(exc).__name__)
                    else:
                        on_error(ticket_source, ticket_id, exc)
                    continue
                yield ticket
            last = (rows[-1][0], rows[-1][1])

    def count_tickets(self, source: str | None = None) -> int:
        if source is None:
            return self.db.execute("SELECT count(*) FROM tickets WHERE deleted = 0").fetchone()[0]
        return self.db.execute(
            "SELECT count(*) FROM tickets WHERE source = ? AND deleted = 0", [source]
        ).fetchone()[0]

    # --- quarantine and runs -------------------------------------------------------------------

    def quarantine(self, source: str, stage: str, bad: Quarantined, run_id: int | None = None, *,
                   digest: str | None = None) -> bool:
        """Quarantine `bad` in `stage` (a stage such as BUILD, or the adapter's stream). True when
        the entry is new, or its digest changed (the data or the failure did); False when the same
        entry was there already (it is only marked seen again). `digest` defaults to one over the
        error and the payload."""
        ref, error = storable_text(bad.ref), storable_text(bad.error)
        payload = storable_text(bad.payload[:QUARANTINE_PAYLOAD_LIMIT])
        digest = digest or _digest(f"{error}\0{storable_text(bad.payload)}")
        now = _now_iso()
        conn = self.db.conn
        row = conn.execute("SELECT digest FROM quarantine WHERE source = ? AND stream = ? AND ref = ?",
                           [source, stage, ref]).fetchone()
        if row is not None and row[0] == digest:
            conn.execute("UPDATE quarantine SET last_seen = ?, run_id = ? WHERE source = ? AND stream = ? AND ref = ?",
                         [now, run_id, source, stage, ref])
            return False
        conn.execute(
            "INSERT INTO quarantine (source, ref, stream, error, payload, digest, first_seen, last_seen, run_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, stream, ref) DO UPDATE SET "
            "error = excluded.error, payload = excluded.payload, digest = excluded.digest, "
            "first_seen = excluded.first_seen, last_seen = excluded.last_seen, run_id = excluded.run_id",
            [source, ref, stage, error, payload, digest, now, now, run_id],
        )
        return True

    def release_quarantine(self, source: str, ref: str) -> None:
        """Every entry of `ref`, whatever its stage."""
        self.db.conn.execute("DELETE FROM quarantine WHERE source = ? AND ref = ?", [source, ref])

    def release_quarantined(self, source: str, refs: list[str], *, stage: str | None = None) -> None:
        """The entries of `refs` in `stage`; without a stage, those a successful build settles:
        every stage but the ones settled where they run (SETTLED_ELSEWHERE). One statement;
        usually nothing is quarantined."""
        if stage is not None:
            self.db.conn.executemany("DELETE FROM quarantine WHERE source = ? AND stream = ? AND ref = ?",
                                     [(source, stage, r) for r in refs])
            return
        self.db.conn.executemany(
            f"DELETE FROM quarantine WHERE source = ? AND ref = ? AND stream NOT IN ({_marks(SETTLED_ELSEWHERE)})",
            [(source, r, *SETTLED_ELSEWHERE) for r in refs])

    def quarantine_digests(self, source: str, stages: Iterable[str]) -> dict[str, str]:
        """ref -> digest of the source's entries in these stages (for a ref in several, one of them)."""
        stages = list(stages)
        return dict(self.db.conn.execute(
            f"SELECT ref, digest FROM quarantine WHERE source = ? AND stream IN ({_marks(stages)})",
            [source, *stages]).fetchall())

    def quarantined_in(self, stage: str) -> set[tuple[str, str]]:
        """(source, ref) of every entry in `stage`, whatever the source."""
        return set(self.db.conn.execute("SELECT source, ref FROM quarantine WHERE stream = ?", [stage]).fetchall())

    def quarantine_keys(self, source: str) -> set[tuple[str, str]]:
        """(stage, ref) of every entry the source has in quarantine."""
        return set(self.db.conn.execute("SELECT stream, ref FROM quarantine WHERE source = ?", [source]).fetchall())

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

    def finished_runs(self, modes: Sequence[str]) -> Iterator[tuple[str, str]]:
        """(finished_at, summary as JSON text) of every finished run of these modes, newest
        first; read lazily, so a caller that stops early reads no further."""
        cursor = self.db.conn.execute(
            f"SELECT finished_at, summary FROM runs WHERE mode IN ({_marks(modes)}) AND finished_at IS NOT NULL "
            "ORDER BY id DESC",
            list(modes),
        )
        for finished_at, summary in cursor:
            yield str(finished_at), str(summary or "[]")

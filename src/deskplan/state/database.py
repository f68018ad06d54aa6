"""The state file's SQLite connection: how it is opened, and transactions that nest.

The connection runs in autocommit mode: a statement outside `transaction` commits on its own
(the ledger relies on that for its durable `pending` rows). `transaction` is all or nothing;
inside a transaction already open it is a savepoint of it (sqlite-utils' `atomic`), so that
`rolled_back` can wrap a whole dry-run sync, per-page and per-batch transactions included.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT = 30            # seconds a statement waits for another connection's write lock


def connect(path: Path | str) -> sqlite_utils.Database:
    """The state file at `path` (created with its folder if missing; ":memory:" for tests).

    WAL, so that reports read while a sync writes; synchronous=NORMAL, so that a commit
    waits for no fsync (the ledger asks for FULL where it must survive a power cut)."""
    memory = str(path) == ":memory:"
    if not memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None))
    if not memory:
        db.enable_wal()
        db.execute("PRAGMA synchronous=NORMAL")
    return db


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """All of the block or none of it.

    Inside an open transaction: a savepoint, released or rolled back to on its own, and
    committed (or not) with the transaction around it. Otherwise a transaction of its own,
    begun IMMEDIATE: it takes the write lock up front, waiting up to BUSY_TIMEOUT for another
    writer, rather than failing when a read turns into a write (sqlite-utils' `atomic` begins
    DEFERRED)."""
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    try:
        db.commit()
    except BaseException:
        db.rollback()
        raise


@contextmanager
def rolled_back(db: sqlite_utils.Database) -> Iterator[None]:
    """Everything the block stores is undone at the end, however it ends: one transaction
    (begun IMMEDIATE, as `transaction`) that is always rolled back; the block's own
    transactions become savepoints of it."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        db.rollback()

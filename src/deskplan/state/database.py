"""The state file's SQLite connection: how it is opened, and transactions that nest.

The connection runs in autocommit mode: a statement outside `transaction` commits on its own
(the ledger relies on that for its durable `pending` rows). `transaction` is all or nothing;
inside a transaction already open it is a savepoint of it (sqlite-utils' `atomic`), so that
`rolled_back` can wrap a whole dry-run sync, per-page and per-batch transactions included.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from deskplan.errors import ConfigError

BUSY_TIMEOUT = 30            # seconds a statement waits for another connection's write lock
SETTING = "[state] path"     # where the path comes from (deskplan.toml), for messages
SQLITE_HEADER = b"SQLite format 3\x00"


def connect(path: Path | str) -> sqlite_utils.Database:
    """The state file at `path` (created with its folder if missing; ":memory:" for tests).

    WAL, so that reports read while a sync writes; synchronous=NORMAL, so that a commit
    waits for no fsync (the ledger asks for FULL where it must survive a power cut).

    A path that cannot be the state file (a folder, a read-only file, a file that is not a
    database, a folder that cannot be created) is a ConfigError naming the path and the
    setting, never a traceback: it is the configuration that is wrong."""
    if str(path) == ":memory:":
        return sqlite_utils.Database(sqlite3.connect(":memory:", isolation_level=None))
    path = Path(path)
    problem = path_problem(path)
    if problem is not None:
        raise ConfigError(f"{SETTING} {path}: {problem}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{SETTING} {path}: its folder cannot be created ({exc.strerror or exc})") from None
    try:
        db = sqlite_utils.Database(sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None))
        db.enable_wal()
        db.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error as exc:
        raise ConfigError(f"{SETTING} {path}: {_reason(path, exc)}") from None
    return db


def path_problem(path: Path) -> str | None:
    """Why `path` cannot be the state file, found without creating or changing anything
    (`deskplan check` asks too); None when it can, as far as can be told before opening it."""
    try:
        if path.is_dir():
            return "this is a folder; the setting names the state file itself, e.g. .deskplan/state.db"
        if path.exists():
            if not os.access(path, os.R_OK):
                return "the file cannot be read (no permission)"
            if not os.access(path, os.W_OK):
                return "the file is read-only; deskplan writes to its state file"
            with path.open("rb") as stream:
                header = stream.read(len(SQLITE_HEADER))
            if header and header != SQLITE_HEADER:
                return "this file is not a deskplan state file (not an SQLite database)"
            return None
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            return f"its folder cannot be created: {folder} is a file"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"the file cannot be created: {folder} is not writable"
    except OSError as exc:
        return f"cannot be used: {exc.strerror or exc}"
    return None


def _reason(path: Path, exc: sqlite3.Error) -> str:
    """SQLite's error, in the words of the setting (the checks above cannot see everything:
    a file made read-only by its file system, or one changed meanwhile)."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return "the file is read-only; deskplan writes to its state file"
    if "not a database" in text:
        return "this file is not a deskplan state file (not an SQLite database)"
    if "unable to open" in text:
        return "the file cannot be opened or created"
    return f"SQLite cannot use it: {text}"


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

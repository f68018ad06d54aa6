"""The state file's schema: its migrations, in order, applied by sqlite-utils' `Migrations`.

Append only: a released state file is migrated forward, never rewritten. sqlite-utils
records each migration applied, by name, in `_sqlite_migrations`. State files made before
that counted their migrations in `PRAGMA user_version` (1 to 4, below): those are recorded
as applied the first time such a file is opened, and only the later ones run. The count is
kept in `user_version` too, so that a deskplan from before still opens the file.

Which module reads and writes which tables:
  store.py        cursors, records, touched, tickets, quarantine, runs
  ledger.py       writes, status_comments
  evaluations.py  evaluated, evaluation_passes, goal_checks, writeback_since
  identity.py     installation, own_users
  packing.py      packing_dictionaries
  facts.py        kpi_meta, kpi_names, kpi_tickets, kpi_facts, kpi_counts, kpi_hours, kpi_stale
  tasks.py        task_states
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlite_utils
from sqlite_utils.migrations import Migrations

from deskplan.state.database import transaction

MIGRATIONS = Migrations("deskplan")


@MIGRATIONS()
def m001_records_tickets_runs(db: sqlite_utils.Database) -> None:
    db.table("cursors").create({"source": str, "stream": str, "cursor": str, "updated_at": str},
                               pk=("source", "stream"))
    db.table("records").create(
        {"source": str, "kind": str, "id": str, "ticket_id": str, "data": str, "hash": str},
        pk=("source", "kind", "id"),
    )
    db.table("records").create_index(["source", "ticket_id", "kind"])
    db.table("touched").create({"source": str, "ticket_id": str}, pk=("source", "ticket_id"))
    db.table("tickets").create(
        {"source": str, "id": str, "key": str, "status": str, "created_at": str, "updated_at": str,
         "deleted": int, "hash": str, "data": str},
        pk=("source", "id"),
    )
    db.table("tickets").create_index(["source", "key"], unique=True)
    db.table("tickets").create_index(["created_at"])
    db.table("quarantine").create(
        {"source": str, "ref": str, "stream": str, "error": str, "payload": str,
         "first_seen": str, "last_seen": str, "run_id": int},
        pk=("source", "ref"),
    )
    db.table("runs").create(
        {"id": int, "started_at": str, "finished_at": str, "mode": str, "exit_code": int, "summary": str},
        pk="id",
    )


@MIGRATIONS()
def m002_ledger(db: sqlite_utils.Database) -> None:
    """The write-back ledger: one row per idempotency key, `pending` before the helpdesk is
    called and `done` (with the remote id) after."""
    db.table("writes").create(
        {"key": str, "source": str, "kind": str, "ticket_id": str, "origin": str, "status": str,
         "remote_id": str, "attempts": int, "last_error": str, "request": str,
         "created_at": str, "updated_at": str, "run_id": int},
        pk="key",
    )
    db.table("writes").create_index(["source", "status"])
    db.table("writes").create_index(["source", "ticket_id", "kind", "updated_at"])
    # The status comment each ticket carries now: what it reported, and where it is.
    db.table("status_comments").create(
        {"source": str, "ticket_id": str, "key": str, "fingerprint": str, "remote_id": str, "updated_at": str},
        pk=("source", "ticket_id"),
    )
    # What each ticket was last evaluated on (its hash and the workspace's), so resolved
    # tickets that did not change are not evaluated again on every run.
    db.table("evaluated").create({"source": str, "ticket_id": str, "basis": str}, pk=("source", "ticket_id"))


@MIGRATIONS()
def m003_goal_checks(db: sqlite_utils.Database) -> None:
    """When write-back last checked the plan's goals for a set of sources, and on what
    workspace: the check reads every ticket, so it runs at most once an hour."""
    db.table("goal_checks").create({"sources": str, "basis": str, "checked_at": str}, pk="sources")


@MIGRATIONS()
def m004_writeback_since(db: sqlite_utils.Database) -> None:
    """The moment of the first sync that wrote back to each source: the go-live cut-off when
    deskplan.toml sets no `[writeback] since`."""
    db.table("writeback_since").create({"source": str, "since": str}, pk="source")


@MIGRATIONS()
def m005_drop_records_hash(db: sqlite_utils.Database) -> None:
    """records.hash was never read: a page's records are compared by their JSON itself. In
    place (SQLite >= 3.35), not by copying the table as sqlite-utils' `transform` would."""
    db.execute("ALTER TABLE records DROP COLUMN hash")


@MIGRATIONS()
def m006_identity(db: sqlite_utils.Database) -> None:
    """Who deskplan is: the installation's secret, which keys every idempotency key (one row,
    made when first needed), and deskplan's own user in each source."""
    db.table("installation").create({"id": int, "secret": str, "origin": str, "created_at": str}, pk="id")
    db.table("own_users").create({"source": str, "user_id": str, "seen_at": str}, pk="source")


@MIGRATIONS()
def m007_quarantine_by_stage(db: sqlite_utils.Database) -> None:
    """One quarantine entry per source, stage and ref (a ticket may be held at build for its new
    data and at evaluation for its stored one), with a digest of what failed: the same failure
    met again is known, not new. Entries from before have no digest: met again, they count as new once."""
    db.table("quarantine").add_column("digest", str)
    db.table("quarantine").transform(pk=("source", "stream", "ref"))


@MIGRATIONS()
def m008_task_states(db: sqlite_utils.Database) -> None:
    """The state of each of deskplan's own tasks as last read back from its helpdesk (the
    closed loop): open or done, its due time there, deleted; one row per source and remote id."""
    db.table("task_states").create(
        {"source": str, "remote_id": str, "key": str, "ref": str, "title": str, "owner": str, "origin": str,
         "due": str, "done": int, "gone": int, "status": str, "url": str, "read_at": str},
        pk=("source", "remote_id"),
    )


@MIGRATIONS()
def m009_kpi_facts(db: sqlite_utils.Database) -> None:
    """KPI facts per ticket (state/facts.py): what each ticket contributes to each goal, kept as
    tickets change, so that reports add numbers up in SQL instead of re-reading every timeline.
    A trigger marks every ticket written as stale; tickets stored before are all stale."""
    db.execute("CREATE TABLE kpi_meta (id INTEGER PRIMARY KEY, basis TEXT NOT NULL)")
    db.execute("CREATE TABLE kpi_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
    db.execute("CREATE TABLE kpi_stale (source TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (source, id)) "
               "WITHOUT ROWID")
    db.execute(
        "CREATE TABLE kpi_tickets (n INTEGER PRIMARY KEY, source TEXT NOT NULL, id TEXT NOT NULL, "
        "horizon INTEGER NOT NULL, created INTEGER, dims TEXT, "
        "cats INTEGER NOT NULL DEFAULT 0, measures INTEGER NOT NULL DEFAULT 0, sla_met INTEGER NOT NULL DEFAULT 0, "
        "sla_breached INTEGER NOT NULL DEFAULT 0, sla_running INTEGER NOT NULL DEFAULT 0, sla_turn1 INTEGER, "
        "sla_turn2 INTEGER, pilots INTEGER NOT NULL DEFAULT 0, controls INTEGER NOT NULL DEFAULT 0, error TEXT, "
        "UNIQUE (source, id))")
    db.execute("CREATE INDEX kpi_tickets_created ON kpi_tickets (created, cats)")
    db.execute("CREATE INDEX kpi_tickets_horizon ON kpi_tickets (horizon)")
    db.execute(
        "CREATE TABLE kpi_facts (n INTEGER NOT NULL, goal INTEGER NOT NULL, win INTEGER NOT NULL, "
        "hit INTEGER NOT NULL, at INTEGER NOT NULL, turn INTEGER, running INTEGER NOT NULL, "
        "weight INTEGER NOT NULL, against INTEGER NOT NULL, detail TEXT, PRIMARY KEY (n, goal)) WITHOUT ROWID")
    # The observations that exist whatever `now` is, added up per goal, window and dimension value.
    db.execute(
        "CREATE TABLE kpi_counts (goal INTEGER NOT NULL, win INTEGER NOT NULL, dim TEXT NOT NULL, "
        "value INTEGER NOT NULL, numerator INTEGER NOT NULL, denominator INTEGER NOT NULL, "
        "PRIMARY KEY (goal, win, dim, value)) WITHOUT ROWID")
    # The same per goal, hour (of `at`) and pilot/control membership: what the pilots' spans add up.
    db.execute(
        "CREATE TABLE kpi_hours (goal INTEGER NOT NULL, hour INTEGER NOT NULL, pilots INTEGER NOT NULL, "
        "controls INTEGER NOT NULL, numerator INTEGER NOT NULL, denominator INTEGER NOT NULL, "
        "PRIMARY KEY (goal, hour, pilots, controls)) WITHOUT ROWID")
    db.execute("CREATE INDEX kpi_facts_turn ON kpi_facts (turn) WHERE turn IS NOT NULL")
    db.execute("CREATE INDEX kpi_facts_worst ON kpi_facts (goal, win, weight, at) WHERE against = 1 AND running = 0")
    db.execute("CREATE INDEX kpi_facts_running ON kpi_facts (running) WHERE running = 1")
    db.execute("CREATE INDEX kpi_facts_at ON kpi_facts (goal, at)")
    # Not INSERT OR IGNORE: inside a trigger the outer statement's conflict policy (an upsert's) wins.
    for event in ("INSERT", "UPDATE"):
        db.execute(f"CREATE TRIGGER kpi_stale_{event.lower()} AFTER {event} ON tickets BEGIN "
                   "INSERT INTO kpi_stale (source, id) SELECT new.source, new.id WHERE NOT EXISTS "
                   "(SELECT 1 FROM kpi_stale WHERE source = new.source AND id = new.id); END")
    db.execute("INSERT INTO kpi_stale (source, id) SELECT source, id FROM tickets")


@MIGRATIONS()
def m010_evaluation_due(db: sqlite_utils.Database) -> None:
    """When each ticket must be evaluated again (state/evaluations.py): `evaluated.due`, the instant
    after which time alone can change what it needs (an SLA clock turns at risk or breached;
    NULL: never), 0 when it must be evaluated on the next run. Every ticket written is due (a
    trigger on `tickets`); `evaluation_passes` keeps the basis each source was last evaluated on
    whole, so that a run on the same workspace reads only the tickets that are due."""
    db.execute("ALTER TABLE evaluated ADD COLUMN due INTEGER")
    db.execute("CREATE INDEX evaluated_due ON evaluated (source, due) WHERE due IS NOT NULL")
    db.execute("CREATE TABLE evaluation_passes (source TEXT PRIMARY KEY, basis TEXT NOT NULL)")
    db.execute("INSERT INTO evaluated (source, ticket_id, basis, due) SELECT source, id, '', 0 FROM tickets t "
               "WHERE NOT EXISTS (SELECT 1 FROM evaluated e WHERE e.source = t.source AND e.ticket_id = t.id)")
    # Unresolved tickets were evaluated on every run: due now, once.
    db.execute("UPDATE evaluated SET due = 0 WHERE (source, ticket_id) IN "
               "(SELECT source, id FROM tickets WHERE status NOT IN ('solved', 'closed'))")
    # Not INSERT OR IGNORE: inside a trigger the outer statement's conflict policy (an upsert's) wins.
    db.execute("CREATE TRIGGER evaluated_due_insert AFTER INSERT ON tickets BEGIN "
               "INSERT INTO evaluated (source, ticket_id, basis, due) SELECT new.source, new.id, '', 0 "
               "WHERE NOT EXISTS (SELECT 1 FROM evaluated WHERE source = new.source AND ticket_id = new.id); "
               "UPDATE evaluated SET due = 0 WHERE source = new.source AND ticket_id = new.id; END")
    db.execute("CREATE TRIGGER evaluated_due_update AFTER UPDATE ON tickets BEGIN "
               "INSERT INTO evaluated (source, ticket_id, basis, due) SELECT new.source, new.id, '', 0 "
               "WHERE NOT EXISTS (SELECT 1 FROM evaluated WHERE source = new.source AND ticket_id = new.id); "
               "UPDATE evaluated SET due = 0 WHERE source = new.source AND ticket_id = new.id; END")


@MIGRATIONS()
def m011_packing(db: sqlite_utils.Database) -> None:
    """Stored JSON compressed with a dictionary per source and kind (state/packing.py). Values
    stored before stay as they are (TEXT) and read as before."""
    db.execute("CREATE TABLE packing_dictionaries (id INTEGER PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, "
               "dictionary BLOB NOT NULL, UNIQUE (source, kind))")


# Counted by PRAGMA user_version before sqlite-utils' Migrations kept the record: never change.
COUNTED_BY_USER_VERSION = (m001_records_tickets_runs, m002_ledger, m003_goal_checks, m004_writeback_since)


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the state file up to the current schema: apply the migrations it lacks, each with
    the record that it was applied, all in one transaction (a savepoint inside an open one).

    An up-to-date file is only read. Otherwise the transaction takes the write lock before it
    looks again at what is pending, so two processes opening an old file at once migrate it once."""
    if not MIGRATIONS.pending(db):
        return
    with transaction(db):
        _adopt_user_version(db)
        MIGRATIONS.apply(db)
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS.applied(db))}")


def applied(db: sqlite_utils.Database) -> list[str]:
    """The names of the migrations applied to this state file, in the order applied."""
    return [migration.name for migration in MIGRATIONS.applied(db)]


def _adopt_user_version(db: sqlite_utils.Database) -> None:
    """Record as applied the migrations a state file from before counted in `user_version`."""
    if db.table(MIGRATIONS.migrations_table).exists():
        return
    counted = db.execute("PRAGMA user_version").fetchone()[0]
    if not counted:
        return
    MIGRATIONS.ensure_migrations_table(db)
    now = str(datetime.now(timezone.utc))
    db.table(MIGRATIONS.migrations_table).insert_all(
        {"migration_set": MIGRATIONS.name, "name": migration.__name__, "applied_at": now}
        for migration in COUNTED_BY_USER_VERSION[:counted]
    )

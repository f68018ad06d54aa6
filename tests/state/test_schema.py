import sqlite3
from pathlib import Path

import pytest

from deskplan.state import database, schema
from deskplan.state.ledger import Ledger
from deskplan.state.records import Page, Record
from deskplan.state.store import Store

ALL = ["m001_records_tickets_runs", "m002_ledger", "m003_goal_checks", "m004_writeback_since",
       "m005_drop_records_hash", "m006_identity", "m007_quarantine_by_stage", "m008_task_states",
       "m009_kpi_facts", "m010_evaluation_due", "m011_packing"]
LEGACY_V4 = Path(__file__).with_name("legacy_v4.sql")      # made by deskplan's store before sqlite-utils' Migrations


def legacy_state(path):
    conn = sqlite3.connect(path)
    conn.executescript(LEGACY_V4.read_text())
    conn.close()
    return path


def rows(path):
    conn = sqlite3.connect(path)
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                                               "LIKE '\\_%' ESCAPE '\\' ORDER BY name")]
    found = {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables}
    conn.close()
    return found


def columns(db, table):
    return [column.name for column in db.table(table).columns]


def test_a_new_state_file_gets_every_migration_once(tmp_path):
    Store.open(tmp_path / "state.db").close()
    store = Store.open(tmp_path / "state.db")
    assert schema.applied(store.db) == ALL
    assert "hash" not in columns(store.db, "records") and "hash" in columns(store.db, "tickets")
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(ALL)   # what deskplan before read
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_state_file_made_by_migrations_1_to_4_migrates_forward_keeping_its_data(tmp_path):
    path = legacy_state(tmp_path / "state.db")
    before = rows(path)
    store = Store.open(path)
    assert schema.applied(store.db) == ALL
    assert columns(store.db, "records") == ["source", "kind", "id", "ticket_id", "data"]
    after = rows(path)
    assert after["records"] == [row[:5] for row in before.pop("records")]
    # the quarantine gained a digest (none for entries from before) and a stage in its key
    assert columns(store.db, "quarantine")[-1] == "digest"
    assert after["quarantine"] == [(*row, None) for row in before.pop("quarantine")]
    # evaluations gained when each is due again (a resolved ticket evaluated before: never by time alone)
    assert after["evaluated"] == [(*row, None) for row in before.pop("evaluated")]
    assert {table: after[table] for table in before} == before
    assert store.ticket_record("zd", "1").data == {"id": 1, "subject": "Printer"}
    assert Ledger(store).status_comment("zd", "1").remote_id == "c1"
    assert store.save_page("zd", Page("tickets", [Record("event", "e2", "1", {"id": "e2"})], {}, done=True)) == 1


@pytest.mark.parametrize("counted", [1, 2, 3])
def test_a_state_file_part_way_through_the_old_migrations_gets_the_rest(tmp_path, counted):
    db = database.connect(tmp_path / "state.db")
    for migration in schema.COUNTED_BY_USER_VERSION[:counted]:
        migration(db)
    db.execute(f"PRAGMA user_version = {counted}")
    schema.migrate(db)
    assert schema.applied(db) == ALL
    assert db.table("writeback_since").exists() and "hash" not in columns(db, "records")


def test_migrating_inside_an_outer_transaction_is_rolled_back_with_it(tmp_path):
    path = legacy_state(tmp_path / "state.db")
    before = rows(path)
    db = database.connect(path)
    with database.rolled_back(db):
        schema.migrate(db)
        assert schema.applied(db) == ALL
    assert rows(path) == before
    assert db.execute("PRAGMA user_version").fetchone()[0] == 4
    assert not db.table("_sqlite_migrations").exists()


def test_a_scratch_store_leaves_an_older_file_as_it_found_it_schema_and_rows(tmp_path):
    path = legacy_state(tmp_path / "state.db")
    before = rows(path)
    with Store.scratch(path) as store:
        assert schema.applied(store.db) == ALL                 # the dry-run works on the current schema
        store.save_page("zd", Page("tickets", [Record("ticket", "2", "2", {"id": 2})], {"after": "x"}, done=True))
        assert store.ticket_record("zd", "2") is not None
    assert rows(path) == before

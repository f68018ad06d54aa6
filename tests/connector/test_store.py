from deskplan.adapters.base import Page, Quarantined, Record
from deskplan.connector.store import MIGRATIONS, Store


def page(records, cursor, stream="tickets", quarantined=()):
    return Page(stream, records, cursor, done=False, quarantined=list(quarantined))


def test_page_and_cursor_are_stored_together():
    store = Store.open(":memory:")
    store.save_page("zd", page([Record("ticket", "1", "1", {"a": 1})], {"c": "x"}))
    assert store.cursor("zd", "tickets") == {"c": "x"}
    assert store.ticket_record("zd", "1").data == {"a": 1}
    assert list(store.touched("zd")) == ["1"]


def test_a_failing_page_leaves_neither_records_nor_cursor():
    store = Store.open(":memory:")
    store.save_page("zd", page([Record("ticket", "1", "1", {"a": 1})], {"c": "first"}))
    unstorable = Record("ticket", "3", "3", {"x": object()})   # fails half-way through the page
    try:
        store.save_page("zd", page([Record("ticket", "2", "2", {"b": 2}), unstorable], {"c": "second"}))
    except TypeError:
        pass
    else:
        raise AssertionError("the unstorable record should have failed the page")
    assert store.cursor("zd", "tickets") == {"c": "first"}
    assert store.ticket_record("zd", "2") is None


def test_redelivered_record_is_not_touched_again():
    store = Store.open(":memory:")
    assert store.save_page("zd", page([Record("event", "e1", "7", {"x": 1})], {})) == 1
    store.untouch("zd", "7")
    assert store.save_page("zd", page([Record("event", "e1", "7", {"x": 1})], {})) == 0
    assert list(store.touched("zd")) == []
    assert store.save_page("zd", page([Record("event", "e1", "7", {"x": 2})], {})) == 1
    assert list(store.touched("zd")) == ["7"]


def test_related_records_and_users():
    store = Store.open(":memory:")
    store.save_page("zd", page([
        Record("ticket", "1", "1", {}), Record("event", "e1", "1", {"k": "ev"}),
        Record("rating", "r1", "1", {"k": "ra"}), Record("user", "u9", None, {"role": "agent"}),
        Record("event", "e2", "2", {"k": "other"}),
    ], {}))
    related = store.related("zd", "1")
    assert [e.id for e in related.events] == ["e1"]
    assert [r.data for r in related.ratings] == [{"k": "ra"}]
    assert related.user("u9") == {"role": "agent"}
    assert related.user("nobody") is None


def test_touched_iterates_in_batches_while_rows_are_removed():
    store = Store.open(":memory:")
    store.save_page("zd", page([Record("ticket", f"{i:03}", f"{i:03}", {}) for i in range(25)], {}))
    seen = []
    for tid in store.touched("zd", batch=4):
        seen.append(tid)
        store.untouch("zd", tid)
    assert seen == [f"{i:03}" for i in range(25)]


def test_quarantine_is_listed_and_released():
    store = Store.open(":memory:")
    store.save_page("zd", page([], {}, quarantined=[Quarantined("ticket 5", "bad date", "{...}")]))
    assert [(q["ref"], q["error"]) for q in store.quarantined("zd")] == [("ticket 5", "bad date")]
    store.release_quarantine("zd", "ticket 5")
    assert store.quarantined() == []


def test_migrations_are_recorded(tmp_path):
    path = tmp_path / "state.db"
    Store.open(path).close()
    store = Store.open(path)   # a second open must not re-run migrations
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

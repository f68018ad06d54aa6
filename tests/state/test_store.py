from datetime import datetime, timezone

import pytest

from deskplan.model import Status, Ticket
from deskplan.state.records import Page, Quarantined, Record
from deskplan.state.store import Store

AT = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


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
    broken = Quarantined("ticket 3", "bad date", payload=None)      # fails after the page's records are written
    with pytest.raises(TypeError):
        store.save_page("zd", page([Record("ticket", "2", "2", {"b": 2})], {"c": "second"}, quarantined=[broken]))
    assert store.cursor("zd", "tickets") == {"c": "first"}
    assert store.ticket_record("zd", "2") is None


def nested(levels, inner=1):
    for _ in range(levels):
        inner = [inner]
    return inner


def test_records_that_cannot_be_stored_are_quarantined_and_the_rest_of_the_page_is_stored():
    store = Store.open(":memory:")
    seen = []
    records = [
        Record("ticket", "1", "1", {"subject": "a \ud800 b"}),           # a lone surrogate: stored, escaped
        Record("ticket", "2", "2", {"custom": nested(300)}),              # deeper than orjson writes
        Record("ticket", "3", "3", {"custom": nested(5000)}),             # deeper than json.dumps goes
        Record("event", "e\udc00", "4", {"x": 1}),                       # an id SQLite cannot hold
        Record("ticket", "5", "5", {"big": 2**70, "text": "客服"}),
        Record("ticket", "6", "6", {"x": object()}),                      # not JSON at all
    ]
    changed = store.save_page("zd", page(records, {"c": "next"}),
                              on_quarantine=lambda stage, bad, new: seen.append((stage, bad.ref, new)))
    assert changed == 2 and store.cursor("zd", "tickets") == {"c": "next"}
    assert store.ticket_record("zd", "1").data == {"subject": "a \ud800 b"}
    assert store.ticket_record("zd", "5").data == {"big": 2**70, "text": "客服"}
    assert seen == [("store", "ticket 2", True), ("store", "ticket 3", True), ("store", "event e\\udc00", True),
                    ("store", "ticket 6", True)]
    entries = {q["ref"]: q["error"] for q in store.quarantined("zd")}
    assert entries["ticket 2"] == entries["ticket 3"] == "cannot be stored: nested deeper than 254 levels"
    assert entries["event e\\udc00"] == "cannot be stored: its id is not text (a lone UTF-16 surrogate)"
    assert entries["ticket 6"] == "cannot be stored: not JSON (TypeError)"
    # Delivered again unchanged: known, not new. Stored at last: released.
    seen.clear()
    store.save_page("zd", page(records[1:3], {"c": "again"}),
                    on_quarantine=lambda stage, bad, new: seen.append((stage, bad.ref, new)))
    assert seen == [("store", "ticket 2", False), ("store", "ticket 3", False)]
    store.save_page("zd", page([Record("ticket", "2", "2", {"custom": nested(3)})], {}))
    assert sorted(q["ref"] for q in store.quarantined("zd")) == ["event e\\udc00", "ticket 3", "ticket 6"]


def test_a_quarantine_entry_is_new_once_per_digest_and_per_stage():
    store = Store.open(":memory:")
    bad = Quarantined("7", "unreadable field(s): created_at", '{"id": 7}')
    assert store.quarantine("zd", "build", bad) is True
    assert store.quarantine("zd", "build", bad) is False
    assert store.quarantine("zd", "evaluate", bad, digest="basis-1") is True      # another stage, its own entry
    assert store.quarantine("zd", "evaluate", bad, digest="basis-1") is False
    assert store.quarantine("zd", "evaluate", bad, digest="basis-2") is True      # the ticket changed
    assert store.quarantine("zd", "build", Quarantined("7", "unreadable field(s): id", '{"id": 7}')) is True
    assert store.quarantine_keys("zd") == {("build", "7"), ("evaluate", "7")}
    assert store.quarantine_digests("zd", ["evaluate"]) == {"7": "basis-2"}
    store.release_quarantined("zd", ["7"])          # a build settles its own stage, not evaluation's
    assert store.quarantine_keys("zd") == {("evaluate", "7")}
    store.release_quarantined("zd", ["7"], stage="evaluate")
    assert store.quarantine_keys("zd") == set()


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


def test_a_record_repeated_within_a_page_counts_once_and_its_last_version_is_kept():
    store = Store.open(":memory:")
    same = Record("event", "e1", "7", {"x": 1})
    assert store.save_page("zd", page([same, same], {})) == 1
    # Within a page, the last version is what counts: here it is what is stored already.
    assert store.save_page("zd", page([same, Record("event", "e1", "7", {"x": 2}), same], {})) == 0
    assert store.save_page("zd", page([same, same, Record("event", "e1", "7", {"x": 2})], {})) == 1
    assert [e.data for e in store.related("zd", "7").events] == [{"x": 2}]


def test_build_inputs_give_each_ticket_what_ticket_record_and_related_give():
    store = Store.open(":memory:")
    store.save_page("zd", page([
        Record("ticket", "1", "1", {"t": 1}), Record("event", "e2", "1", {"k": "second"}),
        Record("event", "e1", "1", {"k": "first"}), Record("rating", "r1", "1", {"k": "ra"}),
        Record("event", "e3", "2", {"k": "before its ticket"}), Record("ticket", "3", "3", {"t": 3}),
        Record("user", "u9", None, {"role": "agent"}), Record("group", "g1", None, {"name": "Billing"}),
    ], {}))
    inputs = list(store.build_inputs("zd", ["3", "1", "2"]))
    assert [ticket_id for ticket_id, _, _ in inputs] == ["3", "1", "2"]
    for ticket_id, record, related in inputs:
        assert record == store.ticket_record("zd", ticket_id)
        alone = store.related("zd", ticket_id)
        assert (related.events, related.ratings) == (alone.events, alone.ratings)
    assert [e.data["k"] for e in inputs[1][2].events] == ["second", "first"]     # as stored
    assert inputs[2][1] is None and [e.id for e in inputs[2][2].events] == ["e3"]
    assert inputs[0][2].user("u9") == {"role": "agent"} and inputs[0][2].record("group", "g1") == {"name": "Billing"}
    assert inputs[0][2].user("nobody") is None


def test_the_record_lookup_reads_each_record_once():
    store = Store.open(":memory:")
    store.save_page("zd", page([Record("user", "9", None, {"role": "end-user"})], {}))
    statements = []
    store.db.conn.set_trace_callback(statements.append)
    lookup = store.record_lookup("zd")
    assert [lookup("user", 9), lookup("user", "9"), lookup("user", "8"), lookup("user", "8")] == [
        {"role": "end-user"}, {"role": "end-user"}, None, None]
    assert len([s for s in statements if s.startswith("SELECT")]) == 2


def ticket(ticket_id, **fields):
    return Ticket(source="zd", id=ticket_id, key=ticket_id, status=Status.OPEN, created_at=AT, updated_at=AT, **fields)


def test_save_tickets_writes_only_changed_tickets_and_clears_their_marks():
    store = Store.open(":memory:")
    store.save_page("zd", page([Record("ticket", str(i), str(i), {}) for i in (1, 2, 3)], {}))
    tickets = [ticket(str(i)) for i in (1, 2)]
    assert store.save_tickets(tickets) == 2
    assert list(store.touched("zd")) == ["3"]
    assert store.save_tickets([tickets[0], tickets[1].model_copy(update={"subject": "new"})]) == 1
    assert store.save_ticket(tickets[0]) is False
    assert store.get_ticket("zd", "2").subject == "new"


def test_records_orjson_cannot_hold_exactly_come_back_exactly():
    store = Store.open(":memory:")
    data = {"big": 2**70, "negative": -(2**65), "nested": [{"id": 12345678901234567890123}]}
    odd_keys = {2: "two", 1: "one"}
    store.save_page("zd", page([Record("ticket", "1", "1", data), Record("event", "e1", "1", odd_keys)], {}))
    assert store.ticket_record("zd", "1").data == data
    assert store.related("zd", "1").events[0].data == {"1": "one", "2": "two"}     # keys as JSON has them
    assert store.save_page("zd", page([Record("ticket", "1", "1", data)], {})) == 0


def state(store):
    return {table: store.db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("cursors", "records", "touched", "tickets", "quarantine")}


def test_an_outer_transaction_rolled_back_undoes_pages_and_tickets(tmp_path):
    store = Store.open(tmp_path / "state.db")
    store.save_page("zd", page([Record("ticket", "1", "1", {"a": 1})], {"c": "first"}))
    store.save_tickets([ticket("1")])
    before = state(store)
    with store.rolled_back():
        store.save_page("zd", page([Record("ticket", "1", "1", {"a": 2}), Record("ticket", "2", "2", {})], {"c": "2"},
                                   quarantined=[Quarantined("ticket 5", "bad date", "{...}")]))
        store.touch_all("zd")
        with store.transaction():
            store.save_tickets([ticket("1", subject="new"), ticket("2")])
        assert store.cursor("zd", "tickets") == {"c": "2"} and store.count_tickets("zd") == 2
    assert state(store) == before
    store.close()
    assert state(Store.open(tmp_path / "state.db")) == before


def test_a_failing_page_inside_an_outer_transaction_undoes_only_that_page():
    store = Store.open(":memory:")
    store.db.begin()
    store.save_page("zd", page([Record("ticket", "1", "1", {"a": 1})], {"c": "first"}))
    unstorable = Quarantined("ticket 3", "bad date", payload=None)      # fails after the page's records are written
    with pytest.raises(TypeError):
        store.save_page("zd", page([Record("ticket", "2", "2", {})], {"c": "second"}, quarantined=[unstorable]))
    assert store.db.conn.in_transaction
    assert store.cursor("zd", "tickets") == {"c": "first"} and store.ticket_record("zd", "2") is None
    store.db.commit()
    assert store.ticket_record("zd", "1").data == {"a": 1}


def test_a_transaction_of_its_own_takes_the_write_lock_up_front():
    store = Store.open(":memory:")
    statements = []
    store.db.conn.set_trace_callback(statements.append)
    store.save_page("zd", page([], {}))
    assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT"

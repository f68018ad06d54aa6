import json
from datetime import datetime, timezone

from deskplan.model import Status, Ticket
from deskplan.state import packing
from deskplan.state.records import Page, Record
from deskplan.state.store import Store

AT = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


def events(first: int, count: int) -> list[Record]:
    return [Record("event", str(i), str(i % 7), {"id": i, "body": f"Reply number {i} to the customer, with thanks",
                                                  "author_id": 12345, "public": True})
            for i in range(first, first + count)]


def test_records_are_stored_packed_with_one_dictionary_per_kind_and_read_back_the_same(tmp_path):
    store = Store.open(tmp_path / "state.db")
    store.save_page("zd", Page("ticket_events", events(1, 200), {"c": 1}, False))
    store.save_page("zd", Page("ticket_events", events(201, 50), {"c": 2}, False))
    raw = store.db.execute("SELECT data FROM records WHERE id = '230'").fetchone()[0]
    assert isinstance(raw, bytes) and raw[:1] == packing.MAGIC
    assert len(raw) < len(json.dumps(events(230, 1)[0].data)) / 2
    assert store.db.execute("SELECT count(*) FROM packing_dictionaries").fetchone()[0] == 1
    (_, _, related), = store.build_inputs("zd", ["6"])
    assert [r.data for r in related.events] == [r.data for r in events(1, 250) if r.ticket_id == "6"]
    # the same record again is no change
    assert store.save_page("zd", Page("ticket_events", events(201, 50), {"c": 3}, False)) == 0


def test_json_stored_before_packing_is_read_as_it_was(tmp_path):
    store = Store.open(tmp_path / "state.db")
    ticket = Ticket(source="zd", id="1", key="1", status=Status.OPEN, created_at=AT, updated_at=AT, subject="Printer")
    store.save_tickets([ticket])
    store.db.execute("UPDATE tickets SET data = ? WHERE id = '1'", [ticket.model_dump_json()])
    store.db.execute("INSERT INTO records (source, kind, id, ticket_id, data) VALUES ('zd', 'user', '5', NULL, ?)",
                     ['{"id": 5, "name": "Ann"}'])
    assert store.get_ticket("zd", "1") == ticket and list(store.tickets()) == [ticket]
    assert store.user("zd", "5") == {"id": 5, "name": "Ann"}


def test_a_dictionary_made_in_a_rolled_back_transaction_is_never_used(tmp_path):
    store = Store.open(tmp_path / "state.db")
    with store.rolled_back():
        store.save_page("zd", Page("ticket_events", events(1, 200), {"c": 1}, False))
    assert store.db.execute("SELECT count(*) FROM packing_dictionaries").fetchone()[0] == 0
    store.save_page("zd", Page("ticket_events", events(1, 200), {"c": 1}, False))
    (_, _, related), = store.build_inputs("zd", ["3"])
    assert [r.data["id"] for r in related.events] == [i for i in range(1, 201) if i % 7 == 3]


def test_a_batch_too_small_to_learn_from_is_packed_without_a_dictionary(tmp_path):
    store = Store.open(tmp_path / "state.db")
    store.save_page("zd", Page("ticket_events", events(1, 2), {"c": 1}, False))
    raw = store.db.execute("SELECT data FROM records WHERE id = '1'").fetchone()[0]
    assert raw[:3] == packing.MAGIC + bytes(2)
    assert store.build_inputs("zd", ["1"]).__next__()[2].events[0].data == events(1, 1)[0].data

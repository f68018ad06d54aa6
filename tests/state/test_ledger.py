import pytest

from deskplan.effects import PlannedWrite, WriteKind
from deskplan.state.ledger import Ledger, WriteStatus
from deskplan.state.store import Store

COMMENT = PlannedWrite(key="k1", kind=WriteKind.COMMENT, source="zd", origin="status", title="Status",
                       body="Status\n[deskplan:k1]", ticket_id="1", ticket_key="1", fingerprint="f1")


def test_a_pending_row_is_committed_at_full_synchronous_before_the_write_is_sent(tmp_path):
    ledger = Ledger(Store.open(tmp_path / "state.db"))
    statements = []
    ledger.store.db.conn.set_trace_callback(statements.append)
    ledger.begin(COMMENT)
    assert statements[0] == "PRAGMA synchronous=FULL" and statements[-1] == "PRAGMA synchronous=NORMAL"
    assert not any(s.startswith(("BEGIN", "SAVEPOINT")) for s in statements)       # the INSERT commits alone
    assert Ledger(Store.open(tmp_path / "state.db")).status("k1") is WriteStatus.PENDING


def test_a_pending_row_is_refused_inside_an_open_transaction():
    ledger = Ledger(Store.open(":memory:"))
    with pytest.raises(RuntimeError), ledger.store.rolled_back():
        ledger.begin(COMMENT)
    assert ledger.status("k1") is None
    assert ledger.store.db.execute("PRAGMA synchronous").fetchone()[0] == 2     # :memory: keeps FULL, untouched


def test_done_inside_an_outer_transaction_is_rolled_back_with_it():
    ledger = Ledger(Store.open(":memory:"))
    ledger.begin(COMMENT)
    with ledger.store.rolled_back():
        ledger.done(COMMENT, "c1")
        assert ledger.status_comment("zd", "1").remote_id == "c1"
    assert ledger.status("k1") is WriteStatus.PENDING and ledger.status_comment("zd", "1") is None

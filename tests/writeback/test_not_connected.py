"""A write that could not connect was never sent: it is not left `pending` (answer lost) but
recorded as not applied, and the source's writes stop. A write of several requests whose
first one went out stays in doubt as before: the helpdesk is asked."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from deskplan.effects import PlannedWrite, WriteKind, marker
from deskplan.errors import NotConnected
from deskplan.state.ledger import Ledger, WriteStatus
from deskplan.state.store import Store
from deskplan.writes.apply import Applier, Outcome

from .fakes import FakeWriter

KEY = "ab" * 32
REFUSED = "could not connect to https://acme.zendesk.com:443 (connection refused) (gave up after 3 attempts)"


def comment() -> PlannedWrite:
    return PlannedWrite(key=KEY, kind=WriteKind.COMMENT, source="zd", origin="status", title="Status",
                        body=f"on track\n{marker(KEY)}", ticket_id="7", ticket_key="7", fingerprint="on_track")


def refused(attempts: int = 3) -> NotConnected:
    return NotConnected(REFUSED, attempts=attempts, source="zd", where="PUT /api/v2/tickets/7.json")


@dataclass
class Refusing(FakeWriter):
    """Every write fails to connect, after `sent_first` requests of it that did go out (and,
    with `lands`, applied it)."""

    sent_first: int = 0
    lands: bool = False

    def apply(self, write: PlannedWrite, previous_remote_id: str | None) -> str:
        self.sent.append(write.key)
        self.requests += self.sent_first
        if self.lands:
            self._store(write)
        self.requests += 3          # three attempts, none connected
        raise refused()


@pytest.fixture
def ledger(tmp_path):
    store = Store.open(tmp_path / "state.db")
    yield Ledger(store)
    store.close()


def test_a_write_that_could_not_connect_is_not_pending_and_stops_the_source(ledger):
    write = comment()

    with pytest.raises(NotConnected):
        Applier(ledger, Refusing()).apply(write)

    entry = ledger.get(write.key)
    assert entry.status is WriteStatus.FAILED and "could not connect" in entry.last_error
    assert ledger.count("zd", WriteStatus.PENDING) == 0
    # Planned again on the next run, and sent then, once.
    writer = FakeWriter()
    assert Applier(ledger, writer).apply(write).outcome is Outcome.APPLIED
    assert writer.sent == [write.key] and ledger.status(write.key) is WriteStatus.DONE


def test_a_write_whose_first_request_went_out_is_looked_up_not_forgotten(ledger):
    write = comment()
    writer = Refusing(sent_first=1, lands=True)

    result = Applier(ledger, writer).apply(write)

    assert (result.outcome, result.remote_id) == (Outcome.APPLIED, "c1")      # found by its marker
    assert writer.sent == [write.key]


def test_without_an_immediate_lookup_such_a_write_stays_pending(ledger):
    write = comment()
    writer = Refusing(sent_first=1, lands=True, immediate=False)

    result = Applier(ledger, writer).apply(write)

    assert result.outcome is Outcome.IN_DOUBT
    assert ledger.status(write.key) is WriteStatus.PENDING


@dataclass
class LookupRefused(FakeWriter):
    lookups: int = 0

    def find_effect(self, write: PlannedWrite, previous_remote_id: str | None) -> str | None:
        self.lookups += 1
        raise refused()


def test_reconcile_stops_at_the_first_row_that_cannot_connect_and_keeps_every_row_pending(ledger):
    first, second = comment(), PlannedWrite(**{**comment().__dict__, "key": "cd" * 32, "ticket_id": "8"})
    for write in (first, second):
        ledger.begin(write)
    writer = LookupRefused()

    with pytest.raises(NotConnected):
        Applier(ledger, writer).reconcile("zd")

    assert writer.lookups == 1
    assert ledger.count("zd", WriteStatus.PENDING) == 2

import pytest

from deskplan.errors import RateLimited
from deskplan.state.ledger import Ledger, WriteStatus
from deskplan.state.store import Store
from deskplan.writes.apply import Applier, Outcome
from deskplan.writes.planner import plan_ticket

from .fakes import FOLLOW_UP, SECRET, FakeWriter, assessment


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path / "state.db")
    yield store
    store.close()


def comment_for(ledger, n=1, state="on_track"):
    (write,) = plan_ticket(assessment(n, state=state), ledger, secret=SECRET)
    return write


def test_applied_write_is_done_with_its_remote_id_and_never_sent_again(store):
    ledger, writer = Ledger(store), FakeWriter()
    write = comment_for(ledger)
    assert Applier(ledger, writer).apply(write).outcome is Outcome.APPLIED
    entry = ledger.get(write.key)
    assert (entry.status, entry.remote_id, entry.attempts) == (WriteStatus.DONE, "c1", 1)
    assert ledger.status_comment("zd", "1").fingerprint == write.fingerprint
    assert Applier(ledger, writer).apply(write).outcome is Outcome.SKIPPED
    assert writer.sent == [write.key]


def test_answer_lost_after_the_write_landed_is_found_not_repeated(store):
    ledger, writer = Ledger(store), FakeWriter(lose_answers=1)
    write = comment_for(ledger)
    result = Applier(ledger, writer).apply(write)
    assert (result.outcome, result.remote_id) == (Outcome.APPLIED, "c1")
    assert writer.count(write.marker) == 1 and writer.sent == [write.key]
    assert ledger.status(write.key) is WriteStatus.DONE


def test_failure_before_the_write_landed_is_sent_again_once(store):
    ledger, writer = Ledger(store), FakeWriter(drop_before=1)
    write = comment_for(ledger)
    assert Applier(ledger, writer).apply(write).outcome is Outcome.APPLIED
    assert writer.sent == [write.key, write.key] and writer.count(write.marker) == 1
    assert ledger.get(write.key).attempts == 1      # one ledger attempt, two requests


def test_lost_answers_give_up_in_doubt_after_max_sends(store):
    ledger, writer = Ledger(store), FakeWriter(drop_before=5)
    write = comment_for(ledger)
    result = Applier(ledger, writer, max_sends=3).apply(write)
    assert result.outcome is Outcome.IN_DOUBT and "3 times" in result.error
    assert ledger.status(write.key) is WriteStatus.PENDING and len(writer.sent) == 3


def test_without_an_immediate_lookup_a_lost_answer_waits_for_the_next_run(store):
    ledger, writer = Ledger(store), FakeWriter(lose_answers=1, immediate=False)
    write = next(w for w in plan_ticket(assessment(1, tasks=(FOLLOW_UP,)), ledger, secret=SECRET) if w.kind == "task")
    assert Applier(ledger, writer).apply(write).outcome is Outcome.IN_DOUBT
    assert ledger.status(write.key) is WriteStatus.PENDING
    # Next run: reconciled from the helpdesk, completed (links), and not planned again.
    report = Applier(ledger, writer).reconcile("zd")
    assert (report.found, report.absent, report.errors) == (1, 0, [])
    assert writer.completed == ["t1"] and ledger.get(write.key).remote_id == "t1"
    assert [w for w in plan_ticket(assessment(1, tasks=(FOLLOW_UP,)), ledger, secret=SECRET) if w.kind == "task"] == []
    assert writer.count(write.marker) == 1


def test_a_crash_between_pending_and_the_call_is_forgotten_and_planned_again(store):
    ledger, writer = Ledger(store), FakeWriter()
    write = comment_for(ledger)
    ledger.begin(write)                     # the process died here, before the request
    report = Applier(ledger, writer).reconcile("zd")
    assert (report.found, report.absent) == (0, 1)
    assert ledger.status(write.key) is None
    (again,) = plan_ticket(assessment(1), ledger, secret=SECRET)
    assert again.key == write.key
    Applier(ledger, writer).apply(again)
    assert writer.count(write.marker) == 1


def test_a_crash_after_the_call_is_reconciled_as_done(store):
    ledger, writer = Ledger(store), FakeWriter()
    write = comment_for(ledger)
    ledger.begin(write)
    writer.apply(write, None)               # it landed; the process died before `done`
    assert Applier(ledger, writer).reconcile("zd").found == 1
    assert plan_ticket(assessment(1), ledger, secret=SECRET) == []
    assert ledger.status_comment("zd", "1").remote_id == "c1"


def test_a_failed_lookup_keeps_the_row_pending_and_is_listed(store):
    ledger, writer = Ledger(store), FakeWriter(lookup_fails=True)
    write = comment_for(ledger)
    ledger.begin(write)
    report = Applier(ledger, writer).reconcile("zd")
    assert report.found == report.absent == 0
    assert "could not check whether it was applied" in report.errors[0]
    assert ledger.get(write.key).status is WriteStatus.PENDING
    assert ledger.get(write.key).last_error.endswith("server error")


def test_dry_run_reconcile_finds_but_completes_nothing(store):
    ledger, writer = Ledger(store), FakeWriter()
    write = comment_for(ledger)
    ledger.begin(write)
    writer.apply(write, None)
    Applier(ledger, writer).reconcile("zd", complete=False)
    assert writer.completed == [] and ledger.status(write.key) is WriteStatus.DONE


def test_rejected_write_fails_and_is_tried_again_on_the_next_run(store):
    ledger, writer = Ledger(store), FakeWriter(reject=True)
    write = comment_for(ledger)
    result = Applier(ledger, writer).apply(write)
    assert result.outcome is Outcome.FAILED and "RecordInvalid" in result.error
    assert ledger.status(write.key) is WriteStatus.FAILED
    writer.reject = False
    (again,) = plan_ticket(assessment(1), ledger, secret=SECRET)
    assert Applier(ledger, writer).apply(again).outcome is Outcome.APPLIED
    assert ledger.get(write.key).attempts == 2


def test_rate_limit_past_the_budget_stops_writing_and_the_write_is_not_lost(store):
    ledger, writer = Ledger(store), FakeWriter(rate_limited=True)
    write = comment_for(ledger)
    with pytest.raises(RateLimited):
        Applier(ledger, writer).apply(write)
    assert ledger.status(write.key) is WriteStatus.FAILED
    assert [w.key for w in plan_ticket(assessment(1), ledger, secret=SECRET)] == [write.key]


def test_per_ticket_update_limit_defers_comments_not_tasks(store):
    ledger, writer = Ledger(store), FakeWriter(ticket_update_limit=(2, 600))
    applier = Applier(ledger, writer)
    for state in ("on_track", "at_risk"):
        assert applier.apply(comment_for(ledger, state=state)).outcome is Outcome.APPLIED
    assert applier.apply(comment_for(ledger, state="breached")).outcome is Outcome.DEFERRED
    task = next(w for w in plan_ticket(assessment(1, tasks=(FOLLOW_UP,)), ledger, secret=SECRET) if w.kind == "task")
    assert applier.apply(task).outcome is Outcome.APPLIED
    assert applier.apply(comment_for(ledger, n=2)).outcome is Outcome.APPLIED    # another ticket


def test_a_superseding_comment_is_sent_with_the_remote_id_of_the_one_it_replaces(store):
    ledger = Ledger(store)
    seen = []

    class EditingWriter(FakeWriter):
        def apply(self, write, previous_remote_id):
            seen.append(previous_remote_id)
            return super().apply(write, previous_remote_id)

    writer = EditingWriter()
    Applier(ledger, writer).apply(comment_for(ledger))
    Applier(ledger, writer).apply(comment_for(ledger, state="at_risk"))
    assert seen == [None, "c1"]


def test_pending_durability_switch_leaves_the_connection_at_normal(store):
    ledger = Ledger(store)
    ledger.begin(comment_for(ledger))
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1     # NORMAL

from datetime import datetime, timedelta, timezone

from deskplan.model import Status, Ticket
from deskplan.state.evaluations import Evaluations
from deskplan.state.store import Store

AT = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


def ticket(ticket_id, status=Status.OPEN, **fields):
    return Ticket(source="zd", id=ticket_id, key=ticket_id, status=status, created_at=AT, updated_at=AT, **fields)


def candidates(evaluations, basis="w1", batch=500, now=AT):
    return [(t.id, ticket_basis) for t, ticket_basis in evaluations.candidates("zd", basis, batch, now)]


def test_tickets_are_candidates_until_evaluated_on_the_same_basis_and_again_once_due():
    store = Store.open(":memory:")
    store.save_tickets([ticket("1"), ticket("2", Status.SOLVED), ticket("3", Status.CLOSED, deleted=True)])
    evaluations = Evaluations(store)
    found = candidates(evaluations)
    assert [tid for tid, _ in found] == ["1", "2"] and all(b.endswith(":w1") for _, b in found)
    due = AT + timedelta(hours=3)        # ticket 1's SLA clock turns at risk then
    evaluations.mark_evaluated("zd", "1", found[0][1], due)
    evaluations.mark_evaluated("zd", "2", found[1][1])
    evaluations.record_whole_pass("zd", "w1")
    for now in (AT, due):
        assert candidates(evaluations, now=now) == []                   # nothing changes before its instant
    later = due + timedelta(microseconds=1)
    assert [tid for tid, _ in candidates(evaluations, now=later)] == ["1"]
    assert [tid for tid, _ in candidates(evaluations, "w2")] == ["1", "2"]   # the workspace changed
    assert [tid for tid, _ in candidates(evaluations, "w2")] == ["1", "2"]   # ... until a whole pass ends
    evaluations.record_whole_pass("zd", "w2")
    assert candidates(evaluations, "w2") == []        # then only the due ones
    evaluations.mark_due("zd", "2")                    # its writes were not all settled
    assert [tid for tid, _ in candidates(evaluations, "w2")] == ["2"]
    store.save_tickets([ticket("1", subject="changed")])
    assert [tid for tid, _ in candidates(evaluations, "w2")] == ["1", "2"]  # the ticket changed


def test_a_whole_pass_cut_short_is_made_again():
    store = Store.open(":memory:")
    store.save_tickets([ticket("1", Status.SOLVED), ticket("2", Status.SOLVED)])
    evaluations = Evaluations(store)
    evaluations.mark_evaluated("zd", "2", "old")    # evaluated on another workspace, due never
    rows = evaluations.candidate_rows("zd", "w1", now=AT)
    next(rows)
    rows.close()                                     # a run stopped after one ticket: no whole pass recorded
    found = candidates(evaluations)
    assert [tid for tid, _ in found] == ["1", "2"]     # compared whole again
    for tid, ticket_basis in found:
        evaluations.mark_evaluated("zd", tid, ticket_basis)
    evaluations.record_whole_pass("zd", "w1")
    assert candidates(evaluations) == []


def test_candidates_come_in_batches():
    store = Store.open(":memory:")
    store.save_tickets([ticket(f"{i + 10}") for i in range(7)])
    assert [tid for tid, _ in candidates(Evaluations(store), batch=3)] == [f"{i + 10}" for i in range(7)]


def test_goal_checks_are_kept_per_set_of_sources():
    evaluations = Evaluations(Store.open(":memory:"))
    assert evaluations.goal_check("jira,zd") is None
    evaluations.record_goal_check("jira,zd", "b1", AT)
    evaluations.record_goal_check("jira,zd", "b2", AT + timedelta(hours=1))
    assert evaluations.goal_check("jira,zd") == ("b2", AT + timedelta(hours=1))
    assert evaluations.goal_check("zd") is None


def test_the_first_writeback_is_recorded_once_in_utc():
    evaluations = Evaluations(Store.open(":memory:"))
    assert evaluations.first_writeback("zd") is None
    evaluations.record_first_writeback("zd", AT.astimezone(timezone(timedelta(hours=2))))
    evaluations.record_first_writeback("zd", AT + timedelta(days=1))
    assert evaluations.first_writeback("zd") == AT and evaluations.first_writeback("zd").utcoffset() == timedelta(0)

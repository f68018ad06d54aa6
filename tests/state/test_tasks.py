from dataclasses import replace
from datetime import datetime, timedelta, timezone

from deskplan.state.store import Store
from deskplan.state.tasks import TaskRecord, TaskStates

AT = datetime(2026, 10, 5, 9, tzinfo=timezone.utc)


def task(remote_id="41", **fields):
    values = dict(source="zd", remote_id=remote_id, key="k" * 64, ref=f"zd:{remote_id}", title="Follow up",
                  owner="marketing", origin="rule:bad-rating", due=AT, done=False, gone=False, status="open",
                  url=f"https://acme.zendesk.com/agent/tickets/{remote_id}", read_at=AT - timedelta(hours=1))
    values.update(fields)
    return TaskRecord(**values)


def test_a_task_is_recorded_read_back_and_replaced_by_its_next_reading():
    states = TaskStates(Store.open(":memory:"))
    first = task()
    assert states.record([first]) == 1
    assert states.get("zd", "41") == first
    later = replace(first, done=True, status="solved", due=AT + timedelta(days=2), read_at=AT)
    states.record([later])
    assert states.all() == [later]
    assert states.get("zd", "42") is None


def test_a_task_not_read_back_yet_keeps_no_reading_time_and_no_owner():
    states = TaskStates(Store.open(":memory:"))
    unread = task("7", owner=None, due=None, status="", url=None, read_at=None)
    states.record([unread])
    assert states.get("zd", "7") == unread


def test_rows_are_listed_per_source_in_ref_order():
    states = TaskStates(Store.open(":memory:"))
    states.record([task("9"), task("10"), task("IMP-2", source="jsm", ref="jsm:IMP-2")])
    assert [t.ref for t in states.all()] == ["jsm:IMP-2", "zd:10", "zd:9"]
    assert [t.ref for t in states.all("zd")] == ["zd:10", "zd:9"]


def test_overdue_means_open_still_there_and_due_at_or_before_now():
    open_task = task(due=AT)
    assert open_task.overdue(AT) and open_task.overdue(AT + timedelta(seconds=1))
    assert not open_task.overdue(AT - timedelta(seconds=1))
    assert not task(done=True).overdue(AT + timedelta(days=1))
    assert not task(gone=True).overdue(AT + timedelta(days=1))
    assert not task(due=None).overdue(AT + timedelta(days=1))


def test_instants_come_back_in_utc_whatever_zone_they_were_recorded_in():
    states = TaskStates(Store.open(":memory:"))
    shanghai = timezone(timedelta(hours=8))
    states.record([task(due=AT.astimezone(shanghai))])
    (back,) = states.all()
    assert back.due == AT and back.due.utcoffset() == timedelta(0)

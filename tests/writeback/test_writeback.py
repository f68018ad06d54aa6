"""Write-back planned and applied on canonical tickets in a state file, with the compact
workspace and a fake writer: which tickets are evaluated on each run, and what the Assessor
hands the planner."""

from datetime import datetime, timedelta, timezone

import pytest

from deskplan.app.summary import SourceSummary
from deskplan.app.writeback import WritebackApplier, show_source
from deskplan.config import WritebackConfig
from deskplan.model import EventKind, Status, TimelineEvent
from deskplan.rules.load import load_workspace
from deskplan.state.ledger import Ledger
from deskplan.state.store import Store
from deskplan.writes.apply import Applier
from deskplan.writes.assess import Assessor
from deskplan.writes.plan import WritebackPlanner

from .fakes import SECRET, T0, FakeWriter, ticket
from .harness import COMPACT_PLAN, COMPACT_RULES

NOW = T0 + timedelta(days=1)
HISTORY = WritebackConfig(since=datetime(2025, 1, 1, tzinfo=timezone.utc))     # live before every ticket here


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "plan.yaml").write_text(COMPACT_PLAN)
    (tmp_path / "rules" / "rules.yaml").write_text(COMPACT_RULES)
    return tmp_path


def replied(n, status):
    events = (TimelineEvent(at=T0, kind=EventKind.STATUS, status=Status.NEW),
              TimelineEvent(at=T0 + timedelta(hours=1), kind=EventKind.PUBLIC_REPLY, author="agent"),
              TimelineEvent(at=T0 + timedelta(hours=2), kind=EventKind.STATUS, status=status, from_status=Status.NEW))
    return ticket(n, status=status, timeline=events, solved_at=T0 + timedelta(hours=2))


def solved_unanswered(n):
    events = (TimelineEvent(at=T0, kind=EventKind.STATUS, status=Status.NEW),
              TimelineEvent(at=T0 + timedelta(hours=2), kind=EventKind.STATUS, status=Status.SOLVED,
                            from_status=Status.NEW))
    return ticket(n, status=Status.SOLVED, timeline=events, solved_at=T0 + timedelta(hours=2))


def apply_source(store, workspace_dir, writer, now):
    planner = WritebackPlanner(store, load_workspace(workspace_dir), now, secret=SECRET)
    summary = SourceSummary("zd")
    WritebackApplier(planner).source("zd", Applier(planner.ledger, writer), summary)
    return summary


def evaluated(store, workspace_dir, writer, now=T0 + timedelta(hours=6)):
    summary = apply_source(store, workspace_dir, writer, now)
    assert summary.errors == []
    return summary.tickets_evaluated


def test_tickets_are_evaluated_again_only_when_a_clock_turns_or_after_a_change(tmp_path, workspace):
    store = Store.open(tmp_path / "state.db")
    for t in (ticket(1), replied(2, Status.SOLVED), solved_unanswered(3)):
        store.save_ticket(t)
    writer = FakeWriter()
    assert evaluated(store, workspace, writer) == 3
    # 1 is open and 3 was solved without a reply: their first-reply clocks run (12h on 24x7, 6h
    # gone) and turn at risk after 9h; 2's clocks are both met. Until then nothing changes.
    assert evaluated(store, workspace, writer) == 0
    store.save_ticket(replied(2, Status.SOLVED).model_copy(update={"subject": "changed"}))
    assert evaluated(store, workspace, writer) == 1
    (workspace / "rules" / "rules.yaml").write_text(COMPACT_RULES + "\n# edited\n")
    assert evaluated(store, workspace, writer) == 3      # a new workspace: everything once more
    assert evaluated(store, workspace, writer) == 0
    assert evaluated(store, workspace, writer, now=T0 + timedelta(hours=9)) == 0
    assert evaluated(store, workspace, writer, now=T0 + timedelta(hours=13)) == 2   # both breached: new comments
    assert evaluated(store, workspace, writer, now=T0 + timedelta(hours=14)) == 0   # ... and rest
    assert {t: len(c) for t, c in writer.comments.items()} == {"1": 2, "2": 1, "3": 2}


def test_showing_the_plan_marks_nothing_evaluated_and_writes_nothing(tmp_path, workspace):
    store = Store.open(tmp_path / "state.db")
    store.save_ticket(replied(2, Status.SOLVED))
    shown = []
    for _ in range(2):
        summary = SourceSummary("zd")
        show_source(WritebackPlanner(store, load_workspace(workspace), NOW, secret=SECRET), "zd", summary, shown.append)
        assert (summary.tickets_evaluated, summary.writes_planned, summary.writes_applied) == (1, 1, 0)
    assert [w.origin for w in shown] == ["status", "status"] and shown[0] == shown[1]
    assert store.db.execute("SELECT count(*) FROM writes").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM evaluated WHERE basis != ''").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM evaluation_passes").fetchone()[0] == 0


def test_the_plan_leaves_out_a_write_an_interrupted_run_left_unsettled_and_counts_it(tmp_path, workspace):
    store = Store.open(tmp_path / "state.db")
    store.save_ticket(replied(2, Status.SOLVED))
    planner = WritebackPlanner(store, load_workspace(workspace), NOW, secret=SECRET)
    (plan,) = planner.tickets("zd")
    (write,) = plan.writes
    Ledger(store).begin(write)              # sent, then the run was killed before the answer came
    summary = SourceSummary("zd")
    show_source(planner, "zd", summary, None)
    assert (summary.writes_unsettled, summary.writes_planned) == (1, 0)
    # The real run settles it with the helpdesk first: the fake writer has no such comment,
    # so it is planned afresh and written once.
    writer = FakeWriter()
    applied = apply_source(store, workspace, writer, NOW)
    assert (applied.writes_planned, applied.writes_applied) == (1, 1)
    assert [body for _, body in writer.comments["2"]] == [write.body]


def test_deskplan_tasks_coming_back_from_the_helpdesk_are_not_evaluated(tmp_path, workspace):
    store = Store.open(tmp_path / "state.db")
    store.save_ticket(ticket(5, tags=("deskplan", "deskplan_task")))
    assert evaluated(store, workspace, FakeWriter()) == 0


def test_assessor_gives_measures_with_owner_and_rules_clocks_and_rendered_tasks(workspace):
    from deskplan.model import Satisfaction, Score

    rated = ticket(7, satisfaction=Satisfaction(score=Score.BAD, at=T0 + timedelta(hours=3)))
    a = Assessor(load_workspace(workspace), NOW).assess(rated)
    assert [(m.id, m.owner, m.rule_ids) for m in a.measures] == [
        ("M2", "customer service", ("standard-sla",)), ("M3", "marketing", ("bad-rating-follow-up",))]
    assert [(c.kind, c.state, c.target, c.remaining, c.overdue) for c in a.clocks] == [
        ("first_reply", "breached", timedelta(hours=12), timedelta(0), timedelta(hours=12)),
        ("resolution", "on_track", timedelta(days=3), timedelta(days=2), timedelta(0))]
    (task,) = a.tasks
    assert (task.rule_id, task.title, task.owner, task.due_at) == (
        "bad-rating-follow-up", "Follow up on the rating of 7", "marketing", T0 + timedelta(hours=3 + 48))
    assert a.plan_id == "sip-compact" and str(a.zone) == "UTC"


def goal_pass(store, workspace_dir, writer, now, settings=HISTORY):
    planner = WritebackPlanner(store, load_workspace(workspace_dir), now, settings, secret=SECRET)
    summary = SourceSummary("zd")
    WritebackApplier(planner).goals({"zd": Applier(planner.ledger, writer)}, {"zd": summary})
    return summary


def unanswered(n, created):
    return ticket(n).model_copy(update={"created_at": created, "updated_at": created, "timeline": (
        TimelineEvent(at=created, kind=EventKind.STATUS, status=Status.NEW),)})


def test_goal_windows_are_checked_at_most_hourly_unless_a_write_is_unsettled(tmp_path, workspace):
    march = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    store = Store.open(tmp_path / "state.db")
    store.save_ticket(unanswered(1, datetime(2026, 1, 10, tzinfo=timezone.utc)))
    writer = FakeWriter(reject=True)
    failed = goal_pass(store, workspace, writer, march)
    assert (failed.writes_planned, failed.writes_failed) == (1, 1)            # January: 0 of 1 first replies in 12h
    writer.reject = False
    retried = goal_pass(store, workspace, writer, march + timedelta(minutes=5))
    assert (retried.writes_planned, retried.writes_applied) == (1, 1)         # unsettled: checked again at once
    (task,) = writer.tasks.values()
    assert task.splitlines()[0] == ("Goal first-reply-12h of plan sip-compact missed its target in 2026-01 "
                                    "(2026-01-01 00:00 to 2026-02-01 00:00 UTC).")
    assert "- zd:1 no first reply after 1212h5m (allowed 12h)" in task
    store.save_ticket(unanswered(2, datetime(2026, 2, 5, tzinfo=timezone.utc)))
    assert goal_pass(store, workspace, writer, march + timedelta(minutes=30)).writes_planned == 0
    later = goal_pass(store, workspace, writer, march + timedelta(minutes=66))
    assert (later.writes_planned, later.writes_applied) == (1, 1)             # February, seen by the hourly check
    assert goal_pass(store, workspace, writer, march + timedelta(hours=3)).writes_planned == 0

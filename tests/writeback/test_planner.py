from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from deskplan.effects import WriteKind, idempotency_key, marker
from deskplan.model import Status
from deskplan.state.ledger import Ledger
from deskplan.state.store import Store
from deskplan.writes.planner import (
    Assessment,
    EvidenceTicket,
    GoalMiss,
    PlanItem,
    goal_tasks,
    plan_push_tasks,
    plan_ticket,
    state_fingerprint,
)

from .fakes import (
    FOLLOW_UP,
    SECRET,
    T0,
    assessment,
    clock,
    settle,
    ticket,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_first_status_comment_names_measure_owner_targets_due_in_plan_zone_and_rules(ledger):
    a = replace(assessment(7), zone=SHANGHAI)
    (write,) = plan_ticket(a, ledger, secret=SECRET)
    assert write.kind is WriteKind.COMMENT and (write.ticket_id, write.ticket_key, write.previous) == ("7", "7", None)
    assert write.key == idempotency_key("comment", "zd", "7", state_fingerprint(a), "", secret=SECRET)
    assert write.body == (
        "deskplan status (sip-2026)\n"
        "Measure M2 24-hour support rota (owner: customer service) [rule urgent-vip]\n"
        "SLA First reply: ON TRACK, target 4h, due 2026-11-23 13:00 CST, elapsed 30m, remaining 3h30m, "
        "calendar support-hours [rule urgent-vip]\n"
        f"[deskplan:{write.key[:16]}]"
    )
    assert write.title == "SLA first reply on_track on 7"


def test_same_state_plans_nothing_and_a_changed_state_supersedes_the_comment(ledger):
    (first,) = plan_ticket(assessment(1), ledger, secret=SECRET)
    settle(ledger, [first])
    # Time passed: remaining business time moved, the state did not.
    later = replace(assessment(1), clocks=(clock(elapsed_m=90),))
    assert plan_ticket(later, ledger, secret=SECRET) == []
    (at_risk,) = plan_ticket(assessment(1, state="at_risk"), ledger, secret=SECRET)
    assert at_risk.previous == first.key and at_risk.key != first.key
    assert "First reply: AT RISK" in at_risk.body


def test_a_state_that_comes_back_is_a_new_comment(ledger):
    keys = []
    for state in ("on_track", "at_risk", "on_track"):
        (write,) = plan_ticket(assessment(1, state=state), ledger, secret=SECRET)
        settle(ledger, [write])
        keys.append(write.key)
    assert len(set(keys)) == 3


def test_replanning_before_apply_gives_the_same_keys(ledger):
    a = assessment(3, tasks=(FOLLOW_UP,))
    def keys(a):
        return [w.key for w in plan_ticket(a, ledger, secret=SECRET)]

    assert keys(a) == keys(a)
    assert keys(assessment(3))[0] != keys(assessment(4))[0]


def test_breached_clock_shows_how_long_overdue(ledger):
    breached = replace(clock(state="breached", target_h=1, elapsed_m=100))
    (write,) = plan_ticket(replace(assessment(1), clocks=(breached,)), ledger, secret=SECRET)
    assert "First reply: BREACHED, target 1h, due 2026-11-23 02:00 UTC, elapsed 1h40m, overdue by 40m" in write.body


def test_met_clock_shows_no_due_time_and_spans_read_in_hours(ledger):
    met = replace(clock(kind="resolution", state="met", target_h=24, elapsed_m=39))
    (write,) = plan_ticket(replace(assessment(1), clocks=(met,)), ledger, secret=SECRET)
    assert "SLA Resolution: MET, target 24h, elapsed 39m, calendar support-hours [rule urgent-vip]" in write.body


def test_paused_clock_has_no_due_time(ledger):
    paused = replace(clock(), due=None)
    (write,) = plan_ticket(replace(assessment(1), clocks=(paused,)), ledger, secret=SECRET)
    assert "First reply: ON TRACK, target 4h, paused, elapsed 30m, remaining 3h30m" in write.body


def test_rule_task_once_per_ticket_and_rule_whatever_its_text(ledger):
    writes = plan_ticket(assessment(1, tasks=(FOLLOW_UP,)), ledger, secret=SECRET)
    task = next(w for w in writes if w.kind is WriteKind.TASK)
    assert task.key == idempotency_key("task", "rule", "zd", "1", "bad-rating-follow-up", secret=SECRET)
    assert (task.title, task.owner, task.due, task.links) == (
        "Follow up on the rating of 1", "Marketing", T0 + timedelta(hours=48), ("1",))
    assert task.body == (
        "Call back.\nFollow-up of zd:1 (zd:1), rule bad-rating-follow-up.\nOwner: Marketing\n"
        f"Due: 2026-11-25 01:00 UTC\n{marker(task.key)}"
    )
    settle(ledger, writes)
    edited = replace(FOLLOW_UP, title="Call the customer", body="New text")
    assert plan_ticket(assessment(1, tasks=(edited,)), ledger, secret=SECRET) == []


def test_closed_ticket_gets_no_comment_but_its_rule_task(ledger):
    writes = plan_ticket(assessment(1, tasks=(FOLLOW_UP,), status=Status.CLOSED), ledger, secret=SECRET)
    assert [w.kind for w in writes] == [WriteKind.TASK]


def test_rule_comment_template_replaces_the_text_and_keeps_the_marker(ledger):
    a = replace(assessment(1), comment="VIP: first reply due soon")
    (write,) = plan_ticket(a, ledger, secret=SECRET)
    assert write.body == f"VIP: first reply due soon\n[deskplan:{write.key[:16]}]"


def test_ticket_without_measures_or_targets_gets_nothing_unless_it_had_a_comment(ledger):
    bare = Assessment(ticket=ticket(1))
    assert plan_ticket(bare, ledger, secret=SECRET) == []
    settle(ledger, plan_ticket(assessment(1), ledger, secret=SECRET))
    (write,) = plan_ticket(bare, ledger, secret=SECRET)
    assert "No measure or SLA target applies to this ticket any more." in write.body


def test_no_comment_is_planned_while_an_earlier_one_is_in_doubt(ledger):
    (write,) = plan_ticket(assessment(1), ledger, secret=SECRET)
    ledger.begin(write)         # sent; the answer never came and it could not be checked
    assert plan_ticket(assessment(1, state="at_risk"), ledger, secret=SECRET) == []


def test_failed_writes_are_planned_again(ledger):
    (write,) = plan_ticket(assessment(1), ledger, secret=SECRET)
    ledger.begin(write)
    ledger.failed(write, "422")
    assert [w.key for w in plan_ticket(assessment(1), ledger, secret=SECRET)] == [write.key]


def test_goal_task_goes_to_the_worst_tickets_source_and_links_its_tickets(ledger):
    miss = GoalMiss(
        plan_id="sip-2026", goal_id="G2", metric="first_reply_within", window_label="2026-10",
        window_start=datetime(2026, 9, 30, 16, tzinfo=timezone.utc),
        window_end=datetime(2026, 10, 31, 16, tzinfo=timezone.utc), value=0.8, target=0.9,
        title="90% first reply within 12h", owners=("customer service",), measures=("M2",),
        numerator=8, denominator=10,
        evidence=(EvidenceTicket("jira", "10001", "SD-4", "first reply after 19h"),
                  EvidenceTicket("zd", "12", "12", "no reply"),
                  EvidenceTicket("jira", "10002", "SD-9")),
    )
    (task,) = goal_tasks([miss], ["zd", "jira"], ledger, secret=SECRET)
    assert (task.source, task.links, task.owner) == ("jira", ("SD-4", "SD-9"), "customer service")
    assert task.due == datetime(2026, 11, 7, 16, tzinfo=timezone.utc)
    assert task.key == idempotency_key("task", "goal", "sip-2026", "G2", "2026-10", secret=SECRET)
    assert task.title == "Goal G2 missed in 2026-10 (first_reply_within)"
    assert task.body.splitlines()[:2] == [
        "Goal G2 (90% first reply within 12h) of plan sip-2026 missed its target in 2026-10 "
        "(2026-09-30 16:00 to 2026-10-31 16:00 UTC).",
        "Metric first_reply_within: 80% (8/10), target at least 90%.",
    ]
    assert "- zd:12 no reply" in task.body
    settle(ledger, [task])
    assert list(goal_tasks([miss], ["zd", "jira"], ledger, secret=SECRET)) == []
    fresh = Ledger(Store.open(":memory:"))
    assert [t.source for t in goal_tasks([replace(miss, evidence=())], ["zd"], fresh, secret=SECRET)] == ["zd"]
    # Evidence from a source this run does not write to: the task goes to a synced source.
    assert [(t.source, t.links) for t in goal_tasks([miss], ["zd"], fresh, secret=SECRET)] == [("zd", ("12",))]


def test_plan_push_one_task_per_item_and_source(ledger):
    items = [PlanItem("sip-2026", "measure", "M1", "Automated order processing", owner="technology",
                      due=date(2026, 12, 31)),
             PlanItem("sip-2026", "milestone", "P1", "Upgrade and training")]
    tasks = list(plan_push_tasks(items, "zd", ledger, secret=SECRET))
    assert [t.title for t in tasks] == ["Measure M1: Automated order processing", "Milestone P1: Upgrade and training"]
    # Due by the end of its day (31 Dec): the next midnight, in UTC here, in the plan's zone below.
    assert tasks[0].due == datetime(2027, 1, 1, tzinfo=timezone.utc)
    (shanghai, _) = plan_push_tasks(items, "jira", ledger, secret=SECRET, zone=ZoneInfo("Asia/Shanghai"))
    assert shanghai.due == datetime(2026, 12, 31, 16, tzinfo=timezone.utc)
    assert tasks[0].key != next(plan_push_tasks(items, "jira", ledger, secret=SECRET)).key
    settle(ledger, tasks)
    assert list(plan_push_tasks(items, "zd", ledger, secret=SECRET)) == []

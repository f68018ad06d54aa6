"""Review tasks on the plan's cadence, planned from a state file (writes/reviews.py through the
WritebackPlanner, rendered as `deskplan review` renders): which periods are due, the task's
exact text, the go-live cut-off, once per period, the catch-up bound, the owner's route."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from deskplan.adapters.jira.writes import outline_to_adf
from deskplan.app.review.task import review_renderer
from deskplan.config import WritebackConfig
from deskplan.effects import WriteKind, idempotency_key, marker
from deskplan.state.ledger import Ledger
from deskplan.state.store import Store
from deskplan.writes.plan import ReviewPlan, WritebackPlanner

from ..review.sample import PLAN, local, november, turn_of_the_year, write_workspace

SECRET = "0123456789abcdef0123456789abcdef"
SOURCES = {"weekly-check": "zd", "monthly-review": "zd", "quarterly-lookback": "zd"}
MONDAY = local(2026, 11, 16, 9)         # week 46 (9 to 15 Nov) and October have closed in Shanghai

# The weekly check of week 46 as its task's body: the digest `deskplan review` shows (with the
# task states the closed loop read back: none in this state file), then the marker.
WEEK_46_BODY = """\
Weekly check: week 46 of 2026 (9 to 15 Nov 2026)
Weekly check (weekly-check), 2026-W46: 9 to 15 Nov 2026, Asia/Shanghai; owner: customer service.
Plan Review test plan (sip-review); figures as of 2026-11-16 09:00 CST.

Goals
- First reply within 12h: 75.0% this week (3 of 4 requests; target 90%), up 25.0 points from the week before; \
missed (off track: 82.3% planned by then).
  - zd:B: first reply after 20h (allowed 12h)

By team, lagging teams first
- First reply within 12h: Billing 50.0% (1 of 2, missed); Support 100.0% (2 of 2, met).

Feedback
- 4 requests created this week, 2 the week before.
- Service attitude: 1 this week, 0 the week before (up 1).
- Complaints: 1 this week, 0 the week before (up 1).

Milestones
- P1 Train the agents (1 Oct to 15 Nov 2026, customer service): overdue, ended 15 Nov 2026.
- P2 Tune the rota (16 Nov 2026 to 31 Jan 2027): planned, starts 16 Nov 2026.
- P3 Go live (1 Feb to 31 Mar 2027): planned, starts 1 Feb 2027.

Tasks by owner
deskplan has no tasks in the helpdesk yet.

Overdue tasks
No task is overdue.

Written for this week
No task for a missed goal was written for this week.
"""


@pytest.fixture
def store(tmp_path: Path):
    store = Store.open(tmp_path / "state.db")
    store.save_tickets(november() + turn_of_the_year())
    yield store
    store.close()


def plan(store: Store, root: Path, now: datetime, *, since: str = "2026-10-01", plan_text: str = PLAN,
         kinds: dict[str, str] | None = None) -> ReviewPlan:
    (root / "ws").mkdir(exist_ok=True)
    from deskplan.rules.load import load_workspace

    write_workspace(root / "ws")
    (root / "ws" / "plan.yaml").write_text(plan_text, encoding="utf-8")
    workspace = load_workspace(root / "ws")
    planner = WritebackPlanner(store, workspace, now, WritebackConfig.model_validate({"since": since}),
                               secret=SECRET, kinds=kinds)
    return planner.reviews(SOURCES, review_renderer(workspace, store, now))


def written(store: Store, review_plan: ReviewPlan) -> None:
    ledger = Ledger(store)
    for number, write in enumerate(review_plan.writes):
        ledger.begin(write)
        ledger.done(write, str(900 + number))


def test_the_week_that_closed_becomes_one_task_with_the_digest_as_its_body(store, tmp_path):
    result = plan(store, tmp_path, MONDAY)
    # The weekly check's week 46, and October for the monthly review (each entry's first: its
    # latest closed period alone); no quarter of the plan has closed.
    assert [w.origin for w in result.writes] == ["review:weekly-check:2026-W46", "review:monthly-review:2026-10"]
    assert result.held_back == ()
    week = result.writes[0]
    key = idempotency_key("task", "review", "sip-review", "weekly-check", "2026-W46", "zd", secret=SECRET)
    assert (week.key, week.kind, week.source, week.owner) == (key, WriteKind.TASK, "zd", "customer service")
    assert week.title == "Weekly check: week 46 of 2026 (9 to 15 Nov 2026)"
    assert week.body == WEEK_46_BODY + marker(key)
    # Due by the end of Tuesday after the week, in Shanghai; the trigger is the week's close.
    assert (week.due, week.trigger) == (local(2026, 11, 18), local(2026, 11, 16))
    assert (week.ticket_id, week.links, week.route) == (None, (), ())
    month = result.writes[1]
    # October closed on 1 Nov; written on 16 Nov it keeps its five days from the day it is
    # written: due by the end of Friday 20 Nov, not overdue since 6 Nov.
    assert (month.title, month.owner, month.due) == ("Monthly review: October 2026", "service manager",
                                                     local(2026, 11, 21))


def test_a_review_written_late_keeps_its_whole_allowance_from_the_day_it_is_written(store, tmp_path):
    # Sunday 1 Nov, 00:30: October's review on time (written the day October closed), due five
    # days after the close, by the end of Thursday 5 Nov; week 43's check (closed Monday 26 Oct)
    # late, due two days from this Sunday, by the end of Monday 2 Nov.
    on_time = plan(store, tmp_path, local(2026, 11, 1, 0, 30))
    assert [(w.origin, w.due) for w in on_time.writes] == [
        ("review:weekly-check:2026-W43", local(2026, 11, 3)),
        ("review:monthly-review:2026-10", local(2026, 11, 6)),
    ]
    # Written on Thursday 19 Nov at 14:00, the day counting: the weekly check of week 46 by the
    # end of Friday 20 Nov, October's review by the end of Monday 23 Nov; midnights in Shanghai.
    late = plan(store, tmp_path, local(2026, 11, 19, 14))
    assert [(w.origin, w.due, w.trigger) for w in late.writes] == [
        ("review:weekly-check:2026-W46", local(2026, 11, 21), local(2026, 11, 16)),
        ("review:monthly-review:2026-10", local(2026, 11, 24), local(2026, 11, 1)),
    ]
    # A quarter that closed on 1 Jan, written on 6 Mar (as the demo writes a quarter two months
    # gone): by the end of 15 Mar, not overdue since 10 Jan. 23:59 on 6 Mar is still the day of
    # writing.
    quarterly = plan(store, tmp_path, local(2027, 3, 6, 23, 59))
    assert [(w.origin, w.due) for w in quarterly.writes if "quarterly" in w.origin] == [
        ("review:quarterly-lookback:2026-Q4", local(2027, 3, 16))]


def test_periods_that_closed_before_the_cutoff_are_held_back_and_their_digest_not_built(store, tmp_path):
    result = plan(store, tmp_path, MONDAY, since="2026-11-16T09:00:00+08:00")
    assert result.writes == ()
    assert [(w.origin, w.body) for w in result.held_back] == [
        ("review:weekly-check:2026-W46", marker(result.held_back[0].key)),
        ("review:monthly-review:2026-10", marker(result.held_back[1].key)),
    ]


def test_nothing_new_in_the_same_period_and_a_new_period_writes_a_new_one(store, tmp_path):
    written(store, plan(store, tmp_path, MONDAY))
    assert plan(store, tmp_path, local(2026, 11, 22, 23, 59)) == ReviewPlan((), ())
    later = plan(store, tmp_path, local(2026, 11, 23, 0, 0))
    assert [w.origin for w in later.writes] == ["review:weekly-check:2026-W47"]


def test_a_pending_review_is_not_planned_again_and_a_failed_one_is(store, tmp_path):
    first = plan(store, tmp_path, MONDAY)
    ledger = Ledger(store)
    ledger.begin(first.writes[0])                 # in doubt: the next run asks the helpdesk first
    ledger.begin(first.writes[1])
    ledger.failed(first.writes[1], "refused")     # refused: planned again
    assert [w.origin for w in plan(store, tmp_path, MONDAY).writes] == ["review:monthly-review:2026-10"]


def test_a_cron_that_stopped_writes_each_missed_period_once_at_most_four(store, tmp_path):
    written(store, plan(store, tmp_path, MONDAY))
    # Three weeks without a sync: weeks 47, 48 and 49 have closed since week 46.
    three = plan(store, tmp_path, local(2026, 12, 7, 9))
    assert [w.origin for w in three.writes] == [
        "review:weekly-check:2026-W47", "review:weekly-check:2026-W48", "review:weekly-check:2026-W49",
        "review:monthly-review:2026-11",
    ]
    # Five weeks (47 to 51): the latest four; week 47 is left out for good.
    five = plan(store, tmp_path, local(2026, 12, 21, 9))
    assert [w.origin for w in five.writes][:4] == [
        "review:weekly-check:2026-W48", "review:weekly-check:2026-W49", "review:weekly-check:2026-W50",
        "review:weekly-check:2026-W51",
    ]
    written(store, five)
    assert [w.origin for w in plan(store, tmp_path, local(2026, 12, 28, 9)).writes] == [
        "review:weekly-check:2026-W52"]


def test_a_cadence_entry_added_late_gets_its_latest_period_alone(store, tmp_path):
    # The quarterly look-back's first review, long after the plan began: Q4 2026 only.
    result = plan(store, tmp_path, local(2027, 3, 20, 9))
    assert [w.origin for w in result.writes] == [
        "review:weekly-check:2027-W10", "review:monthly-review:2027-02", "review:quarterly-lookback:2026-Q4"]


def test_after_the_plan_ended_its_last_periods_are_reviewed_once_then_nothing(store, tmp_path):
    last = plan(store, tmp_path, local(2027, 6, 1))
    assert [w.origin for w in last.writes] == [
        "review:weekly-check:2027-W13", "review:monthly-review:2027-03", "review:quarterly-lookback:2027-Q1"]
    written(store, last)
    assert plan(store, tmp_path, local(2027, 9, 1)) == ReviewPlan((), ())


OWNERS = """
owners:
  customer service: {zendesk: {group: Support, assignee: lead@example.com}}
  service manager: {jira: {component: Service}}
  marketing: {zendesk: {group: Marketing}}
"""


def test_the_owner_s_route_for_the_source_s_kind(store, tmp_path):
    result = plan(store, tmp_path, MONDAY, plan_text=PLAN + OWNERS, kinds={"zd": "zendesk"})
    assert [(w.owner, w.route) for w in result.writes] == [
        ("customer service", (("group", "Support"), ("assignee", "lead@example.com"))),
        ("service manager", ()),                  # routed in Jira only
    ]
    assert result.writes[0].to_json()["route"] == [["group", "Support"], ["assignee", "lead@example.com"]]
    assert type(result.writes[0]).from_json(result.writes[0].to_json()) == result.writes[0]


def test_a_review_body_becomes_a_jira_description_with_headings_and_lists():
    doc = outline_to_adf("Title\nA line.\n\nGoals\n- First\n  - detail\n- Second\nA note.\n[deskplan:0123]\n")
    def text(t):
        return [{"type": "text", "text": t}]

    def item(t, *inner):
        return {"type": "listItem", "content": [{"type": "paragraph", "content": text(t)}, *inner]}

    assert doc == {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": text("Title")},
        {"type": "paragraph", "content": text("A line.")},
        {"type": "heading", "attrs": {"level": 3}, "content": text("Goals")},
        {"type": "bulletList", "content": [
            item("First", {"type": "bulletList", "content": [item("detail")]}),
            item("Second"),
        ]},
        {"type": "paragraph", "content": text("A note.")},
        {"type": "paragraph", "content": text("[deskplan:0123]")},
    ]}


# --- against the simulators ----------------------------------------------------------------------

def test_a_dry_run_shows_the_review_tasks_the_sync_then_writes(site, tmp_path):
    from .harness import make_workspace, sync

    workspace = make_workspace(tmp_path / "ws", site, compact=True, cadence=True)
    shown = []
    (dry,) = sync(workspace, dry_run=True, on_write=shown.append).summaries
    reviews = [w for w in shown if w.origin.startswith("review:")]
    assert [w.origin for w in reviews] == ["review:weekly-check:2026-W10", "review:monthly-review:2026-02"]
    assert site.app.writes == [] and dry.review_tasks_created == 0
    written = []
    (real,) = sync(workspace, on_write=written.append).summaries
    # The very writes shown (their bodies may differ in the tasks' section: the real run's review
    # lists the tasks it wrote a moment before, which the dry-run only showed).
    def shape(writes):
        return [(w.key, w.title, w.owner, w.due) for w in writes if w.origin.startswith("review:")]

    assert shape(written) == shape(reviews)
    assert real.review_tasks_created == 2
    if site.kind == "jira":
        # The description keeps the digest's structure: headings and bullet lists.
        issue = next(r for r in site.app.store.records() if r.fields["summary"] == reviews[0].title)
        kinds = [node["type"] for node in issue.fields["description"]["content"]]
        assert kinds[:4] == ["paragraph", "paragraph", "paragraph", "heading"] and "bulletList" in kinds


def test_a_cadence_entry_in_a_source_deskplan_toml_lacks_is_exit_2_before_anything(site, tmp_path):
    from click.testing import CliRunner

    from deskplan.cli import cli

    from .harness import environment, make_workspace

    workspace = make_workspace(tmp_path / "ws", site, compact=True, cadence=True)
    plan = workspace / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("every: month,", "every: month, in: helpdesk,"),
                    encoding="utf-8")
    line = next(n for n, text in enumerate(plan.read_text(encoding="utf-8").splitlines(), 1) if "in: helpdesk" in text)
    column = plan.read_text(encoding="utf-8").splitlines()[line - 1].index("helpdesk") + 1
    result = CliRunner().invoke(cli, ["sync", "-w", str(workspace)], env=environment())
    assert result.exit_code == 2
    source = "zd" if site.kind == "zendesk" else "jsm"
    assert f"{plan}:{line}:{column}: cadence monthly-review: in: unknown source 'helpdesk'; deskplan.toml has: " \
           f"{source}" in result.output
    assert site.app.writes == [] and site.log.getvalue() == ""       # not even a pull

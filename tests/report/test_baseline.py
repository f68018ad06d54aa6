"""`deskplan baseline`: each goal measured over the months before the plan on hand-built tickets
(the span's edges in the plan calendar's zone, scopes, categories, deskplan's own tasks left
out), and `--write` changing nothing in plan.yaml but the baseline values."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskplan.app.baseline import measure_baselines, months_before
from deskplan.cli import cli
from deskplan.effects import TASK_TAG
from deskplan.model import Score
from deskplan.rules.load import load_workspace
from deskplan.state.store import Store

from .timelines import rating, reply, ticket

UTC = timezone.utc
NOW = "2026-03-10T12:00:00Z"

CONFIG = """\
[[sources]]
name = "zd"
kind = "zendesk"
url = "http://127.0.0.1:9"
email = "deskplan@example.com"
token_env = "ZD_TEST_TOKEN"

[state]
path = "state.db"
"""

PLAN = """\
# The plan; the span before it is measured in Berlin time.
plan: {id: p, title: P, start: 2026-03-02, end: 2026-06-30, calendar: berlin}
calendars:
  berlin: {timezone: Europe/Berlin, hours: {mon-fri: ["09:00-17:00"]}}

goals:
  - id: reply-4h          # first replies
    metric: first_reply_within
    threshold: 4h
    calendar: 24x7
    baseline: 50%         # a guess
    target:   75%
    by: 2026-04-30
  - {id: complaints, metric: complaint_rate, target: 10%, direction: at_most, by: 2026-06-30,
     scope: {group: Billing}}
  - id: csat
    metric: csat
    target: 90%           # the board's wish
    by: 2026-06-30
  - id: reply-24h
    metric: first_reply_within
    threshold: 24h
    calendar: 24x7
    target: 50%
    by: 2026-06-30
  - {id: vip-csat, metric: csat, target: 95%, by: 2026-06-30, scope: {group: VIP}}
  - {id: reply-4bh, metric: first_reply_within, threshold: 4h, target: 95%, by: 2026-06-30}   # business hours
"""

RULES = """\
rules:
  - id: complaints
    when: {type: complaint}
    then: {category: complaint}
"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def tickets():
    """The span is 2 December 2025 to 1 March 2026 in Berlin: [2025-12-01 23:00, 2026-03-01 23:00) UTC."""
    return [
        ticket(reply(1, utc(2025, 12, 1, 22, 30)), created=utc(2025, 12, 1, 22, 30), group="Billing",
               key="before-span"),                                           # 1 Dec 23:30 in Berlin
        ticket(reply(2, utc(2025, 12, 1, 23, 30)), created=utc(2025, 12, 1, 23, 30), group="Billing",
               type="complaint", key="first-day"),                           # 2 Dec 00:30 in Berlin
        ticket(reply(5, utc(2026, 1, 10, 10)), rating(48, Score.GOOD, utc(2026, 1, 10, 10)),
               created=utc(2026, 1, 10, 10), group="Billing", key="late-reply"),
        ticket(created=utc(2026, 2, 10, 10), group="Support", type="complaint", key="never-answered"),
        ticket(reply(0.5, utc(2026, 1, 5, 9)), rating(2, Score.BAD, utc(2026, 1, 5, 9)),
               created=utc(2026, 1, 5, 9), group="Billing", key="bad-rating"),
        ticket(reply(3, utc(2026, 3, 1, 22, 30)), rating(24, Score.GOOD, utc(2026, 3, 1, 22, 30)),
               created=utc(2026, 3, 1, 22, 30), group="Billing", key="last-day"),    # 1 Mar 23:30; rated in the plan
        ticket(reply(1, utc(2026, 3, 1, 23, 30)), created=utc(2026, 3, 1, 23, 30), group="Billing",
               key="plan-began"),                                            # 2 Mar 00:30 in Berlin
        ticket(created=utc(2026, 1, 20, 8), tags=(TASK_TAG,), type="complaint", group="Billing", key="our-task"),
    ]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "rules").mkdir(parents=True)
    (root / "deskplan.toml").write_text(CONFIG, encoding="utf-8")
    (root / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (root / "rules" / "complaints.yaml").write_text(RULES, encoding="utf-8")
    store = Store.open(root / "state.db")
    try:
        store.save_tickets(tickets())
    finally:
        store.close()
    return root


def baseline(root: Path, *args: str):
    return CliRunner().invoke(cli, ["baseline", "--workspace", str(root), *args], env={"DESKPLAN_NOW": NOW},
                              catch_exceptions=False)


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert months_before(date(2026, 3, 2), 3) == date(2025, 12, 2)
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


def test_each_goal_over_the_span_with_its_own_definition(root):
    workspace = load_workspace(root)
    result = measure_baselines(workspace, tickets(), utc(2026, 3, 10, 12))
    assert (result.first, result.last, result.timezone) == (date(2025, 12, 2), date(2026, 3, 1), "Europe/Berlin")
    figures = {g.goal.id: (g.numerator, g.denominator, g.text, g.refusal) for g in result.goals}
    assert figures == {
        # first-day 2h, late-reply 5h, never-answered (no reply, 4h long past), bad-rating 0.5h, last-day 3h
        "reply-4h": (3, 5, "60%", None),
        # Billing only: first-day (a complaint), late-reply, bad-rating, last-day; our own task never counts
        "complaints": (1, 4, "25%", None),
        # late-reply good, bad-rating bad; last-day was rated after the plan began
        "csat": (1, 2, "50%", None),
        "reply-24h": (4, 5, "80%", "already meets the target"),
        "vip-csat": (0, 0, None, "no tickets in the span"),
        # Business hours in Berlin: late-reply came on a Saturday and first-day and last-day before 09:00,
        # all within 4h of business time; only never-answered is missed.
        "reply-4bh": (4, 5, "80%", None),
    }


def test_text_output_beside_the_plans_baseline(root):
    result = baseline(root)
    assert result.exit_code == 0, result.output
    assert result.stdout == """\
Baselines of plan p: the 3 months before 2026-03-02 (2025-12-02 to 2026-03-01, Europe/Berlin), from the stored tickets

GOAL        METRIC                  MEASURED                PLAN.YAML  TARGET
reply-4h    first_reply_within 4h   60% (3 of 5)            50%        at least 75%
complaints  complaint_rate          25% (1 of 4)            -          at most 10%
csat        csat                    50% (1 of 2)            -          at least 90%
reply-24h   first_reply_within 24h  80% (4 of 5)            -          at least 50%
vip-csat    csat                    no tickets in the span  -          at least 95%
reply-4bh   first_reply_within 4h   80% (4 of 5)            -          at least 95%
"""
    assert (root / "plan.yaml").read_text(encoding="utf-8") == PLAN


def test_before_and_months_move_the_span_and_json(root):
    result = baseline(root, "--before", "2026-01-06", "--months", "1", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["start"], data["end"], data["before"], data["months"]) == ("2025-12-06", "2026-01-05",
                                                                             "2026-01-06", 1)
    # Only bad-rating (5 January) lies in the span.
    assert [(g["id"], g["numerator"], g["denominator"], g["text"]) for g in data["goals"]] == [
        ("reply-4h", 1, 1, "100%"), ("complaints", 0, 1, "0%"), ("csat", 0, 1, "0%"), ("reply-24h", 1, 1, "100%"),
        ("vip-csat", 0, 0, None), ("reply-4bh", 1, 1, "100%"),
    ]
    assert data["goals"][0]["baseline"] == 0.5 and "written" not in data["goals"][0]


def test_write_changes_only_the_baseline_values(root):
    result = baseline(root, "--write")
    # reply-24h already meets its target: not written, listed, exit 1.
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-4:] == [
        "",
        "wrote plan.yaml: reply-4h 50% -> 60%, complaints (none) -> 25%, csat (none) -> 50%, reply-4bh (none) -> 80%",
        "not written: reply-24h: 80% already meets the target (at least 50%): the goal would be met before the "
        "plan begins; set a target beyond it, then run again",
        "not written: vip-csat: no tickets in the span (its baseline stays as it is)",
    ]
    expected = (PLAN
                .replace("    baseline: 50%         # a guess", "    baseline: 60%         # a guess")
                .replace("{id: complaints, metric: complaint_rate, target: 10%",
                         "{id: complaints, metric: complaint_rate, baseline: 25%, target: 10%")
                .replace("    metric: csat\n    target: 90%", "    metric: csat\n    baseline: 50%\n    target: 90%")
                .replace("threshold: 4h, target: 95%", "threshold: 4h, baseline: 80%, target: 95%"))
    assert (root / "plan.yaml").read_text(encoding="utf-8") == expected
    # The plan still loads, with the new baselines.
    plan = load_workspace(root).plan
    assert [g.baseline for g in plan.goals] == [0.6, 0.25, 0.5, None, None, 0.8]
    again = baseline(root, "--write", "--json")
    assert [g["written"] for g in json.loads(again.stdout)["goals"]] == [True, True, True, False, False, True]
    assert (root / "plan.yaml").read_text(encoding="utf-8") == expected


def test_without_a_state_it_says_to_sync_first(root):
    (root / "state.db").unlink()
    result = baseline(root)
    assert result.exit_code == 2
    assert "no state yet; run `deskplan sync` first" in result.stderr

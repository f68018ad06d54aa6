"""`deskplan explain`: which rules fired and why, and each SLA clock's calendar arithmetic."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskplan.app.explain import explain_stored, explain_ticket
from deskplan.cli import cli
from deskplan.model import Ticket
from deskplan.rules import load_workspace
from deskplan.state.ledger import Ledger
from deskplan.state.store import Store

PLAN = """\
plan: {id: sip, title: SIP, start: 2026-01-05, end: 2026-06-30, calendar: office}
calendars:
  office: {timezone: Asia/Shanghai, hours: {mon-fri: ["09:00-12:00", "13:00-18:00"]}}
goals:
  - {id: csat, metric: csat, target: 90%, by: 2026-03-31}
measures:
  - {id: M1, title: Rota, owner: customer service, goals: [csat]}
"""
RULES = """\
rules:
  - id: standard
    description: Every request
    when: {type: {ne: task}}
    then: {sla: {first_reply: 8h, resolution: 24h}}
  - id: high
    description: High priority is answered within 4 office hours
    when: {priority: {in: [high, urgent]}}
    then: {measure: M1, sla: {first_reply: 4h, resolution: 12h}}
  - id: vip
    when: {tags: vip}
    then: {category: quality}
"""
CONFIG = """\
[[sources]]
name = "zendesk"
kind = "zendesk"
url = "http://127.0.0.1:9"
email = "bot@example.com"
token_env = "ZENDESK_API_TOKEN"

[state]
path = "state/deskplan.db"
"""
# Friday 17:00 in Shanghai; first reply Monday 10:30, then waiting for the customer until 14:00.
TICKET = Ticket(
    source="zendesk", id="41", key="41", subject="Checkout fails", status="open", priority="high",
    created_at="2026-03-06T17:00:00+08:00", updated_at="2026-03-09T14:00:00+08:00",
    timeline=[
        {"at": "2026-03-06T17:00:00+08:00", "kind": "status", "status": "open"},
        {"at": "2026-03-09T10:30:00+08:00", "kind": "public_reply", "body": "Can you send a screenshot?"},
        {"at": "2026-03-09T10:30:00+08:00", "kind": "status", "status": "waiting_customer", "from_status": "open"},
        {"at": "2026-03-09T14:00:00+08:00", "kind": "status", "status": "open", "from_status": "waiting_customer"},
    ],
)
NOW = datetime.fromisoformat("2026-03-09T16:00:00+08:00")
HOURS = ("office (Asia/Shanghai): mon 09:00-12:00, 13:00-18:00; tue 09:00-12:00, 13:00-18:00; "
         "wed 09:00-12:00, 13:00-18:00; thu 09:00-12:00, 13:00-18:00; fri 09:00-12:00, 13:00-18:00")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (tmp_path / "rules" / "main.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "deskplan.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def test_text_shows_the_rules_and_the_clock_arithmetic(root):
    assert explain_ticket(load_workspace(root), TICKET, NOW).to_text().splitlines() == [
        "zendesk:41  'Checkout fails'",
        "  open, high; created 2026-03-06 17:00 +0800, updated 2026-03-09 14:00 +0800",
        "  evaluated at 2026-03-09 16:00 +0800",
        "",
        "Rules that fired (2 of 3):",
        "  standard - Every request",
        "    [yes] type ne task  (value: none)",
        "  high - High priority is answered within 4 office hours",
        "    [yes] priority in [high, urgent]  (value: high; matched: high)",
        "Did not fire (1):",
        "  vip: tags eq vip (value: [])",
        "",
        "Measures:",
        "  M1 Rota (owner: customer service; rules: high)",
        "Categories: none",
        "",
        "SLA clocks:",
        "  first_reply: target 4h business time on office (rule high; less strict: standard) -> met",
        f"    calendar: {HOURS}",
        "    started 2026-03-06 17:00 +0800, stopped 2026-03-09 10:30 +0800, due 2026-03-09 12:00 +0800",
        "    counted 2026-03-06 17:00 +0800 -> 2026-03-09 10:30 +0800 (2d 17h 30m on the clock): 2h30m business time",
        "      working 2026-03-06 Fri 17:00-18:00: 1h",
        "      working 2026-03-09 Mon 09:00-10:30: 1h30m",
        "    elapsed 2h30m = 2h30m of 4h business time; remaining 1h30m",
        "  resolution: target 12h business time on office (rule high; less strict: standard) -> on_track",
        f"    calendar: {HOURS}",
        "    started 2026-03-06 17:00 +0800, due 2026-03-10 15:30 +0800",
        "    counted 2026-03-06 17:00 +0800 -> 2026-03-09 10:30 +0800 (2d 17h 30m on the clock): 2h30m business time",
        "      working 2026-03-06 Fri 17:00-18:00: 1h",
        "      working 2026-03-09 Mon 09:00-10:30: 1h30m",
        "    paused  2026-03-09 10:30 +0800 -> 2026-03-09 14:00 +0800 (not counted)",
        "    counted 2026-03-09 14:00 +0800 -> 2026-03-09 16:00 +0800 (2h on the clock): 2h business time",
        "    elapsed 2h30m + 2h = 4h30m of 12h business time; remaining 7h30m",
        "",
        "Tasks: none",
        "",
        "Planned writes: none",
    ]


def test_json_holds_the_same_facts(root):
    data = explain_ticket(load_workspace(root), TICKET, NOW).to_dict()
    assert data["now"] == "2026-03-09T08:00:00+00:00"
    assert [(r["id"], r["why"]) for r in data["rules_fired"]] == [
        ("standard", {"expr": "type ne task", "result": True, "value": None}),
        ("high", {"expr": "priority in [high, urgent]", "result": True, "value": "high", "matched": "high"}),
    ]
    assert data["rules_not_fired"] == [{"id": "vip", "why": {"expr": "tags eq vip", "result": False, "value": []}}]
    assert data["measures"] == [{"id": "M1", "title": "Rota", "owner": "customer service", "rules": ["high"]}]
    resolution = data["sla"][1]
    assert {k: resolution[k] for k in ("kind", "rule_id", "state", "due", "elapsed", "remaining", "sum",
                                        "paused_periods", "overridden")} == {
        "kind": "resolution", "rule_id": "high", "state": "on_track", "due": "2026-03-10T07:30:00Z",
        "elapsed": 16200, "remaining": 27000, "sum": "9000 + 7200 = 16200 s of 43200 s",
        "paused_periods": [{"from": "2026-03-09T02:30:00Z", "to": "2026-03-09T06:00:00Z"}],
        "overridden": ["standard"],
    }
    assert resolution["counted"][1] == {
        "from": "2026-03-09T06:00:00Z", "to": "2026-03-09T08:00:00Z", "business": 7200,
        "working_intervals": [["2026-03-09T06:00:00Z", "2026-03-09T08:00:00Z"]],
    }
    json.dumps(data)        # JSON-ready as it is


def test_explain_command_reads_the_ticket_from_the_state_file(root, monkeypatch):
    store = Store.open(root / "state" / "deskplan.db")
    store.save_ticket(TICKET)
    store.close()
    monkeypatch.setenv("DESKPLAN_NOW", "2026-03-09T08:00:00Z")
    runner = CliRunner()
    result = runner.invoke(cli, ["explain", "zendesk:41", "--workspace", str(root), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["ticket"]["ref"], data["now"], [c["state"] for c in data["sla"]]) == (
        "zendesk:41", "2026-03-09T08:00:00+00:00", ["met", "on_track"])
    # What a sync would write now, planned as sync plans it: the first status comment.
    assert [(w["kind"], w["origin"], w["ticket"]) for w in data["planned_writes"]] == [("comment", "status", "41")]
    text = runner.invoke(cli, ["explain", "zendesk:41", "--workspace", str(root)], catch_exceptions=False)
    assert text.exit_code == 0 and text.stdout.splitlines()[0] == "zendesk:41  'Checkout fails'"
    assert text.stdout.splitlines()[-2:-1] == ["Planned writes:"]
    assert text.stdout.splitlines()[-1].startswith("  comment (status) ")
    assert Store.open(root / "state" / "deskplan.db").db.execute("SELECT COUNT(*) FROM writes").fetchone()[0] == 0


@pytest.mark.parametrize("ref, message", [
    ("zendesk:99", "deskplan: zendesk:99 is not in the state file {root}/state/deskplan.db: check the key, "
                   "or run `deskplan sync`"),
    ("zendesk", "deskplan: expected SOURCE:TICKET, such as zendesk:1234 or jsm:SD-12, got 'zendesk'"),
    ("jira:SD-1", "deskplan: no source named 'jira' in deskplan.toml (known: zendesk)"),
])
def test_explain_command_refuses_what_it_cannot_find(root, ref, message):
    Store.open(root / "state" / "deskplan.db").close()
    result = CliRunner().invoke(cli, ["explain", ref, "--workspace", str(root)], catch_exceptions=False)
    assert (result.exit_code, result.stderr.strip()) == (2, message.format(root=root))


def test_explain_without_a_state_file_says_to_sync_first(root):
    result = CliRunner().invoke(cli, ["explain", "zendesk:41", "--workspace", str(root)], catch_exceptions=False)
    assert (result.exit_code, result.stderr.strip()) == (
        2, f"deskplan: no state file at {root}/state/deskplan.db: run `deskplan sync` first")
    assert not (root / "state").exists()


def test_a_ticket_breached_for_months_shows_a_line_per_range_of_days_at_most_eight(root):
    ticket = TICKET.model_copy(update={"timeline": TICKET.timeline[:1], "priority": None})
    now = datetime.fromisoformat("2026-06-30T12:00:00+08:00")
    lines = explain_ticket(load_workspace(root), ticket, now).to_text().splitlines()
    first_reply = lines[lines.index("SLA clocks:") + 1:]
    assert first_reply[:13] == [
        "  first_reply: target 8h business time on office (rule standard) -> breached",
        f"    calendar: {HOURS}",
        "    started 2026-03-06 17:00 +0800, due 2026-03-09 17:00 +0800",
        "    counted 2026-03-06 17:00 +0800 -> 2026-06-30 12:00 +0800 (115d 19h on the clock): 652h business time",
        "      working 2026-03-06 Fri 17:00-18:00: 1h",
        "      working 2026-03-09 Mon to 2026-06-29 Mon, 81 days, each 09:00-12:00, 13:00-18:00: 648h",
        "      working 2026-06-30 Tue 09:00-12:00: 3h",
        "    elapsed 652h = 652h of 8h business time; remaining 0m; overdue 644h",
        "  resolution: target 24h business time on office (rule standard) -> breached",
        f"    calendar: {HOURS}",
        "    started 2026-03-06 17:00 +0800, due 2026-03-11 17:00 +0800",
        "    counted 2026-03-06 17:00 +0800 -> 2026-06-30 12:00 +0800 (115d 19h on the clock): 652h business time",
        "      working 2026-03-06 Fri 17:00-18:00: 1h",
    ]
    every = explain_ticket(load_workspace(root), ticket, now).to_text(verbose=True).splitlines()
    assert sum(1 for line in every if line.startswith("      working ")) == 2 * (1 + 2 * 81 + 1)


def test_day_ranges_past_eight_show_the_first_and_last_and_count_the_rest(root):
    # Saturdays worked with other hours: every week makes two ranges.
    (root / "plan.yaml").write_text(PLAN.replace('hours: {mon-fri: ["09:00-12:00", "13:00-18:00"]}',
                                                 'hours: {mon-fri: ["09:00-12:00", "13:00-18:00"], '
                                                 'sat: ["10:00-14:00"]}'), encoding="utf-8")
    ticket = TICKET.model_copy(update={"timeline": TICKET.timeline[:1], "priority": None})
    now = datetime.fromisoformat("2026-04-30T12:00:00+08:00")
    lines = explain_ticket(load_workspace(root), ticket, now).to_text().splitlines()
    start = lines.index("SLA clocks:") + 4
    assert lines[start:start + 9] == [
        "    counted 2026-03-06 17:00 +0800 -> 2026-04-30 12:00 +0800 (54d 19h on the clock): 340h business time",
        "      working 2026-03-06 Fri 17:00-18:00: 1h",
        "      working 2026-03-07 Sat 10:00-14:00: 4h",
        "      working 2026-03-09 Mon to 2026-03-13 Fri, 5 days, each 09:00-12:00, 13:00-18:00: 40h",
        "      working 2026-03-14 Sat 10:00-14:00: 4h",
        "      … 11 more ranges, 35 working days, 260h business time (--verbose lists every interval)",
        "      working 2026-04-25 Sat 10:00-14:00: 4h",
        "      working 2026-04-27 Mon to 2026-04-29 Wed, 3 days, each 09:00-12:00, 13:00-18:00: 24h",
        "      working 2026-04-30 Thu 09:00-12:00: 3h",
    ]


def test_rules_that_did_not_fire_say_which_test_failed_on_what_value(root):
    (root / "rules" / "main.yaml").write_text(RULES + """  - id: urgent-vip
    when: {any: [{priority: urgent}, {tags: vip}]}
    then: {category: quality}
  - id: not-a-question
    when: {all: [{type: {ne: task}}, {not: {priority: high}}, {subject: {matches: "(?i)refund"}}]}
    then: {category: quality}
""", encoding="utf-8")
    lines = explain_ticket(load_workspace(root), TICKET, NOW).to_text().splitlines()
    start = lines.index("Did not fire (3):")
    assert lines[start:start + 4] == [
        "Did not fire (3):",
        "  vip: tags eq vip (value: [])",
        "  urgent-vip: none of: priority eq urgent (value: high); tags eq vip (value: [])",
        "  not-a-question: not (priority eq high), and it holds; subject matches /(?i)refund/ (value: Checkout fails)",
    ]


def test_a_task_written_already_is_shown_by_its_reference_not_as_nothing_planned(root):
    (root / "rules" / "main.yaml").write_text(RULES + """\
  - id: call-back
    when: {priority: high}
    then: {task: {title: "Call about {{ ticket.key }}", owner: customer service, due: 4h}}
""", encoding="utf-8")
    (root / "deskplan.toml").write_text(CONFIG + "\n[writeback]\nsince = 2026-01-01\n", encoding="utf-8")
    store = Store.open(root / "state" / "deskplan.db")
    store.save_ticket(TICKET)
    store.close()
    now = NOW
    planned = explain_stored(root, "zendesk:41", now)
    task = next(w for w in planned.planned_writes if w.kind.value == "task")
    assert planned.written == ()
    store = Store.open(root / "state" / "deskplan.db")
    ledger = Ledger(store)
    ledger.begin(task)
    ledger.done(task, "77")
    store.close()

    explanation = explain_stored(root, "zendesk:41", now)
    lines = explanation.to_text().splitlines()

    assert lines[lines.index("Planned writes:"):] == [
        "Planned writes:",
        "  comment (status) 'SLA resolution on_track on 41'",
        "Written already:",
        "  task (rule:call-back) 'Call about 41': zendesk:77",
    ]
    assert explanation.to_dict()["written"] == [
        {"kind": "task", "origin": "rule:call-back", "title": "Call about 41", "ref": "zendesk:77", "status": "done"}]

"""`pilot`, `start`, `budget` and `expected` on measures: loaded, and every problem at FILE:LINE:COL."""

from __future__ import annotations

from datetime import date, datetime, timezone

import jsonschema
import pytest

from deskplan.model import Ticket
from deskplan.rules import load_workspace
from deskplan.rules.schema import build_schema
from tests.rules.test_load_problems import problems

PLAN = """\
plan: {id: sip, title: SIP, start: 2026-01-05, end: 2026-06-30}
goals:
  - {id: G1, metric: csat, target: 90%, by: 2026-03-31}
  - {id: G2, metric: complaint_rate, target: 5%, direction: at_most, by: 2026-03-31}
measures:
  - id: M1
    title: Rota
    owner: customer service
    goals: [G1, G2]
{extra}
milestones:
  - {id: P1, title: Later, start: 2026-03-01, end: 2026-03-31, measures: [M1]}
  - {id: P2, title: First, start: 2026-02-01, end: 2026-02-28, measures: [M1]}
"""


def plan(extra: str) -> str:
    return PLAN.replace("{extra}", extra)


def write(root, text):
    (root / "plan.yaml").write_text(text, encoding="utf-8")
    return load_workspace(root)


def test_a_piloted_measure_loads_with_its_groups_compiled(tmp_path):
    workspace = write(tmp_path, plan("""\
    pilot: {scope: {group: Billing}, start: 2026-02-02, end: 2026-03-01, control: {group: Support}}
    budget: {amount: 1200.5, currency: EUR}
    expected: [{goal: G1, change: 5pp}, {goal: G2, change: "-2.5pp"}]"""))
    measure = workspace.plan.measure("M1")
    assert measure.pilot is not None
    assert (measure.pilot.start, measure.pilot.end) == (date(2026, 2, 2), date(2026, 3, 1))
    assert (measure.budget.amount, measure.budget.currency) == (1200.5, "EUR")   # type: ignore[union-attr]
    assert (measure.expected_change("G1"), measure.expected_change("G2")) == (5.0, -2.5)
    moment = datetime(2026, 2, 3, tzinfo=timezone.utc)

    def ticket(group: str | None) -> Ticket:
        return Ticket(source="s", id="1", key="1", status="open", created_at=moment, updated_at=moment, group=group)

    assert [workspace.pilot_group("M1", ticket(g), moment) for g in ("Billing", "Support", "Logistics", None)] == [
        "pilot", "control", None, None]


def test_without_control_every_ticket_outside_the_scope_is_the_control_group(tmp_path):
    workspace = write(tmp_path, plan("    pilot: {scope: {group: Billing}, start: 2026-02-02}"))
    at = datetime(2026, 2, 3, tzinfo=timezone.utc)
    groups = [workspace.pilot_group("M1", Ticket(source="s", id="1", key="1", status="open", created_at=at,
                                                 updated_at=at, group=g), at) for g in ("Billing", "Logistics", None)]
    assert groups == ["pilot", "control", "control"]


def test_a_measure_starts_with_its_first_milestone_unless_it_says(tmp_path):
    workspace = write(tmp_path, plan(""))
    assert workspace.plan.measure_start(workspace.plan.measure("M1")) == date(2026, 2, 1)
    workspace = write(tmp_path, plan("    start: 2026-01-20"))
    assert workspace.plan.measure_start(workspace.plan.measure("M1")) == date(2026, 1, 20)


def test_report_agents_is_off_by_default(tmp_path):
    assert write(tmp_path, plan("")).plan.report.agents is False
    assert write(tmp_path, plan("") + "report: {agents: true}\n").plan.report.agents is True


def test_pilot_budget_and_expected_problems_at_their_positions(tmp_path):
    text = plan("""\
    pilot: {scope: {groop: Billing}, start: 2026-02-02, end: 2026-01-01, control: {status: {gt: 1}}}
    budget: {amount: -3, currency: euro}
    expected:
      - {goal: G3, change: 5pp}
      - {goal: G1, change: 5}
      - {goal: G1, change: 5 %}
      - {goal: G2, change: 2pp}
      - {goal: G1, change: -1pp}
      - {goal: G1, change: 0pp}""")
    assert problems(tmp_path, {"plan.yaml": text}) == [
        "plan.yaml:10:12: measure M1: pilot: the pilot ends (2026-01-01) before it starts (2026-02-02)",
        "plan.yaml:10:21: measure M1: unknown field 'groop' (did you mean 'group'?)",
        "plan.yaml:10:93: measure M1: status: operator 'gt' does not apply to this field; "
        "expected one of: eq, ne, in, not_in, exists",
        "plan.yaml:11:22: measure M1: budget.amount: Input should be greater than or equal to 0",
        "plan.yaml:11:36: measure M1: budget.currency: a currency is a three-letter ISO 4217 code such as CNY "
        "or EUR, got 'euro'",
        "plan.yaml:13:16: measure M1: expected[0].goal: goal 'G3' is not one this measure serves; it serves: G1, G2",
        "plan.yaml:14:28: measure M1: expected[1].change: expected a change in percentage points such as "
        "5pp or -3pp, got 5",
        "plan.yaml:15:28: measure M1: expected[2].change: expected a change in percentage points such as "
        "5pp or -3pp, got '5 %'",
        "plan.yaml:16:28: measure M1: expected[3].change: the change should be negative "
        "(the goal must fall: direction at_most)",
        "plan.yaml:17:28: measure M1: expected[4].change: the change should be positive (the goal must rise)",
        "plan.yaml:18:28: measure M1: expected[5].change: a change lies between -100pp and 100pp and is not 0, "
        "got '0pp'",
    ]


@pytest.mark.parametrize("measure, error", [
    ({"pilot": {"scope": {"group": "Billing"}, "start": "2026-02-02"}, "expected": [{"goal": "G1", "change": "5pp"}],
      "budget": {"amount": 100, "currency": "CNY"}}, None),
    ({"expected": [{"goal": "G1", "change": "5"}]},
     "'5' does not match '^\\\\s*[+-]?\\\\d+(\\\\.\\\\d+)?\\\\s*pp\\\\s*$'"),
    ({"pilot": {"scope": {"groop": "Billing"}, "start": "2026-02-02"}},
     "{'scope': {'groop': 'Billing'}, 'start': '2026-02-02'} is not valid under any of the given schemas"),
    ({"pilot": {"start": "2026-02-02"}}, "{'start': '2026-02-02'} is not valid under any of the given schemas"),
    ({"budget": {"amount": 100}}, "{'amount': 100} is not valid under any of the given schemas"),
])
def test_the_schema_knows_pilots_budgets_and_expected_changes(measure, error):
    document = {"plan": {"id": "p", "title": "t", "start": "2026-01-01", "end": "2026-06-30"},
                "goals": [{"id": "G1", "metric": "csat", "target": "90%", "by": "2026-03-01"}],
                "measures": [{"id": "M1", "title": "t", "owner": "o", "goals": ["G1"], **measure}],
                "report": {"agents": True}}
    validator = jsonschema.Draft202012Validator(build_schema())
    assert [e.message for e in validator.iter_errors(document)] == ([error] if error else [])

"""The measures' effects in the report's JSON and text."""

from __future__ import annotations

import json

import pytest

from deskplan.app.report.render_json import render_json
from deskplan.app.report.render_text import render_text
from deskplan.kpi.report import build_report

from .scenarios import DURING, NOW, cell, four_cells, write_workspace


@pytest.fixture()
def report(tmp_path):
    tickets = (four_cells((20, 40, 38, 40), (20, 40, 21, 40))
               + cell("Support", DURING - (NOW - DURING), 10, 5) + cell("Support", NOW.replace(day=10), 10, 9))
    return build_report(write_workspace(tmp_path), tickets, NOW)


def test_json_measures_keep_their_figures_and_gain_budget_pilot_and_cost(report):
    measures = {m["id"]: m for m in json.loads(render_json(report))["measures"]}
    rota = measures["ROTA"]
    assert {k: rota[k] for k in ("tickets", "sla_met", "sla_attainment", "start", "budget")} == {
        "tickets": 0, "sla_met": 0, "sla_attainment": None, "start": None,
        "budget": {"amount": 6000.0, "currency": "CNY"}}
    pilot = rota["pilot"]
    assert (pilot["scope"], pilot["control"], pilot["start"], pilot["end"]) == (
        {"group": "Billing"}, None, "2026-03-02", "2026-03-29")
    assert pilot["during"] == {"start": "2026-03-02T00:00:00+00:00", "end": "2026-03-30T00:00:00+00:00"}
    (goal,) = pilot["goals"]
    # the control group is every ticket outside Billing: Support's (FAQ's ten early ones fall before `before`)
    assert goal["pilot_before"] == {"value": 0.5, "numerator": 20, "denominator": 40}
    assert goal["pilot_during"] == {"value": 0.95, "numerator": 38, "denominator": 40}
    assert goal["control_before"] == {"value": 0.5, "numerator": 20, "denominator": 40}
    assert goal["control_during"] == {"value": 0.525, "numerator": 21, "denominator": 40}
    assert (goal["verdict"], goal["needed"], goal["expected_pp"], goal["expected_given"]) == (
        "effective", None, 30.0, True)
    assert round(goal["effect_pp"], 6) == 42.5
    assert (round(goal["ci_low_pp"], 2), round(goal["ci_high_pp"], 2)) == (13.97, 68.96)
    assert rota["cost_per_pp"] == pytest.approx(6000 / 42.5) == goal["cost_per_pp"]
    assert rota["uncontrolled"] is None
    faq = measures["FAQ"]
    assert (faq["start"], faq["budget"], faq["pilot"], faq["cost_per_pp"]) == ("2026-03-02", None, None, None)
    (change,) = faq["uncontrolled"]["goals"]
    assert change["verdict"] == "uncontrolled"
    # FAQ is compared over every ticket, both teams: 44.5 days before 2026-03-02 and since
    assert change["before"] == {"value": 0.5, "numerator": 5 + 20 + 20, "denominator": 10 + 40 + 40}
    assert change["after"] == {"value": 68 / 90, "numerator": 38 + 21 + 9, "denominator": 40 + 40 + 10}


def test_text_shows_budget_effect_interval_and_verdict(report):
    text = render_text(report)
    section = text[text.index("MEASURE EFFECTS"):]
    assert "ROTA Billing rota · budget 6,000 CNY, 141 CNY a point\n" in section
    assert "    effect +42.5pp [+14.0, +69.0] · expected +30.0pp · effective\n" in section
    assert "SCRIPT De-escalation script · budget 9,000 EUR\n" in section
    assert "to see -5.0pp: about" in section        # SCRIPT has no tickets yet: too early
    assert "FAQ FAQ pages · no budget\n" in section
    assert "uncontrolled: not proof" in section

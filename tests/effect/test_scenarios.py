"""Pilots on hand-built tickets, through the report: exact counts, effect, interval, verdict."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from deskplan.kpi.effect import DEFAULT_EXPECTED_PP, Needed, Rate, Span
from deskplan.kpi.report import build_report

from .scenarios import BEFORE, DURING, NOW, cell, four_cells, write_workspace
from .test_statistics import ZB, Z, reference_did


@pytest.fixture()
def workspace(tmp_path):
    return write_workspace(tmp_path)


def effects(workspace, tickets):
    return {m.id: m for m in build_report(workspace, tickets, NOW).effects}


def cells(goal):
    return [(r.numerator, r.denominator) for r in (goal.pilot_before, goal.pilot_during, goal.control_before,
                                                    goal.control_during)]


def test_a_clear_improvement_in_the_pilot_group_only_is_effective(workspace):
    # Billing: 20 of 40 answered within the hour before, 38 of 40 during; Support: 20/40, then 21/40
    rota = effects(workspace, four_cells((20, 40, 38, 40), (20, 40, 21, 40)))["ROTA"]
    assert rota.pilot is not None
    assert rota.pilot.during == Span(DURING, datetime(2026, 3, 30, tzinfo=timezone.utc))   # the 29th included
    assert rota.pilot.before == Span(BEFORE, DURING)
    (goal,) = rota.pilot.goals
    assert cells(goal) == [(20, 40), (38, 40), (20, 40), (21, 40)]
    assert goal.pilot_during.value == 0.95
    effect, low, high = reference_did(20, 40, 38, 40, 20, 40, 21, 40)
    assert goal.effect_pp == pytest.approx(42.5) == pytest.approx(effect)
    assert (goal.ci_low_pp, goal.ci_high_pp) == (pytest.approx(low), pytest.approx(high))
    # by hand: adjusted 20.5/41, 38.5/41, 20.5/41, 21.5/41; centre 17/41 = 0.41463; variance
    # (0.25 + 0.05726 + 0.25 + 0.24941) / 41 = 0.019675; half-width 1.95996 * 0.14027 = 0.27492
    assert (round(goal.ci_low_pp, 2), round(goal.ci_high_pp, 2)) == (13.97, 68.96)
    assert goal.verdict == "effective" and goal.needed is None
    assert goal.cost_per_pp == pytest.approx(6000 / 42.5)
    assert rota.cost_per_pp == goal.cost_per_pp


def test_the_same_change_in_both_groups_is_no_effect_detected(workspace):
    # a quiet month: both groups from 50% to 80%, 100 tickets a cell (80 are needed to see 30 points)
    rota = effects(workspace, four_cells((50, 100, 80, 100), (50, 100, 80, 100)))["ROTA"]
    (goal,) = rota.pilot.goals
    assert cells(goal) == [(50, 100), (80, 100), (50, 100), (80, 100)]
    assert goal.effect_pp == pytest.approx(0.0)
    _, low, high = reference_did(50, 100, 80, 100, 50, 100, 80, 100)
    assert (round(goal.ci_low_pp, 2), round(goal.ci_high_pp, 2)) == (round(low, 2), round(high, 2)) == (-17.7, 17.7)
    assert goal.verdict == "no_effect_detected" and goal.needed is None
    # the tickets were enough: 80 a cell for 30 points at these rates
    p1, p2 = 50.5 / 101, 50.5 / 101 + 0.3
    assert math.ceil((Z + ZB) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2) + 2 * p1 * (1 - p1)) / 0.09) == 80
    # the cost of a change that is not there is not a cost per point
    assert goal.cost_per_pp is None and rota.cost_per_pp is None


def test_a_pilot_of_ten_tickets_is_too_early_and_says_how_many_more(workspace):
    rota = effects(workspace, four_cells((2, 5, 4, 5), (50, 100, 52, 100)))["ROTA"]
    (goal,) = rota.pilot.goals
    assert cells(goal) == [(2, 5), (4, 5), (50, 100), (52, 100)]
    assert goal.effect_pp == pytest.approx(38.0)
    assert goal.ci_low_pp < 0 < goal.ci_high_pp
    assert goal.verdict == "too_early"
    p1, p3 = 2.5 / 6, 50.5 / 101
    per_cell = math.ceil((Z + ZB) ** 2 * (p1 * (1 - p1) + (p1 + 0.3) * (0.7 - p1) + 2 * p3 * (1 - p3)) / 0.09)
    assert per_cell == 83
    assert goal.needed == Needed(pilot=83 - 5, control=0, per_cell=83)
    assert goal.cost_per_pp == pytest.approx(6000 / 38.0)      # an estimate on the good side, verdict beside it


def test_a_complaint_rate_that_must_fall_is_effective_below_zero(workspace):
    # Billing complaints from 20 in 100 to 2 in 100; Support stays at 20 in 100
    script = effects(workspace, four_cells((20, 100, 2, 100), (20, 100, 20, 100), complaints=True))["SCRIPT"]
    (goal,) = script.pilot.goals
    assert goal.direction == "at_most"
    assert cells(goal) == [(20, 100), (2, 100), (20, 100), (20, 100)]
    effect, low, high = reference_did(20, 100, 2, 100, 20, 100, 20, 100)
    assert goal.effect_pp == pytest.approx(-18.0) == pytest.approx(effect)
    assert (round(goal.ci_low_pp, 2), round(goal.ci_high_pp, 2)) == (round(low, 2), round(high, 2)) == (-31.74, -3.9)
    assert goal.verdict == "effective"
    assert goal.cost_per_pp == pytest.approx(9000 / 18) and script.cost_per_pp == pytest.approx(500.0)


def test_a_complaint_rate_that_rises_in_the_pilot_is_harmful(workspace):
    script = effects(workspace, four_cells((2, 100, 20, 100), (2, 100, 2, 100), complaints=True))["SCRIPT"]
    assert script.pilot.goals[0].verdict == "harmful" and script.pilot.goals[0].cost_per_pp is None


def test_an_empty_control_group_has_no_effect_and_is_too_early(workspace):
    # SCRIPT's control is the Support group; every ticket here is Billing's or Logistics'
    tickets = four_cells((20, 100, 2, 100), (20, 100, 20, 100), complaints=True, control_group="Logistics")
    (goal,) = effects(workspace, tickets)["SCRIPT"].pilot.goals
    assert cells(goal)[2:] == [(0, 0), (0, 0)]
    assert goal.control_before.value is None
    assert (goal.effect_pp, goal.ci_low_pp, goal.ci_high_pp) == (None, None, None)
    assert goal.verdict == "too_early"
    assert goal.needed is not None and goal.needed.control == goal.needed.per_cell


def test_a_goal_without_expected_change_asks_for_the_default(workspace):
    (goal,) = effects(workspace, [])["ROTA"].pilot.goals
    assert goal.expected_pp == 30.0 and goal.expected_given
    assert DEFAULT_EXPECTED_PP == 5.0


def test_tickets_outside_both_spans_count_nowhere(workspace):
    tickets = cell("Billing", BEFORE - (DURING - BEFORE), 30, 30) + cell("Billing", DURING + (DURING - BEFORE), 30, 0)
    (goal,) = effects(workspace, tickets)["ROTA"].pilot.goals
    assert cells(goal) == [(0, 0)] * 4


def test_a_measure_without_a_pilot_is_compared_before_and_after_its_start_uncontrolled(workspace):
    # FAQ starts 2026-03-02; `after` runs to now (44 days and 12 hours), `before` as long just before
    tickets = cell("Support", DURING - (NOW - DURING), 10, 5) + cell("Support", DURING, 10, 9)
    faq = effects(workspace, tickets)["FAQ"]
    assert faq.pilot is None and faq.cost_per_pp is None
    assert faq.uncontrolled is not None
    assert faq.uncontrolled.before == Span(DURING - (NOW - DURING), DURING)
    assert faq.uncontrolled.after == Span(DURING, NOW)
    (goal,) = faq.uncontrolled.goals
    assert (goal.before, goal.after, goal.verdict) == (Rate(5, 10), Rate(9, 10), "uncontrolled")
    assert goal.change_pp == pytest.approx(40.0)
    p1, p2 = 6 / 12, 10 / 12
    half = Z * math.sqrt(p1 * (1 - p1) / 12 + p2 * (1 - p2) / 12)
    assert (goal.ci_low_pp, goal.ci_high_pp) == (pytest.approx(100 * (p2 - p1 - half)),
                                                 pytest.approx(100 * (p2 - p1 + half)))

"""The effect's interval, the tickets needed and the verdict, against values computed here
independently: a reference written from the published formulas (Price and Bonett 2004; Agresti
and Caffo 2000; the two-proportion sample size), numbers worked by hand, and the edge cases."""

from __future__ import annotations

import math

import pytest

from deskplan.kpi.effect import (
    EFFECTIVE,
    HARMFUL,
    NO_EFFECT,
    TOO_EARLY,
    Z_CONFIDENCE,
    Z_POWER,
    Needed,
    Rate,
    change_interval,
    cost_per_point,
    did_interval,
    needed_more,
    tickets_per_cell,
    verdict,
)
from deskplan.rules.plan import Budget

Z = 1.959963984540054       # the 0.975 quantile of the standard normal (tables: 1.95996)
ZB = 0.8416212335729143     # the 0.8 quantile (tables: 0.84162)


def reference_did(pb, nb, pd, nd, cb, mb, cd, md):
    """Price & Bonett (2004), m = 4: add 0.5 to each count of successes and 1 to each count of
    trials; Wald interval on the adjusted proportions; clipped to [-2, 2]."""
    a = [(pb + 0.5) / (nb + 1), (pd + 0.5) / (nd + 1), (cb + 0.5) / (mb + 1), (cd + 0.5) / (md + 1)]
    n = [nb + 1, nd + 1, mb + 1, md + 1]
    centre = (a[1] - a[0]) - (a[3] - a[2])
    se = math.sqrt(sum(p * (1 - p) / k for p, k in zip(a, n, strict=True)))
    raw = (pd / nd - pb / nb) - (cd / md - cb / mb)
    return 100 * raw, 100 * max(-2, centre - Z * se), 100 * min(2, centre + Z * se)


def test_the_normal_quantiles_are_the_tabled_ones():
    assert abs(Z_CONFIDENCE - Z) < 1e-12
    assert abs(Z_POWER - ZB) < 1e-12


@pytest.mark.parametrize("counts", [
    (80, 100, 95, 100, 80, 100, 82, 100),       # a clear improvement in the pilot group
    (80, 100, 90, 100, 80, 100, 90, 100),       # the same change in both groups
    (3, 5, 5, 5, 2, 4, 2, 3),                   # tiny samples
    (0, 12, 0, 9, 0, 30, 0, 25),                # 0% everywhere
    (12, 12, 9, 9, 30, 30, 25, 25),             # 100% everywhere
    (0, 1, 1, 1, 1, 1, 0, 1),                   # one ticket a cell
    (412, 1000, 480, 1020, 1300, 2900, 1310, 3000),
])
def test_the_difference_in_differences_interval_matches_the_reference(counts):
    pb, nb, pd, nd, cb, mb, cd, md = counts
    got = did_interval(Rate(pb, nb), Rate(pd, nd), Rate(cb, mb), Rate(cd, md))
    effect, low, high = reference_did(*counts)
    assert got is not None
    assert (got.estimate, got.low, got.high) == (pytest.approx(effect), pytest.approx(low), pytest.approx(high))


def test_a_worked_example():
    # pilot 80/100 -> 95/100, control 80/100 -> 82/100. Adjusted: 80.5/101, 95.5/101, 80.5/101, 82.5/101.
    # centre = (95.5 - 82.5) / 101 = 0.128713; variance = (2 * 0.797030 * 0.202970 + 0.945545 * 0.054455
    #   + 0.816832 * 0.183168) / 101 = 0.524605 / 101 = 0.0051941; half-width = 1.959964 * 0.072070 = 0.141255
    got = did_interval(Rate(80, 100), Rate(95, 100), Rate(80, 100), Rate(82, 100))
    assert got is not None
    assert round(got.estimate, 6) == 13.0
    assert (round(got.low, 2), round(got.high, 2)) == (-1.25, 27.0)


def test_zero_and_full_rates_still_have_a_width():
    same = did_interval(Rate(0, 10), Rate(0, 10), Rate(0, 10), Rate(0, 10))
    assert same is not None and same.estimate == 0.0 and same.low < -5 and same.high > 5
    full = did_interval(Rate(10, 10), Rate(10, 10), Rate(10, 10), Rate(10, 10))
    assert full is not None and full.low == pytest.approx(-same.high) and full.high == pytest.approx(-same.low)


def test_an_empty_cell_has_no_interval():
    assert did_interval(Rate(0, 0), Rate(5, 10), Rate(3, 10), Rate(4, 10)) is None
    assert did_interval(Rate(5, 10), Rate(5, 10), Rate(3, 10), Rate(0, 0)) is None
    assert change_interval(Rate(0, 0), Rate(1, 2)) is None


def test_the_two_rate_interval_is_agresti_caffo():
    # 0/10 -> 10/10: adjusted 1/12 and 11/12; centre 10/12; se = sqrt(2 * (1/12)(11/12) / 12) = 0.1128335
    got = change_interval(Rate(0, 10), Rate(10, 10))
    assert got is not None
    assert got.estimate == 100.0
    assert got.low == pytest.approx(100 * (10 / 12 - Z * math.sqrt(2 * (1 / 12) * (11 / 12) / 12)))
    assert round(got.low, 2) == 61.22
    assert got.high == 100.0                    # 105.45 held to the largest possible change
    # 30/50 -> 40/50: adjusted 31/52, 41/52
    got = change_interval(Rate(30, 50), Rate(40, 50))
    p1, p2 = 31 / 52, 41 / 52
    se = math.sqrt(p1 * (1 - p1) / 52 + p2 * (1 - p2) / 52)
    assert got is not None and got.estimate == pytest.approx(20.0)
    assert (got.low, got.high) == (pytest.approx(100 * (p2 - p1 - Z * se)), pytest.approx(100 * (p2 - p1 + Z * se)))


def test_tickets_per_cell_is_the_two_proportion_formula_over_four_cells():
    # planning rates: pilot before 80.5/101, pilot during that + 10 points, control 60.5/101 twice
    p1 = 80.5 / 101
    p2 = p1 + 0.10
    p3 = 60.5 / 101
    expected = math.ceil((Z + ZB) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2) + 2 * p3 * (1 - p3)) / 0.10 ** 2)
    assert tickets_per_cell(Rate(80, 100), Rate(60, 100), 10) == expected == 577
    # with two cells the same formula gives the textbook figure: 60% vs 70% needs 354 a group
    two = math.ceil((Z + ZB) ** 2 * (0.6 * 0.4 + 0.7 * 0.3) / 0.1 ** 2)
    assert two == 354


def test_a_falling_goal_is_planned_downwards_and_rates_are_held_within_0_and_1():
    # complaint rate 5.5/101 before, expected -5 points: 0.5/101 during
    p1, p3 = 5.5 / 101, 5.5 / 101
    p2 = p1 - 0.05
    want = math.ceil((Z + ZB) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2) + 2 * p3 * (1 - p3)) / 0.05 ** 2)
    assert tickets_per_cell(Rate(5, 100), Rate(5, 100), -5) == want
    # an empty before: planning rate 0.5; a shift past 100% is held at 100%
    q = 0.5
    want = math.ceil((Z + ZB) ** 2 * (q * q + 0 + 2 * q * q) / 0.6 ** 2)
    assert tickets_per_cell(Rate(0, 0), Rate(0, 0), 60) == want == 17


def test_needed_is_per_group_from_its_smaller_cell():
    cells = [Rate(80, 100), Rate(9, 10), Rate(60, 100), Rate(50, 90)]
    assert needed_more(cells, 10) == Needed(pilot=577 - 10, control=577 - 90, per_cell=577)
    assert needed_more([Rate(1, 600)] * 4, 50).pilot == 0


@pytest.mark.parametrize("low, high, direction, enough, want", [
    (1.0, 9.0, "at_least", False, EFFECTIVE),
    (-9.0, -1.0, "at_least", False, HARMFUL),
    (-9.0, -1.0, "at_most", False, EFFECTIVE),
    (1.0, 9.0, "at_most", False, HARMFUL),
    (-1.0, 9.0, "at_least", True, NO_EFFECT),
    (-1.0, 9.0, "at_least", False, TOO_EARLY),
    (0.0, 9.0, "at_least", True, NO_EFFECT),     # touching 0 is not entirely on one side
])
def test_verdicts(low, high, direction, enough, want):
    from deskplan.kpi.effect import Interval
    needed = Needed(0, 0, 10) if enough else Needed(5, 0, 10)
    assert verdict(Interval(4.0, low, high), needed, direction) == want


def test_no_interval_is_too_early():
    assert verdict(None, Needed(0, 0, 1), "at_least") == TOO_EARLY


def test_cost_per_point_needs_a_budget_and_an_effect_on_the_good_side():
    budget = Budget(amount=120000, currency="CNY")
    assert cost_per_point(budget, 12.0, "at_least") == 10000.0
    assert cost_per_point(budget, -3.0, "at_most") == 40000.0
    assert cost_per_point(budget, -3.0, "at_least") is None
    assert cost_per_point(budget, None, "at_least") is None
    assert cost_per_point(None, 12.0, "at_least") is None

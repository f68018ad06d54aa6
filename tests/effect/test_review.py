"""The review digest shows each measure's budget, effect and verdict as of the period's end."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from deskplan.app.review.render_json import render_json
from deskplan.app.review.render_text import render_text
from deskplan.kpi.review import build_review, parse_period
from deskplan.rules.plan import Cadence

from .scenarios import NOW, four_cells, write_workspace


def test_a_monthly_review_shows_the_pilot_as_of_its_end(tmp_path):
    workspace = write_workspace(tmp_path)
    cadence = Cadence(id="monthly", title="Monthly review", every="month")
    period = parse_period("2026-03", ZoneInfo("UTC"))
    review = build_review(workspace, four_cells((20, 40, 38, 40), (20, 40, 21, 40)), NOW, cadence, period)
    rota = next(m for m in json.loads(render_json(review))["measures"] if m["id"] == "ROTA")
    (goal,) = rota["pilot"]["goals"]
    assert goal["verdict"] == "effective" and round(goal["effect_pp"], 6) == 42.5
    assert rota["budget"] == {"amount": 6000.0, "currency": "CNY"}
    text = render_text(review)
    assert "MEASURES: BUDGET, EFFECT, VERDICT" in text
    assert "ROTA Billing rota (customer service): budget 6,000 CNY, 141 CNY a point." in text
    assert "effect +42.5pp [+14.0, +69.0], effective." in text.replace("\n    ", " ").replace("\n  ", " ")

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


def test_a_review_breaks_each_goal_down_by_organization_and_channel(tmp_path):
    from tests.report.test_dimensions import TICKETS, workspace

    review = build_review(workspace(tmp_path), TICKETS, NOW, Cadence(id="monthly", title="Monthly review",
                                                                    every="month"),
                          parse_period("2026-03", ZoneInfo("UTC")))
    data = json.loads(render_json(review))
    organization = next(b for b in data["breakdowns"] if (b["goal"], b["dimension"]) == ("reply-1h", "organization"))
    assert organization["rows"] == [
        {"name": "Acme", "value": 0.5, "numerator": 1, "denominator": 2, "met": False, "previous": 1.0,
         "change": -0.5, "trend": "worsening"},
        {"name": "Globex", "value": 1.0, "numerator": 1, "denominator": 1, "met": True, "previous": 0.0,
         "change": 1.0, "trend": "improving"},
        {"name": "(no organization)", "value": 1.0, "numerator": 1, "denominator": 1, "met": True,
         "previous": None, "change": None, "trend": "n/a"},
    ]
    assert [b["dimension"] for b in data["breakdowns"] if b["goal"] == "reply-1h"] == ["organization", "channel"]
    text = " ".join(render_text(review).split())
    assert ("BY CUSTOMER ORGANIZATION AND CHANNEL - First reply within 1h by customer organization: "
            "Acme 50.0% (1 of 2, -50.0pp, worsening); Globex 100.0% (1 of 1, "
            "+100.0pp, improving); (no organization) 100.0% (1 of 1).") in text
    assert "Change and trend against February." in text


def test_the_html_digest_shows_the_breakdowns_and_the_measures(tmp_path):
    from deskplan.app.review.render_html import render_html

    workspace = write_workspace(tmp_path)
    cadence = Cadence(id="monthly", title="Monthly review", every="month")
    review = build_review(workspace, four_cells((20, 40, 38, 40), (20, 40, 21, 40)), NOW, cadence,
                          parse_period("2026-03", ZoneInfo("UTC")))
    page = render_html(review)
    assert '<h2 id="measures">Measures: budget, effect, verdict</h2>' in page
    assert "effect +42.5pp [+14.0, +69.0], effective." in page

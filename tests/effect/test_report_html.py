"""Each pilot in the HTML report: a small self-contained chart of the four rates and the effect."""

from __future__ import annotations

import re

from deskplan.app.report.effects_html import pilot_chart
from deskplan.app.report.render_html import render_html
from deskplan.kpi.report import build_report

from .scenarios import NOW, four_cells, write_workspace


def test_each_piloted_goal_has_a_chart_saying_what_it_shows(tmp_path):
    report = build_report(write_workspace(tmp_path), four_cells((20, 40, 38, 40), (20, 40, 21, 40)), NOW)
    page = render_html(report)
    section = page[page.index('<h2 id="effects">'):]
    assert "<script" not in page
    labels = re.findall(r'<svg[^>]*aria-label="([^"]*)"', section)
    assert labels[0] == ("reply-1h: pilot 50% (20/40) before, 95% (38/40) during; control 50% (20/40) before, "
                         "52% (21/40) during. Effect +42.5pp [+14.0, +69.0]: effective.")
    assert "ROTA Billing rota" in section and "budget 6,000 CNY, 141 CNY a point of effect" in section
    assert "FAQ FAQ pages" in section and "uncontrolled" in section


def test_a_pilot_with_an_empty_group_says_so_instead_of_an_interval(tmp_path):
    report = build_report(write_workspace(tmp_path), [], NOW)
    goal = next(e for e in report.effects if e.id == "ROTA").pilot.goals[0]
    chart = pilot_chart(goal)
    assert chart.startswith("<svg") and chart.endswith("</svg>")
    assert "too early" in chart
    assert re.findall(r">([^<>]+)</text>", chart)[-3:] == [
        "no effect yet:", "no pilot tickets yet", "no control tickets yet"]
    assert ('aria-label="reply-1h: pilot no tickets before, no tickets during; control no tickets before, '
            'no tickets during. No effect yet: the pilot group has no tickets yet and the control group has no '
            'tickets yet: too early."') in chart

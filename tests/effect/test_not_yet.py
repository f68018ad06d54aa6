"""Before a pilot or a measure starts, and while a group has no tickets, the report and the review
say so in words (which group, from when) instead of dashes, an empty interval and a verdict.

Tickets needed (kpi/effect.py, tickets_per_cell) for ROTA's +30pp with no ticket counted yet: both
groups' adjusted before rates are (0 + 0.5) / (0 + 1) = 0.5, the pilot's planned during rate 0.8,
so n = (1.959964 + 0.841621)^2 * (0.25 + 0.16 + 2 * 0.25) / 0.3^2 = 79.37 -> 80 per cell; with the
control group's during cell empty and 40 tickets in each other cell (before rates 20.5/41 = 0.5),
the same 80: 40 more for the pilot group, 80 more for the control group.
"""

# The expected Chinese lines are wider than the line length.
# ruff: noqa: E501

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from deskplan.app.report.effects import effect_lines
from deskplan.app.report.render_html import render_html
from deskplan.app.report.render_json import render_json
from deskplan.app.review.render_json import render_json as review_json
from deskplan.app.review.render_md import render_md
from deskplan.app.review.render_text import render_text as review_text
from deskplan.app.review.words import digest
from deskplan.i18n import translator
from deskplan.kpi.effect import Rate, tickets_per_cell
from deskplan.kpi.report import build_report
from deskplan.kpi.review import build_review, parse_period
from deskplan.rules.plan import Cadence

from .scenarios import BEFORE, NOW, UTC, cell, four_cells, write_workspace

EARLY = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)     # before 2026-03-02: no pilot nor FAQ has started
MONTHLY = Cadence(id="monthly", title="Monthly review", every="month")


def measure_lines(lines: list[str], measure: str) -> list[str]:
    """A measure's lines of the text report's MEASURE EFFECTS section, its heading line first."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{measure} "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return [line.rstrip() for line in lines[start:end]]     # the text report pads each line to its width


def measure_item(review, measure: str, language: str) -> list[str]:
    (section,) = [s for s in digest(review, translator(language)).sections if s.key == "measures"]
    (item,) = [i for i in section.items if i.text.startswith(f"{measure} ")]
    return [item.text, *item.details]


@pytest.fixture()
def early(tmp_path_factory):
    """Tickets of both teams before the pilots' `before` span; the report and a review of February
    as of 2026-02-20, before anything started."""
    workspace = write_workspace(tmp_path_factory.mktemp("early"))
    tickets = cell("Billing", BEFORE, 40, 20) + cell("Support", BEFORE, 40, 20)
    review = build_review(workspace, tickets, EARLY, MONTHLY, parse_period("2026-02", ZoneInfo("UTC")))
    return build_report(workspace, tickets, EARLY), review


@pytest.fixture()
def empty_control(tmp_path_factory):
    """The pilots ran (2026-03-02 to 03-29) but the control group had no ticket during them."""
    workspace = write_workspace(tmp_path_factory.mktemp("empty_control"))
    tickets = four_cells((20, 40, 38, 40), (20, 40, 0, 0))
    review = build_review(workspace, tickets, NOW, MONTHLY, parse_period("2026-03", ZoneInfo("UTC")))
    return build_report(workspace, tickets, NOW), review


def test_the_sample_size_of_a_pilot_not_started_is_the_formula_s():
    assert tickets_per_cell(Rate(0, 0), Rate(0, 0), 30.0) == 80
    assert tickets_per_cell(Rate(20, 40), Rate(20, 40), 30.0) == 80


# --- a pilot not started ------------------------------------------------------------------------

def test_a_pilot_not_started_says_when_it_starts_and_what_it_will_need(early):
    report, review = early
    lines = effect_lines(report.effects)
    assert measure_lines(lines, "ROTA") == [
        "ROTA Billing rota · budget 6,000 CNY",
        "  pilot starts 2026-03-02; nothing to compare yet",
        "  reply-1h",
        "    to see +30.0pp it will need about 80 tickets per group, before and during the pilot",
    ]
    assert measure_item(review, "ROTA", "en") == [
        "ROTA Billing rota (customer service): budget 6,000 CNY.",
        "reply-1h: pilot starts 2026-03-02; nothing to compare yet (to see +30.0pp it will need about 80 tickets "
        "per group, before and during the pilot).",
    ]


def test_a_pilot_not_started_in_chinese(early):
    report, review = early
    assert measure_lines(effect_lines(report.effects, translator("zh-CN")), "ROTA") == [
        "ROTA Billing rota · 预算 6,000 CNY",
        "  试点 2026-03-02 开始，尚无可对比的数据",
        "  reply-1h",
        "    要看到 +30.0pp，每组在试点前和试点期间约各需 80 个工单",
    ]
    assert measure_item(review, "ROTA", "zh-CN") == [
        "ROTA Billing rota（customer service）：预算 6,000 CNY。",
        "reply-1h：试点 2026-03-02 开始，尚无可对比的数据（要看到 +30.0pp，每组在试点前和试点期间约各需 80 个工单）。",
    ]


def test_a_pilot_not_started_is_too_early_in_json_with_its_reason(early):
    report, review = early
    for data in (json.loads(render_json(report)), json.loads(review_json(review))):
        rota = next(m for m in data["measures"] if m["id"] == "ROTA")
        assert rota["pilot"]["started"] is False
        (goal,) = rota["pilot"]["goals"]
        assert (goal["verdict"], goal["reason"], goal["needed"], goal["effect_pp"]) == (
            "too_early", "not_started", {"pilot": 80, "control": 80, "per_cell": 80}, None)
        assert goal["pilot_during"] == {"value": None, "numerator": 0, "denominator": 0}


def test_a_pilot_not_started_has_no_chart_in_html(early):
    report, _ = early
    page = render_html(report)
    panel = page[page.index('<div class="panel" id="effect-ROTA">'):]
    panel = panel[:panel.index("</div>")]
    assert "<svg" not in panel
    assert re.findall(r"<(?:p|h4)[^>]*>([^<]*)</", panel) == [
        "customer service · budget 6,000 CNY · pilot starts 2026-03-02; nothing to compare yet",
        "reply-1h: not started yet",
        "to see +30.0pp it will need about 80 tickets per group, before and during the pilot",
    ]


# --- a measure not started ----------------------------------------------------------------------

def test_a_measure_not_started_says_when_it_takes_effect(early):
    report, review = early
    assert measure_lines(effect_lines(report.effects), "FAQ") == [
        "FAQ FAQ pages · no budget",
        "  no pilot: takes effect 2026-03-02; nothing to compare yet",
    ]
    assert measure_lines(effect_lines(report.effects, translator("zh-CN")), "FAQ") == [
        "FAQ FAQ pages · 无预算",
        "  无试点：2026-03-02 起生效，尚无可对比的数据",
    ]
    assert measure_item(review, "FAQ", "en") == [
        "FAQ FAQ pages (product): no budget.",
        "reply-1h: takes effect 2026-03-02; nothing to compare yet.",
    ]
    assert measure_item(review, "FAQ", "zh-CN") == [
        "FAQ FAQ pages（product）：无预算。",
        "reply-1h：2026-03-02 起生效，尚无可对比的数据。",
    ]
    faq = next(m for m in json.loads(render_json(report))["measures"] if m["id"] == "FAQ")
    assert faq["uncontrolled"]["started"] is False
    page = render_html(report)
    panel = page[page.index('<div class="panel" id="effect-FAQ">'):]
    assert panel[:panel.index("</div>")].endswith(
        '<p class="sub">no pilot: takes effect 2026-03-02; nothing to compare yet</p>\n')


# --- a pilot started with an empty control group ------------------------------------------------

def test_an_empty_control_group_is_named_instead_of_an_effect(empty_control):
    report, review = empty_control
    assert measure_lines(effect_lines(report.effects), "ROTA") == [
        "ROTA Billing rota · budget 6,000 CNY",
        "  pilot from 2026-03-02 to 2026-03-29",
        "  reply-1h",
        "    pilot 50% (20/40) → 95% (38/40) · control 50% (20/40) → no tickets",
        "    no effect yet: the control group has no tickets during the pilot yet",
        "    expected +30.0pp · too early",
        "    to see +30.0pp: about 40 more pilot and 80 more control tickets needed",
    ]
    assert measure_item(review, "ROTA", "en") == [
        "ROTA Billing rota (customer service): budget 6,000 CNY.",
        "reply-1h: pilot 50% (20/40) → 95% (38/40), control 50% (20/40) → no tickets; no effect yet (the control "
        "group has no tickets during the pilot yet), too early; about 40 more pilot and 80 more control tickets "
        "needed.",
    ]
    rota = next(m for m in json.loads(render_json(report))["measures"] if m["id"] == "ROTA")
    (goal,) = rota["pilot"]["goals"]
    assert (rota["pilot"]["started"], goal["verdict"], goal["reason"], goal["needed"], goal["effect_pp"]) == (
        True, "too_early", "empty_cell", {"pilot": 40, "control": 80, "per_cell": 80}, None)


def test_an_empty_control_group_in_chinese(empty_control):
    report, review = empty_control
    assert measure_lines(effect_lines(report.effects, translator("zh-CN")), "ROTA") == [
        "ROTA Billing rota · 预算 6,000 CNY",
        "  试点 2026-03-02 至 2026-03-29",
        "  reply-1h",
        "    试点 50% (20/40) → 95% (38/40) · 对照 50% (20/40) → 没有工单",
        "    尚无效果：对照组在试点期间尚无工单",
        "    预期 +30.0pp · 为时尚早",
        "    要看到 +30.0pp：约还需 40 个试点工单和 80 个对照工单",
    ]
    assert measure_item(review, "ROTA", "zh-CN") == [
        "ROTA Billing rota（customer service）：预算 6,000 CNY。",
        "reply-1h：试点 50% (20/40) → 95% (38/40)，对照 50% (20/40) → 没有工单；尚无效果（对照组在试点期间尚无工单），为时尚早；约还需 40 个试点工单和 80 个对照工单。",
    ]


def test_an_empty_control_group_in_html(empty_control):
    report, _ = empty_control
    page = render_html(report)
    panel = page[page.index('<div class="panel" id="effect-ROTA">'):]
    panel = panel[:panel.index("</div>")]
    assert re.findall(r'<text[^>]*fill="#59636e"[^>]*>(no[^<]*)</text>', panel) == [
        "no effect yet:", "no control tickets during"]
    assert ('<p class="sub">pilot 50% (20/40) → 95% (38/40) · control 50% (20/40) → no tickets · no effect yet: '
            'the control group has no tickets during the pilot yet · to see +30.0pp: about 40 more pilot and 80 '
            'more control tickets needed</p>') in panel


# --- no stray punctuation for empty values, in any format ------------------------------------------

def test_no_dash_or_stray_comma_stands_for_an_empty_value(early, empty_control):
    for report, review in (early, empty_control):
        zh = replace(review, language="zh-CN")
        sections = ["\n".join(effect_lines(report.effects)), "\n".join(effect_lines(report.effects, translator("zh-CN")))]
        for shown in (review, zh):
            (heading,) = [s.heading for s in digest(shown).sections if s.key == "measures"]
            for text in (review_text(shown), render_md(shown)):
                sections.append(text[text.casefold().index(heading.casefold()):])
        for measures in sections:
            assert " , " not in measures and " ," not in measures and "–" not in measures
            assert not re.search(r"effect\s+[,.;]|效果\s*[，。；]", measures)


def test_a_measure_in_effect_without_a_ticket_says_so_once(tmp_path):
    review = build_review(write_workspace(tmp_path), [], NOW, MONTHLY, parse_period("2026-03", ZoneInfo("UTC")))
    assert measure_item(review, "FAQ", "en") == [
        "FAQ FAQ pages (product): no budget.",
        "reply-1h: in effect since 2026-03-02; no tickets before or after it yet, nothing to compare.",
    ]
    assert measure_item(review, "FAQ", "zh-CN")[1] == "reply-1h：自 2026-03-02 起生效；前后都尚无工单，无可对比的数据。"

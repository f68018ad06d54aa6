"""The three renderings of one report: JSON shape, self-contained HTML, text within 100 columns."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

from deskplan.app.report.labels import width
from deskplan.app.report.render_html import render_html
from deskplan.app.report.render_json import render_json
from deskplan.app.report.render_text import render_text
from deskplan.kpi.report import build_report

from .sample import NOW, tickets, utc
from .timelines import reply, ticket


def test_json_shape_and_values(workspace):
    data = json.loads(render_json(build_report(workspace, tickets(), NOW)))
    assert data["schema"] == "deskplan.report/1"
    assert data["plan"] == {"id": "test-plan", "title": "Test plan", "start": "2026-03-02", "end": "2026-06-30",
                            "timezone": "Europe/Berlin"}
    assert (data["now"], data["tickets"]) == ("2026-04-15T12:00:00+00:00", 7)
    assert [g["id"] for g in data["goals"]] == ["reply-4h", "complaints", "csat"]
    goal = data["goals"][0]
    assert {k: goal[k] for k in ("metric", "threshold", "target", "baseline", "direction", "window", "status")} == {
        "metric": "first_reply_within", "threshold": "4h", "target": 0.75, "baseline": 0.5,
        "direction": "at_least", "window": "week", "status": "off_track",
    }
    for g in data["goals"]:
        for w in g["windows"]:
            assert set(w) >= {"start", "end", "value", "numerator", "denominator", "met"}
    w13, w14 = goal["windows"][3], goal["windows"][4]
    assert (w13["start"], w13["end"]) == ("2026-03-23T00:00:00+01:00", "2026-03-30T00:00:00+02:00")
    assert {k: w14[k] for k in ("label", "start", "end", "value", "numerator", "denominator", "met", "closed")} == {
        "label": "2026-W14", "start": "2026-03-30T00:00:00+02:00", "end": "2026-04-06T00:00:00+02:00",
        "value": 0.5, "numerator": 2, "denominator": 4, "met": False, "closed": True,
    }
    assert [e["ref"] for e in w14["worst"]] == ["zd:D", "zd:B"]
    assert goal["groups"][0] == {
        "group": "Billing", "value": 0.6, "numerator": 3, "denominator": 5, "met": False,
        "windows": goal["groups"][0]["windows"],
    }
    assert data["goals"][1]["direction"] == "at_most"
    assert data["categories"]["window"] == "month"
    assert [c["counts"]["complaint"] for c in data["categories"]["windows"]] == [1, 1]
    assert data["measures"][0] == {"id": "M1", "title": "Complaint handling", "owner": "customer service",
                                   "tickets": 2, "sla_met": 2, "sla_breached": 0, "sla_open": 0,
                                   "sla_attainment": 1.0, "start": None, "budget": None, "pilot": None,
                                   "uncontrolled": None, "cost_per_pp": None}


def test_json_is_stable(workspace):
    assert render_json(build_report(workspace, tickets(), NOW)) == render_json(build_report(workspace, tickets(), NOW))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_is_one_self_contained_file(workspace):
    page = render_html(build_report(workspace, tickets(), NOW))
    parser = _Tags()
    parser.feed(page)
    names = [t for t, _ in parser.tags]
    assert "script" not in names and "link" not in names and "img" not in names and "iframe" not in names
    assert not any("src" in attrs for _, attrs in parser.tags)
    assert "url(" not in page and "@import" not in page
    # Every web address is a link to a ticket for people to follow, never something fetched.
    hrefs = [attrs["href"] for tag, attrs in parser.tags if tag == "a"]
    assert len(re.findall(r"https?://", page)) == sum(1 for h in hrefs if h.startswith(("http://", "https://")))
    svgs = [attrs for tag, attrs in parser.tags if tag == "svg"]
    # a chart per goal, categories, tickets per measure, SLA per measure; each drawn for a wide screen and a phone
    assert [a["viewbox"].split()[2] for a in svgs] == ["720", "400"] * (3 + 3)
    assert all(a.get("role") == "img" and a.get("aria-label") for a in svgs)
    assert "reply-4h" in page and "off track" in page and "at risk" in page


def test_html_links_the_evidence_of_a_missed_window(workspace):
    page = render_html(build_report(workspace, tickets(), NOW))
    assert '<a href="https://help.example/D">zd:D</a>: no first reply after 340h (allowed 4h)' in page


def test_text_fits_100_columns_even_with_cjk_names(workspace):
    # In the still open week 16, so the goal line stays as in the JSON test.
    wide = ticket(reply(1, utc(2026, 4, 14, 8)), created=utc(2026, 4, 14, 8), group="华东客服一部售后服务中心团队")
    text = render_text(build_report(workspace, tickets() + [wide], NOW))
    lines = text.splitlines()
    assert max(width(line) for line in lines) <= 100
    reply_line = next(line for line in lines if line.startswith("reply-4h"))
    assert reply_line.split() == ["reply-4h", "≥", "75%", "2026-04-30", "50.0%", "2026-W14", "63.1%", "↓",
                                  "worse", "-50.0pp", "off", "track"]
    assert any(line.startswith("华东客服一部售后服务…") for line in lines)


def test_a_report_before_the_plan_starts_renders_with_no_data(workspace):
    report = build_report(workspace, tickets(), utc(2026, 2, 1))
    assert [(g.status, g.windows) for g in report.goals] == [("no_data", ())] * 3
    assert json.loads(render_json(report))["goals"][0]["windows"] == []
    assert "no data" in render_text(report)
    assert "<svg" not in render_html(report).split("<h2 id=\"feedback\">")[0]


def test_a_rate_that_must_fall_reads_worse_when_it_rose_and_better_when_it_fell(workspace):
    report = build_report(workspace, tickets(), NOW)
    complaints = next(g for g in report.goals if g.id == "complaints")
    assert complaints.direction == "at_most"
    rose = replace(complaints, trend="worsening", change=0.023, status="off_track")
    fell = replace(complaints, id="complaints-fell", trend="improving", change=-0.023, status="on_track")
    lines = render_text(replace(report, goals=(rose, fell))).splitlines()
    assert [line[74:] for line in lines if line.startswith("complaints")] == [
        "↓ worse +2.3pp   off track",
        "↑ better -2.3pp  on track",
    ]
    assert lines[8:10] == [
        "TREND: the latest value against the window before, ↑ better, ↓ worse or → steady for the goal",
        "(a ≤ goal is better when it falls); the points are how the value itself moved",
    ]


def test_the_group_table_marks_met_and_missed_and_wraps_long_goal_ids(workspace):
    report = build_report(workspace, tickets(), NOW)
    reply_4h = next(g for g in report.goals if g.id == "reply-4h")
    long_id = replace(reply_4h, id="first-contact-resolution")
    lines = render_text(replace(report, goals=(long_id, *report.goals[1:]))).splitlines()
    start = lines.index("BY GROUP (each goal over the whole period; ✓ meets the goal's target, ✗ misses it)")
    assert lines[start + 1:start + 6] == [
        "                          first-",
        "                        contact-",
        "                      resolution  complaints        csat",
        "Billing                  60.0% ✗     16.7% ✗    100.0% ✓",
        "Support                 100.0% ✓           –           –",
    ]

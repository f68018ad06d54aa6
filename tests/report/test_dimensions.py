"""Every goal by team, customer organization, channel and, only when plan.yaml asks, agent: per
window, with the trend of the latest closed window."""

from __future__ import annotations

from datetime import datetime, timezone

from deskplan.kpi import dimensions
from deskplan.kpi.report import build_report
from deskplan.rules.load import load_workspace
from tests.effect.scenarios import NOW, PLAN, RULES
from tests.report.timelines import reply, ticket

UTC = timezone.utc
FEB, MAR = datetime(2026, 2, 10, 9, tzinfo=UTC), datetime(2026, 3, 10, 9, tzinfo=UTC)


def workspace(root, agents=False):
    (root / "plan.yaml").write_text(PLAN + ("report: {agents: true}\n" if agents else ""), encoding="utf-8")
    (root / "rules").mkdir()
    (root / "rules" / "complaints.yaml").write_text(RULES, encoding="utf-8")
    return load_workspace(root)


def made(created, hit, **fields):
    return ticket(reply(0.5 if hit else 2, created), created=created, **fields)


TICKETS = [
    made(FEB, True, organization="Acme", channel="email", group="Billing", assignee="7", assignee_name="Wang Fang"),
    made(FEB, True, organization="Acme", channel="web", group="Billing", assignee="7", assignee_name="Wang Fang"),
    made(MAR, True, organization="Acme", channel="email", group="Support", assignee="8"),
    made(MAR, False, organization="Acme", channel="email", group="Support", assignee="8"),
    made(FEB, False, organization="Globex", channel="email"),
    made(MAR, True, organization="Globex", channel="email"),
    made(MAR, True, channel="chat"),
]


def breakdowns(report, goal="reply-1h"):
    found = next(g for g in report.goals if g.id == goal)
    return {b.dimension: {r.group: r for r in b.rows} for b in found.breakdowns}


def test_each_goal_by_team_organization_and_channel_per_window_with_trend(tmp_path):
    by = breakdowns(build_report(workspace(tmp_path), TICKETS, NOW))
    assert list(by) == ["group", "organization", "channel"]
    acme, globex, none = (by["organization"][k] for k in ("Acme", "Globex", "(no organization)"))
    assert [(w.label, w.numerator, w.denominator) for w in acme.windows if w.denominator] == [
        ("2026-02", 2, 2), ("2026-03", 1, 2)]
    assert (acme.numerator, acme.denominator, acme.trend, round(acme.change, 6)) == (3, 4, "worsening", -0.5)
    assert (globex.numerator, globex.denominator, globex.trend, globex.change) == (1, 2, "improving", 1.0)
    assert (none.denominator, none.trend, none.change) == (1, "n/a", None)
    assert list(by["organization"]) == ["Acme", "Globex", "(no organization)"]   # most tickets first
    assert [(k, r.numerator, r.denominator) for k, r in by["channel"].items()] == [
        ("email", 3, 5), ("chat", 1, 1), ("web", 1, 1)]
    assert [(k, r.denominator) for k, r in by["group"].items()] == [("Billing", 2), ("Support", 2),
                                                                    ("(no group)", 3)]


def test_per_agent_only_when_the_plan_asks(tmp_path):
    (tmp_path / "on").mkdir()
    by = breakdowns(build_report(workspace(tmp_path / "on", agents=True), TICKETS, NOW))
    assert [(k, r.numerator, r.denominator) for k, r in by["agent"].items()] == [
        ("8", 1, 2), ("Wang Fang", 2, 2), ("(unassigned)", 2, 3)]


def test_values_past_the_limit_count_as_other(tmp_path, monkeypatch):
    monkeypatch.setattr(dimensions, "MAX_VALUES", 2)
    by = breakdowns(build_report(workspace(tmp_path), TICKETS, NOW))
    assert [(k, r.denominator) for k, r in by["channel"].items()] == [("email", 5), ("web", 1), ("(other)", 1)]


def test_json_text_and_html_show_the_breakdowns(tmp_path):
    from deskplan.app.report.render_html import render_html
    from deskplan.app.report.render_json import report_dict
    from deskplan.app.report.render_text import render_text

    report = build_report(workspace(tmp_path), TICKETS, NOW)
    goal = next(g for g in report_dict(report)["goals"] if g["id"] == "reply-1h")
    organization = next(b for b in goal["breakdowns"] if b["dimension"] == "organization")
    acme = organization["rows"][0]
    assert {k: acme[k] for k in ("name", "value", "numerator", "denominator", "met", "trend", "change")} == {
        "name": "Acme", "value": 0.75, "numerator": 3, "denominator": 4, "met": False, "trend": "worsening",
        "change": -0.5}
    assert [(w["label"], w["numerator"], w["denominator"]) for w in acme["windows"]][1:3] == [
        ("2026-02", 2, 2), ("2026-03", 1, 2)]
    assert [b["dimension"] for b in goal["breakdowns"]] == ["group", "organization", "channel"]

    text = render_text(report)
    section = text[text.index("BY CUSTOMER ORGANIZATION"):]
    assert section.splitlines()[:4] == [
        "BY CUSTOMER ORGANIZATION (each goal over the whole period)",
        "✓ meets the target, ✗ misses it; the latest closed window: ↑ better, ↓ worse, → steady for the goal",
        "                        reply-1h  complaints",
        # reply-1h missed and worse; complaints: none, the target met, steady
        "Acme                     75.0% ✗↓     0.0% ✓→",
    ]
    assert "BY CHANNEL" in text and "BY AGENT" not in text

    page = render_html(report)
    assert '<h2 id="by-organization">Goals by customer organization</h2>' in page
    assert '<h2 id="by-channel">' in page and 'id="by-agent"' not in page

"""A whole report over a small workspace: windows in Europe/Berlin across the spring DST
change, week/month/quarter boundaries, scope, at_most, groups, categories and measures."""

from __future__ import annotations

import pytest

from deskplan.kpi.report import build_report

from .sample import NOW, tickets, utc
from .timelines import ticket


def test_first_reply_goal_per_week(workspace):
    report = build_report(workspace, tickets(), NOW)
    goal = report.goals[0]
    rows = [(w.label, w.numerator, w.denominator, w.value, w.met, w.closed) for w in goal.windows]
    assert rows == [
        ("2026-W10", 1, 1, 1.0, True, True),
        ("2026-W11", 0, 0, None, None, True),
        ("2026-W12", 0, 0, None, None, True),
        ("2026-W13", 1, 1, 1.0, True, True),
        ("2026-W14", 2, 4, 0.5, False, True),
        ("2026-W15", 0, 0, None, None, True),
        ("2026-W16", 0, 0, None, None, False),    # E is not late yet: left out
    ]
    w13 = goal.windows[3]
    assert (w13.start, w13.end) == (utc(2026, 3, 22, 23), utc(2026, 3, 29, 22))   # CET start, CEST end
    missed = goal.missed_windows()
    assert [w.label for w in missed] == ["2026-W14"]
    assert [(e.key, e.detail) for e in missed[0].worst] == [
        ("D", "no first reply after 340h (allowed 4h)"),
        ("B", "first reply after 5h (allowed 4h)"),
    ]
    assert missed[0].worst[0].url == "https://help.example/D"
    assert (goal.owners, goal.measures) == (("technology",), ("M2",))


def test_first_reply_goal_status_against_the_line(workspace):
    goal = build_report(workspace, tickets(), NOW).goals[0]
    # Judged on W14 (0.5) at its middle, 2 April 10:00 UTC: 755 of the 1439 hours from the
    # plan's start (2 March 00:00 CET) to the deadline's end (1 May 00:00 CEST).
    assert goal.latest.label == "2026-W14"
    assert goal.expected == pytest.approx(0.5 + 0.25 * 755 / 1439)
    assert goal.status == "off_track"         # 0.133 behind; tolerance 0.0625
    assert (goal.trend, goal.change) == ("worsening", -0.5)
    assert [(g.group, g.numerator, g.denominator) for g in goal.groups] == [("Billing", 3, 5), ("Support", 1, 1)]


def test_complaint_rate_scope_and_at_most(workspace):
    goal = build_report(workspace, tickets(), NOW).goals[1]
    rows = [(w.label, w.numerator, w.denominator, w.met, w.closed) for w in goal.windows]
    # Billing only: March holds G, A (complaint), B, F; April D and E. C is Support's.
    assert rows == [("2026-03", 1, 4, False, True), ("2026-04", 0, 2, True, False)]
    assert [e.key for e in goal.windows[0].worst] == ["A"]
    # No baseline: March's 25% stands in. Judged in the middle of March (16 March 10:30 UTC),
    # 347.5 of 2903 hours along the line from 25% down to 10%; tolerance 0.0375.
    assert goal.expected == pytest.approx(0.25 - 0.15 * 347.5 / 2903)
    assert goal.status == "at_risk"


def test_csat_per_quarter_counts_a_changed_rating_once_at_its_change(workspace):
    goal = build_report(workspace, tickets(), NOW).goals[2]
    assert [(w.label, w.numerator, w.denominator) for w in goal.windows] == [("2026-Q1", 1, 1), ("2026-Q2", 1, 1)]
    # Replayed as of 1 April, F's rating was still bad, given on 30 March: it falls in Q1.
    replay = build_report(workspace, tickets(), utc(2026, 4, 1)).goals[2]
    assert [(w.label, w.numerator, w.denominator) for w in replay.windows] == [("2026-Q1", 1, 2), ("2026-Q2", 0, 0)]
    # No baseline: Q1's own 50% stands in, and Q1's middle lies before the plan's start, where
    # the line is at the baseline: on track, though far from the target.
    assert (replay.status, replay.expected) == ("on_track", 0.5)


def test_categories_measures_and_counts(workspace):
    # deskplan's own improvement tasks come back with the pull; they are not requests.
    own_task = ticket(created=utc(2026, 4, 2, 8), group="Billing", type="complaint", tags=("deskplan_task",))
    report = build_report(workspace, tickets() + [own_task], NOW)
    assert report.tickets == 7
    assert report.timezone == "Europe/Berlin"
    assert [(c.label, c.tickets, c.counts["complaint"], c.closed) for c in report.categories] == [
        ("2026-03", 4, 1, True), ("2026-04", 3, 1, False),
    ]
    m1, m2 = report.measures
    assert (m1.id, m1.tickets, m1.sla_met, m1.sla_breached, m1.sla_open, m1.sla_attainment) == ("M1", 2, 2, 0, 0, 1.0)
    assert (m2.id, m2.tickets, m2.sla_attainment) == ("M2", 0, None)


def test_a_task_template_that_cannot_render_for_a_ticket_does_not_stop_the_report(tmp_path):
    from deskplan.rules.load import load_workspace
    from deskplan.rules.templates import TemplateRenderError

    from .sample import PLAN, RULES

    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "complaints.yaml").write_text(RULES + """
  - id: follow-up
    when: {type: complaint}
    then:
      task: {title: "Call {{ ticket.custom.account_manager }}", owner: sales, due: 2d}
""", encoding="utf-8")
    workspace = load_workspace(tmp_path)
    complaint = next(t for t in tickets() if t.type == "complaint")
    assert "account_manager" not in complaint.custom
    with pytest.raises(TemplateRenderError, match="account_manager"):
        workspace.evaluate(complaint, NOW)          # a sync reports this ticket as failed ...
    report = build_report(workspace, tickets(), NOW)   # ... the report still counts it
    assert report.tickets == len(tickets())
    assert report.goals[1].windows[0].numerator >= 1


def test_a_ticket_whose_data_breaks_a_figure_is_left_out_of_every_figure_and_counted(workspace, monkeypatch):
    import deskplan.kpi.metrics
    from deskplan.app.report.render_json import report_dict
    from deskplan.app.report.render_text import render_text

    whole = build_report(workspace, tickets(), NOW)
    first_reply = deskplan.kpi.metrics.METRICS["first_reply_within"]

    def overflowing(ticket, context, categories):
        if ticket.key == "B":
            raise OverflowError("date value out of range")
        return first_reply(ticket, context, categories)

    monkeypatch.setitem(deskplan.kpi.metrics.METRICS, "first_reply_within", overflowing)
    report = build_report(workspace, tickets(), NOW)
    assert report.tickets == whole.tickets - 1
    assert [(t.ref, t.reason.split(" in ")[0]) for t in report.left_out] == [("zd:B", "unexpected OverflowError")]
    # B is counted nowhere, not even in the goals that did not fail on it.
    assert sum(w.tickets for w in report.categories) == sum(w.tickets for w in whole.categories) - 1
    assert report_dict(report)["left_out"] == [{"ref": "zd:B", "reason": report.left_out[0].reason}]
    assert "LEFT OUT: 1 ticket whose data could not be counted" in render_text(report)


def test_the_text_report_shows_control_characters_from_ticket_data_as_escapes(workspace):
    from deskplan.app.report.render_text import render_text

    hostile = [t.model_copy(update={"group": "Billing\x1b[2J\x1b[31m\u202e"}) if t.group == "Billing" else t
               for t in tickets()]
    text = render_text(build_report(workspace, hostile, NOW))
    assert "\x1b" not in text and "\u202e" not in text
    assert "Billing\\x1b[2J" in text

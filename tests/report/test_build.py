"""A whole report over a small workspace: windows in Europe/Berlin across the spring DST
change, week/month/quarter boundaries, scope, at_most, groups, categories and measures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from deskplan.model import Score, Status
from deskplan.report.build import build_report
from deskplan.rules.load import load_workspace

from .timelines import rating, reply, status, ticket

UTC = timezone.utc
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)

PLAN = """
plan: {id: test-plan, title: Test plan, start: 2026-03-02, end: 2026-06-30, calendar: berlin}
calendars:
  berlin: {timezone: Europe/Berlin, hours: {mon-fri: ["09:00-17:00"]}}
goals:
  - {id: reply-4h, metric: first_reply_within, threshold: 4h, calendar: 24x7, target: 75%, baseline: 50%,
     by: 2026-04-30, window: week}
  - {id: complaints, metric: complaint_rate, target: 10%, direction: at_most, by: 2026-06-30, window: month,
     scope: {group: Billing}}
  - {id: csat, metric: csat, target: 90%, by: 2026-06-30, window: quarter}
measures:
  - {id: M1, title: Complaint handling, owner: customer service, goals: [complaints]}
  - {id: M2, title: Rota, owner: technology, goals: [reply-4h, complaints]}
"""

RULES = """
rules:
  - id: complaints
    when: {type: complaint}
    then:
      category: complaint
      measure: M1
      sla: {first_reply: 4h, calendar: 24x7}
"""


@pytest.fixture()
def workspace(tmp_path: Path):
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "complaints.yaml").write_text(RULES, encoding="utf-8")
    return load_workspace(tmp_path)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def tickets():
    g_created = utc(2026, 3, 3, 8)
    a_created = utc(2026, 3, 29, 21, 30)     # Sunday 23:30 CEST: week 13, March
    b_created = utc(2026, 3, 29, 22, 30)     # Monday 00:30 CEST: week 14, still March
    c_created = utc(2026, 3, 31, 22, 30)     # Wednesday 1 April 00:30 CEST: week 14, April, Q2
    d_created = utc(2026, 4, 1, 8)
    e_created = utc(2026, 4, 15, 10)         # two hours before now
    f_created = utc(2026, 3, 30, 8)
    return [
        ticket(reply(1, g_created), status(2, Status.SOLVED, g_created), rating(24, Score.GOOD, g_created),
               created=g_created, group="Billing", key="G"),
        ticket(reply(1, a_created), created=a_created, group="Billing", type="complaint", key="A"),
        ticket(reply(5, b_created), created=b_created, group="Billing", key="B"),
        ticket(reply(2, c_created), created=c_created, group="Support", type="complaint", key="C"),
        ticket(created=d_created, group="Billing", key="D", url="https://help.example/D"),
        ticket(created=e_created, group="Billing", key="E"),
        ticket(reply(1, f_created), status(2, Status.SOLVED, f_created), rating(4, Score.BAD, f_created),
               rating(73, Score.GOOD, f_created), created=f_created, group="Billing", key="F"),
    ]


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
    report = build_report(workspace, tickets(), NOW)
    assert report.tickets == 7
    assert report.timezone == "Europe/Berlin"
    assert [(c.label, c.tickets, c.counts["complaint"], c.closed) for c in report.categories] == [
        ("2026-03", 4, 1, True), ("2026-04", 3, 1, False),
    ]
    m1, m2 = report.measures
    assert (m1.id, m1.tickets, m1.sla_met, m1.sla_breached, m1.sla_open, m1.sla_attainment) == ("M1", 2, 2, 0, 0, 1.0)
    assert (m2.id, m2.tickets, m2.sla_attainment) == ("M2", 0, None)

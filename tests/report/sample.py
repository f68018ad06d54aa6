"""A small workspace and seven tickets around the spring DST change in Europe/Berlin."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from deskplan.model import Score, Status
from deskplan.rules.load import Workspace, load_workspace

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


def write_workspace(root: Path) -> Workspace:
    (root / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (root / "rules").mkdir()
    (root / "rules" / "complaints.yaml").write_text(RULES, encoding="utf-8")
    return load_workspace(root)


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

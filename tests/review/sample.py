"""A workspace in Asia/Shanghai (UTC+8, no DST) with a plan from October 2026 to March 2027,
and tickets built by hand around a week in November, ISO week 53 of 2026 and the turn of
the year. Times are written as local (Shanghai) wall times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from deskplan.effects import PlannedWrite, WriteKind
from deskplan.kpi.review import WrittenTask
from deskplan.model import Score, Status, Ticket
from deskplan.rules.load import Workspace, load_workspace

from ..report.timelines import rating, reply, status, ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc

PLAN = """
plan: {id: sip-review, title: Review test plan, start: 2026-10-01, end: 2027-03-31, calendar: support}
calendars:
  support: {timezone: Asia/Shanghai, hours: {mon-fri: ["09:00-18:00"]}}
goals:
  - {id: reply-12h, metric: first_reply_within, threshold: 12h, calendar: 24x7, target: 90%, baseline: 80%,
     by: 2027-03-31, window: week}
  - {id: csat, metric: csat, target: 90%, by: 2027-03-31, window: month}
  - {id: complaints, metric: complaint_rate, direction: at_most, target: 10%, by: 2027-03-31, window: quarter}
measures:
  - {id: M1, title: Faster first replies, owner: customer service, goals: [reply-12h]}
  - {id: M2, title: Feedback follow-up, owner: marketing, goals: [csat, complaints]}
milestones:
  - {id: P1, title: Train the agents, start: 2026-10-01, end: 2026-11-15, owner: customer service}
  - {id: P2, title: Tune the rota, start: 2026-11-16, end: 2027-01-31}
  - {id: P3, title: Go live, start: 2027-02-01, end: 2027-03-31}
cadence:
  - {id: weekly-check, title: Weekly check, every: week, owner: customer service, goals: [reply-12h]}
  - {id: monthly-review, title: Monthly review, every: month, owner: service manager}
  - {id: quarterly-lookback, title: Quarterly look-back, every: quarter, owner: marketing}
"""

RULES = """
rules:
  - id: complaints
    when: {type: complaint}
    then: {category: complaint}
  - id: rude
    when: {tags: {contains: rude}}
    then: {category: attitude}
"""

CONFIG = """
[[sources]]
name = "zd"
kind = "zendesk"
url = "http://127.0.0.1:9"
email = "deskplan@example.com"
token_env = "ZD_TEST_TOKEN"

[state]
path = "state.db"
"""


def write_workspace(root: Path) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    (root / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (root / "rules").mkdir(exist_ok=True)
    (root / "rules" / "rules.yaml").write_text(RULES, encoding="utf-8")
    return load_workspace(root)


def local(*args: int) -> datetime:
    """A Shanghai wall time as a UTC instant."""
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def replied(key: str, created: datetime, after: float, group: str, **fields) -> Ticket:
    """A request answered `after` hours after it was created, then solved."""
    return ticket(reply(after, created), status(after + 1, Status.SOLVED, created), created=created, key=key,
                  group=group, **fields)


def rated(key: str, created: datetime, score: Score, group: str, **fields) -> Ticket:
    return ticket(reply(1, created), status(2, Status.SOLVED, created), rating(4, score, created),
                  created=created, key=key, group=group, **fields)


def november() -> list[Ticket]:
    """Week 45 (2 to 8 Nov): 1 of 2 answered within 12h. Week 46 (9 to 15 Nov): 3 of 4, the
    last one created on Sunday 23:30 and answered in week 47. October: one, answered."""
    return [
        rated("G", local(2026, 10, 20, 10), Score.GOOD, "Billing"),
        replied("E", local(2026, 11, 2, 10), 1, "Billing"),
        replied("F", local(2026, 11, 3, 10), 13, "Support"),
        rated("A", local(2026, 11, 9, 10), Score.GOOD, "Billing", url="https://help.example/A"),
        ticket(reply(20, local(2026, 11, 10, 10)), rating(30, Score.BAD, local(2026, 11, 10, 10)),
               created=local(2026, 11, 10, 10), key="B", group="Billing", type="complaint"),
        rated("C", local(2026, 11, 11, 10), Score.GOOD, "Support", tags=["rude"]),
        replied("D", local(2026, 11, 15, 23, 30), 1, "Support"),
    ]


def turn_of_the_year() -> list[Ticket]:
    """Week 52 of 2026 (21 to 27 Dec), week 53 (28 Dec 2026 to 3 Jan 2027), week 1 of 2027."""
    return [
        replied("W52", local(2026, 12, 27, 23, 59), 1, "Billing"),
        replied("NYE", local(2026, 12, 31, 23), 14, "Billing", type="complaint"),
        replied("NY", local(2027, 1, 2, 9), 2, "Support", tags=["rude"]),
        replied("LAST", local(2027, 1, 3, 23, 59), 1, "Support"),
        replied("W01", local(2027, 1, 4, 0, 0), 30, "Support", type="complaint"),
        replied("FEB", local(2027, 2, 10, 10), 1, "Billing"),
        replied("MAR", local(2027, 3, 15, 10), 1, "Billing", tags=["rude"]),
    ]


def goal_task(goal: str, window: str, remote_id: str | None, *, owner: str = "customer service",
              status: str = "done", due: datetime | None = None) -> WrittenTask:
    return WrittenTask(origin=f"goal:{goal}:{window}", title=f"Goal {goal} missed in {window}", owner=owner,
                       source="zd", status=status, remote_id=remote_id, due=due)


def planned_task(goal: str, window: str, key: str, *, owner: str, due: datetime) -> PlannedWrite:
    return PlannedWrite(key=key, kind=WriteKind.TASK, source="zd", origin=f"goal:{goal}:{window}",
                        title=f"Goal {goal} missed in {window} (first_reply_within)", body=f"body\n[deskplan:{key}]",
                        due=due, owner=owner, trigger=due - timedelta(days=2))

"""Hand-built pilots: a workspace with two piloted measures and one without a pilot, and tickets
placed in the four cells with exact counts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from deskplan.model import Ticket
from deskplan.rules.load import Workspace, load_workspace
from tests.report.timelines import reply, ticket

UTC = timezone.utc
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
BEFORE = datetime(2026, 2, 2, tzinfo=UTC)       # the pilots run 2026-03-02 to 2026-03-29: 28 days;
DURING = datetime(2026, 3, 2, tzinfo=UTC)       # `before` is the 28 days just before

PLAN = """
plan: {id: pilots, title: Pilots, start: 2026-01-05, end: 2026-06-30}
goals:
  - {id: reply-1h, metric: first_reply_within, threshold: 1h, target: 90%, by: 2026-06-30, window: month}
  - {id: complaints, metric: complaint_rate, target: 5%, direction: at_most, by: 2026-06-30, window: month}
measures:
  - id: ROTA
    title: Billing rota
    owner: customer service
    goals: [reply-1h]
    pilot: {scope: {group: Billing}, start: 2026-03-02, end: 2026-03-29}
    budget: {amount: 6000, currency: CNY}
    expected: [{goal: reply-1h, change: 30pp}]
  - id: SCRIPT
    title: De-escalation script
    owner: customer service
    goals: [complaints]
    pilot: {scope: {group: Billing}, start: 2026-03-02, end: 2026-03-29, control: {group: Support}}
    budget: {amount: 9000, currency: EUR}
    expected: [{goal: complaints, change: -5pp}]
  - id: FAQ
    title: FAQ pages
    owner: product
    goals: [reply-1h]
    start: 2026-03-02
"""

RULES = """
rules:
  - id: complaints
    when: {type: complaint}
    then: {category: complaint}
"""


def write_workspace(root: Path) -> Workspace:
    (root / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (root / "rules").mkdir()
    (root / "rules" / "complaints.yaml").write_text(RULES, encoding="utf-8")
    return load_workspace(root)


def cell(group: str, start: datetime, tickets: int, hits: int, *, complaints: bool = False) -> list[Ticket]:
    """`tickets` tickets of `group` created one an hour from `start`; `hits` of them answered within
    the hour (the others after two hours), or, with `complaints`, `hits` of them complaints."""
    made = []
    for i in range(tickets):
        created = start + timedelta(hours=i)
        hit = i < hits
        if complaints:
            made.append(ticket(reply(0.5, created), created=created, group=group,
                               type="complaint" if hit else "question"))
        else:
            made.append(ticket(reply(0.5 if hit else 2, created), created=created, group=group))
    return made


def four_cells(pilot: tuple[int, int, int, int], control: tuple[int, int, int, int], *,
               complaints: bool = False, control_group: str = "Support") -> list[Ticket]:
    """(hits before, tickets before, hits during, tickets during) of the pilot group (Billing) and
    of the control group."""
    return [
        *cell("Billing", BEFORE, pilot[1], pilot[0], complaints=complaints),
        *cell("Billing", DURING, pilot[3], pilot[2], complaints=complaints),
        *cell(control_group, BEFORE, control[1], control[0], complaints=complaints),
        *cell(control_group, DURING, control[3], control[2], complaints=complaints),
    ]

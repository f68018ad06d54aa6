"""The closed loop in figures: deskplan's own tasks, as last read back from their helpdesks
(state/tasks.py), per owner and per measure, overdue first (README, "Tasks").

A task serves the measures its origin names: a rule task the measure of its rule, a
missed-goal task every measure serving that goal, a `plan push` task its measure (or its
milestone's measures). Overdue is judged at `now`: open and due at or before it. Tasks deleted
in their helpdesk are counted apart (`gone`), in no other figure.

A milestone is done when its `plan push` task is done in every helpdesk it was pushed to that
still has it (`milestones_done`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from deskplan.kpi.results import NO_MEASURE, TaskCount, TaskItem, TaskReport
from deskplan.kpi.review import NO_OWNER, TaskState
from deskplan.rules.load import Workspace
from deskplan.state.tasks import TaskRecord

RULE, GOAL, PLAN = "rule:", "goal:", "plan:"


def origin_measures(origin: str, workspace: Workspace) -> tuple[str, ...]:
    """The ids of the plan's measures a task of this origin serves, in plan order."""
    plan = workspace.plan
    if origin.startswith(RULE):
        rule_id = origin[len(RULE):]
        rule = next((r for r in workspace.rules if r.id == rule_id), None)
        measure = rule.then.measure if rule is not None else None
        return (measure,) if measure and any(m.id == measure for m in plan.measures) else ()
    if origin.startswith(GOAL):
        goal_id = origin[len(GOAL):].rpartition(":")[0]
        return tuple(m.id for m in plan.measures if goal_id and goal_id in m.goals)
    if origin.startswith(PLAN):
        parts = origin[len(PLAN):].split(":")
        if len(parts) == 3 and parts[0] == plan.plan.id:
            _, kind, item = parts
            if kind == "measure" and any(m.id == item for m in plan.measures):
                return (item,)
            if kind == "milestone":
                milestone = next((m for m in plan.milestones if m.id == item), None)
                wanted = milestone.measures if milestone is not None else ()
                return tuple(m.id for m in plan.measures if m.id in wanted)
    return ()


def task_item(record: TaskRecord, workspace: Workspace, now: datetime) -> TaskItem:
    return TaskItem(ref=record.ref, source=record.source, title=record.title, owner=record.owner or NO_OWNER,
                    origin=record.origin, measures=origin_measures(record.origin, workspace), due=record.due,
                    done=record.done, overdue=record.overdue(now), status=record.status, url=record.url,
                    read_at=record.read_at)


def build_tasks(records: Iterable[TaskRecord], workspace: Workspace, now: datetime) -> TaskReport:
    """The tasks section of the report at `now`."""
    records = list(records)
    items = [task_item(r, workspace, now) for r in records if not r.gone]
    owners: dict[str, list[int]] = {}
    measures: dict[str, list[int]] = {}
    for item in items:
        column = 2 if item.done else 0
        for counts in [owners.setdefault(item.owner, [0, 0, 0])] + [
                measures.setdefault(m, [0, 0, 0]) for m in item.measures or (NO_MEASURE,)]:
            counts[column] += 1
            counts[1] += item.overdue
    by_owner = sorted((TaskCount(name, "", *counts) for name, counts in owners.items()),
                      key=lambda c: (-c.overdue, -c.open, c.name == NO_OWNER, c.name))
    titles = {m.id: m.title for m in workspace.plan.measures}
    order = [m.id for m in workspace.plan.measures if m.id in measures] + (
        [NO_MEASURE] if NO_MEASURE in measures else [])
    by_measure = [TaskCount(name, titles.get(name, ""), *measures[name]) for name in order]
    overdue = sorted((i for i in items if i.overdue), key=_due_first)
    rest = sorted((i for i in items if not i.overdue and not i.done), key=_due_first)
    done = sorted((i for i in items if i.done), key=lambda i: i.ref)
    reads = [r.read_at for r in records if r.read_at is not None]
    return TaskReport(known=bool(reads), read_at=max(reads, default=None), by_owner=tuple(by_owner),
                      by_measure=tuple(by_measure), overdue=tuple(overdue), items=tuple(overdue + rest + done),
                      gone=sum(1 for r in records if r.gone))


def _due_first(item: TaskItem) -> tuple[bool, datetime | None, str]:
    return item.due is None, item.due, item.ref


def review_states(records: Iterable[TaskRecord]) -> list[TaskState]:
    """The tasks as a review digest takes them (kpi/review.py): those still in their helpdesk."""
    return [TaskState(ref=r.ref, title=r.title, owner=r.owner, done=r.done, due=r.due, url=r.url, origin=r.origin)
            for r in records if not r.gone]


def milestones_done(records: Iterable[TaskRecord], workspace: Workspace) -> dict[str, bool]:
    """Milestone id -> whether its `plan push` task is done: in every helpdesk it went to that
    still has it, and read back done at least once. Milestones never pushed are not done."""
    prefix = f"{PLAN}{workspace.plan.plan.id}:milestone:"
    found: dict[str, list[bool]] = {}
    for record in records:
        if record.origin.startswith(prefix) and not record.gone:
            found.setdefault(record.origin[len(prefix):], []).append(record.done)
    return {m.id: bool(found.get(m.id)) and all(found[m.id]) for m in workspace.plan.milestones}

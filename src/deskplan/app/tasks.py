"""The closed loop: each sync reads back the state of deskplan's own tasks in the helpdesk
(docs/design.md, "State"; README, "Tasks").

Which tasks are deskplan's is the ledger's word alone: task writes `done` with the helpdesk's
id, never a tag, label or marker text, which anyone can put on a ticket. The adapter reads
them (Zendesk: the stored task tickets the pull brought; Jira: by key, in the tasks project),
and `task_states` keeps, per task, what the ledger says was written (title, owner, origin)
beside what the helpdesk says now (done, due, deleted). A task the helpdesk could not tell
about this time (not pulled yet, not in the search index yet, a failed request) keeps what was
read before, or shows as open, not read back yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime

from deskplan.adapters.base import Adapter, TaskReader
from deskplan.app.summary import SourceSummary
from deskplan.errors import HelpdeskError
from deskplan.kpi.review import TaskState
from deskplan.kpi.tasks import milestones_done, review_states
from deskplan.kpi.windows import day_end, written_due_day
from deskplan.rules.load import Workspace
from deskplan.state.ledger import Ledger, LedgerEntry, WriteStatus
from deskplan.state.store import Store
from deskplan.state.tasks import TaskReading, TaskRecord, TaskStates

log = logging.getLogger(__name__)


def written_tasks(store: Store, source: str | None = None) -> list[LedgerEntry]:
    """The tasks deskplan created (of one source): ledger rows of kind task, done, with a remote id."""
    return [entry for entry in Ledger(store).tasks()
            if entry.status is WriteStatus.DONE and entry.remote_id
            and (source is None or entry.write.source == source)]


def read_back(store: Store, adapter: Adapter, source: str, now: datetime, summary: SourceSummary) -> None:
    """Read the state of the source's tasks and record it; `summary.tasks_read` counts the tasks
    the helpdesk told about (deleted ones included). A failed request is listed in the summary
    and the tasks keep their last state."""
    written = written_tasks(store, source)
    if not written:
        return
    states = TaskStates(store)
    before = {t.remote_id: t for t in states.all(source)}
    readings: dict[str, TaskReading] = {}
    links: dict[str, str] = {}
    if isinstance(adapter, TaskReader):
        # Zendesk reads its tasks from the stored tickets, and the pull came before this run's
        # write-back: without these, the tasks written in this run would have no link until the next.
        links = {e.remote_id: adapter.task_url(e.remote_id) for e in written if e.remote_id}
        try:
            # A task once found deleted is not asked for again (a Jira key that no longer exists
            # costs a request and a retry of its batch every run).
            asked = [e.remote_id for e in written if e.remote_id and not (e.remote_id in before
                                                                           and before[e.remote_id].gone)]
            for reading in adapter.read_tasks(asked, lambda remote_id: store.record(source, "ticket", remote_id)):
                readings[reading.remote_id] = reading
        except HelpdeskError as exc:
            summary.fail(exc, f"task states not read back, the next run tries again: {exc}")
    states.record(merged(entry, readings, before, now, links) for entry in written)
    summary.tasks_read += len(readings)


def merged(entry: LedgerEntry, readings: dict[str, TaskReading], before: dict[str, TaskRecord],
           now: datetime, links: dict[str, str] | None = None) -> TaskRecord:
    """The task's row: the ledger's write with the helpdesk's reading (or the last one); a task
    not read back has the link `links` gives (where an agent opens it)."""
    write = entry.write
    remote_id = entry.remote_id or ""
    reading = readings.get(remote_id)
    earlier = before.get(remote_id)
    link = (links or {}).get(remote_id)
    if reading is None:
        if earlier is not None:
            return replace(earlier, key=write.key, title=write.title, owner=write.owner, origin=write.origin,
                           url=earlier.url if earlier.url or earlier.gone else link)
        return TaskRecord(source=write.source, remote_id=remote_id, key=write.key, ref=f"{write.source}:{remote_id}",
                          title=write.title, owner=write.owner, origin=write.origin, due=write.due, done=False,
                          gone=False, status="", url=link, read_at=None)
    if reading.gone:
        due = write.due
    elif reading.due_day is not None:
        due = day_due(reading.due_day, write.due, write.zone)
    else:
        due = reading.due
    return TaskRecord(source=write.source, remote_id=remote_id, key=write.key, ref=f"{write.source}:{remote_id}",
                      title=write.title, owner=write.owner, origin=write.origin, due=due, done=reading.done,
                      gone=reading.gone, status=reading.status, url=reading.url, read_at=now)


def day_due(day: date, written: datetime | None, zone: str | None) -> datetime:
    """A due day (Jira's duedate) as an instant: the instant deskplan wrote while the day is
    still the one it wrote (its due day in the plan's `zone`, kpi/windows.py `written_due_day`),
    else the end of that day in the plan's zone, as deskplan means every due day."""
    if written is not None and written_due_day(written, zone) == day:
        return written
    return day_end(day, zone)


@dataclass(frozen=True)
class LoopInputs:
    """What a report or review digest takes from the closed loop; None where nothing is known
    (tasks were written but no sync has read any back yet)."""

    records: list[TaskRecord] | None
    tasks: list[TaskState] | None                 # as the review digest takes them
    milestones_done: dict[str, bool] | None


def loop_inputs(store: Store, workspace: Workspace) -> LoopInputs:
    """The task states recorded by the last syncs, for `deskplan report` and `deskplan review`."""
    records = TaskStates(store).all()
    if not records and written_tasks(store):
        return LoopInputs(None, None, None)
    return LoopInputs(records, review_states(records), milestones_done(records, workspace))

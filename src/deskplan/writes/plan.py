"""Write-back planning: from the state to the writes deskplan wants, without side effects.

`WritebackPlanner` reads the stored tickets, the ledger and the evaluation bookkeeping and
yields plans; it writes nothing anywhere. Per source it streams the tickets that need
evaluating (every unresolved ticket, since SLA states change with time alone; resolved ones
only when they or the workspace changed since their last evaluation) and plans each one's
writes; across sources, each goal window that missed its target becomes one task (checked
at most hourly: the check reads every ticket). The application layer applies these very
plans (app/writeback.py) or, in a dry-run, prints them.

Tasks about the past are held back: a rule task whose trigger, or a goal window that closed,
before the source's go-live cut-off (`[writeback] since`, else the moment of the first sync
that wrote back to the source) is never written, so that a first sync against months of
history does not flood the helpdesk. Status comments concern open tickets now: never held back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from deskplan.config import WritebackConfig
from deskplan.effects import TASK_TAG, PlannedWrite
from deskplan.kpi.report import build_report
from deskplan.model import Ticket
from deskplan.rules.load import Workspace
from deskplan.rules.templates import TemplateRenderError
from deskplan.state.evaluations import Evaluations
from deskplan.state.ledger import Ledger
from deskplan.state.store import Store
from deskplan.writes.assess import Assessor, clocks_final, workspace_basis
from deskplan.writes.planner import goal_misses, goal_tasks, plan_ticket

GOALS_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class TicketPlan:
    """The writes one ticket needs now."""

    ticket: Ticket
    basis: str                          # recorded once every write is settled: not evaluated again until it changes
    writes: tuple[PlannedWrite, ...]
    held_back: tuple[PlannedWrite, ...]   # tasks about what happened before the cut-off: never written
    final: bool                         # every SLA clock final: nothing changes with time alone
    error: str | None = None            # the ticket could not be assessed (a rule's template failed on it)


@dataclass(frozen=True)
class GoalPlan:
    """The tasks for missed goal windows, over the sources written to."""

    sources_key: str
    basis: str                          # recorded once every task is settled
    writes: tuple[PlannedWrite, ...]
    held_back: tuple[PlannedWrite, ...]


class WritebackPlanner:
    """Plans from the state at `now`. Reads the store and the ledger; writes nothing."""

    def __init__(self, store: Store, workspace: Workspace, now: datetime,
                 settings: WritebackConfig | None = None):
        self.store = store
        self.workspace = workspace
        self.now = now
        self.ledger = Ledger(store)
        self.evaluations = Evaluations(store)
        self.assessor = Assessor(workspace, now)
        self.basis = workspace_basis(workspace)
        self.since = (settings or WritebackConfig()).since_at(self.assessor.zone)

    def cutoff(self, source: str) -> datetime:
        """The source's go-live cut-off: `[writeback] since`, else the moment of the first sync
        that wrote back to it (now, when none did yet: this one will be)."""
        if self.since is not None:
            return self.since
        return self.evaluations.first_writeback(source) or self.now

    def tickets(self, source: str) -> Iterator[TicketPlan]:
        cutoff = self.cutoff(source)
        # A moved cut-off changes which tasks are due: resolved tickets are evaluated once more.
        basis = _digest(self.basis, cutoff.isoformat())
        for ticket, ticket_basis in self.evaluations.candidates(source, basis):
            if is_deskplan_task(ticket):
                continue
            yield self.ticket(ticket, ticket_basis, cutoff)

    def ticket(self, ticket: Ticket, basis: str, cutoff: datetime) -> TicketPlan:
        try:
            assessment = self.assessor.assess(ticket)
        except TemplateRenderError as exc:
            return TicketPlan(ticket, basis, (), (), final=False, error=f"{ticket.ref}: {exc}")
        writes, held_back = _split(plan_ticket(assessment, self.ledger), cutoff)
        return TicketPlan(ticket, basis, writes, held_back, final=clocks_final(assessment))

    def goals(self, sources: Sequence[str]) -> GoalPlan | None:
        """The missed goal windows' tasks, or None when no check is due.

        The check reads every stored ticket, so it runs when the workspace changed, when the
        last check left a write unsettled, or once GOALS_INTERVAL has passed: a window that
        closes is checked within the hour, and late data (a rating changed after the window
        closed, a reply deadline that ran past it) is seen by the checks that follow.
        """
        if not self.workspace.plan.goals or not sources:
            return None
        sources_key = ",".join(sorted(sources))
        cutoffs = {name: self.cutoff(name) for name in sources}
        basis = _digest(self.basis, *(f"{name}@{cutoffs[name].isoformat()}" for name in sorted(sources)))
        last = self.evaluations.goal_check(sources_key)
        if last is not None and last[0] == basis and last[1] <= self.now < last[1] + GOALS_INTERVAL:
            return None
        report = build_report(self.workspace, self.store.tickets(), self.now)
        writes: list[PlannedWrite] = []
        held_back: list[PlannedWrite] = []
        for write in goal_tasks(goal_misses(report.goals, report.plan_id), list(sources), self.ledger):
            (held_back if before_cutoff(write, cutoffs[write.source]) else writes).append(write)
        return GoalPlan(sources_key, basis, tuple(writes), tuple(held_back))


Writes = tuple[PlannedWrite, ...]


def _split(writes: Sequence[PlannedWrite], cutoff: datetime) -> tuple[Writes, Writes]:
    """(the writes to make, those held back by the cut-off)."""
    held = tuple(w for w in writes if before_cutoff(w, cutoff))
    return tuple(w for w in writes if not before_cutoff(w, cutoff)), held


def before_cutoff(write: PlannedWrite, cutoff: datetime) -> bool:
    """A task about what happened before the go-live cut-off: it is never written."""
    return write.trigger is not None and write.trigger < cutoff


def is_deskplan_task(ticket: Ticket) -> bool:
    """deskplan's own improvement tasks come back in the next pull; they are not requests."""
    return TASK_TAG in ticket.tags


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

"""Write-back: plan, then apply (docs/design.md, "Write-back").

Planning reads the state and yields plans; it writes nothing anywhere. Per source it streams
the tickets that need evaluating (every unresolved ticket, since SLA states change with time
alone; resolved ones only when they or the workspace changed since their last evaluation)
and plans each one's writes; after every source, the goals (at most hourly: the check reads
every ticket) each missed goal window becomes one task.

Applying takes those very plans: it settles the ledger's unfinished writes with the helpdesk,
applies each planned write through the ledger, and records what is settled (a ticket
evaluated, a goal check done, the source's go-live cut-off). `sync --dry-run` prints the
plans instead and stops.

Tasks about the past are held back: a rule task whose trigger, or a goal window that closed,
before the source's go-live cut-off (`[writeback] since`, else the moment of the first sync
that wrote back to the source) is never written, so that a first sync against months of
history does not flood the helpdesk. Status comments concern open tickets now: never held back.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from deskplan.app.summary import SourceSummary, apply_write
from deskplan.config import WritebackConfig
from deskplan.effects import TASK_TAG, PlannedWrite
from deskplan.errors import ExitStatus, HelpdeskError
from deskplan.kpi.report import build_report
from deskplan.model import Ticket
from deskplan.rules.load import PLAN_FILE, Workspace
from deskplan.rules.templates import TemplateRenderError
from deskplan.state.evaluations import Evaluations
from deskplan.state.ledger import Ledger, WriteStatus
from deskplan.state.store import Store
from deskplan.writes.apply import Applier
from deskplan.writes.assess import Assessor, clocks_final, workspace_basis
from deskplan.writes.planner import goal_misses, goal_tasks, plan_ticket

log = logging.getLogger(__name__)

OnWrite = Callable[[PlannedWrite], None]
Progress = Callable[[str, str, int], None]      # (source, what, count so far)
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


# --- applying ------------------------------------------------------------------------------------

class WritebackApplier:
    """Applies plans through the ledger and records what is settled. One per run."""

    def __init__(self, planner: WritebackPlanner, *, run_id: int | None = None,
                 progress: Progress | None = None, on_write: OnWrite | None = None):
        self.planner = planner
        self.run_id = run_id
        self.progress = progress
        self.on_write = on_write

    def source(self, source: str, applier: Applier, summary: SourceSummary) -> None:
        """Settle the source's unfinished writes, then plan and apply its tickets' writes."""
        evaluations = self.planner.evaluations
        # Recorded even when `[writeback] since` is set, so that removing `since` later falls
        # back to this moment rather than to that later day.
        evaluations.record_first_writeback(source, self.planner.now)
        _note_cutoff(summary, self.planner)
        try:
            self._reconcile(source, applier, summary)
            for plan in self.planner.tickets(source):
                if self._ticket(plan, applier, summary):
                    evaluations.mark_evaluated(source, plan.ticket.id, plan.basis)
                if self.progress:
                    self.progress(source, "tickets evaluated", summary.tickets_evaluated)
        except HelpdeskError as exc:
            summary.writes_stopped(exc)

    def goals(self, appliers: Mapping[str, Applier], summaries: Mapping[str, SourceSummary]) -> None:
        plan = self.planner.goals(list(appliers))
        if plan is None:
            return
        for write in plan.held_back:
            summaries[write.source].writes_skipped_before_cutoff += 1
        settled = True
        stopped: set[str] = set()
        for write in plan.writes:
            summary = summaries[write.source]
            if write.source in stopped:
                settled = False
                continue
            try:
                settled = self._write(write, appliers[write.source], summary, "goal tasks created") and settled
            except HelpdeskError as exc:
                summary.writes_stopped(exc)
                stopped.add(write.source)
                settled = False
        if settled:
            self.planner.evaluations.record_goal_check(plan.sources_key, plan.basis, self.planner.now)

    def _reconcile(self, source: str, applier: Applier, summary: SourceSummary) -> None:
        report = applier.reconcile(source)
        if report.found or report.absent:
            log.info("%s: %d unfinished writes found applied, %d not applied (planned again)",
                     source, report.found, report.absent)
        for message in report.errors:
            summary.fail(ExitStatus.PARTIAL, message)

    def _ticket(self, plan: TicketPlan, applier: Applier, summary: SourceSummary) -> bool:
        """Apply one ticket's plan. True when all of its writes are settled and no SLA clock is
        still running (a solved ticket's first-reply clock runs until a reply), so the ticket
        needs no evaluation again until it changes."""
        summary.tickets_evaluated += 1
        summary.writes_skipped_before_cutoff += len(plan.held_back)
        if plan.error is not None:
            summary.fail(ExitStatus.PARTIAL, plan.error)
            return False
        settled = plan.final
        for write in plan.writes:
            settled = self._write(write, applier, summary) and settled
        return settled

    def _write(self, write: PlannedWrite, applier: Applier, summary: SourceSummary,
               counting: str = "writes applied") -> bool:
        if self.on_write:
            self.on_write(write)
        settled = apply_write(applier, write, summary)
        if settled and self.progress:
            self.progress(write.source, counting, summary.writes_applied)
        return settled


# --- the dry-run: the plans, shown -----------------------------------------------------------------

def show_source(planner: WritebackPlanner, source: str, summary: SourceSummary, on_write: OnWrite | None) -> None:
    """What `source`'s write-back would do now, counted in `summary` and each write passed to
    `on_write`. Writes left unsettled by an interrupted run are counted, not planned: the real
    run checks them with the helpdesk before anything new is written."""
    _note_cutoff(summary, planner)
    summary.writes_unsettled += planner.ledger.count(source, WriteStatus.PENDING)
    for plan in planner.tickets(source):
        summary.tickets_evaluated += 1
        summary.writes_skipped_before_cutoff += len(plan.held_back)
        if plan.error is not None:
            summary.fail(ExitStatus.PARTIAL, plan.error)
        for write in plan.writes:
            summary.writes_planned += 1
            if on_write:
                on_write(write)


def show_goals(planner: WritebackPlanner, summaries: Mapping[str, SourceSummary], on_write: OnWrite | None) -> None:
    plan = planner.goals(list(summaries))
    if plan is None:
        return
    for write in plan.held_back:
        summaries[write.source].writes_skipped_before_cutoff += 1
    for write in plan.writes:
        summaries[write.source].writes_planned += 1
        if on_write:
            on_write(write)


def _note_cutoff(summary: SourceSummary, planner: WritebackPlanner) -> None:
    summary.writeback_since = planner.cutoff(summary.source).isoformat()
    summary.writeback_since_configured = planner.since is not None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def workspace_present(root: Path) -> bool:
    """A workspace to evaluate exists beside deskplan.toml (a pull-only setup has none yet)."""
    return (root / PLAN_FILE).is_file()

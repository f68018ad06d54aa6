"""Write-back: plan, then apply (docs/design.md, "Write-back").

The plans come from writes/plan.py, which reads the state and writes nothing. Applying takes
those very plans: it settles the ledger's unfinished writes with the helpdesk, applies each
planned write through the ledger, and records what is settled (a ticket evaluated, a goal
check done, the source's go-live cut-off). `sync --dry-run` shows the plans instead
(`show_source`, `show_goals`) and stops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from deskplan.app.summary import SourceSummary, apply_write
from deskplan.effects import PlannedWrite
from deskplan.errors import ExitStatus, HelpdeskError
from deskplan.rules.load import PLAN_FILE
from deskplan.state.ledger import WriteStatus
from deskplan.writes.apply import Applier
from deskplan.writes.plan import TicketPlan, WritebackPlanner

log = logging.getLogger(__name__)

OnWrite = Callable[[PlannedWrite], None]
Progress = Callable[[str, str, int], None]      # (source, what, count so far)


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


def workspace_present(root: Path) -> bool:
    """A workspace to evaluate exists beside deskplan.toml (a pull-only setup has none yet)."""
    return (root / PLAN_FILE).is_file()

"""Write-back: plan, then apply (docs/design.md, "Write-back").

The plans come from writes/plan.py, which reads the state and writes nothing. Applying takes
those very plans: it settles the ledger's unfinished writes with the helpdesk, applies each
planned write through the ledger, and records what is settled (a ticket evaluated, a goal
check done, the source's go-live cut-off). `sync --dry-run` shows the plans instead
(`show_source`, `show_goals`) and stops.

Each ticket is its own guard: a plan with an error quarantines its ticket (stage `evaluate`),
a write that fails in an unexpected way quarantines it (stage `write`: the write stays pending,
and the next run asks the helpdesk whether it landed before anything is planned again), and
the other tickets' writes go on. AuthError and RateLimited still stop the source's writes. The
goal check quarantines the tickets its report left out (stage `report`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from deskplan.app.summary import SourceSummary, apply_write, quarantine
from deskplan.effects import PlannedWrite
from deskplan.errors import ExitStatus, HelpdeskError, unexpected
from deskplan.model import ticket_json
from deskplan.rules.load import PLAN_FILE
from deskplan.state.ledger import WriteStatus
from deskplan.state.records import Quarantined
from deskplan.state.store import EVALUATE, REPORT, WRITE
from deskplan.writes.apply import Applier, describe
from deskplan.writes.plan import GoalPlan, ReviewPlan, TicketPlan, WritebackPlanner, digest
from deskplan.writes.reviews import Render

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
                if plan.held:
                    continue        # quarantined on this very basis: counted as known at the end of the run
                if self._ticket(plan, applier, summary):
                    evaluations.mark_evaluated(source, plan.ticket_id, plan.basis, plan.next_at)
                else:
                    evaluations.mark_due(source, plan.ticket_id)
                if self.progress:
                    self.progress(source, "tickets evaluated", summary.tickets_evaluated)
            evaluations.record_whole_pass(source, self.planner.source_basis(source))
        except HelpdeskError as exc:
            summary.writes_stopped(exc)

    def goals(self, appliers: Mapping[str, Applier], summaries: Mapping[str, SourceSummary]) -> None:
        plan = self.planner.goals(list(appliers))
        if plan is None:
            return
        hold_left_out(self.planner, plan, summaries, self.run_id)
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
            except Exception as exc:
                # No ticket to quarantine: listed, left pending for the next run to check, the others go on.
                log.debug("%s failed", describe(write), exc_info=True)
                summary.fail(ExitStatus.PARTIAL, f"{describe(write)}: {unexpected(exc)}")
                settled = False
        if settled:
            self.planner.evaluations.record_goal_check(plan.sources_key, plan.basis, self.planner.now)

    def reviews(self, sources: Mapping[str, str], render: Render, appliers: Mapping[str, Applier],
                summaries: Mapping[str, SourceSummary]) -> None:
        """Write the review tasks due now (each cadence id -> its source, among those that take
        writes this run). A write that does not settle stays in the ledger as it is (pending or
        failed): the next run looks it up or plans it again, and plans no period twice."""
        plan = self.planner.reviews(sources, render)
        for write in plan.held_back:
            summaries[write.source].writes_skipped_before_cutoff += 1
        stopped: set[str] = set()
        for write in plan.writes:
            summary = summaries[write.source]
            if write.source in stopped:
                continue
            try:
                self._write(write, appliers[write.source], summary, "review tasks created")
            except HelpdeskError as exc:
                summary.writes_stopped(exc)
                stopped.add(write.source)
            except Exception as exc:
                log.debug("%s failed", describe(write), exc_info=True)
                summary.fail(ExitStatus.PARTIAL, f"{describe(write)}: {unexpected(exc)}")

    def _reconcile(self, source: str, applier: Applier, summary: SourceSummary) -> None:
        report = applier.reconcile(source)
        if report.found or report.absent:
            log.info("%s: %d unfinished writes found applied, %d not applied (planned again)",
                     source, report.found, report.absent)
        for message in report.errors:
            summary.fail(ExitStatus.PARTIAL, message)

    def _ticket(self, plan: TicketPlan, applier: Applier, summary: SourceSummary) -> bool:
        """Apply one ticket's plan. True when all of its writes are settled, so the ticket needs no
        evaluation again until it changes or its next instant (`TicketPlan.next_at`) has passed."""
        summary.tickets_evaluated += 1
        summary.writes_skipped_before_cutoff += len(plan.held_back)
        store = self.planner.store
        if plan.error is not None:
            quarantine(store, summary.source, summary, EVALUATE, Quarantined(plan.ticket_id, plan.error, plan.payload),
                       self.run_id, digest=plan.basis)
            return False
        settled = True
        for write in plan.writes:
            try:
                settled = self._write(write, applier, summary) and settled
            except HelpdeskError:
                raise
            except Exception as exc:
                # Left pending in the ledger: the next run asks the helpdesk whether it landed.
                log.debug("%s failed", describe(write), exc_info=True)
                reason = f"{describe(write)}: {unexpected(exc)}"
                payload = ticket_json(plan.ticket) if plan.ticket is not None else ""
                quarantine(store, summary.source, summary, WRITE, Quarantined(plan.ticket_id, reason, payload),
                           self.run_id, digest=plan.basis)
                return False
        if plan.release:
            for stage in (EVALUATE, WRITE):
                store.release_quarantined(summary.source, [plan.ticket_id], stage=stage)
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
        if plan.held:
            continue
        summary.tickets_evaluated += 1
        summary.writes_skipped_before_cutoff += len(plan.held_back)
        if plan.error is not None:       # quarantined as the real run would (the dry-run's state is rolled back)
            quarantine(planner.store, source, summary, EVALUATE, Quarantined(plan.ticket_id, plan.error, plan.payload),
                       None, digest=plan.basis)
        for write in plan.writes:
            summary.writes_planned += 1
            if on_write:
                on_write(write)


def show_goals(planner: WritebackPlanner, summaries: Mapping[str, SourceSummary], on_write: OnWrite | None) -> None:
    plan = planner.goals(list(summaries))
    if plan is None:
        return
    hold_left_out(planner, plan, summaries, None)
    _show(plan, summaries, on_write)


def show_reviews(planner: WritebackPlanner, sources: Mapping[str, str], render: Render,
                 summaries: Mapping[str, SourceSummary], on_write: OnWrite | None) -> None:
    """The review tasks a sync would write now, counted and passed to `on_write`."""
    _show(planner.reviews(sources, render), summaries, on_write)


def _show(plan: GoalPlan | ReviewPlan, summaries: Mapping[str, SourceSummary], on_write: OnWrite | None) -> None:
    """Count a plan's tasks as a dry run shows them: those held back and those it would write."""
    for write in plan.held_back:
        summaries[write.source].writes_skipped_before_cutoff += 1
    for write in plan.writes:
        summaries[write.source].writes_planned += 1
        if on_write:
            on_write(write)


def hold_left_out(planner: WritebackPlanner, plan: GoalPlan, summaries: Mapping[str, SourceSummary],
                  run_id: int | None) -> None:
    """Quarantine (stage `report`) the tickets the goal check's report could not count, and
    release those it counted again. The same failure on the same workspace is known."""
    store = planner.store
    left = {(t.source, t.ticket_id): t for t in plan.left_out}
    for (source, ticket_id), ticket in left.items():
        bad = Quarantined(ticket_id, f"{ticket.ref}: left out of the goals' report: {ticket.reason}", "")
        quarantine(store, source, summaries.get(source), REPORT, bad, run_id, digest=digest(plan.basis, ticket.reason))
    for source, ticket_id in store.quarantined_in(REPORT) - set(left):
        store.release_quarantined(source, [ticket_id], stage=REPORT)


def _note_cutoff(summary: SourceSummary, planner: WritebackPlanner) -> None:
    summary.writeback_since = planner.cutoff(summary.source).isoformat()
    summary.writeback_since_configured = planner.since is not None


def workspace_present(root: Path) -> bool:
    """A workspace to evaluate exists beside deskplan.toml (a pull-only setup has none yet)."""
    return (root / PLAN_FILE).is_file()

"""Evaluate stored tickets, plan their writes, and apply them: the write-back half of a sync.

Per source: settle the ledger's `pending` rows with the helpdesk, then stream the tickets
that need evaluating from the state (every unresolved ticket, since SLA states change with
time alone; resolved ones only when they or the workspace changed since their last
evaluation), plan each ticket's writes and apply them one by one. After every source, the
goals (at most hourly: the check reads every ticket): each missed goal window becomes one task.

Tasks about the past are held back: a rule task whose trigger, or a goal window that closed,
before the source's go-live cut-off (`[writeback] since`, else the moment of the first sync
that wrote back to the source) is never written, so that a first sync against months of
history does not flood the helpdesk. Status comments concern open tickets now: never held back.

The dry-run takes the very same path on a throw-away copy of the state and stops before
`Applier.apply` (and before a reconciled write is completed in the helpdesk): the plan is
data, and applying it is the only step the dry-run skips.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import requests

from deskplan.config import SourceConfig, WritebackConfig
from deskplan.errors import AuthError, ExitStatus, RateLimited
from deskplan.model import Ticket
from deskplan.rules.load import PLAN_FILE, Workspace, rule_files
from deskplan.rules.sla import SlaClock, compute_clocks
from deskplan.rules.templates import TemplateRenderError, ticket_context
from deskplan.writes.apply import Applier, Outcome, describe
from deskplan.effects import TASK_TAG, PlannedWrite, Writer
from deskplan.transport.http import HttpClient
from deskplan.state.ledger import Ledger
from deskplan.writes.planner import (
    Assessment, ClockInfo, MeasureInfo, TaskRequest, business_time, format_time, goal_misses, goal_tasks,
    plan_ticket,
)
from deskplan.state.store import Store

log = logging.getLogger(__name__)

OnWrite = Callable[[PlannedWrite], None]
Progress = Callable[[str, str, int], None]      # (source, what, count so far)
EVALUATE_BATCH = 500
FINAL_STATES = frozenset({"met", "breached"})     # SLA states that time alone no longer changes
GOALS_INTERVAL = timedelta(hours=1)


def open_writer(config: SourceConfig, token: str, *, session: requests.Session | None = None,
                sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> Writer:
    """The writer for a configured source, on its own HttpClient (same auth as its adapter)."""
    if config.kind == "zendesk":
        from deskplan.adapters.zendesk.writes import ZendeskWriter

        http = HttpClient(config.url, auth=(f"{config.email}/token", token), source=config.name,
                          session=session, sleep=sleep, clock=clock)
        return ZendeskWriter(http, tasks_group=config.tasks_group)
    from deskplan.adapters.jira.writes import JiraWriter

    http = HttpClient(config.url, auth=(config.email, token), source=config.name,
                      session=session, sleep=sleep, clock=clock)
    return JiraWriter(http, tasks_project=config.tasks_project, tasks_issue_type=config.tasks_issue_type,
                      projects=config.projects)


def workspace_basis(workspace: Workspace) -> str:
    """A digest of what evaluation depends on besides the ticket: plan, rules, deskplan itself."""
    digest = hashlib.sha256(_version().encode())
    for path in [workspace.root / PLAN_FILE, *rule_files(workspace.root)]:
        digest.update(str(path.relative_to(workspace.root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _version() -> str:
    try:
        return metadata.version("deskplan")
    except metadata.PackageNotFoundError:
        return "dev"


# --- evaluation --------------------------------------------------------------------------------

class Assessor:
    """Turns a ticket into an Assessment with the workspace's rules and SLA clocks at `now`."""

    def __init__(self, workspace: Workspace, now: datetime):
        self.workspace = workspace
        self.now = now
        self.zone = workspace.calendar().zone
        self.measures = {m.id: m for m in workspace.plan.measures}
        self.plan_id = workspace.plan.plan.id

    def assess(self, ticket: Ticket) -> Assessment:
        evaluation = self.workspace.evaluate(ticket, self.now)
        clocks = compute_clocks(ticket, evaluation.sla.values(), self.workspace.calendars, self.now)
        measures = tuple(self._measure(mid, evaluation.rules_fired) for mid in evaluation.measures)
        clock_infos = tuple(_clock_info(c) for c in clocks)
        comment = None
        if evaluation.comment is not None:
            comment = evaluation.comment.render(self._comment_context(ticket, evaluation.comment.rule_id,
                                                                      measures, clocks))
        return Assessment(
            ticket=ticket,
            measures=measures,
            clocks=clock_infos,
            tasks=tuple(
                TaskRequest(t.rule_id, t.title, t.body, t.owner, t.due_at,
                            task_trigger(ticket, self.workspace.compiled_rule(t.rule_id).task.due_from))
                for t in evaluation.tasks
            ),
            comment=comment,
            zone=self.zone,
            plan_id=self.plan_id,
        )

    def _measure(self, measure_id: str, fired: Sequence[str]) -> MeasureInfo:
        measure = self.measures.get(measure_id)
        rules = tuple(r for r in fired if self.workspace.compiled_rule(r).measure == measure_id)
        if measure is None:
            return MeasureInfo(measure_id, "", None, rules)
        return MeasureInfo(measure.id, measure.title, measure.owner, rules)

    def _comment_context(self, ticket: Ticket, rule_id: str, measures: Sequence[MeasureInfo],
                         clocks: Sequence[SlaClock]) -> dict[str, Any]:
        rule = self.workspace.compiled_rule(rule_id)
        return {
            "ticket": ticket_context(ticket),
            "rule": {"id": rule.id, "description": rule.description},
            "plan": self.workspace.engine.plan_context,
            "measures": [{"id": m.id, "title": m.title, "owner": m.owner} for m in measures],
            "clocks": [self._clock_context(c) for c in clocks],
        }

    def _clock_context(self, clock: SlaClock) -> dict[str, Any]:
        """Clocks as a rule's comment template sees them: words, not timedeltas."""
        return {
            "kind": clock.kind,
            "state": str(clock.state),
            "target": business_time(clock.target),
            "due": format_time(clock.due, self.zone) if clock.due else None,
            "elapsed": business_time(clock.elapsed),
            "remaining": business_time(clock.remaining),
            "overdue": business_time(clock.overdue),
            "paused": clock.paused,
            "calendar": clock.calendar,
            "rule_id": clock.rule_id,
        }


def task_trigger(ticket: Ticket, due_from: str) -> datetime:
    """When what a rule's task follows up happened, for the go-live cut-off: the latest rating
    when the task counts from the rating (by default, when its rule tests the rating), else
    the ticket's creation. Never the latest update: deskplan's own comments move that."""
    if due_from == "rated" and ticket.satisfaction is not None:
        return ticket.satisfaction.at
    return ticket.created_at


def _clock_info(clock: SlaClock) -> ClockInfo:
    return ClockInfo(
        kind=clock.kind, target=clock.target, state=str(clock.state), due=clock.due, elapsed=clock.elapsed,
        remaining=clock.remaining - clock.overdue, calendar=clock.calendar, rule_ids=clock.rule_ids,
    )


def candidates(store: Store, source: str, basis: str, batch: int = EVALUATE_BATCH) -> Iterator[tuple[Ticket, str]]:
    """Tickets to evaluate, with the basis to record once their writes are settled: every
    unresolved ticket, and resolved ones unless they were evaluated on this very basis (the
    same ticket data and workspace) with every write settled and every SLA clock final.

    Rules that test time alone (`older_than`) on resolved tickets are re-judged when the
    ticket or the workspace changes, not as time passes."""
    conn = store.db.conn
    last = ""
    while True:
        rows = conn.execute(
            "SELECT t.id, t.data, t.hash || ':' || ? FROM tickets t "
            "LEFT JOIN evaluated e ON e.source = t.source AND e.ticket_id = t.id "
            "WHERE t.source = ? AND t.deleted = 0 AND t.id > ? AND (t.status NOT IN ('solved', 'closed') "
            "OR e.basis IS NULL OR e.basis != t.hash || ':' || ?) ORDER BY t.id LIMIT ?",
            [basis, source, last, basis, batch],
        ).fetchall()
        if not rows:
            return
        for _, data, ticket_basis in rows:
            yield Ticket.model_validate_json(data), ticket_basis
        last = rows[-1][0]


def mark_evaluated(store: Store, ticket: Ticket, basis: str) -> None:
    store.db.conn.execute(
        "INSERT INTO evaluated (source, ticket_id, basis) VALUES (?, ?, ?) "
        "ON CONFLICT (source, ticket_id) DO UPDATE SET basis = excluded.basis",
        [ticket.source, ticket.id, basis],
    )


def is_deskplan_task(ticket: Ticket) -> bool:
    """deskplan's own improvement tasks come back in the next pull; they are not requests."""
    return TASK_TAG in ticket.tags


# --- write-back ---------------------------------------------------------------------------------

@dataclass
class WritebackTally:
    """What the write-back did for one source; sync folds it into the source's summary."""

    planned: int = 0
    applied: int = 0
    deferred: int = 0
    failed: int = 0
    evaluated: int = 0
    held_back: int = 0                   # tasks about what happened before the cut-off: not written
    since: datetime | None = None        # the source's go-live cut-off
    since_configured: bool = False       # `[writeback] since` set it (else: the first write-back sync)
    errors: list[tuple[ExitStatus, str]] = field(default_factory=list)

    def fail(self, status: ExitStatus, message: str) -> None:
        self.errors.append((status, message))


@dataclass
class WritebackRun:
    """Everything one run's write-back shares across sources."""

    store: Store
    workspace: Workspace
    now: datetime
    dry_run: bool
    run_id: int | None = None
    on_write: OnWrite | None = None
    progress: Progress | None = None
    settings: WritebackConfig = field(default_factory=WritebackConfig)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.store)
        self.assessor = Assessor(self.workspace, self.now)
        self.basis = workspace_basis(self.workspace)
        self.since = self.settings.since_at(self.assessor.zone)
        self._first_syncs: dict[str, datetime] = {}

    def cutoff(self, source: str) -> datetime:
        """The source's go-live cut-off: `[writeback] since`, else the moment of the first sync
        that wrote back to it. That moment is recorded even when `since` is set, so that
        removing `since` later falls back to it rather than to that later day."""
        if source not in self._first_syncs:
            self._first_syncs[source] = first_writeback(self.store, source, self.now, record=True)
        return self.since if self.since is not None else self._first_syncs[source]

    def source(self, source: str, writer: Writer) -> WritebackTally:
        tally = WritebackTally(since=self.cutoff(source), since_configured=self.since is not None)
        applier = Applier(self.ledger, writer, run_id=self.run_id)
        # A moved cut-off changes which tasks are due: resolved tickets are evaluated once more.
        basis = _digest(self.basis, tally.since.isoformat())
        try:
            self._reconcile(source, applier, tally)
            for ticket, ticket_basis in candidates(self.store, source, basis):
                if is_deskplan_task(ticket):
                    continue
                tally.evaluated += 1
                if self._ticket(ticket, applier, tally) and not self.dry_run:
                    mark_evaluated(self.store, ticket, ticket_basis)
                if self.progress:
                    self.progress(source, "tickets evaluated", tally.evaluated)
        except AuthError as exc:
            tally.fail(ExitStatus.UNREACHABLE, f"writes stopped: {exc}")
        except RateLimited as exc:
            tally.fail(ExitStatus.PARTIAL, f"writes stopped, the rest follows on the next run: {exc}")
        return tally

    def goals(self, writers: Mapping[str, Writer], tallies: Mapping[str, WritebackTally]) -> None:
        """One task per goal window that missed its target, in one of `writers`' sources.

        The check reads every stored ticket, so it runs when the workspace changed, when the
        last check left a write unsettled, or once GOALS_INTERVAL has passed: a window that
        closes is checked within the hour, and late data (a rating changed after the window
        closed, a reply deadline that ran past it) is seen by the checks that follow.
        """
        from deskplan.kpi.report import build_report

        if not self.workspace.plan.goals or not writers:
            return
        basis = _digest(self.basis, *(f"{name}@{self.cutoff(name).isoformat()}" for name in sorted(writers)))
        if not self._goals_due(writers, basis):
            return
        report = build_report(self.workspace, self.store.tickets(), self.now)
        settled = True
        stopped: set[str] = set()
        for write in goal_tasks(goal_misses(report.goals, report.plan_id), list(writers), self.ledger):
            tally = tallies[write.source]
            if self._held_back(write, tally):
                continue
            if write.source in stopped:
                settled = False
                continue
            try:
                applier = Applier(self.ledger, writers[write.source], run_id=self.run_id)
                settled = self._write(write, applier, tally, "goal tasks created") and settled
            except AuthError as exc:
                tally.fail(ExitStatus.UNREACHABLE, f"writes stopped: {exc}")
                stopped.add(write.source)
                settled = False
            except RateLimited as exc:
                tally.fail(ExitStatus.PARTIAL, f"writes stopped, the rest follows on the next run: {exc}")
                stopped.add(write.source)
                settled = False
        if settled and not self.dry_run:
            self.store.db.conn.execute(
                "INSERT INTO goal_checks (sources, basis, checked_at) VALUES (?, ?, ?) ON CONFLICT (sources) "
                "DO UPDATE SET basis = excluded.basis, checked_at = excluded.checked_at",
                [_sources_key(writers), basis, self.now.isoformat()],
            )

    def _goals_due(self, writers: Mapping[str, Writer], basis: str) -> bool:
        row = self.store.db.conn.execute(
            "SELECT basis, checked_at FROM goal_checks WHERE sources = ?", [_sources_key(writers)]
        ).fetchone()
        if row is None or row[0] != basis:
            return True
        checked = datetime.fromisoformat(row[1])
        return not checked <= self.now < checked + GOALS_INTERVAL

    # --- steps ---------------------------------------------------------------------------------

    def _reconcile(self, source: str, applier: Applier, tally: WritebackTally) -> None:
        report = applier.reconcile(source, complete=not self.dry_run)
        if report.found or report.absent:
            log.info("%s: %d unfinished writes found applied, %d not applied (planned again)",
                     source, report.found, report.absent)
        for message in report.errors:
            tally.fail(ExitStatus.PARTIAL, message)

    def _ticket(self, ticket: Ticket, applier: Applier, tally: WritebackTally) -> bool:
        """Plan and apply one ticket's writes. True when all of them are settled and no SLA
        clock is still running (a solved ticket's first-reply clock runs until a reply), so
        the ticket needs no evaluation again until it changes."""
        try:
            assessment = self.assessor.assess(ticket)
        except TemplateRenderError as exc:
            tally.fail(ExitStatus.PARTIAL, f"{ticket.ref}: {exc}")
            return False
        settled = all(c.state in FINAL_STATES for c in assessment.clocks)
        for write in plan_ticket(assessment, self.ledger):
            if not self._held_back(write, tally):
                settled = self._write(write, applier, tally) and settled
        return settled

    def _held_back(self, write: PlannedWrite, tally: WritebackTally) -> bool:
        """A task about what happened before the cut-off: counted, never written (settled)."""
        if not before_cutoff(write, self.cutoff(write.source)):
            return False
        tally.held_back += 1
        return True

    def _write(self, write: PlannedWrite, applier: Applier, tally: WritebackTally,
               counting: str = "writes applied") -> bool:
        tally.planned += 1
        if self.on_write:
            self.on_write(write)
        if self.dry_run:
            return False
        result = applier.apply(write)
        if result.outcome in (Outcome.APPLIED, Outcome.SKIPPED):
            tally.applied += result.outcome is Outcome.APPLIED
            if self.progress:
                self.progress(write.source, counting, tally.applied)
            return True
        if result.outcome is Outcome.DEFERRED:
            tally.deferred += 1
            log.info("%s: deferred, the ticket is at its update limit", describe(write))
            return False
        tally.failed += 1
        tally.fail(ExitStatus.PARTIAL, f"{describe(write)} {result.outcome.value}: {result.error}")
        return False


def first_writeback(store: Store, source: str, now: datetime, *, record: bool) -> datetime:
    """The moment of the first sync that wrote back to `source`: `now` if none did yet, and
    then, with `record`, this sync is that first one."""
    conn = store.db.conn
    if record:
        conn.execute("INSERT OR IGNORE INTO writeback_since (source, since) VALUES (?, ?)",
                     [source, now.astimezone(timezone.utc).isoformat()])
    row = conn.execute("SELECT since FROM writeback_since WHERE source = ?", [source]).fetchone()
    return datetime.fromisoformat(row[0]) if row else now


def before_cutoff(write: PlannedWrite, cutoff: datetime) -> bool:
    """A task about what happened before the go-live cut-off: it is never written."""
    return write.trigger is not None and write.trigger < cutoff


def _sources_key(writers: Mapping[str, Writer]) -> str:
    return ",".join(sorted(writers))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def workspace_present(root: Path) -> bool:
    """A workspace to evaluate exists beside deskplan.toml (a pull-only setup has none yet)."""
    return (root / PLAN_FILE).is_file()

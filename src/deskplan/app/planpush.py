"""`deskplan plan push`: the plan itself in the helpdesk.

Each measure and each milestone becomes one improvement task per source (idempotent: the
planner's keys name plan, kind, id and source, so a second push writes nothing new). Each
measure's task then gets one internal *plan status comment* per week (the week in the
plan's time zone): the goals the measure serves, with their latest value, target, trend and
status from the report. Pushed again within the same week, nothing is written; in a new
week, a new comment.

Writes go through the same ledger and Applier as `deskplan sync`: exactly once in effect.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator, Mapping

from deskplan import clock
from deskplan.config import Config, SourceConfig
from deskplan.writes.apply import Applier, Outcome, describe
from deskplan.effects import PlannedWrite, Writer, WriteKind, idempotency_key, marker
from deskplan.state.ledger import Ledger, WriteStatus
from deskplan.state.lock import sync_lock
from deskplan.writes.planner import PlanItem, plan_push_tasks
from deskplan.state.store import Store
from deskplan.app.writeback import open_writer
from deskplan.errors import AuthError, ExitStatus, RateLimited
from deskplan.kpi.report import build_report
from deskplan.app.report.labels import STATUS_LABELS, TREND_ARROWS, pct, points, target_text
from deskplan.kpi.results import GoalResult, Report
from deskplan.kpi.windows import window_of
from deskplan.rules.load import Workspace, load_workspace
from deskplan.rules.plan import Plan

WriterFactory = Callable[[SourceConfig, str], Writer]


@dataclass
class PushSummary:
    source: str
    tasks: int = 0              # measure and milestone tasks created now
    comments: int = 0           # plan status comments written now
    errors: list[str] = field(default_factory=list)
    exit_code: int = ExitStatus.OK

    def fail(self, status: ExitStatus, message: str) -> None:
        self.errors.append(message)
        self.exit_code = max(self.exit_code, status)

    def line(self) -> str:
        return f"{self.source}: {self.tasks} plan tasks created, {self.comments} plan status comments written"


def plan_items(plan: Plan) -> list[PlanItem]:
    """A PlanItem per measure (due by the latest deadline of its goals, else the plan's end)
    and per milestone (due at its end), in plan order."""
    plan_id = plan.plan.id
    items = []
    for measure in plan.measures:
        goals = [g for g in plan.goals if g.id in measure.goals]
        lines = [measure.description.strip()] if measure.description.strip() else []
        lines += [f"Serves goal {g.id}: {g.title or g.metric}" for g in goals]
        items.append(PlanItem(plan_id=plan_id, kind="measure", id=measure.id, title=measure.title,
                              owner=measure.owner, due=max((g.by for g in goals), default=plan.plan.end),
                              description="\n".join(lines)))
    for milestone in plan.milestones:
        items.append(PlanItem(plan_id=plan_id, kind="milestone", id=milestone.id, title=milestone.title,
                              owner=milestone.owner, due=milestone.end, description=milestone.description,
                              measures=milestone.measures))
    return items


def measure_task_key(plan_id: str, measure_id: str, source: str) -> str:
    """The key the planner gives a measure's task (see planner.plan_push_tasks)."""
    return idempotency_key("task", "plan", plan_id, "measure", measure_id, source)


def status_comment_text(report: Report, goals: list[GoalResult], measure_title: str, week: str) -> str:
    lines = [f"Plan status, week {week}: {report.plan_title} ({report.plan_id})",
             f"Goals served by {measure_title}:"]
    for g in goals:
        latest = f"{pct(g.latest.value)} in {g.latest.label}" if g.latest else "no data yet"
        trend = f", {g.trend} {TREND_ARROWS[g.trend]} {points(g.change)}".rstrip() if g.change is not None else ""
        lines.append(f"- {g.id}: {latest}, target {target_text(g)} by {g.by}, planned by now {pct(g.expected)}"
                     f"{trend}; {STATUS_LABELS[g.status]}")
    if not goals:
        lines.append("- (this measure serves no goal in plan.yaml)")
    return "\n".join(lines)


def status_comments(report: Report, plan: Plan, source: str, ledger: Ledger, now: datetime,
                    zone) -> Iterator[PlannedWrite]:
    """This week's plan status comment on each measure task already in `source`."""
    week = window_of(now, "week", zone).label
    by_id = {g.id: g for g in report.goals}
    for measure in plan.measures:
        task = ledger.remote_id(measure_task_key(plan.plan.id, measure.id, source))
        if task is None:
            continue        # the task is not there (yet): nothing to comment on
        key = idempotency_key("comment", "plan-status", plan.plan.id, measure.id, source, week)
        if ledger.status(key) not in (None, WriteStatus.FAILED):
            continue
        goals = [by_id[g] for g in measure.goals if g in by_id]
        body = status_comment_text(report, goals, f"{measure.id} {measure.title}", week)
        yield PlannedWrite(
            key=key, kind=WriteKind.COMMENT, source=source, origin=f"plan-status:{measure.id}:{week}",
            title=f"Plan status {week}: {measure.id}", body=f"{body}\n{marker(key)}",
            ticket_id=task, ticket_key=task, fingerprint=week,
        )


def push_plan(config: Config, *, source: str | None = None, environ: Mapping[str, str] = os.environ,
              writer_factory: WriterFactory = open_writer,
              on_write: Callable[[PlannedWrite, Outcome], None] | None = None) -> list[PushSummary]:
    """Push the plan's measures and milestones, then this week's status comments, to each
    configured source (or one). Raises LockHeld when a sync runs."""
    sources = [config.source(source)] if source else list(config.sources)
    tokens = {s.name: s.token(environ) for s in sources}
    workspace = load_workspace(config.workspace)
    now = clock.now(environ)
    with sync_lock(config.state_path):
        store = Store.open(config.state_path)
        try:
            run_id = store.start_run("plan-push")
            report = build_report(workspace, store.tickets(), now)
            ledger = Ledger(store)
            summaries = [
                _push_source(s, writer_factory(s, tokens[s.name]), workspace, report, ledger, now, run_id, on_write)
                for s in sources
            ]
            store.finish_run(run_id, max((s.exit_code for s in summaries), default=ExitStatus.OK),
                             [{"source": s.source, "tasks": s.tasks, "comments": s.comments,
                               "errors": s.errors} for s in summaries])
        finally:
            store.close()
    return summaries


def _push_source(config: SourceConfig, writer: Writer, workspace: Workspace, report: Report, ledger: Ledger,
                 now: datetime, run_id: int, on_write) -> PushSummary:
    summary = PushSummary(config.name)
    applier = Applier(ledger, writer, run_id=run_id)
    plan = workspace.plan
    try:
        for message in applier.reconcile(config.name).errors:
            summary.fail(ExitStatus.PARTIAL, message)
        # Tasks first: the status comments go on the measures' tasks.
        for write in plan_push_tasks(plan_items(plan), config.name, ledger):
            _apply(applier, write, summary, on_write)
        for write in status_comments(report, plan, config.name, ledger, now, workspace.calendar().zone):
            _apply(applier, write, summary, on_write)
    except AuthError as exc:
        summary.fail(ExitStatus.UNREACHABLE, f"writes stopped: {exc}")
    except RateLimited as exc:
        summary.fail(ExitStatus.PARTIAL, f"writes stopped, push again later for the rest: {exc}")
    return summary


def _apply(applier: Applier, write: PlannedWrite, summary: PushSummary, on_write) -> None:
    result = applier.apply(write)
    if on_write:
        on_write(write, result.outcome)
    if result.outcome is Outcome.APPLIED:
        if write.kind is WriteKind.TASK:
            summary.tasks += 1
        else:
            summary.comments += 1
    elif result.outcome is not Outcome.SKIPPED:
        summary.fail(ExitStatus.PARTIAL, f"{describe(write)} {result.outcome.value}: {result.error or ''}".rstrip())

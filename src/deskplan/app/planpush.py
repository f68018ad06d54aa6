"""`deskplan plan push`: the plan itself in the helpdesk.

Each measure and each milestone becomes one improvement task per source (idempotent: the
planner's keys name plan, kind, id and source, so a second push writes nothing new). Each
measure's task then gets one internal *plan status comment* per week (the week in the
plan's time zone): the goals the measure serves, with their latest value, target, trend and
status from the report. Pushed again within the same week, nothing is written; in a new
week, a new comment.

Work that ended before the source's go-live cut-off (`[writeback] since`, else the first sync
that wrote back to it, else now; writes/plan.py `cutoff`) is not pushed as open work: a
milestone whose last day was over by then, and a measure whose deadline (the latest of its
goals', else the plan's end) was. A first push against a plan under way for months would
otherwise open tasks, due in the past, for phases long finished. Each one left out is said,
with why (`Skipped`); one pushed before stays as it is.

Writes go through the same ledger and Applier as `deskplan sync`: exactly once in effect.
Each source's credentials are checked first (the adapter's `check()`): a helpdesk that refuses
them or cannot be reached gets nothing planned (exit 4).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from deskplan import clock
from deskplan.adapters import open_adapter
from deskplan.adapters.base import Adapter
from deskplan.app.report.labels import TREND_ARROWS, points, status_label, target_text, trend_word
from deskplan.app.summary import SourceSummary, apply_write, run_exit_code
from deskplan.app.sync import scratch_state
from deskplan.config import Config, SourceConfig
from deskplan.effects import PlannedWrite, WriteKind, Writer, idempotency_key, marker
from deskplan.errors import ExitStatus, HelpdeskError
from deskplan.i18n import ENGLISH, Lang
from deskplan.kpi.report import build_report
from deskplan.kpi.results import GoalResult, Report
from deskplan.kpi.windows import local_midnight, window_of
from deskplan.rules.load import load_workspace
from deskplan.rules.plan import Plan
from deskplan.state.identity import Identity, key_file
from deskplan.state.ledger import Ledger, WriteStatus
from deskplan.state.lock import sync_lock
from deskplan.state.store import Store
from deskplan.writes.apply import Applier
from deskplan.writes.plan import WritebackPlanner
from deskplan.writes.planner import PlanItem, plan_push_tasks

AdapterFactory = Callable[[SourceConfig, str], Adapter]
WriterFactory = Callable[[SourceConfig, str], Writer]
OnWrite = Callable[[PlannedWrite], None]


@dataclass(frozen=True)
class Skipped:
    """A measure or milestone not pushed: it ended before the source's go-live cut-off."""

    source: str
    kind: str                   # measure | milestone
    id: str
    ended: date                 # its last day (a measure: its deadline)
    cutoff: datetime
    origin: str                 # what set the cut-off

    def text(self) -> str:
        return (f"{self.kind} {self.id} not pushed: it ended on {self.ended}, before the go-live cut-off "
                f"{self.cutoff.isoformat(timespec='minutes')} ({self.origin})")

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "skipped": self.kind, "id": self.id, "ended": self.ended.isoformat(),
                "cutoff": self.cutoff.isoformat(), "cutoff_origin": self.origin}


OnSkip = Callable[[Skipped], None]


def push_line(summary: SourceSummary, *, dry_run: bool = False) -> str:
    if dry_run:
        return f"dry-run {summary.source}: {summary.writes_planned} plan tasks and status comments planned"
    return (f"{summary.source}: {summary.tasks_created} plan tasks created, "
            f"{summary.comments_written} plan status comments written")


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


def pushable(items: list[PlanItem], source: str, planner: WritebackPlanner, summary: SourceSummary,
             on_skip: OnSkip | None) -> list[PlanItem]:
    """The items to be pushed as open work to `source`: those that had not ended by its go-live
    cut-off (the day after their due day, in the plan's zone, begins after it), and those
    already pushed (the planner leaves them out). The others are counted in the summary and
    handed to `on_skip`."""
    zone = planner.workspace.calendar().zone
    ledger = planner.ledger
    cutoff = planner.cutoff(source)
    if planner.since is not None:
        origin = "[writeback] since"
    elif planner.evaluations.first_writeback(source) is not None:
        origin = "first write-back sync"
    else:
        origin = "now: no sync has written back yet"
    summary.writeback_since = cutoff.isoformat()
    summary.writeback_since_configured = planner.since is not None
    kept = []
    for item in items:
        ended = item.due is not None and local_midnight(item.due + timedelta(days=1), zone) <= cutoff
        if ended and item.due is not None and ledger.status(_task_key(item, source, planner.secret)) is None:
            summary.writes_skipped_before_cutoff += 1
            if on_skip:
                on_skip(Skipped(source, item.kind, item.id, item.due, cutoff, origin))
            continue
        kept.append(item)
    return kept


def _task_key(item: PlanItem, source: str, secret: str) -> str:
    """The key the planner gives the item's task (see planner.plan_push_tasks)."""
    return idempotency_key("task", "plan", item.plan_id, item.kind, item.id, source, secret=secret)


def measure_task_key(plan_id: str, measure_id: str, source: str, *, secret: str) -> str:
    """The key the planner gives a measure's task (see planner.plan_push_tasks)."""
    return idempotency_key("task", "plan", plan_id, "measure", measure_id, source, secret=secret)


def status_comment_text(report: Report, goals: list[GoalResult], measure_title: str, week: str,
                        lang: Lang = ENGLISH) -> str:
    lines = [lang._("Plan status, week {week}: {title} ({plan})", week=week, title=report.plan_title,
                    plan=report.plan_id),
             lang._("Goals served by {measure}:", measure=measure_title)]
    for g in goals:
        latest = (lang._("{value} in {window}", value=lang.percent(g.latest.value), window=g.latest.label)
                  if g.latest else lang._("no data yet"))
        trend = lang._(", {trend} {arrow} {change}", trend=trend_word(g.trend, lang), arrow=TREND_ARROWS[g.trend],
                       change=points(g.change)).rstrip() if g.change is not None else ""
        line = lang._("- {goal}: {latest}, target {target} by {by}, planned by now {planned}", goal=g.id,
                      latest=latest, target=target_text(g), by=g.by, planned=lang.percent(g.expected))
        lines.append(f"{line}{trend}{lang._('; ')}{status_label(g.status, lang)}")
    if not goals:
        lines.append(lang._("- (this measure serves no goal in plan.yaml)"))
    return "\n".join(lines)


def status_comments(report: Report, plan: Plan, source: str, ledger: Ledger, now: datetime, zone: ZoneInfo, *,
                    secret: str, planned: frozenset[str] = frozenset(), lang: Lang = ENGLISH) -> Iterator[PlannedWrite]:
    """This week's plan status comment on each measure task already in `source`, and on those
    whose task key is in `planned` (a dry-run shows the comments the new tasks will get)."""
    week = window_of(now, "week", zone).label
    by_id = {g.id: g for g in report.goals}
    for measure in plan.measures:
        task_key = measure_task_key(plan.plan.id, measure.id, source, secret=secret)
        task = ledger.remote_id(task_key) or (f"(new task {measure.id})" if task_key in planned else None)
        if task is None:
            continue        # the task is not there (yet): nothing to comment on
        key = idempotency_key("comment", "plan-status", plan.plan.id, measure.id, source, week, secret=secret)
        if ledger.status(key) not in (None, WriteStatus.FAILED):
            continue
        goals = [by_id[g] for g in measure.goals if g in by_id]
        body = status_comment_text(report, goals, f"{measure.id} {measure.title}", week, lang)
        yield PlannedWrite(
            key=key, kind=WriteKind.COMMENT, source=source, origin=f"plan-status:{measure.id}:{week}",
            title=lang._("Plan status {week}: {measure}", week=week, measure=measure.id), body=f"{body}\n{marker(key)}",
            ticket_id=task, ticket_key=task, fingerprint=week,
        )


def push_plan(config: Config, *, source: str | None = None, dry_run: bool = False,
              environ: Mapping[str, str] = os.environ, writer_factory: WriterFactory | None = None,
              adapter_factory: AdapterFactory = open_adapter, on_write: OnWrite | None = None,
              on_skip: OnSkip | None = None) -> list[SourceSummary]:
    """Push the plan's measures and milestones, then this week's status comments, to each
    configured source (or one). Raises LockHeld when a sync runs.

    Each source's credentials are checked (`adapter_factory`'s `check()`) before anything is
    planned; writes go through that adapter's writer, or one from `writer_factory`.

    With `dry_run` the writes are planned and passed to `on_write`, and nothing is written:
    neither the helpdesk (no credentials are needed) nor the state. Measures and milestones
    that ended before a source's go-live cut-off are not pushed there: each goes to `on_skip`.
    """
    sources = [config.source(source)] if source else list(config.sources)
    tokens = {} if dry_run else {s.name: s.token(environ) for s in sources}
    workspace = load_workspace(config.workspace)
    now = clock.now(environ)
    if dry_run:
        with scratch_state(config.state_path) as store:
            secret = Identity(store).secret(key_file(config.state_path))
            report = build_report(workspace, store.tickets(), now)
            planner = WritebackPlanner(store, workspace, now, config.writeback, secret=secret,
                                       kinds={s.name: s.kind for s in config.sources})
            return [_show_source(s.name, planner, report, Ledger(store), now, on_write, on_skip, secret=secret)
                    for s in sources]
    with sync_lock(config.state_path):
        store = Store.open(config.state_path)
        try:
            run_id = store.start_run("plan-push")
            secret = Identity(store).secret(key_file(config.state_path))
            writers = {s.name: _checked_writer(s, tokens[s.name], adapter_factory, writer_factory) for s in sources}
            report = build_report(workspace, store.tickets(), now)
            ledger = Ledger(store)
            planner = WritebackPlanner(store, workspace, now, config.writeback, secret=secret,
                                       kinds={s.name: s.kind for s in config.sources})
            summaries = [
                _unchecked(s.name, writer) if isinstance(writer, HelpdeskError) else
                _push_source(s.name, Applier(ledger, writer, run_id=run_id),
                             planner, report, ledger, now, on_write, on_skip, secret=secret)
                for s, writer in ((s, writers[s.name]) for s in sources)
            ]
            store.finish_run(run_id, run_exit_code(summaries),
                             [s.as_dict() for s in summaries])
        finally:
            store.close()
    return summaries


def _checked_writer(config: SourceConfig, token: str, adapter_factory: AdapterFactory,
                    writer_factory: WriterFactory | None) -> Writer | HelpdeskError:
    """The source's writer once its credentials are accepted, or why they were not (refused:
    AuthError; unreachable: Unreachable, within seconds)."""
    adapter = adapter_factory(config, token)
    try:
        adapter.check()
    except HelpdeskError as exc:
        return exc
    return writer_factory(config, token) if writer_factory else adapter.writer()


def _unchecked(source: str, error: HelpdeskError) -> SourceSummary:
    summary = SourceSummary(source)
    summary.fail(error, f"nothing pushed: {error}")
    return summary


def _push_source(source: str, applier: Applier, planner: WritebackPlanner, report: Report, ledger: Ledger,
                 now: datetime, on_write: OnWrite | None, on_skip: OnSkip | None, *, secret: str) -> SourceSummary:
    summary = SourceSummary(source)
    workspace = planner.workspace
    summary.mark_reached()          # its credentials were accepted (`_checked_writer`)
    plan = workspace.plan
    try:
        for message in applier.reconcile(source).errors:
            summary.fail(ExitStatus.PARTIAL, message)
        # Tasks first: the status comments go on the measures' tasks.
        items = pushable(plan_items(plan), source, planner, summary, on_skip)
        lang = planner.lang
        for write in plan_push_tasks(items, source, ledger, secret=secret, lang=lang, zone=workspace.calendar().zone):
            _apply(applier, planner.routed(write), summary, on_write)
        for write in status_comments(report, plan, source, ledger, now, workspace.calendar().zone, secret=secret,
                                     lang=lang):
            _apply(applier, write, summary, on_write)
    except HelpdeskError as exc:
        summary.fail(exc, f"writes stopped, push again later for the rest: {exc}")
    summary.requests = applier.writer.requests
    return summary


def _apply(applier: Applier, write: PlannedWrite, summary: SourceSummary, on_write: OnWrite | None) -> None:
    if on_write:
        on_write(write)
    apply_write(applier, write, summary)


def _show_source(source: str, planner: WritebackPlanner, report: Report, ledger: Ledger, now: datetime,
                 on_write: OnWrite | None, on_skip: OnSkip | None, *, secret: str) -> SourceSummary:
    summary = SourceSummary(source)
    workspace = planner.workspace
    summary.writes_unsettled = ledger.count(source, WriteStatus.PENDING)
    items = pushable(plan_items(workspace.plan), source, planner, summary, on_skip)
    lang = planner.lang
    tasks = [planner.routed(write) for write in plan_push_tasks(items, source, ledger, secret=secret, lang=lang,
                                                                zone=workspace.calendar().zone)]
    comments = status_comments(report, workspace.plan, source, ledger, now, workspace.calendar().zone,
                               secret=secret, planned=frozenset(w.key for w in tasks), lang=lang)
    for write in [*tasks, *comments]:
        summary.writes_planned += 1
        if on_write:
            on_write(write)
    return summary

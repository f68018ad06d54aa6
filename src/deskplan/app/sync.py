"""`deskplan sync`: pull every stream of every source, store it, build canonical tickets,
evaluate them and write back.

The flow is one-way: adapter pages -> state (records + cursor, one transaction per page)
-> canonical tickets -> rules and SLA clocks -> planned writes -> apply (writeback.py).
A dry-run pulls and builds inside one transaction on the state file that is rolled back at
the end, prints the write-back's plans instead of applying them, and so changes neither
the helpdesk nor the state. A pull-only run stores what it pulls (cursors included) and plans
nothing: a dry-run after it pulls only what changed since.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from deskplan import clock
from deskplan.adapters.base import Adapter, PullWarnings
from deskplan.app.plandates import sync_note
from deskplan.app.review.task import review_renderer
from deskplan.app.summary import SourceSummary, quarantine, run_exit_code
from deskplan.app.tasks import read_back
from deskplan.app.writeback import (
    OnWrite,
    Progress,
    WritebackApplier,
    show_goals,
    show_reviews,
    show_source,
    workspace_present,
)
from deskplan.config import Config, SourceConfig
from deskplan.effects import Writer
from deskplan.errors import BadPayload, ExitStatus, HelpdeskError, unexpected
from deskplan.gcpause import collector_paused
from deskplan.kpi.facts import refresh_facts
from deskplan.model import Ticket, ticket_json
from deskplan.rules.load import Workspace
from deskplan.rules.owners import cadence_sources
from deskplan.state.identity import Identity, key_file
from deskplan.state.lock import sync_lock
from deskplan.state.records import Quarantined, Record, Related
from deskplan.state.store import BUILD, QUARANTINE_PAYLOAD_LIMIT, Store, payload_text
from deskplan.writes.apply import Applier
from deskplan.writes.plan import WritebackPlanner

log = logging.getLogger(__name__)

AdapterFactory = Callable[[SourceConfig, str], Adapter]
WriterFactory = Callable[[SourceConfig, str], Writer]

BUILD_BATCH = 500


@dataclass
class SyncResult:
    summaries: list[SourceSummary]
    dry_run: bool
    pull_only: bool = False
    seconds: dict[str, float] = field(default_factory=dict)   # per source: its pull, build and write-back
    plan_note: str | None = None    # the plan has ended or not started (app/plandates.py): said once per run

    @property
    def exit_code(self) -> int:
        return run_exit_code(self.summaries)


def _default_factory(config: SourceConfig, token: str) -> Adapter:
    from deskplan.adapters import open_adapter

    return open_adapter(config, token)


def run_sync(
    config: Config,
    *,
    source: str | None = None,
    full: bool = False,
    dry_run: bool = False,
    environ: Mapping[str, str] = os.environ,
    adapter_factory: AdapterFactory = _default_factory,
    writer_factory: WriterFactory | None = None,
    progress: Progress | None = None,
    on_write: OnWrite | None = None,
    pull_only: bool = False,
) -> SyncResult:
    """Sync the configured sources (or one). Raises LockHeld when another sync runs.

    `pull_only`: pull, store and build, and stop there: no evaluation, no write-back, no goal
    check, and no go-live cut-off taken (the first sync that writes back sets that).

    `on_write` sees every planned write (the dry-run prints them); `progress` sees counts.
    Without a plan.yaml beside deskplan.toml the sync only pulls (nothing to evaluate).
    Writes go through the adapter's own writer (one HTTP client per source) unless
    `writer_factory` gives another.
    """
    sources = [config.source(source)] if source else list(config.sources)
    # Read every token, the workspace and the clock before touching anything: a problem
    # with any of them is exit 2 with nothing written.
    tokens = {s.name: s.token(environ) for s in sources}
    workspace = None if pull_only else _load_workspace(config)
    # Each cadence entry's source (`in`, else the first): an unknown one is exit 2 before anything.
    review_sources = (cadence_sources(workspace.plan, workspace.root, [s.name for s in config.sources])
                      if workspace is not None else {})
    now = clock.now(environ)
    note = sync_note(workspace, now) if workspace is not None else None
    seconds: dict[str, float] = {}

    def sync_all(store: Store, run_id: int | None) -> list[SourceSummary]:
        planner = None
        if workspace is not None:
            # The key file beside the state: a dry-run on a throw-away state plans the keys the real run will.
            secret = Identity(store).secret(key_file(config.state_path))
            planner = WritebackPlanner(store, workspace, now, config.writeback, secret=secret,
                                       kinds={s.name: s.kind for s in config.sources})
        summaries: dict[str, SourceSummary] = {}
        appliers: dict[str, Applier] = {}
        adapters: dict[str, Adapter] = {}
        own_clients: dict[str, Writer] = {}    # writers from `writer_factory`: their requests count apart
        written: list[str] = []                # sources pulled whole and written back (or shown)
        for s in sources:
            seconds[s.name] = time.monotonic()         # when the source began: its seconds once the loop is done
            adapter = adapters[s.name] = adapter_factory(s, tokens[s.name])
            summary = summaries[s.name] = SourceSummary(source=s.name)
            pulled = _pull_and_build(store, s, adapter, summary, full=full, run_id=run_id, progress=progress)
            if workspace is not None:
                # The KPI facts of what was built (of every ticket, when the workspace changed): the
                # goal check and every report after this run add them up instead of the timelines.
                refresh_facts(store, workspace)
            if planner is not None and pulled:
                written.append(s.name)
                # (Else nothing to evaluate; or the pull stopped part-way, and a ticket whose events
                # are not all in would be judged on half its story: a reply not yet seen reads as a
                # breach. The next run resumes the pull and writes back then.)
                if dry_run:
                    show_source(planner, s.name, summary, on_write)
                else:
                    writer = writer_factory(s, tokens[s.name]) if writer_factory else adapter.writer()
                    if writer_factory:
                        own_clients[s.name] = writer
                    appliers[s.name] = Applier(planner.ledger, writer, run_id=run_id)
                    WritebackApplier(planner, run_id=run_id, progress=progress, on_write=on_write).source(
                        s.name, appliers[s.name], summary)
                if summary.exit_code < ExitStatus.UNREACHABLE:
                    # The closed loop, before the goals and reviews that report on these tasks.
                    read_back(store, adapter, s.name, now, summary)
        _durations(seconds, time.monotonic())
        # Goals span every source: their missed windows are planned once, after all pulls, into
        # the sources that were pulled and still take writes.
        reached = {name: summaries[name] for name in written if summaries[name].exit_code < ExitStatus.UNREACHABLE}
        started = time.monotonic()
        if planner is not None and reached:
            # Then the reviews of cadence periods that closed, into each entry's source if it was reached.
            reviewed = {cadence: name for cadence, name in review_sources.items() if name in reached}
            render = review_renderer(planner.workspace, store, now)
            if dry_run:
                show_goals(planner, reached, on_write)
                show_reviews(planner, reviewed, render, reached, on_write)
            else:
                applying = WritebackApplier(planner, run_id=run_id, progress=progress, on_write=on_write)
                applying.goals({name: appliers[name] for name in reached}, reached)
                applying.reviews(reviewed, render, {name: appliers[name] for name in reached}, reached)
        for name in reached:        # the goal check's time, spent on the sources it wrote to
            seconds[name] += time.monotonic() - started
        # Counted last: the goal tasks go through the same HTTP clients as the pull.
        for name, adapter in adapters.items():
            own = own_clients.get(name)
            summaries[name].requests = adapter.requests + (own.requests if own is not None else 0)
        for summary in summaries.values():
            summary.count_known(store)
        return list(summaries.values())

    if dry_run:
        with scratch_state(config.state_path) as store:
            return SyncResult(sync_all(store, None), dry_run=True, plan_note=note, seconds=seconds)

    with sync_lock(config.state_path):
        store = Store.open(config.state_path)
        try:
            run_id = store.start_run("pull" if pull_only else "sync")
            result = SyncResult(sync_all(store, run_id), dry_run=False, pull_only=pull_only, plan_note=note,
                                seconds=seconds)
            store.finish_run(run_id, result.exit_code, [s.as_dict() for s in result.summaries])
        finally:
            store.close()
    return result


def _durations(starts: dict[str, float], end: float) -> None:
    """Each source's start (monotonic seconds, in the order the sources ran) turned into its
    duration: until the next source began, the last one until `end`."""
    names = list(starts)
    for name, following in zip(names, names[1:] + [None], strict=True):
        starts[name] = (starts[following] if following is not None else end) - starts[name]


@contextmanager
def scratch_state(state_path: Path) -> Iterator[Store]:
    """The state as a dry-run may use it: the real file, under the sync lock, inside one
    transaction rolled back at the end (before the first sync: a throw-away file). Nothing
    it stores is kept; a sync that starts meanwhile exits 3, as beside any other sync."""
    if not state_path.exists():
        with tempfile.TemporaryDirectory(prefix="deskplan-dry-run-") as tmp:
            store = Store.open(Path(tmp) / "state.db")
            try:
                yield store
            finally:
                store.close()
        return
    with sync_lock(state_path), Store.scratch(state_path) as store:
        yield store


def _load_workspace(config: Config) -> Workspace | None:
    if not workspace_present(config.workspace):
        log.warning("no plan.yaml in %s: tickets are pulled, nothing is evaluated or written back",
                    config.workspace)
        return None
    from deskplan.rules.load import load_workspace

    return load_workspace(config.workspace)


def _pull_and_build(store: Store, config: SourceConfig, adapter: Adapter, summary: SourceSummary, *,
                    full: bool, run_id: int | None, progress: Progress | None) -> bool:
    """Pull every stream and build the touched tickets. True when the pull completed."""
    pulled = False
    identity = Identity(store)
    try:
        adapter.check()
        summary.mark_reached()
        # Tickets built knowing another own user (or none) say wrongly which comments are deskplan's.
        changed = adapter.own_user is not None and identity.record_own_user(config.name, adapter.own_user)
        if full or changed:
            store.touch_all(config.name)
        _pull(store, config, adapter, summary, full=full, run_id=run_id, progress=progress)
        pulled = True
    except HelpdeskError as exc:
        # Pages stored before the failure are kept with their cursors: the next run resumes there.
        summary.fail(exc, str(exc))
    except Exception as exc:
        # Not one ticket's fault but the pull's (a page the adapter cannot take apart): the same,
        # listed rather than a traceback, and the other sources go on.
        log.debug("the pull of %s stopped", config.name, exc_info=True)
        summary.fail(ExitStatus.PARTIAL, f"the pull stopped, the rest follows on the next run: {unexpected(exc)}")
    if isinstance(adapter, PullWarnings):
        for note in adapter.pull_warnings:
            log.warning("%s: %s", config.name, note)
            summary.warnings.append(note)
    if adapter.own_user is None:        # the helpdesk did not say: the user it named last time
        adapter.own_user = identity.own_user(config.name)
    _build(store, config, adapter, summary, run_id=run_id)
    return pulled


def _pull(
    store: Store, config: SourceConfig, adapter: Adapter, summary: SourceSummary, *, full: bool,
    run_id: int | None, progress: Progress | None,
) -> None:
    for stream in adapter.streams:
        cursor = None if full else store.cursor(config.name, stream)
        pages = adapter.pull(stream, cursor)
        while True:
            # A page (its decoded JSON, its records) is a burst of objects that all live until
            # it is stored: the cyclic collector would walk them again and again, freeing
            # nothing (15% of a large sync's CPU). It runs between pages instead.
            with collector_paused():
                page = next(pages, None)
                if page is None:
                    break
                store.save_page(config.name, page, run_id, on_quarantine=partial(summary.quarantined_as, what=""))
            summary.tickets_seen += sum(1 for r in page.records if r.kind == "ticket")
            if progress:
                progress(config.name, "tickets pulled", summary.tickets_seen)


def _build(
    store: Store, config: SourceConfig, adapter: Adapter, summary: SourceSummary, *, run_id: int | None,
) -> None:
    """Rebuild the canonical form of every touched ticket, in batches of one transaction each.

    A batch's records are read in one go and its tickets written in one go; users, groups and
    organizations are read once for the whole run (a bounded cache), not once per comment. A
    ticket that fails to build (for whatever reason) is quarantined, the batch goes on.
    """
    pending = store.touched(config.name)
    lookup = store.record_lookup(config.name)
    while True:
        batch = list(itertools.islice(pending, BUILD_BATCH))
        if not batch:
            return
        with store.transaction(), collector_paused():      # a batch is a burst too (see _pull)
            built: list[tuple[Ticket, str]] = []
            for ticket_id, record, related in store.build_inputs(config.name, batch, lookup):
                ticket = _build_one(store, config, adapter, summary, ticket_id, record, related, run_id)
                if ticket is not None:
                    built.append(ticket)
            built = _unique_keys(store, config, summary, built, run_id)
            # Quarantined by id, or by key where the adapter named the ticket so (a Jira key).
            store.release_quarantined(config.name, [ref for ticket, _ in built for ref in {ticket.id, ticket.key}])
            summary.tickets_changed += store.save_tickets(built)


def _unique_keys(store: Store, config: SourceConfig, summary: SourceSummary, built: list[tuple[Ticket, str]],
                 run_id: int | None) -> list[tuple[Ticket, str]]:
    """The built tickets whose key no other ticket holds; the others are quarantined (stage
    `build`). A helpdesk never gives two tickets one key, but an answer can claim it: the
    ticket that holds the key first keeps it."""
    holders = store.key_holders(config.name, (ticket.key for ticket, _ in built))
    kept = []
    for ticket, data in built:
        holder = holders.setdefault(ticket.key, ticket.id)
        if holder == ticket.id:
            kept.append((ticket, data))
            continue
        reason = f"key {ticket.key} belongs to ticket {holder} already"
        bad = Quarantined(ticket.id, reason, data[:QUARANTINE_PAYLOAD_LIMIT])
        quarantine(store, config.name, summary, BUILD, bad, run_id)
        store.untouch(config.name, ticket.id)     # rebuilt when its records change again
    return kept


def _build_one(
    store: Store, config: SourceConfig, adapter: Adapter, summary: SourceSummary, ticket_id: str,
    record: Record | None, related: Related, run_id: int | None,
) -> tuple[Ticket, str] | None:
    """The canonical ticket with its stored JSON, or None when there is nothing to store for it
    (yet). A ticket that cannot be built, or written as JSON, is quarantined (stage `build`)."""
    if record is None:
        # Events arrived before their ticket (the export holds back the last minute):
        # stay touched, the ticket comes with a later page or run.
        return None
    try:
        ticket = adapter.build(record, related)
        return ticket, ticket_json(ticket)
    except Exception as exc:
        if isinstance(exc, BadPayload):
            ref, reason = exc.ref or ticket_id, str(exc)
        else:
            log.debug("ticket %s of %s did not build", ticket_id, config.name, exc_info=True)
            ref, reason = ticket_id, unexpected(exc)
        quarantine(store, config.name, summary, BUILD, Quarantined(ref, reason, payload_text(record.data)), run_id)
        store.untouch(config.name, ticket_id)     # rebuilt when its records change again
        return None


def summary_lines(result: SyncResult) -> list[str]:
    """The human-readable run summary."""
    lines = []
    for s in result.summaries:
        head = "dry-run " if result.dry_run else "pull-only " if result.pull_only else ""
        lines.append(
            f"{head}{s.source}: {s.tickets_seen} tickets seen, {s.tickets_changed} changed, "
            f"{s.tickets_evaluated} evaluated, {s.requests} requests, "
            f"{s.writes_planned} writes planned, {s.writes_applied} applied"
            + (f" ({s.review_tasks_created} review task{'' if s.review_tasks_created == 1 else 's'})"
               if s.review_tasks_created else "")
            + (f", {s.writes_failed} failed" if s.writes_failed else "")
            + (f", {s.writes_deferred} deferred" if s.writes_deferred else "")
            + (f", {s.quarantined} quarantined" if s.quarantined else "")
            + (f", {s.quarantined_known} still quarantined" if s.quarantined_known else "")
            + (f", {s.tasks_read} tasks read back" if s.tasks_read else "")
        )
        if s.writeback_since is not None and (result.dry_run or s.writes_skipped_before_cutoff):
            lines.append(cutoff_line(s))
        if s.writes_unsettled:
            lines.append(f"  {s.writes_unsettled} writes of an interrupted run are unsettled: the next sync checks "
                         "them with the helpdesk first, and writes those it lacks")
        lines.extend(f"  error: {e}" for e in s.errors)
        lines.extend(f"  warning: {w}" for w in s.warnings)
    return lines


def cutoff_line(summary: SourceSummary) -> str:
    """`  go-live cut-off 2026-03-10T12:00+00:00 (first write-back sync): 8 tasks about earlier events held back`"""
    assert summary.writeback_since is not None, "only for a source that wrote back"
    since = datetime.fromisoformat(summary.writeback_since).isoformat(timespec="minutes")
    origin = "[writeback] since" if summary.writeback_since_configured else "first write-back sync"
    held = summary.writes_skipped_before_cutoff
    return f"  go-live cut-off {since} ({origin}): {held} task{'' if held == 1 else 's'} about earlier events held back"


def summary_dicts(result: SyncResult) -> list[dict[str, Any]]:
    return [s.as_dict() for s in result.summaries]

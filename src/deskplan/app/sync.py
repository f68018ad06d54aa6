"""`deskplan sync`: pull every stream of every source, store it, build canonical tickets,
evaluate them and write back.

The flow is one-way: adapter pages -> state (records + cursor, one transaction per page)
-> canonical tickets -> rules and SLA clocks -> planned writes -> apply (writeback.py).
A dry-run runs the very same steps against a throw-away copy of the state file and skips
only the apply step, so neither the helpdesk nor the state changes.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping

import sqlite_utils

from deskplan import clock
from deskplan.adapters.base import Adapter, Quarantined, Record, Related
from deskplan.config import Config, SourceConfig
from deskplan.errors import AuthError, BadPayload, ExitStatus, HelpdeskError, Unreachable
from deskplan.gcpause import collector_paused
from deskplan.model import Ticket
from deskplan.effects import Writer
from deskplan.state.lock import sync_lock
from deskplan.state.store import Store
from deskplan.app.writeback import OnWrite, Progress, WritebackRun, WritebackTally, open_writer, workspace_present

log = logging.getLogger(__name__)

AdapterFactory = Callable[[SourceConfig, str], Adapter]
WriterFactory = Callable[[SourceConfig, str], Writer]

BUILD_BATCH = 500


@dataclass
class SourceSummary:
    """One line of `sync --json` per source (SPEC §3)."""

    source: str
    tickets_seen: int = 0
    tickets_changed: int = 0
    requests: int = 0
    writes_planned: int = 0
    writes_applied: int = 0
    writes_failed: int = 0       # refused, or sent with the answer lost (listed in `errors`)
    writes_deferred: int = 0     # held back by the helpdesk's per-ticket update limit
    writes_skipped_before_cutoff: int = 0   # tasks about what happened before the go-live cut-off
    writeback_since: str | None = None      # that cut-off (ISO instant), once write-back ran
    writeback_since_configured: bool = False  # set by `[writeback] since` (else: the first write-back sync)
    tickets_evaluated: int = 0
    quarantined: int = 0
    errors: list[str] = field(default_factory=list)
    exit_code: int = ExitStatus.OK

    def fail(self, status: ExitStatus, message: str) -> None:
        self.errors.append(message)
        self.exit_code = max(self.exit_code, status)

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    def add_writes(self, tally: WritebackTally) -> None:
        self.writes_planned += tally.planned
        self.writes_applied += tally.applied
        self.writes_failed += tally.failed
        self.writes_deferred += tally.deferred
        self.writes_skipped_before_cutoff += tally.held_back
        if tally.since is not None:
            self.writeback_since = tally.since.isoformat()
            self.writeback_since_configured = tally.since_configured
        self.tickets_evaluated += tally.evaluated
        for status, message in tally.errors:
            self.fail(status, message)


@dataclass
class SyncResult:
    summaries: list[SourceSummary]
    dry_run: bool

    @property
    def exit_code(self) -> int:
        return max((s.exit_code for s in self.summaries), default=ExitStatus.OK)


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
    writer_factory: WriterFactory = open_writer,
    progress: Progress | None = None,
    on_write: OnWrite | None = None,
) -> SyncResult:
    """Sync the configured sources (or one). Raises LockHeld when another sync runs.

    `on_write` sees every planned write (the dry-run prints them); `progress` sees counts.
    Without a plan.yaml beside deskplan.toml the sync only pulls (nothing to evaluate).
    """
    sources = [config.source(source)] if source else list(config.sources)
    # Read every token, the workspace and the clock before touching anything: a problem
    # with any of them is exit 2 with nothing written.
    tokens = {s.name: s.token(environ) for s in sources}
    workspace = _load_workspace(config)
    now = clock.now(environ)
    state_path = config.state_path

    def sync_all(store: Store, run_id: int | None) -> list[SourceSummary]:
        writeback = (WritebackRun(store, workspace, now, dry_run, run_id=run_id, on_write=on_write, progress=progress,
                                  settings=config.writeback)
                     if workspace is not None else None)
        summaries: list[SourceSummary] = []
        writers: dict[str, Writer] = {}
        for s in sources:
            summary, writer = _sync_source(store, s, adapter_factory(s, tokens[s.name]), writeback,
                                           lambda cfg=s: writer_factory(cfg, tokens[cfg.name]),
                                           full=full, run_id=run_id, progress=progress)
            summaries.append(summary)
            if writer is not None and summary.exit_code < ExitStatus.UNREACHABLE:
                writers[s.name] = writer
        if writeback is not None and writers:
            # Goals span every source: their missed windows are planned once, after all pulls.
            goal_tallies = {name: WritebackTally() for name in writers}
            writeback.goals(writers, goal_tallies)
            for summary in summaries:
                if summary.source in writers:
                    summary.add_writes(goal_tallies[summary.source])
                    summary.requests += writers[summary.source].requests
        return summaries

    if dry_run:
        with tempfile.TemporaryDirectory(prefix="deskplan-dry-run-") as tmp:
            store = _dry_run_copy(state_path, Path(tmp) / "state.db")
            try:
                summaries = sync_all(store, None)
            finally:
                store.close()
        return SyncResult(summaries, dry_run=True)

    with sync_lock(state_path):
        store = Store.open(state_path)
        try:
            run_id = store.start_run("sync")
            result = SyncResult(sync_all(store, run_id), dry_run=False)
            store.finish_run(run_id, result.exit_code, [asdict(s) for s in result.summaries])
        finally:
            store.close()
    return result


def _load_workspace(config: Config):
    if not workspace_present(config.workspace):
        log.warning("no plan.yaml in %s: tickets are pulled, nothing is evaluated or written back",
                    config.workspace)
        return None
    from deskplan.rules.load import load_workspace

    return load_workspace(config.workspace)


def _dry_run_copy(state_path: Path, copy_path: Path) -> Store:
    if not state_path.exists():
        return Store.open(copy_path)
    # A dry-run must not even leave -wal/-shm files beside the real state. With no WAL
    # in use (no sync running) the file is opened immutable, which creates none; while
    # a sync runs they exist anyway and a read-only connection reads a consistent snapshot.
    wal = state_path.with_name(state_path.name + "-wal")
    mode = "ro" if wal.exists() and wal.stat().st_size else "ro&immutable=1"
    source = Store(sqlite_utils.Database(sqlite3.connect(f"file:{state_path}?mode={mode}", uri=True)))
    try:
        return source.copy_to(copy_path)
    finally:
        source.close()


def _sync_source(
    store: Store, config: SourceConfig, adapter: Adapter, writeback: WritebackRun | None,
    open_writer_for: Callable[[], Writer], *, full: bool, run_id: int | None, progress: Progress | None,
) -> tuple[SourceSummary, Writer | None]:
    summary = SourceSummary(source=config.name)
    pulled = False
    try:
        adapter.check()
        if full:
            store.touch_all(config.name)
        _pull(store, config, adapter, summary, full=full, run_id=run_id, progress=progress)
        pulled = True
    except (AuthError, Unreachable) as exc:
        summary.fail(ExitStatus.UNREACHABLE, str(exc))
    except HelpdeskError as exc:
        # Pages stored before the failure are kept with their cursors: the next run resumes there.
        summary.fail(ExitStatus.PARTIAL, str(exc))
    _build(store, config, adapter, summary, run_id=run_id)
    summary.requests = adapter.requests
    if writeback is None or not pulled:
        # Nothing to evaluate; or the pull stopped part-way, and a ticket whose events are not
        # all in would be judged on half its story (a reply not yet seen reads as a breach).
        # The next run resumes the pull and writes back then.
        return summary, None
    writer = open_writer_for()
    summary.add_writes(writeback.source(config.name, writer))
    return summary, writer


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
                store.save_page(config.name, page, run_id)
            summary.tickets_seen += sum(1 for r in page.records if r.kind == "ticket")
            for bad in page.quarantined:
                summary.quarantined += 1
                summary.fail(ExitStatus.PARTIAL, f"quarantined {bad.ref} ({stream}): {bad.error}")
            if progress:
                progress(config.name, "tickets pulled", summary.tickets_seen)


def _build(
    store: Store, config: SourceConfig, adapter: Adapter, summary: SourceSummary, *, run_id: int | None,
) -> None:
    """Rebuild the canonical form of every touched ticket, in batches of one transaction each.

    A batch's records are read in one go and its tickets written in one go; users, groups and
    organizations are read once for the whole run (a bounded cache), not once per comment.
    """
    pending = store.touched(config.name)
    lookup = store.record_lookup(config.name)
    while True:
        batch = [tid for _, tid in zip(range(BUILD_BATCH), pending)]
        if not batch:
            return
        with store.transaction(), collector_paused():      # a batch is a burst too (see _pull)
            built = []
            for ticket_id, record, related in store.build_inputs(config.name, batch, lookup):
                ticket = _build_one(store, config, adapter, summary, ticket_id, record, related, run_id)
                if ticket is not None:
                    built.append(ticket)
            store.release_quarantined(config.name, [ticket.id for ticket in built])
            summary.tickets_changed += store.save_tickets(built)


def _build_one(
    store: Store, config: SourceConfig, adapter: Adapter, summary: SourceSummary, ticket_id: str,
    record: Record | None, related: Related, run_id: int | None,
) -> Ticket | None:
    """The canonical ticket, or None when there is nothing to store for it (yet)."""
    if record is None:
        # Events arrived before their ticket (the export holds back the last minute):
        # stay touched, the ticket comes with a later page or run.
        return None
    try:
        return adapter.build(record, related)
    except BadPayload as exc:
        bad = Quarantined(ref=exc.ref or ticket_id, error=str(exc), payload=json.dumps(record.data)[:65536])
        store.quarantine(config.name, "build", bad, run_id)
        store.untouch(config.name, ticket_id)     # rebuilt when its records change again
        summary.quarantined += 1
        summary.fail(ExitStatus.PARTIAL, f"quarantined ticket {bad.ref}: {exc}")
        return None


def summary_lines(result: SyncResult) -> list[str]:
    """The human-readable run summary."""
    lines = []
    for s in result.summaries:
        head = "dry-run " if result.dry_run else ""
        lines.append(
            f"{head}{s.source}: {s.tickets_seen} tickets seen, {s.tickets_changed} changed, "
            f"{s.tickets_evaluated} evaluated, {s.requests} requests, "
            f"{s.writes_planned} writes planned, {s.writes_applied} applied"
            + (f", {s.writes_failed} failed" if s.writes_failed else "")
            + (f", {s.writes_deferred} deferred" if s.writes_deferred else "")
            + (f", {s.quarantined} quarantined" if s.quarantined else "")
        )
        if s.writeback_since is not None and (result.dry_run or s.writes_skipped_before_cutoff):
            lines.append(cutoff_line(s))
        lines.extend(f"  error: {e}" for e in s.errors)
    return lines


def cutoff_line(summary: SourceSummary) -> str:
    """`  go-live cut-off 2026-03-10T12:00+00:00 (first write-back sync): 8 tasks about earlier events held back`"""
    since = datetime.fromisoformat(summary.writeback_since).isoformat(timespec="minutes")
    origin = "[writeback] since" if summary.writeback_since_configured else "first write-back sync"
    held = summary.writes_skipped_before_cutoff
    return f"  go-live cut-off {since} ({origin}): {held} task{'' if held == 1 else 's'} about earlier events held back"


def summary_dicts(result: SyncResult) -> list[dict[str, Any]]:
    return [asdict(s) for s in result.summaries]

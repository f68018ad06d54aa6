"""`deskplan sync`: pull every stream of every source, store it, build canonical tickets.

The flow is one-way: adapter pages -> state (records + cursor, one transaction per page)
-> canonical tickets. A dry-run runs the very same steps against a throw-away copy of
the state file, so neither the helpdesk nor the state changes.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import sqlite_utils

from ..adapters.base import Adapter, Quarantined
from ..config import Config, SourceConfig
from ..errors import AuthError, BadPayload, ExitStatus, HelpdeskError, Unreachable
from .lock import sync_lock
from .store import Store

log = logging.getLogger(__name__)

AdapterFactory = Callable[[SourceConfig, str], Adapter]
Progress = Callable[[str, int], None]      # (source name, tickets pulled so far)

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
    quarantined: int = 0
    errors: list[str] = field(default_factory=list)
    exit_code: int = ExitStatus.OK

    def fail(self, status: ExitStatus, message: str) -> None:
        self.errors.append(message)
        self.exit_code = max(self.exit_code, status)

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


@dataclass
class SyncResult:
    summaries: list[SourceSummary]
    dry_run: bool

    @property
    def exit_code(self) -> int:
        return max((s.exit_code for s in self.summaries), default=ExitStatus.OK)


def _default_factory(config: SourceConfig, token: str) -> Adapter:
    from ..adapters import open_adapter

    return open_adapter(config, token)


def run_sync(
    config: Config,
    *,
    source: str | None = None,
    full: bool = False,
    dry_run: bool = False,
    environ: Mapping[str, str] = os.environ,
    adapter_factory: AdapterFactory = _default_factory,
    progress: Progress | None = None,
) -> SyncResult:
    """Sync the configured sources (or one). Raises LockHeld when another sync runs."""
    sources = [config.source(source)] if source else list(config.sources)
    # Read every token before touching anything: a missing one is a config error (exit 2).
    tokens = {s.name: s.token(environ) for s in sources}
    state_path = config.state_path

    if dry_run:
        with tempfile.TemporaryDirectory(prefix="deskplan-dry-run-") as tmp:
            store = _dry_run_copy(state_path, Path(tmp) / "state.db")
            try:
                summaries = [
                    _sync_source(store, s, adapter_factory(s, tokens[s.name]), full=full, run_id=None,
                                 progress=progress)
                    for s in sources
                ]
            finally:
                store.close()
        return SyncResult(summaries, dry_run=True)

    with sync_lock(state_path):
        store = Store.open(state_path)
        try:
            run_id = store.start_run("sync")
            summaries = [
                _sync_source(store, s, adapter_factory(s, tokens[s.name]), full=full, run_id=run_id,
                             progress=progress)
                for s in sources
            ]
            result = SyncResult(summaries, dry_run=False)
            store.finish_run(run_id, result.exit_code, [asdict(s) for s in summaries])
        finally:
            store.close()
    return result


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
    store: Store, config: SourceConfig, adapter: Adapter, *, full: bool, run_id: int | None,
    progress: Progress | None,
) -> SourceSummary:
    summary = SourceSummary(source=config.name)
    try:
        adapter.check()
        _pull(store, config, adapter, summary, full=full, run_id=run_id, progress=progress)
    except (AuthError, Unreachable) as exc:
        summary.fail(ExitStatus.UNREACHABLE, str(exc))
    except HelpdeskError as exc:
        # Pages stored before the failure are kept with their cursors: the next run resumes there.
        summary.fail(ExitStatus.PARTIAL, str(exc))
    _build(store, config, adapter, summary, run_id=run_id)
    summary.requests = adapter.requests
    return summary


def _pull(
    store: Store, config: SourceConfig, adapter: Adapter, summary: SourceSummary, *, full: bool,
    run_id: int | None, progress: Progress | None,
) -> None:
    for stream in adapter.streams:
        cursor = None if full else store.cursor(config.name, stream)
        for page in adapter.pull(stream, cursor):
            store.save_page(config.name, page, run_id)
            summary.tickets_seen += sum(1 for r in page.records if r.kind == "ticket")
            for bad in page.quarantined:
                summary.quarantined += 1
                summary.fail(ExitStatus.PARTIAL, f"quarantined {bad.ref} ({stream}): {bad.error}")
            if progress:
                progress(config.name, summary.tickets_seen)


def _build(
    store: Store, config: SourceConfig, adapter: Adapter, summary: SourceSummary, *, run_id: int | None,
) -> None:
    """Rebuild the canonical form of every touched ticket, in batches of one transaction each."""
    pending = store.touched(config.name)
    while True:
        batch = [tid for _, tid in zip(range(BUILD_BATCH), pending)]
        if not batch:
            return
        with store.transaction():
            for ticket_id in batch:
                _build_one(store, config, adapter, summary, ticket_id, run_id)


def _build_one(
    store: Store, config: SourceConfig, adapter: Adapter, summary: SourceSummary, ticket_id: str,
    run_id: int | None,
) -> None:
    record = store.ticket_record(config.name, ticket_id)
    if record is None:
        # Events arrived before their ticket (the export holds back the last minute):
        # stay touched, the ticket comes with a later page or run.
        return
    try:
        ticket = adapter.build(record, store.related(config.name, ticket_id))
    except BadPayload as exc:
        bad = Quarantined(ref=exc.ref or ticket_id, error=str(exc), payload=json.dumps(record.data)[:65536])
        store.quarantine(config.name, "build", bad, run_id)
        store.untouch(config.name, ticket_id)     # rebuilt when its records change again
        summary.quarantined += 1
        summary.fail(ExitStatus.PARTIAL, f"quarantined ticket {bad.ref}: {exc}")
        return
    store.release_quarantine(config.name, ticket.id)
    if store.save_ticket(ticket):
        summary.tickets_changed += 1


def summary_lines(result: SyncResult) -> list[str]:
    """The human-readable run summary."""
    lines = []
    for s in result.summaries:
        head = "dry-run " if result.dry_run else ""
        lines.append(
            f"{head}{s.source}: {s.tickets_seen} tickets seen, {s.tickets_changed} changed, "
            f"{s.requests} requests, {s.writes_planned} writes planned, {s.writes_applied} applied"
            + (f", {s.quarantined} quarantined" if s.quarantined else "")
        )
        lines.extend(f"  error: {e}" for e in s.errors)
    return lines


def summary_dicts(result: SyncResult) -> list[dict[str, Any]]:
    return [asdict(s) for s in result.summaries]

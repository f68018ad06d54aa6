"""`sync --metrics-file PATH`: what each run did, per source, in the Prometheus text format, for
node_exporter's textfile collector (README, "Monitoring").

The file is rewritten after every run, a failed one too, from a registry of its own (nothing
else of the process is exported) and atomically (`write_to_textfile` writes a temporary file
beside it and renames it), so a scrape never reads half a file. Every value is the last run's;
only `deskplan_sync_last_success_timestamp_seconds` reaches further back: a run that did not
succeed carries the previous file's value over, so "no successful sync for N hours" can be
alerted on from the file alone.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile
from prometheus_client.parser import text_string_to_metric_families

from deskplan import clock
from deskplan.app.summary import SourceSummary
from deskplan.app.sync import SyncResult
from deskplan.errors import DeskplanError, ExitStatus

log = logging.getLogger(__name__)

PREFIX = "deskplan_sync_"
LAST_SUCCESS = f"{PREFIX}last_success_timestamp_seconds"

# (name, help, the summary's figure); each a gauge labelled by source: one run's figure, not a running total
COUNTS: tuple[tuple[str, str, str], ...] = (
    ("tickets_seen", "Tickets the last run pulled.", "tickets_seen"),
    ("tickets_changed", "Stored tickets the last run changed.", "tickets_changed"),
    ("requests", "HTTP requests the last run made to the helpdesk.", "requests"),
    ("writes_applied", "Comments and tasks the last run wrote.", "writes_applied"),
    ("writes_failed", "Writes the helpdesk refused, or whose answer was lost, in the last run.", "writes_failed"),
    ("tickets_quarantined", "Tickets the last run quarantined (new or changed).", "quarantined"),
    ("tickets_quarantined_known", "Tickets held in quarantine since an earlier run, unchanged.",
     "quarantined_known"),
)


def run_with_metrics(path: Path, sources: Sequence[str], run: Callable[[], SyncResult], *,
                     environ: Mapping[str, str] = os.environ) -> SyncResult:
    """`run()` (a sync of `sources`), then its metrics written to `path`; a run that raises writes
    them too (every source with the run's exit status), then the error goes on. A metrics file
    that cannot be written is listed in each source's errors (exit 1): the sync itself stands."""
    started = time.monotonic()
    try:
        result = run()
    except Exception as exc:
        if not sources:         # a --source that names none: no figures to replace the last run's with
            raise
        status = exc.exit_status if isinstance(exc, DeskplanError) else ExitStatus.PARTIAL
        summaries = failed_run(sources, status, str(exc) if isinstance(exc, DeskplanError) else type(exc).__name__)
        try:
            write_sync_metrics(path, summaries, seconds=dict.fromkeys(sources, time.monotonic() - started),
                               finished_at=clock.now(environ))
        except OSError as error:
            log.error("the metrics file %s could not be written: %s", path, error.strerror or error)
        raise
    try:
        write_sync_metrics(path, result.summaries, seconds=result.seconds, finished_at=clock.now(environ))
    except OSError as error:
        for summary in result.summaries:
            summary.fail(ExitStatus.PARTIAL, f"the metrics file {path} could not be written: {error.strerror or error}")
    return result


def write_sync_metrics(path: Path, summaries: Sequence[SourceSummary], *, seconds: Mapping[str, float],
                       finished_at: datetime) -> None:
    """Write the run's metrics to `path` atomically. Raises OSError when the file cannot be written."""
    registry = CollectorRegistry(auto_describe=True)
    labels = ("source",)

    def gauge(name: str, doc: str) -> Gauge:
        return Gauge(f"{PREFIX}{name}", doc, labels, registry=registry)

    ended = gauge("last_run_timestamp_seconds", "When the last sync run of the source ended (Unix time).")
    code = gauge("exit_code", "Exit code of the source in the last run: 0 ok, 1 some tickets or writes failed, "
                              "2 invalid configuration, 3 another sync held the lock, 4 unreachable or refused.")
    duration = gauge("duration_seconds", "Seconds the last run spent on the source.")
    success = gauge("last_success_timestamp_seconds", "When a sync run of the source last ended with exit code 0 "
                                                      "(Unix time).")
    counts = [(gauge(name, doc), figure) for name, doc, figure in COUNTS]
    previous = last_successes(path)
    at = finished_at.timestamp()
    for summary in summaries:
        source = summary.source
        ended.labels(source).set(at)
        code.labels(source).set(summary.exit_code)
        duration.labels(source).set(round(seconds.get(source, 0.0), 3))
        for metric, figure in counts:
            metric.labels(source).set(getattr(summary, figure))
        if summary.exit_code == ExitStatus.OK:
            success.labels(source).set(at)
        elif source in previous:
            success.labels(source).set(previous[source])
    write_to_textfile(str(path), registry)


def failed_run(sources: Iterable[str], status: int, message: str) -> list[SourceSummary]:
    """Summaries for a run that stopped before any source was synced (a lock held, a plan that
    does not load): every source with the run's exit status and nothing done."""
    summaries = []
    for source in sources:
        summary = SourceSummary(source)
        summary.fail(ExitStatus(status), message)
        summaries.append(summary)
    return summaries


def last_successes(path: Path) -> dict[str, float]:
    """source -> the last success timestamp the file at `path` holds ({} when there is none, or
    it is not a metrics file deskplan can read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    try:
        return {sample.labels["source"]: sample.value
                for family in text_string_to_metric_families(text) if family.name == LAST_SUCCESS
                for sample in family.samples if "source" in sample.labels}
    except ValueError:
        log.warning("%s is not in the Prometheus text format: the last success times start again", path)
        return {}

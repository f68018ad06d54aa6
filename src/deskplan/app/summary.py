"""What a run did for one source: the `sync --json` summary line, and `plan push`'s.

One type for every command that writes: counts, the errors listed for cron mail, and the exit
code, which is the worst exit status of what went wrong (an exception brings its own).

A ticket quarantined for the first time (or again with new data) is listed and makes the run
exit 1; one held in quarantine since an earlier run, unchanged, is only counted
(`quarantined_known`), so that cron stays green once someone has seen it (README, "Bad tickets").

A run over several sources exits 4 only when none of them could be reached (`run_exit_code`):
one helpdesk down does not hide what the others wrote.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from deskplan.effects import REVIEW_ORIGIN, PlannedWrite, WriteKind
from deskplan.errors import DeskplanError, ExitStatus
from deskplan.state.records import Quarantined
from deskplan.state.store import Store, storable_text
from deskplan.writes.apply import Applier, Outcome, describe

log = logging.getLogger(__name__)


@dataclass
class SourceSummary:
    """One line of `sync --json` per source (README, "sync --json"); keys are only ever added."""

    source: str
    tickets_seen: int = 0
    tickets_changed: int = 0
    requests: int = 0
    writes_planned: int = 0
    writes_applied: int = 0
    tasks_created: int = 0                  # of writes_applied
    review_tasks_created: int = 0           # of tasks_created: reviews on the plan's cadence
    comments_written: int = 0               # of writes_applied
    writes_failed: int = 0                  # refused, or sent with the answer lost (listed in `errors`)
    writes_deferred: int = 0                # held back by the helpdesk's per-ticket update limit
    writes_unsettled: int = 0               # from an interrupted run: checked with the helpdesk before anything new
    writes_skipped_before_cutoff: int = 0   # tasks about what happened before the go-live cut-off
    writeback_since: str | None = None      # that cut-off (ISO instant), once write-back ran
    writeback_since_configured: bool = False  # set by `[writeback] since` (else: the first write-back sync)
    tickets_evaluated: int = 0
    quarantined: int = 0                    # newly quarantined by this run (listed in `errors`; exit 1)
    errors: list[str] = field(default_factory=list)
    # Not failures (the exit code stays): tasks written without their owner's route (plan.yaml
    # `owners`: a group, agent or component the helpdesk does not know), each once, and why.
    warnings: list[str] = field(default_factory=list)
    exit_code: int = ExitStatus.OK
    quarantined_known: int = 0              # held in quarantine since an earlier run, unchanged (not an error)
    tasks_read: int = 0                     # deskplan's own tasks whose state the helpdesk told this run (app/tasks.py)
    # (stage, ref) of what this run quarantined: the rest of the source's entries are known
    _quarantined_now: set[tuple[str, str]] = field(default_factory=set, repr=False)
    # the helpdesk answered this run and accepted the credentials (see `run_exit_code`)
    _reached: bool = field(default=False, repr=False)

    def mark_reached(self) -> None:
        self._reached = True

    @property
    def reached(self) -> bool:
        return self._reached

    def fail(self, cause: DeskplanError | ExitStatus, message: str) -> None:
        """List `message`; the exit code becomes at least the cause's own exit status."""
        status = cause if isinstance(cause, ExitStatus) else cause.exit_status
        # Messages may quote ticket data: a lone surrogate would stop the summary being printed.
        self.errors.append(storable_text(message))
        self.exit_code = max(self.exit_code, status)

    def quarantined_as(self, stage: str, bad: Quarantined, new: bool, *, what: str = "ticket ") -> None:
        """Count an entry the store quarantined: a new one is listed and fails the run (exit 1)."""
        if not new:
            return
        self.quarantined += 1
        self._quarantined_now.add((stage, bad.ref))
        self.fail(ExitStatus.PARTIAL, f"quarantined {what}{bad.ref} ({stage}): {bad.error}")

    def count_known(self, store: Store) -> None:
        """`quarantined_known`: the source's entries in quarantine that this run did not add."""
        self.quarantined_known = len(store.quarantine_keys(self.source) - self._quarantined_now)

    def writes_stopped(self, exc: DeskplanError) -> None:
        self.fail(exc, f"writes stopped, the rest follows on the next run: {exc}")

    def as_dict(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if not name.startswith("_")}

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)


def run_exit_code(summaries: list[SourceSummary]) -> int:
    """The exit code of a run over its sources: 4 only when no source could be reached (or every
    one refused the credentials); otherwise the worst outcome of the sources reached, so that a
    run that wrote to one helpdesk while another was down does not say "nothing was written".
    The source that was not reached keeps its own 4 in its summary (`--json`, metrics)."""
    if not any(s.reached for s in summaries):
        return max((s.exit_code for s in summaries), default=ExitStatus.OK)
    return max(s.exit_code for s in summaries if s.reached or s.exit_code < ExitStatus.UNREACHABLE)


def apply_write(applier: Applier, write: PlannedWrite, summary: SourceSummary) -> bool:
    """Apply one planned write and count it. True when it is settled (in the helpdesk now, or
    already). AuthError and RateLimited propagate: the caller stops writing to the source."""
    summary.writes_planned += 1
    result = applier.apply(write)
    unrouted: list[str] = getattr(applier.writer, "unrouted", [])    # the helpdesks' writers keep them
    while unrouted:
        note = unrouted.pop(0)
        log.warning("%s: %s", summary.source, note)
        summary.warnings.append(storable_text(note))
    if result.outcome is Outcome.APPLIED:
        summary.writes_applied += 1
        if write.kind is WriteKind.TASK:
            summary.tasks_created += 1
            if write.origin.startswith(REVIEW_ORIGIN):
                summary.review_tasks_created += 1
        else:
            summary.comments_written += 1
        return True
    if result.outcome is Outcome.SKIPPED:
        return True
    if result.outcome is Outcome.DEFERRED:
        summary.writes_deferred += 1
        log.info("%s: deferred, the ticket is at its update limit", describe(write))
        return False
    summary.writes_failed += 1
    summary.fail(ExitStatus.PARTIAL, f"{describe(write)} {result.outcome.value}: {result.error}")
    return False


def quarantine(store: Store, source: str, summary: SourceSummary | None, stage: str, bad: Quarantined,
               run_id: int | None, *, digest: str | None = None) -> None:
    """Quarantine a ticket of `source` in `stage`, and count it in the source's summary if it has one."""
    bad = Quarantined(storable_text(bad.ref), storable_text(bad.error), bad.payload)
    new = store.quarantine(source, stage, bad, run_id, digest=digest)
    if summary is not None:
        summary.quarantined_as(stage, bad, new)

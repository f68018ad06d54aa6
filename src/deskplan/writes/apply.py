"""Apply planned writes exactly once in effect: ledger first, helpdesk second, ledger third.

For each write: skip it if the ledger has it `done`; defer it if the ticket is at the
helpdesk's per-ticket update limit; record it `pending` (durably); send it once; record it
`done` with the remote id. When the answer is lost (a dropped connection, a cut-off body,
a 5xx that may have come after the write landed) the helpdesk is asked whether it has the
write (`find_effect`) before it is sent again. What stays uncertain stays `pending`, and
the next run reconciles it before planning anything. A write that could not even connect
(`NotConnected`: refused, DNS failure, connect timeout) provably sent nothing: it is not left
`pending` but recorded `failed`, planned again next run, and the source's writes stop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from deskplan.effects import PlannedWrite, WriteKind, Writer
from deskplan.errors import (
    AuthError,
    HelpdeskError,
    NotConnected,
    RateLimited,
    RequestRejected,
    ServerError,
    Unreachable,
    unexpected,
)
from deskplan.state.ledger import Ledger, WriteStatus

log = logging.getLogger(__name__)

MAX_SENDS = 3       # a write whose answer was lost, and that the helpdesk provably lacks, is sent again


class Outcome(StrEnum):
    APPLIED = "applied"         # the helpdesk has it now (sent, or found after a lost answer)
    SKIPPED = "skipped"         # the ledger already had it done
    DEFERRED = "deferred"       # the ticket is at the helpdesk's per-ticket update limit
    FAILED = "failed"           # the helpdesk refused it; planned again next run
    IN_DOUBT = "in_doubt"       # sent, answer lost, lookup impossible: reconciled next run


@dataclass
class ApplyResult:
    outcome: Outcome
    remote_id: str | None = None
    error: str | None = None


@dataclass
class ReconcileReport:
    found: int = 0              # pending rows the helpdesk has: now done
    absent: int = 0             # pending rows the helpdesk lacks: forgotten, planned afresh
    errors: list[str] = field(default_factory=list)   # rows that could not be checked (stay pending)


class _InDoubt(Exception):
    pass


class Applier:
    """Applies writes for one source through its Writer, recording each in the ledger."""

    def __init__(self, ledger: Ledger, writer: Writer, *, run_id: int | None = None, max_sends: int = MAX_SENDS):
        self.ledger = ledger
        self.writer = writer
        self.run_id = run_id
        self.max_sends = max_sends

    def reconcile(self, source: str, *, complete: bool = True) -> ReconcileReport:
        """Settle every `pending` row with the helpdesk before anything new is sent.

        `complete=False` (the dry-run) only looks: it finishes nothing in the helpdesk.
        """
        report = ReconcileReport()
        for entry in self.ledger.pending(source):
            write = entry.write
            previous = self.ledger.remote_id(write.previous) if write.previous else None
            try:
                remote = self.writer.find_effect(write, previous)
                if remote is not None and complete:
                    self.writer.complete(write, remote)
            except (AuthError, NotConnected):
                raise       # no other row can be checked either; every row stays pending
            except HelpdeskError as exc:
                report.errors.append(f"{describe(write)}: could not check whether it was applied: {exc}")
                self.ledger.note_error(write, str(exc))
                continue
            except Exception as exc:        # one row's lookup failing stops no other's: it stays pending
                log.debug("%s: the lookup failed", describe(write), exc_info=True)
                report.errors.append(f"{describe(write)}: could not check whether it was applied: {unexpected(exc)}")
                continue
            if remote is None:
                self.ledger.forget(write)
                report.absent += 1
            else:
                self.ledger.done(write, remote)
                report.found += 1
        return report

    def apply(self, write: PlannedWrite) -> ApplyResult:
        """Apply one write. AuthError, RateLimited (past the retry budget) and NotConnected
        propagate: the caller stops writing to this source, and the remaining writes are
        planned next run."""
        status = self.ledger.status(write.key)
        if status is WriteStatus.DONE:
            return ApplyResult(Outcome.SKIPPED, self.ledger.remote_id(write.key))
        if status is WriteStatus.PENDING:
            return ApplyResult(Outcome.IN_DOUBT, error="an earlier attempt is not reconciled yet")
        if self._at_update_limit(write):
            return ApplyResult(Outcome.DEFERRED)
        previous = self.ledger.remote_id(write.previous) if write.previous else None
        self.ledger.begin(write, self.run_id)
        try:
            remote = self._send(write, previous)
        except _InDoubt as exc:
            self.ledger.note_error(write, str(exc))
            return ApplyResult(Outcome.IN_DOUBT, error=str(exc))
        except (RateLimited, NotConnected) as exc:
            # Both helpdesks refuse a rate-limited request before handling it, and a request
            # that could not connect was never sent: not applied.
            self.ledger.failed(write, str(exc))
            raise
        except RequestRejected as exc:
            self.ledger.failed(write, str(exc))
            return ApplyResult(Outcome.FAILED, error=str(exc))
        self.ledger.done(write, remote)
        return ApplyResult(Outcome.APPLIED, remote)

    def _send(self, write: PlannedWrite, previous: str | None) -> str:
        failure: HelpdeskError | None = None
        for _ in range(self.max_sends):
            before = self.writer.requests
            try:
                return self.writer.apply(write, previous)
            except NotConnected as exc:
                # `requests` counts every attempt: when the attempts that could not connect are
                # all this send made, nothing of the write left this host. Else an earlier
                # request of it (a Jira task created before its links) may have landed.
                if self.writer.requests - before == exc.attempts:
                    raise
                failure = exc
            except (ServerError, Unreachable) as exc:
                failure = exc
            # The answer is lost; the write may have landed. Ask before sending it again.
            if not self.writer.lookup_is_immediate(write):
                raise _InDoubt(f"answer lost ({failure}); to be reconciled on the next run")
            try:
                found = self.writer.find_effect(write, previous)
                if found is not None:
                    self.writer.complete(write, found)
                    return found
            except AuthError:
                raise
            except HelpdeskError as exc:
                raise _InDoubt(f"answer lost ({failure}) and the lookup failed ({exc})") from None
            log.info("%s: answer lost and the helpdesk lacks it; sending again", describe(write))
        raise _InDoubt(f"answer lost {self.max_sends} times (last: {failure})")

    def _at_update_limit(self, write: PlannedWrite) -> bool:
        limit = self.writer.ticket_update_limit
        if limit is None or write.kind is not WriteKind.COMMENT or write.ticket_id is None:
            return False
        updates, window = limit
        return self.ledger.comments_since(write.source, write.ticket_id, timedelta(seconds=window)) >= updates


def describe(write: PlannedWrite) -> str:
    """`comment on zd:1234 (key 0123456789abcdef)`: enough to find it, nothing secret."""
    where = f" on {write.ticket_ref}" if write.ticket_key else f" in {write.source}"
    return f"{write.kind.value} {write.origin}{where} (key {write.key[:16]})"

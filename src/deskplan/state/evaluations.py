"""Evaluation bookkeeping: which tickets need evaluating again, when goals were last checked,
and each source's go-live cut-off. Owns the tables `evaluated`, `evaluation_passes`,
`goal_checks` and `writeback_since` (docs/design.md, "State").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from deskplan.model import Ticket
from deskplan.state.facts import micros
from deskplan.state.store import Store

EVALUATE_BATCH = 500


class Evaluations:
    def __init__(self, store: Store):
        self.conn = store.db.conn
        self.unpack = store.ticket_data

    def candidates(self, source: str, basis: str, batch: int = EVALUATE_BATCH,
                   now: datetime | None = None) -> Iterator[tuple[Ticket, str]]:
        """`candidate_rows`, each ticket read back."""
        for _, data, ticket_basis in self.candidate_rows(source, basis, batch, now):
            yield Ticket.model_validate_json(data), ticket_basis

    def candidate_rows(self, source: str, basis: str, batch: int = EVALUATE_BATCH,
                       now: datetime | None = None) -> Iterator[tuple[str, str, str]]:
        """Tickets to evaluate, as stored: (ticket id, the ticket's JSON, the basis to record once
        its writes are settled). A ticket is evaluated again when it changed (its stored data or the
        workspace: another basis), when its writes were not all settled, and once `now` has passed
        the instant time alone can change what it needs (`mark_evaluated`'s `due`): not on every
        run, so an idle run reads almost nothing. Without `now`, every ticket with such an instant.

        Only the tickets marked due are read, unless the source was not yet evaluated whole on
        this basis (the workspace changed): then every stored ticket is compared with its basis
        once. Rules that test time alone (`older_than`) make every ticket due on every run (the
        planner's `due`)."""
        due = micros(now) if now is not None else 2**62
        if self._whole_pass(source) == basis:
            yield from self._due(source, basis, due, batch)
            return
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT t.id, t.data, t.hash || ':' || ? FROM tickets t "
                "LEFT JOIN evaluated e ON e.source = t.source AND e.ticket_id = t.id "
                "WHERE t.source = ? AND t.deleted = 0 AND t.id > ? AND (e.basis IS NULL "
                "OR e.basis != t.hash || ':' || ? OR e.due < ?) ORDER BY t.id LIMIT ?",
                [basis, source, last, basis, due, batch],
            ).fetchall()
            if not rows:
                break
            yield from ((ticket_id, self.unpack(data), ticket_basis) for ticket_id, data, ticket_basis in rows)
            last = rows[-1][0]

    def record_whole_pass(self, source: str, basis: str) -> None:
        """Every candidate of a whole pass on `basis` was evaluated and marked (evaluated or due):
        from now on the due ones are enough (a ticket written is due by the trigger on `tickets`)."""
        self.conn.execute("INSERT INTO evaluation_passes (source, basis) VALUES (?, ?) ON CONFLICT (source) "
                          "DO UPDATE SET basis = excluded.basis", [source, basis])

    def _whole_pass(self, source: str) -> str | None:
        row = self.conn.execute("SELECT basis FROM evaluation_passes WHERE source = ?", [source]).fetchone()
        return row[0] if row else None

    def _due(self, source: str, basis: str, due: int, batch: int) -> Iterator[tuple[str, str, str]]:
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT t.id, t.data, t.hash || ':' || ? FROM evaluated e "
                "JOIN tickets t ON t.source = e.source AND t.id = e.ticket_id "
                "WHERE e.source = ? AND e.due IS NOT NULL AND e.due < ? AND t.deleted = 0 AND e.ticket_id > ? "
                "ORDER BY e.ticket_id LIMIT ?",
                [basis, source, due, last, batch],
            ).fetchall()
            if not rows:
                return
            yield from ((ticket_id, self.unpack(data), ticket_basis) for ticket_id, data, ticket_basis in rows)
            last = rows[-1][0]

    def mark_evaluated(self, source: str, ticket_id: str, basis: str, due: datetime | None = None) -> None:
        """The ticket was evaluated on `basis` with every write settled: not again until it changes,
        or until `due` has passed (None: time alone changes nothing for it any more)."""
        self.conn.execute(
            "INSERT INTO evaluated (source, ticket_id, basis, due) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source, ticket_id) DO UPDATE SET basis = excluded.basis, due = excluded.due",
            [source, ticket_id, basis, None if due is None else micros(due)],
        )

    def mark_due(self, source: str, ticket_id: str) -> None:
        """Evaluate the ticket again on the next run (its writes are not all settled)."""
        self.conn.execute(
            "INSERT INTO evaluated (source, ticket_id, basis, due) VALUES (?, ?, '', 0) "
            "ON CONFLICT (source, ticket_id) DO UPDATE SET due = 0", [source, ticket_id])

    def goal_check(self, sources_key: str) -> tuple[str, datetime] | None:
        """The basis and time of the last settled goal check over these sources."""
        row = self.conn.execute("SELECT basis, checked_at FROM goal_checks WHERE sources = ?",
                                [sources_key]).fetchone()
        return (row[0], datetime.fromisoformat(row[1])) if row else None

    def record_goal_check(self, sources_key: str, basis: str, checked_at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO goal_checks (sources, basis, checked_at) VALUES (?, ?, ?) ON CONFLICT (sources) "
            "DO UPDATE SET basis = excluded.basis, checked_at = excluded.checked_at",
            [sources_key, basis, checked_at.isoformat()],
        )

    def first_writeback(self, source: str) -> datetime | None:
        """The moment of the first sync that wrote back to `source`, if one did."""
        row = self.conn.execute("SELECT since FROM writeback_since WHERE source = ?", [source]).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def record_first_writeback(self, source: str, now: datetime) -> None:
        """This sync writes back to `source`: the first one to do so sets the go-live cut-off."""
        self.conn.execute("INSERT OR IGNORE INTO writeback_since (source, since) VALUES (?, ?)",
                          [source, now.astimezone(timezone.utc).isoformat()])

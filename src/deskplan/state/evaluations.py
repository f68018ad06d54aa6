"""Evaluation bookkeeping: which tickets need evaluating again, when goals were last checked,
and each source's go-live cut-off. Owns the tables `evaluated`, `goal_checks` and
`writeback_since` (docs/design.md, "State").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from deskplan.model import Ticket
from deskplan.state.store import Store

EVALUATE_BATCH = 500


class Evaluations:
    def __init__(self, store: Store):
        self.conn = store.db.conn

    def candidates(self, source: str, basis: str, batch: int = EVALUATE_BATCH) -> Iterator[tuple[Ticket, str]]:
        """Tickets to evaluate, with the basis to record once their writes are settled: every
        unresolved ticket, and resolved ones unless they were evaluated on this very basis (the
        same ticket data and workspace) with every write settled and every SLA clock final.

        Rules that test time alone (`older_than`) on resolved tickets are re-judged when the
        ticket or the workspace changes, not as time passes."""
        for _, data, ticket_basis in self.candidate_rows(source, basis, batch):
            yield Ticket.model_validate_json(data), ticket_basis

    def candidate_rows(self, source: str, basis: str, batch: int = EVALUATE_BATCH) -> Iterator[tuple[str, str, str]]:
        """`candidates` as stored: (ticket id, the ticket's JSON, basis), for a caller that reads
        each ticket behind its own guard (one that no longer reads back stops no other)."""
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT t.id, t.data, t.hash || ':' || ? FROM tickets t "
                "LEFT JOIN evaluated e ON e.source = t.source AND e.ticket_id = t.id "
                "WHERE t.source = ? AND t.deleted = 0 AND t.id > ? AND (t.status NOT IN ('solved', 'closed') "
                "OR e.basis IS NULL OR e.basis != t.hash || ':' || ?) ORDER BY t.id LIMIT ?",
                [basis, source, last, basis, batch],
            ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def mark_evaluated(self, source: str, ticket_id: str, basis: str) -> None:
        self.conn.execute(
            "INSERT INTO evaluated (source, ticket_id, basis) VALUES (?, ?, ?) "
            "ON CONFLICT (source, ticket_id) DO UPDATE SET basis = excluded.basis",
            [source, ticket_id, basis],
        )

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

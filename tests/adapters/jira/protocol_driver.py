"""A tiny in-memory driver over the adapter protocol (adapters/base.py), for tests and benches.

It does what `deskplan sync` does with the store, and nothing more: keep the latest record
per (kind, id), keep each stream's cursor, then build every touched ticket from its record
and the related records. It is not a second store; it exists so adapter tests can run the
protocol end to end without SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deskplan.adapters.base import Adapter
from deskplan.errors import BadPayload
from deskplan.model import Ticket
from deskplan.state.records import Record, Related


@dataclass
class MemoryState:
    records: dict[tuple[str, str], Record] = field(default_factory=dict)
    by_ticket: dict[str, dict[tuple[str, str], Record]] = field(default_factory=dict)
    cursors: dict[str, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)


@dataclass
class SyncRun:
    pulled: list[Record] = field(default_factory=list)        # every record of every page, in order
    pages: int = 0
    quarantined: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)            # ticket ids built in this run
    bad: list[str] = field(default_factory=list)


def sync(adapter: Adapter, state: MemoryState, *, full: bool = False) -> SyncRun:
    run = SyncRun()
    touched: dict[str, None] = {}
    for stream in adapter.streams:
        for page in adapter.pull(stream, None if full else state.cursors.get(stream)):
            run.pages += 1
            for record in page.records:
                state.records[(record.kind, record.id)] = record
                run.pulled.append(record)
                ticket_id = record.id if record.kind == "ticket" else record.ticket_id
                if ticket_id is not None:
                    state.by_ticket.setdefault(ticket_id, {})[(record.kind, record.id)] = record
                    touched[ticket_id] = None
            run.quarantined += [q.ref for q in page.quarantined]
            # Its own stream's: a stream may end with a page of an earlier one that settles its cursor
            state.cursors[page.stream] = page.cursor
    for ticket_id in touched:
        record = state.records.get(("ticket", ticket_id))
        if record is None:
            continue
        try:
            state.tickets[ticket_id] = adapter.build(record, _related(state, ticket_id))
        except BadPayload as exc:
            run.bad.append(f"{ticket_id}: {exc}")
            continue
        run.built.append(ticket_id)
    return run


def _related(state: MemoryState, ticket_id: str) -> Related:
    mine = [r for r in state.by_ticket.get(ticket_id, {}).values() if r.kind != "ticket"]
    return Related(
        events=[r for r in mine if r.kind == "event"],
        ratings=[r for r in mine if r.kind == "rating"],
        user=lambda uid: (state.records.get(("user", uid)) or _NO_USER).data or None,
    )


_NO_USER = Record("user", "", None, {})

"""One measured operation on a scale state, in a fresh process: `python bench/scaleproc.py DIR OP`.

OP is one of
- `setup-sync`: the first write-back sync over the state scale.py built (every ticket evaluated);
- `sync-idle`: a sync whose pull brings nothing new (a cron run between changes);
- `sync-changed`: a sync whose pull brings 1% of the tickets again, changed (`--every 100`);
- `goals`: the goal check of write-back (the report over every ticket, the missed windows planned).

The syncs run `run_sync` exactly as `deskplan sync` does, with an adapter whose pull replays
pages made here instead of HTTP, its build the Zendesk adapter's own, and a writer that
answers every write at once: what is measured is deskplan's local work alone. Prints one JSON
object (wall and CPU seconds of the operation, import time left out); the parent reads the
peak RSS of this process from `wait4`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deskplan.adapters.zendesk.adapter import SATISFACTION_RATINGS, TICKET_EVENTS, TICKETS, USERS, ZendeskAdapter
from deskplan.config import load_config
from deskplan.effects import PlannedWrite
from deskplan.model import Ticket
from deskplan.state.records import Page, Record, Related

SOURCE = "zd"
SITE = "https://scale.zendesk.invalid"
OWN_USER = "9999999"          # deskplan's own user id in the scale state: it wrote nothing there


class InstantWriter:
    """A helpdesk that takes every write at once."""

    source = SOURCE
    ticket_update_limit = None

    def __init__(self) -> None:
        self.requests = 0
        self._ids = itertools.count(1)

    def apply(self, write: PlannedWrite, previous_remote_id: str | None) -> str:
        self.requests += 1
        return str(next(self._ids))

    def find_effect(self, write: PlannedWrite, previous_remote_id: str | None) -> str | None:
        return None

    def complete(self, write: PlannedWrite, remote_id: str) -> None:
        return None

    def lookup_is_immediate(self, write: PlannedWrite) -> bool:
        return True


class ReplayAdapter:
    """Zendesk's build, with pages handed in instead of pulled."""

    streams = (USERS, TICKETS, TICKET_EVENTS, SATISFACTION_RATINGS)

    def __init__(self, pages: dict[str, list[Page]], status_map: dict[str, Any]):
        self._pages = pages
        self._zendesk = ZendeskAdapter(None, source=SOURCE, site=SITE, status_map=status_map)  # type: ignore[arg-type]
        self.source = SOURCE
        self.requests = 0

    @property
    def own_user(self) -> str | None:
        return self._zendesk.own_user

    @own_user.setter
    def own_user(self, user_id: str | None) -> None:
        self._zendesk.own_user = user_id

    def check(self) -> None:
        self.own_user = OWN_USER

    def writer(self) -> InstantWriter:
        return InstantWriter()

    def pull(self, stream: str, cursor: dict[str, Any] | None) -> Iterator[Page]:
        yield from self._pages.get(stream, [])

    def build(self, ticket: Record, related: Related) -> Ticket:
        return self._zendesk.build(ticket, related)


def changed_pages(state: Path, every: int, stamp: str) -> dict[str, list[Page]]:
    """Every `every`-th ticket of the state again, its `updated_at` moved to `stamp`: the pull of
    a sync after agents touched 1% of the tickets."""
    from deskplan.state.store import Store

    store = Store.open(state)
    try:
        records = []
        for ticket_id, data in store.db.conn.execute(
                "SELECT id, data FROM records WHERE source = ? AND kind = 'ticket' AND CAST(id AS INTEGER) % ? = 0",
                [SOURCE, every]):
            doc = json.loads(store.packer.unpack(data))
            doc["updated_at"] = stamp
            records.append(Record("ticket", ticket_id, ticket_id, doc))
    finally:
        store.close()
    pages = [Page(stream=TICKETS, records=records[i:i + 1000], cursor={"after_cursor": f"changed-{i}"}, done=False)
             for i in range(0, len(records), 1000)]
    return {TICKETS: pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("op", choices=["setup-sync", "sync-idle", "sync-changed", "goals"])
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()

    from deskplan import clock
    from deskplan.app.sync import run_sync

    config = load_config(args.workspace / "deskplan.toml")
    status_map = dict(config.sources[0].status_map)
    environ = {"SCALE_TOKEN": "unused", "DESKPLAN_NOW": clock.now().isoformat()}
    wall, cpu = time.perf_counter(), time.process_time()
    figures: dict[str, Any] = {}
    if args.op == "goals":
        from deskplan.rules.load import load_workspace
        from deskplan.state.identity import Identity, key_file
        from deskplan.state.store import Store
        from deskplan.writes.plan import WritebackPlanner

        store = Store.open(config.state_path)
        try:
            workspace = load_workspace(config.workspace)
            secret = Identity(store).secret(key_file(config.state_path))
            with store.rolled_back():
                plan = WritebackPlanner(store, workspace, clock.now(), config.writeback, secret=secret).goals([SOURCE])
            figures["goal_tasks"] = 0 if plan is None else len(plan.writes) + len(plan.held_back)
        finally:
            store.close()
    else:
        pages: dict[str, list[Page]] = {}
        if args.op == "sync-changed":
            pages = changed_pages(config.state_path, args.every, clock.now().isoformat().replace("+00:00", "Z"))
            wall, cpu = time.perf_counter(), time.process_time()    # reading the pages is the helpdesk's part
        result = run_sync(config, environ=environ,
                          adapter_factory=lambda source, token: ReplayAdapter(pages, status_map))  # type: ignore[arg-type,return-value]
        (summary,) = result.summaries
        figures["summary"] = {k: v for k, v in summary.as_dict().items()
                              if k in ("tickets_seen", "tickets_changed", "tickets_evaluated", "writes_applied",
                                       "exit_code", "errors")}
    figures.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

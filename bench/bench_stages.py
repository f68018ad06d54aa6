"""Where a sync's CPU goes, stage by stage: `python bench/bench_stages.py [--kind zendesk|jira] [--tickets 3000]`.

A full sync is pull (HTTP, JSON, records) -> store pages -> read each ticket's records back ->
build (mapping, then pydantic validation) -> store canonical tickets. This script runs each
stage alone, in this process, over the same data served by a simulator in its own process,
and prints its CPU time per ticket (the best of `--repeat` runs: the machine is shared and
CPU timings jitter). Beside the stages it prints what the libraries alone cost per ticket on
this machine, for this data, with no deskplan code around them:

- decoding the JSON bodies with orjson;
- inserting one row per stored record into SQLite (an empty table of the same shape);
- validating the built tickets with pydantic (`Ticket.model_validate`);

a floor for any design that pulls through these APIs, keeps raw records in SQLite and validates
with pydantic in CPython. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from measure import TOKEN_ENV, emit, load_average, speed_reference, write_workspace
from simproc import TOKEN, Simulator


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """The least CPU time of `repeat` runs, and the last run's result. The cyclic collector is
    held during each run, as the sync holds it during each page and build batch (gcpause.py):
    otherwise it would walk everything the stage keeps for the next one, again and again."""
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()
            result = run()
            best = min(best, time.process_time() - started)
        finally:
            gc.enable()
    return best, result


class BodyTimer:
    """CPU time spent inside a wrapped function, summed (here: decoding response bodies)."""

    def __init__(self, module: Any, name: str):
        self.seconds = 0.0
        self.bodies: list[bytes] = []
        original = getattr(module, name)

        def timed(response, *args, **kwargs):
            self.bodies.append(response.content)
            started = time.process_time()
            try:
                return original(response, *args, **kwargs)
            finally:
                self.seconds += time.process_time() - started

        setattr(module, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("zendesk", "jira", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"# {load_average()}; sum(range(1000)) takes {speed_reference():.1f} µs here", flush=True)
    for kind in ("zendesk", "jira") if args.kind == "both" else (args.kind,):
        with tempfile.TemporaryDirectory(prefix="deskplan-bench-") as tmp, Simulator(kind, args.tickets) as sim:
            stages(kind, sim, Path(tmp), args.repeat)


def stages(kind: str, sim: Simulator, folder: Path, repeat: int) -> None:
    from deskplan.adapters import open_adapter
    from deskplan.config import load_config
    from deskplan.model import Satisfaction, Ticket, TimelineEvent, ticket_json
    from deskplan.state.store import Store
    from deskplan.transport import http

    config = load_config(write_workspace(folder, sim)).sources[0]
    os.environ[TOKEN_ENV] = TOKEN
    bodies = BodyTimer(http, "_body")

    def pull() -> list:
        adapter = open_adapter(config, TOKEN)
        return [page for stream in adapter.streams for page in adapter.pull(stream, None)]

    # Pulling once first: the simulator renders and caches, and the JSON timer starts clean.
    pull()
    bodies.seconds, bodies.bodies = 0.0, []
    pull_cpu, pages = best_of(1, pull)
    decode_cpu = bodies.seconds
    body_bytes = sum(len(b) for b in bodies.bodies)
    records = [r for page in pages for r in page.records]

    def store_pages() -> Store:
        store = Store.open(folder / f"state-{time.monotonic_ns()}.db")
        for page in pages:
            store.save_page(config.name, page)
        return store

    save_cpu, store = best_of(repeat, store_pages)
    ticket_ids = list(store.touched(config.name, batch=10_000))
    tickets = len(ticket_ids)
    adapter = open_adapter(config, TOKEN)

    def read_back() -> list:
        lookup = store.record_lookup(config.name)
        return [item for start in range(0, tickets, 500)
                for item in store.build_inputs(config.name, ticket_ids[start:start + 500], lookup)]

    read_cpu, inputs = best_of(repeat, read_back)

    models = (Ticket, TimelineEvent, Satisfaction)
    validators = {model: model.__pydantic_validator__ for model in models}
    validating = [0.0]

    class TimedValidator:
        """Stands in for a model's pydantic validator: every way of making the model
        (`model_validate`, the constructor) goes through it, whichever an adapter uses."""

        def __init__(self, inner):
            self.inner = inner

        def validate_python(self, *args, **kwargs):
            started = time.process_time()
            try:
                return self.inner.validate_python(*args, **kwargs)
            finally:
                validating[0] += time.process_time() - started

        def __getattr__(self, name):
            return getattr(self.inner, name)

    def build() -> list:
        # As the sync builds: each ticket, then its stored JSON (written by the validation's check).
        validating[0] = 0.0
        return [(ticket, ticket_json(ticket)) for _, record, related in inputs if record is not None
                for ticket in (adapter.build(record, related),)]

    for model in models:
        model.__pydantic_validator__ = TimedValidator(validators[model])
    try:
        build_cpu, built = best_of(repeat, build)
    finally:
        for model in models:
            model.__pydantic_validator__ = validators[model]
    validate_cpu = validating[0]
    dumped = [ticket.model_dump() for ticket, _ in built]

    def save_tickets() -> int:
        with store.transaction():
            store.db.conn.execute("DELETE FROM tickets")
            return sum(store.save_tickets(built[start:start + 500]) for start in range(0, len(built), 500))

    save_tickets_cpu, _ = best_of(repeat, save_tickets)

    # What the libraries alone cost for the same data.
    orjson_cpu, _ = best_of(repeat, lambda: [len(orjson.loads(b)) for b in bodies.bodies])
    # Each record once (pages repeat side-loaded groups and organizations).
    rows = list({(r.kind, r.id): (config.name, r.kind, r.id, r.ticket_id,
                                  orjson.dumps(r.data, option=orjson.OPT_SORT_KEYS).decode())
                 for r in records}.values())

    def sqlite_rows() -> None:
        conn = sqlite3.connect(folder / f"plain-{time.monotonic_ns()}.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE records (source TEXT, kind TEXT, id TEXT, ticket_id TEXT, data TEXT, "
                     "hash TEXT, PRIMARY KEY (source, kind, id))")
        conn.execute("CREATE INDEX records_by_ticket ON records (source, ticket_id, kind)")
        for start in range(0, len(rows), 1000):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO records (source, kind, id, ticket_id, data) VALUES (?, ?, ?, ?, ?)",
                             rows[start:start + 1000])
            conn.execute("COMMIT")
        conn.close()

    sqlite_cpu, _ = best_of(repeat, sqlite_rows)
    pydantic_cpu, _ = best_of(repeat, lambda: [Ticket.model_validate(d) for d in dumped])

    per = 1e6 / tickets
    print(f"\n{kind}: {tickets:,} tickets, {len(rows):,} records stored ({len(rows) / tickets:.1f} per ticket), "
          f"{len(bodies.bodies)} responses, {body_bytes / tickets / 1024:.1f} KB of JSON per ticket")
    lines = [
        ("pull: HTTP, JSON, records", pull_cpu, f"of which JSON decoding {decode_cpu * per:,.0f}"),
        ("store pages (save_page)", save_cpu, ""),
        ("read records back (build_inputs)", read_cpu, ""),
        ("build (adapter.build)", build_cpu, f"of which pydantic validation {validate_cpu * per:,.0f}"),
        ("store tickets (save_tickets)", save_tickets_cpu, ""),
    ]
    total = sum(seconds for _, seconds, _ in lines)
    for label, seconds, note in lines:
        print(f"  {label:<36} {seconds * per:8,.0f} µs/ticket  {note}")
    print(f"  {'all stages':<36} {total * per:8,.0f} µs/ticket  = {tickets / total:,.0f} tickets per CPU second")
    floor = orjson_cpu + sqlite_cpu + pydantic_cpu
    print("  the libraries alone, for the same data:")
    print(f"  {'  orjson.loads of the bodies':<36} {orjson_cpu * per:8,.0f} µs/ticket")
    print(f"  {'  SQLite: insert the records':<36} {sqlite_cpu * per:8,.0f} µs/ticket  "
          f"({sqlite_cpu / len(rows) * 1e6:.1f} µs per row)")
    print(f"  {'  pydantic: validate the tickets':<36} {pydantic_cpu * per:8,.0f} µs/ticket")
    print(f"  {'  together':<36} {floor * per:8,.0f} µs/ticket  = {tickets / floor:,.0f} tickets per CPU second "
          "at most, before any HTTP, mapping or reading back", flush=True)
    emit("stages", kind=kind, tickets=tickets, records=len(rows),
         pull_us=round(pull_cpu * per), decode_us=round(decode_cpu * per), save_pages_us=round(save_cpu * per),
         read_back_us=round(read_cpu * per), build_us=round(build_cpu * per), validate_us=round(validate_cpu * per),
         save_tickets_us=round(save_tickets_cpu * per), total_us=round(total * per),
         floor_orjson_us=round(orjson_cpu * per), floor_sqlite_us=round(sqlite_cpu * per),
         floor_pydantic_us=round(pydantic_cpu * per))


if __name__ == "__main__":
    main()

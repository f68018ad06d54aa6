"""A state of N tickets, built without HTTP, and what each command costs on it:
`python bench/scale.py --tickets 100000` (and 1000000).

The state: the seeded generator's story of `--base` tickets (Zendesk, rendered as the
simulator serves it) copied with ids of their own up to N tickets, stored as a sync stores
it (raw records page by page through `Store.save_page`, canonical tickets through
`Store.save_tickets`), 2% of them open. Then one write-back sync evaluates every ticket and
writes what the example plan asks for (bench/scaleproc.py, a replayed pull, a writer that
answers at once): the state a helpdesk of N tickets has after its first write-back run.

Timed, each in a fresh process (wall and CPU seconds, peak RSS from `wait4`): `report` in each
format, the goal check, `review --format json` (the latest closed period of the first cadence
entry), `explain` on one ticket, an idle `sync` (nothing new pulled), a `sync`
after 1% of the tickets changed. Then the state's size per ticket, per table (indexes counted
with their table) from SQLite's `dbstat`. bench/README.md explains each figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from measure import emit, load_average, speed_reference

BENCH = Path(__file__).resolve().parent
T0 = datetime(2026, 6, 20, 10, 0, tzinfo=timezone.utc)    # the generator's "now": tickets inside the example plan
OPEN_EVERY = 50                                            # one ticket in 50 open: 2%
CHANGED_EVERY = 100                                        # 1% changed before the last sync
PAGE = 1000


def write_workspace(folder: Path) -> Path:
    """The example workspace (plan.yaml, rules/) with one Zendesk source, `zd`."""
    example = resources.files("deskplan.workspace") / "example"
    folder.mkdir(parents=True, exist_ok=True)
    with resources.as_file(example) as path:
        shutil.copy(path / "plan.yaml", folder / "plan.yaml")
        shutil.copytree(path / "rules", folder / "rules", dirs_exist_ok=True)
    (folder / "deskplan.toml").write_text(
        '[[sources]]\nname = "zd"\nkind = "zendesk"\nurl = "https://scale.zendesk.invalid"\n'
        'email = "deskplan@example.com"\ntoken_env = "SCALE_TOKEN"\n\n'
        '[sources.status_map]\nnew = "new"\nopen = "open"\npending = "waiting_customer"\nhold = "on_hold"\n'
        'solved = "solved"\nclosed = "closed"\n\n[state]\npath = "state.db"\n', encoding="utf-8")
    return folder


# --- building the state ------------------------------------------------------------------------

def _templates(base: int, seed: int) -> tuple[list[dict], list[dict], list[Any], list[Any]]:
    """(users, named records, open templates, resolved templates) of one generated story; a
    template is (ticket doc, event items, rating items) as the export streams carry them."""
    from deskplan.adapters.zendesk.adapter import SIDELOADS
    from deskplan_sandbox.generate import generate_scenario
    from deskplan_sandbox.zendesk.store import ZendeskStore

    scenario = generate_scenario(base, seed, T0)
    store = ZendeskStore(lambda: T0)
    store.load_scenario(scenario)
    until = int(T0.timestamp()) + 1
    users = [doc for _, doc in store.users_exported((0, 0), 10**9, until)[0]]
    docs = [doc for _, doc in store.exported((0, 0), 10**9, until, exclude_deleted=True)[0]]
    named = [(SIDELOADS[kind], doc) for kind, items in store.sideloads(docs, set(SIDELOADS)).items() for doc in items]
    events: dict[int, list[dict]] = {}
    for item in store.ticket_events(0, 10**9, until)[0]:
        events.setdefault(item["ticket_id"], []).append(item)
    ratings: dict[int, list[dict]] = {}
    for _, doc in store.ratings_after((0, 0), 10**9, until, lambda doc: True)[0]:
        ratings.setdefault(doc["ticket_id"], []).append(doc)
    opened, resolved = [], []
    for doc in docs:
        template = (doc, events.get(doc["id"], []), ratings.get(doc["id"], []))
        (resolved if doc["status"] in ("solved", "closed") else opened).append(template)
    return users, named, opened, resolved


def build_state(folder: Path, tickets: int, base: int, seed: int) -> dict[str, float]:
    from deskplan.adapters.zendesk.adapter import _event, _named, _rating, _ticket, _user
    from deskplan.state.records import Page
    from deskplan.state.store import Store

    started = time.perf_counter()
    users, named, opened, resolved = _templates(min(base, tickets), seed)
    generated = time.perf_counter() - started
    store = Store.open(folder / "state.db")
    ids = iter(range(1, 10**12))            # event and rating ids, unique across the copies
    try:
        store.save_page("zd", Page("users", [_user(u) for u in users], {"after_cursor": "users"}, True))
        store.save_page("zd", Page("tickets", [_named(kind, doc) for kind, doc in named], {"x": 0}, False))
        for first in range(1, tickets + 1, PAGE):
            ticket_records, event_records, rating_records = [], [], []
            for number in range(first, min(first + PAGE, tickets + 1)):
                pool = opened if number % OPEN_EVERY == 0 and opened else resolved
                doc, items, rates = pool[number % len(pool)]
                ticket_records.append(_ticket({**doc, "id": number, "url": f"https://scale.zendesk.invalid/api/v2/tickets/{number}.json"}))
                for item in items:
                    record = _event({**item, "id": next(ids), "ticket_id": number})
                    if record is not None:
                        event_records.append(record)
                for rating in rates:
                    record = _rating({**rating, "id": next(ids), "ticket_id": number})
                    if record is not None:
                        rating_records.append(record)
            cursor = {"after_cursor": str(first)}
            store.save_page("zd", Page("tickets", ticket_records, cursor, False))
            store.save_page("zd", Page("ticket_events", event_records, cursor, False))
            store.save_page("zd", Page("satisfaction_ratings", rating_records, cursor, False))
    finally:
        store.close()
    stored = time.perf_counter() - started - generated
    return {"generate_s": generated, "store_records_s": stored}


# --- measuring ---------------------------------------------------------------------------------

# Linux keeps a process's peak RSS across fork and exec: a child of this (large) process would
# report at least this process's size. A small launcher starts the command instead and reports
# the command's own figures from wait4.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"exit": os.waitstatus_to_exitcode(status), "wall": time.perf_counter() - started,
               "rss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}, out)
"""


def measured(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `command`; its wall seconds, its peak RSS (MB, from wait4) and what it printed last as JSON."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r") as usage_file:
        subprocess.run([sys.executable, "-c", LAUNCHER, usage_file.name, *command], env=env, stdout=out,
                       stderr=err, text=True, check=False)
        usage = json.loads(usage_file.read())
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    if usage["exit"] not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed ({usage['exit']}):\n{errors[-3000:]}")
    figures: dict[str, Any] = {"process_wall": usage["wall"], "rss_mb": usage["rss_kb"] / 1024,
                               "process_cpu": usage["cpu"], "exit": usage["exit"]}
    last = text.strip().splitlines()[-1] if text.strip() else ""
    if last.startswith("{"):
        with contextlib.suppress(json.JSONDecodeError):
            figures.update(json.loads(last))
    return figures


def deskplan(*args: str) -> list[str]:
    return [sys.executable, "-m", "deskplan", *args]


def scaleproc(folder: Path, op: str) -> list[str]:
    return [sys.executable, str(BENCH / "scaleproc.py"), str(folder), op]


def table_sizes(state: Path) -> tuple[int, dict[str, int]]:
    """(file bytes, bytes per table with its indexes), after a checkpoint folds the WAL in."""
    conn = sqlite3.connect(state)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
        sizes: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            sizes[table] = sizes.get(table, 0) + size
    finally:
        conn.close()
    return state.stat().st_size, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=5_000, help="distinct generated tickets, copied up to --tickets")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, help="build here and keep it (default: a temporary folder)")
    parser.add_argument("--later", type=int, default=0, metavar="MINUTES",
                        help="measure this much later (a reused state: after the changes an earlier run made)")
    parser.add_argument("--setup-only", action="store_true", help="build the state in --dir and stop (measure later)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the state already in --dir (built by an earlier run)")
    args = parser.parse_args()

    print(f"{load_average()}; sum(range(1000)) {speed_reference():.1f} µs", flush=True)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="deskplan-scale-"))
    n = args.tickets
    env = {**os.environ, "SCALE_TOKEN": "unused"}
    at = {name: (T0 + delta + (timedelta(minutes=args.later) if name != "setup" else timedelta())).isoformat()
          for name, delta in
          (("setup", timedelta(minutes=5)), ("read", timedelta(minutes=10)), ("idle", timedelta(minutes=15)),
           ("changed", timedelta(minutes=20)), ("goals", timedelta(hours=2)))}
    try:
        if not args.reuse:
            write_workspace(folder)
            built = build_state(folder, n, args.base, args.seed)
            print(f"state of {n:,} tickets: generated in {built['generate_s']:.1f} s, "
                  f"records stored in {built['store_records_s']:.1f} s", flush=True)
            setup = measured(scaleproc(folder, "setup-sync"), {**env, "DESKPLAN_NOW": at["setup"]})
            print(f"first write-back sync (build + evaluate all): {setup['wall']:.1f} s, "
                  f"RSS {setup['rss_mb']:.0f} MB, {setup.get('summary')}", flush=True)
        if args.setup_only:
            return
        size, tables = table_sizes(folder / "state.db")
        rows: list[tuple[str, dict[str, Any]]] = []
        read_env = {**env, "DESKPLAN_NOW": at["read"]}
        for fmt in ("json", "text", "html"):
            rows.append((f"report --format {fmt}", measured(
                deskplan("report", "-w", str(folder), "--format", fmt, "--out", str(folder / f"report.{fmt}")),
                read_env)))
        rows.append(("goal check", measured(scaleproc(folder, "goals"), {**env, "DESKPLAN_NOW": at["goals"]})))
        rows.append(("review --format json", measured(
            deskplan("review", "-w", str(folder), "--format", "json", "--out", str(folder / "review.json")),
            read_env)))
        rows.append(("explain zd:<id>", measured(deskplan("explain", "-w", str(folder), f"zd:{n // 2 + 1}"),
                                                  read_env)))
        rows.append(("sync, idle", measured(scaleproc(folder, "sync-idle"), {**env, "DESKPLAN_NOW": at["idle"]})))
        rows.append(("sync, 1% changed", measured(scaleproc(folder, "sync-changed"),
                                                  {**env, "DESKPLAN_NOW": at["changed"]})))
        print(f"\n{n:,} tickets ({n // OPEN_EVERY:,} open); {load_average()}")
        print(f"{'operation':<22} {'wall s':>8} {'CPU s':>8} {'RSS MB':>8}  notes")
        for name, figures in rows:
            wall = figures.get("process_wall", 0.0)
            note = figures.get("summary") or ({"goal_tasks": figures["goal_tasks"]} if "goal_tasks" in figures else "")
            print(f"{name:<22} {wall:>8.2f} {figures['process_cpu']:>8.2f} {figures['rss_mb']:>8.0f}  {note or ''}")
            emit("scale", tickets=n, operation=name, wall=wall, cpu=figures["process_cpu"], rss_mb=figures["rss_mb"])
        print(f"\nstate {size / 1e6:,.1f} MB: {size / n:,.0f} bytes per ticket")
        for table, bytes_ in sorted(tables.items(), key=lambda item: -item[1]):
            print(f"  {table:<22} {bytes_ / n:>8,.0f} B/ticket  {bytes_ / 1e6:>9,.1f} MB")
        emit("scale", tickets=n, operation="state", bytes_per_ticket=size / n,
             tables={t: b / n for t, b in tables.items()})
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""A full Zendesk sync under the incremental-export limit
(`python bench/bench_rate_limit.py [--tickets N] [--window S]`).

Zendesk allows 10 incremental-export requests a minute (its rate-limit documentation; 30 with the High
Volume add-on). The simulator enforces 10 per `--window` seconds, a minute scaled down so the
run takes minutes, not an hour; all times below are in the same scaled seconds.

A full pull reads three incremental exports through that one limit: users, tickets and ticket
events (satisfaction ratings and the credentials probe are not incremental exports). The issue's
bound, N / (1,000 x 10) minutes, is one minute per 10 pages of 1,000 tickets; the sync needs the
users' and the ticket events' pages too (about six events per ticket), so the bound used here is
the same formula over every page the sync must read through the limit: P / 10 windows. A client
can beat it a little (the first 10 pages go at once, so the last of P pages can leave after
ceil(P / 10) - 1 windows: the floor), but only by the time its own work takes.

Printed: the sync's wall time, the floor, the issue's bound, the 429 answers the simulator gave,
and the overhead per window (what waiting in whole seconds, as Retry-After says, plus the
client's jitter adds), scaled back to a real one-minute window. Figures only; nothing asserted.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from measure import emit, load_average, measured_sync, write_workspace
from simproc import Simulator

LIMIT = 10
REAL_WINDOW = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--window", type=float, default=30.0, help="seconds the simulator counts as a minute")
    args = parser.parse_args()
    print(f"# {load_average()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="deskplan-bench-") as tmp, \
            Simulator("zendesk", args.tickets, rate_limit=LIMIT, rate_window=args.window) as sim:
        floor = sim.floor()
        limited = floor["limited_pages"]
        config = write_workspace(Path(tmp) / "rate", sim)
        before = sim.requests()["by_status"].get("429", 0)
        figures = measured_sync(config, sim, full=True)
        refused = sim.requests()["by_status"].get("429", 0) - before
    windows = math.ceil(limited / LIMIT) - 1
    floor_seconds = windows * args.window
    bound = limited / LIMIT * args.window
    issue_bound = args.tickets / (1000 * LIMIT) * args.window
    overhead = (figures["wall"] - floor_seconds) / max(windows, 1)
    pages = floor["pages"]
    print(f"tickets {args.tickets:,}; limited pages {limited} (users {pages['users']}, tickets {pages['tickets']}, "
          f"ticket events {pages['ticket_events']}); {LIMIT} per {args.window:g}s window")
    print(f"requests {figures['requests']} (minimum {floor['minimum']}), 429 answers {refused}, "
          f"errors {len(figures['errors'])}")
    print(f"wall {figures['wall']:.1f}s   bound {bound:.1f}s (P/10 windows)   ratio {figures['wall'] / bound:.3f}   "
          f"floor {floor_seconds:.1f}s   issue's formula on ticket pages alone {issue_bound:.1f}s")
    print(f"time beyond the floor: {overhead:.2f}s per window (Retry-After in whole seconds, jitter, the sync's own "
          f"work): {overhead / REAL_WINDOW:.1%} of a real {REAL_WINDOW:.0f}s window")
    emit("rate_limit", tickets=args.tickets, window=args.window, limited_pages=limited, requests=figures["requests"],
         minimum=floor["minimum"], refused=refused, wall=round(figures["wall"], 2), bound=bound, floor=floor_seconds,
         issue_bound=round(issue_bound, 2), overhead_per_window=round(overhead, 3))


if __name__ == "__main__":
    main()

"""Full and incremental syncs at scale: `python bench/bench_sync.py [--kind zendesk|jira] [--sizes 10000,50000,100000]`.

For each helpdesk and each size N, a simulator serves N generated tickets from its own
process, and each sync runs in a fresh process of its own (bench/syncproc.py), so that:

- requests are the sync's own count, checked against what the simulator served, and set
  against the fewest a client can make: one request per page of each export stream for the
  data there is (and the credentials probe), see simproc.py's floors;
- CPU is the sync process's alone (time.process_time; the simulator's serving is not in it),
  per 1,000 tickets and as tickets per second, split into pulling (HTTP, JSON, storing pages)
  and building canonical tickets; "waited" is the pull's wall time beyond its CPU time: the
  simulator computing its answers (and, on a busy machine, waiting for a core);
- peak RSS is that process's ru_maxrss, which must not grow with N.

Per size: a full sync into an empty state, an incremental sync with nothing changed, and
one after `--change` (default 1%) of the tickets got an internal comment. The sync pulls and
builds (no plan.yaml, so nothing is evaluated or written: write-back has its own benchmark).
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime
from pathlib import Path

from measure import emit, load_average, measured_sync, speed_reference, write_workspace
from simproc import Simulator

HEADER = (f"{'helpdesk':<8} {'N':>7} {'sync':<13} {'tickets':>7} {'requests':>8} {'minimum':>7} {'ratio':>5} "
          f"{'wall s':>7} {'waited':>6} {'CPU s':>6} {'CPU s/1k':>8} {'tickets/s':>9} {'pull CPU':>8} {'build CPU':>9} "
          f"{'RSS MB':>6}")


def row(kind: str, n: int, name: str, figures: dict, minimum: int) -> str:
    tickets = figures["tickets_seen"]
    cpu = figures["cpu"]
    per_k = f"{cpu / tickets * 1000:8.3f}" if tickets else f"{'-':>8}"
    rate = f"{tickets / cpu:9,.0f}" if tickets and cpu else f"{'-':>9}"
    return (f"{kind:<8} {n:>7,} {name:<13} {tickets:>7,} {figures['requests']:>8,} {minimum:>7,} "
            f"{figures['requests'] / minimum:5.2f} {figures['wall']:7.1f} {waited(figures):6.1f} {cpu:6.1f} "
            f"{per_k} {rate} "
            f"{figures.get('pull_cpu', 0):8.1f} {figures.get('build_cpu', 0):9.1f} {figures['rss_mb']:6.0f}")


def waited(figures: dict) -> float:
    """Wall time the pull spent not computing: waiting for the simulator (and for a core)."""
    return figures.get("pull_wall", 0.0) - figures.get("pull_cpu", 0.0)


def since(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def bench_size(kind: str, n: int, change: float, folder: Path, profile: Path | None) -> None:
    with Simulator(kind, n) as sim:
        print(f"# {kind} simulator: {n:,} tickets generated and indexed in {sim.load_seconds:.1f}s", flush=True)
        config = write_workspace(folder / f"{kind}-{n}", sim)
        floor = sim.floor()
        started = sim.now()
        full = measured_sync(config, sim, full=True, profile=profile)
        if full["served"] != full["requests"]:
            print(f"# note: the simulator served {full['served']} requests, the sync counted {full['requests']}")
        print(row(kind, n, "full", full, floor["minimum"]), flush=True)

        before = sim.now()
        unchanged_floor = sim.floor(since(started))
        unchanged = measured_sync(config, sim)
        print(row(kind, n, "incr. 0%", unchanged, unchanged_floor["minimum"]), flush=True)

        changed_count = sim.change(change, seed=n)
        sim.advance(120)             # past the minute Zendesk's exports hold back
        changed_floor = sim.floor(since(before))
        changed = measured_sync(config, sim)
        print(row(kind, n, f"incr. {change:.0%}", changed, changed_floor["minimum"]), flush=True)
        if changed["tickets_changed"] != changed_count:
            print(f"# note: {changed_count} tickets changed in the simulator, the sync rebuilt "
                  f"{changed['tickets_changed']} with new content")
        for name, figures, minimum in (("full", full, floor["minimum"]),
                                       ("incremental_0", unchanged, unchanged_floor["minimum"]),
                                       ("incremental_1", changed, changed_floor["minimum"])):
            emit("sync", kind=kind, n=n, sync=name, tickets=figures["tickets_seen"], requests=figures["requests"],
                 minimum=minimum, wall=round(figures["wall"], 2), cpu=round(figures["cpu"], 3),
                 pull_cpu=round(figures.get("pull_cpu", 0), 3), build_cpu=round(figures.get("build_cpu", 0), 3),
                 waited=round(waited(figures), 2), gc_cpu=round(figures.get("gc_cpu", 0), 3),
                 rss_mb=round(figures["rss_mb"], 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("zendesk", "jira", "both"), default="both")
    parser.add_argument("--sizes", default="10000,50000,100000", help="comma-separated ticket counts")
    parser.add_argument("--change", type=float, default=0.01, help="share of tickets changed before the last sync")
    parser.add_argument("--profile", type=Path, help="folder for pyinstrument profiles of the full syncs")
    args = parser.parse_args()
    kinds = ("zendesk", "jira") if args.kind == "both" else (args.kind,)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"# {load_average()}; sum(range(1000)) takes {speed_reference():.1f} µs here", flush=True)
    print(HEADER)
    with tempfile.TemporaryDirectory(prefix="deskplan-bench-") as tmp:
        for kind in kinds:
            for n in sizes:
                profile = args.profile / f"sync-{kind}-{n}.html" if args.profile else None
                bench_size(kind, n, args.change, Path(tmp), profile)
    print(f"# {load_average()}")


if __name__ == "__main__":
    main()

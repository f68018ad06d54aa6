"""One `deskplan sync` in a fresh process, measured from inside: `python bench/syncproc.py CONFIG [--full]`.

Prints one JSON object: the sync's summaries (requests, tickets seen and changed …), its wall
time, the CPU time of this process alone (the simulator runs elsewhere), the peak RSS of this
process, and the wall/CPU split between pulling (HTTP + storing pages) and building canonical
tickets. Import time is left out: it is paid once per run, whatever the ticket count.

The split is read by timing `connector.sync._pull` and `_build` from outside (wrapped here, not
changed): the sync itself runs exactly as `deskplan sync` runs it.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import resource
import sys
import time
from pathlib import Path


def _timed(module, name: str, totals: dict[str, float]) -> None:
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            totals[f"{name.strip('_')}_wall"] = totals.get(f"{name.strip('_')}_wall", 0.0) + time.perf_counter() - wall
            totals[f"{name.strip('_')}_cpu"] = totals.get(f"{name.strip('_')}_cpu", 0.0) + time.process_time() - cpu

    setattr(module, name, wrapper)


class GcClock:
    """CPU time spent in the cyclic garbage collector (it runs inside whatever allocates)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started
            self.collections += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument HTML profile of the sync here")
    args = parser.parse_args()

    from deskplan.app import sync
    from deskplan.config import load_config

    totals: dict[str, float] = {}
    _timed(sync, "_pull", totals)
    _timed(sync, "_build", totals)
    config = load_config(args.config)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    collector = GcClock()
    gc.callbacks.append(collector)
    wall, cpu = time.perf_counter(), time.process_time()
    result = sync.run_sync(config, full=args.full)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler is not None:
        profiler.stop()
        args.profile.write_text(profiler.output_html(), encoding="utf-8")
        print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "summaries": sync.summary_dicts(result),
        "exit_code": result.exit_code,
        "wall": wall,
        "cpu": cpu,
        "rss_mb": usage.ru_maxrss / 1024,
        "rss_after_imports_mb": rss_before / 1024,
        "gc_cpu": collector.seconds,
        "gc_collections": collector.collections,
        **totals,
    }))


if __name__ == "__main__":
    main()

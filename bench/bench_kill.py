"""kill -9 at random moments, many times: `python bench/bench_kill.py [--trials N] [--kind zendesk|jira]`.

Each trial serves a fresh simulator in this process, starts `deskplan sync` in a forked
child and SIGKILLs it (after a random delay; a hair after the n-th write landed; or while
the n-th write's answer is held back, i.e. between "applied" and "recorded done"), then
re-runs the sync until it exits 0 and compares the helpdesk's own data with an undisturbed
run's. Prints, per helpdesk and kill strategy: trials, runs killed while still working,
ledger rows left `pending` by the kill (writes whose fate the next run had to reconcile) and
how many of those the helpdesk already had, re-runs needed, and duplicated, missing or
unexpected comments and tasks (all must be 0).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.writeback.harness import (  # the test harness is the bench's rig
    HoldAnswer,
    Site,
    kill_after,
    make_workspace,
    pending_writes,
    scenario,
    start_child,
    sync,
    sync_until_clean,
)

STRATEGIES = ("random delay", "after n writes", "answer held")


def reference(kind: str, story) -> tuple[object, float]:
    """An undisturbed sync in a child: what it leaves in the helpdesk, and how long it took
    (after a sync in this process warmed what the forked children inherit)."""
    warm = Site(kind, story)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sync(make_workspace(Path(tmp), warm, compact=True))
    finally:
        warm.stop()
    site = Site(kind, story)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workspace = make_workspace(Path(tmp), site, compact=True)
            started = time.monotonic()
            child = start_child(workspace)
            child.join(120)
            assert child.exitcode == 0
            return site.effects(), time.monotonic() - started
    finally:
        site.stop()


def trial(kind: str, story, expected, duration: float, strategy: str, rng: random.Random) -> dict:
    writes = len(expected.comments) + len(expected.tasks)
    site = Site(kind, story)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workspace = make_workspace(Path(tmp), site, compact=True)
            hold = HoldAnswer(site, rng.randrange(1, writes + 1)) if strategy == "answer held" else None
            child = start_child(workspace)
            if strategy == "random delay":
                alive = kill_after(child, delay=rng.uniform(0.0, duration))
            elif strategy == "after n writes":
                alive = kill_after(child, writes_seen=lambda: len(site.app.writes), writes=rng.randrange(0, writes),
                                   extra=rng.uniform(0.0, 0.005))
            else:
                hold.applied.wait(60)
                alive = kill_after(child, delay=0.0)
                hold.release.set()
            in_doubt = pending_writes(workspace) if (Path(tmp) / "state.db").exists() else []
            at_kill = site.effects()
            landed = set(at_kill.tasks) | {marker for _, marker in at_kill.comments}
            codes = sync_until_clean(workspace)
            found = site.effects()
    finally:
        site.stop()
    all_expected = expected.comments + expected.tasks
    all_found = found.comments + found.tasks
    return {
        "alive": alive,
        "in_doubt": len(in_doubt),
        "in_doubt_landed": sum(1 for marker in in_doubt if marker in landed),
        "reruns": len(codes),
        "clean": codes[-1] == 0,
        "duplicates": sum(n - 1 for n in all_found.values() if n > 1),
        "missing": sum(1 for k in all_expected if k not in all_found),
        "extra": sum(1 for k in all_found if k not in all_expected),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60, help="trials per helpdesk")
    parser.add_argument("--kind", choices=("zendesk", "jira"), action="append")
    parser.add_argument("--tickets", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    story = scenario(args.tickets)
    for kind in args.kind or ["zendesk", "jira"]:
        expected, duration = reference(kind, story)
        rng = random.Random(f"{args.seed}-{kind}")
        totals: dict[str, Counter] = defaultdict(Counter)
        started = time.monotonic()
        for number in range(args.trials):
            strategy = STRATEGIES[number % len(STRATEGIES)]
            outcome = trial(kind, story, expected, duration, strategy, rng)
            row = totals[strategy]
            row["trials"] += 1
            row["killed while working"] += outcome["alive"]
            row["pending rows at kill"] += outcome["in_doubt"]
            row["of which applied"] += outcome["in_doubt_landed"]
            row["trials with pending rows"] += bool(outcome["in_doubt"])
            row["re-runs"] += outcome["reruns"]
            row["ended exit 0"] += outcome["clean"]
            for name in ("duplicates", "missing", "extra"):
                row[name] += outcome[name]
        seconds = time.monotonic() - started
        writes = len(expected.comments) + len(expected.tasks)
        print(f"{kind}: {args.trials} trials, {writes} writes expected each "
              f"({len(expected.comments)} comments, {len(expected.tasks)} tasks), undisturbed sync {duration:.2f} s, "
              f"{seconds:.0f} s in all")
        for strategy in STRATEGIES:
            row = totals[strategy]
            print(f"  {strategy:15} " + ", ".join(f"{name} {row[name]}" for name in (
                "trials", "killed while working", "trials with pending rows", "pending rows at kill",
                "of which applied", "re-runs",
                "ended exit 0", "duplicates", "missing", "extra")))


if __name__ == "__main__":
    main()

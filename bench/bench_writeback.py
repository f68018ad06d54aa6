"""Write-back at scale: `python bench/bench_writeback.py [--kind zendesk|jira] [--tickets N]`.

The simulator serves the write-back tests' story (tests/writeback/harness.py: every other
ticket still unsolved, so status comments are due on half of them, and bad ratings ask for
follow-up tasks) with the tests' compact plan: a 12h/3d SLA on every request and a task per
bad rating. Three syncs, each in a fresh process:

1. pull only (no plan.yaml yet): the tickets are stored, nothing is written;
2. the plan and rules added: every ticket evaluated, its writes planned and applied (status
   comments, tasks, goal-window tasks);
3. again, with nothing changed but deskplan's own writes, which come back in the pull.

Printed for sync 2: writes planned and applied, the requests the sync made beyond its pull
(its pull is incremental: one request per stream), the write requests the simulator received,
requests per write, and wall and CPU time per write; for sync 3 the writes it planned (0 when
every write of sync 2 is recognised as done). Figures only; nothing is asserted.

With `--limits`, the simulators enforce the real services' rate limits (their command-line
defaults): Zendesk's account limit (700 requests a window), its ticket-update bucket (100
updates a window) and incremental-export limit (10 a window), with `--window` seconds
standing for a minute so the run takes minutes, not hours; Jira's burst limit (a bucket of 100
per endpoint and method, refilled at 10 a second, in real seconds) and per-issue write limit.
Sync 2 then also prints the 429 answers and its wall time against the limits' floor: the least
time those requests could take under them (for each bucket, the requests past its first fill,
at its refill rate; the busiest bucket sets the floor).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

from measure import emit, load_average, measured_sync, write_workspace
from simproc import Simulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.writeback.harness import COMPACT_PLAN, COMPACT_RULES, HISTORY_SINCE, NOW  # the tests' rig

ACCOUNT, TICKET_UPDATES, EXPORTS = 700, 100, 10      # Zendesk, per window
BURST, REFILL = 100, 10.0                             # Jira, per endpoint and method; tokens a second
TICKET_UPDATE = "PUT /api/v2/tickets/{id}"


def limits_for(kind: str, window: float) -> dict:
    if kind == "zendesk":
        return {"rate_limit": EXPORTS, "rate_window": window, "limits": {"account_rate_limit": ACCOUNT}}
    return {"limits": {"burst_limit": BURST}}


def limits_floor(kind: str, by_endpoint: dict[str, int], window: float) -> float:
    """Seconds the requests counted per endpoint take at least under the limits."""
    if kind == "zendesk":
        everything = sum(by_endpoint.values())
        updates = by_endpoint.get(TICKET_UPDATE, 0)
        return max(max(math.ceil(everything / ACCOUNT) - 1, 0), max(math.ceil(updates / TICKET_UPDATES) - 1, 0)) \
            * window
    return max([(n - BURST) / REFILL for n in by_endpoint.values() if n > BURST], default=0.0)


def bench(kind: str, tickets: int, folder: Path, *, limited: bool = False, window: float = 60.0) -> None:
    options = limits_for(kind, window) if limited else {}
    with Simulator(kind, tickets, open_half=True, start=NOW, **options) as sim:
        config = write_workspace(folder / kind, sim, tables=f"\n[writeback]\nsince = {HISTORY_SINCE}\n")
        pulled = measured_sync(config, sim, full=True)
        (config.parent / "rules").mkdir()
        (config.parent / "plan.yaml").write_text(COMPACT_PLAN, encoding="utf-8")
        (config.parent / "rules" / "rules.yaml").write_text(COMPACT_RULES, encoding="utf-8")
        # Nothing changed since sync 1: its pull is one request per stream, with the probe (and
        # for Jira the field catalog).
        incremental_pull = 5 if kind == "zendesk" else 3
        writes_before = sim.writes()
        counted_before = sim.requests()
        written = measured_sync(config, sim)
        write_requests = sim.writes() - writes_before
        counted = sim.requests()
        again = measured_sync(config, sim)
    (summary,) = written["summaries"]
    applied = summary["writes_applied"]
    beyond_pull = written["requests"] - incremental_pull
    per_write = beyond_pull / applied if applied else float("nan")
    print(f"{kind:<8} tickets {pulled['tickets_seen']:>6,}  evaluated {summary['tickets_evaluated']:>6,}  "
          f"writes planned {summary['writes_planned']:>6,}  applied {applied:>6,}  failed {summary['writes_failed']}  "
          f"deferred {summary['writes_deferred']}")
    print(f"{'':<8} requests beyond the pull {beyond_pull:,} (write requests received {write_requests:,}): "
          f"{per_write:.3f} per write; wall {written['wall']:.1f}s ({written['wall'] / max(applied, 1) * 1000:.1f} ms "
          f"per write), CPU {written['cpu']:.1f}s ({written['cpu'] / max(applied, 1) * 1000:.2f} ms per write), "
          f"RSS {written['rss_mb']:.0f} MB")
    print(f"{'':<8} the next sync: {again['summaries'][0]['writes_planned']} writes planned, "
          f"{again['requests']} requests, exit {again['exit_code']}", flush=True)
    extra: dict[str, float] = {}
    if limited:
        by_endpoint = {k: n - counted_before["by_endpoint"].get(k, 0) for k, n in counted["by_endpoint"].items()}
        refused = counted["by_status"].get("429", 0) - counted_before["by_status"].get("429", 0)
        floor = limits_floor(kind, {k: n for k, n in by_endpoint.items() if n}, window)
        busiest = max(by_endpoint.items(), key=lambda item: item[1])
        print(f"{'':<8} under the limits: 429 answers {refused}; wall {written['wall']:.1f}s against a floor of "
              f"{floor:.1f}s ({'a window is ' + format(window, 'g') + 's; ' if kind == 'zendesk' else ''}"
              f"busiest endpoint {busiest[0]}: {busiest[1]} requests)", flush=True)
        extra = {"refused": refused, "floor": round(floor, 2), "window": window}
    emit("writeback", kind=kind, tickets=pulled["tickets_seen"], planned=summary["writes_planned"], applied=applied,
         failed=summary["writes_failed"], requests_beyond_pull=beyond_pull, write_requests=write_requests,
         requests_per_write=round(per_write, 3), wall=round(written["wall"], 2), cpu=round(written["cpu"], 2),
         replanned=again["summaries"][0]["writes_planned"], limited=limited, **extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("zendesk", "jira", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=19_000, help="Zendesk tickets served (about 0.53 writes each)")
    parser.add_argument("--jira-tickets", type=int, default=5_000,
                        help="Jira issues served (fewer by default: its simulator is the slower one to pull from)")
    parser.add_argument("--limits", action="store_true",
                        help="enforce the real services' rate limits and report the time against their floor")
    parser.add_argument("--window", type=float, default=60.0,
                        help="with --limits: seconds Zendesk's simulator counts as a minute (default: 60)")
    args = parser.parse_args()
    print(f"# {load_average()}", flush=True)
    sizes = {"zendesk": args.tickets, "jira": args.jira_tickets}
    with tempfile.TemporaryDirectory(prefix="deskplan-bench-") as tmp:
        for kind in ("zendesk", "jira") if args.kind == "both" else (args.kind,):
            bench(kind, sizes[kind], Path(tmp), limited=args.limits, window=args.window)
    print(f"# {load_average()}")


if __name__ == "__main__":
    main()

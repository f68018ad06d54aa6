"""Every benchmark, then a summary against the targets: `python bench/run_all.py [--quick]` (`make bench`).

Each script runs in its own process, one after the other (they measure CPU time, so they must
not share the two cores with each other), and prints its own figures as it goes. `--quick`
(or DESKPLAN_BENCH_QUICK=1) runs every script with small sizes, for trying the scripts out;
its figures say little about scale. Nothing is asserted: the summary says which targets
were met on this machine, at this load, and the figures behind them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import RESULT_PREFIX, load_average, speed_reference

BENCH = Path(__file__).resolve().parent

# (script, full-size arguments, quick arguments)
SCRIPTS = (
    ("bench_sync.py", ["--sizes", "10000,50000,100000"], ["--sizes", "2000"]),
    ("bench_stages.py", ["--tickets", "5000"], ["--tickets", "1000", "--repeat", "1"]),
    ("bench_rate_limit.py", ["--tickets", "4000", "--window", "30"], ["--tickets", "2000", "--window", "5"]),
    ("bench_rules.py", [], ["--tickets", "10000", "--distinct", "1000"]),
    ("bench_calendar.py", [], ["--n", "2000"]),
    ("bench_writeback.py", [], ["--tickets", "600", "--jira-tickets", "600"]),
    ("bench_jira_requests.py", [], ["--tickets", "1000", "--changes", "50"]),
    ("bench_kill.py", ["--trials", "10"], ["--trials", "2"]),
    ("scale.py", ["--tickets", "100000"], ["--tickets", "5000", "--base", "1000"]),
)

REQUESTS_SLACK = 1.05
TICKETS_PER_SECOND = 5_000
RSS_MB = 200
RULE_EVALUATIONS_PER_SECOND = 1_000_000
RATE_LIMIT_SLACK = 1.05
# At 1,000,000 tickets (scale.py --tickets 1000000): seconds of wall time per operation, peak RSS, state size.
SCALE_SECONDS = {"report --format json": 5.0, "goal check": 2.0, "sync, idle": 2.0, "explain zd:<id>": 0.5}
SCALE_RSS_MB = 300
SCALE_BYTES_PER_TICKET = 3000
SCALE_TARGETS_AT = 1_000_000
JIRA_REQUESTS = re.compile(r"^(?P<name>.+?)\s+issues\s+(?P<issues>\d+)"
                           r".*requests\s+(?P<requests>\d+)\s+minimum\s+(?P<minimum>\d+)")


def run(script: str, args: list[str]) -> tuple[list[dict], list[str], float, int]:
    """Run one script, echoing its output; its result lines, its other lines, seconds, exit code."""
    print(f"\n=== {script} {' '.join(args)}", flush=True)
    started = time.perf_counter()
    results, lines = [], []
    # stderr carries logs (simulators log every request there); shown only when a script fails.
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen([sys.executable, str(BENCH / script), *args], stdout=subprocess.PIPE,
                                   stderr=errors, text=True, cwd=BENCH.parent)
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(RESULT_PREFIX):
                results.append(json.loads(line[len(RESULT_PREFIX):]))
                continue
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
        code = process.wait()
        if code:
            errors.seek(0)
            print("".join(errors.readlines()[-40:]), end="")
    seconds = time.perf_counter() - started
    print(f"=== {script}: exit {code}, {seconds:.0f}s", flush=True)
    return results, lines, seconds, code


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def summary_rows(results: list[dict], jira_lines: list[str]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for r in (r for r in results if r["bench"] == "sync"):
        name = f"{r['kind']} {r['n']:,} {r['sync']}"
        rows.append((f"requests, {name}", f"{r['requests']} / minimum {r['minimum']}",
                     verdict(r["requests"] <= REQUESTS_SLACK * r["minimum"])))
        if r["sync"] == "full":
            rate = r["tickets"] / r["cpu"] if r["cpu"] else 0.0
            rows.append((f"local processing, {name}",
                         f"{rate:,.0f} tickets/s ({r['cpu'] / r['tickets'] * 1000:.3f} CPU s per 1,000)",
                         verdict(rate >= TICKETS_PER_SECOND)))
            rows.append((f"peak RSS, {name}", f"{r['rss_mb']:.0f} MB",
                         verdict(r["rss_mb"] < RSS_MB) if r["n"] >= 100_000 else "(target at 100,000)"))
    for r in (r for r in results if r["bench"] == "stages"):
        floor = r["floor_orjson_us"] + r["floor_sqlite_us"] + r["floor_pydantic_us"]
        rows.append((f"CPU per ticket by stage, {r['kind']} {r['tickets']:,}",
                     f"{r['total_us']:,} µs: pull {r['pull_us']}, store {r['save_pages_us']}, read back "
                     f"{r['read_back_us']}, build {r['build_us']}, store tickets {r['save_tickets_us']}", ""))
        rows.append((f"  the libraries alone (orjson + SQLite + pydantic), {r['kind']}",
                     f"{floor:,} µs = {1e6 / floor:,.0f} tickets/s at most", ""))
    for line in jira_lines:
        found = JIRA_REQUESTS.match(line)
        if found:
            rows.append((f"requests, jira adapter bench: {found['name'].strip()}",
                         f"{found['requests']} / minimum {found['minimum']}",
                         verdict(int(found["requests"]) <= REQUESTS_SLACK * int(found["minimum"]))))
    for r in (r for r in results if r["bench"] == "rate_limit"):
        rows.append((f"rate-limited full sync, {r['tickets']:,} tickets, 10 per {r['window']:g}s",
                     f"{r['wall']:.1f}s / bound {r['bound']:.1f}s (floor {r['floor']:.0f}s)",
                     verdict(r["wall"] <= RATE_LIMIT_SLACK * r["bound"])))
    for r in (r for r in results if r["bench"] == "rules"):
        rows.append((f"rule evaluations, {r['rules']} rules x {r['tickets']:,} tickets",
                     f"{r['rule_evaluations_per_s']:,}/s ({r['conditions_run_per_ticket']} conditions run per ticket)",
                     verdict(r["rule_evaluations_per_s"] >= RULE_EVALUATIONS_PER_SECOND)))
        rows.append(("ticket evaluations (measures, categories, SLA targets)", f"{r['evaluations_per_s']:,}/s", ""))
        rows.append(("SLA clocks", f"{r['clocks_per_s']:,}/s", ""))
    for r in (r for r in results if r["bench"] == "scale"):
        judged = r["tickets"] >= SCALE_TARGETS_AT
        later = f"(targets at {SCALE_TARGETS_AT:,})"
        if r["operation"] == "state":
            rows.append((f"state, {r['tickets']:,} tickets", f"{r['bytes_per_ticket']:,.0f} bytes per ticket",
                         verdict(r["bytes_per_ticket"] < SCALE_BYTES_PER_TICKET) if judged else later))
            continue
        limit = SCALE_SECONDS.get(r["operation"])
        met = r["rss_mb"] < SCALE_RSS_MB and (limit is None or r["wall"] < limit)
        rows.append((f"{r['operation']}, {r['tickets']:,} tickets",
                     f"{r['wall']:.2f} s ({r['cpu']:.2f} CPU s), {r['rss_mb']:.0f} MB"
                     + (f" / {limit:g} s" if limit else ""), verdict(met) if judged else later))
    for r in (r for r in results if r["bench"] == "writeback"):
        rows.append((f"write-back, {r['kind']}: {r['applied']:,} writes applied",
                     f"{r['requests_per_write']:.3f} requests per write, {r['failed']} failed, "
                     f"{r['replanned']} planned again", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("DESKPLAN_BENCH_QUICK") == "1")
    parser.add_argument("--only", action="append", help="run only these scripts (e.g. bench_sync.py)")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"# deskplan benchmarks ({'quick' if args.quick else 'full'}); {load_average()}; "
          f"sum(range(1000)) takes {speed_reference():.1f} µs here", flush=True)
    results: list[dict] = []
    jira_lines: list[str] = []
    timings = []
    for script, full, quick in SCRIPTS:
        if args.only and script not in args.only:
            continue
        found, lines, seconds, code = run(script, quick if args.quick else full)
        results += found
        if script == "bench_jira_requests.py":
            jira_lines = lines
        timings.append((script, seconds, code))

    print("\n" + "=" * 100)
    print(f"SUMMARY ({'quick run: small sizes' if args.quick else 'full run'}); {load_average()}")
    rows = summary_rows(results, jira_lines)
    width = max((len(r[0]) for r in rows), default=10)
    for what, figure, met in rows:
        print(f"{what:<{width}}  {figure:<60} {met}")
    print()
    for script, seconds, code in timings:
        print(f"{script:<24} {seconds:6.0f}s" + (f"  exit {code}" if code else ""))
    print(f"{'total':<24} {time.perf_counter() - started:6.0f}s")


if __name__ == "__main__":
    main()

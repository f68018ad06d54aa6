"""What the sync benchmarks share: a workspace pointing at a simulator, one measured sync in a
fresh process (bench/syncproc.py), the machine's load, and the result lines run_all.py collects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from simproc import EMAIL, TOKEN, Simulator

BENCH = Path(__file__).resolve().parent
TOKEN_ENV = "DESKPLAN_BENCH_TOKEN"
RESULT_PREFIX = "BENCH-RESULT "


def write_workspace(folder: Path, sim: Simulator, *, tables: str = "") -> Path:
    """deskplan.toml for one source on `sim`, plus `tables` (TOML) after it. Without a
    plan.yaml beside it the sync pulls and builds only."""
    folder.mkdir(parents=True, exist_ok=True)
    source = "jsm" if sim.kind == "jira" else "zd"
    jira = 'projects = ["SUP"]\nservice_desk = "1"\ntasks_project = "IMP"\n' if sim.kind == "jira" else ""
    (folder / "deskplan.toml").write_text(
        f'[[sources]]\nname = "{source}"\nkind = "{sim.kind}"\nurl = "{sim.url}"\nemail = "{EMAIL}"\n'
        f'token_env = "{TOKEN_ENV}"\n{jira}\n[state]\npath = "state.db"\n{tables}', encoding="utf-8")
    return folder / "deskplan.toml"


def measured_sync(config: Path, sim: Simulator, *, full: bool = False, profile: Path | None = None) -> dict[str, Any]:
    """One sync in a fresh process; DESKPLAN_NOW is the simulator's clock. Adds the requests the
    simulator served during it (counted on its side, from its request log)."""
    before = sim.requests()["served"]
    env = {**os.environ, TOKEN_ENV: TOKEN, "DESKPLAN_NOW": sim.now()}
    command = [sys.executable, str(BENCH / "syncproc.py"), str(config)]
    command += ["--full"] if full else []
    command += ["--profile", str(profile)] if profile else []
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"sync failed ({done.returncode}):\n{done.stderr[-4000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_wall"] = time.perf_counter() - started
    figures["served"] = sim.requests()["served"] - before
    (summary,) = figures["summaries"]
    figures.update(requests=summary["requests"], tickets_seen=summary["tickets_seen"],
                   tickets_changed=summary["tickets_changed"], errors=summary["errors"])
    if profile:
        sys.stderr.write(done.stderr)
    return figures


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def speed_reference() -> float:
    """Microseconds for sum(range(1000)) on this machine now: a yardstick for comparing runs
    taken on machines of other speed or load (about 8-10 µs on an idle current laptop)."""
    import timeit

    timer = timeit.Timer("sum(range(1000))")
    loops, _ = timer.autorange()
    return min(timer.repeat(5, loops)) / loops * 1e6


def emit(bench: str, **figures: Any) -> None:
    """One machine-readable line for run_all.py's summary table."""
    print(RESULT_PREFIX + json.dumps({"bench": bench, **figures}, sort_keys=True), flush=True)

"""How fresh the stored tickets are: per source, when a sync last finished it without error.

Read from the runs `deskplan sync` records in the state (state/store.py, `finished_runs`):
each finished run holds one summary per source with that source's `exit_code`. A source whose
last run without error ended more than STALE_AFTER before the report's `now`, or that has
none, is stale: its figures may lag what the helpdesk holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

from deskplan.kpi.results import SourceSync

STALE_AFTER = timedelta(days=2)
# The runs table's modes of `deskplan sync` and `sync --pull-only`: both bring the tickets up to
# date (plan push records a mode of its own).
SYNC_MODES = ("sync", "pull")


def source_syncs(runs: Iterable[tuple[str, str]], sources: Sequence[str], now: datetime) -> tuple[SourceSync, ...]:
    """Per source of `sources` (in that order; when empty, every source the runs name, by
    name), from `runs`: (finished_at, summary JSON) newest first. Reading stops once every
    source has a run without error. A row that does not parse is passed over: the state is
    deskplan's own, but an older or damaged row must not stop the report."""
    wanted = list(dict.fromkeys(sources))
    last_run: dict[str, tuple[datetime, int | None]] = {}
    last_ok: dict[str, datetime] = {}
    for finished_text, summary_text in runs:
        finished = _instant(finished_text)
        if finished is None:
            continue
        for source, exit_code in _exit_codes(summary_text):
            if wanted and source not in wanted:
                continue
            last_run.setdefault(source, (finished, exit_code))
            if exit_code == 0:
                last_ok.setdefault(source, finished)
        if wanted and all(s in last_ok for s in wanted):
            break
    names = wanted or sorted(last_run)
    result = []
    for name in names:
        ok = last_ok.get(name)
        run = last_run.get(name)
        result.append(SourceSync(
            source=name, synced_at=ok, last_run_at=run[0] if run else None, last_exit=run[1] if run else None,
            stale=ok is None or now - ok > STALE_AFTER,
        ))
    return tuple(result)


def _instant(text: str) -> datetime | None:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def _exit_codes(summary_text: str) -> list[tuple[str, int | None]]:
    try:
        summary = json.loads(summary_text)
    except ValueError:
        return []
    if not isinstance(summary, list):
        return []
    found = []
    for line in summary:
        if not isinstance(line, dict) or not isinstance(line.get("source"), str):
            continue
        code = line.get("exit_code")
        found.append((line["source"], code if isinstance(code, int) and not isinstance(code, bool) else None))
    return found

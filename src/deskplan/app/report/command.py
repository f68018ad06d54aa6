"""`deskplan report`: load the workspace, read the state, build, render, write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from deskplan.app.report.render_html import render_html
from deskplan.app.report.render_json import render_json
from deskplan.app.report.render_text import render_text
from deskplan.app.tasks import loop_inputs
from deskplan.config import CONFIG_NAME, load_config
from deskplan.errors import ConfigError
from deskplan.kpi.facts import stored_report
from deskplan.kpi.freshness import SYNC_MODES, source_syncs
from deskplan.kpi.results import Report
from deskplan.kpi.tasks import build_tasks
from deskplan.rules.load import Workspace, load_workspace
from deskplan.state.store import Store

RENDERERS: dict[str, Callable[[Report], str]] = {"text": render_text, "json": render_json, "html": render_html}
FORMATS = tuple(RENDERERS)


def report_from_workspace(workspace_dir: Path, now: datetime) -> Report:
    """The report over every ticket stored by `deskplan sync` for this workspace."""
    config = load_config(workspace_dir / CONFIG_NAME)
    workspace = load_workspace(config.workspace)
    if not config.state_path.exists():
        raise ConfigError(f"{config.state_path}: no state yet; run `deskplan sync` first")
    store = Store.open(config.state_path)
    try:
        return report_from_store(workspace, store, now, [s.name for s in config.sources])
    finally:
        store.close()


def report_from_store(workspace: Workspace, store: Store, now: datetime, sources: Sequence[str], *,
                      real_now: datetime | None = None) -> Report:
    """The report over every stored ticket, with when each of `sources` was last synced and
    deskplan's own tasks as the syncs read them back (app/tasks.py).

    The figures are as of `now` (DESKPLAN_NOW or the clock); how fresh the stored tickets are
    is judged at `real_now` (default: the real clock), because the runs table records when
    each run really ended, whatever DESKPLAN_NOW said: a sync a minute ago is fresh, even in a
    report as of last May."""
    checked = real_now or datetime.now(timezone.utc)
    synced = source_syncs(store.finished_runs(SYNC_MODES), sources, checked)
    loop = loop_inputs(store, workspace)
    report = stored_report(workspace, store, now, synced=synced, milestones_done=loop.milestones_done)
    return replace(report, tasks=None if loop.records is None else build_tasks(loop.records, workspace, now),
                   synced_checked_at=checked)


def render(report: Report, fmt: str) -> str:
    if fmt not in RENDERERS:
        raise ConfigError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](report)


def write_output(text: str, out: Path) -> None:
    """Written to a temporary file beside `out` and renamed, so a reader never sees half a report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(out)

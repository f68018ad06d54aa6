"""`deskplan review`: load the workspace, pick the cadence entry and its period, read the
state (tickets and the ledger's missed-goal tasks), build the digest, render it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from deskplan.app.review.render_html import render_html
from deskplan.app.review.render_json import render_json
from deskplan.app.review.render_md import render_md
from deskplan.app.review.render_text import render_text
from deskplan.app.tasks import loop_inputs
from deskplan.config import CONFIG_NAME, load_config
from deskplan.errors import ConfigError
from deskplan.kpi.facts import stored_review
from deskplan.kpi.review import GOAL_ORIGIN, Period, Review, WrittenTask, period_for
from deskplan.rules.load import Workspace, load_workspace
from deskplan.rules.plan import Cadence, Plan
from deskplan.state.ledger import Ledger, LedgerEntry
from deskplan.state.store import Store

RENDERERS: dict[str, Callable[[Review], str]] = {
    "text": render_text, "json": render_json, "html": render_html, "md": render_md,
}
FORMATS = tuple(RENDERERS)


def pick_cadence(plan: Plan, cadence_id: str | None) -> Cadence:
    """The entry `cadence_id` names, else the first; ConfigError listing the entries there are."""
    entries = plan.cadence
    if not entries:
        raise ConfigError("plan.yaml has no `cadence` entries to review; add one, e.g. "
                          "cadence: [{id: weekly-check, title: Weekly check, every: week, owner: customer service}]")
    if cadence_id is None:
        return entries[0]
    for entry in entries:
        if entry.id == cadence_id:
            return entry
    known = ", ".join(f"{e.id} (every {e.every})" for e in entries)
    raise ConfigError(f"unknown cadence {cadence_id!r}; plan.yaml has: {known}")


def written_task(entry: LedgerEntry) -> WrittenTask:
    write = entry.write
    return WrittenTask(origin=write.origin, title=write.title, owner=write.owner, source=write.source,
                       status=entry.status.value, remote_id=entry.remote_id, due=write.due)


def review_from_workspace(workspace_dir: Path, now: datetime, *, cadence_id: str | None = None,
                          period_label: str | None = None) -> Review:
    """The review of one period of one cadence entry, over every ticket `deskplan sync` stored
    and the missed-goal tasks its ledger holds. The options are checked before the state is
    opened; the state is only read (as `deskplan report` reads it)."""
    config = load_config(workspace_dir / CONFIG_NAME)
    workspace = load_workspace(config.workspace)
    cadence = pick_cadence(workspace.plan, cadence_id)
    period = period_for(cadence, workspace.plan, now, period_label)
    if not config.state_path.exists():
        raise ConfigError(f"{config.state_path}: no state yet; run `deskplan sync` first")
    store = Store.open(config.state_path)
    try:
        return review_of(workspace, store, now, cadence, period)
    finally:
        store.close()


def review_of(workspace: Workspace, store: Store, now: datetime, cadence: Cadence, period: Period) -> Review:
    """One period's review from the state: every stored ticket, the ledger's missed-goal tasks,
    and the states of deskplan's tasks as the last sync read them back. `deskplan review` and
    the review task `sync` writes (app/review/task.py) both build it here, so they agree."""
    actions = [written_task(entry) for entry in Ledger(store).tasks(GOAL_ORIGIN)]
    # The task states and milestones done as the syncs read them back (app/tasks.py); before any
    # was read, the digest says it does not know rather than showing zeros.
    loop = loop_inputs(store, workspace)
    # From the stored KPI facts where they hold, the timelines of the rest (kpi/facts.py).
    return stored_review(workspace, store, now, cadence, period, actions=actions, tasks=loop.tasks,
                         milestones_done=loop.milestones_done)


def render(review: Review, fmt: str) -> str:
    if fmt not in RENDERERS:
        raise ConfigError(f"unknown review format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](review)

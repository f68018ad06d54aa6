"""`deskplan baseline`: where each goal's KPI stood before the plan (README, "`deskplan baseline`").

Each goal is measured over one span, the N months (default 3) before the plan's first day (or
before `--before`), from the tickets `deskplan sync` stored, with the goal's own definition:
its metric and threshold on its calendar, its scope, its direction (the report's machinery:
kpi/metrics.py observes each ticket once, kpi/goals.py counts the observations that fall into
the span). The span is [local midnight of the first day, local midnight of the day before
which it ends), in the plan calendar's zone, like every report window. Figures count what had
happened by `now`: a request created in the span and answered after it counts with its real
answer, as the report counts a window once it has closed.

With `write`, each measured value goes into plan.yaml as the goal's `baseline` (one decimal of
a percent, `82.4%`), in place: every other byte of the file stays (rules/yamledit.py). Not
written: a goal with no tickets in the span (nothing was measured), and a goal whose value
already meets its target (`deskplan check` would refuse the plan: the target is what needs
changing).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from deskplan.app.report.command import write_output
from deskplan.config import CONFIG_NAME, load_config
from deskplan.effects import TASK_TAG
from deskplan.errors import ConfigError, ExitStatus, unexpected
from deskplan.kpi.goals import GoalSpec, GoalTally
from deskplan.kpi.metrics import METRICS, goal_context, hours
from deskplan.kpi.report import stored_tickets
from deskplan.kpi.results import LeftOut
from deskplan.kpi.windows import Window, local_midnight
from deskplan.model import Ticket
from deskplan.rules.load import PLAN_FILE, Workspace, load_workspace
from deskplan.rules.plan import Goal, parse_share
from deskplan.rules.yamledit import Edit, edit_scalars
from deskplan.state.store import Store

DEFAULT_MONTHS = 3

# Why a measured value is not written
NO_TICKETS = "no tickets in the span"
MET_ALREADY = "already meets the target"


@dataclass(frozen=True)
class GoalBaseline:
    """One goal measured over the span, beside what plan.yaml says."""

    goal: Goal
    index: int                  # its place in plan.yaml's `goals`
    value: float | None         # numerator / denominator; None when nothing was observed
    numerator: int
    denominator: int

    @property
    def text(self) -> str | None:
        """The value as plan.yaml is to hold it: a percent with one decimal."""
        return None if self.value is None else share_text(self.value)

    @property
    def refusal(self) -> str | None:
        """Why the value is not to be written, if it is not."""
        if self.text is None:
            return NO_TICKETS
        if self.goal.is_met(parse_share(self.text)):
            return MET_ALREADY
        return None


@dataclass(frozen=True)
class Baselines:
    plan_id: str
    timezone: str
    before: date                # the span ends where this day begins
    first: date                 # the span's first day
    months: int
    goals: tuple[GoalBaseline, ...]
    left_out: tuple[LeftOut, ...] = ()
    written: tuple[str, ...] = field(default=())    # ids of the goals whose baseline was written

    @property
    def last(self) -> date:
        return self.before - timedelta(days=1)


def share_text(value: float) -> str:
    return f"{round(value * 100, 1):g}%"


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier (the month's last day where it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def measure_baselines(workspace: Workspace, tickets: Iterable[Ticket], now: datetime, *,
                      before: date | None = None, months: int = DEFAULT_MONTHS,
                      left_out: list[LeftOut] | None = None) -> Baselines:
    """Every goal over the `months` before `before` (default: the plan's first day). A ticket
    whose data breaks a computation is left out of every figure and listed, as in the report."""
    if months < 1:
        raise ConfigError(f"--months {months}: measure over at least one month")
    left_out = [] if left_out is None else left_out
    plan = workspace.plan
    zone = workspace.calendar().zone
    end_day = before or plan.plan.start
    first = months_before(end_day, months)
    span = Window(local_midnight(first, zone), local_midnight(end_day, zone), "month", first)
    runs = [
        (goal, METRICS[goal.metric], goal_context(workspace.goal_calendar(goal), goal.threshold, now),
         GoalTally(GoalSpec.of(plan, goal), [span]))
        for goal in plan.goals
    ]
    for ticket in tickets:
        if TASK_TAG in ticket.tags:
            continue        # deskplan's own improvement tasks are not requests
        try:
            categories = frozenset(workspace.evaluate(ticket, now, render_tasks=False).categories)
            observed = [
                (tally, observation) for goal, metric, context, tally in runs
                if workspace.in_scope(goal, ticket, now)
                and (observation := metric(ticket, context, categories)) is not None
            ]
        except Exception as exc:
            left_out.append(LeftOut(ticket.source, ticket.id, ticket.ref, unexpected(exc)))
            continue
        for tally, observation in observed:
            tally.add(ticket, observation)
    goals = []
    for index, (goal, _, _, tally) in enumerate(runs):
        (window,) = tally.result(now, span.start, span.end).windows
        goals.append(GoalBaseline(goal, index, window.value, window.numerator, window.denominator))
    return Baselines(plan_id=plan.plan.id, timezone=zone.key, before=end_day, first=first, months=months,
                     goals=tuple(goals), left_out=tuple(left_out))


def baselines_from_workspace(workspace_dir: Path, now: datetime, *, before: date | None = None,
                             months: int = DEFAULT_MONTHS, write: bool = False) -> Baselines:
    """Measure over the stored tickets; with `write`, set the writable baselines in plan.yaml."""
    config = load_config(workspace_dir / CONFIG_NAME)
    plan_file = config.workspace / PLAN_FILE
    text = plan_file.read_text(encoding="utf-8") if write else ""
    workspace = load_workspace(config.workspace)
    if not config.state_path.exists():
        raise ConfigError(f"{config.state_path}: no state yet; run `deskplan sync` first")
    store = Store.open(config.state_path)
    try:
        left_out: list[LeftOut] = []
        measured = measure_baselines(workspace, stored_tickets(store, left_out), now, before=before, months=months,
                                     left_out=left_out)
    finally:
        store.close()
    if not write:
        return measured
    return write_baselines(plan_file, text, measured)


def write_baselines(plan_file: Path, text: str, measured: Baselines) -> Baselines:
    """Put the writable values into plan.yaml, whose text was `text` when the plan was loaded;
    ConfigError, changing nothing, if the file changed meanwhile."""
    writable = [g for g in measured.goals if g.refusal is None and g.text is not None]
    if not writable:
        return measured
    edits = [Edit(("goals", g.index, "baseline"), g.text, before="target") for g in writable if g.text]
    edited = edit_scalars(text, edits, str(plan_file))
    if plan_file.read_text(encoding="utf-8") != text:
        raise ConfigError(f"{plan_file} changed while the baselines were measured; nothing was written, run again")
    write_output(edited, plan_file)
    return replace(measured, written=tuple(g.goal.id for g in writable))


def exit_status(baselines: Baselines, *, write: bool) -> ExitStatus:
    """1 when --write left out a measured value that meets its target already (listed), else 0."""
    refused = any(g.refusal == MET_ALREADY for g in baselines.goals)
    return ExitStatus.PARTIAL if write and refused else ExitStatus.OK


# --- output ---------------------------------------------------------------------------------------

def _target(goal: Goal) -> str:
    return f"{'at least' if goal.direction == 'at_least' else 'at most'} {share_text(goal.target)}"


def _metric(goal: Goal) -> str:
    if goal.threshold is None:
        return goal.metric
    return f"{goal.metric} {hours(goal.threshold)}"


def render_text(baselines: Baselines, *, write: bool = False) -> str:
    b = baselines
    lines = [
        f"Baselines of plan {b.plan_id}: the {b.months} month{'' if b.months == 1 else 's'} before {b.before} "
        f"({b.first} to {b.last}, {b.timezone}), from the stored tickets",
        "",
    ]
    rows = [("GOAL", "METRIC", "MEASURED", "PLAN.YAML", "TARGET")]
    for g in b.goals:
        measured = (f"{g.text} ({g.numerator} of {g.denominator})" if g.text is not None else NO_TICKETS)
        planned = share_text(g.goal.baseline) if g.goal.baseline is not None else "-"
        rows.append((g.goal.id, _metric(g.goal), measured, planned, _target(g.goal)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]
              for row in rows]
    if b.left_out:
        lines += ["", f"{len(b.left_out)} stored tickets could not be counted (as in `deskplan report`)"]
    if not write:
        return "\n".join(lines) + "\n"
    lines.append("")
    written = [g for g in b.goals if g.goal.id in b.written]
    if written:
        lines.append(f"wrote {PLAN_FILE}: " + ", ".join(
            f"{g.goal.id} {share_text(g.goal.baseline) if g.goal.baseline is not None else '(none)'} -> {g.text}"
            for g in written))
    for g in b.goals:
        if g.refusal == NO_TICKETS:
            lines.append(f"not written: {g.goal.id}: {NO_TICKETS} (its baseline stays as it is)")
        elif g.refusal == MET_ALREADY:
            lines.append(f"not written: {g.goal.id}: {g.text} {MET_ALREADY} ({_target(g.goal)}): the goal would be "
                         "met before the plan begins; set a target beyond it, then run again")
    return "\n".join(lines) + "\n"


def to_dict(baselines: Baselines, *, write: bool = False) -> dict[str, Any]:
    b = baselines
    return {
        "plan": b.plan_id, "timezone": b.timezone, "months": b.months, "before": b.before.isoformat(),
        "start": b.first.isoformat(), "end": b.last.isoformat(), "left_out": len(b.left_out),
        "goals": [
            {
                "id": g.goal.id, "metric": g.goal.metric, "direction": g.goal.direction, "target": g.goal.target,
                "baseline": g.goal.baseline, "value": g.value, "numerator": g.numerator,
                "denominator": g.denominator, "text": g.text, "note": g.refusal,
                **({"written": g.goal.id in b.written} if write else {}),
            }
            for g in b.goals
        ],
    }

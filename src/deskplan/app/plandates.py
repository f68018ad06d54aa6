"""The plan's dates against the clock and each other (README, "`deskplan check`: warnings").

A plan that ended months ago, or has not begun, still loads and runs: nothing in it is
invalid, but every number deskplan produces against it is likely not what its owner meant,
so `check` warns (exit 0) and `sync` says so once per run. A goal whose deadline lies
outside the plan is warned about too. A baseline already at or past its target, in the
goal's direction, is an error: the goal would be met before the plan began, and the planned
path from baseline to target (kpi/status.py) would run backwards.

Dates are days in the time zone of the plan's calendar: the plan has ended once its last day
is over there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from deskplan.errors import Problem
from deskplan.rules.load import PLAN_FILE, Workspace
from deskplan.rules.plan import Plan
from deskplan.rules.yamlload import reread_yaml


@dataclass(frozen=True)
class DateFindings:
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


def warning_line(problem: Problem) -> str:
    """`FILE:LINE:COL: warning: message`, as compilers write theirs."""
    return f"{problem.file}:{problem.line}:{problem.col}: warning: {problem.message}"


def today_in_plan(workspace: Workspace, now: datetime) -> date:
    """`now`'s day in the plan calendar's zone."""
    return now.astimezone(workspace.calendar().zone).date()


def plan_state_note(plan: Plan, today: date) -> str | None:
    """One sentence when the plan has ended or not started by `today`, else None."""
    info = plan.plan
    if today > info.end:
        days = (today - info.end).days
        return (f"the plan {info.id} ended on {info.end} ({_days(days)} ago, today is {today}): its goals are "
                "measured and written back against all the same; give plan.yaml a new `end`, or a new plan")
    if today < info.start:
        days = (info.start - today).days
        return (f"the plan {info.id} starts on {info.start} (in {_days(days)}, today is {today}): no window of "
                "it has closed, so there is nothing to measure yet")
    return None


def sync_note(workspace: Workspace, now: datetime) -> str | None:
    """What `sync` says once when it runs against a plan that has ended or not started."""
    return plan_state_note(workspace.plan, today_in_plan(workspace, now))


def date_findings(workspace: Workspace, now: datetime) -> DateFindings:
    """Warnings and errors about the plan's dates and baselines, at their FILE:LINE:COL in
    plan.yaml (read again for the positions; the workspace itself is already valid)."""
    findings = DateFindings()
    path = workspace.root / PLAN_FILE
    doc = reread_yaml(path)      # None when changed since it was loaded: positions fall back to the file's start

    def at(where: tuple[object, ...], message: str) -> Problem:
        if doc is None:
            return Problem(str(path), 1, 1, message)
        return doc.problem(where, message)

    plan = workspace.plan
    info = plan.plan
    today = today_in_plan(workspace, now)
    note = plan_state_note(plan, today)
    if note is not None:
        findings.warnings.append(at(("plan", "end" if today > info.end else "start"), note))
    for index, goal in enumerate(plan.goals):
        if not info.start <= goal.by <= info.end:
            side = "before the plan starts" if goal.by < info.start else "after the plan ends"
            findings.warnings.append(at(("goals", index, "by"), (
                f"goal {goal.id}: its deadline {goal.by} lies {side} ({info.start} to {info.end}); "
                "the report draws its planned path to that day all the same")))
        if goal.baseline is not None and goal.is_met(goal.baseline):
            findings.errors.append(at(("goals", index, "baseline"), (
                f"goal {goal.id}: the baseline {_pct(goal.baseline)} is already "
                f"{'at or above' if goal.direction == 'at_least' else 'at or below'} the target "
                f"{_pct(goal.target)} ({goal.direction}): the goal would be met before the plan begins; "
                "set a target beyond the baseline, or correct the baseline (`deskplan baseline` measures it)")))
    return findings


def _pct(share: float) -> str:
    return f"{round(share * 100, 4):g}%"


def _days(days: int) -> str:
    return f"{days} day{'' if days == 1 else 's'}"

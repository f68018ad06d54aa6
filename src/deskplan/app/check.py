"""`deskplan check`: validate deskplan.toml, plan.yaml, rules/*.yaml and rules/tests/*.yaml
together, so that one run lists every problem of every file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from deskplan import clock
from deskplan.app.plandates import date_findings
from deskplan.config import CONFIG_NAME, load_config, setting_position
from deskplan.errors import InvalidFiles, Problem
from deskplan.rules.load import load_workspace, rule_files
from deskplan.rules.owners import cadence_sources
from deskplan.rules.ruletests import load_cases
from deskplan.state.database import SETTING, path_problem


def check_workspace(root: Path, *, now: datetime | None = None,
                    warn: Callable[[Problem], None] | None = None) -> str:
    """A one-line summary of a valid workspace; raises InvalidFiles with every problem.
    Warnings (the plan has ended or not started by `now`, a goal's deadline outside the plan:
    app/plandates.py) go to `warn` and change nothing else."""
    problems: list[Problem] = []
    config_path = root / CONFIG_NAME
    config = None
    if not config_path.exists():
        problems.append(Problem(str(config_path), 1, 1, "file not found (run `deskplan init DIR` for an example)"))
    else:
        try:
            config = load_config(config_path)
        except InvalidFiles as exc:
            problems.extend(exc.problems)
        else:
            # The state file is not opened (check writes nothing), only looked at: a folder, a
            # read-only file or one that is not a database would stop every sync.
            state_problem = path_problem(config.state_path)
            if state_problem is not None:
                line, col = setting_position(config_path, ("state", "path"))
                problems.append(Problem(str(config_path), line, col,
                                        f"{SETTING} {config.state_path}: {state_problem}"))
    try:
        workspace = load_workspace(root)
    except InvalidFiles as exc:
        problems.extend(exc.problems)
        workspace = None
    cases = load_cases(root, problems)
    if workspace is not None and config is not None:
        try:        # each cadence entry's `in` names a source of deskplan.toml
            cadence_sources(workspace.plan, workspace.root, [s.name for s in config.sources])
        except InvalidFiles as exc:
            problems.extend(exc.problems)
    if workspace is not None:
        dates = date_findings(workspace, now or clock.now())
        problems.extend(dates.errors)
        if warn is not None:
            for warning in dates.warnings:
                warn(warning)
    if problems or workspace is None or config is None:
        raise InvalidFiles(problems)
    plan = workspace.plan
    return (
        f"ok: {CONFIG_NAME} ({len(config.sources)} sources), plan.yaml ({len(plan.goals)} goals, "
        f"{len(plan.measures)} measures, {len(plan.milestones)} milestones, {len(plan.calendars)} calendars), "
        f"{len(workspace.rules)} rules in {len(rule_files(root))} files, {len(cases)} rule tests"
    )

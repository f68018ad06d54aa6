"""The rules engine: plan.yaml, rules/*.yaml, conditions, SLA targets and rule tests.

The public interface others build on:

    workspace = load_workspace(Path("."))          # raises errors.InvalidFiles
    evaluation = workspace.evaluate(ticket, now)   # an immutable Evaluation
    workspace.plan                                 # Plan: .plan, .calendars, .goals, .measures …
"""

from deskplan.rules.engine import Evaluation, FiredRule, PlannedTask, SlaTarget
from deskplan.rules.load import Workspace, load_workspace
from deskplan.rules.plan import Goal, Measure, Milestone, Plan

__all__ = [
    "Evaluation", "FiredRule", "Goal", "Measure", "Milestone", "Plan", "PlannedTask", "SlaTarget",
    "Workspace", "load_workspace",
]

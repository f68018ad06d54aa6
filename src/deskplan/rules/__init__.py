"""The rules engine: plan.yaml, rules/*.yaml, conditions, SLA targets and rule tests.

The public interface others build on:

    workspace = load_workspace(Path("."))          # raises errors.InvalidFiles
    evaluation = workspace.evaluate(ticket, now)   # an immutable Evaluation
    workspace.plan                                 # Plan: .plan, .calendars, .goals, .measures …
"""

from .engine import Evaluation, FiredRule, PlannedTask, SlaTarget
from .load import Workspace, load_workspace
from .plan import Goal, Measure, Milestone, Plan

__all__ = [
    "Evaluation", "FiredRule", "Goal", "Measure", "Milestone", "Plan", "PlannedTask", "SlaTarget",
    "Workspace", "load_workspace",
]

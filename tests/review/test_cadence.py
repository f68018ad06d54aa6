"""Cadence entries in plan.yaml: the goals an entry reviews."""

from __future__ import annotations

import pytest

from deskplan.errors import InvalidFiles
from deskplan.kpi.review import reviewed_goals
from deskplan.rules.load import load_workspace

from .sample import PLAN, RULES


def write(root, plan: str):
    (root / "plan.yaml").write_text(plan, encoding="utf-8")
    (root / "rules").mkdir(exist_ok=True)
    (root / "rules" / "rules.yaml").write_text(RULES, encoding="utf-8")


def test_an_entry_reviews_the_goals_it_names_in_plan_order_else_all(workspace):
    weekly, monthly, _ = workspace.plan.cadence
    assert [g.id for g in reviewed_goals(weekly, workspace.plan)] == ["reply-12h"]
    assert [g.id for g in reviewed_goals(monthly, workspace.plan)] == ["reply-12h", "csat", "complaints"]
    flipped = monthly.model_copy(update={"goals": ("complaints", "reply-12h")})
    assert [g.id for g in reviewed_goals(flipped, workspace.plan)] == ["reply-12h", "complaints"]


def test_an_unknown_goal_in_an_entry_is_a_problem_at_its_position(tmp_path):
    write(tmp_path, PLAN.replace("every: week, owner: customer service, goals: [reply-12h]}",
                                 "every: week, owner: customer service, goals: [reply-12h, reply-21h]}"))
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(tmp_path)
    [problem] = caught.value.problems
    line = next(i for i, text in enumerate(PLAN.splitlines(), 1) if "id: weekly-check" in text)
    assert (problem.line, problem.message) == (line, (
        "cadence weekly-check: goals[1]: unknown goal 'reply-21h' (did you mean 'reply-12h'?); "
        "known: complaints, csat, reply-12h"))

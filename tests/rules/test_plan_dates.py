"""The plan's dates against the clock (`check` warnings, `sync`'s note), baselines already past
their targets (a `check` error), the example workspace dated around today by `deskplan init`,
and the in-place YAML editor both `init` and `deskplan baseline --write` use."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskplan.cli import cli
from deskplan.rules.yamledit import Edit, EditError, edit_scalars
from deskplan.rules.yamlload import load_yaml
from deskplan.workspace.init import PLAN, example_files

CONFIG = """\
[[sources]]
name = "zd"
kind = "zendesk"
url = "https://example.zendesk.com"
email = "bot@example.com"
token_env = "ZD_TOKEN"
status_map = {open = "open", solved = "solved"}
"""

PLAN_TEXT = """\
plan:
  id: sip
  title: SIP
  start: 2026-03-02
  end: 2026-06-30
  calendar: shanghai
calendars:
  shanghai: {timezone: Asia/Shanghai, hours: {mon-fri: ["09:00-18:00"]}}
goals:
  - id: csat
    metric: csat
    baseline: 85%
    target: 90%
    by: 2026-06-30
  - {id: late, metric: csat, target: 90%, by: 2026-07-15}
  - id: complaints
    metric: complaint_rate
    direction: at_most
    baseline: 4%              # already below the 5% it must stay below
    target: 5%
    by: 2026-02-27
"""


def workspace(tmp_path: Path, plan: str = PLAN_TEXT) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "deskplan.toml").write_text(CONFIG, encoding="utf-8")
    (root / "plan.yaml").write_text(plan, encoding="utf-8")
    return root


def check(root: Path, now: str):
    return CliRunner().invoke(cli, ["check", "--workspace", str(root)], env={"DESKPLAN_NOW": now},
                              catch_exceptions=False)


def test_a_baseline_past_its_target_is_an_error_at_the_baseline(tmp_path):
    root = workspace(tmp_path)
    result = check(root, "2026-04-01T00:00:00Z")
    assert result.exit_code == 2
    plan = root / "plan.yaml"
    assert result.stderr.splitlines() == [
        f"{plan}:15:47: warning: goal late: its deadline 2026-07-15 lies after the plan ends (2026-03-02 to "
        "2026-06-30); the report draws its planned path to that day all the same",
        f"{plan}:21:9: warning: goal complaints: its deadline 2026-02-27 lies before the plan starts "
        "(2026-03-02 to 2026-06-30); the report draws its planned path to that day all the same",
        f"{plan}:19:15: goal complaints: the baseline 4% is already at or below the target 5% (at_most): the goal "
        "would be met before the plan begins; set a target beyond the baseline, or correct the baseline "
        "(`deskplan baseline` measures it)",
    ]
    assert result.stdout == ""


def test_at_least_baseline_equal_to_target_is_an_error_and_below_is_fine(tmp_path):
    equal = workspace(tmp_path, PLAN_TEXT.replace("baseline: 85%", "baseline: 90%").replace("baseline: 4%",
                                                                                                 "baseline: 6%"))
    result = check(equal, "2026-04-01T00:00:00Z")
    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if "warning" not in line] == [
        f"{equal / 'plan.yaml'}:12:15: goal csat: the baseline 90% is already at or above the target 90% (at_least): "
        "the goal would be met before the plan begins; set a target beyond the baseline, or correct the baseline "
        "(`deskplan baseline` measures it)",
    ]


def ok_plan(text: str = PLAN_TEXT) -> str:
    return (text.replace("baseline: 4%", "baseline: 6%").replace("by: 2026-07-15", "by: 2026-06-15")
            .replace("by: 2026-02-27", "by: 2026-05-29"))


def test_ended_and_not_started_plans_are_warnings_with_exit_0(tmp_path):
    root = workspace(tmp_path, ok_plan())
    plan = root / "plan.yaml"
    during = check(root, "2026-04-01T00:00:00Z")
    assert (during.exit_code, during.stderr) == (0, "")
    assert during.stdout.startswith("ok: deskplan.toml (1 sources), plan.yaml (3 goals")

    # 30 June 23:59 in Shanghai is the plan's last minute; 1 July 00:00 there (16:00 UTC) it has ended.
    last_minute = check(root, "2026-06-30T15:59:00Z")
    assert (last_minute.exit_code, last_minute.stderr) == (0, "")
    ended = check(root, "2026-06-30T16:00:00Z")
    assert ended.exit_code == 0
    assert ended.stderr.splitlines() == [
        f"{plan}:5:8: warning: the plan sip ended on 2026-06-30 (1 day ago, today is 2026-07-01): its goals are "
        "measured and written back against all the same; give plan.yaml a new `end`, or a new plan",
    ]
    assert ended.stdout.startswith("ok: ")

    early = check(root, "2026-02-20T03:00:00Z")
    assert early.exit_code == 0
    assert early.stderr.splitlines() == [
        f"{plan}:4:10: warning: the plan sip starts on 2026-03-02 (in 10 days, today is 2026-02-20): no window of "
        "it has closed, so there is nothing to measure yet",
    ]


def test_sync_says_once_that_the_plan_has_ended(tmp_path, monkeypatch):
    root = workspace(tmp_path, ok_plan())
    (root / "deskplan.toml").write_text(CONFIG + '[state]\npath = "state.db"\n', encoding="utf-8")
    from deskplan.app import sync as sync_module
    from deskplan.app.sync import SyncResult

    seen = {}

    def fake_run_sync(config, **kwargs):
        from deskplan.app.plandates import sync_note
        from deskplan.clock import now
        from deskplan.rules.load import load_workspace

        seen["called"] = True
        return SyncResult([], dry_run=False, plan_note=sync_note(load_workspace(config.workspace), now()))

    monkeypatch.setattr(sync_module, "run_sync", fake_run_sync)
    result = CliRunner().invoke(cli, ["sync", "--workspace", str(root), "--json"],
                                env={"DESKPLAN_NOW": "2026-09-01T00:00:00Z"}, catch_exceptions=False)
    assert seen and result.exit_code == 0
    assert result.stderr.splitlines() == [
        "warning: the plan sip ended on 2026-06-30 (63 days ago, today is 2026-09-01): its goals are measured and "
        "written back against all the same; give plan.yaml a new `end`, or a new plan",
    ]
    assert result.stdout == ""


# --- deskplan init: the example dated around today --------------------------------------------

def test_init_dates_the_example_plan_from_today(tmp_path):
    target = tmp_path / "sip"
    result = CliRunner().invoke(cli, ["init", str(target)], env={"DESKPLAN_NOW": "2026-12-06T09:00:00Z"},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = load_yaml(target / "plan.yaml")
    assert doc.get(("plan",)) | {"calendar": None} == {
        "id": "sip-2026-11", "title": "Customer service improvement plan, November 2026 to April 2027",
        "start": date(2026, 11, 1), "end": date(2027, 4, 30), "calendar": None,
    }
    assert [g["by"] for g in doc.get(("goals",))] == [
        date(2027, 1, 31), date(2027, 1, 31), date(2027, 2, 28), date(2027, 4, 30), date(2026, 12, 31),
        date(2027, 4, 30),
    ]
    assert [(m["start"], m["end"]) for m in doc.get(("milestones",))] == [
        (date(2026, 11, 1), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 2, 28)),
        (date(2027, 3, 1), date(2027, 4, 30)),
    ]
    # Days off are real days, not the plan's: they stay.
    assert doc.get(("calendars", "support-hours", "holidays", "dates")) == [date(2026, 12, 24)]
    # The newcomer's first check: no warning, the plan is under way.
    check_result = check(target, "2026-12-06T09:00:00Z")
    assert (check_result.exit_code, check_result.stderr) == (0, "")


def test_init_changes_only_the_dates_id_and_title(tmp_path):
    packaged = example_files()[PLAN].splitlines(keepends=True)
    dated = example_files(date(2027, 1, 15))[PLAN].splitlines(keepends=True)
    assert len(dated) == len(packaged)
    changed = [(old, new) for old, new in zip(packaged, dated, strict=True) if old != new]
    # Each changed line differs only in its value: the key, the indentation and any comment stay.
    for old, new in changed:
        assert old.split(":")[0] == new.split(":")[0], (old, new)
    assert ("  start: 2026-01-05\n", "  start: 2026-12-01\n") in changed
    assert ("  end: 2026-06-30\n", "  end: 2027-05-31\n") in changed
    assert sorted({old.strip().split(":")[0] for old, _ in changed}) == ["by", "end", "id", "start", "title"]


# --- the in-place editor ---------------------------------------------------------------------------

EDITED = """\
# a comment that stays
goals:
  - id: a                 # aligned comment
    metric: csat
    baseline: "85%"
    target:   90%
  - {id: b, metric: csat, target: 90%}
  - id: c
    baseline:
    target: 90%
  - target: 80%
"""


def test_edit_replaces_values_and_inserts_missing_keys_keeping_every_other_byte():
    out = edit_scalars(EDITED, [
        Edit(("goals", 0, "baseline"), "80.5%", before="target"),
        Edit(("goals", 1, "baseline"), "70%", before="target"),
        Edit(("goals", 2, "baseline"), "60%", before="target"),
        Edit(("goals", 3, "baseline"), "50%", before="target"),
    ], "plan.yaml")
    assert out == """\
# a comment that stays
goals:
  - id: a                 # aligned comment
    metric: csat
    baseline: 80.5%
    target:   90%
  - {id: b, metric: csat, baseline: 70%, target: 90%}
  - id: c
    baseline: 60%
    target: 90%
  - baseline: 50%
    target: 80%
"""


def test_edit_refuses_a_value_shared_through_an_anchor():
    text = "shared: &s {target: 90%, baseline: 80%}\ngoals:\n  - *s\n"
    with pytest.raises(EditError, match=r"goals\.0\.baseline cannot be changed in place"):
        edit_scalars(text, [Edit(("goals", 0, "baseline"), "70%", before="target")], "plan.yaml")
    with pytest.raises(EditError, match="no `target` to put it before"):
        edit_scalars("goals:\n  - {id: a}\n", [Edit(("goals", 0, "baseline"), "70%", before="target")], "p")

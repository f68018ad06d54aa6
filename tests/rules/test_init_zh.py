"""`deskplan init --lang zh-CN`: the Chinese twin of the example workspace. Same files and ids
as the English one, its words in Chinese, `language: zh-CN`, and it passes check and its tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from deskplan.cli import cli
from deskplan.rules.load import load_workspace

HAN = re.compile(r"[\u4e00-\u9fff]")


def init(target: Path, *lang: str):
    result = CliRunner().invoke(cli, ["init", *lang, str(target)], env={"DESKPLAN_NOW": "2026-12-06T09:00:00Z"},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_the_chinese_example_is_the_english_one_in_chinese(tmp_path):
    en, zh = tmp_path / "en", tmp_path / "zh"
    english = init(en).stdout.replace(str(en), "")
    assert init(zh, "--lang", "zh-CN").stdout.replace(str(zh), "") == english
    a, b = load_workspace(en), load_workspace(zh)
    assert (a.plan.language, b.plan.language) == ("en", "zh-CN")
    assert b.plan.plan.title == "客户服务改进计划，2026年11月至2027年4月"
    assert a.plan.plan.title == "Customer service improvement plan, November 2026 to April 2027"

    def ids(ws):
        plan = ws.plan
        return ([g.id for g in plan.goals], [m.id for m in plan.measures], [m.id for m in plan.milestones],
                [c.id for c in plan.cadence], [r.id for r in ws.rules], plan.plan.id, plan.plan.start)

    assert ids(a) == ids(b)
    titles = [g.title for g in b.plan.goals] + [m.title for m in b.plan.measures] + [
        m.title for m in b.plan.milestones] + [c.title for c in b.plan.cadence]
    assert all(HAN.search(t) for t in titles), titles
    assert sorted(b.plan.owners or {}) == ["产品部", "客户服务部", "市场部", "技术部", "服务经理"]
    schema = json.loads((zh / "deskplan.schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["PlanFile"]["properties"]["language"]["enum"] == ["en", "zh-CN"]
    for name in ("deskplan.toml", "rules/feedback.yaml", "rules/tests/examples.yaml"):
        assert HAN.search((zh / name).read_text(encoding="utf-8")[:300]), name      # the opening comment


def test_the_chinese_example_passes_check_and_its_rule_tests(tmp_path):
    init(tmp_path, "--lang", "zh-CN")
    runner = CliRunner()
    check = runner.invoke(cli, ["check", "--workspace", str(tmp_path)])
    assert check.exit_code == 0, check.output
    tests = runner.invoke(cli, ["rules", "test", "--workspace", str(tmp_path)])
    assert tests.exit_code == 0, tests.output
    assert tests.stdout.splitlines()[-1] == "6 passed, 0 failed"
    assert "PASS  关于客服态度恶劣的差评成为 48 小时后到期的跟进任务" in tests.stdout


def test_an_unknown_language_is_refused(tmp_path):
    result = CliRunner().invoke(cli, ["init", "--lang", "fr", str(tmp_path / "x")])
    assert result.exit_code == 2 and "'fr' is not one of 'en', 'zh-CN'" in result.output
    assert not (tmp_path / "x").exists()


def test_an_unknown_plan_language_is_named_with_the_choices(tmp_path):
    init(tmp_path, "--lang", "zh-CN")
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("language: zh-CN", "language: zh-TW"), encoding="utf-8")
    line = next(i for i, text in enumerate(plan.read_text(encoding="utf-8").splitlines(), 1) if "zh-TW" in text)
    check = CliRunner().invoke(cli, ["check", "--workspace", str(tmp_path)])
    assert check.exit_code == 2
    assert f"plan.yaml:{line}:11: language: unknown value 'zh-TW' (did you mean 'zh-CN'?); expected one of: en, zh-CN" \
        in check.output

"""`deskplan init`, `check`, `rules test` and `schema` on the shipped example workspace."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from deskplan.cli import cli
from deskplan.rules.yamlload import load_yaml

EXAMPLE_FILES = [
    "deskplan.schema.json", "deskplan.toml", "plan.yaml", "rules/feedback.yaml", "rules/routing.yaml",
    "rules/sla.yaml", "rules/tests/examples.yaml",
]


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "sip"
    result = invoke("init", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"wrote {target / name}" for name in EXAMPLE_FILES]
    return target


def test_init_output_passes_check_and_its_rule_tests(example):
    check = invoke("check", "--workspace", str(example))
    assert check.exit_code == 0, check.output
    assert check.stdout.strip() == (
        "ok: deskplan.toml (2 sources), plan.yaml (6 goals, 5 measures, 3 milestones, 1 calendars), "
        "11 rules in 3 files, 6 rule tests"
    )
    tests = invoke("rules", "test", "--workspace", str(example))
    assert tests.exit_code == 0, tests.output
    assert tests.stdout.splitlines()[-1] == "6 passed, 0 failed"


def test_workspace_can_come_from_the_environment(example, monkeypatch):
    monkeypatch.setenv("DESKPLAN_WORKSPACE", str(example))
    assert invoke("check").exit_code == 0


def test_example_files_carry_the_schema_modeline(example):
    for name in EXAMPLE_FILES:
        if name.endswith(".yaml"):
            depth = name.count("/")
            first = (example / name).read_text(encoding="utf-8").splitlines()[0]
            assert first == f"# yaml-language-server: $schema={'../' * depth}deskplan.schema.json", name


def test_init_never_overwrites(tmp_path):
    (tmp_path / "plan.yaml").write_text("mine\n")
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"deskplan: not overwriting existing files ({tmp_path}/plan.yaml); nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.yaml"]
    assert (tmp_path / "plan.yaml").read_text() == "mine\n"


def test_check_reports_every_file_and_exits_2(example):
    toml = example / "deskplan.toml"
    toml.write_text(toml.read_text().replace('kind = "jira"', 'kind = "jria"'))
    sla = example / "rules" / "sla.yaml"
    sla.write_text(sla.read_text().replace("priority: high", "prority: high"))
    result = invoke("check", "--workspace", str(example))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{example}/deskplan.toml:29:1: sources.1.kind: Input should be 'zendesk' or 'jira'",
        f"{example}/rules/sla.yaml:20:11: rule high-priority: unknown field 'prority' (did you mean 'priority'?)",
    ]


def _plain(value):
    """What an editor's YAML server hands the schema: dates and times are strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def test_schema_is_valid_json_schema_and_accepts_the_examples(example):
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert json.loads((example / "deskplan.schema.json").read_text()) == schema
    validator = jsonschema.Draft202012Validator(schema)
    for name in EXAMPLE_FILES:
        if name.endswith(".yaml"):
            data = _plain(load_yaml(example / name).data)
            assert list(validator.iter_errors(data)) == [], name


@pytest.mark.parametrize("document, error", [
    ({"rules": [{"id": "r", "when": {"status": "open"}, "then": {"measrue": "M1"}}]},
     "Additional properties are not allowed ('measrue' was unexpected)"),
    ({"rules": [{"id": "r", "when": {"tags": {"contain": "vip"}}, "then": {"measure": "M1"}}]},
     "{'contain': 'vip'} is not valid under any of the given schemas"),
    ({"rules": [{"id": "r", "when": {"all": [{"status": "clsed"}]}, "then": {"measure": "M1"}}]},
     "'clsed' is not valid under any of the given schemas"),
    ({"rules": [{"id": "r", "when": {"status": "open"}, "then": {"sla": {"first_reply": "30x"}}}]},
     "{'first_reply': '30x'} is not valid under any of the given schemas"),
    ({"plan": {"id": "p", "title": "t", "start": "2026-01-01", "end": "2026-02-01"},
      "goals": [{"id": "g", "metric": "cast", "target": "90%", "by": "2026-03-01"}]},
     "'cast' is not one of ['first_reply_within', 'resolution_within', 'first_contact_resolution', 'csat', "
     "'complaint_rate', 'feedback_response_within']"),
    ({"tests": [{"name": "n", "ticket": {"statu": "open"}, "expect": {"rules_fired": []}}]},
     "Additional properties are not allowed ('statu' was unexpected)"),
])
def test_schema_catches_typos_while_typing(document, error):
    validator = jsonschema.Draft202012Validator(json.loads(invoke("schema").stdout))
    assert [e.message for e in validator.iter_errors(document)] == [error]


def test_every_command_has_help_with_an_example():
    for args in (["check"], ["schema"], ["init"], ["rules", "test"], ["explain"]):
        result = invoke(*args, "--help")
        assert result.exit_code == 0
        assert "Example: deskplan " in result.stdout, args

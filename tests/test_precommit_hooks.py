"""`.pre-commit-hooks.yaml`: the hooks a rules repository uses are well formed (the keys
pre-commit's manifest knows, the ids the README names), run a console script deskplan installs,
fire on the workspace's files only, and pass on the example workspace."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from deskplan.cli import cli
from deskplan.workspace.init import init_workspace

ROOT = Path(__file__).resolve().parents[1]
# The keys of a hook in pre-commit's manifest (pre-commit.com, "Creating new hooks")
MANIFEST_KEYS = {"id", "name", "entry", "language", "alias", "files", "exclude", "types", "types_or",
                 "exclude_types", "always_run", "fail_fast", "verbose", "pass_filenames", "require_serial",
                 "description", "language_version", "minimum_pre_commit_version", "args", "stages",
                 "additional_dependencies", "log_file"}
REQUIRED = {"id", "name", "entry", "language"}


def hooks() -> list[dict]:
    return YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def scripts() -> dict[str, str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]


def test_the_manifest_lists_the_two_hooks_in_pre_commits_shape():
    found = hooks()
    assert [hook["id"] for hook in found] == ["deskplan-check", "deskplan-rules-test"]
    for hook in found:
        assert REQUIRED <= set(hook) <= MANIFEST_KEYS, hook
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert all(isinstance(hook[key], str) and hook[key] for key in REQUIRED)


@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: hook["id"])
def test_each_entry_is_a_deskplan_command(hook):
    program, *args = shlex.split(hook["entry"])
    assert program in scripts()
    assert scripts()[program] == "deskplan.cli:main"
    run = CliRunner().invoke(cli, [*args, "--help"])
    assert run.exit_code == 0, run.output


@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: hook["id"])
@pytest.mark.parametrize(("path", "fires"), [
    ("deskplan.toml", True), ("plan.yaml", True), ("plan.yml", True), ("rules/routing.yaml", True),
    ("rules/tests/routing.yaml", True), ("sip/plan.yaml", True), ("sip/rules/feedback.yml", True),
    ("README.md", False), ("rules/notes.txt", False), ("myplan.yaml", False), ("other/deskplan.toml.bak", False),
])
def test_each_hook_fires_on_the_workspace_files_only(hook, path, fires):
    # pre-commit searches `files` in each path relative to the repository's root
    assert bool(re.search(hook["files"], path)) is fires


@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: hook["id"])
def test_each_hook_passes_on_the_example_workspace_from_its_root(hook, tmp_path, monkeypatch):
    init_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)
    _, *args = shlex.split(hook["entry"])

    run = CliRunner().invoke(cli, args, env={"DESKPLAN_WORKSPACE": None, "DESKPLAN_NOW": "2026-03-02T09:00:00Z"})

    assert run.exit_code == 0, run.output


def test_deskplan_check_as_a_hook_fails_on_a_broken_rule(tmp_path, monkeypatch):
    init_workspace(tmp_path)
    rules = tmp_path / "rules" / "routing.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("measure: M1", "measure: M99", 1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    run = CliRunner().invoke(cli, ["check"], env={"DESKPLAN_WORKSPACE": None, "DESKPLAN_NOW": "2026-03-02T09:00:00Z"})

    assert run.exit_code == 2
    assert "rules/routing.yaml:" in run.stderr and "M99" in run.stderr

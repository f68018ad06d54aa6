"""The simulators stand apart from the code they test: `deskplan_sandbox` imports nothing from
deskplan, and its own modules import each other without cycles. deskplan runs without them;
`deskplan sandbox` and `deskplan demo` say how to install them when they are missing.

The imports are read from the source with `ast`, function-local ones included, so neither a
dependency on deskplan nor a cycle can hide behind an import placed inside a function.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import deskplan
import deskplan_sandbox
from deskplan.app.demo import run_demo
from deskplan.app.sandbox import MISSING
from deskplan.cli import cli
from deskplan.errors import ConfigError
from tests.test_layers import import_cycles

PACKAGE = Path(deskplan_sandbox.__file__).resolve().parent
TOP = "deskplan_sandbox"


def module_name(path: Path) -> str:
    parts = [TOP, *path.relative_to(PACKAGE).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> set[str]:
    """Every module name `name` imports, at any depth of its code (relative imports resolved;
    `from pkg import x` counts as importing `pkg.x` when that is one of our modules)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.update(f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names)
    return found


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def test_the_package_is_found_outside_deskplan() -> None:
    assert "deskplan_sandbox.zendesk.app" in MODULES and "deskplan_sandbox.jira.app" in MODULES
    assert "deskplan" not in PACKAGE.parts[-3:], PACKAGE


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_nothing_from_deskplan(name: str) -> None:
    wrong = sorted(t for t in GRAPH[name] if t == "deskplan" or t.startswith("deskplan."))
    assert not wrong, f"{name} imports {', '.join(wrong)}: the simulators must stand apart from deskplan"


def test_no_import_cycles() -> None:
    cycles = import_cycles({name: {t for t in GRAPH[name] if t in MODULES} for name in MODULES})
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_importing_every_module_loads_no_deskplan_module() -> None:
    # What the source says, checked once more at run time in a fresh interpreter.
    code = ("import importlib, sys\n"
            f"for name in {sorted(MODULES)!r}:\n"
            "    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m == 'deskplan' or m.startswith('deskplan.')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_checker_sees_function_local_and_relative_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from deskplan.app import sync\n    from . import server\n"
                      "    import deskplan\n")
    assert imported("deskplan_sandbox.m", module) == {"deskplan.app", "deskplan_sandbox.server", "deskplan"}


# --- deskplan without the simulators -------------------------------------------------------

@pytest.fixture
def no_simulators(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if deskplan-sandbox were not installed: `import deskplan_sandbox` fails."""
    for name in [m for m in sys.modules if m.startswith("deskplan_sandbox.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "deskplan_sandbox", None)


def test_the_message_says_how_to_install_them() -> None:
    assert MISSING == "the simulators are a separate distribution: pip install ./sandbox (from a deskplan checkout)"


def test_deskplan_sandbox_says_how_to_install_the_simulators(no_simulators: None) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--kind", "zendesk", "--port", "0"])
    assert result.exit_code == 2, result.output
    assert f"deskplan: {MISSING}" in result.output
    assert "Traceback" not in result.output


def test_deskplan_demo_says_how_to_install_the_simulators_and_writes_nothing(no_simulators: None,
                                                                           tmp_path: Path) -> None:
    root = tmp_path / "demo"
    with pytest.raises(ConfigError, match=r"pip install \./sandbox") as caught:
        run_demo(root, tickets={"zendesk": 5, "jsm": 5}, environ={"DESKPLAN_NOW": "2026-03-02T09:00:00Z"})
    assert str(caught.value) == MISSING
    assert not root.exists()
    result = CliRunner().invoke(cli, ["demo", "--workspace", str(root)], env={"DESKPLAN_NOW": "2026-03-02T09:00:00Z"})
    assert result.exit_code == 2 and f"deskplan: {MISSING}" in result.output
    assert not root.exists()


def test_every_deskplan_module_imports_without_the_simulators() -> None:
    # In a fresh interpreter where `import deskplan_sandbox` fails: no deskplan module needs it to load.
    src = Path(deskplan.__file__).resolve().parents[1]
    names = sorted(".".join(p.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
                   for p in (src / "deskplan").rglob("*.py") if p.name != "__main__.py")
    code = ("import importlib, sys\n"
            "sys.modules['deskplan_sandbox'] = None\n"
            f"for name in {names!r}:\n"
            "    importlib.import_module(name)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

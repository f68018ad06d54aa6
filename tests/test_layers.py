"""The packages import only downwards (docs/design.md, "Layers").

The import graph is read from the source with `ast`, function-local imports included, so a
cycle cannot hide behind an import placed inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A module may import from its own package and from packages of lower layers;
# packages that share a layer never import each other.
# The modules of the first layer (the vocabulary every layer shares) and of the last (the
# command line) count as one package each.
FOUNDATION = ["deskplan", "deskplan.errors", "deskplan.clock", "deskplan.gcpause", "deskplan.model",
              "deskplan.effects", "deskplan.config", "deskplan.i18n"]
COMMAND_LINE = ["deskplan.cli", "deskplan.__main__"]
LAYERS: list[list[str]] = [
    FOUNDATION,
    ["deskplan.transport", "deskplan.state"],
    ["deskplan.rules"],
    ["deskplan.kpi", "deskplan.workspace"],
    ["deskplan.adapters", "deskplan.writes"],
    ["deskplan.app"],
    COMMAND_LINE,
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(top: str) -> dict[str, Path]:
    return {module_name(p): p for p in (SRC / top).rglob("*.py")}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `name` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from pkg import submodule` imports the submodule; `from mod import name` the module
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in known)
    return found


def layer_of(module: str) -> tuple[int, str]:
    best: tuple[int, str] | None = None
    for number, packages in enumerate(LAYERS):
        for package in packages:
            inside = module == package or (package != "deskplan" and module.startswith(package + "."))
            if inside and (best is None or len(package) > len(best[1])):
                best = (number, package)
    assert best is not None, f"{module} belongs to no layer: add it to LAYERS and to docs/design.md"
    number, package = best
    if package in FOUNDATION:
        return number, "foundation"
    if package in COMMAND_LINE:
        return number, "command line"
    return best


GRAPH = {name: imports(name, path, set(modules("deskplan"))) for name, path in modules("deskplan").items()}


def test_every_module_belongs_to_a_layer() -> None:
    for name in GRAPH:
        layer_of(name)


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_go_only_downwards(name: str) -> None:
    layer, package = layer_of(name)
    wrong = []
    for target in sorted(GRAPH[name]):
        target_layer, target_package = layer_of(target)
        if target_package == package:
            continue
        if target_layer >= layer:
            wrong.append(f"{target} ({target_package}, layer {target_layer})")
    assert not wrong, f"{name} ({package}, layer {layer}) imports upwards or sideways: {', '.join(wrong)}"


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first search meets: a module met again while still on the stack."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(t for t in graph[node] if t in graph):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_import_cycles() -> None:
    cycles = import_cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_function_local_and_relative_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from deskplan.app import sync\n    from . import x\n")
    known = {"deskplan.app", "deskplan.app.sync", "deskplan.state", "deskplan.state.x"}
    # pretend the file is deskplan/state/m.py
    assert imports("deskplan.state.m", module, known) == {"deskplan.app.sync", "deskplan.state.x"}


def test_the_cycle_search_finds_a_cycle() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []

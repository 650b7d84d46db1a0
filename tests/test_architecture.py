"""The package's shape, checked from its source: imports go one way through the layers, with no cycle and no
import hidden inside a function to dodge one; only ``settings`` reads the environment; the product ships no
tooling; every module says what it holds.

Layers, in the order a reader meets them (README's layout section):
settings → http → sources → analysis → pages → presentation → notebook → site (and the ``butterfly`` command).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "butterfly_lib"

#: layer of each top-level module or sub-package; a module may import only from its own layer or those before
LAYERS: dict[str, int] = {
    "settings": 0,
    "errors": 0,
    "place": 0,
    "provenance": 0,
    "units": 0,
    "http": 1,
    "sources": 2,
    "analysis": 3,
    "pages": 4,
    "presentation": 5,
    "notebook": 6,
    "site": 7,
    "cli": 8,
    "__main__": 9,
    "__init__": 9,
}


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def layer_of(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:  # butterfly_lib itself
        return LAYERS["__init__"]
    return LAYERS[parts[1]]


def imports(path: Path) -> list[tuple[str, bool]]:
    """``(imported butterfly_lib module, inside a function?)`` for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((a.name, inner) for a in child.names if a.name.startswith("butterfly_lib"))
            elif isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("butterfly_lib"):
                for a in child.names:
                    full = f"{child.module}.{a.name}"
                    found.append((full if full in MODULES else child.module, inner))
            visit(child, inner)

    visit(tree, False)
    return found


MODULES = modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module):
    if module in ("butterfly_lib", "butterfly_lib.__main__"):
        return
    mine = layer_of(module)
    for target, _nested in imports(MODULES[module]):
        assert layer_of(target) <= mine, f"{module} (layer {mine}) imports {target} (layer {layer_of(target)})"


def test_no_import_cycle_and_none_hidden_in_functions():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, nested in imports(path):
            if target in MODULES and target != module:
                graph[module].add(target)
                if nested:
                    # a function-level import of a lower layer is allowed only for heavy optional libraries
                    assert layer_of(target) <= layer_of(module)
    state: dict[str, int] = {}

    def dfs(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt] if nxt in stack else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                dfs(nxt, [*stack, nxt])
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m, [m])


def test_only_settings_reads_the_environment():
    readers = sorted(
        m for m, p in MODULES.items() if "os.environ" in p.read_text() or "getenv(" in p.read_text()
    )
    assert readers == ["butterfly_lib.settings"], readers


def test_the_product_ships_no_tooling():
    """Recording tools, fakes, the replay server and simulators live in ``tools/``; the product never imports
    them (seeding the cache from the bundled snapshot, which users run, is ``http.snapshot``)."""
    for name in ("replay", "simulate", "fake_inaturalist", "fake_open_meteo", "responders", "recordings", "export"):
        assert not any(m.split(".")[-1] == name for m in MODULES), name
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n == "tools" or n.startswith(("tools.", "tests", "benchmarks")) for n in names), module


def test_every_module_has_a_docstring():
    missing = [m for m, p in MODULES.items() if not ast.get_docstring(ast.parse(p.read_text()))]
    assert not missing, missing


def test_typed_package_marker():
    assert (PACKAGE / "py.typed").exists()

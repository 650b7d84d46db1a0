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


def _const(node: ast.AST, *values: float) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value in values


def _converts_by_hand(node: ast.AST) -> bool:
    """The factor 1.8, a 9/5 or 5/9 (also as ``x * 9 / 5``), or adding or subtracting 32."""
    if isinstance(node, ast.Constant):
        return type(node.value) is float and node.value == 1.8
    if not isinstance(node, ast.BinOp):
        return False
    if isinstance(node.op, ast.Add | ast.Sub):
        return _const(node.left, 32) or _const(node.right, 32)
    if not isinstance(node.op, ast.Div) or not _const(node.right, 5, 9):
        return False
    left = node.left
    factor = left.right if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Mult) else left
    pair = {factor.value, node.right.value} if isinstance(factor, ast.Constant) and isinstance(node.right, ast.Constant) else set()
    return pair == {9, 5}


def _unit_arithmetic(tree: ast.AST) -> list[int]:
    """Lines of ``tree`` doing °C/°F arithmetic by hand."""
    return sorted(getattr(node, "lineno", 0) for node in ast.walk(tree) if _converts_by_hand(node))


def test_unit_arithmetic_lives_in_units_only():
    """°C/°F conversions are ``butterfly_lib.units`` functions; nothing else converts by hand (package and tools)."""
    tools = PACKAGE.parent / "tools"
    found = {}
    for path in [*PACKAGE.rglob("*.py"), *tools.rglob("*.py")]:
        if path == PACKAGE / "units.py":
            continue
        lines = _unit_arithmetic(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[str(path.relative_to(PACKAGE.parent))] = lines
    assert not found, f"°C/°F arithmetic outside butterfly_lib/units.py: {found}"
    assert _unit_arithmetic(ast.parse("f = c * 9 / 5 + 32\nc = (f - 32) * 5 / 9\nd = x * 1.8")) == [1, 1, 2, 2, 3]

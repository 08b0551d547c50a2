"""The core's modules form layers with no cycle, and the core names no plugin or preset.

Every import of every module under ``artgan/`` counts: at module scope, inside functions and
under ``TYPE_CHECKING``. A module may import modules of its own layer or of a lower one,
never of a higher one, and the graph has no cycle.

Print the graph (``module -> imports``), with any cycle and upward import::

    python tests/test_layers.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "artgan"

#: Lowest first. A module not listed here fails the test: place every new module.
LAYERS: list[tuple[str, ...]] = [
    ("artgan.errors", "artgan._version"),
    ("artgan.plugin", "artgan.outputs", "artgan.config"),
    ("artgan.images", "artgan.memory", "artgan.files", "artgan.writers", "artgan.checkpoint", "artgan.runlock", "artgan.crops", "artgan.labels",
     "artgan.nn", "artgan.metrics"),
    ("artgan.registry", "artgan.presets", "artgan.engine", "artgan.inference"),
    ("artgan.api",),
    ("artgan.cli", "artgan.testing", "artgan.__main__", "artgan", "artgan.studio"),
]


def module_name(path: Path, root: Path = CORE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = CORE) -> set[str]:
    """Every ``artgan`` module ``path`` imports, wherever the import statement stands."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from artgan import checkpoint` imports the submodule artgan.checkpoint, not the package's names
            submodules = {f"{module}.{alias.name}" for alias in node.names if _is_module(f"{module}.{alias.name}", root)}
            found |= submodules
            if len(submodules) < len(node.names):
                found.add(module)
    return {_known(m, root) for m in found if m == "artgan" or m.startswith("artgan.")} - {name}


def _is_module(module: str, root: Path) -> bool:
    candidate = root.parent.joinpath(*module.split("."))
    return candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists()


def _known(module: str, root: Path) -> str:
    """The longest prefix of ``module`` that is a module of the core."""
    parts = module.split(".")
    while len(parts) > 1:
        candidate = root.parent.joinpath(*parts)
        if candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists():
            return ".".join(parts)
        parts.pop()
    return "artgan"


def module_graph(root: Path = CORE) -> dict[str, set[str]]:
    return {module_name(p, root): imports_of(p, root) for p in sorted(root.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    best = None
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if module == prefix or (prefix != "artgan" and module.startswith(prefix + ".")):
                best = index
    return best


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in graph.items():
        own = layer_of(module)
        if own is None:
            problems.append(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
            continue
        for target in sorted(targets):
            other = layer_of(target)
            if other is None:
                problems.append(f"{module} imports {target}, which is in no layer")
            elif other > own:
                problems.append(f"{module} (layer {own}) imports {target} (layer {other})")
    return problems


# --------------------------------------------------------------------------- tests
def test_the_core_has_no_import_cycle():
    assert cycles(module_graph()) == []


def test_no_module_imports_a_higher_layer():
    assert upward_imports(module_graph()) == []


def test_the_check_fails_on_a_cycle_and_on_an_upward_import(tmp_path):
    core = tmp_path / "artgan"
    core.mkdir()
    (core / "__init__.py").write_text("")
    (core / "errors.py").write_text("def f():\n    from artgan import plugin\n")  # upward, inside a function
    (core / "plugin.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from artgan.errors import X\n")
    graph = module_graph(core)
    assert graph["artgan.errors"] == {"artgan.plugin"}
    assert cycles(graph) == [["artgan.errors", "artgan.plugin"]]
    assert upward_imports(graph) == ["artgan.errors (layer 0) imports artgan.plugin (layer 1)"]


if __name__ == "__main__":
    graph = module_graph()
    for module, targets in graph.items():
        print(f"{module} -> {', '.join(sorted(targets)) or '-'}")
    for group in cycles(graph):
        print("cycle:", " ↔ ".join(group))
    for problem in upward_imports(graph):
        print("upward:", problem)
    sys.exit(1 if cycles(graph) or upward_imports(graph) else 0)

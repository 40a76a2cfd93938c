"""The import rules of docs/architecture.md, checked on the source with ``ast``.

Every ``.py`` file of the product packages is parsed (nothing is imported, so a
missing optional dependency cannot hide an edge) and every ``import`` statement,
including the ones inside functions, becomes an edge of the module graph. The
rules:

* ``shop`` (the Rasa-free core) imports only ``shop``, the standard library and
  third-party packages: never an outer package of this project.
* No product package imports ``tests`` or ``harness`` (the test harness that starts the
  servers; tests, benchmarks and scripts use it), and ``harness`` imports no ``tests``.
* No import cycle among the project's modules, lazy imports included: a lazy
  import is still a dependency, only one that hides the cycle from Python.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCT_PACKAGES = (
    "shop",
    "actions",
    "console",
    "web",
    "channels",
    "ops",
    "catalog_index",
    "nlu_components",
    "text_encoder",
)

#: Parsed too, under its own rule: it may import product packages, never ``tests``.
HARNESS = "harness"

# Top-level names that belong to this project (anything else is stdlib or third-party).
PROJECT_TOP_LEVEL = frozenset(PRODUCT_PACKAGES) | {HARNESS, "tests", "benchmarks", "scripts"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _product_files() -> Iterator[Path]:
    for package in (*PRODUCT_PACKAGES, HARNESS):
        yield from sorted((ROOT / package).rglob("*.py"))


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imported_names(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """Yield (module imported, line) for every import statement in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop] if drop else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                # `from pkg import mod` depends on the module pkg.mod, not only on pkg.
                candidate = f"{target}.{alias.name}"
                if target.split(".")[0] in PROJECT_TOP_LEVEL and _is_module(candidate):
                    yield candidate, node.lineno
                else:
                    yield target, node.lineno


def _graph() -> dict[str, dict[str, tuple[str, int]]]:
    """Module -> {imported project module: (file, line)}."""
    graph: dict[str, dict[str, tuple[str, int]]] = {}
    for path in _product_files():
        module = _module_name(path)
        edges = graph.setdefault(module, {})
        for target, line in _imported_names(path, module):
            if target.split(".")[0] in PROJECT_TOP_LEVEL and target != module:
                edges.setdefault(target, (str(path.relative_to(ROOT)), line))
    return graph


def _violations(graph: dict[str, dict[str, tuple[str, int]]], rule) -> list[str]:
    found = []
    for module, edges in sorted(graph.items()):
        for target, (file, line) in sorted(edges.items()):
            if rule(module, target):
                found.append(f"{file}:{line}: {module} imports {target}")
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def _cycles(graph: dict[str, dict[str, tuple[str, int]]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, {}):
            if succ not in graph:
                continue
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _describe(component: list[str], graph: dict[str, dict[str, tuple[str, int]]]) -> str:
    members = set(component)
    edges = [
        f"  {file}:{line}: {module} -> {target}"
        for module in component
        for target, (file, line) in sorted(graph[module].items())
        if target in members
    ]
    return " <-> ".join(component) + "\n" + "\n".join(edges)


def test_the_graph_sees_every_product_package() -> None:
    graph = _graph()
    assert {_top(module) for module in graph} == {*PRODUCT_PACKAGES, HARNESS}
    # A known edge, so a parser that finds nothing cannot pass the rules below.
    assert "shop.db.models" in graph["shop.orders"]


def test_shop_imports_only_shop_and_third_party() -> None:
    violations = _violations(
        _graph(), lambda module, target: _top(module) == "shop" and _top(target) != "shop"
    )
    assert violations == [], "shop must not import an outer package:\n" + "\n".join(violations)


def test_no_product_package_imports_tests() -> None:
    violations = _violations(_graph(), lambda module, target: _top(target) == "tests")
    assert violations == [], "product code and the harness must not import tests:\n" + "\n".join(violations)


def test_no_product_package_imports_the_harness() -> None:
    violations = _violations(
        _graph(), lambda module, target: _top(module) != HARNESS and _top(target) == HARNESS
    )
    assert violations == [], "product code must not import harness:\n" + "\n".join(violations)


def test_no_import_cycles_between_modules() -> None:
    graph = _graph()
    cycles = _cycles(graph)
    assert cycles == [], "import cycles:\n" + "\n".join(_describe(c, graph) for c in cycles)

"""No two packages of kb import each other, not even through an import inside a function.

The graph is built from the source (every ``import`` and ``from ... import`` anywhere in a
module, relative ones resolved) at package level: ``kb.articles.views`` importing
``kb.search.service`` is an edge ``kb.articles -> kb.search``. Top-level modules of ``kb``
(``kb.extensions``, ``kb.web``, ...) are shared plumbing, nodes of their own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

KB = Path(__file__).resolve().parents[2] / "kb"

# Known cycles, each as the one import edge that closes it, ignored by the cycle test (and
# checked to still exist, so that a fixed one leaves the list). None today: keep it that way.
KNOWN_CYCLE_EDGES: list[tuple[str, str]] = []


def _module_name(path: Path, root: Path = KB) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _node(module: str) -> str:
    """The package a module belongs to: ``kb.<first part>`` (the migrations are not code)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def _imports(path: Path, root: Path = KB) -> Iterator[str]:
    """Every module that the file at ``path`` (in the package at ``root``) imports, anywhere in it."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # ``from kb import search`` imports the package kb.search.
            yield from (f"{target}.{alias.name}" for alias in node.names)


def package_graph() -> dict[str, set[str]]:
    """Edges between kb's packages, from every import in every module (migrations aside)."""
    packages = {_node(_module_name(path)) for path in KB.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in KB.rglob("*.py"):
        if "migrations" in path.relative_to(KB).parts:
            continue
        source = _node(_module_name(path))
        for target in _imports(path):
            if not target.startswith("kb.") or source == "kb":
                continue
            node = _node(target)
            if node in packages and node != source:
                graph.setdefault(source, set()).add(node)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Groups of packages that reach each other (Tarjan), the cycles of the graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _describe(group: set[str], graph: dict[str, set[str]]) -> str:
    edges = sorted(f"{a} -> {b}" for a in group for b in graph.get(a, ()) if b in group)
    return f"{sorted(group)}: {', '.join(edges)}"


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph()
    for source, target in KNOWN_CYCLE_EDGES:
        graph.get(source, set()).discard(target)
    cycles = strongly_connected(graph)
    assert not cycles, "import cycles between packages:\n" + "\n".join(_describe(g, graph) for g in cycles)


def test_the_graph_sees_the_cli_import_inside_its_command() -> None:
    assert "kb.orders" in package_graph()["kb.cli"]


def test_the_known_cycles_still_exist() -> None:
    """An allowed cycle that is gone must leave the list, so that it cannot come back unseen."""
    graph = package_graph()
    gone = [(a, b) for a, b in KNOWN_CYCLE_EDGES if b not in graph.get(a, ()) or a not in graph.get(b, ())]
    assert gone == []


def test_the_graph_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "kb" / "a" / "views.py"
    module.parent.mkdir(parents=True)
    module.write_text("def f():\n    from kb.b import thing\n    from ..c import other\n", encoding="utf-8")
    assert set(_imports(module, tmp_path / "kb")) >= {"kb.b", "kb.c"}


def test_a_cycle_is_found_and_named() -> None:
    graph = {"kb.a": {"kb.b"}, "kb.b": {"kb.c"}, "kb.c": {"kb.a"}, "kb.d": {"kb.a"}}
    assert strongly_connected(graph) == [{"kb.a", "kb.b", "kb.c"}]
    assert "kb.c -> kb.a" in _describe({"kb.a", "kb.b", "kb.c"}, graph)

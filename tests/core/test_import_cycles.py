"""Dependencies between the rooms point one way: no package imports one that imports it back."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

KB = Path(__file__).resolve().parents[2] / "kb"

# Cycles that predate this check, through the help pages (articles, search, page cache, reports).
# Listed so that they stay visible and no new one joins them; remove a line once it is broken.
KNOWN_CYCLES = {
    frozenset({"articles", "insights"}),
    frozenset({"articles", "pagecache"}),
    frozenset({"articles", "search"}),
}
# Rooms that must never sit on any cycle, however long (the main path of a return).
ACYCLIC = ("orders", "tickets", "policy")


def _package_of(module: str) -> str | None:
    """The top-level unit under kb (a package or a module) that ``module`` belongs to."""
    parts = module.split(".")
    return parts[1] if parts[0] == "kb" and len(parts) > 1 else None


def import_graph() -> dict[str, set[str]]:
    """Which of kb's packages each one imports, counting imports inside functions too."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in KB.rglob("*.py"):
        relative = path.relative_to(KB).with_suffix("").parts
        if relative == ("__init__",) or relative[0] == "migrations":
            continue  # create_app and Alembic wire every room together by design
        source = relative[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "kb":
                    names = [f"kb.{alias.name}" for alias in node.names]
            for name in names:
                target = _package_of(name)
                if target and target != source:
                    graph[source].add(target)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    # kb.cli imports the demo orders inside its command; the graph must still see that edge.
    assert "orders" in graph["cli"]
    assert "orders" in graph["tickets"] and "orders" in graph["returns"]


def test_no_two_packages_import_each_other() -> None:
    graph = import_graph()
    mutual = {frozenset({a, b}) for a, targets in graph.items() for b in targets if a in graph.get(b, ())}
    assert mutual - KNOWN_CYCLES == set()


def test_the_return_path_rooms_sit_on_no_cycle() -> None:
    graph = import_graph()
    on_cycle = [room for room in ACYCLIC if room in _reachable(graph, room)]
    assert on_cycle == []


def test_returns_and_tickets_no_longer_import_each_other() -> None:
    graph = import_graph()
    assert "returns" not in graph["tickets"]
    assert "returns" not in _reachable(graph, "tickets")

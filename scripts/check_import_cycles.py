"""Fail when the hand-written packages import each other in a circle, ``if TYPE_CHECKING:`` imports included.

Every ``import`` and ``from ... import`` that runs when a module is imported counts, wherever it stands at
module level (an ``if TYPE_CHECKING:`` block, a ``try``, a class body): a circle that only the type checker
sees is still two modules that cannot be read, tested or moved one without the other. An import inside a
function is deferred to its call, once every module is loaded, and is not counted (it says why where it
stands: a heavy server library, a launcher building the app). Importing a submodule is an edge to that
submodule, not to the packages above it (their ``__init__`` runs first, but that is Python's order).

    python scripts/check_import_cycles.py                      # kling_spec, kling_lipsync, mock_server
    python scripts/check_import_cycles.py --root DIR pkg ...   # other packages under DIR

Exit status 1 names each circle (``a -> b -> c -> a``); 0 prints how many modules and imports it read.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

__all__ = ["PACKAGES", "find_cycles", "import_graph", "main"]

#: The hand-written packages (the generated client is left out: its generator owns its layout).
PACKAGES = ("kling_spec", "kling_lipsync", "mock_server")


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterable[tuple[str, str | None]]:
    """``(module, name)`` for each import in ``tree``; ``name`` is what a ``from`` import takes from it."""
    package = module if is_package else module.rpartition(".")[0]
    for node in _module_level(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                yield source, alias.name


def _module_level(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes that run when the module is imported: everything but the bodies of functions."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield node
        yield from _module_level(node)


def import_graph(root: Path, packages: Sequence[str]) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports (by name, anywhere in its source)."""
    files = {_module_name(root, path): path for package in packages for path in sorted((root / package).rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for source, taken in _imported(tree, name, path.name == "__init__.py"):
            # ``from pkg import sub`` imports the submodule when there is one; otherwise the name is pkg's.
            target = f"{source}.{taken}" if taken and f"{source}.{taken}" in files else source
            if target in files and target != name:
                graph[name].add(target)
    return graph


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected group of modules (Tarjan), each as a path back to its start."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_circle(graph, set(group)) for group in groups]


def _circle(graph: Mapping[str, set[str]], group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, through the group only (breadth first)."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError("a strongly connected group always has a circle")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", default=PACKAGES, help="top-level packages to read")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    graph = import_graph(args.root, args.packages)
    cycles = find_cycles(graph)
    for cycle in cycles:
        print(f"import circle: {' -> '.join(cycle)}", file=sys.stderr)
    if cycles:
        print(f"{len(cycles)} import circle(s); TYPE_CHECKING imports count too", file=sys.stderr)
        return 1
    edges = sum(len(targets) for targets in graph.values())
    print(f"no import circle among {len(graph)} modules ({edges} imports) of {', '.join(args.packages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

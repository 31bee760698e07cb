"""The layers you can see from the folder list, enforced: who may import whom.

    ingest → index ← circulation ← portal, cli, server     (the interfaces also call ingest)

`index/` (storage, retrieval, domain analytics and the door) imports no other product package;
`circulation/` reads only through the door; the interfaces sit side by side and never import each
other, except that the command line launches the server (`hindsight serve`, `hindsight mcp`). Every import counts — module level, inside functions and under TYPE_CHECKING — and the
product's module graph has no cycles. Nothing outside the door reaches for its searcher.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "ingest", "circulation", "cli", "portal", "server")
# What each layer may import, besides itself and third-party code.
ALLOWED: dict[str, set[str]] = {
    "index": set(),
    "ingest": {"index"},
    "circulation": {"index"},
    # `hindsight serve` and `hindsight mcp` start the server: the one edge between interfaces
    # (cli launches server; server never imports cli).
    "cli": {"index", "ingest", "circulation", "server"},
    "portal": {"index", "ingest", "circulation"},
    "server": {"index", "ingest", "circulation"},
    "app": {"index", "circulation", "portal"},
}
# The door and the one opener may hold a searcher; nobody else reaches through an Archive.
SEARCHER_HOLDERS = {"index/archive.py", "index/opener.py"}


def _sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path
    yield "app", ROOT / "app.py"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every product module PATH imports (absolute names), with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for alias in node.names:  # `from index import archive` names a module
                yield f"{node.module}.{alias.name}", node.lineno


def _product(name: str) -> str | None:
    top = name.split(".", 1)[0]
    return top if top in PACKAGES or top == "app" else None


def _graph() -> dict[str, set[str]]:
    modules = {_module(path): path for _, path in _sources()}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported, _ in _imports(path):
            if imported in modules and imported != name:
                graph[name].add(imported)
    return graph


def test_every_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for layer, path in _sources():
        for imported, line in _imports(path):
            top = _product(imported)
            if top is None or top == layer:
                continue
            if top not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert wrong == [], "imports against the layer order:\n" + "\n".join(wrong)


def test_the_product_has_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == [], "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_nothing_outside_the_door_reaches_for_its_searcher() -> None:
    found = []
    for layer, path in _sources():
        relative = str(path.relative_to(ROOT))
        if relative in SEARCHER_HOLDERS:
            continue
        # Inside index/, `searcher` is also tantivy's own (index/keyword.py).
        names = {"_searcher"} if layer == "index" else {"_searcher", "searcher"}
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in names:
                found.append(f"{relative}:{node.lineno}")
    assert found == []


@pytest.mark.parametrize(
    ("layer", "imported", "allowed"),
    [("index", "circulation.brief", False), ("circulation", "index.archive", True)],
)
def test_the_rule_itself(layer: str, imported: str, allowed: bool) -> None:
    # The checks above would pass vacuously if the rule read nothing: it reads this.
    top = _product(imported)
    assert top is not None and (top in ALLOWED[layer]) is allowed

"""No import cycle in the product (functions/netaudit), the operator CLI (cli/netaudit_cli) or the
harness (local/netaudit_local).

The graph is read with ast from every import in a module: at the top, under `if TYPE_CHECKING:`
and inside functions (a lazy import only hides a cycle until it runs). `from a import b` is an
edge to the module a.b when that is a module, else to a; the implicit import of a package's
__init__ is not counted (that is Python's own order, not a dependency the code chose).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (ROOT / "functions" / "netaudit", ROOT / "cli" / "netaudit_cli", ROOT / "local" / "netaudit_local")

# Cycles that were there before this test (each entry: the modules of one strongly connected
# component); helper "harness" removed the last four (demo/ and hosts/).
KNOWN: list[frozenset[str]] = []


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in package.rglob("*.py"):
            parts = list(path.relative_to(package.parent).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _known_module(name: str, mods: dict[str, Path]) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def _imported(node: ast.Import | ast.ImportFrom, package: str, mods: dict[str, Path]) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        return {m for m in (_known_module(n, mods) for n in names) if m}
    base = node.module or ""
    if node.level:
        parts = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    targets = set()
    for alias in node.names:
        full = f"{base}.{alias.name}"
        target = full if full in mods else _known_module(base, mods)
        if target:
            targets.add(target)
    return targets


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _imported(node, package, mods)
        graph[name] = edges - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_no_import_cycle_but_the_known_ones() -> None:
    new = [sorted(c) for c in cycles(import_graph()) if c not in KNOWN]
    assert new == [], "import cycles (break them: move the shared part to a module both import)"


def test_the_known_list_holds_only_cycles_that_still_exist() -> None:
    gone = [sorted(c) for c in KNOWN if c not in cycles(import_graph())]
    assert gone == [], "a known cycle is gone: remove it from KNOWN"


def test_a_type_checking_or_lazy_import_closes_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from x.y import Z\n"
        "def f():\n    import x.w\n"
    )
    mods = {"x": Path("x/__init__.py"), "x.y": Path("x/y.py"), "x.w": Path("x/w.py")}
    edges = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            edges |= _imported(node, "x", mods)
    assert edges == {"x.y", "x.w"}

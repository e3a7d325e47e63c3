"""The packages under storefront/ import each other in one direction only (docs/architecture.md).

Every module is parsed (not imported) and each import, at module level or inside a function,
becomes an arrow between the top-level parts of storefront/: the feature packages (`stock/`,
`orders/`…) and the shared modules beside them (`money.py`, `audit.py`…). The tests fail on a
cycle, naming it and the imports that make it; on an arrow between packages that `MAY_IMPORT`
does not list; on a function-level import of another part (the usual way a cycle was dodged);
and on anything importing a composition root.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

import storefront

ROOT = Path(storefront.__file__).parent

# They put the app together: they may import anything, and nothing may import them.
COMPOSITION_ROOTS = {
    "storefront",
    "storefront.models",
    "storefront.cli",
    "storefront.demo",
    "storefront.demo_variants",
}

# Which feature package may import which. Every package may also import the shared modules
# at the top of storefront/. A new arrow is a design decision: add it here and to the table
# in docs/architecture.md, and never one that closes a circle.
MAY_IMPORT: dict[str, set[str]] = {
    "settings": {"indonesia"},
    "indonesia": set(),
    "auth": set(),
    "payments": {"settings"},
    "vendors": {"auth", "indonesia", "settings"},
    "catalog": {"auth", "indonesia", "settings", "vendors"},
    "stock": {"auth", "catalog", "settings", "vendors"},
    "orders": {"auth", "catalog", "indonesia", "payments", "settings", "stock", "vendors"},
    "pos": {"auth", "catalog", "orders", "payments", "stock"},
    "settlements": {
        *("auth", "catalog", "indonesia", "orders", "pos", "settings", "stock", "vendors"),
    },
    "shop": {"auth", "catalog", "indonesia", "settings", "stock", "vendors"},
    "reports": {
        *("auth", "catalog", "orders", "pos", "settings", "settlements", "shop", "stock"),
        "vendors",
    },
    "manage": {"auth", "catalog", "indonesia", "orders", "reports", "vendors"},
    "incubator": {
        *("auth", "catalog", "reports", "settings", "settlements", "stock", "vendors"),
    },
    "marketing": {"auth", "catalog", "settings", "stock", "vendors"},
    "admin": {"auth", "settings"},
    "worker": {"auth", "catalog", "incubator", "orders", "settings", "settlements", "stock"},
}

# The shared modules that reach into a package (few on purpose: every package may import them).
SHARED_MAY_IMPORT: dict[str, set[str]] = {
    "uploads": {"auth"},  # the /media route declares itself @public
    "templating": {"settings"},  # the outlet's name and hours on every page
    "manager_inbox": {"auth"},  # emails the managers what needs them
}

# Imports inside a function of another part of storefront/ that stay, with the reason.
FUNCTION_LEVEL_ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    source: str  # dotted module doing the import
    target: str  # dotted module imported
    line: int
    in_function: bool


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, root: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert node.level == 0, "relative imports are not used in storefront/"
    module = node.module or ""
    folder = root.parent.joinpath(*module.split("."))
    # `from storefront import money` and `from storefront.stock import ledger` import modules.
    return [
        f"{module}.{alias.name}"
        if (folder / f"{alias.name}.py").exists() or (folder / alias.name).is_dir()
        else module
        for alias in node.names
    ]


def imports_of(path: Path, root: Path) -> list[Import]:
    source = module_name(path, root)
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in _targets(child, root):
                    if target == root.name or target.startswith(root.name + "."):
                        found.append(Import(source, target, child.lineno, in_function))
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def all_imports(root: Path = ROOT) -> list[Import]:
    return [i for path in sorted(root.rglob("*.py")) for i in imports_of(path, root)]


def part(module: str) -> str:
    """The top-level part of storefront/ a module belongs to: `stock`, `money`, or a root."""
    if module in COMPOSITION_ROOTS:
        return module
    return module.split(".")[1]


def is_package(name: str, root: Path = ROOT) -> bool:
    return (root / name).is_dir()


def arrows(imports: list[Import]) -> dict[tuple[str, str], list[Import]]:
    """part -> part, with the imports that make each arrow (composition roots left out)."""
    found: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for i in imports:
        if i.source in COMPOSITION_ROOTS:
            continue
        a, b = part(i.source), part(i.target)
        if a != b:
            found[(a, b)].append(i)
    return found


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None when the graph is acyclic."""
    graph: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(edges):
        graph[a].append(b)
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := walk(start)):
            return cycle
    return None


def describe(cycle: list[str], found: dict[tuple[str, str], list[Import]]) -> str:
    steps = []
    for a, b in itertools.pairwise(cycle):
        first = found[(a, b)][0]
        steps.append(f"  {a} -> {b}: {first.source} imports {first.target} (line {first.line})")
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


# --- the rules ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports()


def test_no_two_parts_of_storefront_import_each_other_even_through_others(imports):
    found = arrows(imports)
    cycle = find_cycle(set(found))
    assert cycle is None, "import cycle: " + describe(cycle, found)


def test_packages_import_only_the_packages_the_table_allows(imports):
    unknown = sorted({p for i in imports if is_package(p := part(i.source))} - set(MAY_IMPORT))
    assert unknown == [], f"add {unknown} to MAY_IMPORT (and docs/architecture.md)"
    wrong = []
    for (a, b), found in sorted(arrows(imports).items()):
        if not is_package(b):
            continue  # a shared module: any package may import it
        allowed = MAY_IMPORT[a] if is_package(a) else SHARED_MAY_IMPORT.get(a, set())
        if b not in allowed:
            first = found[0]
            wrong.append(f"{a} -> {b} ({first.source} line {first.line} imports {first.target})")
    assert wrong == [], "arrows not in MAY_IMPORT / SHARED_MAY_IMPORT:\n" + "\n".join(wrong)


def test_the_allowed_arrows_themselves_have_no_cycle():
    edges = {(a, b) for a, targets in MAY_IMPORT.items() for b in targets}
    edges |= {(a, b) for a, targets in SHARED_MAY_IMPORT.items() for b in targets}
    assert find_cycle(edges) is None
    assert all(b in MAY_IMPORT for targets in MAY_IMPORT.values() for b in targets)


def test_no_function_level_import_of_another_part(imports):
    dodges = [
        f"{i.source} line {i.line} imports {i.target}"
        for i in imports
        if i.in_function
        and i.source not in COMPOSITION_ROOTS
        and part(i.source) != part(i.target)
        and (i.source, i.target) not in FUNCTION_LEVEL_ALLOWED
    ]
    assert dodges == [], "import at module level, or move the code:\n" + "\n".join(dodges)


def test_nothing_imports_a_composition_root(imports):
    wrong = [
        f"{i.source} line {i.line} imports {i.target}"
        for i in imports
        if i.target in COMPOSITION_ROOTS and i.source not in COMPOSITION_ROOTS
    ]
    assert wrong == []


# --- the checker checks what it should ----------------------------------------------------


def test_a_cycle_through_a_third_package_is_found_and_named():
    edges = {("catalog", "vendors"), ("vendors", "stock"), ("stock", "catalog"), ("a", "b")}
    cycle = find_cycle(edges)
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"catalog", "vendors", "stock"}
    assert find_cycle({("orders", "stock"), ("stock", "catalog"), ("orders", "catalog")}) is None


def test_function_level_and_from_storefront_imports_are_seen(tmp_path):
    package = tmp_path / "storefront"
    for folder in ("stock", "orders"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "money.py").write_text("")
    (package / "orders" / "services.py").write_text("")
    (package / "stock" / "cli.py").write_text(
        "from storefront import money\n\n"
        "def expire():\n"
        "    from storefront.orders import services\n"
    )
    found = imports_of(package / "stock" / "cli.py", package)
    assert [(i.target, i.in_function) for i in found] == [
        ("storefront.money", False),
        ("storefront.orders.services", True),
    ]

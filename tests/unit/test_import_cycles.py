"""No import cycles in ``src/aws2bq`` (issue 14), by the strictest static reading.

The graph is read from the source with :mod:`ast`, not from ``sys.modules``: every ``import``
and ``from … import`` of an ``aws2bq`` module counts wherever it stands, at the top, inside a
function (a lazy import) or under ``if TYPE_CHECKING:``. A lazy or type-only import hides a
cycle from the interpreter but not from the reader, and the next edit that moves it to the top
turns it into an ``ImportError``.

An edge goes to the module named (``from aws2bq.a import b`` → ``aws2bq.a.b`` when that is a
module, else ``aws2bq.a``). The package ``__init__`` an import passes through is not an edge of
its own (as with import-linter/grimp). Modules found by name at run time
(``importlib.import_module`` in the source and warehouse registries) are not edges: that
indirection is what the registries are for.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import aws2bq

PACKAGE_ROOT = Path(aws2bq.__file__).parent


def module_files(package_dir: Path, package: str = "aws2bq") -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` file under ``package_dir`` and every
    ``.pyi`` stub of a compiled module (a stub imports nothing of the package at run time)."""
    found: dict[str, Path] = {}
    stubs = [p for p in package_dir.rglob("*.pyi") if not p.with_suffix(".py").exists()]
    for path in sorted([*package_dir.rglob("*.py"), *stubs]):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _nearest_module(name: str, modules: Mapping[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(module: str, path: Path, package: str) -> Iterable[str]:
    """Every dotted name ``module`` imports from ``package``, lazy and type-only ones too."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            if origin == package or origin.startswith(package + "."):
                yield from (f"{origin}.{alias.name}" for alias in node.names)


def import_graph(package_dir: Path, package: str = "aws2bq") -> dict[str, set[str]]:
    """Module → the modules of the package it imports (see the module docstring)."""
    modules = module_files(package_dir, package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in _imported_names(name, path, package):
            # ``from pkg.mod import name`` → pkg.mod.name if a module, else pkg.mod.
            target = _nearest_module(imported, modules)
            if target is not None and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_src_aws2bq_has_no_import_cycle() -> None:
    found = cycles(import_graph(PACKAGE_ROOT))
    assert not found, "modules importing each other, one group a line:\n" + "\n".join(
        ", ".join(group) for group in found
    )


def test_the_graph_sees_lazy_and_type_only_imports() -> None:
    # Guards against a reader that quietly skips the imports this test exists for.
    graph = import_graph(PACKAGE_ROOT)
    assert len(graph) > 100
    # Under ``if TYPE_CHECKING:`` in warehouses/__init__.py.
    assert "aws2bq.config.model" in graph["aws2bq.warehouses"]
    # Inside rows_of() in runner/ledger_view.py.
    assert "aws2bq.sources" in graph["aws2bq.runner.ledger_view"]
    # ``from aws2bq.warehouses.url import parse_url``: the module, not the package.
    assert "aws2bq.warehouses.url" in graph["aws2bq.config.model"]
    assert "aws2bq.warehouses" not in graph["aws2bq.config.model"]


def test_a_cycle_through_a_type_only_or_lazy_import_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub.b import B\n"
    )
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import g\n")
    (pkg / "c.py").write_text("import pkg.a\n")
    (pkg / "d.py").write_text("from pkg import a\n")  # into the cycle, not part of it

    graph = import_graph(pkg, "pkg")

    assert graph["pkg.sub.b"] == {"pkg.c"}
    assert graph["pkg.d"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def folder_of(module: str, package_dir: Path = PACKAGE_ROOT) -> str:
    """``aws2bq.sources.dynamodb.x`` → ``sources/dynamodb``; a top-level module → its file."""
    parts = module.split(".")[1:]
    folder: list[str] = []
    for part in parts:
        if not (package_dir.joinpath(*folder, part)).is_dir():
            break
        folder.append(part)
    if not folder:
        return f"{parts[0]}.py" if parts else "__init__.py"
    return "/".join(folder)


def folder_layers(graph: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Folder → the other folders (and top-level modules) its modules import."""
    layers: dict[str, set[str]] = {}
    for module, imported in graph.items():
        mine = folder_of(module)
        for target in imported:
            theirs = folder_of(target)
            if theirs != mine:
                layers.setdefault(mine, set()).add(theirs)
    return layers


def layering_report() -> list[str]:
    """The folder-level import graph and the cycles, one line each (what the docs quote)."""
    graph = import_graph(PACKAGE_ROOT)
    lines = [
        f"{folder} -> {', '.join(sorted(imports))}"
        for folder, imports in sorted(folder_layers(graph).items())
    ]
    lines.append(f"cycles: {cycles(graph) or 'none'}")
    return lines


def test_docs_architecture_shows_the_layering_as_it_is() -> None:
    # docs/architecture.md quotes this module's output; a stale quote misleads the reader.
    doc = (PACKAGE_ROOT.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    command = "$ .venv/bin/python -m tests.unit.test_import_cycles\n"
    assert command in doc
    quoted = doc.split(command, 1)[1].split("```", 1)[0].strip().splitlines()
    assert quoted == layering_report(), "paste the command's output into docs/architecture.md"


if __name__ == "__main__":  # python -m tests.unit.test_import_cycles: the layering, as text
    print("\n".join(layering_report()))

"""The import graph of the project's packages keeps its layers: read with ``ast``, not by
importing, so every import counts (those inside functions and under TYPE_CHECKING too).

An edge is what an import statement names, as import-linter's graph has it: ``import
a.b`` and ``from a import b`` (b a module) point at ``a.b``, ``from a.b import f`` at
``a.b``. A cycle is then two modules that each need the other to be imported first.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from tests.conftest import ROOT

LOWER = ("compliance", "config", "store", "dialer", "recorder", "transcriber")
PACKAGES = (*LOWER, "console", "bench")
Graph = dict[str, set[str]]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, here: str, is_package: bool, known: set[str]) -> Iterable[str]:
    """The project modules one import statement names."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: resolved against this module's package
            package = here.split(".") if is_package else here.split(".")[:-1]
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        names = [f"{base}.{alias.name}" for alias in node.names]
        submodules = [name for name in names if name in known]
        yield from submodules
        if len(submodules) < len(names):  # a name defined in base itself
            yield base


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> Graph:
    """Module → the project modules it imports."""
    files = {
        module_name(path, root): path
        for package in packages
        for path in (root / package).rglob("*.py")
    }
    known = set(files)
    graph: Graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        found = {
            target
            for node in ast.walk(tree)
            for target in _imported(node, name, is_package, known)
            if target in known and target != name
        }
        graph[name] = found
    return graph


def find_cycle(graph: Mapping[str, set[str]], within: str) -> list[str] | None:
    """One import cycle among the modules of ``within``, as a path back to its start."""
    nodes = {m for m in graph if _in(m, within)}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for nxt in sorted(graph[module] & nodes):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[module] = 2
        return None

    for start in sorted(nodes):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def offending(graph: Graph, importer: str, imported: Iterable[str]) -> list[str]:
    targets = tuple(imported)
    return sorted(
        f"{module} imports {dep}"
        for module, deps in graph.items()
        if _in(module, importer)
        for dep in deps
        if any(_in(dep, t) for t in targets)
    )


def is_cli_module(module: str) -> bool:
    """The command-line commands: ``console.cli``, ``console.commands``, ``console.*_cmd``."""
    return module in {"console.cli", "console.commands"} or (
        module.startswith("console.") and module.endswith("_cmd")
    )


GRAPH = import_graph(ROOT)


def test_the_graph_sees_lazy_imports() -> None:
    # web_cmd imports the server inside cmd_serve: a lazy import is still an edge.
    assert "console.web.server" in GRAPH["console.web_cmd"]
    assert "console.app" in GRAPH["console.web.dialing"]


def test_console_has_no_import_cycle() -> None:
    assert find_cycle(GRAPH, "console") is None


def test_no_package_has_an_import_cycle() -> None:
    for package in PACKAGES:
        assert find_cycle(GRAPH, package) is None, package


def test_the_lower_layers_never_import_the_console() -> None:
    for package in LOWER:
        assert offending(GRAPH, package, ["console", "bench"]) == []


def test_compliance_imports_only_config() -> None:
    layers = ["store", "dialer", "recorder", "transcriber", "console", "bench"]
    assert offending(GRAPH, "compliance", layers) == []


def test_cli_modules_are_imported_by_the_cli_alone() -> None:
    """Commands and pages are peers over the composition root: no page, demo, benchmark
    or other command borrows a command module's wiring."""
    found = sorted(
        f"{module} imports {dep}"
        for module, deps in GRAPH.items()
        if module != "console.cli"
        for dep in deps
        if is_cli_module(dep)
    )
    assert found == []


def test_bench_imports_no_cli_module() -> None:
    assert [m for m in offending(GRAPH, "bench", ["console"]) if is_cli_module(m.split()[-1])] == []


def test_a_planted_cycle_is_found(tmp_path: Path) -> None:
    """The shape the console had: the server imports its routers (lazily), and each router
    imports the server for what pages share."""
    pkg = tmp_path / "console"
    (pkg / "web").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "web" / "__init__.py").write_text("from console.web.server import create_app\n")
    (pkg / "web" / "server.py").write_text("def routers():\n    from console.web import admin\n")
    (pkg / "web" / "admin.py").write_text("from .server import render\nfrom . import pages\n")
    (pkg / "web" / "pages.py").write_text("X = 1\n")
    graph = import_graph(tmp_path, ["console"])
    assert graph["console.web.admin"] == {"console.web.pages", "console.web.server"}
    assert graph["console.web.server"] == {"console.web.admin"}
    cycle = find_cycle(graph, "console")
    assert cycle == ["console.web.server", "console.web.admin", "console.web.server"]

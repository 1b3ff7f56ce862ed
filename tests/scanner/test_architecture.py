"""The architecture as tests: no import cycle when every import counts, function-local
imports only to defer a heavy or optional library (and saying so), and no developer
tooling inside the installed package. The layers themselves are the import-linter
contract in pyproject.toml (``lint-imports``, run by CI)."""

from __future__ import annotations

import ast
import importlib.util
import os
from pathlib import Path

import pvscan

ROOT = Path(__file__).resolve().parents[2]
#: Source folder -> the package it installs as (pyproject.toml's package-dir).
FOLDERS = {
    "scanner": "pvscan",
    "plugins": "pvscan.plugins",
    "patterns": "pvscan.patterns",
    "reports": "pvscan.reports",
}


def _modules() -> dict[str, Path]:
    mods = {}
    for folder, pkg in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder).with_suffix("").parts
            if rel[-1] == "__init__":
                rel = rel[:-1]
            name = ".".join([pkg, *rel])
            mods[name] = path
    return mods


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imports(name: str, path: Path) -> list[tuple[str, bool, ast.stmt]]:
    """(imported module, inside a function, node) for every import outside ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    local: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            local.update(id(n) for n in ast.walk(node))
    package = name if _is_package(path) else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in local, node) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            out.append((base, id(node) in local, node))
            out += [(f"{base}.{a.name}", id(node) in local, node) for a in node.names]
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for target, _, _ in _imports(name, path):
            if target in mods and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_counting_function_local_imports():
    graph = _graph()
    assert len(graph) > 60
    # A package's __init__ re-exporting its own modules is not a cycle of jobs: leave
    # out the edges from a package to its own children.
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    assert _cycles(graph) == []


def test_function_local_imports_only_defer_libraries_and_say_so():
    own, other, silent = [], [], []
    for name, path in _modules().items():
        lines = path.read_text().splitlines()
        for target, local, node in _imports(name, path):
            if not local or "." in target and target.rsplit(".", 1)[0] == getattr(node, "module", None):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if target.split(".")[0] == "pvscan":
                own.append(where)
                continue
            other.append(where)
            # The comment sits on the line above the import (or above its group).
            above = [x.strip() for x in lines[max(0, node.lineno - 6) : node.lineno - 1]]
            if not any(x.startswith("#") and ("Deferred" in x or "deferred" in x) for x in above):
                silent.append(where)
    assert len(own) <= 5, own
    assert len(set(other)) <= 80, len(set(other))
    assert silent == [], "a function-local import must say what it defers"


def test_installed_package_holds_no_developer_tooling():
    for name in ("pvscan.bench", "pvscan.fuzz", "pvscan.reliability", "pvscan.patterns.bench"):
        assert importlib.util.find_spec(name) is None, name
    base = Path(pvscan.__file__).parent
    names = {f for _, _, files in os.walk(base) for f in files}
    assert not names & {"bench.py", "fuzz.py", "reliability.py", "bench_detectors.py"}

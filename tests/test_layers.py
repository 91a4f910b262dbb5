"""The import contract: the package's stages import downward only, with no cycle.

Every ``import`` in the package counts, those inside functions too (an import placed in a
function is still a dependency, only a hidden one). Imports under ``if TYPE_CHECKING:`` do
not run and are not counted. The layers, lowest first:

    L0  exceptions, _version, _validate, _time, _format, _startup, _deprecated
    L1  normalize/, api/, quota
    L2  store/
    L3  sync/, stats, export/, sample, synth, dlt
    L4  plots, widgets, report/
    L5  cli/, emulator/

A module may import its own subpackage and any lower layer. Within one layer a stage may use
another only if the stages' graph stays acyclic. Nothing inside imports the package root.
The per-module tests below run each stage's module alone (without the root ``__init__``) to
see what it really loads.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import rds_job_analytics

PKG = "rds_job_analytics"
PKG_DIR = Path(rds_job_analytics.__file__).resolve().parent

LAYERS: dict[str, int] = {
    **dict.fromkeys(
        ["exceptions", "_version", "_validate", "_time", "_format", "_startup", "_deprecated"], 0
    ),
    **dict.fromkeys(["normalize", "api", "quota"], 1),
    "store": 2,
    **dict.fromkeys(["sync", "stats", "export", "sample", "synth", "dlt"], 3),
    **dict.fromkeys(["plots", "widgets", "report"], 4),
    **dict.fromkeys(["cli", "emulator"], 5),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PKG_DIR.rglob("*.py"))}


def stage(module: str) -> str:
    """The stage a module belongs to: its first component under the package."""
    return module.split(".")[1] if "." in module else ""


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(module: str) -> set[str]:
    """The package modules ``module`` imports, anywhere in its code (TYPE_CHECKING aside)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PKG)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != PKG:
                continue
            found.add(target)
            for alias in node.names:  # ``from . import x`` imports the module x
                if f"{target}.{alias.name}" in MODULES:
                    found.add(f"{target}.{alias.name}")
    found.discard(module)
    return found


GRAPH = {m: imports(m) for m in MODULES}


def test_every_module_has_a_layer():
    assert sorted({stage(m) for m in MODULES if m != PKG} - set(LAYERS)) == []


def test_nothing_inside_imports_the_package_root():
    assert sorted(m for m, deps in GRAPH.items() if PKG in deps and m != PKG) == []


def test_no_import_points_up():
    upward = sorted(
        (m, d)
        for m, deps in GRAPH.items()
        if m != PKG
        for d in deps
        if d != PKG and stage(d) != stage(m) and LAYERS[stage(d)] > LAYERS[stage(m)]
    )
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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


def test_no_module_cycle():
    graph = {m: {d for d in deps if d != PKG} for m, deps in GRAPH.items() if m != PKG}
    assert _cycles(graph) == []


def test_no_stage_cycle():
    stages: dict[str, set[str]] = defaultdict(set)
    for m, deps in GRAPH.items():
        if m == PKG:
            continue
        stages[stage(m)].update(stage(d) for d in deps if d != PKG and stage(d) != stage(m))
    assert _cycles(dict(stages)) == []


def test_the_contract_sees_a_hidden_upward_import(tmp_path, monkeypatch):
    """The checker itself: an import inside a function is found, TYPE_CHECKING ones are not."""
    fake = tmp_path / "m.py"
    fake.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .report import Report\n"
        "def f():\n    from .cli import main\n"
    )
    monkeypatch.setitem(MODULES, f"{PKG}.quota", fake)
    assert imports(f"{PKG}.quota") == {f"{PKG}.cli"}


# Import one module without running the package __init__ (which imports everything), so
# what is measured is that module's own imports.
ISOLATED = """
import json, sys, types
pkg = types.ModuleType("rds_job_analytics")
pkg.__path__ = [{pkg_dir!r}]
sys.modules["rds_job_analytics"] = pkg
import rds_job_analytics.{name}
print(json.dumps(sorted(m for m in sys.modules if m.startswith("rds_job_analytics."))))
"""


def loaded_by(name: str) -> set[str]:
    code = ISOLATED.format(pkg_dir=str(PKG_DIR), name=name)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "name",
    [
        "exceptions",
        "_validate",
        "api.regions",
        "api",
        "normalize",
        "quota",
        "store",
        "sync",
        "export",
        "stats",
    ],
)
def test_a_module_alone_loads_nothing_above_its_layer(name):
    loaded = {stage(m) for m in loaded_by(name)} - {""}
    assert sorted(s for s in loaded if LAYERS[s] > LAYERS[stage(f"{PKG}.{name}")]) == []


def test_no_module_imports_a_private_name_of_another_stage():
    offenders = []
    for module in MODULES:
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = (
                    module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
                ).split(".")
                target = ".".join(
                    base[: len(base) - (node.level - 1)] + ([node.module] if node.module else [])
                )
                if stage(target) == stage(module):
                    continue
                offenders += [
                    (module, target, a.name)
                    for a in node.names
                    if a.name.startswith("_")
                    and a.name not in {"__version__"}
                    and f"{target}.{a.name}" not in MODULES
                ]
    assert sorted(offenders) == []

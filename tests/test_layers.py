"""The import contract: the package's stages import downward only, with no cycle.

Every ``import`` in the package counts, those inside functions too (an import placed in a
function is still a dependency, only a hidden one). Imports under ``if TYPE_CHECKING:`` do
not run and are not counted. The layers, lowest first:

    L0  exceptions, _version, _validate, _time, _format, _startup, _lazy
    L1  normalize/, api/, quota
    L2  store/
    L3  sync/, stats, export/, sample, synth, dlt
    L4  plots, widgets, report/
    L5  cli/, emulator/
    L6  _deprecated (the old flat paths: aliases of every stage, beside the root)

An import is an ``import`` statement or an ``importlib.import_module``/``__import__`` call
whose module is a string literal or a module-level string constant. A call the test cannot
resolve (an f-string) is allowed only in the lazy loaders listed in ``DYNAMIC`` with their
reason, and a resolved import that breaks the layers only in ``LATE`` (the deprecation
shims of one release). A module may import its own subpackage and any lower layer; within
one layer a stage may use another only if the stages' graph stays acyclic. Another stage is
reached through its public namespace (``..store``, ``..api.regions``), never its private
modules. Nothing inside imports the package root. The per-module tests below load each
stage's module alone (without the root ``__init__``) to see what it really loads, and the
last one keeps files under 900 lines and functions under 100 lines of code.
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
        ["exceptions", "_version", "_validate", "_time", "_format", "_startup", "_lazy"], 0
    ),
    **dict.fromkeys(["normalize", "api", "quota"], 1),
    "store": 2,
    **dict.fromkeys(["sync", "stats", "export", "sample", "synth", "dlt"], 3),
    **dict.fromkeys(["plots", "widgets", "report"], 4),
    **dict.fromkeys(["cli", "emulator"], 5),
    "_deprecated": 6,
}

#: Modules that import by a computed name, and why that stays inside the rules.
DYNAMIC = {
    "rds_job_analytics": "rja.<stage> and the old paths (the top imports anything)",
    "rds_job_analytics._deprecated": "the old paths' homes (top layer, beside the root)",
    "rds_job_analytics._lazy": "the lazy names a package lists, from that package itself",
}
#: Resolved imports that point up, each a deprecation shim of one release.
LATE = {
    ("rds_job_analytics.store._archive", "rds_job_analytics.export"): (
        "JobArchive.export / export_dataset: deprecated, they call rja.export at call time"
    ),
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
    """Lines under ``if TYPE_CHECKING:`` exactly (not ``if not TYPE_CHECKING``, nor an
    ``or``): those never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    out[target.id] = node.value.value
    return out


def _dynamic_target(node: ast.Call, constants: dict[str, str]) -> str | None:
    """The module an ``import_module``/``__import__`` call names, "" if it is computed,
    None if the call is no import."""
    func = ast.unparse(node.func)
    if func not in ("importlib.import_module", "import_module", "__import__"):
        return None
    if not node.args:
        return ""
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Name) and arg.id in constants:
        return constants[arg.id]
    return ""


def _resolve(level: int, name: str | None, package: str) -> str:
    base = package.split(".")
    base = base[: len(base) - (level - 1)] if level else []
    return ".".join(base + ([name] if name else []))


def imports(module: str, computed: list[int] | None = None) -> set[str]:
    """The package modules ``module`` imports, anywhere in its code (TYPE_CHECKING aside);
    the lines of imports by a computed name go to ``computed``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    constants = _constants(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PKG)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.level, node.module, package) if node.level else node.module
            if not target or target.split(".")[0] != PKG:
                continue
            found.add(target)
            for alias in node.names:  # ``from . import x`` imports the module x
                if f"{target}.{alias.name}" in MODULES:
                    found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Call):
            target = _dynamic_target(node, constants)
            if target == "" and computed is not None:
                computed.append(node.lineno)
            elif target and target.startswith("."):
                found.add(
                    _resolve(len(target) - len(target.lstrip(".")), target.lstrip("."), package)
                )
            elif target and target.split(".")[0] == PKG:
                found.add(target)
    found.discard(module)
    return found


GRAPH = {m: imports(m) for m in MODULES}


def test_every_module_has_a_layer():
    assert sorted({stage(m) for m in MODULES if m != PKG} - set(LAYERS)) == []


def test_nothing_inside_imports_the_package_root():
    assert sorted(m for m, deps in GRAPH.items() if PKG in deps and m != PKG) == []


def _upward() -> list[tuple[str, str]]:
    return sorted(
        (m, d)
        for m, deps in GRAPH.items()
        if m != PKG
        for d in deps
        if d != PKG and stage(d) != stage(m) and LAYERS[stage(d)] > LAYERS[stage(m)]
    )


def test_no_import_points_up():
    assert [edge for edge in _upward() if edge not in LATE] == []


def test_every_late_import_is_still_there():
    """A LATE entry whose import is gone is removed (the list stays the shims that exist)."""
    assert sorted(set(LATE) - set(_upward())) == []


def test_imports_by_a_computed_name_are_only_the_lazy_loaders():
    computed = {}
    for m in MODULES:
        lines: list[int] = []
        imports(m, lines)
        if lines:
            computed[m] = lines
    assert sorted(set(computed) - set(DYNAMIC)) == []
    assert sorted(set(DYNAMIC) - set(computed)) == []


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


def _without_late(m: str, deps: set[str]) -> set[str]:
    return {d for d in deps if d != PKG and (m, d) not in LATE}


def test_no_module_cycle():
    graph = {m: _without_late(m, deps) for m, deps in GRAPH.items() if m != PKG}
    assert _cycles(graph) == []


def test_no_stage_cycle():
    stages: dict[str, set[str]] = defaultdict(set)
    for m, deps in GRAPH.items():
        if m == PKG:
            continue
        stages[stage(m)].update(stage(d) for d in _without_late(m, deps) if stage(d) != stage(m))
    assert _cycles(dict(stages)) == []


def test_the_contract_sees_a_hidden_upward_import(tmp_path, monkeypatch):
    """The checker itself: an import inside a function is found, TYPE_CHECKING ones are not."""
    fake = tmp_path / "m.py"
    fake.write_text(
        "import importlib\n"
        "from typing import TYPE_CHECKING\n"
        "_WIDGETS = 'rds_job_analytics.widgets'\n"
        "if TYPE_CHECKING:\n    from .report import Report\n"
        "if not TYPE_CHECKING:\n    from .plots import plot_timeline\n"
        "def f():\n    from .cli import main\n"
        "def g():\n    importlib.import_module('rds_job_analytics.emulator')\n"
        "    __import__('rds_job_analytics.sync')\n"
        "    importlib.import_module(_WIDGETS)\n"
        "    importlib.import_module('.stats', __name__)\n"
        "    importlib.import_module(f'{__name__}.x')\n"
    )
    monkeypatch.setitem(MODULES, f"{PKG}.quota", fake)
    computed: list[int] = []
    assert imports(f"{PKG}.quota", computed) == {
        f"{PKG}.{m}" for m in ("plots", "cli", "emulator", "sync", "widgets", "stats")
    }
    assert computed == [15]  # the f-string: a computed name


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


# The same for many modules in one interpreter: before each import, every package module is
# forgotten (third-party ones stay loaded: only the package's own imports are measured).
ISOLATED_EACH = """
import importlib, json, sys, types
names, out = json.loads(sys.argv[1]), {{}}
for name in names:
    for m in [m for m in sys.modules if m.split(".")[0] == "rds_job_analytics"]:
        del sys.modules[m]
    pkg = types.ModuleType("rds_job_analytics")
    pkg.__path__ = [{pkg_dir!r}]
    sys.modules["rds_job_analytics"] = pkg
    importlib.import_module("rds_job_analytics." + name)
    out[name] = sorted(m for m in sys.modules if m.startswith("rds_job_analytics."))
print(json.dumps(out))
"""


def loaded_by_each(names: list[str]) -> dict[str, set[str]]:
    """:func:`loaded_by` for each of ``names``, in one subprocess."""
    code = ISOLATED_EACH.format(pkg_dir=str(PKG_DIR))
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(names)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return {k: set(v) for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


ALONE = [
    "exceptions",
    "_validate",
    "api.regions",
    "api",
    "normalize",
    "quota",
    "report",
    "report._quality",
    "plots",
    "store",
    "sync",
    "export",
    "stats",
]


@pytest.fixture(scope="module")
def alone() -> dict[str, set[str]]:
    return loaded_by_each(ALONE)


@pytest.mark.parametrize("name", ALONE)
def test_a_module_alone_loads_nothing_above_its_layer(name, alone):
    loaded = {stage(m) for m in alone[name]} - {""}
    assert sorted(s for s in loaded if LAYERS[s] > LAYERS[stage(f"{PKG}.{name}")]) == []


@pytest.mark.slow
def test_loading_each_module_alone_matches_a_fresh_interpreter():
    """The one-interpreter shortcut measures what a fresh interpreter does."""
    assert loaded_by_each(["report._quality"])["report._quality"] == loaded_by("report._quality")


def test_another_stage_is_reached_through_its_public_namespace():
    """``from ..store import JobArchive``, not ``from ..store._archive import JobArchive``:
    a stage's private modules are its own to split and rename (awswrangler's rule: the
    namespace re-exports its private modules)."""
    reach = sorted(
        (m, d)
        for m, deps in GRAPH.items()
        for d in deps
        if stage(d) != stage(m) and d.count(".") >= 2 and d.rsplit(".", 1)[1].startswith("_")
    )
    assert reach == []


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


#: The house rules of issue 19: a module a reader can hold, a function a reader can follow.
MAX_FILE_LINES, MAX_FUNCTION_LINES = 900, 100


def _code_lines(source: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of code of a function: blank, comment and docstring lines not counted."""
    doc: set[int] = set()
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        doc = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return sum(
        1
        for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
        if n not in doc and source[n - 1].strip() and not source[n - 1].strip().startswith("#")
    )


def test_no_file_over_900_lines_and_no_function_over_100_lines_of_code():
    too_long = []
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        source = text.splitlines()
        if len(source) > MAX_FILE_LINES:
            too_long.append(f"{module}: {len(source)} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if (n := _code_lines(source, node)) > MAX_FUNCTION_LINES:
                    too_long.append(f"{module}.{node.name}: {n} lines of code")
    assert too_long == []

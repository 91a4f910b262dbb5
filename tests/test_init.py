"""A coherent public API: ``__all__`` is exactly the public members (httpx's exported-members
test), every name resolves in a fresh interpreter, the types functions return are exported, and
every ``rja.x.y`` path the README shows works."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import types

import pytest

import rds_job_analytics as rja
from tests.conftest import ROOT

SUBPACKAGES = ["api", "normalize", "store", "sync", "export", "report", "emulator", "cli"]


#: What a module binds only to do its work: ``from __future__``, typing and importlib.
_PLUMBING = {"annotations", "Any", "TYPE_CHECKING", "importlib"}


def _public(module: types.ModuleType, *, modules: bool) -> set[str]:
    """The module's public members: what it binds (its plumbing aside; submodules only if
    ``modules``) plus its lazy names."""
    names = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and n not in _PLUMBING
        and (modules or not isinstance(v, types.ModuleType))
    }
    return names | set(getattr(module, "_LAZY", {}))


def test_the_root_exports_exactly_its_public_members():
    # the stages are reached as rja.<stage> (imported on first use), not star-imported
    assert sorted(rja.__all__) == sorted(_public(rja, modules=False) | {"__version__"})


@pytest.mark.parametrize("name", ["api", "normalize", "store", "sync", "export"])
def test_each_stage_exports_exactly_its_public_members(name):
    module = importlib.import_module(f"rds_job_analytics.{name}")
    # a stage's public submodules (api.regions, normalize.schema) are members too
    assert sorted(module.__all__) == sorted(_public(module, modules=True))


@pytest.fixture(scope="module")
def fresh() -> dict[str, list[str]]:
    """What a fresh interpreter, with deprecations as errors, fails to resolve: every
    exported name of the root and the stages, and every path the README shows."""
    code = (
        "import importlib, json, sys, warnings\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        "import rds_job_analytics as rja\n"
        "bad = [n for n in rja.__all__ if not hasattr(rja, n)]\n"
        f"for sub in {SUBPACKAGES!r}:\n"
        "    m = getattr(rja, sub)\n"
        "    bad += [f'{sub}.{n}' for n in getattr(m, '__all__', []) if not hasattr(m, n)]\n"
        "readme = []\n"
        "for path in json.loads(sys.argv[1]):\n"
        "    obj, done = rja, 'rds_job_analytics'\n"
        "    try:\n"
        "        for part in path.split('.'):\n"
        "            done += '.' + part\n"
        "            try:\n"
        "                obj = getattr(obj, part)\n"
        "            except AttributeError:\n"
        "                obj = importlib.import_module(done)\n"
        "    except Exception as exc:\n"
        "        readme.append(f'{path}: {type(exc).__name__}: {exc}')\n"
        "print(json.dumps({'exported': bad, 'readme': readme}))\n"
    )
    paths = json.dumps(_readme_paths())
    out = subprocess.run(
        [sys.executable, "-c", code, paths], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_exported_name_resolves_in_a_fresh_interpreter(fresh):
    assert fresh["exported"] == []


@pytest.mark.parametrize(
    "name", ["Fleet", "FleetResult", "DatasetExport", "Window", "Lease", "JobRow", "Coverage"]
)
def test_returned_types_are_exported(name):
    assert name in rja.__all__
    assert isinstance(getattr(rja, name), type)


def _readme_paths() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"\brja\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)", text))
    paths |= {
        m.removeprefix("rds_job_analytics.")
        for m in re.findall(r"\brds_job_analytics(?:\.[A-Za-z_]\w*)+", text)
    }
    return sorted(paths)


def test_the_readme_names_paths():
    assert len(_readme_paths()) > 20  # the reader below reads something


def test_every_readme_path_resolves_in_a_fresh_interpreter(fresh):
    """``rja.sync.sync_fleet``, ``rja.api.DEFAULT_RATE_LIMIT``...: each a chain of attributes
    from the package (a submodule imported if need be), with deprecations as errors."""
    assert fresh["readme"] == []

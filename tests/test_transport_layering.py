"""The transport modules' import graph: auth and exceptions never reach back to the client.

``exceptions`` is the root (it imports nothing of the package), ``regions`` sees only
``exceptions``, ``auth`` only those two, ``client`` sits on them; no module imports a
private name of ``auth``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import rds_job_analytics

PKG_DIR = Path(rds_job_analytics.__file__).resolve().parent

# Import one module without running the package __init__ (which imports everything),
# so what is measured is that module's own imports.
ISOLATED = """
import json, sys, types
pkg = types.ModuleType("rds_job_analytics")
pkg.__path__ = [{pkg_dir!r}]
sys.modules["rds_job_analytics"] = pkg
import rds_job_analytics.{name}
print(json.dumps(sorted(m for m in sys.modules if m.startswith("rds_job_analytics."))))
"""


def package_modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("exceptions", {"rds_job_analytics.exceptions"}),
        # regions: the one region -> domain table (IAM of eu-west-101 is under .eu);
        # it imports only exceptions
        ("regions", {"rds_job_analytics.regions", "rds_job_analytics.exceptions"}),
        (
            "auth",
            {"rds_job_analytics.auth", "rds_job_analytics.exceptions", "rds_job_analytics.regions"},
        ),
    ],
)
def test_module_imports_nothing_above_it(name, allowed):
    code = ISOLATED.format(pkg_dir=str(PKG_DIR), name=name)
    assert package_modules_after(code) == allowed


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """Every import in a module, function bodies included: (module, names)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            found.append((module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names)
    return found


@pytest.mark.parametrize("name", ["auth", "exceptions", "regions"])
def test_no_lazy_import_of_the_client_either(name):
    for module, names in imports_of(PKG_DIR / f"{name}.py"):
        assert not module.endswith("client"), (name, module)
        assert not (module == "." and "client" in names), name


def test_no_module_imports_a_private_name_of_auth():
    offenders = [
        (path.name, names)
        for path in PKG_DIR.rglob("*.py")
        for module, names in imports_of(path)
        if module.endswith("auth") and any(n.startswith("_") for n in names)
    ]
    assert offenders == []

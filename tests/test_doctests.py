"""Every docstring example in the package runs and shows what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

import rds_job_analytics

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(rds_job_analytics.__path__, "rds_job_analytics.")
    if not m.name.endswith("__main__")
)


# Examples that render reports, explorers or fleets take about a second each: make test runs
# them (the report's own examples stay in make check, its one report rendering).
SLOW = {"rds_job_analytics.sync._fleet", "rds_job_analytics.report._render", "rds_job_analytics.widgets",
        "rds_job_analytics.export._dataset", "rds_job_analytics.export._sql", "rds_job_analytics.plots"}  # fmt: skip


@pytest.mark.parametrize(
    "name", [pytest.param(m, marks=pytest.mark.slow) if m in SLOW else m for m in MODULES]
)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    try:
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
        )
    finally:
        plt.close("all")
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"


# -- cross-references: every dotted target resolves from its full path ---------------------
_ROLE = re.compile(r":(?:func|data|class|meth|exc|attr|mod|obj):`~?([A-Za-z_][\w.]*)`")


def _resolves(target: str) -> bool:
    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_dotted_cross_references_name_their_full_path_and_resolve():
    """A dotted ``:role:`` target that starts with a module is a full path that imports,
    never a short one from the flat layout (``schema.strip_job_id``,
    ``regions.REGION_DOMAINS``: a reader cannot tell where they live, and Sphinx cannot
    either). ``Class.member`` targets (capitalized) are read relative to their module."""
    package = Path(rds_job_analytics.__file__).parent
    bad = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for path in sorted(package.rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for target in _ROLE.findall(line):
                    if "." in target and target[0].islower() and not _resolves(target):
                        bad.append(f"{path.relative_to(package)}:{n} {target}")
    assert not bad, f"unresolvable cross-references: {bad}"


def test_fetch_jobs_documents_the_deprecated_order_it_warns_about():
    """The docstring names the old order as callers wrote it, ``fetch_jobs(ids,
    client=client)``: that call warns, and the new order does not."""
    from rds_job_analytics import TokenAuth
    from rds_job_analytics.api import JobsClient
    from rds_job_analytics.sync import fetch_jobs

    doc = fetch_jobs.__doc__ or ""
    old = re.search(r"old order, ``([^`]+)``", doc).group(1)
    assert old == "fetch_jobs(ids, client=client)"
    client = JobsClient("0123456789abcdef0123456789abcdef", endpoint="http://127.0.0.1:9",
                        auth=TokenAuth("t"))  # fmt: skip
    with pytest.warns(DeprecationWarning, match=r"fetch_jobs\(client, job_ids\)"):
        eval(old, {"fetch_jobs": fetch_jobs, "ids": [], "client": client})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        eval(old.replace("ids, client=client", "client, ids"),
             {"fetch_jobs": fetch_jobs, "ids": [], "client": client})  # fmt: skip

"""Every docstring example in the package runs and shows what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

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

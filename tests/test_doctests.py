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


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    try:
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
        )
    finally:
        plt.close("all")
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"

"""The store package (store/__init__.py): its names load on first use (PEP 562), so the
pure coverage module is importable without the archive's code."""

from __future__ import annotations

import importlib

import pytest

import rds_job_analytics as rja
from tests.test_layers import loaded_by


@pytest.mark.slow
def test_importing_the_coverage_module_loads_no_other_store_module():
    """store.coverage is pure (what the report needs): importing it runs store/__init__.py,
    which must not load the archive, its backends, the ledger, the leases or the URLs."""
    loaded = {m for m in loaded_by("store.coverage") if m.startswith("rds_job_analytics.store")}
    assert loaded == {"rds_job_analytics.store", "rds_job_analytics.store.coverage"}


def test_the_lazy_names_resolve_to_their_homes_and_stay_exported():
    store = importlib.import_module("rds_job_analytics.store")
    assert set(store._LAZY) <= set(store.__all__)
    for name, module in store._LAZY.items():
        home = importlib.import_module(f"rds_job_analytics.store.{module}")
        assert getattr(store, name) is getattr(home, name), name
    assert rja.JobArchive is store.JobArchive and rja.store.PgStore is store.PgStore
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        store.nothing  # noqa: B018

"""The archive: every raw answer kept, on SQLite or PostgreSQL.

:class:`JobArchive` (records, its sync ledger, project leases, a quota bucket in its
database) stores through a backend satisfying :class:`Store`: :class:`SqliteStore` or
:class:`PgStore` (loaded on first use: SQLAlchemy is imported only for a database URL).
:mod:`~rds_job_analytics.store.coverage` is pure: windows, gaps, :class:`Coverage`.

>>> from rds_job_analytics.store import mask_url
>>> mask_url("postgresql://alice:s3cret@db/jobs")
'postgresql://alice:***@db/jobs'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..exceptions import ArchiveError, ArchiveUnavailable
from . import coverage
from ._archive import JobArchive
from ._backend import END_TIME_VIEW, SCHEMA_VERSION, Store
from ._dbquota import DbTokenBucket
from ._leases import LEASE_TTL, Lease
from ._sqlite import SqliteStore
from ._urls import (
    CONNECT_TIMEOUT,
    PG_SCHEMES,
    UrlParts,
    escape_at,
    mask_url,
    pg_engine_url,
    url_parts,
    url_passwords,
    url_scheme,
)
from .coverage import API_HORIZON_DAYS, Coverage, Window, find_gaps, merge_windows

if TYPE_CHECKING:
    from ._postgres import PgStore

#: Public name -> the private module that defines it, imported on first use.
_LAZY = {"PgStore": "_postgres"}

__all__ = [
    "API_HORIZON_DAYS",
    "CONNECT_TIMEOUT",
    "END_TIME_VIEW",
    "LEASE_TTL",
    "PG_SCHEMES",
    "SCHEMA_VERSION",
    "ArchiveError",
    "ArchiveUnavailable",
    "Coverage",
    "DbTokenBucket",
    "JobArchive",
    "Lease",
    "PgStore",
    "SqliteStore",
    "Store",
    "UrlParts",
    "Window",
    "coverage",
    "escape_at",
    "find_gaps",
    "mask_url",
    "merge_windows",
    "pg_engine_url",
    "url_parts",
    "url_passwords",
    "url_scheme",
]


def __getattr__(name: str) -> Any:
    """:class:`PgStore` on first use (PEP 562): it imports SQLAlchemy."""
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

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

from typing import TYPE_CHECKING

from .._lazy import loader as _loader
from ..exceptions import ArchiveError, ArchiveUnavailable
from . import coverage
from .coverage import API_HORIZON_DAYS, Coverage, Window, find_gaps, merge_windows

if TYPE_CHECKING:
    from ._archive import JobArchive
    from ._backend import END_TIME_VIEW, SCHEMA_VERSION, UPGRADE_CHUNK, Store
    from ._dbquota import DbTokenBucket
    from ._leases import LEASE_TTL, Lease
    from ._postgres import OUTAGE_RETRY, PgStore
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

#: Public name -> the private module that defines it, imported on first use: the pure
#: :mod:`coverage` (what the report needs) loads without the archive's code, and
#: SQLAlchemy only for :class:`PgStore`.
_LAZY = {
    "JobArchive": "_archive",
    "END_TIME_VIEW": "_backend",
    "SCHEMA_VERSION": "_backend",
    "Store": "_backend",
    "DbTokenBucket": "_dbquota",
    "LEASE_TTL": "_leases",
    "Lease": "_leases",
    "PgStore": "_postgres",
    "OUTAGE_RETRY": "_postgres",
    "UPGRADE_CHUNK": "_backend",
    "SqliteStore": "_sqlite",
    "CONNECT_TIMEOUT": "_urls",
    "PG_SCHEMES": "_urls",
    "UrlParts": "_urls",
    "escape_at": "_urls",
    "mask_url": "_urls",
    "pg_engine_url": "_urls",
    "url_parts": "_urls",
    "url_passwords": "_urls",
    "url_scheme": "_urls",
}

__all__ = [
    "API_HORIZON_DAYS",
    "CONNECT_TIMEOUT",
    "END_TIME_VIEW",
    "LEASE_TTL",
    "OUTAGE_RETRY",
    "PG_SCHEMES",
    "SCHEMA_VERSION",
    "UPGRADE_CHUNK",
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


__getattr__, __dir__ = _loader(__name__, _LAZY, globals())

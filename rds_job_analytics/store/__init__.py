"""The archive: every raw answer kept, on SQLite or PostgreSQL."""

from __future__ import annotations

from ._archive import (
    API_HORIZON_DAYS,
    END_TIME_VIEW,
    LEASE_TTL,
    SCHEMA_VERSION,
    ArchiveError,
    ArchiveUnavailable,
    Coverage,
    JobArchive,
    Lease,
    Window,
    find_gaps,
    merge_windows,
)
from ._dbquota import (
    DbTokenBucket,
)
from ._postgres import (
    PgStore,
)

__all__ = [
    "API_HORIZON_DAYS",
    "END_TIME_VIEW",
    "LEASE_TTL",
    "SCHEMA_VERSION",
    "ArchiveError",
    "ArchiveUnavailable",
    "Coverage",
    "DbTokenBucket",
    "JobArchive",
    "Lease",
    "PgStore",
    "Window",
    "find_gaps",
    "merge_windows",
]

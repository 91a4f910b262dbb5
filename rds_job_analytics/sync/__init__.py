"""Batches of IDs and time windows into frames and the archive: :func:`fetch_jobs`,
:func:`sync_jobs`, and the fleet (every account, region and project: :func:`sync_fleet`).

>>> import rds_job_analytics as rja
>>> rja.sync.sync_fleet.__module__
'rds_job_analytics.sync._fleet'
"""

from __future__ import annotations

from ._fetch import FETCH_STATUSES, FETCHED, REFRESH_CHOICES, Refresh, fetch_jobs
from ._fleet import FleetResult, ProjectOutcome, check_fleet, discover_projects, sync_fleet
from ._fleet_file import (
    AUTH_KINDS,
    MAX_NESTING,
    Account,
    Fleet,
    FleetProject,
    fleet_toml,
    load_fleet,
)
from ._sync import (
    DEFAULT_DETAIL_RULE,
    DEFAULT_OVERLAP,
    DetailRule,
    Details,
    SyncResult,
    default_since,
    oldest_answered,
    sync_jobs,
)

__all__ = [
    "AUTH_KINDS",
    "DEFAULT_DETAIL_RULE",
    "DEFAULT_OVERLAP",
    "FETCHED",
    "FETCH_STATUSES",
    "MAX_NESTING",
    "REFRESH_CHOICES",
    "Account",
    "DetailRule",
    "Details",
    "Fleet",
    "FleetProject",
    "FleetResult",
    "ProjectOutcome",
    "Refresh",
    "SyncResult",
    "check_fleet",
    "default_since",
    "discover_projects",
    "fetch_jobs",
    "fleet_toml",
    "load_fleet",
    "oldest_answered",
    "sync_fleet",
    "sync_jobs",
]

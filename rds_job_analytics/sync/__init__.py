"""Batches of IDs and time windows into frames and the archive: :func:`fetch_jobs`,
:func:`sync_jobs`, and the fleet (every account, region and project: :func:`sync_fleet`).

>>> import rds_job_analytics as rja
>>> rja.sync.sync_fleet.__module__
'rds_job_analytics.sync._fleet'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import loader as _loader
from ._fetch import FETCH_STATUSES, FETCHED, REFRESH_CHOICES, Refresh, fetch_jobs
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

if TYPE_CHECKING:
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

#: Public name -> the private module that defines it, imported on first use: the fleet's
#: modules (TOML, profiles, the thread pool of projects) load only when a fleet is used, so
#: a single-project cron sync does not pay for them.
_LAZY = {
    **dict.fromkeys(
        ("FleetResult", "ProjectOutcome", "check_fleet", "discover_projects", "sync_fleet"),
        "_fleet",
    ),
    **dict.fromkeys(
        (
            "AUTH_KINDS",
            "MAX_NESTING",
            "Account",
            "Fleet",
            "FleetProject",
            "fleet_toml",
            "load_fleet",
        ),
        "_fleet_file",
    ),
}


__getattr__, __dir__ = _loader(__name__, _LAZY, globals())


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

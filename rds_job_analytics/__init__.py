"""rds_job_analytics: Huawei Cloud RDS task-center jobs as pandas DataFrames.

Examples
--------
>>> import rds_job_analytics as rja
>>> df = rja.load_sample()
>>> df["status"].value_counts().index.tolist()[:1]
['Completed']

Plotting, the explorer and the report load on first use (PEP 562), so a cron
``rds-jobs sync`` never imports matplotlib, ipywidgets or jinja2.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import (
    _deprecated,
    _startup,  # noqa: F401  first: in rds-jobs, Ctrl-C while importing is one line
)
from ._lazy import loader as _loader
from ._version import __version__
from .api import AkSkAuth, JobsClient, PasswordAuth, TokenAuth, TokenBucket, auth_from_env
from .exceptions import (
    ApiError,
    ArchiveError,
    ArchiveUnavailable,
    AuthError,
    BadRequest,
    CommandFailed,
    ConfigError,
    DatasetDamaged,
    DatasetRepairedWarning,
    DatasetUnsafe,
    FetchError,
    FetchWarning,
    Interrupted,
    InvalidRecordError,
    InvalidRecordWarning,
    JobNotFound,
    LeaseLost,
    ProjectBusy,
    QuotaCancelled,
    QuotaWarning,
    RateLimited,
    RdsJobError,
    RdsJobWarning,
    RecordsRejected,
    ResponseTooLarge,
    ServerError,
    SqlError,
    TransportError,
)
from .export import write_frame
from .normalize import JOB_SCHEMA, JobRow, empty_jobs_frame, normalize_jobs, parse_job
from .sample import load_sample
from .stats import (
    duration_summary,
    failure_rates,
    filter_window,
    resize_summary,
    summarize,
    wilson_interval,
)
from .store import Coverage, JobArchive, Lease, Window
from .sync import DEFAULT_DETAIL_RULE, DetailRule, SyncResult, fetch_jobs, sync_jobs

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and IDEs
    from .export import DatasetExport, export_dataset, read_jobs
    from .plots import plot_durations, plot_failure_rates, plot_resize_deltas, plot_timeline
    from .report import Report, month_bounds, monthly_report
    from .sync import Fleet, FleetResult, load_fleet, sync_fleet
    from .widgets import JobExplorer, explore

#: Public name -> the module that defines it, imported on first access.
_LAZY = {
    "plot_durations": "plots",
    "plot_failure_rates": "plots",
    "plot_resize_deltas": "plots",
    "plot_timeline": "plots",
    "Report": "report",
    "month_bounds": "report",
    "monthly_report": "report",
    "JobExplorer": "widgets",
    "DatasetExport": "export",
    "Fleet": "sync",
    "FleetResult": "sync",
    "load_fleet": "sync",
    "sync_fleet": "sync",
    "export_dataset": "export",
    "read_jobs": "export",
    "explore": "widgets",
}


#: Every module a user reaches as ``rja.<name>``, imported on first access.
_SUBMODULES = (
    "api", "cli", "dlt", "emulator", "exceptions", "export", "normalize", "plots", "quota",
    "report", "sample", "stats", "store", "sync", "synth", "widgets",
)  # fmt: skip

_deprecated.install()


_lazy_getattr, _lazy_dir = _loader(__name__, _LAZY, globals())


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES or name in _deprecated.ALIASES:
        return importlib.import_module(f".{name}", __name__)  # the import binds it here
    return _lazy_getattr(name)


def __dir__() -> list[str]:
    return sorted(set(_lazy_dir()) | set(_SUBMODULES))


__all__ = [
    "DEFAULT_DETAIL_RULE",
    "JOB_SCHEMA",
    "AkSkAuth",
    "ApiError",
    "ArchiveError",
    "ArchiveUnavailable",
    "AuthError",
    "BadRequest",
    "CommandFailed",
    "ConfigError",
    "Coverage",
    "DatasetDamaged",
    "DatasetExport",
    "DatasetRepairedWarning",
    "DatasetUnsafe",
    "DetailRule",
    "FetchError",
    "FetchWarning",
    "Fleet",
    "FleetResult",
    "Interrupted",
    "InvalidRecordError",
    "InvalidRecordWarning",
    "JobArchive",
    "JobExplorer",
    "JobNotFound",
    "JobRow",
    "JobsClient",
    "Lease",
    "LeaseLost",
    "PasswordAuth",
    "ProjectBusy",
    "QuotaCancelled",
    "QuotaWarning",
    "RateLimited",
    "RdsJobError",
    "RdsJobWarning",
    "RecordsRejected",
    "Report",
    "ResponseTooLarge",
    "ServerError",
    "SqlError",
    "SyncResult",
    "TokenAuth",
    "TokenBucket",
    "TransportError",
    "Window",
    "__version__",
    "auth_from_env",
    "duration_summary",
    "empty_jobs_frame",
    "explore",
    "export_dataset",
    "failure_rates",
    "fetch_jobs",
    "filter_window",
    "load_fleet",
    "load_sample",
    "month_bounds",
    "monthly_report",
    "normalize_jobs",
    "parse_job",
    "plot_durations",
    "plot_failure_rates",
    "plot_resize_deltas",
    "plot_timeline",
    "read_jobs",
    "resize_summary",
    "summarize",
    "sync_fleet",
    "sync_jobs",
    "wilson_interval",
    "write_frame",
]

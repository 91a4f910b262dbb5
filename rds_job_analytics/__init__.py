"""rds_job_analytics: Huawei Cloud RDS task-center jobs as pandas DataFrames.

Examples
--------
>>> import rds_job_analytics as rja
>>> df = rja.load_sample()
>>> df["status"].value_counts().index.tolist()[:1]
['Completed']
"""

from .archive import JobArchive
from .auth import AkSkAuth, PasswordAuth, TokenAuth, auth_from_env
from .client import JobsClient, TokenBucket
from .exceptions import (
    ApiError,
    AuthError,
    BadRequest,
    ConfigError,
    FetchError,
    InvalidRecordError,
    InvalidRecordWarning,
    JobNotFound,
    RateLimited,
    RdsJobError,
    ServerError,
    TransportError,
)
from .fetch import FetchWarning, SyncResult, fetch_jobs, sync_jobs
from .normalize import normalize_jobs, parse_job
from .plots import plot_durations, plot_failure_rates, plot_resize_deltas, plot_timeline
from .report import Report, month_bounds, monthly_report
from .sample import load_sample
from .schema import JOB_SCHEMA, empty_jobs_frame
from .stats import (
    duration_summary,
    failure_rates,
    filter_window,
    resize_summary,
    wilson_interval,
)
from .widgets import JobExplorer, explore

__version__ = "0.1.0"

__all__ = [
    "JOB_SCHEMA",
    "AkSkAuth",
    "ApiError",
    "AuthError",
    "BadRequest",
    "ConfigError",
    "FetchError",
    "FetchWarning",
    "InvalidRecordError",
    "InvalidRecordWarning",
    "JobArchive",
    "JobExplorer",
    "JobNotFound",
    "JobsClient",
    "PasswordAuth",
    "RateLimited",
    "RdsJobError",
    "Report",
    "ServerError",
    "SyncResult",
    "TokenAuth",
    "TokenBucket",
    "TransportError",
    "auth_from_env",
    "duration_summary",
    "empty_jobs_frame",
    "explore",
    "failure_rates",
    "fetch_jobs",
    "filter_window",
    "load_sample",
    "month_bounds",
    "monthly_report",
    "normalize_jobs",
    "parse_job",
    "plot_durations",
    "plot_failure_rates",
    "plot_resize_deltas",
    "plot_timeline",
    "resize_summary",
    "sync_jobs",
    "wilson_interval",
]

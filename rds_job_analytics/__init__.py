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
from .sample import load_sample
from .schema import JOB_SCHEMA, empty_jobs_frame

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
    "JobNotFound",
    "JobsClient",
    "PasswordAuth",
    "RateLimited",
    "RdsJobError",
    "ServerError",
    "SyncResult",
    "TokenAuth",
    "TokenBucket",
    "TransportError",
    "auth_from_env",
    "empty_jobs_frame",
    "fetch_jobs",
    "load_sample",
    "normalize_jobs",
    "parse_job",
    "sync_jobs",
]

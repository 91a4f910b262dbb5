"""rds_job_analytics: Huawei Cloud RDS task-center jobs as pandas DataFrames.

Examples
--------
>>> import rds_job_analytics as rja
>>> df = rja.load_sample()
>>> df["status"].value_counts().index.tolist()[:1]
['Completed']
"""

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
from .normalize import normalize_jobs, parse_job
from .sample import load_sample
from .schema import JOB_SCHEMA, empty_jobs_frame

__version__ = "0.1.0"

__all__ = [
    "JOB_SCHEMA",
    "ApiError",
    "AuthError",
    "BadRequest",
    "ConfigError",
    "FetchError",
    "InvalidRecordError",
    "InvalidRecordWarning",
    "JobNotFound",
    "RateLimited",
    "RdsJobError",
    "ServerError",
    "TransportError",
    "empty_jobs_frame",
    "load_sample",
    "normalize_jobs",
    "parse_job",
]

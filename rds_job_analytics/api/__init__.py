"""HTTP only: the task-center client, credentials and signing, regions. No frames, no archive."""

from __future__ import annotations

from . import regions
from ._auth import (
    AkSkAuth,
    AkSkCredentials,
    Auth,
    AuthContext,
    PasswordAuth,
    TokenAuth,
    auth_from_env,
    check_endpoint,
    is_loopback,
    sign_request,
)
from ._client import (
    API_QUOTA,
    DEFAULT_CALL_DEADLINE,
    DEFAULT_DEADLINE,
    DEFAULT_RATE_LIMIT,
    ERROR_MAP,
    MAX_BODY_BYTES,
    MAX_JOB_ID_LENGTH,
    MAX_TASK_PAGES,
    TASK_PAGE_MARGIN,
    JobsClient,
    TokenBucket,
    clean_job_id,
    connect_failure_reason,
    error_class,
    parse_error_body,
)

__all__ = [
    "API_QUOTA",
    "DEFAULT_CALL_DEADLINE",
    "DEFAULT_DEADLINE",
    "DEFAULT_RATE_LIMIT",
    "ERROR_MAP",
    "MAX_BODY_BYTES",
    "MAX_JOB_ID_LENGTH",
    "MAX_TASK_PAGES",
    "TASK_PAGE_MARGIN",
    "AkSkAuth",
    "AkSkCredentials",
    "Auth",
    "AuthContext",
    "JobsClient",
    "PasswordAuth",
    "TokenAuth",
    "TokenBucket",
    "auth_from_env",
    "check_endpoint",
    "clean_job_id",
    "connect_failure_reason",
    "error_class",
    "is_loopback",
    "parse_error_body",
    "regions",
    "sign_request",
]

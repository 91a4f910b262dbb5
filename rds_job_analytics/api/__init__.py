"""HTTP only: the task-center client, credentials and signing, IAM, regions. No frames, no
archive. (:class:`TokenBucket` lives in :mod:`rds_job_analytics.quota`, with every bucket.)"""

from __future__ import annotations

from ..quota import TokenBucket
from . import regions
from ._auth import (
    AUTH_KINDS,
    AkSkAuth,
    AkSkCredentials,
    Auth,
    AuthContext,
    PasswordAuth,
    TokenAuth,
    auth_from_env,
    check_endpoint,
    credentials_from_env,
    is_loopback,
    make_auth,
    sign_request,
)
from ._client import (
    API_QUOTA,
    DEFAULT_CALL_DEADLINE,
    DEFAULT_DEADLINE,
    DEFAULT_RATE_LIMIT,
    MAX_BODY_BYTES,
    MAX_JOB_ID_LENGTH,
    MAX_TASK_PAGES,
    TASK_PAGE_MARGIN,
    JobsClient,
    clean_job_id,
    parse_error_body,
)
from ._errors import ERROR_MAP, connect_failure_reason, error_class
from ._iam import LoginMemo, iam_projects_url, iam_token, iam_token_url, list_projects, login_memo

__all__ = [
    "API_QUOTA",
    "AUTH_KINDS",
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
    "LoginMemo",
    "PasswordAuth",
    "TokenAuth",
    "TokenBucket",
    "auth_from_env",
    "check_endpoint",
    "clean_job_id",
    "connect_failure_reason",
    "credentials_from_env",
    "error_class",
    "iam_projects_url",
    "iam_token",
    "iam_token_url",
    "is_loopback",
    "list_projects",
    "login_memo",
    "make_auth",
    "parse_error_body",
    "regions",
    "sign_request",
]

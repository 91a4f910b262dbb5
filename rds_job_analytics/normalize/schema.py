"""The normalized job schema: ordered columns and dtypes, and the empty frame.

Examples
--------
>>> from rds_job_analytics import JOB_SCHEMA, empty_jobs_frame
>>> list(JOB_SCHEMA)[:3]
['job_id', 'job_name', 'status']
>>> empty_jobs_frame().dtypes["created"]
datetime64[ns, UTC]
"""

from __future__ import annotations

import re
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import pandas as pd

from .._time import to_epoch_ms, to_utc
from ..exceptions import ConfigError

__all__ = [
    "API_HORIZON",
    "CANONICAL_STATUSES",
    "CATEGORY",
    "COMPLETED",
    "FAILED",
    "FETCH_COLUMNS",
    "JOB_ID_MAX_LENGTH",
    "JOB_ID_SHAPE",
    "JOB_ORDER",
    "JOB_SCHEMA",
    "OBJECT",
    "ORIGIN_COLUMNS",
    "RUNNING",
    "STATUS_SPELLINGS",
    "TERMINAL_STATUSES",
    "canonical_status",
    "clean_job_id",
    "empty_jobs_frame",
    "is_job_id",
    "strip_job_id",
    "to_epoch_ms",
    "to_utc",
    "with_origin",
]

from ._fields import (  # the field table is the one home of the columns and their rules
    CANONICAL_STATUSES,
    CATEGORY,
    COMPLETED,
    FAILED,
    FIELDS,
    OBJECT,
    ORIGIN_COLUMNS,
    RUNNING,
    STATUS_SPELLINGS,
    TERMINAL_STATUSES,
    TEXT,
    canonical_status,
    no_whitespace,
)

#: The one row order of a job frame: ``created`` (missing first), then the key
#: ``project_id``, ``job_id`` (text compared bytewise, as both databases sort it):
#: ``JobArchive.to_frame()``, ``read_jobs`` and ``read_table`` all give their rows so.
JOB_ORDER = ("created", "project_id", "job_id")


def strip_job_id(value: str) -> str:
    """The job-ID rule: every whitespace character removed (IDs never hold any; the
    published examples carry typing accidents like ``"31 b8ae23 - c687"``).

    Examples
    --------
    >>> strip_job_id(" 31 b8ae23 - c687 ")
    '31b8ae23-c687'
    """
    return no_whitespace(value)


#: The two shapes of a task-center job ID (after :func:`strip_job_id`): a UUID with
#: hyphens, or 32 hex digits without. A shape, not a UUID check (no version bits).
JOB_ID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|[0-9a-fA-F]{32}")
#: No job ID is longer than its longest shape (a UUID): a longer argument is refused
#: before any call (no 10k-character query).
JOB_ID_MAX_LENGTH = 36


def is_job_id(token: str) -> bool:
    """Whether a token (whitespace repaired) has the shape of a job ID.

    Examples
    --------
    >>> is_job_id("31b8ae23-c687-4d80-b7b4-42a66c9bb886"), is_job_id(" 31b8ae23c6874d80b7b442a66c9bb886")
    (True, True)
    >>> is_job_id("job_id"), is_job_id("hello world")
    (False, False)
    """
    return JOB_ID_SHAPE.fullmatch(strip_job_id(token)) is not None


def clean_job_id(job_id: Any) -> str:
    """:func:`strip_job_id` for a caller's argument: a non-string or empty ID is a
    :class:`~rds_job_analytics.ConfigError` naming it.

    Examples
    --------
    >>> clean_job_id(" 31 b8ae23 - c687 ")
    '31b8ae23-c687'
    """
    if not isinstance(job_id, str):
        raise ConfigError(f"job id must be a string, not {type(job_id).__name__}: {job_id!r}")
    cleaned = strip_job_id(job_id)
    if not cleaned:
        raise ConfigError(f"empty job id: {job_id!r}")
    return cleaned


#: How long the task center keeps jobs: the API answers for nothing older, so a sync
#: never claims to cover more, and only an archive keeps older history.
API_HORIZON = timedelta(days=30)

_SCHEMA: dict[str, Any] = {f.column: f.dtype for f in FIELDS.values()}

#: Ordered, read-only mapping of column name -> pandas dtype of the normalized frame.
JOB_SCHEMA = MappingProxyType(_SCHEMA)

#: Columns that :func:`rds_job_analytics.fetch_jobs` adds after the job columns.
FETCH_COLUMNS = MappingProxyType({"fetch_status": CATEGORY, "fetch_error": TEXT})


def with_origin(
    df: pd.DataFrame,
    *,
    account: str | None = None,
    project_id: str | None = None,
    region: str | None = None,
) -> pd.DataFrame:
    """``df`` with its origin columns (``account``, ``project_id``, ``region``) set to one
    value each, in place; ``None`` leaves a column as it is. Returns ``df``.

    Examples
    --------
    >>> df = with_origin(empty_jobs_frame(), project_id="p1", region="cn-north-4")
    >>> df["region"].dtype, len(df)
    (CategoricalDtype(categories=['cn-north-4'], ordered=False, categories_dtype=object), 0)
    """
    for name, value in (("account", account), ("project_id", project_id), ("region", region)):
        if value is not None:
            df[name] = pd.Categorical([value] * len(df), categories=pd.Index([value], dtype=object))
    return df


def empty_jobs_frame(extra_columns: dict[str, Any] | None = None) -> pd.DataFrame:
    """Return a frame with no rows and every schema column with its dtype.

    Parameters
    ----------
    extra_columns : dict, optional
        More ``name -> dtype`` columns appended after the job columns.

    Examples
    --------
    >>> df = empty_jobs_frame()
    >>> len(df), list(df.columns) == list(JOB_SCHEMA)
    (0, True)
    """
    schema = dict(_SCHEMA)
    if extra_columns:
        schema.update(extra_columns)
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in schema.items()})

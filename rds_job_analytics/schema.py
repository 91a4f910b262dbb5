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

from types import MappingProxyType
from typing import Any

import pandas as pd

__all__ = [
    "CANONICAL_STATUSES",
    "FETCH_COLUMNS",
    "JOB_SCHEMA",
    "TERMINAL_STATUSES",
    "empty_jobs_frame",
    "to_epoch_ms",
    "to_utc",
]

TEXT = pd.StringDtype("pyarrow")
CATEGORY = "category"
UTC_TIME = pd.DatetimeTZDtype("ns", "UTC")
FLOAT = "float64"
OBJECT = "object"

CANONICAL_STATUSES = ("Running", "Completed", "Failed")
TERMINAL_STATUSES = frozenset({"Completed", "Failed"})

_SCHEMA: dict[str, Any] = {
    "job_id": TEXT,
    "job_name": CATEGORY,
    "status": CATEGORY,
    "created": UTC_TIME,
    "ended": UTC_TIME,
    "duration_s": FLOAT,
    "progress_pct": FLOAT,
    "instance_id": TEXT,
    "instance_name": TEXT,
    "instance_type": CATEGORY,
    "engine": CATEGORY,
    "engine_version": CATEGORY,
    "endpoint": TEXT,
    "replica_of": TEXT,
    "resource_ids": OBJECT,
    "volume_type": CATEGORY,
    "volume_original_gb": FLOAT,
    "volume_target_gb": FLOAT,
    "volume_delta_gb": FLOAT,
    "public_ip": TEXT,
    "switch_strategy": TEXT,
    "fail_reason": TEXT,
    "extra": OBJECT,
}

#: Ordered, read-only mapping of column name -> pandas dtype of the normalized frame.
JOB_SCHEMA = MappingProxyType(_SCHEMA)

#: Columns that :func:`rds_job_analytics.fetch_jobs` adds after the job columns.
FETCH_COLUMNS = MappingProxyType({"fetch_status": CATEGORY, "fetch_error": TEXT})


def to_utc(value: Any) -> pd.Timestamp:
    """A datetime, date string or Timestamp as a tz-aware UTC Timestamp (naive = UTC).

    Examples
    --------
    >>> to_utc("2026-10-01 08:00+08:00")
    Timestamp('2026-10-01 00:00:00+0000', tz='UTC')
    """
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def to_epoch_ms(value: Any) -> int:
    """Milliseconds since the epoch (what the task-list API takes); numbers pass through.

    Examples
    --------
    >>> to_epoch_ms("2026-01-01")
    1767225600000
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return to_utc(value).as_unit("ns").value // 1_000_000


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

"""Raw API answers to the one normalized frame: the field table (``schema``), the per-record
and columnar paths.
"""

from __future__ import annotations

from . import schema
from ._fields import ENGINE_IN_NAME
from ._records import (
    COLUMNAR_MIN_ROWS,
    MAX_DEPTH,
    JobRow,
    encode_record,
    frame_from_columns,
    normalize_jobs,
    parse_job,
)
from .schema import (
    API_HORIZON,
    CANONICAL_STATUSES,
    CATEGORY,
    COMPLETED,
    FAILED,
    FETCH_COLUMNS,
    JOB_ID_MAX_LENGTH,
    JOB_ID_SHAPE,
    JOB_ORDER,
    JOB_SCHEMA,
    OBJECT,
    ORIGIN_COLUMNS,
    RUNNING,
    STATUS_SPELLINGS,
    TERMINAL_STATUSES,
    canonical_status,
    clean_job_id,
    empty_jobs_frame,
    is_job_id,
    strip_job_id,
    to_epoch_ms,
    to_utc,
    with_origin,
)

__all__ = [
    "API_HORIZON",
    "CANONICAL_STATUSES",
    "CATEGORY",
    "COLUMNAR_MIN_ROWS",
    "COMPLETED",
    "ENGINE_IN_NAME",
    "FAILED",
    "FETCH_COLUMNS",
    "JOB_ID_MAX_LENGTH",
    "JOB_ID_SHAPE",
    "JOB_ORDER",
    "JOB_SCHEMA",
    "MAX_DEPTH",
    "OBJECT",
    "ORIGIN_COLUMNS",
    "RUNNING",
    "STATUS_SPELLINGS",
    "TERMINAL_STATUSES",
    "JobRow",
    "canonical_status",
    "clean_job_id",
    "empty_jobs_frame",
    "encode_record",
    "frame_from_columns",
    "is_job_id",
    "normalize_jobs",
    "parse_job",
    "schema",
    "strip_job_id",
    "to_epoch_ms",
    "to_utc",
    "with_origin",
]

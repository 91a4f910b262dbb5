"""Frames out: files (CSV, Parquet), the hive-partitioned dataset and its SQL, open tables
(Iceberg, Delta).

Files load with the package; the dataset and the tables load on first use (PEP 562), so a
cron sync that writes one frame does not pay for ``pyarrow.dataset``, DuckDB or an open-table
library.

>>> import rds_job_analytics as rja
>>> rja.export.write_frame.__module__
'rds_job_analytics.export._files'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import loader as _loader
from ._files import CSV_TIME_FORMAT, EXPORT_SUFFIXES, FORMULA_PREFIXES, csv_safe, write_frame

if TYPE_CHECKING:
    from ._dataset import (
        MANIFEST_NAME,
        NULL_PARTITION,
        PARTITION_KEYS,
        PARTITION_SCHEMA,
        DatasetExport,
        export_dataset,
        from_arrow,
        read_jobs,
        to_arrow,
    )
    from ._sql import SQL_MEMORY_LIMIT, run_sql
    from ._tables import (
        CATALOG_FILE,
        CATALOG_NAME,
        ICEBERG_TABLE,
        TABLE_FORMATS,
        TableExport,
        read_table,
        to_table,
    )

#: Public name -> the private module that defines it, imported on first access.
_LAZY = {
    **dict.fromkeys(
        (
            "MANIFEST_NAME",
            "NULL_PARTITION",
            "PARTITION_KEYS",
            "PARTITION_SCHEMA",
            "DatasetExport",
            "export_dataset",
            "from_arrow",
            "read_jobs",
            "to_arrow",
        ),
        "_dataset",
    ),
    **dict.fromkeys(("SQL_MEMORY_LIMIT", "run_sql"), "_sql"),
    **dict.fromkeys(
        (
            "CATALOG_FILE",
            "CATALOG_NAME",
            "ICEBERG_TABLE",
            "TABLE_FORMATS",
            "TableExport",
            "read_table",
            "to_table",
        ),
        "_tables",
    ),
}


__getattr__, __dir__ = _loader(__name__, _LAZY, globals())


__all__ = [
    "CATALOG_FILE",
    "CATALOG_NAME",
    "CSV_TIME_FORMAT",
    "EXPORT_SUFFIXES",
    "FORMULA_PREFIXES",
    "ICEBERG_TABLE",
    "MANIFEST_NAME",
    "NULL_PARTITION",
    "PARTITION_KEYS",
    "PARTITION_SCHEMA",
    "SQL_MEMORY_LIMIT",
    "TABLE_FORMATS",
    "DatasetExport",
    "TableExport",
    "csv_safe",
    "export_dataset",
    "from_arrow",
    "read_jobs",
    "read_table",
    "run_sql",
    "to_arrow",
    "to_table",
    "write_frame",
]

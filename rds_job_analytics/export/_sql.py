"""SQL over the jobs: :func:`run_sql` runs DuckDB over an archive or an exported dataset
(:func:`~rds_job_analytics.export.export_dataset`) as the table ``jobs``.

Examples
--------
>>> import tempfile
>>> from rds_job_analytics import load_sample
>>> from rds_job_analytics.export import export_dataset
>>> with tempfile.TemporaryDirectory() as folder:
...     _ = export_dataset(load_sample(), folder)
...     n = run_sql("SELECT count(*) AS n FROM jobs", dataset=folder)["n"].iloc[0]
>>> int(n)
5000
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from ..exceptions import ConfigError, SqlError
from ..normalize.schema import JOB_SCHEMA
from ._dataset import _dataset, export_dataset, to_arrow  # noqa: F401 (run_sql's example)

if TYPE_CHECKING:
    from ..store import JobArchive

__all__ = ["SQL_MEMORY_LIMIT", "SqlError", "run_sql"]


# -- SQL ------------------------------------------------------------------------------------
_DUCKDB_HINT = "rds-jobs sql needs DuckDB: pip install 'rds-job-analytics[sql]'"
#: Memory a :func:`run_sql` query may use (DuckDB's ``memory_limit``; its own default is
#: 80% of the machine's RAM): past it the query fails naming the limit. ``rds-jobs sql
#: --memory-limit`` (``memory_limit=``) raises it.
SQL_MEMORY_LIMIT = "2GB"
_MEMORY_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def run_sql(
    query: str,
    *,
    archive: str | Path | JobArchive | None = None,
    dataset: str | Path | None = None,
    memory_limit: str = SQL_MEMORY_LIMIT,
) -> pd.DataFrame:
    """Run a DuckDB SQL query over an archive or a dataset, as the table ``jobs``.

    ``jobs`` has the normalized columns in ``JOB_SCHEMA`` order, the same from either
    source: text and categories as ``VARCHAR``, ``created``/``ended`` as ``TIMESTAMPTZ``
    (UTC), numbers as ``DOUBLE``, ``resource_ids`` and ``extra`` as JSON text (DuckDB's
    ``json_extract`` reads them). An archive is read through
    :meth:`~rds_job_analytics.JobArchive.to_frame` (SQLite or PostgreSQL: the raw tables
    hold API responses, not columns), and its sync windows are the table ``syncs``; a
    dataset is scanned in place (filters and partitions pushed down). Nothing is written:
    the query runs in an in-memory database without file access (no ``COPY``,
    ``read_csv`` or ``ATTACH``) and without downloading extensions.

    Parameters
    ----------
    query : str
        One SQL query; its last statement's result is returned.
    archive : str, Path or JobArchive, optional
        An archive file or ``postgresql://`` URL (opened read-only: it must exist), or an
        open archive.
    dataset : str or Path, optional
        A folder written by :func:`export_dataset`. Exactly one of ``archive`` and
        ``dataset``.
    memory_limit : str
        What the query may use (``"2GB"``, ``"512MB"``; default :data:`SQL_MEMORY_LIMIT`).

    The query runs in a worker thread: Ctrl-C (``KeyboardInterrupt``) interrupts DuckDB at
    once and is raised again here, instead of waiting for the query to end.

    Returns
    -------
    pandas.DataFrame
        The query's result (an empty frame for a statement without one, such as ``SET``).

    Raises
    ------
    ConfigError
        Neither or both sources; a path that is not an archive or a dataset (named).
    SqlError
        DuckDB's error for the query (a :class:`ConfigError`).
    ImportError
        DuckDB is not installed (``pip install 'rds-job-analytics[sql]'``).

    Examples
    --------
    >>> import tempfile
    >>> from rds_job_analytics import load_sample
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = export_dataset(load_sample(), folder)
    ...     out = run_sql("SELECT status, count(*) AS n FROM jobs GROUP BY 1 ORDER BY 1",
    ...                   dataset=folder)
    >>> out["status"].tolist()
    ['Completed', 'Failed', 'Running']
    """
    if (archive is None) == (dataset is None):
        raise ConfigError("run_sql needs exactly one of archive= and dataset=")
    if not isinstance(memory_limit, str) or not _MEMORY_SIZE.match(memory_limit):
        raise ConfigError(f"memory_limit must be a size such as 2GB or 512MB, not {memory_limit!r}")
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is in the test extras
        raise ImportError(_DUCKDB_HINT) from exc
    con = duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    try:
        source: Any
        if dataset is not None:
            source = _dataset(Path(dataset))
            con.register("_rds_jobs_source", source)
        else:
            source, syncs = _archive_tables(archive)
            con.register("_rds_jobs_source", source)
            con.register("syncs", syncs)
        cols = ", ".join(f'"{c}"' for c in JOB_SCHEMA)
        con.execute(f"CREATE VIEW jobs AS SELECT {cols} FROM _rds_jobs_source")
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET memory_limit = '{memory_limit.strip()}'")
        con.execute("SET enable_external_access = false")
        out: dict[str, Any] = {}
        done = threading.Event()

        def execute() -> None:  # in a worker: the main thread stays free for Ctrl-C
            try:
                result = con.sql(query)
                out["frame"] = pd.DataFrame() if result is None else result.df()
            except BaseException as exc:
                out["error"] = exc
            finally:
                done.set()

        worker = threading.Thread(target=execute, name="rds-jobs-sql", daemon=True)
        try:
            worker.start()
            while not done.wait(0.1):  # short waits: a pending Ctrl-C is seen within 0.1 s
                pass
        except KeyboardInterrupt:
            if worker.is_alive():
                con.interrupt()  # DuckDB stops the query at its next check
                done.wait()
            raise
        error = out.get("error")
        if isinstance(error, duckdb.OutOfMemoryException):
            raise SqlError(f"SQL error: {error} (the limit is memory_limit={memory_limit}; "
                           "rds-jobs sql --memory-limit raises it)") from error  # fmt: skip
        if isinstance(error, duckdb.Error):
            raise SqlError(f"SQL error: {error}") from error
        if error is not None:
            raise error
        return out["frame"]
    finally:
        con.close()


def _archive_tables(archive: Any) -> tuple[pa.Table, pd.DataFrame]:
    from ..store import JobArchive

    if isinstance(archive, JobArchive):
        return to_arrow(archive.to_frame()), archive.syncs()
    with JobArchive.open(archive) as arc:
        return to_arrow(arc.to_frame()), arc.syncs()

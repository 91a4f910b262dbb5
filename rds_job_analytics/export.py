"""Write a job frame to a file any tool reads: Parquet or CSV.

Used by :meth:`JobArchive.export <rds_job_analytics.JobArchive.export>` and by
``rds-jobs fetch -o``. The list/dict columns (``resource_ids``, ``extra``) are written as
JSON text.

Examples
--------
>>> from rds_job_analytics.export import EXPORT_SUFFIXES
>>> EXPORT_SUFFIXES
('.parquet', '.csv')
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd

from .exceptions import ConfigError
from .schema import TEXT

__all__ = ["EXPORT_SUFFIXES", "write_frame"]

#: File suffixes :func:`write_frame` knows, in order of preference.
EXPORT_SUFFIXES = (".parquet", ".csv")

#: Columns holding lists or dicts, written as JSON text.
_JSON_COLUMNS = ("resource_ids", "extra")


def write_frame(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a job frame to Parquet (``.parquet``) or CSV (``.csv``).

    Parameters
    ----------
    df : pandas.DataFrame
        A job frame (any columns); the frame itself is not modified.
    path : str or Path
        Output file, its suffix picks the format; missing folders are created.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ConfigError
        When ``path`` ends in neither ``.parquet`` nor ``.csv``.

    Notes
    -----
    ``resource_ids`` and ``extra`` are written as JSON text so any tool can read them.

    Examples
    --------
    >>> import tempfile
    >>> from rds_job_analytics import load_sample
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_frame(load_sample().head(3), Path(folder) / "jobs.csv")
    ...     path.name, len(pd.read_csv(path))
    ('jobs.csv', 3)
    """
    path = Path(path)
    if path.suffix not in EXPORT_SUFFIXES:
        raise ConfigError(f"output path must end in .parquet or .csv, not {path.name!r}")
    out = df.copy()
    for col in _JSON_COLUMNS:
        if col in out:
            out[col] = pd.array([_json_text(v) for v in out[col]], dtype=TEXT)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        out.to_parquet(path, index=False)
    else:
        out.to_csv(path, index=False)
    return path


def _json_text(value: object) -> str | None:
    return orjson.dumps(value).decode() if isinstance(value, list | dict) else None

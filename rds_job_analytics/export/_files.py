"""Write a job frame to a file any tool reads: Parquet or CSV.

Used by :meth:`JobArchive.export <rds_job_analytics.JobArchive.export>` and by
``rds-jobs fetch -o``. The list/dict columns (``resource_ids``, ``extra``) are written as
JSON text.

Examples
--------
>>> from rds_job_analytics.export._files import EXPORT_SUFFIXES
>>> EXPORT_SUFFIXES
('.parquet', '.csv')
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd

from .._validate import expand_path
from ..exceptions import ConfigError
from ..normalize.schema import TEXT

__all__ = ["CSV_TIME_FORMAT", "EXPORT_SUFFIXES", "FORMULA_PREFIXES", "csv_safe", "write_frame"]

#: File suffixes :func:`write_frame` knows, in order of preference.
EXPORT_SUFFIXES = (".parquet", ".csv")

#: How a CSV writes every time column (``created``, ``ended``...), and the format that reads
#: a cell back (``datetime.strptime(cell, CSV_TIME_FORMAT)``,
#: ``pd.to_datetime(column, format=CSV_TIME_FORMAT)``): UTC (a naive column is UTC), with
#: ``%f`` written as milliseconds (3 digits, always) and ``%z`` as ``+00:00``, e.g.
#: ``2026-10-01 08:00:05.000+00:00``.
CSV_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f%z"

#: strftime's ``.ffffff+0000`` (of :data:`CSV_TIME_FORMAT`) as written: ``.fff+00:00``.
_CSV_TIME_AS_WRITTEN = (r"(\.\d{3})\d{3}([+-]\d{2})(\d{2})$", r"\1\2:\3")

#: Columns holding lists or dicts, written as JSON text.
_JSON_COLUMNS = ("resource_ids", "extra")

#: What a spreadsheet reads as the start of a formula (OWASP "CSV injection"): a CSV text
#: cell starting with one of these gets a leading ``'``.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def write_frame(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a job frame to Parquet (``.parquet``) or CSV (``.csv``).

    Parameters
    ----------
    df : pandas.DataFrame
        A job frame (any columns); the frame itself is not modified.
    path : str or Path
        Output file, its suffix picks the format; missing folders are created; ``~`` and
        environment variables are expanded.

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

    CSV only: every time column is written in one format, :data:`CSV_TIME_FORMAT`
    (UTC, milliseconds even when they are zero), whatever the column holds.

    CSV only: a text cell (job names, failure reasons, anything the API sent) that
    starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a
    leading ``'`` (OWASP's rule against CSV injection), so a spreadsheet shows
    ``=HYPERLINK(...)`` as text instead of running it (:func:`csv_safe`). Numbers
    (``-5.0`` in a numeric column) are not text and stay numbers; Parquet keeps every
    value exactly as it is.

    Examples
    --------
    >>> import tempfile
    >>> from rds_job_analytics import load_sample
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_frame(load_sample().head(3), Path(folder) / "jobs.csv")
    ...     path.name, len(pd.read_csv(path))
    ('jobs.csv', 3)
    """
    path = expand_path(Path(path))
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
        for col in out.columns:
            if _is_text(out[col]):
                out[col] = _neutralised(out[col])
            elif pd.api.types.is_datetime64_any_dtype(out[col].dtype):
                out[col] = _csv_times(out[col])
        # CRLF rows (RFC 4180): a cell holding a bare CR or LF is then quoted, never split.
        out.to_csv(path, index=False, lineterminator="\r\n")
    return path


def csv_safe(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting with a formula character
    (:data:`FORMULA_PREFIXES`) gets a leading ``'``; anything else is returned as is.

    Examples
    --------
    >>> print(csv_safe('=HYPERLINK("http://evil.example","click")'))
    '=HYPERLINK("http://evil.example","click")
    >>> csv_safe("RestartMysqlInstance"), csv_safe(-5.0)
    ('RestartMysqlInstance', -5.0)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_times(col: pd.Series) -> pd.Series:
    """A time column as CSV text in :data:`CSV_TIME_FORMAT` (milliseconds kept, finer
    digits dropped); NaT stays empty."""
    col = col.dt.tz_convert("UTC") if col.dt.tz is not None else col.dt.tz_localize("UTC")
    pattern, layout = _CSV_TIME_AS_WRITTEN
    return col.dt.strftime(CSV_TIME_FORMAT).str.replace(pattern, layout, regex=True)


def _is_text(col: pd.Series) -> bool:
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return pd.api.types.is_string_dtype(dtype)


def _neutralised(col: pd.Series) -> pd.Series:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        if cats.dtype == object or pd.api.types.is_string_dtype(cats.dtype):
            renamed = [csv_safe(c) for c in cats]
            if len(set(renamed)) == len(renamed):
                return col.cat.rename_categories(renamed)
        return col.astype(object).map(csv_safe)
    return col.map(csv_safe)


def _json_text(value: object) -> str | None:
    if isinstance(value, str):  # already JSON text (a SQL result, a read-back dataset)
        return value
    return orjson.dumps(value).decode() if isinstance(value, list | dict) else None

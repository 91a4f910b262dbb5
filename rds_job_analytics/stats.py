"""Statistics on the normalized job frame: failure rates, durations, storage resizes.

All functions take any frame with the job columns (``normalize_jobs``, ``load_sample``,
``fetch_jobs``, ``JobArchive.to_frame``), an optional ``[start, end)`` window on
``created`` (tz-aware, or naive = UTC), and return a DataFrame - empty but with
every column when nothing matches.

Examples
--------
>>> import rds_job_analytics as rja
>>> rja.failure_rates(rja.load_sample()).columns.tolist()[:4]
['jobs', 'completed', 'failed', 'running']
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from statistics import NormalDist
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ._format import MINUTE_S, UNKNOWN_LABEL, by_names
from ._time import to_utc
from .exceptions import ConfigError
from .normalize import ENGINE_IN_NAME
from .normalize.schema import COMPLETED, FAILED, RUNNING, TERMINAL_STATUSES

__all__ = [
    "UNKNOWN_LABEL",
    "combine_failure_rates",
    "duration_summary",
    "failure_rates",
    "fill_doc",
    "filter_window",
    "group_keys",
    "resize_summary",
    "summarize",
    "wilson_interval",
]


#: Group keys derived when the frame has no such column: ``month``, ``week`` and ``day``
#: from ``created`` (UTC); ``job_kind`` from ``job_name`` without its engine
#: (``RestartMysqlInstance`` and ``RestartPostgresqlInstance`` are both ``RestartInstance``).
DERIVED_BY = ("month", "week", "day", "job_kind")

# UNKNOWN_LABEL (how a missing group key is shown) has its home in _format; stats keeps
# the name for its callers.

#: Shared parameter docs, formatted into the docstrings of stats and plots by
#: :func:`fill_doc` (after seaborn's ``DocstringComponents``): every function describes a
#: parameter in the same words.
_PARAM_DOCS = {
    "df": """df : pandas.DataFrame
    A normalized job frame (``normalize_jobs``, ``load_sample``, ``fetch_jobs``,
    ``JobArchive.to_frame``).""",
    "by": """by : str or list of str
    Group by this column (or these columns); ``"month"``, ``"week"`` and ``"day"`` are
    derived from ``created`` (UTC) and ``"job_kind"`` from ``job_name`` without its engine
    (``RestartMysqlInstance`` -> ``RestartInstance``) when the frame has no such column. Categorical
    columns (``engine``, ``region``, ``account``, ``project_id``...) give a row per
    category that occurs (unused categories give none); rows with no value form a
    group of their own, keyed ``NaN`` (shown as ``"(unknown)"``, :data:`UNKNOWN_LABEL`).""",
    "start": """start : str, datetime or Timestamp, optional
    Keep jobs created at or after this time (naive = UTC); ``None``: no lower bound.""",
    "end": """end : str, datetime or Timestamp, optional
    Keep jobs created before this time (naive = UTC); ``None``: no upper bound.""",
    "confidence": """confidence : float
    Confidence level of the Wilson score interval, strictly between 0 and 1.""",
    "ax": """ax : matplotlib.axes.Axes, optional
    The Axes to draw on; default the current Axes of pyplot (``plt.gca()``).""",
    "returns_ax": """Returns
-------
matplotlib.axes.Axes
    The Axes drawn on.""",
}

F = TypeVar("F", bound=Callable[..., Any])


def fill_doc(func: F) -> F:
    """Format the shared parameter docs (``{df}``, ``{by}``, ``{start}``...) into a
    docstring, so stats and plots describe a parameter in the same words.

    Parameters
    ----------
    func : callable
        A function whose docstring holds ``{name}`` fields of the shared docs (other
        braces doubled).

    Returns
    -------
    callable
        ``func``, its docstring filled.

    Examples
    --------
    >>> def f(df):
    ...     "{df}"
    >>> fill_doc(f).__doc__.splitlines()[0]
    'df : pandas.DataFrame'
    """
    func.__doc__ = inspect.cleandoc(func.__doc__ or "").format_map(_PARAM_DOCS)
    return func


@fill_doc
def filter_window(df: pd.DataFrame, start: Any = None, end: Any = None) -> pd.DataFrame:
    """Rows with ``start <= created < end`` (either bound optional; naive = UTC).

    Parameters
    ----------
    {df}
    {start}
    {end}

    Returns
    -------
    pandas.DataFrame
        The rows of ``df`` created in the window (all of them when both bounds are None).

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> len(filter_window(rja.load_sample(), "2026-09-01", "2026-10-01")) > 0
    True
    """
    if "created" not in df.columns:
        raise ConfigError("the frame has no 'created' column: pass a normalized job frame")
    mask = pd.Series(True, index=df.index)
    if start is not None:
        mask &= df["created"] >= to_utc(start)
    if end is not None:
        mask &= df["created"] < to_utc(end)
    return df[mask]


@fill_doc
def group_keys(df: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """``df`` with any derived group column (:data:`DERIVED_BY`) added, and the key names:
    what stats, plots and the explorer group by.

    Parameters
    ----------
    {df}
    {by}
        ``None``: no key.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The frame (a copy only when a column was added) and the names of ``by``.

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> frame, names = group_keys(rja.load_sample(), "month")
    >>> names, "month" in frame.columns
    (['month'], True)
    """
    names = by_names(by)
    if not names:
        return df, []
    df = df.copy() if any(n in DERIVED_BY and n not in df.columns for n in names) else df
    for n in names:
        if n in df.columns:
            continue
        if n == "month":
            df["month"] = df["created"].dt.strftime("%Y-%m")
        elif n == "week":
            df["week"] = df["created"].dt.tz_localize(None).dt.to_period("W").dt.start_time
        elif n == "day":
            df["day"] = df["created"].dt.floor("D")
        elif n == "job_kind":
            df["job_kind"] = _job_kinds(df["job_name"])
        else:
            raise ConfigError(
                f"by={n!r} is not a column of the frame; use a column name or one of "
                f"{sorted(DERIVED_BY)}"
            )
    return df, names


def _job_kinds(names: pd.Series) -> pd.Series:
    """``job_name`` without the engine's name in it, as a categorical (NaN stays NaN)."""
    kind = {n: ENGINE_IN_NAME.sub("", str(n)) or str(n) for n in names.dropna().unique()}
    return names.astype(object).map(kind).astype("category")


@fill_doc
def wilson_interval(
    failed: Any, finished: Any, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``failed / finished`` (NaN where ``finished`` is 0).

    Parameters
    ----------
    failed : int or array-like of int
        Failed jobs per group.
    finished : int or array-like of int
        Finished (Completed + Failed) jobs per group, the same shape as ``failed``.
    {confidence}

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds, clipped to ``[0, 1]``.

    Examples
    --------
    >>> lo, hi = wilson_interval(5, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0215, 0.1118)
    """
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be between 0 and 1, not {confidence!r}")
    k = np.asarray(failed, dtype="float64")
    n = np.asarray(finished, dtype="float64")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        center = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        lo = np.where(n > 0, np.clip(center - half, 0, 1), np.nan)
        hi = np.where(n > 0, np.clip(center + half, 0, 1), np.nan)
    return lo, hi


def _group(df: pd.DataFrame, names: list[str]):
    if names:
        return df.groupby(names, observed=True, dropna=False, sort=True)
    # one "all" group; a Series key keeps the index's dtype (str) when there are no rows
    return df.groupby(pd.Series("all", index=df.index, dtype="str"), sort=False)


#: ``failure_rates`` count columns: one per canonical status, in this order.
_COUNTS = {"completed": COMPLETED, "failed": FAILED, "running": RUNNING}


@fill_doc
def failure_rates(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str] = "job_name",
    confidence: float = 0.95,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Per group: jobs, completed, failed, running, finished, failure rate and Wilson interval.

    The rate is over finished jobs (Completed + Failed); running ones are excluded and a
    group with no finished job has a NaN rate.

    Parameters
    ----------
    {df}
    {by}
        ``None``: one row, ``"all"``. Default ``"job_name"``.
    {confidence}
    {start}
    {end}

    Returns
    -------
    pandas.DataFrame
        Indexed by the group key(s), with columns ``jobs``, ``completed``, ``failed``,
        ``running``, ``finished`` (int) and ``failure_rate``, ``ci_low``, ``ci_high``
        (float).

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> fr = failure_rates(rja.load_sample(), by="engine")
    >>> bool((fr["ci_low"] <= fr["failure_rate"]).all())
    True
    """
    df, names = group_keys(filter_window(df, start, end), by)
    status = df["status"]  # categorical: comparisons stay on the codes
    flags = pd.DataFrame(
        {"jobs": 1, **{col: (status == s).astype("int64") for col, s in _COUNTS.items()}},
        index=df.index,
    )
    for n in names:
        flags[n] = df[n]
    out = _group(flags, names)[["jobs", *_COUNTS]].sum()
    out = out.astype("int64")
    out["finished"] = sum(out[col] for col, s in _COUNTS.items() if s in TERMINAL_STATUSES)
    return _rates_from_counts(out, confidence)


def _rates_from_counts(out: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """``failure_rate``, ``ci_low`` and ``ci_high`` from the ``failed`` and ``finished``
    counts (the one rule of :func:`failure_rates` and :func:`combine_failure_rates`)."""
    finished = out["finished"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["failure_rate"] = (out["failed"] / finished.where(finished > 0)).astype("float64")
    out["ci_low"], out["ci_high"] = wilson_interval(out["failed"], finished, confidence)
    return out


_DUR_COLS = ["count", "median_s", "p90_s", "p99_s", "max_s"]


@fill_doc
def duration_summary(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str] = "job_name",
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Per group: count, median, p90, p99 and max of ``duration_s`` over finished jobs.

    Parameters
    ----------
    {df}
    {by}
        ``None``: one row, ``"all"``. Default ``"job_name"``.
    {start}
    {end}

    Returns
    -------
    pandas.DataFrame
        Indexed by the group key(s), with columns ``count`` (int) and ``median_s``,
        ``p90_s``, ``p99_s``, ``max_s`` (float seconds).

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> ds = duration_summary(rja.load_sample())
    >>> bool((ds["median_s"] <= ds["p90_s"]).all())
    True
    """
    df, names = group_keys(filter_window(df, start, end), by)
    done = df[df["status"].isin(TERMINAL_STATUSES) & df["duration_s"].notna()]
    g = _group(done, names)["duration_s"]
    out = pd.DataFrame(
        {
            "count": g.size().astype("int64"),
            "median_s": g.median(),
            "p90_s": g.quantile(0.9),
            "p99_s": g.quantile(0.99),
            "max_s": g.max(),
        }
    )
    return out[_DUR_COLS].astype({c: "float64" for c in _DUR_COLS[1:]})


@fill_doc
def resize_summary(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Storage scale-ups (rows with volume sizes): count, total/median/largest GB added.

    Like :func:`failure_rates` and :func:`duration_summary`, a selection with no scale-up
    gives no rows (with every column).

    Parameters
    ----------
    {df}
    {by}
        ``None`` (the default): one row, ``"all"``.
    {start}
    {end}

    Returns
    -------
    pandas.DataFrame
        Indexed by the group key(s), with columns ``jobs`` (int) and ``total_gb_added``,
        ``median_gb_added``, ``largest_gb_added`` (float).

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> int(resize_summary(rja.load_sample())["jobs"].iloc[0]) > 100
    True
    """
    df, names = group_keys(filter_window(df, start, end), by)
    rs = df[df["volume_delta_gb"].notna()]
    g = _group(rs, names)["volume_delta_gb"]
    out = pd.DataFrame(
        {
            "jobs": g.size().astype("int64"),
            "total_gb_added": g.sum().astype("float64"),
            "median_gb_added": g.median().astype("float64"),
            "largest_gb_added": g.max().astype("float64"),
        }
    )
    return out


@fill_doc
def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Per job type: jobs, failed, running, failure rate and median duration in minutes.

    The table ``rds-jobs demo`` prints: :func:`failure_rates` and :func:`duration_summary`
    by ``job_name``, rounded for reading, the job type with the most jobs first.

    Parameters
    ----------
    {df}

    Returns
    -------
    pandas.DataFrame
        Indexed by ``job_name``, with columns ``jobs``, ``failed``, ``running`` (int),
        ``failure_rate`` (3 decimals) and ``median_min`` (1 decimal).

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> summarize(rja.load_sample()).columns.tolist()
    ['jobs', 'failed', 'running', 'failure_rate', 'median_min']
    """
    fr = failure_rates(df)
    out = fr[["jobs", "failed", "running"]].copy()
    out["failure_rate"] = fr["failure_rate"].round(3)
    out["median_min"] = (duration_summary(df)["median_s"].reindex(fr.index) / MINUTE_S).round(1)
    return out.sort_values("jobs", ascending=False)


# -- combining per-partition results -------------------------------------------------------
_RATE_COUNTS = ["jobs", "completed", "failed", "running", "finished"]


def combine_failure_rates(
    parts: pd.DataFrame | Iterable[pd.DataFrame], *, confidence: float = 0.95
) -> pd.DataFrame:
    """:func:`~rds_job_analytics.failure_rates` of a whole from those of its pieces.

    Sums ``jobs``, ``completed``, ``failed``, ``running`` and ``finished`` per group across
    the pieces and recomputes the failure rate and the Wilson interval from the sums: an
    average of the pieces' rates would weigh a partition of 3 jobs like one of 3,000.

    Parameters
    ----------
    parts : pandas.DataFrame or iterable of DataFrame
        Results of ``failure_rates(piece, by=...)`` (the same ``by`` each time), or
        their concatenation.
    confidence : float
        Confidence level of the recomputed Wilson interval, strictly between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        What ``failure_rates`` of the concatenated pieces gives: indexed by the group
        key(s), sorted, with the same columns and dtypes.

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> df = rja.load_sample()
    >>> halves = [rja.failure_rates(df.iloc[:100], by="engine"),
    ...           rja.failure_rates(df.iloc[100:], by="engine")]
    >>> whole = rja.failure_rates(df, by="engine")
    >>> combine_failure_rates(halves)["failure_rate"].round(12).equals(whole["failure_rate"].round(12))
    True
    """
    frame = parts if isinstance(parts, pd.DataFrame) else pd.concat(list(parts))
    names = [n for n in frame.index.names]
    if frame.empty:
        return frame[[*_RATE_COUNTS, "failure_rate", "ci_low", "ci_high"]].copy()
    if len(names) == 1 and names[0] is None:
        names = [None]
    out = frame[_RATE_COUNTS].groupby(level=list(range(len(names))), sort=True, dropna=False).sum()
    return _rates_from_counts(out.astype("int64"), confidence)

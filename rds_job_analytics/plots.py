"""Chart helpers shaped like seaborn's axes-level functions.

``plot_x(df, *, by=..., ax=None, **kwargs) -> Axes``: the frame is the only positional
argument (``df``, as in stats; ``data=`` still works, deprecated); they draw on ``ax`` (or
the current Axes) and return it; extra ``kwargs`` go to the matplotlib primitive named in
each docstring. No global state is changed: with an ``ax`` given, pyplot is not touched at all.

Examples
--------
>>> import rds_job_analytics as rja
>>> ax = rja.plot_failure_rates(rja.load_sample())
>>> ax.get_xlabel()
'failure rate (finished jobs)'
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

from ._format import MIN_JOBS, TOP, duration_text, group_label, group_name, group_noun
from ._time import to_utc
from ._validate import check_choice
from .exceptions import ConfigError
from .normalize.schema import COMPLETED, FAILED, RUNNING, TERMINAL_STATUSES
from .stats import failure_rates, fill_doc, filter_window, group_keys, wilson_interval

__all__ = [
    "BOX_MARGIN_INCHES",
    "BOX_ROW_INCHES",
    "MARGIN_INCHES",
    "ROW_INCHES",
    "format_seconds",
    "height_for_rows",
    "literal",
    "plot_durations",
    "plot_failure_rates",
    "plot_resize_deltas",
    "plot_timeline",
    "target_line",
]

# readable ticks for a log time axis: 1 s ... 1 week
_NICE_SECONDS = [
    1,
    10,
    30,
    60,
    300,
    600,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    86400,
    3 * 86400,
    7 * 86400,
]
#: Colour per status, in the stacking order of :func:`plot_timeline`.
STATUS_COLORS = {COMPLETED: "#4c9a6a", FAILED: "#c8553d", RUNNING: "#e0a526"}
#: The choices of :func:`plot_resize_deltas` ``kind`` and :func:`plot_timeline` ``freq``.
RESIZE_KINDS = ("dumbbell", "hist")
TIMELINE_FREQS = ("D", "W")
#: Inches per bar row, and the margin (title, axis, labels) of a bar chart sized to its
#: rows (:func:`height_for_rows`): the report's failure-rate chart uses them.
ROW_INCHES, MARGIN_INCHES = 0.26, 1.4
#: The same for a box-plot chart (:func:`plot_durations`: a box a row needs more room,
#: and its log axis more margin): the report's durations chart uses them.
BOX_ROW_INCHES, BOX_MARGIN_INCHES = 0.3, 1.5


def height_for_rows(
    rows: int, *, per_row: float = ROW_INCHES, margin: float = MARGIN_INCHES, min_rows: int = 3
) -> float:
    """The figure height (inches) that gives each of ``rows`` bars room for its label, as
    the report sizes its bar charts (at least ``min_rows`` rows high).

    Parameters
    ----------
    rows : int
        Bars the chart draws (with ``top=15``, 16: the ``others`` bar too).
    per_row : float
        Inches a row; default :data:`ROW_INCHES`.
    margin : float
        Inches for the title, axis and tick labels; default :data:`MARGIN_INCHES`.
    min_rows : int
        A chart of fewer rows is this many high.

    Returns
    -------
    float

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(8, height_for_rows(31)))   # 30 job types + others
    >>> float(round(fig.get_figheight(), 2))
    9.46
    """
    return per_row * max(min_rows, rows) + margin


#: Readable duration (``45 s``, ``1.5 min``, ``2 h``), also a tick formatter: the one rule
#: of :func:`rds_job_analytics._format.duration_text`, under the name plots gave it.
format_seconds = duration_text


def literal(text: Any) -> str:
    """``text`` as matplotlib draws it literally: every ``$`` escaped, so text from the API
    (job names, statuses) is never parsed as mathtext.

    Parameters
    ----------
    text : object
        Any value; it is drawn as ``str(text)``.

    Returns
    -------
    str
        The text with ``$`` written ``\\$`` (matplotlib draws it as a plain ``$``).

    Examples
    --------
    >>> print(literal("$5 and $6"))
    \\$5 and \\$6
    """
    return str(text).replace("$", r"\$")


def _label(key: Any) -> str:
    return group_label(key, literal)


def _local(times: pd.Series, tz: str) -> pd.Series:
    """UTC times as naive wall-clock times of ``tz`` (what the date axis shows)."""
    return times.dt.tz_convert(tz).dt.tz_localize(None)


def _date_axis(ax: Axes) -> None:
    """Concise, non-overlapping date ticks (``ConciseDateFormatter``)."""
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    # no offset label: a month's axis ends at the next month's first tick ("2026-Nov")
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))


def _ax(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.gca()


def _empty(ax: Axes, message: str, title: str) -> Axes:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _thin(ticks: list[int], ratio: float = 4.0) -> list[int]:
    """Log-axis ticks at least ``ratio`` apart, so their labels never touch."""
    out: list[int] = []
    for t in ticks:
        if not out or t >= out[-1] * ratio:
            out.append(t)
    return out


def _check_tz(tz: str) -> str:
    try:
        pd.Timestamp(0, tz="UTC").tz_convert(tz)
    except Exception as exc:  # pytz, zoneinfo and dateutil each raise their own error
        raise ConfigError(f"unknown time zone tz={tz!r}") from exc
    return tz


F = TypeVar("F", bound=Callable[..., Any])


def _frame_was_data(func: F) -> F:
    """Accept the old keyword ``data=`` for the frame (now ``df``, as in stats), with a
    DeprecationWarning."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "data" in kwargs:
            if args or "df" in kwargs:
                raise TypeError(f"{func.__name__}() got the frame twice (df and data)")
            warnings.warn(
                f"{func.__name__}(data=...) is deprecated and goes in the next release: "
                "pass the frame first, or as df=",
                DeprecationWarning,
                stacklevel=2,
            )
            kwargs["df"] = kwargs.pop("data")
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@_frame_was_data
@fill_doc
def plot_durations(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str] = "job_name",
    top: int = TOP,
    start: Any = None,
    end: Any = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Box plot of finished jobs' durations per group on a log time axis (s/min/h/d).

    Shows the ``top`` groups by job count, slowest median at the top; when groups are left
    out, the title's second line says how many and how many jobs they hold.

    Parameters
    ----------
    {df}
    {by}
        Default ``"job_name"``.
    top : int
        How many groups to show: the ones with the most finished jobs.
    {start}
    {end}
    {ax}
    **kwargs
        Passed to ``Axes.boxplot`` (they override the defaults: horizontal boxes, small
        flier markers).

    {returns_ax}

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> ax = plot_durations(rja.load_sample(), top=5)
    >>> len(ax.get_yticklabels()), ax.get_title().splitlines()[1][:22]
    (5, '(top 5 of 40 job types')
    """
    if top < 1:
        raise ConfigError(f"top must be >= 1, not {top!r}")
    ax = _ax(ax)
    title = f"Job durations by {group_name(by)}"
    df, names = group_keys(filter_window(df, start, end), by)
    done = df[df["status"].isin(TERMINAL_STATUSES) & (df["duration_s"] > 0)]
    if done.empty:
        return _empty(ax, "No finished jobs in this selection", title)
    key = names[0] if len(names) == 1 else names  # one name: plain keys, not 1-tuples
    groups = done.groupby(key, observed=True, dropna=False)["duration_s"]  # unknown: a group
    sizes = groups.size().sort_values(ascending=False)
    keep = sizes.head(top).index
    if len(sizes) > top:
        rest = sizes.iloc[top:]
        title += (f"\n(top {top} of {len(sizes)} {group_noun(by)} by finished jobs; "
                  f"{len(rest)} others with {int(rest.sum()):,} jobs not shown)")  # fmt: skip
    med = groups.median().loc[keep].sort_values()
    by_key = {k: v.to_numpy() for k, v in groups}
    values = [by_key[k] for k in med.index]
    kw = {"vert": False, "widths": 0.6, "showfliers": True, "flierprops": {"markersize": 2}}
    kw.update(kwargs)
    if "vert" in kw and matplotlib.__version_info__ >= (3, 10):  # ``vert`` is deprecated since 3.10
        kw["orientation"] = "horizontal" if kw.pop("vert") is False else "vertical"
    ax.boxplot(values, **kw)
    ax.set_yticks(range(1, len(med) + 1), [_label(k) for k in med.index])
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    ticks = _thin([t for t in _NICE_SECONDS if lo <= t <= hi])
    ax.xaxis.set_major_locator(FixedLocator(ticks) if len(ticks) >= 2 else LogLocator(base=10))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(format_seconds))
    ax.set_xlabel("duration (log scale)")
    ax.set_ylabel(group_name(by))
    ax.set_title(title)
    return ax


@_frame_was_data
@fill_doc
def plot_failure_rates(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str] = "job_name",
    min_jobs: int = MIN_JOBS,
    top: int | None = TOP,
    target: float | None = None,
    confidence: float = 0.95,
    start: Any = None,
    end: Any = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Horizontal bars of failure rate per group, sorted, with Wilson intervals as error bars.

    Each bar is annotated with its finished-job count; groups with fewer than
    ``min_jobs`` finished jobs are dropped (the title says how many). With more than
    ``top`` groups, the ``top`` ones by the interval's lower bound are drawn (a group with
    2 failures in 4 jobs does not outrank one with 40 in 400) and the rest are pooled in
    one grey ``others`` bar whose label says how many groups and jobs it holds.

    Parameters
    ----------
    {df}
    {by}
        Default ``"job_name"``.
    min_jobs : int
        Groups with fewer finished jobs are not drawn (their count goes in the title).
    top : int or None
        Most groups drawn one by one; ``None`` draws them all.
    target : float, optional
        A failure-rate target (``0.02`` = 2%), drawn as a dashed vertical line.
    {confidence}
    {start}
    {end}
    {ax}
    **kwargs
        Passed to ``Axes.barh`` (they override the default colour and error-bar style).

    {returns_ax}

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import rds_job_analytics as rja
    >>> fig, ax = plt.subplots()
    >>> ax = plot_failure_rates(rja.load_sample(), by="engine", ax=ax)
    >>> sorted(t.get_text() for t in ax.get_yticklabels())
    ['MySQL', 'PostgreSQL', 'SQLServer']
    >>> ax = plot_failure_rates(rja.load_sample(), top=5, target=0.02, ax=plt.figure().add_subplot())
    >>> ax.get_yticklabels()[0].get_text()
    'others (35 job types, 4,527 jobs)'
    """
    ax = _ax(ax)
    if min_jobs < 0:
        raise ConfigError(f"min_jobs must be >= 0, not {min_jobs!r}")
    if top is not None and top < 1:
        raise ConfigError(f"top must be >= 1 or None, not {top!r}")
    if target is not None and not 0 <= target <= 1:
        raise ConfigError(f"target must be a failure rate between 0 and 1, not {target!r}")
    fr = failure_rates(df, by=by, confidence=confidence, start=start, end=end)
    fr = fr[fr["finished"] > 0]
    small = int((fr["finished"] < min_jobs).sum())
    fr = fr[fr["finished"] >= min_jobs]
    title = f"Failure rate by {group_name(by)}"
    if small:
        title += f" ({small} group{'s' * (small > 1)} under {min_jobs} jobs not shown)"
    if fr.empty:
        return _empty(ax, "No finished jobs in this selection", title)
    others = None
    if top is not None and len(fr) > top:
        ranked = fr.sort_values(["ci_low", "failed"], ascending=False)
        fr, rest = ranked.iloc[:top], ranked.iloc[top:]
        failed, finished = int(rest["failed"].sum()), int(rest["finished"].sum())
        lo, hi = wilson_interval(failed, finished, confidence)
        others = (f"others ({len(rest)} {group_noun(by, len(rest))}, {finished:,} jobs)",
                  failed / finished, float(lo), float(hi), finished)  # fmt: skip
        title += f"\n(top {top} by the lower bound of the {confidence:.0%} interval)"
    fr = fr.sort_values("failure_rate")
    rate = fr["failure_rate"].to_numpy()
    lows, highs = fr["ci_low"].to_numpy(), fr["ci_high"].to_numpy()
    labels = [_label(k) for k in fr.index]
    counts = fr["finished"].tolist()
    colors = ["#c8553d"] * len(fr)
    if others is not None:
        labels.insert(0, literal(others[0]))
        rate, lows, highs = (
            np.insert(a, 0, v) for a, v in zip((rate, lows, highs), others[1:4], strict=True)
        )
        counts.insert(0, others[4])
        colors.insert(0, "0.6")
    y = np.arange(len(labels))
    err = np.clip(np.vstack([rate - lows, highs - rate]), 0, None)
    kw = {"color": colors, "alpha": 0.85, "error_kw": {"ecolor": "0.25", "capsize": 2}}
    kw.update(kwargs)
    ax.barh(y, rate, xerr=err, **kw)
    for yi, hi, n in zip(y, highs, counts, strict=True):
        ax.annotate(f"n={n}", (hi, yi), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8, color="0.3")  # fmt: skip
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    right = float(np.nanmax(highs)) * 1.25 + 0.01
    if target is not None:
        target_line(target, vertical=True, ax=ax)
        right = max(right, target * 1.15)
    ax.set_xlim(0, min(1.0, right))
    ax.set_xlabel("failure rate (finished jobs)")
    ax.set_ylabel(group_name(by))
    ax.set_title(title)
    return ax


@fill_doc
def target_line(target: float, *, vertical: bool, ax: Axes | None = None) -> Axes:
    """A dashed line at a failure-rate target, labelled ``target 2.0%`` (the failure-rate
    chart draws it vertically, the report's trend horizontally).

    Parameters
    ----------
    target : float
        The failure-rate target (``0.02`` = 2%).
    vertical : bool
        A vertical line (rates on the x axis) or a horizontal one (rates on the y axis).
    {ax}

    {returns_ax}

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = target_line(0.02, vertical=True, ax=plt.figure().add_subplot())
    >>> ax.texts[0].get_text()
    'target 2.0%'
    """
    ax = _ax(ax)
    style = {"color": "#1f4e85", "ls": "--", "lw": 1.2, "zorder": 3}
    if vertical:
        ax.axvline(target, **style)
        ax.annotate(f"target {target:.1%}", (target, 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -3), textcoords="offset points", va="top", fontsize=8,
                    color=style["color"])  # fmt: skip
    else:
        ax.axhline(target, **style)
        ax.annotate(f"target {target:.1%}", (0, target), xycoords=("axes fraction", "data"),
                    xytext=(3, 3), textcoords="offset points", va="bottom", fontsize=8,
                    color=style["color"])  # fmt: skip
    return ax


@_frame_was_data
@fill_doc
def plot_resize_deltas(
    df: pd.DataFrame,
    *,
    kind: str = "dumbbell",
    tz: str = "UTC",
    start: Any = None,
    end: Any = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Storage scale-ups: ``kind="dumbbell"`` original -> target GB per job over time, or
    ``kind="hist"`` the distribution of GB added.

    A selection without scale-ups draws an informative empty chart.

    Parameters
    ----------
    {df}
    kind : {{"dumbbell", "hist"}}
        ``"dumbbell"``: one vertical segment per job from original to target size, at
        its creation time. ``"hist"``: histogram of the GB added.
    tz : str
        Time zone of the dumbbell's date axis (IANA name; the axis label names it).
    {start}
    {end}
    {ax}
    **kwargs
        Passed to ``Axes.scatter`` (dumbbell) or ``Axes.hist``.

    {returns_ax}

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> plot_resize_deltas(rja.load_sample(), kind="hist").get_xlabel()
    'GB added per scale-up'
    """
    check_choice("kind", kind, RESIZE_KINDS)
    _check_tz(tz)
    ax = _ax(ax)
    df = filter_window(df, start, end)
    rs = df[df["volume_delta_gb"].notna()].sort_values("created")
    title = "Storage scale-ups" if kind == "dumbbell" else "GB added per storage scale-up"
    if rs.empty:
        return _empty(ax, "No storage scale-up jobs in this selection", title)
    if kind == "hist":
        kw = {"bins": min(30, max(5, len(rs) // 5)), "color": "#3d7ab8"}
        kw.update(kwargs)
        ax.hist(rs["volume_delta_gb"].to_numpy(), **kw)
        ax.set_xlabel("GB added per scale-up")
        ax.set_ylabel("jobs")
        ax.set_title(f"{title} (n={len(rs)}, total {rs['volume_delta_gb'].sum():,.0f} GB)")
        return ax
    x = _local(rs["created"], tz).to_numpy()
    ax.vlines(x, rs["volume_original_gb"], rs["volume_target_gb"], color="0.6", lw=1)
    kw = {"s": 12}
    kw.update(kwargs)
    ax.scatter(x, rs["volume_original_gb"], color="#9db8d6", label="original", **kw)
    ax.scatter(x, rs["volume_target_gb"], color="#1f4e85", label="target", **kw)
    _date_axis(ax)
    ax.set_xlabel(f"job created ({tz})")
    ax.set_ylabel("volume size (GB)")
    ax.set_title(f"{title}: original -> target ({len(rs)} jobs)")
    # right of the plot area, never over the points
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    return ax


@_frame_was_data
@fill_doc
def plot_timeline(
    df: pd.DataFrame,
    *,
    freq: str = "D",
    tz: str = "UTC",
    start: Any = None,
    end: Any = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Jobs per day (``freq="D"``) or week (``"W"``) as bars stacked by status.

    Days (and weeks) are those of ``tz``; with ``start`` and ``end`` the axis spans exactly
    that window, so no bar falls outside it.

    Parameters
    ----------
    {df}
    freq : {{"D", "W"}}
        One bar per day or per week (starting Monday) in time zone ``tz``.
    tz : str
        Time zone of the daily bins and the date axis (IANA name; the axis label names it).
    {start}
    {end}
    {ax}
    **kwargs
        Passed to ``Axes.bar`` (they override the status colour, width and label).

    {returns_ax}

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> plot_timeline(rja.load_sample(), freq="W").get_ylabel()
    'jobs per week'
    >>> plot_timeline(rja.load_sample(), tz="Europe/Berlin").get_xlabel()
    'date (Europe/Berlin)'
    """
    check_choice("freq", freq, TIMELINE_FREQS)
    _check_tz(tz)
    ax = _ax(ax)
    unit = "day" if freq == "D" else "week"
    title = f"Jobs per {unit} by status"
    df = filter_window(df, start, end)
    df = df[df["created"].notna()]
    if df.empty:
        return _empty(ax, "No jobs in this selection", title)
    created = _local(df["created"], tz)
    period = created.dt.floor("D") if freq == "D" else created.dt.to_period("W").dt.start_time
    table = pd.crosstab(period, df["status"].astype(object))
    statuses = [s for s in STATUS_COLORS if s in table.columns]
    statuses += [s for s in table.columns if s not in STATUS_COLORS]
    bottom = np.zeros(len(table))
    width = 0.9 if freq == "D" else 6.0
    for s in statuses:
        kw = {"color": STATUS_COLORS.get(s, "0.6"), "width": width, "label": literal(s),
              "align": "edge"}  # fmt: skip
        kw.update(kwargs)
        ax.bar(table.index, table[s].to_numpy(), bottom=bottom, **kw)
        bottom += table[s].to_numpy()
    _date_axis(ax)
    if start is not None and end is not None:
        ax.set_xlim(_local(pd.Series([to_utc(start), to_utc(end)]), tz).tolist())
    ax.set_ylabel(f"jobs per {unit}")
    ax.set_xlabel(f"date ({tz})")
    ax.set_title(title)
    # right of the plot area, never over the bars
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    return ax

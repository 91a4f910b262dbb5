"""The monthly report's charts: each drawn on its own ``Figure`` (never pyplot's global
state), sized to the rows it draws.

Examples
--------
>>> import rds_job_analytics as rja
>>> from rds_job_analytics._time import month_bounds
>>> from rds_job_analytics.report._model import _trend
>>> df = rja.load_sample()
>>> start, end = month_bounds("2026-10")
>>> trend = _trend(df, pd.Period("2026-10"), "UTC")
>>> charts, text = build_charts(rja.filter_window(df, start, end), trend, "UTC", start, end, None)
>>> [k for k in CHART_KEYS if charts[k] is not None], text[:26]
(['trend', 'failures', 'durations', 'timeline', 'resizes'], '139 storage scale-ups adde')
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .._format import MIN_JOBS, REPORT_TOP, TOP
from ..normalize.schema import COMPLETED, FAILED, RUNNING
from ..plots import (
    BOX_MARGIN_INCHES,
    BOX_ROW_INCHES,
    STATUS_COLORS,
    height_for_rows,
    plot_durations,
    plot_failure_rates,
    plot_resize_deltas,
    plot_timeline,
    target_line,
)
from ..stats import failure_rates

__all__ = ["CHART_KEYS", "build_charts"]

#: The report's charts, by the id of the section that shows them.
CHART_KEYS = ("trend", "failures", "durations", "timeline", "resizes")


def _fig(w: float, h: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(w, h), facecolor="white", layout="constrained")
    return fig, fig.add_subplot()


def build_charts(
    cur: pd.DataFrame,
    trend: pd.DataFrame,
    tz: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    target: float | None,
) -> tuple[dict[str, Figure | None], str]:
    """The month's figures (None where there is nothing to draw) and the scale-up sentence.

    Heights follow the number of rows drawn (at most :data:`~rds_job_analytics._format.REPORT_TOP` job types plus the
    pooled "others" bar), so labels never overlap and the page stays short."""
    charts: dict[str, Figure | None] = dict.fromkeys(CHART_KEYS)
    if len(cur):
        charts["trend"] = _trend_chart(trend, target)
        fr = failure_rates(cur)
        n_rows = int((fr["finished"] >= MIN_JOBS).sum())
        n_rows = min(n_rows, REPORT_TOP + 1) if n_rows > REPORT_TOP else n_rows
        fig, ax = _fig(6.5, height_for_rows(n_rows))
        plot_failure_rates(cur, ax=ax, min_jobs=MIN_JOBS, top=REPORT_TOP, target=target)
        charts["failures"] = fig
        n_dur = min(TOP, int(cur.loc[cur["duration_s"] > 0, "job_name"].nunique()))
        fig, ax = _fig(
            6.5, height_for_rows(n_dur, per_row=BOX_ROW_INCHES, margin=BOX_MARGIN_INCHES)
        )
        plot_durations(cur, ax=ax)
        charts["durations"] = fig
        fig, ax = _fig(6.5, 3.2)
        plot_timeline(cur, ax=ax, tz=tz, start=start, end=end)
        charts["timeline"] = fig
    rs = cur[cur["volume_delta_gb"].notna()]
    if not len(rs):
        return charts, "No storage scale-ups this month."
    fig = Figure(figsize=(6.5, 5.6), facecolor="white", layout="constrained")
    a1, a2 = fig.subplots(2, 1)
    plot_resize_deltas(cur, ax=a1, tz=tz)
    a1.set_xlim(_naive(start, tz), _naive(end, tz))
    plot_resize_deltas(cur, kind="hist", ax=a2)
    charts["resizes"] = fig
    gb = rs["volume_delta_gb"]
    text = (f"{len(rs)} storage scale-ups added {gb.sum():,.0f} GB (median {gb.median():,.0f} "
            f"GB, largest {gb.max():,.0f} GB).")  # fmt: skip
    return charts, text


def _naive(t: pd.Timestamp, tz: str) -> pd.Timestamp:
    return t.tz_convert(tz).tz_localize(None)


def _trend_chart(trend: pd.DataFrame, target: float | None) -> Figure:
    """Failure rate with its interval (top) and jobs per month by status (bottom)."""
    fig = Figure(figsize=(6.5, 4.4), facecolor="white", layout="constrained")
    a1, a2 = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    x = np.arange(len(trend))
    labels = [pd.Period(m).strftime("%b %Y") for m in trend.index]
    rate = trend["failure_rate"].to_numpy(dtype="float64")
    err = np.clip(np.vstack([rate - trend["ci_low"], trend["ci_high"] - rate]), 0, None)
    a1.errorbar(x, rate, yerr=err, fmt="o-", color="#c8553d", ecolor="0.35", capsize=3)
    if target is not None:
        target_line(target, vertical=False, ax=a1)
    top = np.nanmax([*trend["ci_high"].fillna(0), target or 0, 0.01])
    a1.set_ylim(0, top * 1.15)
    a1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1%}"))
    a1.set_ylabel("failure rate")
    a1.set_title(f"Last {len(trend)} months: failure rate (95% interval) and jobs")
    bottom = np.zeros(len(trend))
    for col, status in (("completed", COMPLETED), ("failed", FAILED), ("running", RUNNING)):
        a2.bar(x, trend[col], bottom=bottom, color=STATUS_COLORS[status], label=status, width=0.6)
        bottom += trend[col].to_numpy()
    a2.set_xticks(x, labels)
    a2.set_ylabel("jobs")
    a2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    a2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    return fig

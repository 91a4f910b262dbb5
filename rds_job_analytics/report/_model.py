"""The monthly report's model: what the report says, built from the statistics.

:func:`build_model` computes every figure, table, chart and sentence of the report into a
:class:`ReportModel`; ``_render`` turns that model into HTML. Charts are drawn here on
explicit ``Figure`` objects (never pyplot's global state); tables stay DataFrames, with
the formatters the renderer applies to their columns.

Examples
--------
>>> import rds_job_analytics as rja
>>> model = build_model(rja.load_sample(), "2026-10")
>>> [c.label for c in model.cards][:3]
['jobs', 'finished', 'failed']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..archive import API_HORIZON_DAYS, Coverage, Window, find_gaps, merge_windows
from ..exceptions import ConfigError
from ..plots import (
    format_seconds,
    plot_durations,
    plot_failure_rates,
    plot_resize_deltas,
    plot_timeline,
)
from ..schema import FAILED, RUNNING, TERMINAL_STATUSES
from ..stats import duration_summary, failure_rates, filter_window

__all__ = ["Card", "ReportModel", "Table", "build_model", "month_bounds"]

#: The report's charts, by the id of the section that shows them.
CHART_KEYS = ("failures", "durations", "timeline", "resizes")


def month_bounds(month: Any, tz: str = "UTC") -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC ``[start, end)`` of a calendar month in time zone ``tz``.

    Parameters
    ----------
    month : str or pandas.Period
        ``"YYYY-MM"`` (or a monthly ``Period``).
    tz : str
        IANA time zone whose midnight delimits the month.

    Returns
    -------
    (pandas.Timestamp, pandas.Timestamp)
        Start and end of the month, tz-aware UTC.

    Raises
    ------
    ConfigError
        For a month not written ``YYYY-MM`` or an unknown time zone.

    Examples
    --------
    >>> month_bounds("2026-10", tz="Asia/Shanghai")[0]
    Timestamp('2026-09-30 16:00:00+0000', tz='UTC')
    """
    if isinstance(month, str) and not re.fullmatch(r"\d{4}-\d{2}", month.strip()):
        raise ConfigError(f"month must look like 'YYYY-MM', not {month!r}")
    try:
        period = pd.Period(month, freq="M")
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"month must look like 'YYYY-MM', not {month!r}") from exc
    try:
        start = pd.Timestamp(period.start_time).tz_localize(tz)
    except Exception as exc:  # pytz, zoneinfo and dateutil each raise their own error
        raise ConfigError(f"unknown time zone tz={tz!r}") from exc
    end = pd.Timestamp((period + 1).start_time).tz_localize(tz)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


@dataclass(frozen=True)
class Card:
    """One headline figure: ``value`` above ``label``, an optional change line."""

    label: str
    value: str
    delta: str | None = None
    #: ``"delta-up"`` (worse), ``"delta-down"`` (better) or ``""``.
    delta_class: str = ""


@dataclass(frozen=True)
class Table:
    """A table of the report: the frame, what to say when it is empty, column formats."""

    frame: pd.DataFrame
    empty: str
    formats: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)


@dataclass
class ReportModel:
    """Everything the monthly report shows, before any HTML.

    ``charts`` maps each of :data:`CHART_KEYS` to its figure, or None when the month has
    nothing to draw; ``tables`` maps the template's table names to :class:`Table`.
    """

    month: str
    title: str
    tz: str
    period_label: str
    generated: str
    cards: list[Card]
    charts: dict[str, Figure | None]
    tables: dict[str, Table]
    resize_text: str
    quality: list[str]


def build_model(
    df: pd.DataFrame,
    month: Any,
    *,
    tz: str = "UTC",
    title: str | None = None,
    coverage: pd.DataFrame | Coverage | None = None,
) -> ReportModel:
    """The report model for ``month`` (the parameters of :func:`monthly_report`).

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> model = build_model(rja.empty_jobs_frame(), "2026-10")
    >>> model.title, model.charts["failures"]
    ('RDS reliability report - October 2026', None)
    """
    start, end = month_bounds(month, tz)
    period = pd.Period(month, freq="M")
    pstart, pend = month_bounds(period - 1, tz)
    cur = filter_window(df, start, end)
    prev = filter_window(df, pstart, pend)
    charts, resize_text = _charts(cur)
    now = pd.Timestamp.now(tz="UTC")
    return ReportModel(
        month=str(period),
        title=title or f"RDS reliability report - {period.strftime('%B %Y')}",
        tz=tz,
        period_label=f"{period.strftime('%B %Y')} "
        f"({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC)",
        generated=f"{now:%Y-%m-%d %H:%M} UTC",
        cards=_cards(cur, prev),
        charts=charts,
        tables=_tables(cur, prev, end),
        resize_text=resize_text,
        quality=_quality(df, cur, coverage, start, end, now),
    )


def _cards(cur: pd.DataFrame, prev: pd.DataFrame) -> list[Card]:
    """Headline: jobs, finished, failed, failure rate (with the change), durations."""
    fr_all = failure_rates(cur, by=None).iloc[0] if len(cur) else None
    fr_prev = failure_rates(prev, by=None).iloc[0] if len(prev) else None
    dur_all = duration_summary(cur, by=None)
    n_prev = len(prev)
    cards = [
        Card(
            "jobs", f"{len(cur):,}", f"{len(cur) - n_prev:+,} vs previous month" if n_prev else None
        )
    ]
    finished = int(fr_all["finished"]) if fr_all is not None else 0
    failed = int(fr_all["failed"]) if fr_all is not None else 0
    cards.append(Card("finished", f"{finished:,}"))
    cards.append(Card("failed", f"{failed:,}"))
    rate = fr_all["failure_rate"] if fr_all is not None else np.nan
    if pd.notna(rate):
        delta, cls = None, ""
        if fr_prev is not None and pd.notna(fr_prev["failure_rate"]):
            d = (rate - fr_prev["failure_rate"]) * 100
            delta, cls = f"{d:+.1f} pp vs previous month", ("delta-up" if d > 0 else "delta-down")
        label = f"failure rate (95% CI {fr_all['ci_low']:.1%}-{fr_all['ci_high']:.1%})"
        cards.append(Card(label, f"{rate:.1%}", delta, cls))
    else:
        cards.append(Card("failure rate", "n/a"))
    if len(dur_all) and dur_all["count"].iloc[0] > 0:
        cards.append(Card("median duration", format_seconds(dur_all["median_s"].iloc[0])))
        cards.append(Card("p90 duration", format_seconds(dur_all["p90_s"].iloc[0])))
    else:
        cards.append(Card("median duration", "n/a"))
    return cards


def _fig(w: float, h: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(w, h), facecolor="white")
    return fig, fig.add_subplot()


def _charts(cur: pd.DataFrame) -> tuple[dict[str, Figure | None], str]:
    """The month's figures (None where there is nothing to draw) and the scale-up sentence."""
    charts: dict[str, Figure | None] = dict.fromkeys(CHART_KEYS)
    if len(cur):
        n_types = max(3, min(30, len(failure_rates(cur))))
        fig, ax = _fig(9, 0.28 * n_types + 1.5)
        plot_failure_rates(cur, ax=ax, min_jobs=5)
        charts["failures"] = fig
        fig, ax = _fig(9, 6)
        plot_durations(cur, ax=ax)
        charts["durations"] = fig
        fig, ax = _fig(10, 3.5)
        plot_timeline(cur, ax=ax)
        charts["timeline"] = fig
    rs = cur[cur["volume_delta_gb"].notna()]
    if not len(rs):
        return charts, "No storage scale-ups this month."
    fig = Figure(figsize=(11, 3.8), facecolor="white")
    a1, a2 = fig.subplots(1, 2)
    plot_resize_deltas(cur, ax=a1)
    plot_resize_deltas(cur, kind="hist", ax=a2)
    fig.tight_layout()
    charts["resizes"] = fig
    gb = rs["volume_delta_gb"]
    text = (f"{len(rs)} storage scale-ups added {gb.sum():,.0f} GB (median {gb.median():,.0f} "
            f"GB, largest {gb.max():,.0f} GB).")  # fmt: skip
    return charts, text


def _pct(v: float) -> str:
    return f"{v:.1%}"


_RATE_COLS = ["jobs", "finished", "failed", "failure_rate", "ci_low", "ci_high"]
_PCT = {"failure_rate": _pct, "ci_low": _pct, "ci_high": _pct, "previous_rate": _pct}
_SECS = dict.fromkeys(("median_s", "p90_s", "p99_s", "max_s"), format_seconds)


def _tables(cur: pd.DataFrame, prev: pd.DataFrame, end: pd.Timestamp) -> dict[str, Table]:
    """The report's tables, by the name the template uses."""
    no_jobs, no_finished = "No jobs this month.", "No finished jobs this month."
    return {
        "failures_by_type": Table(_failures_by_type(cur, prev), no_jobs, _PCT),
        "failures_by_engine": Table(_failures_by_engine(cur), no_jobs, _PCT),
        "durations": Table(_durations(cur), no_finished, _SECS),
        "slowest": Table(_slowest(cur), no_finished, {"duration": format_seconds}),
        "reasons": Table(_reasons(cur), "No failed jobs this month."),
        "running": Table(_running(cur, end), "No job was running at month end."),
    }


def _failures_by_type(cur: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    t = failure_rates(cur)[_RATE_COLS].copy()
    t["previous_rate"] = failure_rates(prev)["failure_rate"].reindex(t.index)
    t = t.sort_values(["failure_rate", "jobs"], ascending=[False, False])
    t.index.name = "job type"
    return t


def _failures_by_engine(cur: pd.DataFrame) -> pd.DataFrame:
    t = failure_rates(cur, by="engine")[_RATE_COLS]
    t.index = [("(unknown)" if pd.isna(i) else i) for i in t.index]
    return t


def _durations(cur: pd.DataFrame) -> pd.DataFrame:
    t = duration_summary(cur).sort_values("median_s", ascending=False)
    t.index.name = "job type"
    return t


def _slowest(cur: pd.DataFrame) -> pd.DataFrame:
    slow = cur[cur["duration_s"].notna()].nlargest(10, "duration_s")
    return pd.DataFrame(
        {"job type": slow["job_name"].astype(object), "instance": slow["instance_name"].astype(object),
         "status": slow["status"].astype(object), "created (UTC)": slow["created"].dt.strftime("%Y-%m-%d %H:%M"),
         "duration": slow["duration_s"], "job id": slow["job_id"].astype(object)}
    ).set_index("job id")  # fmt: skip


def _reasons(cur: pd.DataFrame) -> pd.DataFrame:
    failed = cur[cur["status"] == FAILED]
    if not len(failed):
        return pd.DataFrame()
    reasons = failed.assign(reason=failed["fail_reason"].astype(object).fillna("(no reason given)"))
    g = reasons.groupby("reason", sort=False)
    return pd.DataFrame({
        "failures": g.size(),
        "job types": g["job_name"].agg(lambda s: ", ".join(sorted(set(map(str, s)))[:4])),
        "example job ids": g["job_id"].agg(lambda s: ", ".join(list(s.astype(str))[:3])),
    }).sort_values("failures", ascending=False).head(15)  # fmt: skip


def _running(cur: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Jobs created this month still running at its end (no end yet, or an end after it)."""
    in_month = cur["created"] < end
    open_now = cur["ended"].isna() & (cur["status"] == RUNNING)
    still = cur[in_month & (open_now | (cur["ended"] >= end))]
    return pd.DataFrame(
        {"job type": still["job_name"].astype(object), "instance": still["instance_name"].astype(object),
         "created (UTC)": still["created"].dt.strftime("%Y-%m-%d %H:%M"),
         "progress %": still["progress_pct"], "job id": still["job_id"].astype(object)}
    ).set_index("job id")  # fmt: skip


def _quality(
    df: pd.DataFrame,
    cur: pd.DataFrame,
    coverage: pd.DataFrame | Coverage | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
    now: pd.Timestamp | None = None,
) -> list[str]:
    """Data-quality sentences: skipped records, jobs without times, sync coverage and its
    gaps."""
    quality = []
    skipped = df.attrs.get("skipped_records") or []
    if skipped:
        counts = pd.Series([s["reason"] for s in skipped]).value_counts()
        quality.append(f"{len(skipped)} raw record(s) skipped while normalizing: "
                       + "; ".join(f"{n} x {r}" for r, n in counts.head(5).items()))  # fmt: skip
    else:
        quality.append("No raw records were skipped while normalizing.")
    no_created = int(df["created"].isna().sum())
    quality.append(
        f"{no_created} job(s) in the data have no creation time and cannot be placed in a month."
    )
    no_end = int((cur["status"].isin(TERMINAL_STATUSES) & cur["ended"].isna()).sum())
    quality.append(f"{no_end} finished job(s) this month have no end time (no duration).")
    quality.extend(_coverage_text(coverage, start, end, now))
    return quality


#: Gaps listed one by one in the data-quality section; the rest are counted.
MAX_GAPS_LISTED = 20


def _windows_by_project(coverage: pd.DataFrame | Coverage) -> dict[str | None, list[Window]]:
    """Merged sync windows per project (one key, None, when the frame names no project)."""
    if isinstance(coverage, Coverage):
        return {coverage.project_id: list(coverage.windows)}
    if coverage.empty:
        return {}
    if "project_id" not in coverage:
        spans = zip(coverage["window_start"], coverage["window_end"], strict=True)
        return {None: merge_windows(spans)}
    return {
        str(project): merge_windows(zip(g["window_start"], g["window_end"], strict=True))
        for project, g in coverage.groupby("project_id", sort=True)
    }


def _fate(gap: Window, now: pd.Timestamp) -> str:
    """Whether a gap can still be filled: the API answers for its last 30 days only."""
    horizon = pd.Timedelta(days=API_HORIZON_DAYS)
    if gap.end <= now - horizon:
        return f"older than the API's {API_HORIZON_DAYS}-day horizon: can no longer be synced"
    if gap.start < now - horizon:
        return (
            f"partly older than the API's {API_HORIZON_DAYS}-day horizon: sync now to fill the rest"
        )
    return f"sync before {gap.start + horizon:%Y-%m-%d %H:%M} UTC to fill it"


def _coverage_text(
    coverage: pd.DataFrame | Coverage | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
    now: pd.Timestamp | None = None,
) -> list[str]:
    """Coverage sentences: the month is covered only where merged sync windows cover it;
    every gap is listed (up to :data:`MAX_GAPS_LISTED`), with whether it can still be filled.

    ``coverage`` is :meth:`JobArchive.syncs` (any number of projects: each must cover
    the month) or :meth:`JobArchive.coverage`.

    Examples
    --------
    >>> m0, m1 = month_bounds("2026-10")
    >>> syncs = pd.DataFrame({"window_start": [m0, m0 + pd.Timedelta(days=20)],
    ...                       "window_end": [m0 + pd.Timedelta(days=10), m1]})
    >>> for line in _coverage_text(syncs, m0, m1, now=pd.Timestamp("2026-11-02", tz="UTC")):
    ...     print(line)
    Archive sync coverage: 68% of the month is covered by recorded syncs; 1 gap(s) with no recorded sync, where jobs may be missing:
    Gap: 2026-10-11 00:00 .. 2026-10-21 00:00 UTC (10 d); sync before 2026-11-10 00:00 UTC to fill it.
    """
    if coverage is None:
        return ["Archive sync coverage: not known for this data (no sync records given)."]
    projects = _windows_by_project(coverage)
    if not projects:
        return ["Archive sync coverage: no sync has been recorded; the whole month is uncovered."]
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    out: list[str] = []
    unlisted = 0
    for project, windows in projects.items():
        of = f" of project {project}" if len(projects) > 1 else ""
        gaps = find_gaps(windows, start, end)
        if not gaps:
            out.append(f"Archive sync coverage{of}: the whole month is covered by recorded syncs.")
        elif gaps == [Window(start, end)]:
            out.append(f"Archive sync coverage{of}: no recorded sync covers any of this month; "
                       "jobs created in it may be missing from this report "
                       f"({_fate(gaps[0], now)}).")  # fmt: skip
        else:
            share = 1 - sum((g.length for g in gaps), pd.Timedelta(0)) / (end - start)
            out.append(f"Archive sync coverage{of}: {share:.0%} of the month is covered by "
                       f"recorded syncs; {len(gaps)} gap(s) with no recorded sync, where jobs "
                       "may be missing:")  # fmt: skip
            room = max(0, MAX_GAPS_LISTED - sum(line.startswith("Gap") for line in out))
            out += [f"Gap{of}: {g} ({format_seconds(g.length.total_seconds())}); "
                    f"{_fate(g, now)}." for g in gaps[:room]]  # fmt: skip
            unlisted += len(gaps[room:])
    if unlisted:
        out.append(f"... and {unlisted} more gap(s) not listed here.")
    return out

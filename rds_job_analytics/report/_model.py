"""The monthly report's model: what the report says, built from the statistics.

:func:`build_model` computes every figure, table and sentence of the report into a
:class:`ReportModel`; ``_render`` turns that model into HTML. This module holds the data
(cards, tables with the formatters the renderer applies to their columns, the summary);
the charts are drawn by ``_charts`` and the data-quality text comes from ``_quality``.

Examples
--------
>>> import rds_job_analytics as rja
>>> model = build_model(rja.load_sample(), "2026-10")
>>> [c.label for c in model.cards][:3]
['jobs', 'finished', 'failed']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._format import (
    HEADERS,
    MIN_JOBS,
    REPORT_TOP_ROWS,
    UNKNOWN_LABEL,
    duration_number,
    duration_text,
    duration_unit,
    group_label,
    interval_text,
)
from .._time import month_bounds, to_utc, utcnow
from ..exceptions import ConfigError
from ..normalize.schema import FAILED, RUNNING
from ..stats import duration_summary, failure_rates, filter_window
from ..store.coverage import Coverage
from ._charts import CHART_KEYS, build_charts
from ._quality import (
    END_TIME_TOLERANCE_S,
    coverage_problems,
    covered_share,
    end_time_text,
    quality_lines,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CHART_KEYS",
    "END_TIME_TOLERANCE_S",
    "MIN_JOBS",
    "Card",
    "ReportModel",
    "Table",
    "build_model",
    "data_window",
    "month_bounds",
]


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
    """A table of the report: the frame, what to say when it is empty, column formats.

    ``headers`` maps a column to the words shown in its header (default: the column
    name); columns of a numeric dtype (and those named in ``numeric``) are right-aligned.
    ``note`` is a sentence under the table (for example what a top-N cut leaves out).
    """

    frame: pd.DataFrame
    empty: str
    formats: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    numeric: frozenset[str] = frozenset()
    note: str = ""


@dataclass
class ReportModel:
    """Everything the monthly report shows, before any HTML.

    ``charts`` maps each of :data:`CHART_KEYS` to its figure, or None when the month has
    nothing to draw; ``tables`` maps the template's table names to :class:`Table`;
    ``problems`` are the reasons the report cannot be trusted as complete (empty when it
    can); ``breakdowns`` are the per-region / per-account tables (only for a frame that
    spans several).
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
    problems: tuple[str, ...] = ()
    quality_warnings: tuple[str, ...] = ()
    summary: str = ""
    breakdowns: list[tuple[str, Table]] = field(default_factory=list)
    target: float | None = None


#: Months in the trend (this one included).
TREND_MONTHS = 6
# MIN_JOBS (finished jobs a job type needs to be drawn, ranked or flagged as a regression)
# and REPORT_TOP (job types drawn one by one) have their home in _format.


def data_window(month: Any, tz: str = "UTC") -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC ``[start, end)`` of the data the report of ``month`` reads: the
    :data:`TREND_MONTHS` months ending with ``month`` (what a caller should load).

    Examples
    --------
    >>> data_window("2026-10")[0]
    Timestamp('2026-05-01 00:00:00+0000', tz='UTC')
    """
    period = pd.Period(month, freq="M")
    return month_bounds(period - (TREND_MONTHS - 1), tz)[0], month_bounds(period, tz)[1]


def build_model(
    df: pd.DataFrame,
    month: Any,
    *,
    tz: str = "UTC",
    title: str | None = None,
    coverage: pd.DataFrame | Coverage | None = None,
    target: float | None = None,
    end_times: pd.DataFrame | None = None,
) -> ReportModel:
    """The report model for ``month`` (the parameters of :func:`monthly_report`).

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> model = build_model(rja.empty_jobs_frame(), "2026-10")
    >>> model.title, model.charts["failures"], model.problems[0]
    ('RDS reliability report - October 2026', None, 'no jobs in 2026-10')
    """
    if target is not None and not 0 <= target <= 1:
        raise ConfigError(f"target must be a failure rate between 0 and 1, not {target!r}")
    start, end = month_bounds(month, tz)
    period = pd.Period(month, freq="M")
    pstart, pend = month_bounds(period - 1, tz)
    cur = filter_window(df, start, end)
    prev = filter_window(df, pstart, pend)
    history = filter_window(df, data_window(month, tz)[0], pstart)
    now = to_utc(utcnow())
    as_of = _as_of(df, coverage, now)
    trend = _trend(df, period, tz)
    regressions = _regressions(cur, history, prev)
    problems = (*(() if len(cur) else (f"no jobs in {period}",)),
                *coverage_problems(coverage, start, end, str(period), tz))  # fmt: skip
    charts, resize_text = build_charts(cur, trend, tz, start, end, target)
    tables = _tables(cur, prev, history, end, tz, as_of)
    # A month the archive does not fully hold is compared with nothing: "-1,279 vs
    # September" or "down 3 points" would read as a change when it is missing data. The
    # same goes when the previous month itself is only partly synced.
    prev_share = covered_share(coverage, pstart, pend)
    versus = prev.iloc[0:0] if problems or (prev_share is not None and prev_share < 1) else prev
    trend_cols = ["jobs", "failed", "running", "failure_rate", "ci"]
    shown = _with_ci(trend)[trend_cols]
    if coverage is not None:  # how much of each month the archive holds: "0 jobs" of a
        shares = [covered_share(coverage, *month_bounds(m, tz)) for m in shown.index]
        shown = shown.assign(synced=[f"{v:.0%}" for v in shares])  # 40%-synced month is no dip
    tables["trend"] = Table(_first_col(shown, "month"),
                            "No jobs in these months.", _TREND_FMT, _HEADERS, _NUMERIC)  # fmt: skip
    tables["regressions"] = regressions
    end_text, end_warnings = end_time_text(cur, end_times)
    return ReportModel(
        month=str(period),
        title=title or f"RDS reliability report - {period.strftime('%B %Y')}",
        tz=tz,
        period_label=f"{period.strftime('%B %Y')} "
        f"({start.tz_convert(tz):%Y-%m-%d %H:%M} to {end.tz_convert(tz):%Y-%m-%d %H:%M} {tz})",
        generated=f"{now.tz_convert(tz):%Y-%m-%d %H:%M} {tz}",
        cards=_cards(cur, versus, coverage, start, end, target, as_of),
        charts=charts,
        tables=tables,
        resize_text=resize_text,
        quality=[*quality_lines(df, cur, coverage, start, end, now, tz), end_text],
        quality_warnings=end_warnings,
        problems=problems,
        summary=_summary(cur, versus, trend, regressions, problems, period, target, as_of, tz),
        breakdowns=_breakdowns(cur),
        target=target,
    )


def _as_of(df: pd.DataFrame, coverage: Any, now: pd.Timestamp) -> pd.Timestamp:
    """The latest time the data speaks for: its newest creation or end time (or the end of
    the newest sync window), never after now. Ages of running jobs are counted to it."""
    times = [df["created"].max(), df["ended"].max()]
    if isinstance(coverage, Coverage) and coverage.windows:
        times.append(coverage.windows[-1].end)
    elif isinstance(coverage, pd.DataFrame) and len(coverage) and "window_end" in coverage:
        times.append(pd.to_datetime(coverage["window_end"], utc=True).max())
    known = [pd.Timestamp(t) for t in times if pd.notna(t)]
    return min(max(known), now) if known else now


def _rate_row(df: pd.DataFrame) -> pd.Series | None:
    return failure_rates(df, by=None).iloc[0] if len(df) else None


def _cards(
    cur: pd.DataFrame,
    prev: pd.DataFrame,
    coverage: Any,
    start: pd.Timestamp,
    end: pd.Timestamp,
    target: float | None,
    as_of: pd.Timestamp,
) -> list[Card]:
    """Headline: jobs, finished, failed, failure rate (with the change), running, durations,
    coverage and the failure budget."""
    fr_all, fr_prev = _rate_row(cur), _rate_row(prev)
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
        cards.append(Card("failure rate", "n/a", "no finished jobs"))
    running = cur[(cur["status"] == RUNNING) & cur["ended"].isna()]
    oldest = None
    if len(running):
        days = (as_of - running["created"].min()) / pd.Timedelta(days=1)
        oldest = f"oldest {days:,.0f} days"
    cards.append(Card("still running", f"{len(running):,}", oldest, "delta-up" if oldest else ""))
    if len(dur_all) and dur_all["count"].iloc[0] > 0:
        cards.append(Card("median duration", duration_text(dur_all["median_s"].iloc[0])))
        cards.append(Card("p90 duration", duration_text(dur_all["p90_s"].iloc[0])))
    else:
        cards.append(Card("median duration", "n/a"))
    share = covered_share(coverage, start, end)
    if share is None:
        cards.append(Card("archive coverage", "unknown", "no sync records given", "delta-up"))
    else:
        cards.append(Card("archive coverage", f"{share:.0%}", None if share >= 1 else
                          "of the month synced", "" if share >= 1 else "delta-up"))  # fmt: skip
    if target is not None:
        allowed = target * finished
        if finished == 0:
            cards.append(Card(f"failure budget (target {target:.1%})", "n/a", "no finished jobs"))
        else:
            spent = failed / allowed if allowed else (np.inf if failed else 0.0)
            value = f"{spent:.0%} spent" if np.isfinite(spent) else "exceeded"
            cards.append(Card(f"failure budget (target {target:.1%})", value,
                              f"{failed:,} failures of {_allowed(allowed)} allowed",
                              "delta-up" if spent > 1 else "delta-down"))  # fmt: skip
    return cards


def _trend(df: pd.DataFrame, period: pd.Period, tz: str) -> pd.DataFrame:
    """One row per month of the trend (oldest first): jobs, completed, failed, running,
    finished, failure rate and its Wilson interval; months without jobs have zeros, and
    the months before the first one with jobs are left out (no data, not zero)."""
    first = period - (TREND_MONTHS - 1)
    window = filter_window(df, *data_window(period, tz))
    months = pd.period_range(first, period, freq="M")
    local = window["created"].dt.tz_convert(tz).dt.tz_localize(None).dt.to_period("M")
    fr = failure_rates(window.assign(_month=local.astype(str)), by="_month")
    fr = fr.reindex([str(m) for m in months])
    counts = ["jobs", "completed", "failed", "running", "finished"]
    fr[counts] = fr[counts].fillna(0).astype("int64")
    fr.index.name = "month"
    # Months before the archive's first job are not "0 jobs": nothing was kept then. The
    # trend starts at the first month with data (the month itself at the latest).
    held = np.flatnonzero(fr["jobs"].to_numpy() > 0)
    fr = fr.iloc[min(held[0], len(fr) - 1) if len(held) else len(fr) - 1 :]
    return fr[[*counts, "failure_rate", "ci_low", "ci_high"]]


def _allowed(n: float) -> str:
    """Failures a target allows: one decimal below 10 (2.8, not a rounded 3 that "3 of 3
    allowed" would contradict), whole numbers above."""
    return f"{n:,.1f}" if n < 10 else f"{n:,.0f}"


def _pct(v: float) -> str:
    return f"{v:.1%}"


def _ci(row: pd.Series) -> str:
    return interval_text(row["ci_low"], row["ci_high"])


#: Human column headers: one home for every table, the explorer's too.
_HEADERS = HEADERS
_PCT = {"failure_rate": _pct, "previous_rate": _pct, "history_rate": _pct,
        "ci_low": _pct, "ci_high": _pct}  # fmt: skip
_TREND_FMT = {**_PCT, "month": lambda m: pd.Period(m).strftime("%B %Y")}
_RATE_COLS = ["jobs", "finished", "failed", "failure_rate", "ci"]
_NUMERIC = frozenset({"ci", "age_days", "progress_pct", "synced"})


def _with_ci(t: pd.DataFrame) -> pd.DataFrame:
    t = t.copy()
    t["ci"] = [_ci(r) for _, r in t.iterrows()] if len(t) else pd.Series(dtype=object)
    return t


def _first_col(t: pd.DataFrame, name: str) -> pd.DataFrame:
    """The index as the first column ``name`` (NaN keys shown as "(unknown)")."""
    t = t.copy()
    t.index = [group_label(i) for i in t.index]
    t.index.name = name
    return t.reset_index()


def _rate_table(t: pd.DataFrame, key: str, empty: str, note: str = "") -> Table:
    cols = [c for c in (key, *_RATE_COLS, "previous_rate", "history_rate") if c in t]
    return Table(t[cols], empty, _PCT, _HEADERS, _NUMERIC, note)


def _tables(
    cur: pd.DataFrame,
    prev: pd.DataFrame,
    history: pd.DataFrame,
    end: pd.Timestamp,
    tz: str,
    as_of: pd.Timestamp,
) -> dict[str, Table]:
    """The report's tables, by the name the template uses."""
    no_jobs, no_finished = "No jobs this month.", "No finished jobs this month."
    no_failed = "No failed jobs this month."
    by_type = _failures_by_type(cur, prev)
    failing = by_type[by_type["failed"] > 0]
    by_failures = failing.sort_values(["failed", "ci_low"], ascending=False)
    ranked = failing[failing["finished"] >= MIN_JOBS]  # a handful of jobs ranks nothing
    by_bound = ranked.sort_values(["ci_low", "failed"], ascending=False)
    more = max(0, len(failing) - REPORT_TOP_ROWS)
    kinds = "job type" if more == 1 else "job types"
    left = f"{more} more failing {kinds} in the full table below." if more else ""
    dur, dur_fmt, dur_headers = _durations(cur)
    slow, slow_fmt, slow_headers = _slowest(cur, tz)
    running, running_note = _running(cur, end, tz, as_of)
    return {
        "failures_by_type": _rate_table(by_type, "job_name", no_jobs),
        "top_by_failures": _rate_table(
            by_failures.head(REPORT_TOP_ROWS), "job_name", no_failed, left
        ),
        "top_by_bound": _rate_table(
            by_bound.head(REPORT_TOP_ROWS),
            "job_name",
            no_failed,
            f"Job types with fewer than {MIN_JOBS} finished jobs are not ranked here "
            f"({len(failing) - len(ranked)} such failing type(s): see the full table below)."
            if len(ranked) < len(failing)
            else left,
        ),
        "failures_by_engine": _rate_table(_failures_by(cur, "engine"), "engine", no_jobs),
        "instances": _instances(cur),
        "durations": Table(dur, no_finished, dur_fmt, dur_headers),
        "slowest": Table(slow, no_finished, slow_fmt, slow_headers),
        "reasons": Table(_reasons(cur), no_failed, {}, _HEADERS),
        "running": Table(
            running, "No job was running at month end.", {}, _HEADERS, _NUMERIC, running_note
        ),
    }


def _failures_by_type(cur: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    """Every job type of the month, worst first by the lower bound of its interval."""
    t = _with_ci(failure_rates(cur))
    t["previous_rate"] = failure_rates(prev)["failure_rate"].reindex(t.index)
    t = t.sort_values(["ci_low", "failed", "jobs"], ascending=False, na_position="last")
    return _first_col(t, "job_name")


def _failures_by(cur: pd.DataFrame, col: str) -> pd.DataFrame:
    t = _with_ci(failure_rates(cur, by=col)).sort_values(["failed", "jobs"], ascending=False)
    return _first_col(t, col)


def _regressions(cur: pd.DataFrame, history: pd.DataFrame, prev: pd.DataFrame) -> Table:
    """Job types whose failure rate this month is significantly above the earlier months':
    the lower bound of this month's Wilson interval is above the upper bound of the pooled
    earlier months' interval (each side with at least :data:`MIN_JOBS` finished jobs)."""
    now = failure_rates(cur)
    before = failure_rates(pd.concat([history, prev]) if len(history) else prev)
    both = now.join(before.add_suffix("_before"), how="inner")
    both = both[(both["finished"] >= MIN_JOBS) & (both["finished_before"] >= MIN_JOBS)]
    up = both[both["ci_low"] > both["ci_high_before"]].copy()
    up["history_rate"] = up["failure_rate_before"]
    up["previous_rate"] = failure_rates(prev)["failure_rate"].reindex(up.index)
    up = _with_ci(up).sort_values(["failed", "ci_low"], ascending=False)
    cols = ["jobs", "failed", "failure_rate", "ci", "previous_rate", "history_rate"]
    return Table(_first_col(up[cols], "job_name"),
                 "No job type failed significantly more often than in the earlier months.",
                 _PCT, {**_HEADERS, "history_rate": f"Earlier {TREND_MONTHS - 1} months"},
                 _NUMERIC)  # fmt: skip


def _instances(cur: pd.DataFrame) -> Table:
    """The instances with the most failed jobs this month."""
    empty = "No failed jobs this month."
    failed = cur[cur["status"] == FAILED]
    if not len(failed):
        return Table(pd.DataFrame(), empty)
    key = cur["instance_name"].astype(object).fillna(cur["instance_id"].astype(object))
    key = key.fillna(UNKNOWN_LABEL)
    fr = failure_rates(cur.assign(instance=key), by="instance")
    fkey = key[failed.index]
    types = failed.groupby(fkey)["job_name"].agg(
        lambda s: ", ".join(s.astype(str).value_counts().index[:3])
    )
    fr = fr[fr["failed"] > 0].sort_values(["failed", "ci_low"], ascending=False)
    more = max(0, len(fr) - REPORT_TOP_ROWS)
    fr = _with_ci(fr.head(REPORT_TOP_ROWS))
    fr["job_types"] = types.reindex(fr.index)
    t = _first_col(fr[["failed", "jobs", "failure_rate", "ci", "job_types"]], "instance")
    note = f"{more} more instances had failed jobs." if more else ""
    return Table(t, empty, _PCT, _HEADERS, _NUMERIC, note)


def _duration_cols(t: pd.DataFrame, words: Mapping[str, str]) -> tuple[dict, dict]:
    """Formats and headers of duration columns: one unit per column, named in its header."""
    fmts, heads = {}, {}
    for col, word in words.items():
        name, size = duration_unit(t[col])
        fmts[col] = lambda v, size=size: duration_number(v / size)
        heads[col] = f"{word} ({name})"
    return fmts, heads


def _durations(cur: pd.DataFrame) -> tuple[pd.DataFrame, dict, dict]:
    t = duration_summary(cur).sort_values("median_s", ascending=False)
    t = _first_col(t[t["count"] > 0], "job_name")
    fmts, heads = _duration_cols(
        t, {c: HEADERS[c] for c in ("median_s", "p90_s", "p99_s", "max_s")}
    )
    return t, fmts, {**_HEADERS, **heads}


def _slowest(cur: pd.DataFrame, tz: str) -> tuple[pd.DataFrame, dict, dict]:
    slow = cur[cur["duration_s"].notna()].nlargest(REPORT_TOP_ROWS, "duration_s")
    t = pd.DataFrame(
        {"job_name": slow["job_name"].astype(object), "instance": slow["instance_name"].astype(object),
         "status": slow["status"].astype(object), "created": _local_text(slow["created"], tz),
         "duration_s": slow["duration_s"], "job_id": slow["job_id"].astype(object)}
    ).reset_index(drop=True)  # fmt: skip
    fmts, heads = _duration_cols(t, {"duration_s": HEADERS["duration_s"]})
    return t, fmts, {**_HEADERS, **heads, "created": f"Created ({tz})"}


def _local_text(times: pd.Series, tz: str) -> pd.Series:
    return times.dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M")


def _reasons(cur: pd.DataFrame) -> pd.DataFrame:
    failed = cur[cur["status"] == FAILED]
    if not len(failed):
        return pd.DataFrame()
    reasons = failed.assign(reason=failed["fail_reason"].astype(object).fillna("(no reason given)"))
    g = reasons.groupby("reason", sort=False)
    t = pd.DataFrame({
        "failed": g.size(),
        "job_types": g["job_name"].agg(lambda s: ", ".join(sorted(set(map(str, s)))[:4])),
        "example_ids": g["job_id"].agg(lambda s: ", ".join(list(s.astype(str))[:3])),
    }).sort_values("failed", ascending=False).head(15)  # fmt: skip
    return t.reset_index()


def _running(
    cur: pd.DataFrame, end: pd.Timestamp, tz: str, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, str]:
    """Jobs created this month still running at its end (no end yet, or an end after it),
    oldest first, with how long each has been running (to its end, or to ``as_of``)."""
    in_month = cur["created"] < end
    open_now = cur["ended"].isna() & (cur["status"] == RUNNING)
    still = cur[in_month & (open_now | (cur["ended"] >= end))]
    until = still["ended"].where(still["ended"].notna(), as_of)
    age = (until - still["created"]) / pd.Timedelta(days=1)
    t = pd.DataFrame(
        {"job_name": still["job_name"].astype(object), "instance": still["instance_name"].astype(object),
         "created": _local_text(still["created"], tz),
         "progress_pct": still["progress_pct"], "status_now": still["status"].astype(object),
         "age_days": age.round(1), "job_id": still["job_id"].astype(object)}
    ).sort_values("age_days", ascending=False)  # fmt: skip
    more = max(0, len(t) - 2 * REPORT_TOP_ROWS)
    note = (f"Ages counted to {as_of.tz_convert(tz):%Y-%m-%d %H:%M} {tz}, the newest time in the "
            "data, or to the job's end.")  # fmt: skip
    if more:
        note += f" {more} more jobs not listed."
    t = t.head(2 * REPORT_TOP_ROWS).reset_index(drop=True)
    t = t.rename(columns={"created": f"Created ({tz})"})
    return t, note


def _breakdowns(cur: pd.DataFrame) -> list[tuple[str, Table]]:
    """Per-region and per-account failure rates, for a month spanning several of them."""
    out = []
    for col, heading in (("region", "By region"), ("account", "By account")):
        if col in cur and cur[col].nunique(dropna=True) > 1:
            out.append((heading, _rate_table(_failures_by(cur, col), col, "No jobs this month.")))
    return out


def _summary(
    cur: pd.DataFrame,
    prev: pd.DataFrame,
    trend: pd.DataFrame,
    regressions: Table,
    problems: tuple[str, ...],
    period: pd.Period,
    target: float | None,
    as_of: pd.Timestamp,
    tz: str,
) -> str:
    """One paragraph, in words, of what the numbers say (generated, never hand-written)."""
    name, prev_name = period.strftime("%B %Y"), (period - 1).strftime("%B")
    parts = ["Read with care (see above)."] if problems else []
    if not len(cur):
        parts.append(f"No jobs were recorded in {name}.")
        return " ".join(parts)
    fr, fp = _rate_row(cur), _rate_row(prev)
    jobs = f"{len(cur):,} jobs were created in {name}"
    if len(prev):
        jobs += f" ({len(cur) - len(prev):+,} vs {prev_name})"
    parts.append(jobs + ".")
    if pd.notna(fr["failure_rate"]):
        s = (f"{int(fr['failed']):,} of {int(fr['finished']):,} finished jobs failed, a failure "
             f"rate of {fr['failure_rate']:.1%} (95% interval {fr['ci_low']:.1%} - "
             f"{fr['ci_high']:.1%})")  # fmt: skip
        if fp is not None and pd.notna(fp["failure_rate"]):
            d = (fr["failure_rate"] - fp["failure_rate"]) * 100
            word = "up" if d > 0 else "down" if d < 0 else "unchanged"
            s += f", {word} {abs(d):.1f} points from {prev_name}" if d else ", unchanged"
            if fr["ci_low"] > fp["ci_high"]:
                s += " (a significant rise)"
            elif fr["ci_high"] < fp["ci_low"]:
                s += " (a significant improvement)"
        parts.append(s + ".")
        if target is not None and fr["finished"]:
            allowed = target * fr["finished"]
            verdict = "within" if fr["failed"] <= allowed else "over"
            parts.append(f"That is {verdict} the {target:.1%} target ({int(fr['failed']):,} "
                         f"failures against {_allowed(allowed)} allowed).")  # fmt: skip
    reg = regressions.frame
    if len(reg):
        names = ", ".join(f"{r.job_name} ({r.failure_rate:.1%})" for r in reg.head(3).itertuples())
        parts.append(f"{len(reg)} job type(s) failed significantly more often than in the "
                     f"earlier months: {names}.")  # fmt: skip
    failed = cur[cur["status"] == FAILED]
    if len(failed):
        worst = failed["job_name"].astype(object).value_counts()
        top = sorted(worst[worst == worst.iloc[0]].index)  # ties named, never picked at random
        more = f" and {len(top) - 1} other type(s) tied" if len(top) > 1 else ""
        parts.append(f"Most failures: {top[0]}{more} ({worst.iloc[0]:,} each)." if more
                     else f"Most failures: {top[0]} ({worst.iloc[0]:,}).")  # fmt: skip
    running = cur[(cur["status"] == RUNNING) & cur["ended"].isna()]
    if len(running):
        days = (as_of - running["created"].min()) / pd.Timedelta(days=1)
        parts.append(f"{len(running):,} job(s) are still running, the oldest for {days:,.0f} "
                     "days.")  # fmt: skip
    return " ".join(parts)

"""Monthly reliability report as one self-contained HTML file.

A small report model is built from the statistics, charts are drawn on explicit
``Figure`` objects and embedded as base64 PNG, and a jinja2 template shipped in the
package (autoescape on) renders it. Nothing is loaded from the network; job names,
instance names and failure reasons are escaped as untrusted text.

Examples
--------
>>> import rds_job_analytics as rja
>>> rep = rja.monthly_report(rja.load_sample(), "2026-10")
>>> rep.html.startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from ..exceptions import ConfigError
from ..plots import (
    format_seconds,
    plot_durations,
    plot_failure_rates,
    plot_resize_deltas,
    plot_timeline,
)
from ..stats import duration_summary, failure_rates, filter_window

__all__ = ["Report", "month_bounds", "monthly_report"]

SECTIONS = [
    ("headline", "Headline"),
    ("failures", "Failure rates"),
    ("durations", "Durations"),
    ("resizes", "Storage scale-ups"),
    ("reasons", "Failure reasons"),
    ("running", "Running"),
    ("timeline", "Activity"),
    ("quality", "Data quality"),
]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rds_job_analytics", "report/templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def month_bounds(month: Any, tz: str = "UTC") -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC ``[start, end)`` of a calendar month in time zone ``tz``.

    Examples
    --------
    >>> month_bounds("2026-10", tz="Asia/Shanghai")[0]
    Timestamp('2026-09-30 16:00:00+0000', tz='UTC')
    """
    if isinstance(month, str) and not re.fullmatch(r"\d{4}-\d{2}", month.strip()):
        raise ConfigError(f"month must look like 'YYYY-MM', not {month!r}")
    try:
        period = pd.Period(month, freq="M")
    except (ValueError, TypeError):
        raise ConfigError(f"month must look like 'YYYY-MM', not {month!r}") from None
    try:
        start = pd.Timestamp(period.start_time).tz_localize(tz)
    except Exception:
        raise ConfigError(f"unknown time zone tz={tz!r}") from None
    end = pd.Timestamp((period + 1).start_time).tz_localize(tz)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, facecolor="white", bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _table(df: pd.DataFrame, empty: str, **fmt: Any) -> Markup:
    if df.empty:
        return Markup('<p class="empty">') + empty + Markup("</p>")
    out = df.copy()
    for col, f in fmt.items():
        if col in out:
            out[col] = [("" if (v is None or (isinstance(v, float) and np.isnan(v))) else f(v))
                        for v in out[col]]  # fmt: skip
    return Markup(out.to_html(escape=True, border=0, na_rep="", index=True))


def _pct(v: float) -> str:
    return f"{v:.1%}"


@dataclass
class Report:
    """A rendered monthly report: ``html``, ``save(path)``, notebook display.

    Examples
    --------
    >>> rep.save("reliability-2026-10.html")  # doctest: +SKIP
    """

    month: str
    title: str
    html: str
    figures: dict[str, Any] = field(default_factory=dict, repr=False)

    def save(self, path: str | Path) -> Path:
        """Write the HTML file (UTF-8) and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Report(month={self.month!r}, title={self.title!r}, {len(self.html):,} bytes)"


def _fig(w: float, h: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(w, h), facecolor="white")
    return fig, fig.add_subplot()


def monthly_report(
    df: pd.DataFrame,
    month: Any,
    *,
    tz: str = "UTC",
    title: str | None = None,
    coverage: pd.DataFrame | None = None,
) -> Report:
    """Build the monthly reliability report for ``month`` (``"YYYY-MM"``).

    Parameters
    ----------
    df : pandas.DataFrame
        A normalized job frame (any span; the month and the previous one are used).
    month : str
        Calendar month, in time zone ``tz``.
    tz : str
        Time zone that delimits the month (IANA name).
    title : str, optional
        Default ``"RDS reliability report - <Month YYYY>"``.
    coverage : pandas.DataFrame, optional
        ``JobArchive.syncs()``: gaps in the archive's sync coverage are reported.

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> rep = monthly_report(rja.load_sample(), "2026-10")
    >>> rep.title
    'RDS reliability report - October 2026'
    """
    start, end = month_bounds(month, tz)
    pstart, pend = month_bounds(pd.Period(month, freq="M") - 1, tz)
    period = pd.Period(month, freq="M")
    title = title or f"RDS reliability report - {period.strftime('%B %Y')}"
    cur = filter_window(df, start, end)
    prev = filter_window(df, pstart, pend)

    fr_all = failure_rates(cur, by=None).iloc[0] if len(cur) else None
    fr_prev = failure_rates(prev, by=None).iloc[0] if len(prev) else None
    dur_all = duration_summary(cur, by=None)
    cards = []

    def card(label: str, value: str, delta: str | None = None, cls: str = "") -> None:
        cards.append({"label": label, "value": value, "delta": delta, "delta_class": cls})

    n_prev = len(prev)
    card("jobs", f"{len(cur):,}", f"{len(cur) - n_prev:+,} vs previous month" if n_prev else None)
    finished = int(fr_all["finished"]) if fr_all is not None else 0
    failed = int(fr_all["failed"]) if fr_all is not None else 0
    card("finished", f"{finished:,}")
    card("failed", f"{failed:,}")
    rate = fr_all["failure_rate"] if fr_all is not None else np.nan
    if pd.notna(rate):
        delta = None
        cls = ""
        if fr_prev is not None and pd.notna(fr_prev["failure_rate"]):
            d = (rate - fr_prev["failure_rate"]) * 100
            delta, cls = f"{d:+.1f} pp vs previous month", ("delta-up" if d > 0 else "delta-down")
        card(
            f"failure rate (95% CI {fr_all['ci_low']:.1%}-{fr_all['ci_high']:.1%})",
            f"{rate:.1%}", delta, cls,
        )  # fmt: skip
    else:
        card("failure rate", "n/a")
    if len(dur_all) and dur_all["count"].iloc[0] > 0:
        card("median duration", format_seconds(dur_all["median_s"].iloc[0]))
        card("p90 duration", format_seconds(dur_all["p90_s"].iloc[0]))
    else:
        card("median duration", "n/a")

    charts: dict[str, str | None] = {}
    figures: dict[str, Figure] = {}
    fr_type = failure_rates(cur)
    if len(cur):
        n_types = max(3, min(30, len(fr_type)))
        fig, ax = _fig(9, 0.28 * n_types + 1.5)
        plot_failure_rates(cur, ax=ax, min_jobs=5)
        charts["failures"], figures["failures"] = _png(fig), fig
        fig, ax = _fig(9, 6)
        plot_durations(cur, ax=ax)
        charts["durations"], figures["durations"] = _png(fig), fig
        fig, ax = _fig(10, 3.5)
        plot_timeline(cur, ax=ax)
        charts["timeline"], figures["timeline"] = _png(fig), fig
    rs = cur[cur["volume_delta_gb"].notna()]
    if len(rs):
        fig = Figure(figsize=(11, 3.8), facecolor="white")
        a1, a2 = fig.subplots(1, 2)
        plot_resize_deltas(cur, ax=a1)
        plot_resize_deltas(cur, kind="hist", ax=a2)
        fig.tight_layout()
        charts["resizes"], figures["resizes"] = _png(fig), fig
        resize_text = (f"{len(rs)} storage scale-ups added {rs['volume_delta_gb'].sum():,.0f} GB "
                       f"(median {rs['volume_delta_gb'].median():,.0f} GB, largest "
                       f"{rs['volume_delta_gb'].max():,.0f} GB).")  # fmt: skip
    else:
        resize_text = "No storage scale-ups this month."
    for key in ("failures", "durations", "timeline", "resizes"):
        charts.setdefault(key, None)

    fr_prev_type = failure_rates(prev)
    t_fail = fr_type[["jobs", "finished", "failed", "failure_rate", "ci_low", "ci_high"]].copy()
    t_fail["previous_rate"] = fr_prev_type["failure_rate"].reindex(t_fail.index)
    t_fail = t_fail.sort_values(["failure_rate", "jobs"], ascending=[False, False])
    t_fail.index.name = "job type"
    fr_eng = failure_rates(cur, by="engine")[
        ["jobs", "finished", "failed", "failure_rate", "ci_low", "ci_high"]
    ]
    fr_eng.index = [("(unknown)" if pd.isna(i) else i) for i in fr_eng.index]
    pct = {"failure_rate": _pct, "ci_low": _pct, "ci_high": _pct, "previous_rate": _pct}

    ds = duration_summary(cur).sort_values("median_s", ascending=False)
    ds.index.name = "job type"
    secs = {c: format_seconds for c in ("median_s", "p90_s", "p99_s", "max_s")}
    slow = cur[cur["duration_s"].notna()].nlargest(10, "duration_s")
    slow_t = pd.DataFrame(
        {"job type": slow["job_name"].astype(object), "instance": slow["instance_name"].astype(object),
         "status": slow["status"].astype(object), "created (UTC)": slow["created"].dt.strftime("%Y-%m-%d %H:%M"),
         "duration": slow["duration_s"], "job id": slow["job_id"].astype(object)}
    ).set_index("job id")  # fmt: skip

    failed_rows = cur[cur["status"] == "Failed"]
    reasons = failed_rows.assign(
        reason=failed_rows["fail_reason"].astype(object).fillna("(no reason given)")
    )
    if len(reasons):
        g = reasons.groupby("reason", sort=False)
        reasons_t = pd.DataFrame({
            "failures": g.size(),
            "job types": g["job_name"].agg(lambda s: ", ".join(sorted(set(map(str, s)))[:4])),
            "example job ids": g["job_id"].agg(lambda s: ", ".join(list(s.astype(str))[:3])),
        }).sort_values("failures", ascending=False).head(15)  # fmt: skip
    else:
        reasons_t = pd.DataFrame()

    in_month = cur["created"] < end
    still = cur[
        in_month & ((cur["ended"].isna() & (cur["status"] == "Running")) | (cur["ended"] >= end))
    ]
    running_t = pd.DataFrame(
        {"job type": still["job_name"].astype(object), "instance": still["instance_name"].astype(object),
         "created (UTC)": still["created"].dt.strftime("%Y-%m-%d %H:%M"),
         "progress %": still["progress_pct"], "job id": still["job_id"].astype(object)}
    ).set_index("job id")  # fmt: skip

    quality = []
    skipped = df.attrs.get("skipped_records") or []
    if skipped:
        reasons_q = pd.Series([s["reason"] for s in skipped]).value_counts()
        quality.append(f"{len(skipped)} raw record(s) skipped while normalizing: "
                       + "; ".join(f"{n} x {r}" for r, n in reasons_q.head(5).items()))  # fmt: skip
    else:
        quality.append("No raw records were skipped while normalizing.")
    no_created = int(df["created"].isna().sum())
    quality.append(
        f"{no_created} job(s) in the data have no creation time and cannot be placed in a month."
    )
    finished_no_end = int((cur["status"].isin(["Completed", "Failed"]) & cur["ended"].isna()).sum())
    quality.append(f"{finished_no_end} finished job(s) this month have no end time (no duration).")
    quality.append(_coverage_text(coverage, start, end))

    html = _ENV.get_template("report.html.j2").render(
        version=_version(),
        r={
            "title": title,
            "tz": tz,
            "period_label": f"{period.strftime('%B %Y')} ({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC)",
            "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "sections": SECTIONS,
            "cards": cards,
            "charts": charts,
            "resize_text": resize_text,
            "quality": quality,
            "tables": {
                "failures_by_type": _table(t_fail, "No jobs this month.", **pct),
                "failures_by_engine": _table(fr_eng, "No jobs this month.", **pct),
                "durations": _table(ds, "No finished jobs this month.", **secs),
                "slowest": _table(slow_t, "No finished jobs this month.", duration=format_seconds),
                "reasons": _table(reasons_t, "No failed jobs this month."),
                "running": _table(running_t, "No job was running at month end."),
            },
        },
    )
    return Report(month=str(period), title=title, html=html, figures=figures)


def _coverage_text(coverage: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp) -> str:
    if coverage is None:
        return "Archive sync coverage: not known for this data (no sync records given)."
    if coverage.empty:
        return "Archive sync coverage: no sync has been recorded; the whole month is uncovered."
    spans = sorted(
        (max(s, start), min(e, end))
        for s, e in zip(coverage["window_start"], coverage["window_end"], strict=True)
        if e > start and s < end
    )
    gaps, cursor = [], start
    for s, e in spans:
        if s > cursor:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < end:
        gaps.append((cursor, end))
    if not gaps:
        return "Archive sync coverage: the whole month is covered by recorded syncs."
    listed = "; ".join(f"{a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M} UTC" for a, b in gaps[:5])
    return f"Archive sync coverage: {len(gaps)} gap(s) with no recorded sync: {listed}."


def _version() -> str:
    from .. import __version__

    return __version__

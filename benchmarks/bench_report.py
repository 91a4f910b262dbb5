"""Time to build the monthly report for a month of 100k jobs, against drawing the same
charts alone with bare matplotlib (same figures, same encodings: SVG for the light charts,
PNG at 2x for the ones with thousands of points) in the same run.
Targets: within 2x of the bare charts; file under 2 MB.

Run: ``.venv/bin/python benchmarks/bench_report.py [jobs_in_the_month]``
"""

from __future__ import annotations

import io
import sys
import time
from datetime import UTC, datetime

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from rds_job_analytics import monthly_report, normalize_jobs
from rds_job_analytics.report._render import _RC, PNG_DPI
from rds_job_analytics.synth import generate_jobs


def _save(fig: Figure, fmt: str) -> int:
    buf = io.BytesIO()
    with matplotlib.rc_context(_RC):
        if fmt == "svg":
            fig.savefig(buf, format="svg", facecolor="white", bbox_inches="tight")
        else:
            fig.savefig(buf, format="png", dpi=PNG_DPI, facecolor="white", bbox_inches="tight")
    return len(buf.getvalue())


def bare_charts(df: pd.DataFrame, month: pd.DataFrame) -> int:
    """The report's five charts drawn with plain matplotlib calls; bytes written."""
    out = 0
    # trend: failure rate per month and jobs per month
    done = df[df["status"].isin(["Completed", "Failed"])]
    per_month = done.groupby(done["created"].dt.strftime("%Y-%m"))["status"]
    rate = per_month.apply(lambda s: (s == "Failed").mean())
    fig = Figure(figsize=(6.5, 4.4))
    a1, a2 = fig.subplots(2, 1, sharex=True)
    a1.errorbar(np.arange(len(rate)), rate.to_numpy(), yerr=0.01, fmt="o-")
    a2.bar(np.arange(len(rate)), per_month.size().to_numpy())
    out += _save(fig, "svg")
    # failure rate per job type, top 25
    mdone = month[month["status"].isin(["Completed", "Failed"])]
    g = mdone.groupby("job_name", observed=True)["status"]
    rate = g.apply(lambda s: (s == "Failed").mean()).sort_values().tail(25)
    fig = Figure(figsize=(6.5, 0.26 * len(rate) + 1.4))
    fig.add_subplot().barh(np.arange(len(rate)), rate.to_numpy(), xerr=0.01)
    out += _save(fig, "svg")
    # durations: 15 box plots on a log axis
    groups = [
        v["duration_s"].dropna().to_numpy() for _, v in mdone.groupby("job_name", observed=True)
    ]
    fig = Figure(figsize=(6.5, 6))
    ax = fig.add_subplot()
    ax.boxplot(groups[:15], orientation="horizontal")
    ax.set_xscale("log")
    out += _save(fig, "png")
    # jobs per day
    days = month["created"].dt.tz_localize(None).dt.floor("D")
    counts = days.value_counts().sort_index()
    fig = Figure(figsize=(6.5, 3.2))
    fig.add_subplot().bar(counts.index, counts.to_numpy())
    out += _save(fig, "svg")
    # scale-ups: dumbbell and histogram
    rs = month[month["volume_delta_gb"].notna()]
    fig = Figure(figsize=(6.5, 5.6))
    a1, a2 = fig.subplots(2, 1)
    x = rs["created"].dt.tz_localize(None).to_numpy()
    a1.vlines(x, rs["volume_original_gb"], rs["volume_target_gb"])
    a1.scatter(x, rs["volume_original_gb"], s=12)
    a1.scatter(x, rs["volume_target_gb"], s=12)
    a2.hist(rs["volume_delta_gb"].to_numpy(), bins=30)
    out += _save(fig, "png")
    return out


def main(n: int = 100_000) -> None:
    t = time.perf_counter()
    oct_ = generate_jobs(n, start=datetime(2026, 10, 1, tzinfo=UTC),
                         end=datetime(2026, 11, 1, tzinfo=UTC), seed=5)  # fmt: skip
    before = generate_jobs(n // 4, start=datetime(2026, 5, 1, tzinfo=UTC),
                           end=datetime(2026, 10, 1, tzinfo=UTC), seed=6)  # fmt: skip
    df = normalize_jobs(before + oct_)
    month = df[df["created"] >= "2026-10-01"]
    print(f"data: {len(df):,} jobs May-Oct 2026, {len(month):,} in October "
          f"({df['job_name'].nunique()} job types; {time.perf_counter() - t:.1f} s to make)")  # fmt: skip
    rows = []
    for _ in range(3):  # alternate the two; keep the best of each
        t = time.perf_counter()
        size = bare_charts(df, month)
        bare = time.perf_counter() - t
        t = time.perf_counter()
        rep = monthly_report(df, "2026-10", target=0.02)
        ours = time.perf_counter() - t
        rows.append((bare, ours, size, len(rep.html.encode())))
    bare = min(r[0] for r in rows)
    ours = min(r[1] for r in rows)
    size, html = rows[-1][2], rows[-1][3]
    print(f"{'bare matplotlib charts':>24}: {bare:6.2f} s  ({size / 1024:,.0f} KiB of charts)")
    print(f"{'monthly_report':>24}: {ours:6.2f} s  ({html / 1024:,.0f} KiB of HTML)")
    print(f"ratio report / bare charts: {ours / bare:.2f}x (target <= 2x); "
          f"file {html / 1e6:.2f} MB (target < 2 MB)")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

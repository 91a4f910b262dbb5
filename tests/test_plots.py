"""Statistics, plotting helpers (artists inspected) and the explorer."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import rds_job_analytics as rja
from rds_job_analytics import (
    ConfigError,
    duration_summary,
    explore,
    failure_rates,
    normalize_jobs,
    plot_durations,
    plot_failure_rates,
    plot_resize_deltas,
    plot_timeline,
    resize_summary,
    wilson_interval,
)


def job(i, name, status, created, dur=None, **ent):
    j = {"id": f"j{i}", "name": name, "status": status, "created": created}
    if dur is not None:
        end = pd.Timestamp(created) + pd.Timedelta(seconds=dur)
        j["ended"] = end.strftime("%Y-%m-%dT%H:%M:%S+0000")
    if ent:
        j["entities"] = ent
    return {"job": j}


@pytest.fixture
def small():
    recs = [
        job(1, "A", "Completed", "2026-01-05T00:00:00+0000", 10),
        job(2, "A", "Failed", "2026-01-06T00:00:00+0000", 30),
        job(3, "A", "Completed", "2026-01-07T00:00:00+0000", 20),
        job(4, "A", "Running", "2026-01-08T00:00:00+0000"),
        job(5, "B", "Running", "2026-02-01T00:00:00+0000"),
        job(6, "V", "Completed", "2026-02-02T00:00:00+0000", 100,
            volume={"type": "SSD", "original_size": "100", "target_size": "150"}),
        job(7, "V", "Completed", "2026-02-03T00:00:00+0000", 100,
            volume={"type": "SSD", "original_size": "150", "target_size": "350"}),
    ]  # fmt: skip
    return normalize_jobs(recs)


def test_failure_rates_counts_and_interval(small):
    fr = failure_rates(small)
    a = fr.loc["A"]
    assert (a["jobs"], a["completed"], a["failed"], a["running"], a["finished"]) == (4, 2, 1, 1, 3)
    assert a["failure_rate"] == pytest.approx(1 / 3)
    lo, hi = wilson_interval(1, 3)
    assert (a["ci_low"], a["ci_high"]) == (pytest.approx(float(lo)), pytest.approx(float(hi)))
    assert math.isnan(fr.loc["B", "failure_rate"])  # only running: NaN, no division error
    assert math.isnan(fr.loc["B", "ci_low"])


def test_wilson_known_value():
    lo, hi = wilson_interval(5, 100, 0.95)
    assert float(lo) == pytest.approx(0.02154, abs=1e-4)
    assert float(hi) == pytest.approx(0.11175, abs=1e-4)
    with pytest.raises(ConfigError, match="confidence"):
        wilson_interval(1, 2, confidence=1.5)


def test_failure_rates_by_month_and_list_and_window(small, sample):
    by_month = failure_rates(small, by="month")
    assert list(by_month.index) == ["2026-01", "2026-02"]
    multi = failure_rates(sample, by=["engine", "month"])
    assert multi.index.names == ["engine", "month"]
    assert multi["jobs"].sum() == len(sample)  # rows with no engine form their own group
    win = failure_rates(small, start="2026-02-01", end=pd.Timestamp("2026-03-01", tz="UTC"))
    assert set(win.index) == {"B", "V"}
    with pytest.raises(ConfigError, match="not a column"):
        failure_rates(small, by="nope")


def test_duration_summary(small):
    ds = duration_summary(small)
    assert ds.loc["A", "count"] == 3  # running excluded
    assert ds.loc["A", "median_s"] == 20.0 and ds.loc["A", "max_s"] == 30.0
    assert ds.loc["A", "p90_s"] == pytest.approx(np.quantile([10, 20, 30], 0.9))


def test_resize_summary(small):
    rs = resize_summary(small)
    assert rs.loc["all"].tolist() == [2, 250.0, 125.0, 200.0]
    assert resize_summary(small, by="volume_type").loc["SSD", "jobs"] == 2


@pytest.mark.parametrize("fn", [failure_rates, duration_summary, resize_summary])
def test_stats_on_empty_frame_keep_columns(fn, sample):
    full, empty = fn(sample), fn(rja.empty_jobs_frame())
    assert list(empty.columns) == list(full.columns)


def test_plot_failure_rates_bars_match_stats(sample):
    _fig, ax = plt.subplots()
    out = plot_failure_rates(sample, by="engine", ax=ax)
    assert out is ax
    fr = failure_rates(sample, by="engine").sort_values("failure_rate")
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx(fr["failure_rate"].tolist())
    labels = ["(unknown)" if pd.isna(i) else str(i) for i in fr.index]
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    # error bars span the Wilson interval
    segs = next(c for c in ax.collections if hasattr(c, "get_segments")).get_segments()
    spans = sorted((s[0][0], s[1][0]) for s in segs)
    want = sorted(zip(fr["ci_low"], fr["ci_high"], strict=True))
    assert np.ravel(spans) == pytest.approx(np.ravel(want))
    texts = [t.get_text() for t in ax.texts]
    assert f"n={fr['finished'].iloc[0]}" in texts
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_plot_failure_rates_drops_small_groups(small):
    ax = plot_failure_rates(small, min_jobs=3)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A"]
    assert "under 3 jobs not shown" in ax.get_title()


def test_plot_durations_log_axis_readable_units(sample):
    ax = plot_durations(sample, top=4)
    assert ax.get_xscale() == "log"
    labels = [ax.xaxis.get_major_formatter()(v, 0) for v in (30, 600, 7200)]
    assert labels == ["30 s", "10 min", "2 h"]
    assert len(ax.get_yticklabels()) == 4


def test_plot_resize_deltas_and_empty(small):
    ax = plot_resize_deltas(small)
    orig, target = ax.collections[1].get_offsets()[:, 1], ax.collections[2].get_offsets()[:, 1]
    assert orig.tolist() == [100, 150] and target.tolist() == [150, 350]
    ax2 = plot_resize_deltas(small, kind="hist", ax=plt.figure().add_subplot())
    assert sum(p.get_height() for p in ax2.patches) == 2
    ax3 = plot_resize_deltas(small[small["job_name"] == "A"], ax=plt.figure().add_subplot())
    assert "No storage scale-up" in ax3.texts[0].get_text()


def test_plot_timeline_stacks_by_status(small):
    ax = plot_timeline(small)
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == len(small)
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"Completed", "Failed", "Running"}
    assert ax.get_ylabel() == "jobs per day"


@pytest.mark.parametrize(
    "fn", [plot_durations, plot_failure_rates, plot_resize_deltas, plot_timeline]
)
def test_plots_on_empty_frame_say_so(fn):
    ax = fn(rja.empty_jobs_frame())
    assert ax.texts and "No" in ax.texts[0].get_text()


@pytest.mark.slow
def test_explorer_filters_and_updates(sample):
    ex = explore(sample)
    assert len(ex.filtered) == len(sample)
    ex.status.value = ("Failed",)
    assert set(ex.filtered["status"].astype(str)) == {"Failed"}
    assert ex.table["jobs"].sum() == (sample["status"] == "Failed").sum()
    ex.engine.value = ("SQLServer",)
    assert set(ex.filtered["engine"].astype(str)) == {"SQLServer"}
    ex.start.value = pd.Timestamp("2026-10-01").date()
    ex.end.value = pd.Timestamp("2026-10-31").date()
    assert ex.filtered["created"].min() >= pd.Timestamp("2026-10-01", tz="UTC")
    assert ex.filtered["created"].max() < pd.Timestamp("2026-11-01", tz="UTC")
    ex.chart.value = "timeline"
    assert ex.figure.axes[0].get_title() == "Jobs per day by status"
    assert str(len(ex.filtered)) in ex.info.value


def test_explorer_on_empty_frame():
    ex = explore(rja.empty_jobs_frame())
    assert len(ex.filtered) == 0 and ex.table.empty
    ex.chart.value = "durations"
    assert "No finished jobs" in ex.figure.axes[0].texts[0].get_text()


def test_cli_summary_agrees_with_stats(small):
    from rds_job_analytics.cli import summarize

    s = summarize(small)
    assert s.loc["A"].tolist() == [4, 1, 1, round(1 / 3, 3), round(20 / 60, 1)]
    assert s.index[0] == "A"  # most jobs first


# -- one first parameter, by= lists (issue 19 item 7) --------------------------------------


@pytest.mark.parametrize("draw", [plot_durations, plot_failure_rates, plot_timeline,
                                  plot_resize_deltas], ids=lambda f: f.__name__)  # fmt: skip
def test_the_old_keyword_data_still_draws_with_a_deprecation_warning(draw, sample):
    with pytest.warns(DeprecationWarning, match=r"data=\.\.\.\) is deprecated"):
        old = draw(data=sample, ax=plt.figure().add_subplot())
    new = draw(df=sample, ax=plt.figure().add_subplot())
    assert old.get_title() == new.get_title()
    with pytest.raises(TypeError, match="twice"):
        draw(sample, data=sample)
    plt.close("all")


@pytest.mark.parametrize("draw", [plot_durations, plot_failure_rates], ids=lambda f: f.__name__)
def test_plots_take_by_as_one_name_or_a_list(draw, sample):
    one = draw(sample, by="engine", ax=plt.figure().add_subplot())
    listed = draw(sample, by=["engine"], ax=plt.figure().add_subplot())
    labels = [t.get_text() for t in one.get_yticklabels()]
    assert labels == [t.get_text() for t in listed.get_yticklabels()]
    assert one.get_title() == listed.get_title() and one.get_ylabel() == "engine"
    two = draw(sample, by=["engine", "month"], ax=plt.figure().add_subplot(), top=5)
    pairs = [t.get_text() for t in two.get_yticklabels()]
    assert pairs and all(" / " in p for p in pairs if not p.startswith("others"))
    assert two.get_ylabel() == "engine / month"
    plt.close("all")


def test_plot_titles_name_groups_as_the_explorer_does(sample):
    """The plots' nouns are the explorer's: job_name groups are "job types"."""
    ax = plot_durations(sample, top=5, ax=plt.figure().add_subplot())
    assert ax.get_title().startswith("Job durations by job type\n(top 5 of ")
    assert "job types by finished jobs" in ax.get_title()
    plt.close("all")

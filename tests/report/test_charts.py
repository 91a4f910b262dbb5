"""The report's charts (report/_charts.py): which are drawn, their sizes, the target line,
and the presentation constants they take from _format."""

from __future__ import annotations

import pandas as pd
import pytest

import rds_job_analytics as rja
from rds_job_analytics import _format, plots
from rds_job_analytics._time import month_bounds
from rds_job_analytics.report._charts import CHART_KEYS, build_charts
from rds_job_analytics.report._model import _trend

START, END = month_bounds("2026-10")


def _charts(df, target=None):
    trend = _trend(df, pd.Period("2026-10"), "UTC")
    return build_charts(rja.filter_window(df, START, END), trend, "UTC", START, END, target)


def test_an_empty_month_draws_nothing():
    charts, text = _charts(rja.empty_jobs_frame())
    assert set(charts) == set(CHART_KEYS) and not any(charts.values())
    assert text == "No storage scale-ups this month."


def test_the_failure_chart_is_sized_to_its_rows_up_to_report_top(sample):
    charts, _ = _charts(sample, target=0.02)
    cur = rja.filter_window(sample, START, END)
    fr = rja.failure_rates(cur)
    rows = int((fr["finished"] >= _format.MIN_JOBS).sum())
    rows = min(rows, _format.REPORT_TOP + 1)
    assert charts["failures"].get_size_inches()[1] == pytest.approx(plots.height_for_rows(rows))
    ax = charts["failures"].axes[0]
    assert len(ax.get_yticklabels()) == rows
    assert ax.get_title().startswith("Failure rate by job type")
    trend_ax = charts["trend"].axes[0]
    assert "target 2.0%" in [t.get_text() for t in trend_ax.texts]  # plots.target_line

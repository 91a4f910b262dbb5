"""The explorer keeps to itself (like ipywidgets' ``interactive``): its own figure, no
pyplot state touched, and a failing refresh shown in its output area, never raised."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import rds_job_analytics as rja
from rds_job_analytics import widgets


def _texts(output) -> str:
    return "".join(
        o.get("text", "") + "".join(map(str, o.get("data", {}).values())) for o in output.outputs
    )


@pytest.mark.slow
def test_user_figures_stay_open_and_pyplot_is_untouched(sample):
    mine = plt.figure()
    before = plt.get_fignums()
    ex = rja.explore(sample)
    ex.chart.value = "durations"
    ex.status.value = ("Failed",)
    assert plt.fignum_exists(mine.number)
    assert plt.get_fignums() == before  # the explorer's figure is not registered with pyplot
    assert plt.gcf() is mine


def test_explorer_redraws_its_own_figure(sample):
    ex = rja.explore(sample)
    fig = ex.figure
    ex.chart.value = "timeline"
    assert ex.figure is fig and len(fig.axes) == 1  # cleared, not stacked
    assert fig.axes[0].get_title() == "Jobs per day by status"
    (chart,) = ex.out_chart.outputs
    assert chart["output_type"] == "display_data" and chart["data"]["image/png"]
    (table,) = ex.out_table.outputs
    assert "<table" in table["data"]["text/html"]
    assert ex.error is None


def test_failing_refresh_is_shown_not_raised(sample, monkeypatch):
    ex = rja.explore(sample)
    shown = len(ex.filtered)

    def boom(*args, **kwargs):
        raise RuntimeError("stats exploded")

    monkeypatch.setattr(widgets, "failure_rates", boom)
    ex.status.value = ("Failed",)  # the callback runs and must not raise
    assert isinstance(ex.error, RuntimeError)
    text = _texts(ex.out_chart)
    assert "stats exploded" in text and "Traceback" in text and "boom" in text
    assert ex.out_table.outputs == ()
    assert len(ex.filtered) == shown  # nothing half-updated
    monkeypatch.undo()
    ex.status.value = ("Running",)  # the next refresh recovers
    assert ex.error is None and "stats exploded" not in _texts(ex.out_chart)
    assert set(ex.filtered["status"].astype(str)) == {"Running"}


def test_failing_chart_is_shown_not_raised(sample, monkeypatch):
    def broken(df, ax):
        raise ValueError("cannot draw")

    monkeypatch.setitem(widgets.CHARTS, "timeline", broken)
    ex = rja.explore(sample)
    ex.chart.value = "timeline"
    assert "cannot draw" in _texts(ex.out_chart)


def test_explorer_on_frame_without_rows_in_window(sample):
    ex = rja.explore(sample)
    ex.start.value = pd.Timestamp("2030-01-01").date()
    assert len(ex.filtered) == 0 and ex.error is None
    assert "<b>0</b> jobs selected" in ex.info.value

"""Interactive explorer for notebooks (ipywidgets).

Examples
--------
In a notebook (outside one, the widgets print their text form instead):

>>> import rds_job_analytics as rja
>>> ex = rja.explore(rja.load_sample())  # doctest: +SKIP
>>> ex.status.value = ("Failed",)  # doctest: +SKIP
>>> set(ex.filtered["status"]) == {"Failed"}  # doctest: +SKIP
True
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from matplotlib.figure import Figure

from .plots import plot_durations, plot_failure_rates, plot_resize_deltas, plot_timeline
from .stats import duration_summary, failure_rates

__all__ = ["CHARTS", "JobExplorer", "explore"]

CHARTS = {
    "failure rates": lambda df, ax: plot_failure_rates(df, ax=ax, min_jobs=1),
    "durations": lambda df, ax: plot_durations(df, ax=ax),
    "timeline": lambda df, ax: plot_timeline(df, ax=ax),
    "resizes": lambda df, ax: plot_resize_deltas(df, ax=ax),
}


def _options(df: pd.DataFrame, col: str) -> list[str]:
    if col not in df.columns:
        return []
    return sorted(str(v) for v in df[col].dropna().unique())


class JobExplorer(w.VBox):
    """Filters (dates, job type, engine, status, instance), a chart choice, and a table.

    Attributes worth reading from code: ``filtered`` (the selected rows), ``table``
    (the summary shown), ``figure`` (the chart shown).
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self.data = df
        created = df["created"].dropna()
        first = created.min().date() if len(created) else None
        last = created.max().date() if len(created) else None
        self.start = w.DatePicker(description="from", value=first)
        self.end = w.DatePicker(description="to (incl.)", value=last)
        self.job_type = w.SelectMultiple(
            options=_options(df, "job_name"), description="job type", rows=6
        )
        self.engine = w.SelectMultiple(options=_options(df, "engine"), description="engine", rows=3)
        self.status = w.SelectMultiple(options=_options(df, "status"), description="status", rows=3)
        self.instance = w.Combobox(
            options=_options(df, "instance_name"), description="instance", placeholder="any",
            ensure_option=False,
        )  # fmt: skip
        self.chart = w.ToggleButtons(options=list(CHARTS), description="chart")
        self.out_chart = w.Output()
        self.out_table = w.Output()
        self.info = w.HTML()
        self.filtered = df
        self.table = pd.DataFrame()
        self.figure: Figure | None = None
        for ctl in (self.start, self.end, self.job_type, self.engine, self.status, self.instance,
                    self.chart):  # fmt: skip
            ctl.observe(self._refresh, names="value")
        filters = w.HBox([w.VBox([self.start, self.end, self.instance]), self.job_type,
                          w.VBox([self.engine, self.status])])  # fmt: skip
        super().__init__([filters, self.chart, self.info, self.out_chart, self.out_table])
        self._refresh()

    def _select(self) -> pd.DataFrame:
        df = self.data
        mask = pd.Series(True, index=df.index)
        if self.start.value is not None:
            mask &= df["created"] >= pd.Timestamp(self.start.value, tz="UTC")
        if self.end.value is not None:
            mask &= df["created"] < pd.Timestamp(self.end.value, tz="UTC") + pd.Timedelta(days=1)
        for ctl, col in (
            (self.job_type, "job_name"),
            (self.engine, "engine"),
            (self.status, "status"),
        ):
            if ctl.value:
                mask &= df[col].astype(object).isin(list(ctl.value))
        if self.instance.value:
            mask &= df["instance_name"].astype(object).eq(self.instance.value)
        return df[mask]

    def _refresh(self, _change: Any = None) -> None:
        self.filtered = sel = self._select()
        fr = failure_rates(sel)
        ds = duration_summary(sel)
        self.table = (
            fr[["jobs", "failed", "running", "failure_rate"]]
            .join(ds[["median_s", "p90_s"]], how="left")
            .sort_values("jobs", ascending=False)
        )
        n_failed = int((sel["status"] == "Failed").sum())
        self.info.value = f"<b>{len(sel)}</b> jobs selected, <b>{n_failed}</b> failed"
        fig = Figure(figsize=(9, 5), facecolor="white")
        CHARTS[self.chart.value](sel, fig.add_subplot())
        fig.tight_layout()
        self.figure = fig
        self.out_chart.clear_output(wait=True)
        with self.out_chart:
            display(fig)
        self.out_table.clear_output(wait=True)
        with self.out_table:
            display(self.table)
        plt.close("all")


def explore(df: pd.DataFrame) -> JobExplorer:
    """An ipywidgets explorer of a job frame: filters, a chart choice and a summary table.

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> explore(rja.load_sample())  # doctest: +SKIP
    """
    return JobExplorer(df)

"""Interactive explorer for notebooks (ipywidgets).

Like ipywidgets' ``interactive``, the explorer touches no global state: it draws on its
own :class:`~matplotlib.figure.Figure` (never registered with pyplot, so the figures of
your session are left alone), puts the chart and the summary table in its own output
areas, and shows the traceback of a failed refresh there instead of raising it from a
widget callback. The output areas are filled through their ``outputs`` state, so the
explorer also works outside a kernel and whatever the matplotlib backend.

Examples
--------
Outside a notebook the widgets are plain objects whose state can be set and read:

>>> import rds_job_analytics as rja
>>> ex = rja.explore(rja.load_sample())
>>> ex.status.value = ("Failed",)
>>> set(ex.filtered["status"]) == {"Failed"}
True
"""

from __future__ import annotations

import base64
import io
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .plots import plot_durations, plot_failure_rates, plot_resize_deltas, plot_timeline
from .schema import FAILED
from .stats import duration_summary, failure_rates

__all__ = ["CHARTS", "JobExplorer", "explore"]

#: Chart choices of the explorer: label -> ``draw(frame, ax)``.
CHARTS: dict[str, Callable[[pd.DataFrame, Axes], Any]] = {
    "failure rates": lambda df, ax: plot_failure_rates(df, ax=ax, min_jobs=1),
    "durations": lambda df, ax: plot_durations(df, ax=ax),
    "timeline": lambda df, ax: plot_timeline(df, ax=ax),
    "resizes": lambda df, ax: plot_resize_deltas(df, ax=ax),
}


def _options(df: pd.DataFrame, col: str) -> list[str]:
    if col not in df.columns:
        return []
    return sorted(str(v) for v in df[col].dropna().unique())


def _figure_output(fig: Figure) -> dict[str, Any]:
    """A figure as a display-data output (PNG), as the inline backend would show it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white", bbox_inches="tight")
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    return _display_output({"image/png": png, "text/plain": repr(fig)})


def _frame_output(df: pd.DataFrame) -> dict[str, Any]:
    """A frame as a display-data output (its HTML table when pandas gives one)."""
    data = {"text/plain": repr(df)}
    table = df._repr_html_()  # the IPython display protocol; None when disabled in pandas
    if table:
        data["text/html"] = table
    return _display_output(data)


def _display_output(data: dict[str, str]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _error_output(exc: BaseException) -> dict[str, Any]:
    """The traceback as a stderr stream output (what ``Output.append_stderr`` writes)."""
    text = "".join(traceback.format_exception(exc))
    return {"output_type": "stream", "name": "stderr", "text": text}


class JobExplorer(w.VBox):
    """Filters (dates, job type, engine, status, instance), a chart choice, and a table.

    Every change of a control refreshes the selection, the summary table and the chart.
    A refresh that raises shows its traceback in the chart's output area (and keeps it
    in ``error``); it never raises out of the widget callback.

    Parameters
    ----------
    df : pandas.DataFrame
        A normalized job frame.

    Attributes
    ----------
    filtered : pandas.DataFrame
        The selected rows.
    table : pandas.DataFrame
        The summary table shown (per job type).
    figure : matplotlib.figure.Figure
        The explorer's own figure, redrawn on every refresh; not managed by pyplot.
    error : Exception or None
        What the last refresh raised, None when it succeeded.

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> ex = JobExplorer(rja.empty_jobs_frame())
    >>> ex.chart.value = "timeline"
    >>> ex.figure.axes[0].get_title(), ex.error
    ('Jobs per day by status', None)
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
        self.figure = Figure(figsize=(9, 5), facecolor="white")
        self.error: Exception | None = None
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
        """Widget callback: update, or show the traceback in the output area (never raise)."""
        try:
            self._update()
        except Exception as exc:  # a callback has no caller to catch it: show it
            self.error = exc
            self.out_chart.outputs = (_error_output(exc),)
            self.out_table.outputs = ()
        else:
            self.error = None

    def _update(self) -> None:
        sel = self._select()
        fr = failure_rates(sel)
        ds = duration_summary(sel)
        table = (
            fr[["jobs", "failed", "running", "failure_rate"]]
            .join(ds[["median_s", "p90_s"]], how="left")
            .sort_values("jobs", ascending=False)
        )
        n_failed = int((sel["status"] == FAILED).sum())
        fig = self.figure
        fig.clear()
        CHARTS[self.chart.value](sel, fig.add_subplot())
        fig.tight_layout()
        chart = _figure_output(fig)
        self.filtered, self.table = sel, table
        self.info.value = f"<b>{len(sel)}</b> jobs selected, <b>{n_failed}</b> failed"
        self.out_chart.outputs = (chart,)
        self.out_table.outputs = (_frame_output(table),)


def explore(df: pd.DataFrame) -> JobExplorer:
    """An ipywidgets explorer of a job frame: filters, a chart choice and a summary table.

    Parameters
    ----------
    df : pandas.DataFrame
        A normalized job frame (``load_sample``, ``fetch_jobs``, ``JobArchive.to_frame``).

    Returns
    -------
    JobExplorer
        The widget; the last expression of a notebook cell displays it.

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> ex = explore(rja.empty_jobs_frame())
    >>> ex.chart.options, len(ex.filtered)
    (('failure rates', 'durations', 'timeline', 'resizes'), 0)
    """
    return JobExplorer(df)

"""Interactive explorer for notebooks (ipywidgets).

Like ipywidgets' ``interactive``, the explorer touches no global state: it draws on its
own :class:`~matplotlib.figure.Figure` (never registered with pyplot, so the figures of
your session are left alone), puts the chart and the summary table in its own output
areas, and shows the traceback of a failed refresh there instead of raising it from a
widget callback. The output areas are filled through their ``outputs`` state, so the
explorer also works outside a kernel and whatever the matplotlib backend.

It reads well with many job types: the table and the charts show the ``top`` groups by
jobs and sum up the rest in one ``others`` row, and the rows can be job kinds (the job
type without its engine: 40 job types are 16 kinds) instead of job types.

Examples
--------
Outside a notebook the widgets are plain objects whose state can be set and read:

>>> import rds_job_analytics as rja
>>> ex = rja.explore(rja.load_sample())
>>> len(ex.table), ex.table.index[-1]
(16, 'others (25 job types)')
>>> ex.status.value = ("Failed",)
>>> set(ex.filtered["status"]) == {"Failed"}
True
"""

from __future__ import annotations

import base64
import inspect
import io
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from ._format import (
    GROUP_NAMES,
    HEADERS,
    MIN_JOBS,
    PNG_DPI,
    PNG_SCALE,
    TOP,
    UNKNOWN_LABEL,
    duration_number,
    duration_unit,
    group_label,
    group_name,
    group_noun,
    interval_text,
)
from .normalize.schema import FAILED, ORIGIN_COLUMNS
from .plots import plot_durations, plot_failure_rates, plot_resize_deltas, plot_timeline
from .stats import duration_summary, failure_rates, group_keys, wilson_interval

__all__ = ["CHARTS", "GROUPS", "JobExplorer", "explore", "styled_table", "summary_table"]

# TOP (groups shown one by one) and MIN_JOBS (finished jobs a group needs for a bar of its
# own in the failure-rate chart) have their home in _format, shared with plots and report.

#: Chart choices of the explorer: label -> ``draw(frame, ax, *, by, top)``, where ``by``
#: is the column the explorer groups by and ``top`` how many groups it shows (a
#: ``draw(frame, ax)`` without them works too: it is given only what it takes).
CHARTS: dict[str, Callable[..., Any]] = {
    "failure rates": lambda df, ax, by="job_name", top=TOP: plot_failure_rates(
        df, ax=ax, by=by, top=top, min_jobs=MIN_JOBS
    ),
    "durations": lambda df, ax, by="job_name", top=TOP: plot_durations(df, ax=ax, by=by, top=top),
    "timeline": lambda df, ax, by="job_name", top=TOP: plot_timeline(df, ax=ax),
    "resizes": lambda df, ax, by="job_name", top=TOP: plot_resize_deltas(df, ax=ax),
}

#: What the rows of the table (and the bars of the charts) can be: label -> column.
#: The origin columns are offered only when the frame has more than one value in them.
GROUPS: dict[str, str] = {name: col for col, name in GROUP_NAMES.items()}


def _values(df: pd.DataFrame, col: str) -> list[tuple[str, str]]:
    """``(label, value)`` options of a column, by name, with the job count in the label;
    rows with no value are one more option, :data:`~rds_job_analytics.stats.UNKNOWN_LABEL`."""
    if col not in df.columns:
        return []
    counts = df[col].astype(object).fillna(UNKNOWN_LABEL).value_counts()
    return [(f"{k}  ({n:,})", str(k)) for k, n in sorted(counts.items(), key=lambda kv: str(kv[0]))]


def _distinct(df: pd.DataFrame, col: str) -> int:
    """How many values a column has, counting "no value" as one."""
    return int(df[col].nunique(dropna=False)) if col in df.columns and len(df) else 0


def summary_table(
    df: pd.DataFrame, *, by: str | Sequence[str] = "job_name", top: int | None = TOP
) -> pd.DataFrame:
    """The explorer's table: per group, jobs, failures, the failure rate with its 95%
    interval and the median and p90 duration, the groups with most jobs first.

    With more than ``top + 1`` groups, the rest are summed up in a last row
    ``others (N job types)`` (its rate and interval from the summed counts, its durations
    from the jobs themselves), so the jobs column still adds up to the selection.

    Parameters
    ----------
    df : pandas.DataFrame
        A normalized job frame.
    by : str or list of str
        The column (or columns) to group by (any ``by`` of
        :func:`~rds_job_analytics.failure_rates`); several columns' labels are joined by
        ``" / "``.
    top : int or None
        Most groups shown one by one; ``None``: all of them.

    Returns
    -------
    pandas.DataFrame
        Indexed by the group's label (``"(unknown)"`` for rows with no value), with
        columns ``jobs``, ``failed``, ``running`` (int), ``failure_rate``, ``ci_low``,
        ``ci_high``, ``median_s``, ``p90_s`` (float).

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> t = summary_table(rja.load_sample(), top=3)
    >>> len(t), t.index[-1], int(t["jobs"].sum())
    (4, 'others (37 job types)', 5000)
    """
    cols = ["jobs", "failed", "running", "failure_rate", "ci_low", "ci_high", "median_s", "p90_s"]
    keyed, names = group_keys(df, by)
    fr = failure_rates(keyed, by=by)
    ds = duration_summary(keyed, by=by)
    table = fr.join(ds[["median_s", "p90_s"]], how="left")
    table = table.sort_values(["jobs", "failed"], ascending=False, kind="stable")
    # an "others" row stands for two groups or more: one left over is shown as itself
    rest = table.iloc[top:] if top is not None and len(table) > top + 1 else table.iloc[:0]
    table = table.iloc[: len(table) - len(rest)]
    out = pd.DataFrame(table[cols].to_numpy(object), columns=cols)
    out.index = pd.Index([group_label(k) for k in table.index], dtype=object)
    if len(rest):
        failed, finished = int(rest["failed"].sum()), int(rest["finished"].sum())
        lo, hi = wilson_interval(failed, finished)
        picked = _in_groups(keyed[names], rest.index)
        done = duration_summary(keyed[picked], by=None)
        out.loc[f"others ({len(rest)} {group_noun(by)})"] = [
            int(rest["jobs"].sum()), failed, int(rest["running"].sum()),
            failed / finished if finished else np.nan, float(lo), float(hi),
            done["median_s"].iloc[0] if len(done) else np.nan,
            done["p90_s"].iloc[0] if len(done) else np.nan,
        ]  # fmt: skip
    ints = {c: "int64" for c in ("jobs", "failed", "running")}
    return out.astype({**ints, **{c: "float64" for c in cols if c not in ints}})


def _in_groups(keys: pd.DataFrame, groups: pd.Index) -> pd.Series:
    """Which rows fall in one of ``groups`` (an index of group keys, NaN a key too)."""
    if keys.shape[1] == 1:
        col = keys.iloc[:, 0]
        return col.isin(list(groups)) | (col.isna() & groups.isna().any())
    wanted = {group_label(k) for k in groups}
    rows = [group_label(tuple(r)) for r in keys.astype(object).itertuples(index=False)]
    return pd.Series([r in wanted for r in rows], index=keys.index)


def styled_table(table: pd.DataFrame, *, by: str | Sequence[str] = "job_name") -> Styler:
    """:func:`summary_table` as people read it: human headers, counts with thousands
    separators, rates as percentages, each duration column in one unit (named in its
    header), numbers right-aligned, no index column.

    Parameters
    ----------
    table : pandas.DataFrame
        A result of :func:`summary_table`.
    by : str or list of str
        The column(s) it was grouped by (they name the first column).

    Returns
    -------
    pandas.io.formats.style.Styler
        Ready to display; ``.to_html()`` gives the table.

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> html = styled_table(summary_table(rja.load_sample(), top=3)).to_html()
    >>> "Failure rate" in html and "2.6%" in html and "0.025" not in html
    True
    """
    label = group_name(by)
    shown = pd.DataFrame({label[:1].upper() + label[1:]: table.index.astype(str)})
    for col in ("jobs", "failed", "running", "failure_rate"):
        shown[HEADERS[col]] = table[col].to_numpy()
    shown[HEADERS["ci"]] = [
        interval_text(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
    ]
    fmt: dict[str, Any] = {HEADERS[c]: "{:,}" for c in ("jobs", "failed", "running")}
    fmt[HEADERS["failure_rate"]] = "{:.1%}"
    for col in ("median_s", "p90_s"):
        unit, size = duration_unit(table[col])
        header = f"{HEADERS[col]} ({unit})"
        shown[header] = table[col].to_numpy() / size
        fmt[header] = duration_number
    numeric = [c for c in shown.columns[1:] if c != HEADERS["ci"]] + [HEADERS["ci"]]
    others = [i for i in table.index if str(i).startswith("others (")]
    caption = (
        f"The {len(table) - len(others)} {group_noun(by)} with the most jobs; the rest in the last row."
        if others
        else ""
    )
    return (
        shown.style.format(fmt, na_rep="–")
        .set_caption(caption)
        .hide(axis="index")
        .set_properties(subset=numeric, **{"text-align": "right", "white-space": "nowrap"})
        .set_table_styles(
            [
                {"selector": "th", "props": "text-align: right; padding: 2px 8px;"},
                {"selector": "th.col_heading.level0.col0", "props": "text-align: left;"},
                {"selector": "td", "props": "padding: 2px 8px;"},
                {"selector": "td.col0", "props": "text-align: left;"},
                {"selector": "caption", "props": "caption-side: bottom; text-align: left;"},
            ]
        )
    )


def _figure_output(fig: Figure) -> dict[str, Any]:
    """A figure as a display-data output: a PNG at twice its CSS size (sharp on high-DPI
    screens), as the inline backend's retina mode shows it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white", bbox_inches="tight", dpi=PNG_DPI)
    raw = buf.getvalue()
    width = int.from_bytes(raw[16:20], "big")  # the PNG header's IHDR width
    png = base64.b64encode(raw).decode("ascii")
    return _display_output(
        {"image/png": png, "text/plain": repr(fig)}, {"image/png": {"width": width // PNG_SCALE}}
    )


def _html_output(html: str, text: str) -> dict[str, Any]:
    return _display_output({"text/html": html, "text/plain": text})


def _display_output(data: dict[str, str], metadata: dict | None = None) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": metadata or {}}


def _draw(draw: Callable[..., Any], df: pd.DataFrame, ax: Axes, **options: Any) -> None:
    """Call a :data:`CHARTS` entry with the options its signature takes."""
    try:
        params = inspect.signature(draw).parameters
    except (TypeError, ValueError):  # a builtin or a C callable: no signature to read
        params = {}
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        options = {k: v for k, v in options.items() if k in params}
    draw(df, ax, **options)


def _error_output(exc: BaseException) -> dict[str, Any]:
    """The traceback as a stderr stream output (what ``Output.append_stderr`` writes)."""
    text = "".join(traceback.format_exception(exc))
    return {"output_type": "stream", "name": "stderr", "text": text}


class JobExplorer(w.VBox):
    """Filters (dates, job type, engine, status, instance, region, account), the grouping
    of the rows, a chart choice, and a summary table.

    Every change of a control refreshes the selection, the summary table and the chart;
    the instance box does so when you press Enter or leave it (not on every keystroke)
    and matches any part of an instance's name or ID, ignoring case. The region and
    account filters are shown only when the frame has more than one of them. A refresh
    that raises shows its traceback in the chart's output area (and keeps it in
    ``error``); it never raises out of the widget callback.

    Parameters
    ----------
    df : pandas.DataFrame
        A normalized job frame.
    top : int
        How many groups the table and the charts show one by one (the rest are one
        ``others`` row); the ``top`` slider changes it.

    Attributes
    ----------
    filtered : pandas.DataFrame
        The selected rows.
    table : pandas.DataFrame
        The summary table shown (:func:`summary_table` of the selection), raw numbers.
    styler : pandas.io.formats.style.Styler or None
        How the table is shown (:func:`styled_table`); None when nothing is selected.
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

    def __init__(self, df: pd.DataFrame, *, top: int = TOP) -> None:
        self.data = df
        created = df["created"].dropna()
        first = created.min().date() if len(created) else None
        last = created.max().date() if len(created) else None
        wide = w.Layout(width="auto")
        self.start = w.DatePicker(description="from", value=first)
        self.end = w.DatePicker(description="to (incl.)", value=last)
        self.job_type = w.SelectMultiple(
            options=_values(df, "job_name"), description="job type", rows=8, layout=wide
        )
        self.engine = w.SelectMultiple(options=_values(df, "engine"), description="engine", rows=3)
        self.status = w.SelectMultiple(options=_values(df, "status"), description="status", rows=3)
        names = df["instance_name"].dropna().astype(str).unique() if len(df) else []
        self.instance = w.Combobox(
            options=sorted(names), description="instance", placeholder="any (part of a name or ID)",
            ensure_option=False, continuous_update=False,
        )  # fmt: skip
        self.region = w.SelectMultiple(options=_values(df, "region"), description="region", rows=3)
        self.account = w.SelectMultiple(
            options=_values(df, "account"), description="account", rows=3
        )
        origin = [c for c in ORIGIN_COLUMNS if _distinct(df, c) > 1]
        self.group_by = w.Dropdown(
            options=[(k, v) for k, v in GROUPS.items() if v not in ORIGIN_COLUMNS or v in origin],
            value="job_name", description="rows",
        )  # fmt: skip
        self.top = w.IntSlider(
            value=top, min=3, max=max(top, 50), description="top", continuous_update=False
        )
        self.chart = w.ToggleButtons(options=list(CHARTS), description="chart")
        self.out_chart = w.Output()
        self.out_table = w.Output()
        self.info = w.HTML()
        self.filtered = df
        self.table = pd.DataFrame()
        self.styler: Styler | None = None
        self.figure = Figure(figsize=(9, 5), facecolor="white")
        self.error: Exception | None = None
        controls = (self.start, self.end, self.job_type, self.engine, self.status, self.instance,
                    self.region, self.account, self.group_by, self.top, self.chart)  # fmt: skip
        for ctl in controls:
            ctl.observe(self._refresh, names="value")
        #: The filters shown: region and account only when there is a choice to make.
        self.origin_filters = [f for f, c in ((self.region, "region"), (self.account, "account"))
                               if _distinct(df, c) > 1]  # fmt: skip
        columns = [w.VBox([self.start, self.end, self.instance]), self.job_type,
                   w.VBox([self.engine, self.status])]  # fmt: skip
        if self.origin_filters:
            columns.append(w.VBox(self.origin_filters))
        filters = w.HBox(columns, layout=w.Layout(flex_flow="row wrap"))
        view = w.HBox([self.group_by, self.top], layout=w.Layout(flex_flow="row wrap"))
        super().__init__([filters, view, self.chart, self.info, self.out_chart, self.out_table])
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
            (self.region, "region"),
            (self.account, "account"),
        ):
            if ctl.value and col in df.columns:
                mask &= df[col].astype(object).fillna(UNKNOWN_LABEL).isin(list(ctl.value))
        text = (self.instance.value or "").strip()
        if text:
            hit = pd.Series(False, index=df.index)
            for col in ("instance_name", "instance_id"):
                if col in df.columns:
                    found = df[col].astype("string").str.contains(text, case=False, regex=False)
                    hit |= found.fillna(False).astype(bool)
            mask &= hit
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
        by, top = self.group_by.value, self.top.value
        table = summary_table(sel, by=by, top=top)
        styler = styled_table(table, by=by) if len(table) else None
        n_failed = int((sel["status"] == FAILED).sum())
        fig = self.figure
        fig.clear()
        bars = min(len(table), top + 1) if self.chart.value in ("failure rates", "durations") else 0
        # a bar's label never overlaps; a chart of nothing stays small
        fig.set_size_inches(9, max(4.0, 1.6 + 0.28 * bars) if len(sel) else 2.5)
        _draw(CHARTS[self.chart.value], sel, fig.add_subplot(), by=by, top=top)
        fig.tight_layout()
        chart = _figure_output(fig)
        self.filtered, self.table, self.styler = sel, table, styler
        if len(sel):
            self.info.value = f"<b>{len(sel):,}</b> jobs selected, <b>{n_failed:,}</b> failed"
            shown = _html_output(styler.to_html(), repr(table))  # type: ignore[union-attr]
        else:
            self.info.value = "<b>0</b> jobs selected: no job matches these filters"
            note = "No job matches these filters: widen the dates or clear a filter."
            shown = _html_output(f"<p><i>{note}</i></p>", note)
        self.out_chart.outputs = (chart,)
        self.out_table.outputs = (shown,)


def explore(df: pd.DataFrame, *, top: int = TOP) -> JobExplorer:
    """An ipywidgets explorer of a job frame: filters, a chart choice and a summary table.

    Parameters
    ----------
    df : pandas.DataFrame
        A normalized job frame (``load_sample``, ``fetch_jobs``, ``JobArchive.to_frame``).
    top : int
        How many groups the table and the charts show one by one; the rest are summed up
        in one ``others`` row.

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
    return JobExplorer(df, top=top)

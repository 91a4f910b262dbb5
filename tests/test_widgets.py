"""The explorer reads well with 40+ job types (issue 12 item 5, issue 11 item 4).

What a user saw in Voila before: a 40-row table of raw floats (``0.025678``) under code
headers (``failure_rate``, ``median_s``) with an empty index-name row, 30 crowded bars, an
instance box that refreshed on every keystroke and matched whole names only, and no region
or account filter. These tests pin what replaced it, through widget state and the table's
HTML (parsed), not through strings alone.
"""

from __future__ import annotations

import base64
import re
import struct
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import rds_job_analytics as rja
from rds_job_analytics import widgets
from rds_job_analytics._format import duration_number, duration_text, group_label
from rds_job_analytics.widgets import TOP, styled_table, summary_table

HEADERS = [
    "Job type", "Jobs", "Failures", "Running", "Failure rate", "95% interval",
    "Median (min)", "p90 (min)",
]  # fmt: skip


@pytest.fixture(scope="module")
def estate(sample_frame):
    """The sample over 3 regions and 2 accounts; every 10th row has no origin."""
    df = sample_frame.copy()
    n = len(df)
    regions = np.array([["eu-west-101", "cn-north-4", "ap-southeast-1"][i % 3] for i in range(n)])
    accounts = np.array(["team-a" if i % 4 else "team-b" for i in range(n)], dtype=object)
    regions = regions.astype(object)
    regions[::10] = None
    accounts[::10] = None
    df["region"] = pd.Categorical(regions)
    df["account"] = pd.Categorical(accounts)
    return df


def _tree(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _tree(child)


class _Table(HTMLParser):
    """Header rows, body rows (cell texts) and cell ids of an HTML table."""

    def __init__(self):
        super().__init__()
        self.head: list[list[str]] = []
        self.body: list[list[str]] = []
        self.ids: list[list[str]] = []
        self._section = self._cell = None
        self.caption = ""
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr":
            (self.head if self._section == "thead" else self.body).append([])
            if self._section == "tbody":
                self.ids.append([])
        elif tag in ("th", "td"):
            self._cell = ""
            if self._section == "tbody":
                self.ids[-1].append(dict(attrs).get("id", ""))
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            (self.head if self._section == "thead" else self.body)[-1].append(self._cell.strip())
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._in_caption:
            self.caption += data


def _parse(html: str) -> _Table:
    t = _Table()
    t.feed(html)
    return t


def _right_aligned_ids(html: str) -> set[str]:
    """Cell ids whose CSS rule (the Styler's <style>) right-aligns them."""
    out = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", html):
        if "text-align: right" in body:
            out |= {s.strip().lstrip("#") for s in selectors.split(",")}
    return out


def test_the_sample_has_more_job_types_than_the_table_shows(sample):
    assert sample["job_name"].nunique() >= 40  # the case the issue is about (was in the fixture)


def test_default_table_is_top_n_by_jobs_with_the_rest_summed_up(sample):
    ex = rja.explore(sample)
    t = ex.table
    assert len(t) == TOP + 1  # not 40 rows
    assert t.index[-1] == f"others ({sample['job_name'].nunique() - TOP} job types)"
    assert t["jobs"].iloc[:-1].is_monotonic_decreasing
    assert (
        t["jobs"].sum() == len(sample) and t["failed"].sum() == (sample["status"] == "Failed").sum()
    )
    counts = sample["job_name"].astype(str).value_counts()
    assert t["jobs"].iloc[:-1].tolist() == counts.iloc[:TOP].tolist()
    top_names = list(t.index[:-1])
    assert all(counts[n] == j for n, j in zip(top_names, t["jobs"], strict=False))
    # the others row's rate is pooled from its counts, its durations from its jobs
    rest = sample[~sample["job_name"].astype(str).isin(top_names)]
    finished = rest["status"].isin(["Completed", "Failed"]).sum()
    assert t["failure_rate"].iloc[-1] == pytest.approx(
        (rest["status"] == "Failed").sum() / finished
    )
    assert t["median_s"].iloc[-1] == rja.duration_summary(rest, by=None)["median_s"].iloc[0]


@pytest.mark.slow
def test_table_html_has_human_headers_formatted_numbers_and_no_index_row(sample):
    ex = rja.explore(sample)
    (out,) = ex.out_table.outputs
    html = out["data"]["text/html"]
    table = _parse(html)
    assert table.head == [HEADERS]  # one header row: no index-name row under it
    assert len(table.body) == TOP + 1 and all(len(r) == len(HEADERS) for r in table.body)
    first = dict(zip(HEADERS, table.body[0], strict=True))
    row = ex.table.iloc[0]
    assert first["Job type"] == ex.table.index[0]
    assert first["Jobs"] == f"{ex.table['jobs'].iloc[0]:,}"
    assert first["Failure rate"] == f"{row['failure_rate']:.1%}"
    assert re.fullmatch(r"\d+\.\d% – \d+\.\d%", first["95% interval"])
    assert first["Median (min)"] == duration_number(row["median_s"] / 60)
    for r in table.body:  # no raw floats anywhere; one unit per column, named in the header
        for cell in r[1:]:
            assert not re.search(r"\d\.\d{3,}", cell), cell
            assert not re.search(r"\b(s|min|h)\b", cell), cell
    right = _right_aligned_ids(html)
    ids = table.ids[0]
    assert all(i in right for i in ids[1:]) and ids[0] not in right  # numbers right, names left
    assert "15 job types with the most jobs" in table.caption


def test_durations_each_in_one_unit_picked_per_column():
    t = pd.DataFrame(
        {"jobs": [3, 2], "failed": [0, 1], "running": [0, 0], "failure_rate": [0.0, 0.5],
         "ci_low": [0.0, 0.1], "ci_high": [0.5, 0.9], "median_s": [40.0, 50.0],
         "p90_s": [7200.0, 3 * 3600.0]},
        index=["a", "b"],
    )  # fmt: skip
    table = _parse(styled_table(t).to_html())
    assert table.head[0][-2:] == ["Median (s)", "p90 (h)"]
    assert [r[-2] for r in table.body] == ["40", "50"]
    assert [r[-1] for r in table.body] == ["2", "3"]
    # the one duration rule: a cell and its header's unit read as plots' ticks do
    assert [f"{r[-1]} h" for r in table.body] == [duration_text(7200), duration_text(3 * 3600)]


@pytest.mark.slow
def test_job_kind_rows_fold_engines_together(sample):
    ex = rja.explore(sample)
    ex.group_by.value = "job_kind"
    t = ex.table
    assert len(t) < sample["job_name"].nunique() / 2 and not t.index.str.startswith("others").any()
    assert "RestartInstance" in t.index
    restarts = (
        sample["job_name"].astype(str).str.fullmatch(r"Restart(Mysql|Postgresql|Sqlserver)Instance")
    )
    assert t.loc["RestartInstance", "jobs"] == restarts.sum()
    assert _parse(ex.out_table.outputs[0]["data"]["text/html"]).head[0][0] == "Job kind"
    assert ex.figure.axes[0].get_ylabel() == "job kind"  # the chart follows the rows


def test_top_slider_sets_table_rows_and_chart_bars(sample):
    ex = rja.explore(sample)
    tall = ex.figure.get_size_inches()[1]
    ex.top.value = 5
    assert len(ex.table) == 6
    labels = [t.get_text() for t in ex.figure.axes[0].get_yticklabels()]
    assert len(labels) == 6 and labels[0].startswith("others (")
    assert ex.figure.get_size_inches()[1] < tall  # the chart's height follows its bars
    assert ex.top.continuous_update is False


def test_one_group_left_over_is_shown_as_itself(sample):
    two = sample[sample["job_name"].isin(["MysqlBindEIP", "MysqlUnbindEIP", "RESIZE_FLAVOR"])]
    assert len(summary_table(two, top=2)) == 3
    assert not summary_table(two, top=2).index.str.startswith("others").any()
    assert summary_table(two, top=1).index[-1] == "others (2 job types)"


def test_job_type_options_carry_counts_and_all_types(sample):
    ex = rja.explore(sample)
    labels = [label for label, _ in ex.job_type.options]
    values = [value for _, value in ex.job_type.options]
    assert len(values) == sample["job_name"].nunique()
    assert values == sorted(values)
    counts = sample["job_name"].astype(str).value_counts()
    assert labels[values.index("RESIZE_FLAVOR")] == f"RESIZE_FLAVOR  ({counts['RESIZE_FLAVOR']:,})"
    ex.job_type.value = ("RESIZE_FLAVOR",)
    assert len(ex.filtered) == counts["RESIZE_FLAVOR"]


@pytest.mark.slow
def test_instance_box_matches_parts_of_names_and_ids_without_per_keystroke_refresh(sample):
    ex = rja.explore(sample)
    assert ex.instance.continuous_update is False  # refreshes on Enter or blur
    ex.instance.value = "MYSQL-4"
    names = sample["instance_name"].astype("string").str.contains("mysql-4", case=False)
    assert len(ex.filtered) == names.fillna(False).sum() > 0
    some_id = str(sample["instance_id"].dropna().iloc[0])
    ex.instance.value = some_id[3:12]
    assert (ex.filtered["instance_id"].astype(str) == some_id).any()
    ex.instance.value = "  "
    assert len(ex.filtered) == len(sample)


def test_origin_filters_hidden_when_there_is_no_choice(sample):
    ex = rja.explore(sample)  # the sample has no region or account
    shown = set(map(id, _tree(ex)))
    assert id(ex.region) not in shown and id(ex.account) not in shown
    assert ex.origin_filters == []
    assert [v for _, v in ex.group_by.options] == [
        "job_name",
        "job_kind",
        "engine",
        "instance_type",
    ]


@pytest.mark.slow
def test_origin_filters_shown_and_filtering(estate):
    ex = rja.explore(estate)
    shown = set(map(id, _tree(ex)))
    assert id(ex.region) in shown and id(ex.account) in shown
    assert [v for _, v in ex.region.options] == [
        "(unknown)",
        "ap-southeast-1",
        "cn-north-4",
        "eu-west-101",
    ]
    assert {"region", "account"} <= {v for _, v in ex.group_by.options}
    ex.region.value = ("cn-north-4",)
    assert set(ex.filtered["region"].astype(str)) == {"cn-north-4"}
    ex.region.value = ("(unknown)",)
    assert len(ex.filtered) == estate["region"].isna().sum()
    ex.region.value = ()
    ex.group_by.value = "region"
    assert ex.table.loc["(unknown)", "jobs"] == estate["region"].isna().sum()
    ex.account.value = ("team-b",)
    assert ex.table["jobs"].sum() == (estate["account"] == "team-b").sum()


@pytest.mark.slow
def test_empty_selection_says_so(sample):
    ex = rja.explore(sample)
    ex.status.value = ("Failed",)
    ex.instance.value = "no-such-instance"
    assert len(ex.filtered) == 0 and ex.error is None
    assert "no job matches" in ex.info.value
    assert ex.styler is None and ex.table.empty
    (out,) = ex.out_table.outputs
    assert "<table" not in out["data"]["text/html"]
    assert "No job matches these filters" in out["data"]["text/html"]
    assert ex.figure.axes[0].texts[0].get_text().startswith("No ")
    assert ex.figure.get_size_inches()[1] <= 2.5  # no tall empty frame


def test_chart_png_is_for_high_dpi_screens(sample):
    ex = rja.explore(sample)
    (out,) = ex.out_chart.outputs
    png = base64.b64decode(out["data"]["image/png"])
    width = struct.unpack(">I", png[16:20])[0]
    assert out["metadata"]["image/png"]["width"] == width // 2  # 2 pixels per CSS pixel
    assert width >= 1600


def test_custom_chart_with_the_old_signature_still_draws(sample, monkeypatch):
    seen = {}

    def old_style(df, ax):
        seen["rows"] = len(df)
        ax.set_title("mine")

    def new_style(df, ax, *, by, top):
        seen["by"], seen["top"] = by, top

    monkeypatch.setitem(widgets.CHARTS, "timeline", old_style)
    monkeypatch.setitem(widgets.CHARTS, "resizes", new_style)
    ex = rja.explore(sample)
    ex.chart.value = "timeline"
    assert ex.error is None and seen["rows"] == len(sample)
    ex.group_by.value = "engine"
    ex.chart.value = "resizes"
    assert ex.error is None and (seen["by"], seen["top"]) == ("engine", TOP)


def test_summary_table_takes_by_as_a_list(sample):
    one = summary_table(sample, by="engine")
    pd.testing.assert_frame_equal(summary_table(sample, by=["engine"]), one)
    two = summary_table(sample, by=["engine", "job_kind"], top=4)
    assert len(two) == 5 and two.index[-1].startswith("others (")
    assert all(" / " in k for k in two.index[:-1])
    assert int(two["jobs"].sum()) == len(sample)  # the others row holds the rest, exactly
    keyed, names = rja.stats.group_keys(sample, ["engine", "job_kind"])
    labels = [group_label(tuple(r)) for r in keyed[names].astype(object).itertuples(index=False)]
    rest = set(summary_table(sample, by=["engine", "job_kind"], top=None).index) - set(two.index)
    picked = sample[[label in rest for label in labels]]
    others = rja.duration_summary(picked, by=None)["median_s"].iloc[0]
    assert two["median_s"].iloc[-1] == others  # its durations from exactly its jobs
    html = styled_table(two, by=["engine", "job_kind"]).to_html()
    assert "Engine / job kind" in html and "engine / job kinds with the most jobs" in html

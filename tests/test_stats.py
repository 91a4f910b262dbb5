"""Grouping by where a row came from (issue 11 item 4) and empties that agree (issue 12 item 6).

``failure_rates``, ``duration_summary`` and ``resize_summary`` take the origin columns
(``account``, ``project_id``, ``region``: categoricals of the schema) in ``by=``: a row per
value that occurs (never one per unused category), and rows with no value as their own
group keyed NaN, not dropped. Every summary gives the same columns and dtypes for an empty
selection as for a full one, and no rows.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest

import rds_job_analytics as rja
from rds_job_analytics.normalize.schema import JOB_SCHEMA, ORIGIN_COLUMNS, with_origin
from rds_job_analytics.stats import UNKNOWN_LABEL

SUMMARIES = [rja.failure_rates, rja.duration_summary, rja.resize_summary]
#: The count column of each summary: it adds up to the rows it covers.
COUNT = {"failure_rates": "jobs", "duration_summary": "count", "resize_summary": "jobs"}
REGIONS = ["eu-west-101", "cn-north-4", "ap-southeast-1", "la-south-2"]  # the last is unused


@pytest.fixture(scope="module")
def estate(sample_frame):
    """The sample spread over 2 accounts and 3 regions (of 4 categories); every 7th row has
    no origin (as rows synced before the origin columns existed)."""
    df = sample_frame.copy()
    n = len(df)
    region = np.array([REGIONS[i % 3] for i in range(n)], dtype=object)
    account = np.array(["team-a" if i % 2 else "team-b" for i in range(n)], dtype=object)
    missing = np.arange(n) % 7 == 0
    region[missing] = None
    account[missing] = None
    df["region"] = pd.Categorical(region, categories=REGIONS)
    df["account"] = pd.Categorical(account, categories=["team-a", "team-b", "team-c"])
    df["project_id"] = pd.Categorical([f"p-{r}" if r else None for r in region])
    return df


def test_origin_columns_are_categorical_in_the_schema():
    assert set(ORIGIN_COLUMNS) == {"account", "project_id", "region"}
    for col in ORIGIN_COLUMNS:
        assert str(JOB_SCHEMA[col]) == "category"


@pytest.mark.parametrize("fn", SUMMARIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("col", ["region", "account", "project_id"])
def test_by_origin_has_observed_groups_and_an_unknown_group(fn, col, estate):
    out = fn(estate, by=col)
    keys = list(out.index)
    present = set(estate[col].dropna().astype(str))
    assert {k for k in keys if not pd.isna(k)} == present  # no row for an unused category
    assert sum(pd.isna(k) for k in keys) == 1  # the rows with no origin: one group, kept
    total = out[COUNT[fn.__name__]].sum()
    counted = {  # what each summary counts, straight from the frame
        "failure_rates": len(estate),
        "duration_summary": int(
            (estate["status"].isin(["Completed", "Failed"]) & estate["duration_s"].notna()).sum()
        ),
        "resize_summary": int(estate["volume_delta_gb"].notna().sum()),
    }[fn.__name__]
    assert total == counted  # nothing dropped silently


def test_failure_rates_by_region_counts_each_group(estate):
    fr = rja.failure_rates(estate, by="region")
    for key, row in fr.iterrows():
        rows = estate[estate["region"].isna()] if pd.isna(key) else estate[estate["region"] == key]
        assert row["jobs"] == len(rows)
        assert row["failed"] == (rows["status"] == "Failed").sum()


def test_by_origin_and_another_key(estate):
    fr = rja.failure_rates(estate, by=["account", "region", "month"])
    assert fr.index.names == ["account", "region", "month"]
    assert fr["jobs"].sum() == len(estate)
    accounts = {k for k in fr.index.get_level_values("account") if not pd.isna(k)}
    assert accounts == {"team-a", "team-b"}  # team-c is an unused category


def test_origin_set_by_with_origin(sample):
    df = with_origin(sample.copy(), account="main", region="eu-west-101")
    fr = rja.failure_rates(df, by=["account", "region"])
    assert list(fr.index) == [("main", "eu-west-101")]
    assert fr["jobs"].iloc[0] == len(sample)


def test_sample_without_origin_is_one_unknown_group(sample):
    # the shipped sample predates the origin columns: every row is in the NaN group
    fr = rja.failure_rates(sample, by="region")
    assert len(fr) == 1 and pd.isna(fr.index[0]) and fr["jobs"].iloc[0] == len(sample)
    assert UNKNOWN_LABEL == "(unknown)"


def _index_kinds(index: pd.Index) -> list[str]:
    levels = index.levels if isinstance(index, pd.MultiIndex) else [index]
    return [
        "category" if isinstance(lv.dtype, pd.CategoricalDtype) else str(lv.dtype) for lv in levels
    ]


@pytest.mark.parametrize("fn", SUMMARIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("by", [None, "job_name", "region", ["engine", "month"], "day"], ids=str)
def test_empty_and_full_results_agree(fn, by, estate):
    full = fn(estate, by=by)
    for empty_input in (rja.empty_jobs_frame(), estate.iloc[:0]):
        empty = fn(empty_input, by=by)
        assert len(empty) == 0  # no rows, also for by=None (no "all" row with 0 jobs)
        assert list(empty.columns) == list(full.columns)
        assert empty.dtypes.to_dict() == full.dtypes.to_dict()
        assert empty.index.names == full.index.names
        assert _index_kinds(empty.index) == _index_kinds(full.index)


@pytest.mark.parametrize("fn", SUMMARIES, ids=lambda f: f.__name__)
def test_window_with_nothing_in_it_gives_no_rows(fn, sample):
    out = fn(sample, by=None, start="2030-01-01")
    assert len(out) == 0 and list(out.columns) == list(fn(sample, by=None).columns)


def test_resize_summary_without_scale_ups_gives_no_rows(sample):
    no_resize = sample[sample["volume_delta_gb"].isna()]
    assert len(no_resize) > 0
    assert rja.resize_summary(no_resize).empty
    assert list(rja.resize_summary(sample).index) == ["all"]


def test_plots_take_the_origin_columns_in_by():
    import matplotlib.pyplot as plt

    df = rja.load_sample()
    half = len(df) // 2
    df = with_origin(df, account="prod")
    df["region"] = pd.Categorical(["cn-north-4"] * half + [None] * (len(df) - half))
    fig, (a1, a2) = plt.subplots(1, 2)
    rja.plot_failure_rates(df, by="region", ax=a1, min_jobs=1)
    labels = {t.get_text() for t in a1.get_yticklabels()} | {
        t.get_text() for t in a1.get_xticklabels()
    }
    assert "cn-north-4" in labels and UNKNOWN_LABEL in labels  # the unknown half is a group
    rja.plot_durations(df, by="region", ax=a2)
    dlabels = {t.get_text() for t in a2.get_yticklabels()} | {
        t.get_text() for t in a2.get_xticklabels()
    }
    assert "cn-north-4" in dlabels and UNKNOWN_LABEL in dlabels  # not silently dropped
    plt.close(fig)


def test_combine_failure_rates_by_several_keys_and_empty():
    df = rja.load_sample()
    by = ["engine", "month"]
    cuts = np.linspace(0, len(df), 8).astype(int)
    pieces = [rja.failure_rates(df.iloc[a:b], by=by) for a, b in itertools.pairwise(cuts)]
    tm.assert_frame_equal(rja.stats.combine_failure_rates(pieces), rja.failure_rates(df, by=by))
    empty = rja.stats.combine_failure_rates([rja.failure_rates(df.iloc[:0], by="engine")])
    assert empty.empty
    assert list(empty.columns) == list(rja.failure_rates(df, by="engine").columns)


@pytest.mark.parametrize("fn", SUMMARIES, ids=lambda f: f.__name__)
def test_by_takes_one_name_or_a_list_of_one(fn, sample):
    pd.testing.assert_frame_equal(
        fn(sample, by="engine").reset_index(drop=True),
        fn(sample, by=["engine"]).reset_index(drop=True),
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the old path, on purpose
def test_combine_failure_rates_lives_in_stats_and_the_old_dataset_path_serves_it():
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("rds_job_analytics.dataset")
    assert rja.stats.combine_failure_rates is old.combine_failure_rates
    assert "combine_failure_rates" in rja.stats.__all__


def test_combine_and_failure_rates_share_one_rule(sample):
    """The pieces' rates recombined equal the whole's, to the last bit (one helper)."""
    whole = rja.failure_rates(sample, by="engine")
    again = rja.stats.combine_failure_rates([whole])
    pd.testing.assert_frame_equal(again, whole)

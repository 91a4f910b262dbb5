"""Hostile input to the normalizer (issue #14, items 1-4 and 16): no batch is lost to one
bad value, and both paths (per-record and columnar) give the same frame and warnings."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

import rds_job_analytics.normalize as norm
from rds_job_analytics import (
    InvalidRecordWarning,
    JobArchive,
    fetch_jobs,
    normalize_jobs,
    sync_jobs,
)
from rds_job_analytics._columnar import normalize_columnar
from rds_job_analytics.emulator import Emulator
from rds_job_analytics.sample import _read_lines

FILLER = _read_lines()[: norm.COLUMNAR_MIN_ROWS - 1]  # one odd record makes a fast batch


def job(job_id: str = "0" * 31 + "1", **fields) -> dict:
    return {"job": {"id": job_id, "name": "RestartMysqlInstance", "status": "Completed"} | fields}


def blob(record: dict) -> bytes:
    return json.dumps(record).encode()


def run(blobs: list, *, per_record: bool, monkeypatch) -> tuple[pd.DataFrame, list[str]]:
    """normalize_jobs(errors="warn") on one path: (frame, warning texts)."""
    with monkeypatch.context() as m:
        if per_record:
            m.setattr(norm, "COLUMNAR_MIN_ROWS", 10**9)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = normalize_jobs(blobs, errors="warn")
    return df, [str(w.message) for w in caught if issubclass(w.category, InvalidRecordWarning)]


def both_paths(blobs: list, monkeypatch) -> tuple[pd.DataFrame, list[str]]:
    """The frame and warnings, asserted identical on both paths."""
    fast, fast_warned = run(blobs, per_record=False, monkeypatch=monkeypatch)
    slow, slow_warned = run(blobs, per_record=True, monkeypatch=monkeypatch)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs["skipped_records"] == slow.attrs["skipped_records"]
    assert fast_warned == slow_warned
    return fast, fast_warned


# -- item 1: times outside pandas' ns range ---------------------------------------------
OUT_OF_RANGE = [
    "9999-12-31T23:59:59+0000",  # a common "never"
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "1677-09-21T00:12:43Z",  # just before the first ns timestamp
    "2262-04-11T23:47:17Z",  # just after the last one
    "9999-12-31T23:59:59.999999999+0000",
]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["created", "ended"])
def test_out_of_range_time_is_nat_on_both_paths(value, field, monkeypatch):
    other = "ended" if field == "created" else "created"
    record = job(**{field: value, other: "2026-10-01T08:00:00+0000"})
    blobs = [*FILLER, blob(record)]
    assert normalize_columnar(blobs) is not None  # the fast path reads it itself
    df, warned = both_paths(blobs, monkeypatch)
    last = df.iloc[-1]
    assert pd.isna(last[field]) and last[other] == pd.Timestamp("2026-10-01T08:00:00Z")
    assert np.isnan(last["duration_s"])
    assert len(df) == len(blobs) and not warned
    assert df[field].dtype == "datetime64[ns, UTC]"
    # a lone dict takes the per-record path too
    assert pd.isna(normalize_jobs([record]).loc[0, field])


def test_out_of_range_task_list_time_is_nat():
    task = {"id": "t1", "name": "x", "status": "Running", "create_time": "9999-12-31T23:59:59+0000"}
    assert pd.isna(normalize_jobs([task]).loc[0, "created"])


def test_times_300_years_apart_give_a_duration_not_an_overflow(monkeypatch):
    record = job(created="1700-01-01T00:00:00Z", ended="2200-01-01T00:00:00.5Z")
    df, _ = both_paths([*FILLER, blob(record)], monkeypatch)
    exact = (datetime(2200, 1, 1, tzinfo=UTC) - datetime(1700, 1, 1, tzinfo=UTC)).total_seconds()
    assert df["duration_s"].iloc[-1] == exact + 0.5
    reverse = job(created="2200-01-01T00:00:00Z", ended="1700-01-01T00:00:00Z")
    assert np.isnan(normalize_jobs([reverse]).loc[0, "duration_s"])  # ended < created


def test_durations_in_range_unchanged(monkeypatch):
    df, _ = both_paths(FILLER, monkeypatch)
    expected = (df["ended"] - df["created"]).dt.total_seconds()
    terminal = df["status"].isin(["Completed", "Failed"])
    expected = expected.where((expected >= 0) & terminal)
    pd.testing.assert_series_equal(df["duration_s"], expected, check_names=False)


def _never_ending_jobs() -> list[dict]:
    def one(i: int, created: str, ended: str) -> dict:
        rec = job(f"{i:032x}", created=created, ended=ended)
        rec["job"]["instance"] = {"id": "6f721b66afa3a666ff303140c424feb3in01", "name": "db"}
        return rec

    return [
        one(1, "2026-10-01T08:00:00+0000", "9999-12-31T23:59:59+0000"),
        one(2, "0001-01-01T00:00:00Z", "2026-10-01T08:00:00+0000"),
        one(3, "1700-01-01T00:00:00Z", "2026-10-01T08:00:00+0000"),
        one(4, "2026-10-01T08:00:00+0000", "2026-10-01T09:00:00+0000"),
    ]


def test_fetch_jobs_keeps_every_job_with_an_out_of_range_time():
    records = _never_ending_jobs()
    with Emulator(records, retention_days=None) as emu:
        df = fetch_jobs([r["job"]["id"] for r in records], client=emu.client())
    assert df["job_id"].tolist() == [r["job"]["id"] for r in records]
    assert df["ended"].isna().tolist() == [True, False, False, False]
    assert df["created"].isna().tolist() == [False, True, False, False]
    assert df["duration_s"].iloc[3] == 3600.0


def test_sync_jobs_records_the_sync_despite_an_out_of_range_time():
    records = _never_ending_jobs()
    with Emulator(records, retention_days=None) as emu, JobArchive(":memory:") as arc:
        sync_jobs(emu.client(), arc, since=datetime(2026, 9, 1, tzinfo=UTC),
                  until=datetime(2026, 11, 1, tzinfo=UTC), horizon=None)  # fmt: skip
        frame = arc.to_frame()
        assert len(arc.syncs()) == 1
    assert set(frame["job_id"]) >= {r["job"]["id"] for r in records if r["job"]["id"][-1] in "14"}

"""The columnar fast path gives exactly the per-record path's frame, or falls back."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rds_job_analytics import normalize_jobs
from rds_job_analytics._columnar import normalize_columnar
from rds_job_analytics.normalize import _CTX, _build_frame, _finish, _parse_all
from rds_job_analytics.sample import _read_lines

from .conftest import EXAMPLES


def per_record(blobs):
    return _build_frame(_parse_all(blobs, "raise", []))


def columnar(blobs):
    cols = normalize_columnar(blobs, _CTX)
    assert cols is not None, "fast path fell back"
    return _finish(cols)


def sample_lines():
    return _read_lines()


def test_sample_identical_on_both_paths():
    blobs = sample_lines()
    pd.testing.assert_frame_equal(columnar(blobs), per_record(blobs))


def test_golden_examples_identical_on_both_paths():
    blobs = [
        json.dumps(json.loads(p.read_text())).encode() for p in sorted(EXAMPLES.glob("*.json"))
    ]
    pd.testing.assert_frame_equal(columnar(blobs), per_record(blobs))
    assert columnar(blobs)["job_id"].nunique() == 1  # the spaced IDs are repaired


def test_normalize_jobs_uses_fast_path_for_many_bytes(monkeypatch):
    calls = []
    import rds_job_analytics.normalize as norm

    real = norm.normalize_columnar
    monkeypatch.setattr(norm, "normalize_columnar", lambda b, c: calls.append(1) or real(b, c))
    blobs = sample_lines()[:300]
    df = normalize_jobs(blobs)
    assert calls == [1]
    pd.testing.assert_frame_equal(df, per_record(blobs))


@pytest.mark.parametrize(
    "odd",
    [
        b'{"job": {"id": "z", "process": 35}}',  # number where text is expected
        b'{"job": {"id": "z", "entities": {"volume": "big"}}}',  # type conflict
        b'{"job": {"id": "z", "entities": {"nested": {"a": 1}}}}',  # unknown object
        b'{"job": {"id": "z", "status": "Failed", " status": "Running"}}',  # both keys
        b'{"job": {"id": "z", "entities": {"resource_id": "one"}}}',  # str, not list
        b'{"job": {"id": "z\\u00a0y"}}',  # non-ASCII whitespace
    ],
)
def test_odd_records_fall_back_and_match(odd):
    blobs = [*sample_lines()[:300], odd]
    assert normalize_columnar(blobs, _CTX) is None
    pd.testing.assert_frame_equal(normalize_jobs(blobs, errors="raise"), per_record(blobs))


def test_invalid_record_in_fast_batch_still_reported():
    blobs = [*sample_lines()[:300], b"{broken", b"[1, 2]"]
    with pytest.warns(UserWarning, match="skipped 2 invalid"):
        df = normalize_jobs(blobs)
    assert len(df) == 300
    assert [s["position"] for s in df.attrs["skipped_records"]] == [300, 301]


def test_padded_and_clean_key_both_kept():
    df = normalize_jobs([{"job": {"id": "z", " status": "Running", "status": "Failed"}}])
    assert df.loc[0, "status"] == "Failed"
    assert df.loc[0, "extra"] == {" status": "Running"}

"""The field table is the one home of the columns; the fidelity fixes hold on both paths."""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import orjson
import pandas as pd
import pytest

from rds_job_analytics import JOB_SCHEMA, normalize_jobs
from rds_job_analytics.normalize._columnar import _BARE_JOBS, _WRAPPED_JOBS, normalize_columnar
from rds_job_analytics.normalize._fields import FIELDS, KNOWN_KEYS, ROW_COLUMNS, markdown_table
from rds_job_analytics.normalize._records import (
    JobRow,
    _build_frame,
    _parse_all,
    frame_from_columns,
    parse_job,
)
from rds_job_analytics.sample import _read_lines
from tests.conftest import ROOT


def both_paths(records):
    """(per-record frame, columnar frame) of the same records, asserting they agree."""
    blobs = [orjson.dumps(r) for r in records]
    slow = _build_frame(_parse_all(blobs, "raise", []))
    cols = normalize_columnar(blobs)
    assert cols is not None, "fast path fell back"
    fast = frame_from_columns(cols)
    pd.testing.assert_frame_equal(fast, slow)
    return slow


def test_schema_is_the_field_table():
    assert list(JOB_SCHEMA) == list(FIELDS)
    assert all(JOB_SCHEMA[c] == f.dtype for c, f in FIELDS.items())
    assert (
        JobRow._fields
        == ROW_COLUMNS
        == tuple(c for c, f in FIELDS.items() if f.kind not in ("derived", "origin"))
    )


def test_readme_schema_table_matches_the_field_table():
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme, "run: python scripts/schema_table.py"
    rows = re.findall(r"^\| (\w+) \| .* \| (.+) \|$", markdown_table(), re.MULTILINE)[1:]
    assert [r[0] for r in rows] == list(JOB_SCHEMA)
    for column, dtype in rows:
        expected = "string" if str(JOB_SCHEMA[column]) == "string" else str(JOB_SCHEMA[column])
        assert dtype.split(":")[0] == expected, column


def test_reader_schema_covers_every_path_of_the_table():
    def leaves(fields, prefix=()):
        for f in fields:
            if f.type.num_fields and not str(f.type).startswith("list"):
                yield from leaves(f.type, (*prefix, f.name))
            else:
                yield (*prefix, f.name)

    table_paths = {p for f in FIELDS.values() for p in f.paths}
    assert set(leaves(_BARE_JOBS.schema)) == table_paths
    assert set(leaves(_WRAPPED_JOBS.schema)) == {("job", *p) for p in table_paths}
    assert KNOWN_KEYS[()] == {p[0] for p in table_paths}


def test_whitespace_constant_is_every_isspace_character():
    from rds_job_analytics.normalize._arrowtext import WHITESPACE

    assert set(WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


@pytest.mark.slow  # a cold interpreter in a subprocess (importing pandas): 1-3 s
def test_importing_the_package_scans_no_code_points(monkeypatch):
    import subprocess

    code = (
        "import time, builtins; t = time.perf_counter(); calls = []\n"
        "real = builtins.chr\n"
        "builtins.chr = lambda c: calls.append(c) or real(c)\n"
        "import rds_job_analytics.normalize._columnar\n"
        "print(len(calls))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) < 1000


def test_parse_job_returns_a_named_row():
    row = parse_job({"job": {"id": "j 1", "status": "SUCCESS", "created": "2026-01-01T00:00:00Z"}})
    assert isinstance(row, JobRow)
    assert (row.job_id, row.status, row.created) == ("j1", "Completed", "2026-01-01T00:00:00Z")


# -- the fidelity fixes, each on both paths ---------------------------------------------------
@pytest.mark.parametrize(
    ("process", "expected"),
    [(0, 0.0), ("0", 0.0), (60, 60.0), (0.5, 0.5), ("", None), (None, None)],
)
def test_numeric_progress_zero_is_zero(process, expected):
    df = normalize_jobs([{"job": {"id": "x", "status": "Running", "process": process}}])
    got = df["progress_pct"].iloc[0]
    assert np.isnan(got) if expected is None else got == expected


def test_inner_whitespace_repaired_in_endpoint_and_public_ip():
    records = [
        {"job": {"id": "a", "entities": {"instance": {"endpoint": "192.168 .1 .203: 3306"}}}},
        {"job": {"id": "b", "entities": {"public_ip": " 10.154 .218 .254"}}},
        {"job": {"id": "c", "entities": {"public_ip": "\u3000", "instance": {"endpoint": ""}}}},
    ] * 100
    df = both_paths(records)
    assert df["endpoint"].iloc[0] == "192.168.1.203:3306"
    assert df["public_ip"].iloc[1] == "10.154.218.254"
    assert df[["endpoint", "public_ip"]].iloc[2].isna().all()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("SUCCESS", "Completed"), ("success", "Completed"), (" Succeeded ", "Completed"),
     ("Complete", "Completed"), ("FAIL", "Failed"), ("fail", "Failed"), ("Failure", "Failed"),
     ("FAILED", "Failed"), ("Pending", "Pending"), ("Canceled", "Canceled")],
)  # fmt: skip
def test_status_spellings_are_one_symmetric_table(raw, expected):
    df = both_paths([{"job": {"id": str(i), "status": raw}} for i in range(300)])
    assert (df["status"] == expected).all()


def test_duration_only_once_the_job_is_terminal():
    times = {"created": "2026-01-01T00:00:00+0000", "ended": "2026-01-01T00:01:00+0000"}
    records = [
        {"job": {"id": "r", "status": "Running", **times}},
        {"job": {"id": "c", "status": "Completed", **times}},
        {"job": {"id": "f", "status": "fail", **times}},
        {"job": {"id": "p", "status": "Pending", **times}},
    ] * 100
    df = both_paths(records)
    assert df["duration_s"].iloc[:4].tolist()[1:3] == [60.0, 60.0]
    assert np.isnan(df["duration_s"].iloc[0]) and np.isnan(df["duration_s"].iloc[3])
    assert df["ended"].notna().all()  # the end time itself is kept


def test_engine_from_instance_id_suffix_as_last_fallback():
    records = [
        {"job": {"id": "1", "name": "RESIZE_FLAVOR", "instance": {"id": "abcin01"}}},
        {"job": {"id": "2", "name": "RESIZE_FLAVOR", "instance": {"id": "abcin03"}}},
        {"job": {"id": "3", "name": "RESIZE_FLAVOR", "instance": {"id": "abcin04"}}},
        {"job": {"id": "4", "name": "RESIZE_FLAVOR", "instance": {"id": "abcin02"}}},  # unknown
        {"job": {"id": "5", "name": "RestartMysqlInstance", "instance": {"id": "abcin03"}}},
        {
            "job": {
                "id": "6",
                "instance": {"id": "x"},
                "entities": {"instance": {"datastore": {"type": "sqlserver"}}},
            }
        },
        {"job": {"id": "7", "name": "RESIZE_FLAVOR"}},
    ] * 50
    df = both_paths(records)
    got = df["engine"].iloc[:7].tolist()
    assert got[:3] == ["MySQL", "PostgreSQL", "SQLServer"]
    assert pd.isna(got[3]) and pd.isna(got[6])
    assert got[4] == "MySQL"  # the job name wins over the suffix
    assert got[5] == "SQLServer"  # the datastore wins over both


def test_sample_resize_flavor_jobs_have_an_engine():
    df = normalize_jobs(_read_lines())
    resize = df[df["job_name"] == "RESIZE_FLAVOR"]
    assert len(resize) > 100
    assert resize["engine"].notna().all()


@pytest.fixture
def small_blocks(monkeypatch):
    import rds_job_analytics.normalize._jsonreader as jr

    monkeypatch.setattr(jr, "BLOCK_SIZE", 1 << 16)


def test_pretty_printed_bytes_stay_on_the_fast_path_across_blocks(small_blocks):
    records = [json.loads(b) for b in _read_lines()[:3000]]
    pretty = [json.dumps(r, indent=2).encode() for r in records]
    compact = [orjson.dumps(r) for r in records]
    cols = normalize_columnar(pretty)
    assert cols is not None
    pd.testing.assert_frame_equal(
        frame_from_columns(cols), frame_from_columns(normalize_columnar(compact))
    )
    pd.testing.assert_frame_equal(
        frame_from_columns(cols), _build_frame(_parse_all(pretty, "raise", []))
    )


def test_bare_job_objects_take_the_fast_path(small_blocks):
    records = [json.loads(b) for b in _read_lines()[:3000]]
    bare = [orjson.dumps(r["job"]) for r in records]
    cols = normalize_columnar(bare)
    assert cols is not None
    pd.testing.assert_frame_equal(
        frame_from_columns(cols), _build_frame(_parse_all(bare, "raise", []))
    )
    wrapped = normalize_jobs([orjson.dumps(r) for r in records])
    pd.testing.assert_frame_equal(frame_from_columns(cols), wrapped)


@pytest.mark.parametrize("first_bare", [True, False])
def test_a_batch_mixing_bare_and_wrapped_jobs_falls_back_and_matches(first_bare):
    records = [json.loads(b) for b in _read_lines()[:400]]
    blobs = [orjson.dumps(r["job"] if (i % 2 == 0) == first_bare else r) for i, r in
             enumerate(records)]  # fmt: skip
    assert normalize_columnar(blobs) is None
    pd.testing.assert_frame_equal(
        normalize_jobs(blobs), normalize_jobs([orjson.dumps(r) for r in records])
    )

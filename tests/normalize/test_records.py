from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from rds_job_analytics import (
    JOB_SCHEMA,
    InvalidRecordError,
    InvalidRecordWarning,
    RdsJobError,
    empty_jobs_frame,
    normalize_jobs,
)
from tests.conftest import EXAMPLES, SHARED_EXAMPLES

JOB_ID = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"
INST = "a48e43ff268f4c0e879652d65e63d0fbin01"
CREATED = pd.Timestamp("2018-08-06 10:41:14", tz="UTC")
ENDED = pd.Timestamp("2018-08-06 16:41:14", tz="UTC")
EMPTY = {
    "instance_type": None,
    "engine": "MySQL",  # inferred from the job name when entities do not say
    "engine_version": None,
    "endpoint": None,
    "replica_of": None,
    "resource_ids": None,
    "volume_type": None,
    "volume_original_gb": math.nan,
    "volume_target_gb": math.nan,
    "volume_delta_gb": math.nan,
    "public_ip": None,
    "switch_strategy": None,
    "fail_reason": None,
    "instance_status": None,  # the task list only
    "order_id": None,
    "extra": None,
    "account": None,  # origin columns: set by the fetcher or the archive, not the record
    "project_id": None,
    "region": None,
}
BASE = {
    "source": "job",
    "job_id": JOB_ID,
    "status": "Completed",
    "created": CREATED,
    "ended": ENDED,
    "duration_s": 21600.0,
    "progress_pct": math.nan,
    "instance_id": INST,
    "instance_name": "DO-NOT-TOUCH-mgr2-mysql-single",
}
GOLDEN = {
    "completed-bind-eip": {**BASE, **EMPTY, "job_name": "MysqlBindEIP", "public_ip": "10.10.10.1"},
    "completed-create-replica": {
        **BASE,
        **EMPTY,
        "job_name": "CreateMysqlReplicaInstance",  # leading space removed
        "instance_id": "288caaa9d05f4ec1a1f58de2e0945685in01",
        "instance_name": "mysql-replica",
        "instance_type": "Replica",  # "replica" canonicalized
        "engine_version": "5.7",
        "endpoint": "192.168.1.203:3306",
        "replica_of": INST,
        "resource_ids": [
            "288caaa9d05f4ec1a1f58de2e0945685in01.vm",
            "288caaa9d05f4ec1a1f58de2e0945685in01.volume",
        ],
    },
    "completed-create-single": {
        **BASE,
        **EMPTY,
        "job_name": "CreateMysqlSingleHAInstance",
        "instance_type": "Single",
        "engine_version": "5.7",
        "endpoint": "192.168.1.203:3306",
        "resource_ids": [f"{INST}.vm", f"{INST}.volume"],
    },
    "completed-restart": {**BASE, **EMPTY, "job_name": "RestartMysqlInstance"},
    "failed-create-single": {
        **BASE,
        **EMPTY,
        "job_name": "CreateMysqlSingleHAInstance",
        "status": "Failed",
        "instance_type": "Single",
        "engine_version": "5.7",
        "fail_reason": "createVM failed.",
    },
    "running-create-single": {
        **BASE,
        **EMPTY,
        "job_name": "CreateMysqlSingleHAInstance",
        "status": "Running",  # from the " status" key
        "ended": pd.NaT,
        "duration_s": math.nan,
        "progress_pct": 60.0,  # from "60% "
        "instance_type": "Single",
        "engine_version": "5.7",
    },
}


def _is_missing(v):
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def assert_row(row: pd.Series, expected: dict) -> None:
    assert set(expected) == set(JOB_SCHEMA), set(JOB_SCHEMA) ^ set(expected)
    for col, want in expected.items():
        got = row[col]
        if _is_missing(want):
            assert _is_missing(got), f"{col}: expected missing, got {got!r}"
        else:
            assert got == want, f"{col}: expected {want!r}, got {got!r}"


def assert_schema(df: pd.DataFrame) -> None:
    assert list(df.columns) == list(JOB_SCHEMA)
    for col, dtype in JOB_SCHEMA.items():
        assert str(df[col].dtype) == str(pd.Series([], dtype=dtype).dtype), col


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_examples_every_field(example, name):
    df = normalize_jobs([example(name)], errors="raise")
    assert len(df) == 1
    assert_schema(df)
    assert_row(df.iloc[0], GOLDEN[name])


def test_golden_examples_are_the_published_ones():
    if not SHARED_EXAMPLES.is_dir():
        pytest.skip(f"shared spec not present at {SHARED_EXAMPLES}")
    for path in SHARED_EXAMPLES.glob("*.json"):
        assert (EXAMPLES / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("form", ["dict", "bare", "str", "bytes"])
def test_all_input_forms_give_the_same_rows(example, form):
    names = sorted(GOLDEN)
    recs = [example(n) for n in names]
    if form == "bare":
        recs = [r["job"] for r in recs]
    elif form == "str":
        recs = [json.dumps(r) for r in recs]
    elif form == "bytes":
        recs = [json.dumps(r).encode() for r in recs]
    df = normalize_jobs(iter(recs), errors="raise")
    assert_schema(df)
    for i, n in enumerate(names):
        assert_row(df.iloc[i], GOLDEN[n])


@pytest.mark.parametrize("records", [[], iter([])])
def test_empty_input_has_full_schema(records):
    df = normalize_jobs(records)
    assert len(df) == 0
    assert_schema(df)
    assert_schema(empty_jobs_frame())


def test_schema_same_for_sparse_and_full_frames(example):
    sparse = normalize_jobs([{"job": {"id": "x"}}])
    assert_schema(sparse)
    row = sparse.iloc[0]
    assert row["job_id"] == "x"
    assert row["source"] == "job"  # always known: the layout the record had
    assert all(_is_missing(row[c]) for c in JOB_SCHEMA if c not in ("job_id", "source"))


def test_mixed_offsets_are_converted_to_utc():
    recs = [
        {"job": {"id": "a", "status": "Completed", "created": "2024-03-01T08:00:00+0800", "ended": "2024-03-01T00:30:00Z"}},
        {"job": {"id": "b", "status": "Completed", "created": "2024-03-01T00:00:00+00:00", "ended": "2024-02-29T19:00:00-0500"}},
        {"job": {"id": "c", "status": "Completed", "created": "2024-03-01T00:00:00.250Z", "ended": "2024-03-01T00:00:01+0000"}},
    ]  # fmt: skip
    df = normalize_jobs(recs, errors="raise")
    midnight = pd.Timestamp("2024-03-01", tz="UTC")
    assert df["created"].tolist()[:2] == [midnight, midnight]
    assert df["created"].iloc[2] == midnight + pd.Timedelta(milliseconds=250)
    assert df["duration_s"].tolist() == [1800.0, 0.0, 0.75]
    assert str(df["created"].dt.tz) == "UTC"


def test_durations_missing_or_negative_are_nan():
    recs = [
        {"job": {"id": "a", "created": "2024-01-01T00:00:00Z", "ended": ""}},
        {"job": {"id": "b", "created": "2024-01-01T00:00:00Z", "ended": "2023-12-31T00:00:00Z"}},
        {"job": {"id": "c", "created": "garbage", "ended": "2024-01-01T00:00:00Z"}},
    ]
    for rec in recs:  # terminal jobs: only the missing or negative times leave NaN
        rec["job"]["status"] = "Completed"
    df = normalize_jobs(recs)
    assert df["duration_s"].isna().all()
    assert df["ended"].isna().tolist() == [True, False, False]
    assert df["created"].isna().tolist() == [False, False, True]


@pytest.mark.parametrize(
    ("process", "expected"),
    [("60", 60.0), ("60%", 60.0), ("60% ", 60.0), ("60 % ", 60.0), ("", None), (None, None), (35, 35.0)],
)  # fmt: skip
def test_progress_variants(process, expected):
    df = normalize_jobs([{"job": {"id": "x", "status": "Running", "process": process}}])
    got = df["progress_pct"].iloc[0]
    assert np.isnan(got) if expected is None else got == expected


def test_progress_falls_back_to_sibling_field():
    df = normalize_jobs([{"job": {"id": "x", "progress": "42%"}}])
    assert df["progress_pct"].iloc[0] == 42.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Completed", "Completed"), ("Complete", "Completed"), (" completed ", "Completed"),
     ("FAILED", "Failed"), ("running", "Running"), ("Pending", "Pending")],
)  # fmt: skip
def test_status_canonical(raw, expected):
    df = normalize_jobs([{"job": {"id": "x", "status": raw}}])
    assert df["status"].iloc[0] == expected
    assert list(df["status"].cat.categories[:3]) == ["Running", "Completed", "Failed"]


def test_volume_sizes_become_numbers_and_delta():
    rec = {"job": {"id": "v", "name": "MysqlEnlargeVolume", "entities": {
        "volume": {"type": "CLOUDSSD", "original_size": "100", "target_size": "150 "}}}}  # fmt: skip
    row = normalize_jobs([rec]).iloc[0]
    assert (row["volume_type"], row["volume_original_gb"], row["volume_target_gb"]) == (
        "CLOUDSSD",
        100.0,
        150.0,
    )
    assert row["volume_delta_gb"] == 50.0


def test_unknown_keys_are_kept_in_extra_with_dotted_paths():
    rec = {
        "job": {
            "id": "u",
            "name": "X",
            "region": "ap-southeast-1",
            " status ": "Completed",
            "instance": {"id": "i", "az": "az1"},
            "entities": {
                "flavor_ref": "big",
                "instance": {"type": "Ha", "datastore": {"type": "PostgreSQL", "patch": "p1"}},
                " switch_strategy": "reliability",
                "volume": "not-an-object",
            },
        }
    }
    row = normalize_jobs([rec]).iloc[0]
    assert row["status"] == "Completed"
    assert row["switch_strategy"] == "reliability"
    assert row["engine"] == "PostgreSQL"
    assert row["extra"] == {
        "region": "ap-southeast-1",
        "instance.az": "az1",
        "entities.flavor_ref": "big",
        "entities.instance.datastore.patch": "p1",
        "entities.volume": "not-an-object",
    }


def test_resource_id_old_spelling():
    rec = {"job": {"id": "r", "entities": {"resource_id": ["a.vm", "a.volume"]}}}
    assert normalize_jobs([rec])["resource_ids"].iloc[0] == ["a.vm", "a.volume"]


BAD = [
    (42, "not a JSON object"),
    (b"{not json", "undecodable JSON"),
    ({"foo": 1}, "no 'job' object"),
    ({"job": {"name": "x"}}, "no 'id'"),
    ({"job": "x"}, "'job' is str"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD)
def test_bad_record_raise_names_position_and_reason(example, bad, reason):
    good = example("completed-restart")
    with pytest.raises(InvalidRecordError) as info:
        normalize_jobs([good, good, bad], errors="raise")
    assert info.value.position == 2
    assert reason in str(info.value) and "record 2" in str(info.value)
    assert isinstance(info.value, RdsJobError) and isinstance(info.value, ValueError)


def test_bad_records_warn_once_and_keep_good_rows(example):
    good = example("completed-restart")
    recs = [good, *[b for b, _ in BAD], good]
    with pytest.warns(InvalidRecordWarning) as caught:
        df = normalize_jobs(recs)
    assert len(caught) == 1
    msg = str(caught[0].message)
    assert "skipped 5 invalid record(s)" in msg and "#1: not a JSON object" in msg
    assert len(df) == 2
    assert [s["position"] for s in df.attrs["skipped_records"]] == [1, 2, 3, 4, 5]


def test_errors_argument_validated():
    with pytest.raises(ValueError, match="errors must be"):
        normalize_jobs([], errors="explode")


def test_sample_covers_the_promised_history():
    from rds_job_analytics import load_sample

    df = load_sample()
    assert len(df) >= 5000
    assert_schema(df)
    months = df["created"].dt.strftime("%Y-%m").unique()
    assert len(months) >= 3
    assert {"MySQL", "PostgreSQL", "SQLServer"} <= set(df["engine"].dropna())
    assert df["job_name"].nunique() >= 12
    assert set(df["status"].dropna()) >= {"Running", "Completed", "Failed"}
    rates = (
        df[df.status != "Running"]
        .groupby("job_name", observed=True)["status"]
        .apply(lambda s: (s == "Failed").mean())
    )
    assert rates.max() - rates.min() > 0.05
    assert df["volume_delta_gb"].notna().sum() > 100
    assert df["switch_strategy"].notna().sum() > 50
    assert df["extra"].notna().sum() > 10
    raw = load_sample(raw=True)
    jobs = [r["job"] for r in raw]
    assert any(" status" in j for j in jobs)
    assert any(j.get("name", "") != j.get("name", "").strip() for j in jobs)
    assert any(" " in j["id"] for j in jobs)
    assert any(str(j.get("created", "")).endswith("+0800") for j in jobs)


def test_sample_generator_is_deterministic(tmp_path):
    from rds_job_analytics.sample import sample_path
    from rds_job_analytics.synth import generate_jobs, write_jsonl_gz

    out = write_jsonl_gz(generate_jobs(5000), tmp_path / "s.jsonl.gz")
    assert out.read_bytes() == sample_path().read_bytes()

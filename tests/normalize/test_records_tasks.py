"""Task-list records (``GET /tasklist``) are first-class input of the normalizer."""

from __future__ import annotations

import json

import orjson
import pandas as pd
import pytest

from rds_job_analytics import normalize_jobs
from rds_job_analytics.normalize._columnar import normalize_columnar
from rds_job_analytics.normalize._records import _build_frame, _parse_all, frame_from_columns
from rds_job_analytics.sample import _read_lines

ENTITY_COLUMNS = [
    "instance_type", "engine_version", "endpoint", "replica_of", "resource_ids", "volume_type",
    "volume_original_gb", "volume_target_gb", "public_ip", "switch_strategy",
]  # fmt: skip

TASK = {
    "id": "31b8ae23-c687-4d80-b7b4-42a66c9bb886",
    "name": "RestartMysqlInstance",
    "instance_id": "a1b2c3in01",
    "instance_name": "db-1",
    "instance_status": " ACTIVE",
    "order_id": "",
    "process": "",
    "fail_reason": None,
    "create_time": "2026-10-01T08:00:00+0800",
    "end_time": "2026-10-01T00:05:00+0000",
    "status": "Complete",
}


def task_of(record: dict) -> dict:
    """The task-list record the API gives for a per-job response."""
    job = {k.strip(): v for k, v in record["job"].items()}
    inst = job.get("instance") or {}
    return {
        "id": job["id"], "name": job.get("name"), "instance_id": inst.get("id"),
        "instance_name": inst.get("name"), "instance_status": "ACTIVE", "order_id": "o-1",
        "process": job.get("process", ""), "fail_reason": job.get("fail_reason"),
        "create_time": job.get("created"), "end_time": job.get("ended"),
        "status": job.get("status"),
    }  # fmt: skip


def test_a_task_list_record_maps_to_the_same_columns():
    row = normalize_jobs([TASK], errors="raise").iloc[0]
    assert row["source"] == "task"
    assert row["job_id"] == TASK["id"] and row["status"] == "Completed"
    assert row["created"] == pd.Timestamp("2026-10-01T00:00:00Z")
    assert row["ended"] == pd.Timestamp("2026-10-01T00:05:00Z")
    assert row["duration_s"] == 300.0
    assert (row["instance_id"], row["instance_name"]) == ("a1b2c3in01", "db-1")
    assert row["instance_status"] == "ACTIVE" and pd.isna(row["order_id"])
    assert row["engine"] == "MySQL"  # from the job name
    assert all(pd.isna(row[c]) if c != "resource_ids" else row[c] is None for c in ENTITY_COLUMNS)
    assert row["extra"] is None  # create_time/end_time are read, not left in extra


def test_unknown_task_fields_are_kept_in_extra():
    row = normalize_jobs([{**TASK, "region": "eu-west-0", " status": None}]).iloc[0]
    assert row["source"] == "task" and row["extra"] == {"region": "eu-west-0"}


def test_task_records_read_the_same_on_both_paths_with_quirks():
    records = [json.loads(b) for b in _read_lines()[:1200]]
    tasks = [task_of(r) for r in records]
    for i, t in enumerate(tasks[::7]):  # the published quirks, in task-list form
        t[" status" if i % 2 else "status"] = t.pop("status")
        t["process"] = "60 % " if i % 3 == 0 else t["process"]
    blobs = [orjson.dumps(t) for t in tasks]
    cols = normalize_columnar(blobs)
    assert cols is not None, "task records stay on the fast path"
    fast = frame_from_columns(cols)
    pd.testing.assert_frame_equal(fast, _build_frame(_parse_all(blobs, "raise", [])))
    assert (fast["source"] == "task").all()
    jobs = normalize_jobs([orjson.dumps(r) for r in records])
    for column in ("job_id", "job_name", "status", "created", "instance_id", "fail_reason"):
        pd.testing.assert_series_equal(fast[column], jobs[column])


@pytest.mark.parametrize("first", ["task", "job"])
def test_a_batch_mixing_tasks_and_jobs_is_read_record_by_record(first):
    records = [json.loads(b) for b in _read_lines()[:600]]
    blobs = [
        orjson.dumps(task_of(r) if (i % 3 == 0) == (first == "task") else r["job"])
        for i, r in enumerate(records)
    ]
    assert normalize_columnar(blobs) is None
    df = normalize_jobs(blobs, errors="raise")
    per_record = [("task" if (i % 3 == 0) == (first == "task") else "job") for i in range(600)]
    assert df["source"].tolist() == per_record


def test_list_tasks_from_the_emulator_normalize_like_their_jobs():
    from rds_job_analytics.emulator import Emulator

    records = [json.loads(b) for b in _read_lines()[:300]]
    with Emulator(records, retention_days=None) as emu, emu.client(rate_limit=1000) as client:
        tasks = list(client.list_tasks())
    df = normalize_jobs(tasks, errors="raise").sort_values("job_id", ignore_index=True)
    jobs = normalize_jobs(records).sort_values("job_id", ignore_index=True)
    assert (df["source"] == "task").all() and len(df) == len(jobs)
    for column in ("job_id", "job_name", "status", "created", "ended", "instance_id"):
        pd.testing.assert_series_equal(df[column], jobs[column])
    assert df["created"].notna().all()


def test_empty_frame_has_the_source_dtype():
    df = normalize_jobs([])
    assert list(df["source"].cat.categories) == ["job", "task"]

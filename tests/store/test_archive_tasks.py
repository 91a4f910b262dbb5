"""The archive keeps task-list records beside per-job responses and merges them richest-first
(on both backends: SQLite and PostgreSQL, see ``archive_url`` in conftest)."""

from __future__ import annotations

import pandas as pd
import pytest

from rds_job_analytics import InvalidRecordError, JobArchive

P = "p" * 32
JOB = {"job": {
    "id": "j1", "name": "MysqlEnlargeVolume", "status": "Running", "process": "40%",
    "created": "2026-10-01T00:00:00+0000", "instance": {"id": "iin01", "name": "db"},
    "entities": {"volume": {"type": "SSD", "original_size": "100", "target_size": "150"}},
}}  # fmt: skip
TASK = {
    "id": "j1", "name": "MysqlEnlargeVolume", "status": "Completed", "process": "",
    "create_time": "2026-10-01T00:00:00+0000", "end_time": "2026-10-01T00:10:00+0000",
    "instance_id": "iin01", "instance_name": "db", "instance_status": "ACTIVE", "order_id": "o1",
}  # fmt: skip


def test_task_record_never_overwrites_the_jobs_entities_and_completes_it(archive):
    archive.put(JOB, project_id=P)
    assert archive.put_tasks([TASK], project_id=P) == 1
    df = archive.to_frame()
    assert len(df) == 1
    row = df.iloc[0]
    assert row["source"] == "job" and row["volume_delta_gb"] == 50.0  # entities kept
    assert row["status"] == "Completed"  # the task list saw it finish
    assert row["ended"] == pd.Timestamp("2026-10-01T00:10:00Z") and row["duration_s"] == 600.0
    assert (row["instance_status"], row["order_id"]) == ("ACTIVE", "o1")
    assert archive.statuses(P) == {"j1": "Completed"}
    assert archive.statuses(P, detail=True) == {"j1": "Running"}  # still worth a detail call


def test_a_per_job_ended_wins_over_the_planned_end(archive):
    archive.put({"job": {**JOB["job"], "status": "Completed", "ended": "2026-10-01T00:05:00Z"}},
            project_id=P)  # fmt: skip
    archive.put_tasks([TASK], project_id=P)
    row = archive.to_frame().iloc[0]
    assert row["ended"] == pd.Timestamp("2026-10-01T00:05:00Z") and row["duration_s"] == 300.0


def test_a_later_per_job_response_enriches_a_task_only_job(archive):
    archive.put_tasks([TASK], project_id=P)
    row = archive.to_frame().iloc[0]
    assert row["source"] == "task" and pd.isna(row["volume_delta_gb"])
    archive.put({"job": {**JOB["job"], "status": "Completed"}}, project_id=P)
    row = archive.to_frame().iloc[0]
    assert row["source"] == "job" and row["volume_delta_gb"] == 50.0


def test_task_terminal_status_is_never_downgraded(archive):
    archive.put_tasks([TASK], project_id=P)
    assert archive.put_tasks([{**TASK, "status": "Running"}], project_id=P) == 0
    assert archive.to_frame().iloc[0]["status"] == "Completed"


def test_a_bad_record_in_a_page_loses_nothing_and_is_named(archive):
    with pytest.raises(InvalidRecordError, match="#1"):
        archive.put_tasks([TASK, {"no": "id"}, {**TASK, "id": "j2"}], project_id=P)
    assert sorted(archive.to_frame()["job_id"]) == ["j1", "j2"]


def test_merged_frame_keeps_the_schema(archive):
    empty = archive.to_frame()
    archive.put(JOB, project_id=P)
    archive.put_tasks([TASK, {**TASK, "id": "j2", "status": "Failed", "name": "X"}], project_id=P)
    df = archive.to_frame()
    assert list(df.columns) == list(empty.columns)
    assert [str(d) for d in df.dtypes] == [str(d) for d in empty.dtypes]
    assert df["job_id"].tolist() == ["j1", "j2"] and df["source"].tolist() == ["job", "task"]
    assert list(df["status"].cat.categories[:3]) == ["Running", "Completed", "Failed"]
    assert archive.to_frame(start="2026-10-02").empty


def test_a_dict_no_json_can_carry_is_not_archived_with_a_clear_error():
    import pytest

    from rds_job_analytics import InvalidRecordError

    deep: dict = {"id": "j1"}
    for _ in range(900):
        deep = {"x": deep}
    arc = JobArchive(":memory:")
    for bad, why in (({"job": {"id": "j1", "extra": deep}}, "nested deeper"),
                     ({"job": {"id": "j\ud800", "status": "Running"}}, "lone surrogate")):  # fmt: skip
        with pytest.raises(InvalidRecordError, match=f"not archived: .*{why}"):
            arc.put(bad, project_id="p")
    assert len(arc) == 0

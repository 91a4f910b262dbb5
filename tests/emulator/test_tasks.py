"""The emulator's task list: each job's own data under the task list's names, quirks kept,
and calls counted per endpoint (what tests and benchmarks check the call budget with)."""

from __future__ import annotations

import pandas as pd
import pytest
import requests

from rds_job_analytics import load_sample, normalize_jobs
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator, task_of

QUIRKY = [
    {"job": {"id": "31 b8ae23 - c687", "name": " RestartMysqlInstance ", " status": "Complete",
             "created": "2026-11-01T08:00:00+0800", "ended": "2026-11-01T08:01:30+0800",
             "process": "", "instance": {"id": "i1in01", "name": "db-1"}, "entities": {}}},
    {"job": {"id": "j2", "name": "MysqlEnlargeVolume", "status": "Failed",
             "created": "2026-11-02T00:00:00Z", "ended": "2026-11-02T00:05:00Z",
             "process": "", "fail_reason": "quota exceeded", "order_id": "CS2611",
             "instance_status": "STORAGE FULL", "instance": {" id": "i2in01", "name": "db-2"},
             "entities": {"volume": {"type": "ESSD", "original_size": "100", "target_size": "200"}}}},
    {"job": {"id": "j3", "name": "CreateMysqlSingleHAInstance", "status": "Running",
             "created": "2026-11-03T00:00:00+00:00", "progress": "60 % ",
             "instance": {"id": "i3in01", "name": "db-3"}, "entities": {}}},
]  # fmt: skip
SHARED = ["job_id", "job_name", "status", "created", "ended", "duration_s", "progress_pct",
          "instance_id", "instance_name", "fail_reason"]  # fmt: skip


def get_tasklist(emu, **params):
    resp = requests.get(f"{emu.url}/v3/{DEMO_PROJECT}/tasklist", params={"limit": 50, **params},
                        headers={"X-Auth-Token": DEMO_TOKEN}, timeout=10)  # fmt: skip
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_task_list_serves_each_job_under_its_own_names_with_its_quirks():
    with Emulator(QUIRKY, retention_days=None) as emu:
        body = get_tasklist(emu)
    tasks = {t.get("id"): t for t in body["tasks"]}
    assert [t["id"] for t in body["tasks"]] == ["j3", "j2", "31 b8ae23 - c687"]  # newest first
    assert tasks["31 b8ae23 - c687"] == {
        "id": "31 b8ae23 - c687", "name": " RestartMysqlInstance ", " status": "Complete",
        "create_time": "2026-11-01T08:00:00+0800", "end_time": "2026-11-01T08:01:30+0800",
        "process": "", "instance_id": "i1in01", "instance_name": "db-1", "fail_reason": None,
        "instance_status": "SWITCHOVER", "order_id": "",  # the record is silent: from its ID
    }  # fmt: skip
    failed = tasks["j2"]
    assert failed[" instance_id"] == "i2in01" and "instance_id" not in failed  # padding kept
    assert (failed["status"], failed["fail_reason"]) == ("Failed", "quota exceeded")
    assert (failed["order_id"], failed["instance_status"]) == ("CS2611", "STORAGE FULL")
    assert "entities" not in failed and "volume" not in str(failed)
    running = tasks["j3"]
    assert (running["process"], running["end_time"], running["status"]) == (
        "60 % ",
        None,
        "Running",
    )
    assert body["total_count"] == 3
    assert body["actions"] == sorted(
        ["CreateMysqlSingleHAInstance", "MysqlEnlargeVolume", "RestartMysqlInstance"]
    )


def test_task_list_records_normalize_like_their_jobs():
    with Emulator(QUIRKY, retention_days=None) as emu, emu.client() as client:
        tasks = list(client.list_tasks())
    t = normalize_jobs(tasks).sort_values("job_id", ignore_index=True)
    j = normalize_jobs(QUIRKY).sort_values("job_id", ignore_index=True)
    assert t["source"].tolist() == ["task"] * 3 and j["source"].tolist() == ["job"] * 3
    pd.testing.assert_frame_equal(t[SHARED], j[SHARED])
    assert t.set_index("job_id").loc["31b8ae23-c687", "status"] == "Completed"  # " status"
    assert t.set_index("job_id").loc["j2", "order_id"] == "CS2611"
    assert t["volume_delta_gb"].isna().all()  # the task list has no entities
    assert all(x is None or x == {} for x in t["extra"])  # no field fell into extra


@pytest.mark.slow
def test_whole_sample_task_list_agrees_with_the_jobs_and_costs_one_call_per_50():
    jobs = load_sample(raw=True)
    with Emulator(retention_days=None) as emu, emu.client() as client:
        tasks = list(client.list_tasks())
        assert emu.counts == {"tasklist": -(-len(jobs) // 50) + 1}  # the last page is empty
    assert sum(1 for t in tasks if " status" in t) == sum(1 for r in jobs if " status" in r["job"])
    t = normalize_jobs(tasks).sort_values("job_id", ignore_index=True)
    j = normalize_jobs(jobs).sort_values("job_id", ignore_index=True)
    assert len(t) == len(jobs) and not t.attrs["skipped_records"]
    pd.testing.assert_frame_equal(t[SHARED], j[SHARED])


def test_task_list_filters_read_padded_keys_and_names():
    with Emulator(QUIRKY, retention_days=None) as emu, emu.client() as client:
        assert [t["id"] for t in client.list_tasks(status="Completed")] == ["31 b8ae23 - c687"]
        assert [t["id"] for t in client.list_tasks(name="RestartMysqlInstance")] == [
            "31 b8ae23 - c687"
        ]
        assert [t["id"] for t in client.list_tasks(instance_id="i2in01")] == ["j2"]
        assert [t["id"] for t in client.list_tasks(order_id="CS2611")] == ["j2"]
        assert [t["id"] for t in client.list_tasks(id="31b8ae23-c687")] == ["31 b8ae23 - c687"]


#: Jobs around the window 2026-11-10 .. 2026-11-20: created inside it and ended inside it,
#: still running, ended after it; created before it but ended inside; created after it.
WINDOW = ("2026-11-10T00:00:00Z", "2026-11-20T00:00:00Z")
AROUND = [
    {"job": {"id": jid, "name": "RestartMysqlInstance", "status": status,
             "created": created, **({"ended": ended} if ended else {})}}
    for jid, status, created, ended in [
        ("inside", "Completed", "2026-11-12T00:00:00Z", "2026-11-12T00:05:00Z"),
        ("running", "Running", "2026-11-15T00:00:00Z", None),
        ("ends-after", "Completed", "2026-11-19T23:00:00Z", "2026-11-21T01:00:00Z"),
        ("ends-inside", "Completed", "2026-11-09T23:00:00Z", "2026-11-10T01:00:00Z"),
        ("after", "Completed", "2026-11-25T00:00:00Z", "2026-11-25T00:05:00Z"),
    ]
]  # fmt: skip


@pytest.mark.parametrize(
    ("reading", "listed"),
    [("created", ["ends-after", "running", "inside"]), ("literal", ["inside"])],
)
def test_task_time_filter_switch_reads_end_time_as_the_creation_or_the_end(reading, listed):
    lo, hi = (str(int(pd.Timestamp(t).timestamp() * 1000)) for t in WINDOW)
    with Emulator(AROUND, retention_days=None, task_time_filter=reading) as emu:
        body = get_tasklist(emu, start_time=lo, end_time=hi)
        everything = get_tasklist(emu)
    assert [t["id"] for t in body["tasks"]] == listed and body["total_count"] == len(listed)
    assert len(everything["tasks"]) == len(AROUND)  # no window: every job, either way


def test_task_time_filter_switch_is_checked():
    from rds_job_analytics import ConfigError

    with pytest.raises(ConfigError, match="task_time_filter"):
        Emulator([], task_time_filter="ended")


def test_emulator_counts_calls_per_endpoint():
    jobs = [
        {"job": {"id": f"j{i}", "status": "Completed", "created": f"2026-11-01T08:{i:02d}:00Z"}}
        for i in range(7)
    ]  # fmt: skip
    with Emulator(jobs, retention_days=None) as emu, emu.client(backoff=0.001) as client:
        client.get_job("j0")
        client.get_job("j1")
        assert len(list(client.list_tasks(limit=3))) == 7  # pages of 3, 3, 1, then empty
        assert emu.counts == {"jobs": 2, "tasklist": 4}
        emu.inject("503")
        client.get_job("j2")  # the fault is counted apart; the retry is a jobs call
        assert emu.counts == {"jobs": 3, "tasklist": 4, "fault:503": 1}
    with Emulator(jobs, retention_days=None, quota=1) as emu:
        client = emu.client(max_retries=0)
        client.get_job("j0")
        from rds_job_analytics import RateLimited

        with pytest.raises(RateLimited):
            list(client.list_tasks())
        assert emu.counts == {"jobs": 1, "429": 1}  # a throttled call is no tasklist call


def test_task_of_takes_the_job_field_by_field():
    job = {"id": "j", "progress": "5%", "ended": "", " created ": "2026-11-01T00:00:00Z"}
    task = task_of(job)
    assert task[" create_time "] == "2026-11-01T00:00:00Z" and "create_time" not in task
    assert (task["process"], task["end_time"], task["status"]) == ("5%", "", None)
    assert task_of({"name": "x"}, "fallback")["id"] == "fallback"

"""The emulator's HTTP answers: retention, quota, password login, AK/SK signatures and
their clock, the task list's parameters and filters, injected faults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import requests

from rds_job_analytics import (
    PasswordAuth,
    TokenAuth,
    load_sample,
)
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator
from rds_job_analytics.normalize.schema import strip_job_id
from rds_job_analytics.synth import SAMPLE_END


def signed_get(emu, sk, signed_at, *, ak="AKEXAMPLE"):
    """GET one job signed by the official signer with a hand-made X-Sdk-Date."""
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    class Cred:
        pass

    cred = Cred()
    cred.ak, cred.sk = ak, sk
    path, query = f"/v3/{DEMO_PROJECT}/jobs", [("id", emu.job_ids()[0])]
    headers = {"Content-Type": "application/json", "X-Project-Id": DEMO_PROJECT,
               "X-Sdk-Date": signed_at.strftime("%Y%m%dT%H%M%SZ")}  # fmt: skip
    req = SdkRequest(method="GET", schema="http", host=emu.url.split("//")[1], resource_path=path,
                     query_params=query, header_params=headers, body="")  # fmt: skip
    signed = dict(Signer(cred).sign(req).header_params)
    signed.pop("Host")
    return requests.get(emu.url + path, params=query, headers=signed, timeout=10)


def tasklist(emu, **params):
    """One raw task-list call (requests: the client would refuse what these tests send)."""
    return requests.get(f"{emu.url}/v3/{DEMO_PROJECT}/tasklist", params=params,
                        headers={"X-Auth-Token": DEMO_TOKEN}, timeout=10)  # fmt: skip


def test_emulator_retention_window_and_quota():
    now = datetime(2026, 11, 14, tzinfo=UTC)
    with Emulator(retention_days=30, now=now, quota=5, quota_window=60) as emu:
        visible = emu.job_ids()
        assert 0 < len(visible) < 5000
        old = load_sample().sort_values("created")["job_id"].iloc[0]
        client = emu.client(max_retries=0)
        from rds_job_analytics import JobNotFound, RateLimited

        with pytest.raises(JobNotFound):
            client.get_job(old)
        for jid in visible[:4]:
            client.get_job(jid)
        with pytest.raises(RateLimited) as info:
            client.get_job(visible[5])
        assert info.value.retry_after and info.value.retry_after > 0


def test_emulator_password_login(emu):
    from rds_job_analytics.emulator import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_USER

    auth = PasswordAuth(DEMO_USER, DEMO_PASSWORD, DEMO_DOMAIN, iam_endpoint=emu.url)
    assert "job" in emu.client(auth=auth).get_job(emu.job_ids()[0])
    from rds_job_analytics import AuthError

    with pytest.raises(AuthError):
        emu.client(auth=TokenAuth("wrong")).get_job(emu.job_ids()[0])


def test_aksk_signed_requests_verified_by_emulator():
    pytest.importorskip("huaweicloudsdkcore")
    from rds_job_analytics import AkSkAuth, AuthError

    with Emulator(retention_days=None, aksk={"AKEXAMPLE": "sk-secret"}) as emu:
        jid = emu.job_ids()[0]
        assert "job" in emu.client(auth=AkSkAuth("AKEXAMPLE", "sk-secret")).get_job(jid)
        with pytest.raises(AuthError):
            emu.client(auth=AkSkAuth("AKEXAMPLE", "wrong-sk")).get_job(jid)
        with pytest.raises(AuthError):
            emu.client(auth=AkSkAuth("AKOTHER", "sk-secret")).get_job(jid)


@pytest.mark.parametrize(
    ("skew_min", "status"), [(0, 200), (14, 200), (-14, 200), (16, 401), (-16, 401), (-600, 401)]
)
def test_emulator_refuses_aksk_signatures_more_than_15_minutes_off(skew_min, status):
    pytest.importorskip("huaweicloudsdkcore")
    clock = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)  # the emulator's clock, fixed
    with Emulator(retention_days=None, now=clock, aksk={"AKEXAMPLE": "sk-secret"}) as emu:
        resp = signed_get(emu, "sk-secret", clock + timedelta(minutes=skew_min))
        assert resp.status_code == status, resp.text
        if status == 401:
            assert resp.json()["error_code"] == "APIGW.0301"
            assert "15 minutes" in resp.json()["error_msg"]
        bad = signed_get(emu, "wrong-sk", clock + timedelta(minutes=skew_min))
        assert bad.status_code == 401  # a fresh date never excuses a bad signature


def test_aksk_client_with_a_skewed_clock_is_refused(monkeypatch):
    pytest.importorskip("huaweicloudsdkcore")
    import huaweicloudsdkcore.signer.signer as signer_module

    from rds_job_analytics import AkSkAuth, AuthError

    real = signer_module.datetime

    class SlowClock(real):
        @classmethod
        def utcnow(cls):
            return real.now(UTC).replace(tzinfo=None) - timedelta(minutes=20)

    with Emulator(retention_days=None, aksk={"AKEXAMPLE": "sk-secret"}) as emu:
        client = emu.client(auth=AkSkAuth("AKEXAMPLE", "sk-secret"))
        jid = emu.job_ids()[0]
        assert "job" in client.get_job(jid)  # the real clock: accepted
        monkeypatch.setattr(signer_module, "datetime", SlowClock)
        with pytest.raises(AuthError) as info:
            client.get_job(jid)
    assert info.value.error_code == "APIGW.0301" and "15 minutes" in info.value.error_msg
    assert "sk-secret" not in str(info.value)


def test_emulator_task_list_status_filter_reads_every_spelling():
    spellings = {"a": "Completed", "b": "Complete", "c": " completed ", "d": "Failed",
                 "e": "FAIL", "f": "Running"}  # fmt: skip
    jobs = [
        {"job": {"id": jid, "status": status, "created": "2026-11-01T08:00:00+0000"}}
        for jid, status in spellings.items()
    ]
    with Emulator(jobs, retention_days=None) as emu, emu.client() as client:
        for asked in ("Completed", "completed", "Complete", "SUCCESS"):
            assert sorted(t["id"] for t in client.list_tasks(status=asked)) == ["a", "b", "c"]
        assert sorted(t["id"] for t in client.list_tasks(status="failed")) == ["d", "e"]
        assert [t["id"] for t in client.list_tasks(status="Running")] == ["f"]
        assert list(client.list_tasks(status="Pending")) == []
        assert [t["id"] for t in client.list_tasks(id=" b ")] == ["b"]
        raw = requests.get(f"{emu.url}/v3/{DEMO_PROJECT}/jobs", params={"id": " a "},
                           headers={"X-Auth-Token": DEMO_TOKEN}, timeout=10)  # fmt: skip
        assert raw.status_code == 200 and raw.json()["job"]["id"] == "a"  # the job-ID rule


@pytest.mark.parametrize(
    "params, says",
    [
        ({"start_time": "abc", "end_time": "1793000000000"}, "start_time must be epoch ms"),
        ({"start_time": "1790000000000", "end_time": "1.5e12"}, "end_time must be epoch ms"),
        ({"start_time": "1790000000000", "end_time": "9" * 25}, "end_time must be epoch ms"),
        ({"start_time": "", "end_time": ""}, "start_time must be epoch ms"),
        ({"offset": "-1"}, "offset must be 0 or more"),
        ({"limit": "51"}, "limit must be 1..50"),
        ({"offset": "x"}, "offset/limit"),
    ],
)  # fmt: skip
def test_emulator_answers_a_bad_task_list_parameter_with_400_naming_it(emu, params, says):
    resp = tasklist(emu, **params)  # an answer, not a closed connection
    assert resp.status_code == 400
    body = resp.json()
    assert body["error_code"] == "DBS.280001"
    assert says.replace("epoch ms", "epoch milliseconds") in body["error_msg"]
    assert tasklist(emu, limit="1").status_code == 200  # the handler lives on


def test_emulator_task_records_vary_instance_status_and_order_id(emu):
    from rds_job_analytics.emulator import INSTANCE_STATUSES, task_of

    tasks = [t for offset in range(0, 2000, 50)
             for t in tasklist(emu, offset=offset, limit=50).json()["tasks"]]  # fmt: skip
    statuses = pd.Series([t["instance_status"] for t in tasks])
    assert set(statuses) <= set(INSTANCE_STATUSES) and statuses.nunique() >= 8
    assert 0.5 < (statuses == "ACTIVE").mean() < 0.9  # mostly ACTIVE, as in life
    orders = pd.Series([t["order_id"] for t in tasks])
    assert 0.1 < (orders != "").mean() < 0.5 and orders[orders != ""].str.startswith("CS").all()
    ids = [strip_job_id(t["id"]) for t in tasks[:200]]
    again = [task_of(emu.jobs[jid][0]["job"], jid) for jid in ids]
    assert [(t["instance_status"], t["order_id"]) for t in again] == [
        (t["instance_status"], t["order_id"]) for t in tasks[:200]
    ]  # a pure function of the job: the same on every run
    kept = task_of({"id": "j1", "instance_status": "FROZEN", "order_id": "o1"})
    assert (kept["instance_status"], kept["order_id"]) == ("FROZEN", "o1")  # the record wins


@pytest.mark.slow  # two emulators of the whole sample (about 1.5 s)
def test_the_default_emulator_serves_the_sample_moved_to_end_today(emu):
    """`Emulator()` keeps 30 days: the sample's dates move by whole days so its newest job
    is from the last day of the clock, whatever the date; the same for the same clock."""
    later = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    with Emulator(now=later) as moved, moved.client() as client:
        days = moved.sample_shift_days
        assert days == (later - SAMPLE_END) // timedelta(days=1)
        visible = moved.job_ids()
        assert 1000 < len(visible) < 5000
        newest = client.get_job(visible[-1])["job"]
        assert later - timedelta(days=1) < pd.Timestamp(newest["created"]) <= later
        tasks = client.list_tasks(start=later - timedelta(days=2), end=later)
        assert strip_job_id(next(iter(tasks))["id"]) in visible[-40:]
    again = Emulator(now=later)  # deterministic under the clock
    assert again.sample_shift_days == days and again.job_ids() == visible
    first = emu.jobs[visible[0]][0]["job"]  # the fixture: no retention, the sample's own dates
    shifted = moved.jobs[visible[0]][0]["job"]
    assert shifted["created"][10:] == first["created"][10:]  # time and offset as they were
    assert pd.Timestamp(shifted["created"]) - pd.Timestamp(first["created"]) == timedelta(days)
    assert emu.sample_shift_days == 0


def test_emulator_faults_are_checked():
    from rds_job_analytics import ConfigError

    with pytest.raises(ConfigError, match="fault must be one of '500'"):
        Emulator([]).inject("teapot")


def test_emulator_load_reads_creation_times_as_one_record_alone_would():
    """load() converts all creation times in one call; one that call cannot hold (beyond
    the nanosecond range a nanosecond time in the batch brings) is still read, as it would be
    alone; a bad or missing one is None."""
    emu = Emulator(
        [
            {"job": {"id": "a", "status": "Running", "created": "2026-01-01T08:00:00+0800"}},
            {"job": {"id": "n", "status": "Running", "created": "2026-01-01T01:00:00.000000001Z"}},
            {"job": {"id": "b", "status": "Running", "created": "2262-05-01T00:00:00Z"}},
            {"job": {"id": "c", "status": "Running", "created": "junk"}},
            {"job": {"id": "d", "status": "Running"}},
        ],
        retention_days=None,
    )
    created = {jid: at for jid, (_, at) in emu.jobs.items()}
    assert created["a"] == pd.Timestamp("2026-01-01", tz="UTC")
    assert created["n"] == pd.Timestamp("2026-01-01T01:00:00.000000001Z")  # a ns batch, so
    assert created["b"] == pd.Timestamp("2262-05-01T00:00:00Z")  # this one is read alone
    assert created["c"] is None and created["d"] is None
    assert emu.job_ids() == ["a", "n", "b", "c", "d"]

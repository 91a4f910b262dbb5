"""fetch_jobs, JobArchive, sync_jobs and the CLI against the emulator over loopback HTTP."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import requests

from rds_job_analytics import (
    JOB_SCHEMA,
    FetchError,
    FetchWarning,
    JobArchive,
    PasswordAuth,
    TokenAuth,
    fetch_jobs,
    load_sample,
    sync_jobs,
)
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator
from rds_job_analytics.export import write_frame
from rds_job_analytics.normalize.schema import TERMINAL_STATUSES, strip_job_id
from rds_job_analytics.synth import SAMPLE_END, SAMPLE_START
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def emu():
    with Emulator(retention_days=None) as e:
        yield e


def fast_client(emu, **kw):
    kw.setdefault("backoff", 0.001)
    kw.setdefault("max_workers", 8)
    return emu.client(**kw)


@pytest.mark.slow
def test_batch_with_faults_ends_with_every_id_accounted_for(tmp_path):
    rates = {"503": 0.05, "429": 0.05, "drop": 0.03, "truncate": 0.03, "html": 0.03}
    with Emulator(retention_days=None, fault_rates=rates, seed=7) as emu:
        ids = [*emu.job_ids()[:300], "00000000-dead-beef-0000-000000000000", "   "]
        arc = JobArchive(tmp_path / "a.sqlite")
        with pytest.warns(FetchWarning, match="2 of 302"):
            df = fetch_jobs(ids, client=fast_client(emu, max_retries=8), archive=arc)
        assert sum(v for k, v in emu.counts.items() if k.startswith("fault:")) > 30
    assert len(df) == 302  # the blank one is reported as an error row
    assert list(df.columns) == [*JOB_SCHEMA, "fetch_status", "fetch_error"]
    assert (df["fetch_status"] == "ok").sum() == 300
    bad = df[df["fetch_status"] != "ok"].set_index("job_id")
    assert bad.loc["00000000-dead-beef-0000-000000000000", "fetch_status"] == "not_found"
    assert "DBS.200543" in bad.loc["00000000-dead-beef-0000-000000000000", "fetch_error"]
    assert bad.loc["'   '", "fetch_status"] == "error"
    assert len(arc) == 300
    sample = load_sample().set_index("job_id")
    ok = df[df["fetch_status"] == "ok"].set_index("job_id")
    pd.testing.assert_series_equal(
        ok["status"], sample.loc[ok.index, "status"], check_categorical=False
    )


def test_errors_raise_carries_partial_frame(emu):
    ids = [emu.job_ids()[0], "missing-id"]
    with pytest.raises(FetchError) as info:
        fetch_jobs(ids, client=fast_client(emu), errors="raise")
    assert info.value.frame["fetch_status"].tolist() == ["ok", "not_found"]
    assert info.value.failures["job_id"].tolist() == ["missing-id"]


def test_interrupted_batch_rerun_fetches_no_archived_terminal_job(emu, tmp_path):
    ids = emu.job_ids()[:120]
    path = tmp_path / "a.sqlite"
    arc = JobArchive(path)
    client = fast_client(emu, max_workers=4)
    real = client.get_job
    n = {"calls": 0}
    lock = threading.Lock()

    def dying(jid):
        with lock:
            n["calls"] += 1
            if n["calls"] > 50:
                raise KeyboardInterrupt  # the user hits Ctrl-C mid-batch
        return real(jid)

    client.get_job = dying
    with pytest.raises(KeyboardInterrupt):
        fetch_jobs(ids, client=client, archive=arc, errors="ignore")
    arc.close()
    archived = JobArchive(path).statuses(DEMO_PROJECT)
    assert 30 <= len(archived) <= 50  # what arrived before Ctrl-C was committed
    client2 = fast_client(emu)
    df = fetch_jobs(ids, client=client2, archive=JobArchive(path))
    terminal = [j for j, s in archived.items() if s in TERMINAL_STATUSES]
    assert terminal  # else the rerun's call count proves nothing
    assert client2.calls == len(ids) - len(terminal)
    assert (df["fetch_status"] == "ok").all()


def test_archive_never_downgrades_and_holds_no_secret(emu, tmp_path):
    path = tmp_path / "a.sqlite"
    arc = JobArchive(path)
    df = fetch_jobs(emu.job_ids()[:20], client=fast_client(emu), archive=arc)
    assert len(df) == 20
    jid = df.loc[df["status"].isin(TERMINAL_STATUSES), "job_id"].iloc[0]
    before = arc.statuses(DEMO_PROJECT)[jid]
    raw_before = arc.raw(DEMO_PROJECT, [jid])[jid]
    assert before in TERMINAL_STATUSES
    assert arc.put({"job": {"id": jid, "status": "Running"}}, project_id=DEMO_PROJECT) is False
    assert arc.statuses(DEMO_PROJECT)[jid] == before  # the terminal status stays
    assert arc.raw(DEMO_PROJECT, [jid])[jid] == raw_before
    arc.close()
    for f in tmp_path.iterdir():
        assert DEMO_TOKEN.encode() not in f.read_bytes()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_to_frame_window_and_export(emu, tmp_path):
    arc = JobArchive(tmp_path / "a.sqlite")
    fetch_jobs(emu.job_ids()[:200], client=fast_client(emu), archive=arc)
    full = arc.to_frame()
    assert list(full.columns) == list(JOB_SCHEMA)
    assert set(full["project_id"]) == {emu.project_id}
    mid = full["created"].sort_values().iloc[100]
    part = arc.to_frame(start=mid)
    assert len(part) == (full["created"] >= mid).sum()
    empty = arc.to_frame(start="2000-01-01", end="2000-01-02")
    assert len(empty) == 0 and list(empty.columns) == list(full.columns)
    pq = write_frame(arc.to_frame(), tmp_path / "jobs.parquet")
    back = pd.read_parquet(pq)
    assert len(back) == 200 and back["created"].dt.tz is not None
    csv = write_frame(arc.to_frame(), tmp_path / "jobs.csv")
    assert len(pd.read_csv(csv)) == 200


@pytest.mark.slow  # the whole sample: 5,000 detail calls
def test_sync_then_incremental_sync_spends_only_list_and_running_calls(tmp_path):
    with Emulator(retention_days=None) as emu:
        client = fast_client(emu)
        arc = JobArchive(tmp_path / "a.sqlite")
        until = SAMPLE_END + timedelta(hours=1)
        first = sync_jobs(client, arc, since=SAMPLE_START, until=until, details="all",
                          horizon=None, progress=False)  # fmt: skip
        assert first.listed == 5000 and first.failed == 0 and len(arc) == 5000
        list_calls = -(-5000 // 50) + 1
        assert first.calls == list_calls + 5000
        second = sync_jobs(client, arc, since=SAMPLE_START, until=until, details="all",
                           horizon=None, progress=False)  # fmt: skip
        running = sum(1 for s in arc.statuses(DEMO_PROJECT).values() if s not in TERMINAL_STATUSES)
        assert second.calls == list_calls + running
        assert len(arc.syncs(DEMO_PROJECT)) == 2


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


def test_no_secret_in_logs_during_a_batch(emu, caplog):
    caplog.set_level(logging.DEBUG)
    fetch_jobs(emu.job_ids()[:10], client=fast_client(emu))
    assert DEMO_TOKEN not in caplog.text


def run_cli(*args, stdin=None, env_extra=None):
    import os

    env = {**os.environ, "RDS_JOBS_TOKEN": DEMO_TOKEN, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "rds_job_analytics.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)  # fmt: skip


@pytest.mark.slow
def test_cli_fetch_exit_codes_and_summary(emu, tmp_path):
    common = ["--endpoint", emu.url, "--project-id", DEMO_PROJECT, "--rate-limit", "500"]
    ids = emu.job_ids()[:3]
    ok = run_cli("fetch", *ids, *common)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().splitlines()[-1].startswith("fetched 3/3 jobs, 0 failed")
    partial = run_cli("fetch", "--file", "-", *common, stdin="\n".join([*ids, "nope"]))
    assert partial.returncode == 1 and "nope: not_found" in partial.stderr
    failed = run_cli("fetch", "nope", *common)
    assert failed.returncode == 2
    usage = run_cli("fetch", "x", "--endpoint", emu.url)
    assert usage.returncode == 64 and "project-id" in usage.stderr
    for r in (ok, partial, failed, usage):
        assert DEMO_TOKEN not in r.stdout + r.stderr


@pytest.mark.slow
def test_cli_sync_and_export(emu, tmp_path):
    db = tmp_path / "a.sqlite"
    common = ["--endpoint", emu.url, "--project-id", DEMO_PROJECT, "--rate-limit", "1000"]
    r = run_cli(
        "sync",
        "--archive",
        str(db),
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-15",
        "--horizon-days",
        "0",
        *common,
    )
    assert r.returncode == 0, r.stderr
    assert "listed" in r.stdout
    out = tmp_path / "x.parquet"
    e = run_cli("export", "--archive", str(db), "-o", str(out))
    assert e.returncode == 0 and out.exists()
    n = len(pd.read_parquet(out))
    assert n == len(JobArchive(db))
    assert run_cli("--help").returncode == 0
    for sub in ("fetch", "sync", "export", "emulator", "demo"):
        h = run_cli(sub, "--help")
        assert h.returncode == 0 and "usage" in h.stdout


@pytest.mark.slow
def test_cli_report_from_archive(emu, tmp_path):
    db = tmp_path / "a.sqlite"
    common = ["--endpoint", emu.url, "--project-id", DEMO_PROJECT, "--rate-limit", "1000"]
    assert (
        run_cli(
            "sync",
            "--archive",
            str(db),
            "--since",
            "2026-10-25",
            "--until",
            "2026-11-15",
            "--horizon-days",
            "0",
            *common,
        ).returncode
        == 0
    )
    out = tmp_path / "r.html"
    r = run_cli("report", "--archive", str(db), "--month", "2026-11", "-o", str(out))
    assert r.returncode == 1, r.stderr  # written, but a cron must not take it as complete
    assert "report for 2026-11" in r.stdout
    assert "rds-jobs: report incomplete: " in r.stderr and "2026-11" in r.stderr
    html = out.read_text()
    assert "RDS reliability report - November 2026" in html
    assert "the whole month is covered" not in html  # the sync stopped on Nov 15: a gap
    full = run_cli("sync", "--archive", str(db), "--since", "2026-09-30", "--until",
                   "2026-11-02", "--horizon-days", "0", *common)  # fmt: skip
    assert full.returncode == 0, full.stderr
    october = run_cli("report", "--archive", str(db), "--month", "2026-10", "-o", str(out))
    assert october.returncode == 0, october.stderr  # the whole month covered: a clean exit
    assert "incomplete" not in october.stderr
    bad = run_cli("report", "--archive", str(db), "--month", "11/2026")
    assert bad.returncode == 64 and "YYYY-MM" in bad.stderr


@pytest.mark.slow
def test_cli_demo_end_to_end(tmp_path):
    r = run_cli("demo", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    # the demo estate: 2 accounts, 3 regions, 900 jobs, each project synced and reported
    assert "2 accounts, 3 projects in 3 regions (ap-southeast-1, cn-north-4, eu-west-101)" in (
        r.stdout
    )
    rows = [line.split() for line in r.stdout.splitlines() if line.split()[:1] in (
        ["prod"], ["analytics"])]  # fmt: skip
    assert [(row[0], row[1], row[3]) for row in rows] == [
        ("prod", "cn-north-4", "ok"), ("prod", "ap-southeast-1", "ok"),
        ("analytics", "eu-west-101", "ok"),
    ]  # fmt: skip
    assert sum(int(row[4]) for row in rows) == 900  # listed
    assert "total: 900 jobs" in r.stdout
    html = (tmp_path / "rds-reliability-2026-10.html").read_text()
    assert "By region" in html and "eu-west-101" in html  # the estate, split by origin
    with JobArchive.open(tmp_path / "demo_archive.sqlite") as arc:
        df = arc.to_frame()
    assert set(df["account"]) == {"prod", "analytics"} and df["region"].nunique() == 3


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


def tasklist(emu, **params):
    """One raw task-list call (requests: the client would refuse what these tests send)."""
    return requests.get(f"{emu.url}/v3/{DEMO_PROJECT}/tasklist", params=params,
                        headers={"X-Auth-Token": DEMO_TOKEN}, timeout=10)  # fmt: skip


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


def test_sync_rejects_a_bad_errors_value_before_any_call(emu):
    client = fast_client(emu)
    with pytest.raises(ValueError, match="errors must be one of 'warn', 'raise', 'ignore'"):
        sync_jobs(client, JobArchive(":memory:"), errors="loud")
    assert client.calls == 0


def test_progress_bar_when_asked_and_quiet_by_default(emu, capsys):
    fetch_jobs(emu.job_ids()[:5], client=fast_client(emu), progress=True)
    assert "jobs: 100%" in capsys.readouterr().err
    fetch_jobs(emu.job_ids()[5:10], client=fast_client(emu))  # not a terminal here: quiet
    assert "jobs:" not in capsys.readouterr().err


def test_refresh_modes(emu, tmp_path):
    arc = JobArchive(tmp_path / "a.sqlite")
    ids = emu.job_ids()[:10]
    fetch_jobs(ids, client=fast_client(emu), archive=arc)
    jid = ids[1]
    # make one archived job look Running (as if fetched mid-flight)
    arc._db.execute("UPDATE jobs SET status='Running', terminal=0 WHERE job_id=?", (jid,))
    for mode, expected_calls in (("none", 0), ("running", 1), ("all", 10)):
        c = fast_client(emu)
        df = fetch_jobs(ids, client=c, archive=arc, refresh=mode)
        assert c.calls == expected_calls, mode
        assert (df["fetch_status"] == "ok").all()
        arc._db.execute("UPDATE jobs SET status='Running', terminal=0 WHERE job_id=?", (jid,))
    with pytest.raises(ValueError, match="refresh must be"):
        fetch_jobs(ids, client=fast_client(emu), refresh="sometimes")


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

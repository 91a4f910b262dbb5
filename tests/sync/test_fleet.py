"""The fleet: file validation, shared quota, project leases, origin columns, sync_fleet.

Projects are served by one single-project emulator each (endpoint overrides), so the
fleet machinery is tested apart from the multi-account emulator.
"""

from __future__ import annotations

import itertools
import multiprocessing
import sqlite3
import threading
import time
from datetime import UTC, datetime

import pandas as pd
import pytest

from rds_job_analytics import JOB_SCHEMA, ConfigError, JobArchive, ProjectBusy, sync_jobs
from rds_job_analytics.emulator import DEMO_TOKEN, Emulator
from rds_job_analytics.quota import SharedTokenBucket, bucket_path
from rds_job_analytics.store import SCHEMA_VERSION
from rds_job_analytics.sync import FleetResult, load_fleet, sync_fleet
from rds_job_analytics.synth import generate_jobs

P1, P2, P3 = "1" * 32, "2" * 32, "3" * 32
SINCE, UNTIL = datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)


def fleet_text(endpoints: dict[str, str], *, token_var: str = "T_PROD") -> str:
    return f"""
# two accounts
[accounts.prod]
auth = "token"
env = {{ token = "{token_var}" }}
rate_limit = 500

[[accounts.prod.projects]]
region = "cn-north-4"
project_id = "{P1}"
endpoint = "{endpoints[P1]}"

[[accounts.prod.projects]]
region = "ap-southeast-1"
project_id = "{P2}"
endpoint = "{endpoints[P2]}"

[accounts.analytics]
auth = "token"
env = {{ token = "T_ANALYTICS" }}
rate_limit = 500

[[accounts.analytics.projects]]
region = "eu-west-101"
project_id = "{P3}"
endpoint = "{endpoints[P3]}"
"""


@pytest.fixture
def emulators():
    emus = {}
    for i, pid in enumerate((P1, P2, P3)):
        jobs = generate_jobs(60, seed=100 + i, quirk_rate=0)
        for j in jobs:  # distinct IDs per project
            j["job"]["id"] = f"{i}{j['job']['id'][1:]}"
        emus[pid] = Emulator(jobs, project_id=pid, retention_days=None).start()
    yield emus
    for e in emus.values():
        e.stop()


ENV = {"T_PROD": DEMO_TOKEN, "T_ANALYTICS": DEMO_TOKEN}


def test_missing_variable_is_named_before_any_call(emulators, tmp_path):
    fleet = load_fleet(fleet_text({p: e.url for p, e in emulators.items()}))
    with JobArchive(tmp_path / "a.sqlite") as arc, pytest.raises(ConfigError) as info:
        sync_fleet(fleet, arc, environ={"T_PROD": DEMO_TOKEN}, horizon=None)
    assert (
        "<fleet> line 20: accounts.analytics.env.token: environment variable T_ANALYTICS "
        "is not set" in str(info.value)
    )
    assert all(not e.counts for e in emulators.values())  # not one call


# -- the shared quota bucket -------------------------------------------------------------
def _hammer(path: str, n: int, rate: float, out, now, start) -> None:
    """``n`` calls through a bucket on ``path`` on a clock shared by the processes (``now``,
    a shared double): a wait moves it to the waiter's slot instead of sleeping. Each call
    puts the slot it reserved (its send time, without the scheduler's jitter)."""
    bucket = SharedTokenBucket(path, rate=rate)
    read = [0.0]

    def clock() -> float:
        read[0] = now.value
        return read[0]

    def sleep(wait: float) -> float:
        with now.get_lock():  # time moves on to the latest wake-up asked for
            now.value = max(now.value, read[0] + max(wait, 0.0))
        return max(wait, 0.0)

    step = bucket._next

    def reserve(tat: float, at: float, where: str) -> tuple[float, float, bool]:
        new, wait, reserved = step(tat, at, where)
        if reserved:
            out.put(at + wait)  # the slot: when this call goes
        return new, wait, reserved

    bucket._clock, bucket._sleep, bucket._next = clock, sleep, reserve
    start.wait(60)  # both processes at once (each started in its own time)
    for _ in range(n):
        bucket.acquire()


@pytest.mark.slow
def test_shared_bucket_paces_processes_together(tmp_path):
    """Two processes on one bucket file: together they keep the rate (not double it). Time
    is a clock the processes share and move (no sleeping): the calls' times are the slots
    the shared state handed out, so two processes that each kept their own state would
    get the same slots."""
    path = str(bucket_path("ak:AKEXAMPLE", tmp_path))
    rate, n = 40.0, 30
    ctx = multiprocessing.get_context("spawn")
    q, now, start = ctx.Queue(), ctx.Value("d", 1_000_000.0), ctx.Barrier(2)
    procs = [ctx.Process(target=_hammer, args=(path, n, rate, q, now, start)) for _ in range(2)]
    for p in procs:
        p.start()
    times = sorted(q.get(timeout=60) for _ in range(2 * n))
    for p in procs:
        p.join(timeout=30)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert achieved <= rate * 1.15, achieved  # one rate for both, not 2x
    assert sum(g < 0.5 / rate for g in gaps) == 0  # no two calls back to back


def test_bucket_path_never_holds_the_credential(tmp_path):
    p = bucket_path("token:eyJ-super-secret", tmp_path)
    assert "secret" not in str(p) and p.parent == tmp_path
    assert bucket_path("token:a", tmp_path) != bucket_path("token:b", tmp_path)


def test_shared_bucket_refuses_nan_rate(tmp_path):
    with pytest.raises(ConfigError, match="finite"):
        SharedTokenBucket(tmp_path / "b", rate=float("nan"))


def _fake_time(bucket, clock: list[float]) -> None:
    """Run ``bucket`` (and the buckets it chains) on the clock ``clock[0]``: a wait
    advances it instead of sleeping."""

    def sleep(wait: float) -> float:
        clock[0] += max(wait, 0.0)
        return max(wait, 0.0)

    for b in (bucket, *getattr(bucket, "buckets", ())):
        b._clock = lambda: clock[0]
        b._sleep = sleep


def test_archives_in_different_folders_share_the_machines_bucket(tmp_path, _state_dir):
    """One bucket per credential per machine: archives in two folders (and in memory)
    pace through the same state file, in the user's state folder."""
    from rds_job_analytics.quota import bucket_for

    buckets = []
    for name in ("a", "b"):
        with JobArchive(tmp_path / name / "jobs.sqlite") as arc:
            buckets.append(bucket_for(arc, "ak:AKEXAMPLE", 1.0))
    with JobArchive(":memory:") as arc:
        buckets.append(bucket_for(arc, "ak:AKEXAMPLE", 1.0))
    assert {b.path for b in buckets} == {bucket_path("ak:AKEXAMPLE")}
    assert buckets[0].path.parent == _state_dir / "quota"


def test_state_folder_follows_xdg_without_the_override(monkeypatch, tmp_path):
    from rds_job_analytics.quota import state_dir

    monkeypatch.delenv("RDS_JOBS_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_dir() == tmp_path / "xdg" / "rds-jobs"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_dir() == tmp_path / "home" / ".local" / "state" / "rds-jobs"


def test_a_chain_of_machine_and_database_buckets_keeps_one_rate(tmp_path):
    """The machine's bucket then the database's, in series: ten calls at rate r take
    nine intervals, not half (two rates added) nor double (waits added)."""
    from rds_job_analytics.quota import BucketChain
    from rds_job_analytics.store._dbquota import DbTokenBucket

    clock = [1_000_000.0]
    with JobArchive(tmp_path / "a.sqlite") as arc:
        chain = BucketChain(
            SharedTokenBucket(bucket_path("ak:AK", tmp_path), rate=2.0),
            DbTokenBucket(arc, "ak:AK", rate=2.0),
        )
        _fake_time(chain, clock)
        waits = [chain.acquire() for _ in range(10)]
    assert sum(waits) == pytest.approx(9 * 0.5)
    assert clock[0] - 1_000_000.0 == pytest.approx(4.5)


@pytest.mark.parametrize("kind", ["file", "database"])
@pytest.mark.parametrize("ahead", [60.0, 3500.0])
def test_a_quota_state_ahead_of_the_clock_is_repaired_and_said(tmp_path, kind, ahead):
    """A clock that stepped back leaves the state ahead of it: the bucket does not stall
    (60 s or an hour), it resets the state with a QuotaWarning and paces on from now."""
    from rds_job_analytics.exceptions import QuotaWarning
    from rds_job_analytics.store._dbquota import DbTokenBucket

    clock = [1_000_000.0]
    with JobArchive(tmp_path / "a.sqlite") as arc:
        make = {
            "file": lambda: SharedTokenBucket(bucket_path("ak:AK", tmp_path), rate=1.0),
            "database": lambda: DbTokenBucket(arc, "ak:AK", rate=1.0),
        }[kind]
        first = make()
        _fake_time(first, [clock[0] + ahead])  # the state written before the clock went back
        first.acquire()
        bucket = make()
        _fake_time(bucket, clock)
        with pytest.warns(QuotaWarning, match=r"ahead of the clock .*reset"):
            waited = bucket.acquire()
        later = [bucket.acquire() for _ in range(3)]
    assert waited == 0.0  # no stall
    assert later == pytest.approx([1.0, 1.0, 1.0])  # and pacing goes on from now
    assert clock[0] - 1_000_000.0 == pytest.approx(3.0)


def test_many_waiting_workers_never_look_like_a_state_ahead(tmp_path, recwarn):
    """Forty threads on one bucket: none reserves more than a few intervals ahead, so a
    deep queue is never mistaken for a clock that stepped back (no reset, no warning)."""
    from rds_job_analytics.exceptions import QuotaWarning
    from rds_job_analytics.quota import QUOTA_MAX_WAIT_INTERVALS

    bucket = SharedTokenBucket(bucket_path("ak:AK", tmp_path), rate=400.0)
    waits: list[float] = []
    threads = [threading.Thread(target=lambda: waits.append(bucket.acquire())) for _ in range(40)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(waits) == 40 and not [w for w in recwarn if w.category is QuotaWarning]
    assert time.monotonic() - start >= 39 / 400 * 0.9  # still paced as one
    full = 100.0 + (QUOTA_MAX_WAIT_INTERVALS + 1) * bucket.interval
    assert bucket._next(full, 100.0, "x") == (full, pytest.approx(bucket.interval), False)


def _throttled_when_sharing(archives: list) -> tuple[int, int]:
    """Fetch the same 16 jobs into each archive at once, one credential, each client
    pacing at 0.9x the emulator's sliding-window quota through what every command with
    an archive uses (the client built with ``cli``'s shared bucket): ``(HTTP 429s, calls)``."""
    from rds_job_analytics import TokenAuth, fetch_jobs
    from rds_job_analytics.cli._inputs import shared_bucket
    from rds_job_analytics.emulator import DEMO_TOKEN

    jobs = generate_jobs(16, seed=7, quirk_rate=0)
    quota, window = 15, 0.2  # 75 calls/s
    with Emulator(jobs, retention_days=None, quota=quota, quota_window=window) as emu:
        ids = emu.job_ids()
        clients = []
        for arc in archives:
            rate = 0.9 * quota / window
            auth = TokenAuth(DEMO_TOKEN)  # the identity every client here shares
            c = emu.client(rate_limit=rate, backoff=0.05, max_workers=4,
                           bucket=shared_bucket(auth, arc, rate))  # fmt: skip
            clients.append(c)
        threads = [
            threading.Thread(target=fetch_jobs, args=(c, ids),
                             kwargs={"archive": a, "progress": False})
            for c, a in zip(clients, archives, strict=True)
        ]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for c in clients:
            c.close()
        calls = sum(c.calls for c in clients)
        assert calls >= len(archives) * len(ids)
        return emu.counts.get("429", 0), calls


@pytest.mark.slow
def test_four_archives_in_four_folders_meet_no_429_at_the_quota(tmp_path):
    """Issue 26.1: four syncs of one credential into archives in four folders, at once,
    each pacing at 0.9x the quota: together 0 HTTP 429s (52 in 116 calls before)."""
    archives = [JobArchive(tmp_path / f"folder{i}" / "jobs.sqlite") for i in range(4)]
    try:
        throttled, calls = _throttled_when_sharing(archives)
    finally:
        for a in archives:
            a.close()
    assert throttled == 0, f"{throttled} HTTP 429s in {calls} calls"


@pytest.mark.slow
def test_two_postgresql_databases_meet_no_429_at_the_quota(pg_server):
    """Issue 26.1: two PostgreSQL archives (two databases) on one machine: their database
    buckets differ, the machine's bucket is one: 0 HTTP 429s."""
    urls = [pg_server.create_database() for _ in range(2)]
    archives = [JobArchive(u) for u in urls]
    try:
        throttled, calls = _throttled_when_sharing(archives)
    finally:
        for a in archives:
            a.close()
        for u in urls:
            pg_server.drop_database(u)
    assert throttled == 0, f"{throttled} HTTP 429s in {calls} calls"


def test_a_database_state_ahead_of_the_clock_is_repaired_on_either_backend(archive_url):
    """The database bucket reads the clock of the database (PostgreSQL: the server's):
    a state an hour ahead of it is reset with a QuotaWarning, not waited out."""
    from rds_job_analytics.exceptions import QuotaWarning
    from rds_job_analytics.store._dbquota import DbTokenBucket

    with JobArchive(archive_url) as arc:
        bucket = DbTokenBucket(arc, "ak:AK", rate=1.0)
        bucket.acquire()
        with arc._store.begin() as db:
            db.execute("UPDATE quota SET tat = tat + 3500")
        waited: list[float] = []
        worker = threading.Thread(target=lambda: waited.append(bucket.acquire()), daemon=True)
        try:
            with pytest.warns(QuotaWarning, match="ahead of the clock"):
                worker.start()
                worker.join(2)  # before the fix: an hour's silent wait
            stalled = worker.is_alive()
        finally:
            bucket.cancel()
            worker.join(5)
    assert not stalled and waited == [0.0]


# -- leases ---------------------------------------------------------------------------
def test_second_sync_of_a_project_skips_without_calls(emulators, tmp_path):
    emu = emulators[P1]
    with JobArchive(tmp_path / "a.sqlite") as arc, JobArchive(tmp_path / "a.sqlite") as other:
        held = other.claim(P1)  # another process's sync holds the project
        with emu.client() as client, pytest.raises(ProjectBusy, match=f"project {P1} is being"):
            sync_jobs(client, arc, since=SINCE, until=UNTIL, horizon=None, progress=False)
        assert client.calls == 0
        held.release()
        with emu.client() as client:
            res = sync_jobs(client, arc, since=SINCE, until=UNTIL, horizon=None, progress=False)
        assert res.listed == 60


def test_a_waiting_sync_goes_on_when_the_holder_finishes(tmp_path):
    arc = JobArchive(tmp_path / "a.sqlite")
    held = arc.claim("p")
    threading.Timer(0.3, held.release).start()
    t0 = time.monotonic()
    with arc.claim("p", wait=10):
        waited = time.monotonic() - t0
    assert 0.2 < waited < 10


def test_a_dead_holder_loses_its_lease(tmp_path):
    path = tmp_path / "a.sqlite"
    arc = JobArchive(path)
    with sqlite3.connect(path) as db:  # a process of this host that is gone (kill -9)
        db.execute(
            "INSERT INTO leases VALUES ('p', 'h:1', ?, 999999999, '2026-11-30T00:00:00', ?)",
            (__import__("socket").gethostname(), time.time() + 3600),
        )
    arc.claim("p").release()  # taken over at once
    with sqlite3.connect(path) as db:  # another host's live lease is respected until it expires
        db.execute(
            "INSERT INTO leases VALUES ('q', 'h:2', 'elsewhere', 1, '2026-11-30T00:00:00', ?)",
            (time.time() + 3600,),
        )
    with pytest.raises(ProjectBusy, match="elsewhere"):
        arc.claim("q")


# -- the archive's origin columns and layout version ------------------------------------
def test_old_archive_is_upgraded_and_newer_refused(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # a layout-1 archive, as version 0.1 wrote it
        db.executescript(
            """CREATE TABLE jobs (project_id TEXT NOT NULL, job_id TEXT NOT NULL, region TEXT,
               status TEXT, terminal INTEGER NOT NULL, created_ms INTEGER,
               fetched_at TEXT NOT NULL, raw BLOB NOT NULL, PRIMARY KEY (project_id, job_id));
               CREATE TABLE syncs (project_id TEXT NOT NULL, region TEXT, window_start TEXT
               NOT NULL, window_end TEXT NOT NULL, finished_at TEXT NOT NULL, listed INTEGER
               NOT NULL, fetched INTEGER NOT NULL, calls INTEGER NOT NULL);"""
        )
        db.execute(
            "INSERT INTO jobs VALUES ('p', 'j1', 'cn-north-4', 'Completed', 1, 0, 'x', ?)",
            (b'{"job": {"id": "j1", "status": "Completed"}}',),
        )
    with JobArchive.open(path) as arc:
        assert arc.version == SCHEMA_VERSION
        df = arc.to_frame()
        assert df[["job_id", "project_id", "region"]].values.tolist() == [["j1", "p", "cn-north-4"]]
        assert df["account"].isna().all()
        arc.put({"job": {"id": "j2", "status": "Running"}}, project_id="p", account="prod")
        after = arc.to_frame().set_index("job_id")["account"]
        assert after["j2"] == "prod" and pd.isna(after["j1"])
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    with pytest.raises(ConfigError, match="newer rds_job_analytics"):
        JobArchive.open(path)


def test_origin_columns_in_every_frame(emulators, tmp_path):
    from rds_job_analytics import empty_jobs_frame, fetch_jobs

    for col in ("account", "project_id", "region"):
        assert JOB_SCHEMA[col] == "category"
        assert empty_jobs_frame()[col].dtype == "category"
    emu = emulators[P2]
    with emu.client(region="ap-southeast-1") as client:
        df = fetch_jobs(client, emu.job_ids()[:3], account="prod", progress=False)
    assert set(df["account"]) == {"prod"} and set(df["project_id"]) == {P2}
    assert set(df["region"]) == {"ap-southeast-1"}
    with emu.client() as client:  # no region known: empty, not guessed
        none = fetch_jobs(client, [], progress=False)
    assert list(none.columns[: len(JOB_SCHEMA)]) == list(JOB_SCHEMA) and len(none) == 0


# -- sync_fleet -------------------------------------------------------------------------
def test_sync_fleet_syncs_every_project_into_one_archive(emulators, tmp_path, _state_dir):
    fleet = load_fleet(fleet_text({p: e.url for p, e in emulators.items()}))
    with JobArchive(tmp_path / "a.sqlite") as arc:
        res = sync_fleet(fleet, arc, environ=ENV, since=SINCE, until=UNTIL, horizon=None)
        df = arc.to_frame()
        syncs = arc.syncs()
    assert res.complete, str(res)
    table = res.table()
    assert table["listed"].tolist() == [60, 60, 60]
    assert (table["calls"] > 0).all() and (table["status"] == "ok").all()
    counts = df.groupby(["account", "region", "project_id"], observed=True).size()
    assert counts.to_dict() == {
        ("analytics", "eu-west-101", P3): 60,
        ("prod", "ap-southeast-1", P2): 60,
        ("prod", "cn-north-4", P1): 60,
    }
    assert sorted(syncs["account"]) == ["analytics", "prod", "prod"]
    assert not (tmp_path / ".rds-jobs-quota").exists()  # not beside the archive: per machine
    machine = _state_dir / "quota"  # the accounts' buckets live in the user's state folder
    assert len(list(machine.iterdir())) == 1  # same token: one user


def test_sync_fleet_with_the_default_horizon_reports_no_gap_right_after_a_complete_sync(
    emulators, tmp_path
):
    """The seconds since a sync's window ended are not synced yet, never a gap."""
    fleet = load_fleet(fleet_text({p: e.url for p, e in emulators.items()}))
    with JobArchive(tmp_path / "a.sqlite") as arc:
        res = sync_fleet(fleet, arc, environ=ENV)  # the API's 30-day horizon, up to now
    assert res.complete, str(res)
    table = res.table()
    assert table["gaps"].tolist() == [0, 0, 0], str(res)
    assert not table["note"].str.contains("gap").any(), str(res)


def test_a_project_with_unreadable_task_records_is_partial_naming_them(
    emulators, tmp_path, corrupt_tasks
):
    victim = emulators[P2].job_ids()[-1]
    corrupt_tasks[victim] = "job_id"
    fleet = load_fleet(fleet_text({p: e.url for p, e in emulators.items()}))
    with JobArchive(tmp_path / "a.sqlite") as arc:
        res = sync_fleet(fleet, arc, environ=ENV, since=SINCE, until=UNTIL, horizon=None)
        windows = arc.syncs()
    assert not res.complete
    table = res.table().set_index("project_id")
    assert table["status"].to_dict() == {P1: "ok", P2: "partial", P3: "ok"}
    assert table.loc[P2, "listed"] == 59
    note = table.loc[P2, "note"]
    assert note.startswith("1 task-list record(s) unreadable") and repr(victim) in note, note
    claimed = windows[windows["window_start"] < windows["window_end"]]
    assert sorted(claimed["project_id"]) == [P1, P3]  # P2's window is not claimed


def test_one_failing_project_does_not_stop_the_others(emulators, tmp_path):
    endpoints = {p: e.url for p, e in emulators.items()}
    emulators[P3].stop()  # the analytics region is down
    env = {**ENV, "T_PROD": "wrong-token"}  # and prod's token is refused
    emulators[P1].tokens.add("prod-only")
    env["T_PROD"] = "prod-only"
    emulators[P2].tokens.discard(DEMO_TOKEN)  # P2 refuses the token: a 401 on one project
    fleet = load_fleet(fleet_text(endpoints))
    with JobArchive(tmp_path / "a.sqlite") as arc:
        res = sync_fleet(
            fleet, arc, environ=env, since=SINCE, until=UNTIL, horizon=None,
            client_options={"max_retries": 0, "circuit_threshold": 1},
        )  # fmt: skip
        df = arc.to_frame()
    by = res.table().set_index("project_id")
    assert by.loc[P1, "status"] == "ok" and by.loc[P1, "listed"] == 60
    assert by.loc[P2, "status"] == "failed" and "AuthError" in by.loc[P2, "note"]
    assert by.loc[P3, "status"] == "failed" and "connection refused" in by.loc[P3, "note"]
    assert not res.complete
    assert set(df["project_id"]) == {P1}
    assert "prod-only" not in str(res)


def test_fleet_result_table_of_nothing():
    assert str(FleetResult([])) == "no projects"
    assert FleetResult([]).complete
    assert list(FleetResult([]).table().columns)[:4] == [
        "account",
        "region",
        "project_id",
        "status",
    ]


def test_sync_fleet_skips_a_project_another_run_holds(emulators, tmp_path):
    fleet = load_fleet(fleet_text({p: e.url for p, e in emulators.items()}))
    with JobArchive(tmp_path / "a.sqlite") as arc, JobArchive(tmp_path / "a.sqlite") as other:
        with other.claim(P2):
            res = sync_fleet(fleet, arc, environ=ENV, since=SINCE, until=UNTIL, horizon=None)
    by = res.table().set_index("project_id")
    assert by.loc[P2, "status"] == "skipped" and "being synced by" in by.loc[P2, "note"]
    assert by.loc[P2, "calls"] == 0 and not emulators[P2].counts
    assert res.complete  # another run has it: nothing is missing because of this one
    assert pd.Series(by["status"]).tolist().count("ok") == 2


def test_cli_never_shows_a_database_password():
    from rds_job_analytics.cli import _shown

    assert (
        _shown("postgresql://alice:s3cr%40t@db:5432/jobs") == "postgresql://alice:***@db:5432/jobs"
    )
    assert _shown("jobs.sqlite") == "jobs.sqlite"


@pytest.mark.slow
def test_sync_fleet_on_either_backend_shares_the_quota_where_the_archive_lives(
    emulators, archive_url, tmp_path, _state_dir
):
    """Every backend paces through the machine's bucket in the user's state folder; a
    team archive on PostgreSQL also through the database's (every machine shares it)."""
    fleet = load_fleet(fleet_text({p: e.url for p, e in emulators.items()}))
    from rds_job_analytics.quota import BucketChain, SharedTokenBucket, bucket_for
    from rds_job_analytics.store._dbquota import DbTokenBucket

    with JobArchive.open(archive_url, create=True) as arc:
        res = sync_fleet(fleet, arc, environ=ENV, since=SINCE, until=UNTIL, horizon=None)
        df = arc.to_frame()
        bucket = bucket_for(arc, "token:x", 1.0)
    if archive_url.endswith(".sqlite"):
        assert isinstance(bucket, SharedTokenBucket)  # the machine's
    else:  # the machine's, then the database's: in series, one rate
        assert isinstance(bucket, BucketChain)
        assert [type(b) for b in bucket.buckets] == [SharedTokenBucket, DbTokenBucket]
    assert res.complete and len(df) == 180
    assert set(df["account"]) == {"prod", "analytics"}
    assert len(list((_state_dir / "quota").iterdir())) == 1  # the machine's, either backend
    assert not (tmp_path / ".rds-jobs-quota").exists()
    assert not list(tmp_path.glob("postgresql*"))


# -- a lease lost while syncing, a lease whose holder died elsewhere -------------------------
def _take_over(arc: JobArchive, project_id: str, *, expires_in: float = 3600.0) -> None:
    """Another machine's sync holds the project now (what a claim after our lease ran out
    writes)."""
    with arc._store.begin() as db:
        db.execute(
            "INSERT INTO leases VALUES (?, 'other:1:x', 'elsewhere', 4242, ?, ?)"
            " ON CONFLICT (project_id) DO UPDATE SET holder = excluded.holder,"
            " host = excluded.host, pid = excluded.pid, expires_at = excluded.expires_at",
            (project_id, "2026-12-01T00:00:00+00:00", time.time() + expires_in),
        )


def _lose_the_lease_at_call(monkeypatch, n: int, project_id: str = P1) -> dict:
    """Make the ``n``-th per-job call of ``project_id`` find its lease taken over: the
    project is claimed by another machine and the heartbeat's next renewal runs then (no
    waiting for the real heartbeat). Returns what was seen."""
    from rds_job_analytics.api._client import JobsClient

    seen: dict = {"leases": [], "asked": 0}
    claim, get_job = JobArchive.claim, JobsClient.get_job

    def spy_claim(self, pid, **kwargs):
        lease = claim(self, pid, **kwargs)
        if pid == project_id:
            seen["leases"].append((self, lease))
        return lease

    def get_job_then_lost(self, job_id, *args, **kwargs):
        if self.project_id == project_id:
            seen["asked"] += 1
            if seen["asked"] == n:
                arc, lease = seen["leases"][-1]
                _take_over(arc, project_id)
                seen["renewed"] = lease.beat()  # the heartbeat's next renewal
        return get_job(self, job_id, *args, **kwargs)

    monkeypatch.setattr(JobArchive, "claim", spy_claim)
    monkeypatch.setattr(JobsClient, "get_job", get_job_then_lost)
    return seen


def test_a_sync_that_loses_its_lease_stops_calling_at_once(archive_url, monkeypatch):
    from rds_job_analytics import LeaseLost

    jobs = generate_jobs(40, seed=7, quirk_rate=0)
    seen = _lose_the_lease_at_call(monkeypatch, 3)
    with (
        Emulator(jobs, project_id=P1, retention_days=None) as emu,
        JobArchive.open(archive_url, create=True) as arc,
        emu.client(max_workers=1) as client,
    ):
        with pytest.raises(LeaseLost) as err:
            sync_jobs(client, arc, since=SINCE, until=UNTIL, horizon=None, details="all",
                      progress=False, errors="ignore")  # fmt: skip
        assert seen["renewed"] is False and seen["leases"][0][1].lost
        assert emu.counts.get("jobs") == 2  # the third call was never sent, nor any after
        assert "now held by elsewhere (pid 4242)" in str(err.value)
        assert err.value.committed == (40, 2)
        assert arc.syncs().empty  # no window claimed: the other sync records its own
        assert not client.interrupted  # the caller's client is usable again


def test_a_lease_lost_with_errors_raise_counts_what_was_committed(archive_url, monkeypatch):
    """errors="raise": the calls the lost lease cut off make a FetchError, which comes out
    as LeaseLost with what was committed before (not (0, 0))."""
    from rds_job_analytics import LeaseLost

    jobs = generate_jobs(40, seed=7, quirk_rate=0)
    _lose_the_lease_at_call(monkeypatch, 3)
    with (
        Emulator(jobs, project_id=P1, retention_days=None) as emu,
        JobArchive.open(archive_url, create=True) as arc,
        emu.client(max_workers=1) as client,
    ):
        with pytest.raises(LeaseLost) as err:
            sync_jobs(client, arc, since=SINCE, until=UNTIL, horizon=None, details="all",
                      progress=False, errors="raise")  # fmt: skip
        assert err.value.committed == (40, 2) == (_rows(arc, "tasks", P1), _rows(arc, "jobs", P1))


def test_sync_fleet_reports_a_lost_lease_and_the_others_finish(emulators, tmp_path, monkeypatch):
    fleet = load_fleet(fleet_text({p: e.url for p, e in emulators.items()}))
    _lose_the_lease_at_call(monkeypatch, 2)
    with JobArchive(tmp_path / "a.sqlite") as arc:
        res = sync_fleet(fleet, arc, environ=ENV, since=SINCE, until=UNTIL, horizon=None,
                         details="all", client_options={"max_workers": 1})  # fmt: skip
    by = res.table().set_index("project_id")
    assert by.loc[P1, "status"] == "failed" and "lost its lease" in by.loc[P1, "note"]
    assert "elsewhere (pid 4242)" in by.loc[P1, "note"]
    assert emulators[P1].counts.get("jobs") == 1  # stopped at the lost renewal
    assert (by.loc[P1, "listed"], by.loc[P1, "fetched"]) == (60, 1)  # what it committed
    assert by.loc[P2, "status"] == by.loc[P3, "status"] == "ok"
    assert not res.complete


def test_a_lease_its_holder_stopped_renewing_is_named_as_dead(archive_url):
    with JobArchive.open(archive_url, create=True) as arc:
        _take_over(arc, P1, expires_in=5)  # renewed 55 s ago: two renewals missed
        with pytest.raises(ProjectBusy) as err:
            arc.claim(P1)
        assert err.value.stale_for is not None and 50 < err.value.stale_for < 60
        assert "looks dead" in str(err.value) and "runs out at" in str(err.value)
        _take_over(arc, P1, expires_in=50)  # renewed 10 s ago: alive
        with pytest.raises(ProjectBusy) as err:
            arc.claim(P1)
        assert err.value.stale_for is None and "looks dead" not in str(err.value)


def test_a_fleet_summary_counts_what_was_committed_before_the_archive_failed(
    emulators, archive_url, monkeypatch
):
    """The database goes away during one project's per-job calls: its row says failed,
    with the task records and jobs committed before (not "listed 0 fetched 0")."""
    from rds_job_analytics.store._archive import ArchiveUnavailable

    put, puts = JobArchive.put, []

    def put_then_outage(self, blob, *, project_id, **kwargs):
        if project_id == P1:
            puts.append(1)
            if len(puts) > 5:  # five responses of P1 committed, then the database is gone
                raise ArchiveUnavailable("the archive database db:5432/x is unavailable: gone")
        return put(self, blob, project_id=project_id, **kwargs)

    monkeypatch.setattr(JobArchive, "put", put_then_outage)
    fleet = load_fleet(fleet_text({p: e.url for p, e in emulators.items()}))
    with JobArchive.open(archive_url, create=True) as arc:
        res = sync_fleet(fleet, arc, environ=ENV, since=SINCE, until=UNTIL, horizon=None,
                         details="all", budget=10, client_options={"max_workers": 1})  # fmt: skip
    by = res.table().set_index("project_id")
    assert by.loc[P1, "status"] == "failed" and "ArchiveUnavailable" in by.loc[P1, "note"]
    assert (by.loc[P1, "listed"], by.loc[P1, "fetched"]) == (60, 5)
    assert by.loc[P2, "status"] == by.loc[P3, "status"] == "ok"


def _rows(arc: JobArchive, table: str, project_id: str) -> int:
    with arc._store.begin() as db:
        return db.execute(
            f"SELECT count(*) FROM {table} WHERE project_id = ?", (project_id,)
        ).fetchone()[0]


@pytest.mark.parametrize("step", ["record_sync", "statuses"])
def test_a_fleet_summary_counts_what_was_committed_when_the_archive_fails_late(
    emulators, tmp_path, monkeypatch, step
):
    """The database goes away after the listing (choosing the jobs to fetch) or after the
    per-job calls (recording the window): the row counts every task record and job
    committed, not zeros."""
    from rds_job_analytics.store._archive import ArchiveUnavailable

    def gone(self, project_id, *args, **kwargs):
        if project_id == P1:
            raise ArchiveUnavailable("the archive database db:5432/x is unavailable: gone")
        return original(self, project_id, *args, **kwargs)

    original = getattr(JobArchive, step)
    monkeypatch.setattr(JobArchive, step, gone)
    fleet = load_fleet(fleet_text({p: e.url for p, e in emulators.items()}))
    with JobArchive(tmp_path / "a.sqlite") as arc:
        res = sync_fleet(fleet, arc, environ=ENV, since=SINCE, until=UNTIL, horizon=None,
                         details="all", budget=10, client_options={"max_workers": 1})  # fmt: skip
        archived = (_rows(arc, "tasks", P1), _rows(arc, "jobs", P1))
    by = res.table().set_index("project_id")
    assert by.loc[P1, "status"] == "failed" and "ArchiveUnavailable" in by.loc[P1, "note"]
    assert (by.loc[P1, "listed"], by.loc[P1, "fetched"]) == archived
    assert archived == ((60, 10) if step == "record_sync" else (60, 0))
    assert by.loc[P2, "status"] == by.loc[P3, "status"] == "ok"


def test_a_bool_rate_limit_is_refused_before_any_call(tmp_path):
    """rate_limit=True was 1 call/s for the file bucket; the one rate check says no."""
    endpoints = {p: "http://127.0.0.1:9" for p in (P1, P2, P3)}
    with JobArchive(tmp_path / "a.sqlite") as arc, pytest.raises(ConfigError, match="not True"):
        sync_fleet(load_fleet(fleet_text(endpoints)), arc, environ=ENV, rate_limit=True,
                   quota_folder=tmp_path / "quota", horizon=None)  # fmt: skip
    assert not (tmp_path / "quota").exists()  # refused before any quota file

"""JobArchive on SQLite and on PostgreSQL: the same behaviour on both (``archive_url`` runs
each test once per backend), a URL never taken as a path, the password never shown, a
database that is down or refuses the login named before any API call, a database lost
mid-sync stops the sync with what was committed kept."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from rds_job_analytics import ConfigError, JobArchive, RdsJobError, sync_jobs
from rds_job_analytics.cli import main
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator
from rds_job_analytics.normalize.schema import empty_jobs_frame
from rds_job_analytics.sample import load_sample
from rds_job_analytics.store import SCHEMA_VERSION, ArchiveUnavailable
from tests import pg

P = "p" * 32
RUNNING = {"job": {"id": "j1", "name": "RestartMysqlInstance", "status": "Running",
                   "created": "2026-10-01T00:00:00+0000"}}  # fmt: skip
DONE = {"job": {**RUNNING["job"], "status": "Completed", "ended": "2026-10-01T00:05:00+0000"}}


def everything_said(exc: BaseException) -> str:
    """What a user can ever see of an error: its message, repr and full traceback."""
    return f"{exc}\n{exc!r}\n" + "".join(traceback.format_exception(exc))


# -- the same behaviour on both backends ----------------------------------------------------
def test_a_terminal_job_is_never_downgraded_and_each_put_is_committed(archive, archive_url):
    assert archive.put(RUNNING, project_id=P, region="r1", account="prod")
    assert archive.put(DONE, project_id=P, region="r1")
    assert not archive.put(RUNNING, project_id=P)  # refused: older state
    with JobArchive(archive_url) as other:  # another process (or machine) sees it at once
        assert other.statuses(P) == {"j1": "Completed"}
        row = other.to_frame().iloc[0]
        assert (row["account"], row["region"], row["duration_s"]) == ("prod", "r1", 300.0)
        assert other.raw(P, ["j1", "nope"]).keys() == {"j1"}
    assert len(archive) == 1


@pytest.mark.slow  # 5,000 responses committed one by one (about 3 s on PostgreSQL)
def test_to_frame_is_the_same_frame_on_both_backends(raw_sample, archive_url, tmp_path):
    """The whole sample (per-job responses and task-list records) through each backend
    gives the frame SQLite gives, value for value and dtype for dtype."""
    expected = None
    with JobArchive(tmp_path / "reference.sqlite") as ref, JobArchive(archive_url) as arc:
        for a in (ref, arc):
            for i, rec in enumerate(raw_sample):
                a.put(rec, project_id=P if i % 3 else "q" * 32, region="ap-southeast-1")
            a.put_tasks([{"id": "only-task", "status": "Failed", "name": "X",
                          "create_time": "2026-10-02T00:00:00Z"}], project_id=P)  # fmt: skip
        expected = ref.to_frame(start="2026-09-01", end="2026-11-01")
        got = arc.to_frame(start="2026-09-01", end="2026-11-01")
        pd.testing.assert_frame_equal(got, expected)
        assert len(arc) == len(ref) == len(raw_sample) + 1
        assert len(arc.to_frame(project_id="q" * 32)) == len(ref.to_frame(project_id="q" * 32))
    assert len(expected) > 100 and "only-task" in set(expected["job_id"])


def test_an_empty_archive_has_the_schema(archive):
    df = archive.to_frame()
    empty = empty_jobs_frame()
    assert list(df.columns) == list(empty.columns)
    assert [str(d) for d in df.dtypes] == [str(d) for d in empty.dtypes]
    assert archive.syncs().columns.tolist()[:4] == [
        "project_id", "region", "window_start", "window_end"]  # fmt: skip
    assert len(archive) == 0 and archive.statuses(P) == {}


def test_job_ids_sort_bytewise_on_both(archive):
    _put_ids_and_check_order(archive)


def test_job_ids_sort_bytewise_in_a_database_with_a_language_collation(pg_server):
    url = pg_server.create_database(icu_locale="en-US")  # "a_1" < "A" < "a-2" there
    try:
        with JobArchive(url) as arc:
            _put_ids_and_check_order(arc)
    finally:
        pg_server.drop_database(url)


def _put_ids_and_check_order(archive):
    for jid in ["b", "B", "a-2", "a_1", "A"]:
        archive.put({"job": {"id": jid, "status": "Completed",
                             "created": "2026-10-01T00:00:00Z"}}, project_id=P)  # fmt: skip
    archive.put({"job": {"id": "no-created", "status": "Completed"}}, project_id=P)
    assert archive.to_frame()["job_id"].tolist() == ["no-created", "A", "B", "a-2", "a_1", "b"]


def test_mark_expired_and_expired_on_both(archive):
    archive.put(RUNNING, project_id=P)
    archive.put({"job": {**DONE["job"], "id": "j2"}}, project_id=P)
    when = datetime(2026, 11, 30, tzinfo=UTC)
    assert archive.mark_expired(P, ["j1", "j2", "unknown"], when=when) == 1
    assert archive.mark_expired(P, ["j1"], when=when) == 0  # already marked
    assert archive.expired(P) == {"j1": pd.Timestamp(when)}
    archive.put({"job": {**DONE["job"]}}, project_id=P)  # it finished after all
    assert archive.expired(P) == {}


def test_a_newer_layout_is_refused_and_an_older_one_upgraded(archive_url):
    with JobArchive(archive_url) as arc:
        assert arc.version == SCHEMA_VERSION
        with arc._store.begin() as db:  # a version 1 archive: no origin or expiry columns
            for table in ("jobs", "tasks", "syncs"):
                db.execute(f"ALTER TABLE {table} DROP COLUMN account")
            for table in ("jobs", "tasks"):
                db.execute(f"ALTER TABLE {table} DROP COLUMN expired_at")
            db.execute("DELETE FROM meta")
            db.execute(
                "INSERT INTO jobs (project_id, job_id, terminal, fetched_at, raw)"
                " VALUES (?, 'old', 1, '2026-10-01', ?)",
                (P, b'{"job": {"id": "old", "status": "Completed"}}'),
            )
    with JobArchive(archive_url) as arc:  # upgraded on open, nothing lost
        assert arc.version == SCHEMA_VERSION
        assert arc.to_frame()["job_id"].tolist() == ["old"]
        assert arc.put(RUNNING, project_id=P, account="prod")
        with arc._store.begin() as db:
            db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    with pytest.raises(ConfigError, match=r"newer rds_job_analytics.*layout 99"):
        JobArchive(archive_url)


# -- task-list end times against per-job ends ---------------------------------------------------
def task(jid, end_time, status="Completed"):
    return {"id": jid, "name": "RestartMysqlInstance", "status": status,
            "create_time": "2026-10-01T00:00:00+0000", "end_time": end_time}  # fmt: skip


def test_the_archive_records_how_far_task_end_times_are_from_per_job_ends(archive):
    archive.put(DONE, project_id=P)  # ended 00:05
    archive.put({"job": {**DONE["job"], "id": "only-job"}}, project_id=P)
    archive.put_tasks([task("j1", "2026-10-01T00:06:30+0000"), task("only-task", "2026-10-01T01:00Z"),
                       task("running", None, "Running")], project_id=P)  # fmt: skip
    archive.put({"job": {**RUNNING["job"], "id": "running"}}, project_id=P)
    diff = archive.end_time_differences()
    assert diff[["project_id", "job_id", "difference_s"]].values.tolist() == [[P, "j1", 90.0]]
    assert diff["task_ended"].iloc[0] == pd.Timestamp("2026-10-01 00:06:30", tz="UTC")
    assert diff["job_ended"].iloc[0] == pd.Timestamp("2026-10-01 00:05", tz="UTC")
    archive.put_tasks([task("j1", "2026-10-01T00:04:00+0000")], project_id=P)  # a later listing
    assert archive.end_time_differences(P)["difference_s"].tolist() == [-60.0]
    assert archive.end_time_differences("other").empty


def test_layout_2_is_upgraded_with_the_end_times_of_what_it_holds(archive_url):
    with JobArchive(archive_url) as arc:
        arc.put(DONE, project_id=P)
        arc.put_tasks([task("j1", "2026-10-01T00:07:00+0000")], project_id=P)
        with arc._store.begin() as db:  # as layout 2 wrote it: no ended_ms, no view
            db.execute("DROP VIEW end_time_check")
            for table in ("jobs", "tasks"):
                db.execute(f"ALTER TABLE {table} DROP COLUMN ended_ms")
            db.execute("UPDATE meta SET value = '2' WHERE key = 'version'")
    with JobArchive(archive_url) as arc:
        assert arc.version == SCHEMA_VERSION == 3
        assert arc.end_time_differences()["difference_s"].tolist() == [120.0]


def test_the_layout_3_upgrade_reads_and_writes_in_chunks(archive_url, monkeypatch):
    """Filling ``ended_ms`` costs a bounded number of statements (a read and a write a
    chunk, not an UPDATE per row), and every record with an end gets its end."""
    import math

    from rds_job_analytics.store import _backend as archive_mod

    n, chunk = 23, 5
    with JobArchive(archive_url) as arc:
        for i in range(n):  # every third one still running: no end to fill
            job = {**DONE["job"], "id": f"j{i:02d}"}
            arc.put({"job": job if i % 3 else {**RUNNING["job"], "id": f"j{i:02d}"}}, project_id=P)
        arc.put_tasks([task("j01", "2026-10-01T00:07:00+0000")], project_id=P)
        store = arc._store
        with store.begin() as db:
            db.execute("UPDATE jobs SET ended_ms = NULL")
            db.execute("UPDATE tasks SET ended_ms = NULL")
        monkeypatch.setattr(archive_mod, "UPGRADE_CHUNK", chunk)
        said: list[str] = []
        bulk_rows = store.bulk_rows

        class Counted:  # the transaction, every statement counted
            def __init__(self, db):
                self.db = db

            def execute(self, sql, *args):
                said.append(sql)
                return self.db.execute(sql, *args)

        def counted_bulk_rows(db, sql, args=()):
            said.append(sql)
            return bulk_rows(db.db, sql, args)

        monkeypatch.setattr(store, "bulk_rows", counted_bulk_rows)
        with store.begin() as db:
            archive_mod._fill_ended_ms(store, Counted(db))
        monkeypatch.undo()
        with store.begin() as db:
            filled = db.execute("SELECT count(*) FROM jobs WHERE ended_ms IS NOT NULL").fetchone()
        assert filled[0] == sum(1 for i in range(n) if i % 3)
        chunks = math.ceil(n / chunk)
        assert len(said) <= (2 * chunks + 1) + (2 * 1 + 1)  # jobs, then the one task record
        assert arc.end_time_differences()["difference_s"].tolist() == [120.0]


# -- URLs: never a path, never a password shown ---------------------------------------------
def test_a_url_is_never_taken_for_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = "postgresql://alice:hunter2@127.0.0.1:1/jobs"  # nothing listens on port 1
    for attempt in (lambda: JobArchive(url), lambda: JobArchive.open(url, create=True)):
        with pytest.raises(ArchiveUnavailable) as err:
            attempt()
        assert "127.0.0.1:1/jobs" in str(err.value) and "hunter2" not in everything_said(err.value)
    with pytest.raises(ConfigError, match="unsupported archive URL 'mysql://alice:\\*\\*\\*@db/x'"):
        JobArchive("mysql://alice:hunter2@db/x")
    assert list(tmp_path.iterdir()) == []  # no folder named postgresql: or mysql:


def test_the_repr_masks_the_password(pg_url):
    with JobArchive(pg_url) as arc:
        assert pg.PASSWORD not in repr(arc) and pg.PASSWORD not in arc.path
        assert repr(arc) == f"JobArchive('{pg_url.replace(pg.PASSWORD, '***')}')"
        assert arc.backend == "postgresql"


def test_a_refused_login_or_a_missing_database_is_named_without_the_password(pg_server):
    wrong = pg_server.url("postgres", password="not-the-Pa55")
    with pytest.raises(ArchiveUnavailable, match="password authentication failed") as err:
        JobArchive.open(wrong, create=True)
    said = everything_said(err.value)
    assert f"127.0.0.1:{pg_server.port}/postgres" in said
    assert "not-the-Pa55" not in said and pg.PASSWORD not in said
    with pytest.raises(ArchiveUnavailable, match='database "nope" does not exist'):
        JobArchive(pg_server.url("nope"))


def test_open_without_create_refuses_a_database_without_the_archive(pg_url):
    with pytest.raises(ConfigError, match=r"no archive in the database .*no jobs table"):
        JobArchive.open(pg_url)
    with JobArchive.open(pg_url, create=True) as arc:  # sync/fetch: the tables are made
        arc.put(DONE, project_id=P)
    with JobArchive.open(pg_url) as arc:
        assert len(arc) == 1


# -- a database that is down -----------------------------------------------------------------
@pytest.fixture
def own_server():
    """A server of this test alone: it will be stopped and started."""
    bindir = pg.binaries()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries")
    server = pg.Server(bindir)
    yield server
    server.stop()


class FakeClock:
    """The outage wait's clock and sleep (``PgStore.clock``/``.sleep``): sleeping moves
    the clock on at once, and ``on_sleep`` runs at each sleep (e.g. to restart the server)."""

    def __init__(self, on_sleep=None) -> None:
        self.now, self.slept, self.on_sleep = 1000.0, [], on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


def stays_down(arc: JobArchive) -> FakeClock:
    """The outage outlasts the reconnection window, without waiting for it really."""
    fake = FakeClock()
    arc._store.clock, arc._store.sleep = fake.clock, fake.sleep
    return fake


@pytest.mark.slow
def test_a_write_to_a_database_gone_down_raises_and_a_restart_is_survived(own_server):
    url = own_server.create_database()
    with JobArchive(url) as arc:
        stays_down(arc)
        assert arc.put(RUNNING, project_id=P)
        own_server.pause()
        with pytest.raises(ArchiveUnavailable) as err:
            arc.put(DONE, project_id=P)
        said = everything_said(err.value)
        assert f"127.0.0.1:{own_server.port}/" in said and pg.PASSWORD not in said
        assert "1 response(s) committed before" in str(err.value)
        own_server.resume()
        assert arc.statuses(P) == {"j1": "Running"}  # what was committed is there
        assert arc.put(DONE, project_id=P)  # reconnected by itself
        assert arc.statuses(P) == {"j1": "Completed"}


def test_cli_sync_with_a_down_database_fails_before_any_api_call(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("RDS_JOBS_TOKEN", DEMO_TOKEN)
    monkeypatch.chdir(tmp_path)
    with Emulator(load_sample(raw=True), retention_days=None) as emu:
        code = main(["sync", "--archive", "postgresql://bob:hunter2@127.0.0.1:1/estate",
                     "--endpoint", emu.url, "--project-id", DEMO_PROJECT])  # fmt: skip
        assert emu.counts == {}
    out = capsys.readouterr()
    assert code == 2  # failed, before any call
    assert "127.0.0.1:1/estate" in out.err and "hunter2" not in out.out + out.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_sync_that_loses_its_database_while_listing_stops_asking(own_server, monkeypatch):
    url = own_server.create_database()
    jobs = load_sample(raw=True)
    with Emulator(jobs, retention_days=None) as emu, JobArchive(url) as arc:
        stays_down(arc)
        client = emu.client()
        pages = client.list_task_pages
        seen = []

        def pages_then_outage(*args, **kwargs):
            for page in pages(*args, **kwargs):
                seen.append(page)
                if len(seen) == 2:
                    own_server.pause()  # the database dies after the first page was committed
                yield page

        monkeypatch.setattr(client, "list_task_pages", pages_then_outage)
        with pytest.raises(RdsJobError) as err:
            sync_jobs(client, arc, since=datetime(2026, 8, 1, tzinfo=UTC),
                      until=datetime(2026, 11, 15, tzinfo=UTC), horizon=None)  # fmt: skip
        calls = sum(emu.counts.values())
        assert isinstance(err.value, ArchiveUnavailable), err.value
        assert (
            calls <= 3
        )  # two pages asked, perhaps the claim's first one: no details, no more pages
        own_server.resume()
        assert len(arc) == len(seen[0])  # the first page is kept
        assert arc.syncs().empty  # no window is claimed as covered


@pytest.mark.slow
def test_a_sync_that_loses_its_database_while_fetching_details_stops_asking(own_server):
    url = own_server.create_database()
    jobs = load_sample(raw=True)[:40]
    with Emulator(jobs, retention_days=None) as emu, JobArchive(url) as arc:
        stays_down(arc)
        client = emu.client(max_workers=1)
        put, puts = arc.put, []

        def put_then_outage(*args, **kwargs):
            puts.append(1)
            if len(puts) == 6:  # five per-job responses committed, then the database dies
                own_server.pause()
            return put(*args, **kwargs)

        arc.put = put_then_outage
        with pytest.raises(ArchiveUnavailable):
            sync_jobs(client, arc, since=datetime(2026, 8, 1, tzinfo=UTC),
                      until=datetime(2026, 11, 15, tzinfo=UTC), horizon=None, details="all")  # fmt: skip
        assert len(puts) == 6  # nothing fetched after the outage
        assert emu.counts.get("jobs", 0) <= 6 + 1  # the call in flight, at most


@pytest.mark.slow
def test_a_short_outage_is_waited_for_and_a_long_one_is_not(own_server):
    """A database restarting mid-sync (a few seconds) costs a wait, not the run: the
    write goes through once it is back; one that stays down past OUTAGE_RETRY fails."""
    from rds_job_analytics.store._postgres import OUTAGE_RETRY

    url = own_server.create_database()
    with JobArchive(url) as arc:
        assert arc.put(RUNNING, project_id=P)
        fake = FakeClock(on_sleep=lambda: len(fake.slept) == 3 and own_server.resume())
        arc._store.clock, arc._store.sleep = fake.clock, fake.sleep
        own_server.pause()
        assert arc.put(DONE, project_id=P)  # waited (three attempts refused), then written
        assert len(fake.slept) == 3 and sum(fake.slept) < OUTAGE_RETRY
        assert arc.statuses(P) == {"j1": "Completed"}
        fake = stays_down(arc)
        own_server.pause()
        with pytest.raises(ArchiveUnavailable):
            arc.put(RUNNING, project_id="q" * 32)
        assert sum(fake.slept) == pytest.approx(OUTAGE_RETRY)  # the whole window, no more
        assert max(fake.slept) <= 2.0  # backoff capped: a quick return is noticed
        own_server.resume()


def _refused(transient: bool):
    """What SQLAlchemy raises when psycopg cannot connect (no answer) or is refused."""
    import psycopg
    import sqlalchemy.exc as sa_exc

    orig = psycopg.OperationalError("connection failed: Connection refused")
    if not transient:
        orig = psycopg.errors.InvalidPassword("password authentication failed for user")
    return sa_exc.OperationalError("SELECT 1", {}, orig)


def test_reconnecting_waits_only_for_an_outage_of_a_database_reached_before(pg_url, monkeypatch):
    from rds_job_analytics.store._postgres import OUTAGE_RETRY

    with JobArchive(pg_url) as arc:
        store = arc._store
        fake = stays_down(arc)
        connect, failures = store.engine.connect, []

        def flaky():  # the first four attempts meet a database that is down
            if len(failures) < 4:
                failures.append(1)
                raise _refused(True)
            return connect()

        monkeypatch.setattr(store.engine, "connect", flaky)
        assert arc.put(RUNNING, project_id=P)  # four refusals waited out
        assert fake.slept == [0.25, 0.5, 1.0, 2.0]
        monkeypatch.setattr(store.engine, "connect", lambda: (_ for _ in ()).throw(_refused(False)))
        fake.slept.clear()
        with pytest.raises(ArchiveUnavailable, match="password authentication failed"):
            arc.put(DONE, project_id=P)  # a refused login: no waiting
        assert fake.slept == []
        assert OUTAGE_RETRY == 15.0  # the README's figure


def test_a_connection_killed_before_a_transactions_first_statement_is_replaced(pg_server, pg_url):
    """The server ends the connection (a restart, a fail-over) after it left the pool:
    the transaction's first statement runs on a new connection; a later one is never
    replayed (the caller acted on what came before), so it fails."""

    def kill(db) -> None:
        pid = db.conn.connection.dbapi_connection.info.backend_pid
        pg_server._psql_admin(f"SELECT pg_terminate_backend({pid}, 10000)")  # waits for it

    with JobArchive(pg_url) as arc:
        stays_down(arc)
        with arc._store.begin() as db:
            kill(db)
            assert db.execute("SELECT 41 + 1").scalar() == 42  # replaced, not failed
        with pytest.raises(ArchiveUnavailable), arc._store.begin() as db:
            assert db.execute("SELECT 1").scalar() == 1
            kill(db)
            db.execute("SELECT 2")
        assert arc.put(RUNNING, project_id=P)  # and the archive goes on


def test_a_password_with_an_unescaped_at_connects_and_never_shows(pg_server):
    """``postgresql://user:pa@ss@host/db``: the host is after the last '@' (the masking
    rule), so the login works, and a wrong such password never shows a piece of it."""
    import uuid

    role, password = "at_" + uuid.uuid4().hex[:8], "pa@ss/4u9k"
    pg_server._psql_admin(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    db = pg_server.create_database()
    pg_server._psql_admin(f'ALTER DATABASE "{db.rsplit("/", 1)[1]}" OWNER TO {role}')
    url = f"postgresql://{role}:{password}@127.0.0.1:{pg_server.port}/{db.rsplit('/', 1)[1]}"
    with JobArchive.open(url, create=True) as arc:
        assert arc.put(RUNNING, project_id=P)
        assert "4u9k" not in repr(arc) and "ss/" not in repr(arc)
    wrong = url.replace(password, "wr@ng/4u9k")
    with pytest.raises(ArchiveUnavailable, match="password authentication failed") as err:
        JobArchive(wrong)
    said = everything_said(err.value)
    assert f"127.0.0.1:{pg_server.port}/" in said
    for piece in ("4u9k", "wr@ng", "ng/"):
        assert piece not in said


def test_jobarchive_path_never_creates_a_folder_for_a_path_like_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="names no database"):
        JobArchive("postgresql://alice:hunter2@127.0.0.1:1")
    assert not Path("postgresql:").exists()


# -- paths ------------------------------------------------------------------------------------
def test_archive_paths_expand_home_and_environment_variables(home_and_cwd):
    home, cwd, var = home_and_cwd
    JobArchive("~/x.sqlite").close()
    assert (home / "x.sqlite").is_file()
    with JobArchive.open("~/x.sqlite") as arc:  # opened where it was made, not refused
        assert arc.path == str(home / "x.sqlite")
    with JobArchive.open("$RDS_JOBS_TEST_DIR/y.sqlite", create=True) as arc:
        arc.put(DONE, project_id=P)
    with JobArchive.open(Path("${RDS_JOBS_TEST_DIR}/y.sqlite")) as arc:
        assert len(arc) == 1 and arc.path == str(var / "y.sqlite")
    assert list(cwd.iterdir()) == []  # no folder named '~' or '$RDS_JOBS_TEST_DIR'


def test_an_unset_variable_in_an_archive_path_is_named_and_nothing_created(home_and_cwd):
    _, cwd, _ = home_and_cwd
    with pytest.raises(ConfigError, match="RDS_JOBS_TEST_UNSET is not set"):
        JobArchive("$RDS_JOBS_TEST_UNSET/x.sqlite")
    with pytest.raises(ConfigError, match="RDS_JOBS_TEST_UNSET is not set"):
        JobArchive.open("$RDS_JOBS_TEST_UNSET/x.sqlite", create=True)
    assert list(cwd.iterdir()) == []


def test_cli_archive_and_output_paths_expand_home(home_and_cwd, capsys, monkeypatch):
    """Quoted (`--archive '~/x.sqlite'`), the shell leaves the ~ to us."""
    home, cwd, var = home_and_cwd
    with JobArchive("~/x.sqlite") as arc:
        arc.put(DONE, project_id=P)
    code = main(["export", "--archive", "~/x.sqlite", "-o", "$RDS_JOBS_TEST_DIR/jobs.csv"])
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_csv(var / "jobs.csv")) == 1
    code = main(["report", "--archive=~/x.sqlite", "--month", "2026-10", "-o", "~/r.html"])
    assert code in (0, 1) and (home / "r.html").is_file()
    assert list(cwd.iterdir()) == []


def test_an_outage_is_waited_for_once_not_once_per_waiting_caller(monkeypatch):
    """Fetch workers, the heartbeat and the release queue on the store's lock during an
    outage: the first waits OUTAGE_RETRY, the ones behind it only for what is left (then
    fail at once); a connection that succeeds ends the outage, so the next gets a window."""
    pytest.importorskip("psycopg")
    from rds_job_analytics.store._postgres import OUTAGE_RETRY, PgStore

    store = PgStore("postgresql://bob:hunter2@127.0.0.1:1/jobs")
    fake = FakeClock()
    store.clock, store.sleep, store.reached = fake.clock, fake.sleep, True
    monkeypatch.setattr(store.engine, "connect", lambda: (_ for _ in ()).throw(_refused(True)))
    for _ in range(6):  # four workers' puts, a heartbeat renewal, the release
        with pytest.raises(ArchiveUnavailable):
            with store.begin():
                pass
    assert sum(fake.slept) == pytest.approx(OUTAGE_RETRY)  # in total, not 6 x 15 s
    monkeypatch.setattr(store.engine, "connect", lambda: "a connection")
    assert store._connect() == "a connection"  # back: the outage is over
    monkeypatch.setattr(store.engine, "connect", lambda: (_ for _ in ()).throw(_refused(True)))
    fake.slept.clear()
    with pytest.raises(ArchiveUnavailable), store.begin():
        pass
    assert sum(fake.slept) == pytest.approx(OUTAGE_RETRY)  # a new outage: a whole window
    store.close()


# -- the export methods: deprecated, late-bound to the export stage -----------------------------
def test_the_export_methods_warn_and_write_what_the_export_functions_write(archive, tmp_path):
    import rds_job_analytics as rja

    archive.put(DONE, project_id=P)
    archive.put({"job": {**RUNNING["job"], "id": "j2"}}, project_id=P)
    with pytest.warns(
        DeprecationWarning, match=r"rja\.export\.write_frame\(arc\.to_frame\(.*\), path\)"
    ):
        old = archive.export(tmp_path / "old.parquet", project_id=P)
    new = rja.export.write_frame(archive.to_frame(project_id=P), tmp_path / "new.parquet")
    assert old == tmp_path / "old.parquet"
    pd.testing.assert_frame_equal(pd.read_parquet(old), pd.read_parquet(new))
    with pytest.warns(
        DeprecationWarning, match=r"rja\.export\.export_dataset\(arc, path, \.\.\.\)"
    ):
        done = archive.export_dataset(tmp_path / "old-ds")
    want = rja.export.export_dataset(archive, tmp_path / "new-ds")
    assert type(done) is type(want) and done.rows == want.rows == 2


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the old path, on purpose
def test_the_old_archive_module_still_serves_its_names():
    """``rds_job_analytics.archive`` (a deprecated alias) resolves every name the module
    had, from their new homes (its old private names too, for one release)."""
    import warnings

    from rds_job_analytics import export, store
    from rds_job_analytics.store import coverage

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import rds_job_analytics.archive as old
    names = ["API_HORIZON_DAYS", "END_TIME_VIEW", "LEASE_TTL", "SCHEMA_VERSION", "ArchiveError",
             "ArchiveUnavailable", "Coverage", "JobArchive", "Lease", "Window", "find_gaps",
             "merge_windows", "write_frame", "GAP_WARNING", "UPGRADE_CHUNK", "UrlParts"]  # fmt: skip
    names += ["_masked", "_url_parts", "_url_scheme", "_PG_SCHEMES", "_SqliteStore", "_DDL",
              "_check_archive_path", "_ADDED_COLUMNS", "_SQLITE_TYPES", "_ddl_statements",
              "_epoch_ms_or_none", "_fill_ended_ms", "_merge", "_UPSERT"]  # fmt: skip
    assert [n for n in names if getattr(old, n, None) is None] == []
    assert old.JobArchive is store.JobArchive and old.write_frame is export.write_frame
    assert old.GAP_WARNING is coverage.GAP_WARNING


def test_what_an_open_table_reads_newest_fetched_at_and_jobs_fetched_since(archive):
    """The two reads export's to_table makes of an archive (no reach into its store): the
    newest fetched_at after a mark, and the merged rows of the jobs fetched after it."""
    t0, t1 = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC)
    assert archive.newest_fetched_at() is None
    archive.put(DONE, project_id=P, fetched_at=t0)  # j1
    archive.put({"job": {"id": "j2", "status": "Running"}}, project_id=P, fetched_at=t0)
    archive.put_tasks([task("j1", "2026-10-01T00:07:00+0000")], project_id=P, fetched_at=t1)
    newest = archive.newest_fetched_at()
    assert newest is not None and datetime.fromisoformat(newest) == t1
    assert archive.newest_fetched_at(t0.isoformat()) == newest
    assert archive.newest_fetched_at(newest) is None
    changed = archive.jobs_fetched_since(t0.isoformat())  # j1's task record is newer
    assert changed["job_id"].tolist() == ["j1"]
    whole = archive.to_frame().set_index("job_id").loc["j1"]
    assert (changed["source"].iloc[0], changed["status"].iloc[0]) == ("job", whole["status"])
    assert changed["ended"].iloc[0] == whole["ended"]
    assert archive.jobs_fetched_since(newest).empty
    assert sorted(archive.jobs_fetched_since("2000-01-01T00:00:00+00:00")["job_id"]) == [
        "j1",
        "j2",
    ]

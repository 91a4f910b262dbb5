"""The dlt source (``rds_job_analytics.dlt``): a pipeline into dlt's DuckDB destination
against the emulator, offline, with nothing written outside tmp_path."""

from __future__ import annotations

import importlib
import socket
import sys
from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("dlt", reason="the [dlt] extra (in the test extras)")
duckdb = pytest.importorskip("duckdb")

import dlt  # noqa: E402

from rds_job_analytics import (  # noqa: E402
    ConfigError,
    FetchWarning,
    JobArchive,
    JobsClient,
    TokenAuth,
    sync_jobs,
)
from rds_job_analytics.dlt import PRIMARY_KEY, STATE_KEY, rds_jobs  # noqa: E402
from rds_job_analytics.emulator import DEMO_PROJECT, Emulator  # noqa: E402
from rds_job_analytics.export._dataset import to_arrow  # noqa: E402
from rds_job_analytics.normalize.schema import JOB_SCHEMA  # noqa: E402
from rds_job_analytics.sync._sync import DEFAULT_OVERLAP  # noqa: E402
from tests.conftest import isolate_dlt  # noqa: E402

TOKEN = "dlt-test-token-6f1c2a9e"  # must never be written by the pipeline
NOW = datetime.now(UTC).replace(microsecond=0)  # the sync reads the real clock
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def job(jid: str, status: str, age: timedelta, *, ended: datetime | None = None) -> dict:
    body = {"id": jid, "name": "RestartMysqlInstance", "status": status,
            "created": f"{NOW - age:%Y-%m-%dT%H:%M:%SZ}"}  # fmt: skip
    if ended is not None:
        body["ended"] = f"{ended:%Y-%m-%dT%H:%M:%SZ}"
    return {"job": body}


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """dlt's home, project and working folders in tmp_path, no telemetry, and every
    connection or name look-up beyond loopback recorded (and refused)."""
    for name, folder in (("HOME", "home"), ("DLT_PROJECT_DIR", "project")):
        (tmp_path / folder).mkdir()
        monkeypatch.setenv(name, str(tmp_path / folder))
    isolate_dlt(monkeypatch, tmp_path / "dlt")
    monkeypatch.chdir(tmp_path / "project")
    reached: list[object] = []
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            reached.append(address)
            raise OSError(f"test is offline: connect to {address!r}")
        return connect(sock, address)

    def guarded_lookup(host, *args, **kwargs):
        if host not in LOOPBACK:
            reached.append(host)
            raise socket.gaierror(f"test is offline: look-up of {host!r}")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    return reached


def loaded(path) -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        rel = con.sql("SELECT * FROM rds.jobs ORDER BY project_id, job_id")
        table = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table  # duckdb < 1.4
        table = table()
    return table.to_pylist()


def window_start(pipeline) -> datetime:
    """Where the pipeline's next run starts listing the default project."""
    state = pipeline.state["sources"]["rds_jobs"]["resources"]["jobs"][STATE_KEY]
    return datetime.fromisoformat(state[DEMO_PROJECT])


def expected(client) -> list[dict]:
    """What the package itself gives for the same window: sync_jobs into an archive."""
    archive = JobArchive(":memory:")
    sync_jobs(client, archive, since=NOW - timedelta(days=7), progress=False)
    frame = archive.to_frame().sort_values(list(PRIMARY_KEY)).reset_index(drop=True)
    return to_arrow(frame).to_pylist()


@pytest.mark.slow  # two dlt pipeline runs (imports and DuckDB loads): about 2 s
def test_pipeline_into_duckdb_twice_merges_without_duplicates(tmp_path, offline, caplog):
    records = [
        job("j-done", "Completed", timedelta(days=3)),
        job("j-running", "Running", timedelta(days=2)),  # older than the overlap
        job("j-failed", "Failed", timedelta(days=1)),
    ]
    database = tmp_path / "jobs.duckdb"
    pipes = tmp_path / "pipelines"
    with Emulator(records, retention_days=None, tokens=[TOKEN]) as emu:
        client = emu.client(auth=TokenAuth(TOKEN))
        pipeline = dlt.pipeline("rds_jobs_test", destination=dlt.destinations.duckdb(str(database)),
                                pipelines_dir=str(pipes), dataset_name="rds")  # fmt: skip
        pipeline.run(rds_jobs(client))
        first = loaded(database)
        assert [(r["job_id"], r["status"]) for r in first] == [
            ("j-done", "Completed"), ("j-failed", "Failed"), ("j-running", "Running"),
        ]  # fmt: skip
        # the next window starts at the oldest job not finished (2 days > the overlap)
        assert window_start(pipeline) == NOW - timedelta(days=2)

        # between the runs: the Running job finished, a new one started
        emu.load([job("j-running", "Completed", timedelta(days=2), ended=NOW),
                  job("j-new", "Running", timedelta(0))])  # fmt: skip
        pipeline.run(rds_jobs(client))
        second = loaded(database)
        want = expected(client)
        pipeline.run(rds_jobs(client))  # nothing new
        assert loaded(database) == second

    keys = [(r["project_id"], r["job_id"]) for r in second]
    assert len(keys) == len(set(keys)) == 4  # merged: nothing duplicated
    assert {p for p, _ in keys} == {DEMO_PROJECT}
    status = {r["job_id"]: r["status"] for r in second}
    assert status == {"j-done": "Completed", "j-failed": "Failed", "j-running": "Completed",
                      "j-new": "Running"}  # fmt: skip
    assert {r["job_id"]: r["ended"] for r in second}["j-running"] == NOW
    # the loaded table is the package's frame: every column, tz-aware UTC times
    assert [{c: r[c] for c in JOB_SCHEMA} for r in second] == want
    assert all(r["created"].tzinfo is not None and r["created"].utcoffset() == timedelta(0)
               for r in second)  # fmt: skip
    # nothing older is open: the window starts the overlap before the last run's end
    assert NOW - DEFAULT_OVERLAP <= window_start(pipeline) <= datetime.now(UTC) - DEFAULT_OVERLAP

    assert DEFAULT_OVERLAP == timedelta(minutes=10)  # as README's "Load with dlt" says
    assert offline == []  # dlt reached for nothing beyond loopback
    for file in [database, *(p for p in tmp_path.rglob("*") if p.is_file())]:
        assert TOKEN.encode() not in file.read_bytes(), file  # state, trace, packages, logs
    assert TOKEN not in caplog.text


@pytest.mark.slow  # two dlt pipeline runs: about 1.5 s
def test_a_failed_task_list_does_not_move_the_window(tmp_path, offline):
    """A run whose task list failed after the client's retries keeps its own start for the
    next run, which loads what the failed one missed."""
    records = [job("j-old", "Completed", timedelta(days=20))]
    pipes, database = tmp_path / "pipelines", tmp_path / "jobs.duckdb"
    since = NOW - timedelta(days=25)
    with Emulator(records, retention_days=None, tokens=[TOKEN]) as emu:
        client = emu.client(auth=TokenAuth(TOKEN), max_retries=0)
        pipeline = dlt.pipeline("rds_jobs_fail", destination=dlt.destinations.duckdb(str(database)),
                                pipelines_dir=str(pipes), dataset_name="rds")  # fmt: skip
        emu.inject("503")  # the task list's first page fails: nothing is listed
        with pytest.warns(FetchWarning, match="task list failed"):
            pipeline.run(rds_jobs(client, since=since))
        assert window_start(pipeline) == since
        archive = JobArchive(":memory:")  # the next run also lands in an archive given
        pipeline.run(rds_jobs(client, archive=archive))
    assert [r["job_id"] for r in loaded(database)] == ["j-old"]
    assert archive.to_frame()["job_id"].tolist() == ["j-old"]
    assert archive.last_sync_end(DEMO_PROJECT) is not None  # its coverage is recorded
    assert offline == []


def test_without_the_extra_the_import_error_names_it(monkeypatch):
    monkeypatch.delitem(sys.modules, "rds_job_analytics.dlt")
    monkeypatch.setitem(sys.modules, "dlt", None)  # as if dlt were not installed
    with pytest.raises(ImportError, match=r"pip install 'rds-job-analytics\[dlt\]'"):
        importlib.import_module("rds_job_analytics.dlt")


@pytest.mark.parametrize(
    ("kwargs", "culprit"),
    [
        ({"details": "some"}, "details"),
        ({"errors": "loud"}, "errors"),
        ({"overlap": timedelta(minutes=-1)}, "overlap"),
    ],
)
def test_bad_arguments_fail_at_once_naming_the_culprit(kwargs, culprit):
    client = JobsClient(DEMO_PROJECT, endpoint="http://127.0.0.1:9", auth=TokenAuth(TOKEN))
    with pytest.raises(ConfigError, match=culprit) as caught:
        rds_jobs(client, **kwargs)
    assert TOKEN not in str(caught.value)
    with pytest.raises(ConfigError, match="JobsClient"):
        rds_jobs(TOKEN)

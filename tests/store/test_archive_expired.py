"""Jobs archived as Running that age out of the API: marked expired (with when), never
asked for again, and no failure (issue 14, item 14)."""

from __future__ import annotations

from datetime import UTC, datetime

from rds_job_analytics import JobArchive, fetch_jobs
from rds_job_analytics.cli import main
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator

RUNNING = {"job": {"id": "0f0e0d0c-0b0a-4908-8706-050403020100", "name": "MysqlEnlargeVolume",
                   "status": "Running", "created": "2026-11-01T08:00:00+0000", "process": "30%"}}  # fmt: skip
DONE = {"job": {"id": "1f0e0d0c-0b0a-4908-8706-050403020100", "name": "RestartMysqlInstance",
                "status": "Completed", "created": "2026-11-01T09:00:00+0000",
                "ended": "2026-11-01T09:01:00+0000"}}  # fmt: skip
IDS = [RUNNING["job"]["id"], DONE["job"]["id"]]


def test_a_running_job_that_ages_out_is_expired_and_not_asked_again(tmp_path):
    arc = JobArchive(tmp_path / "a.sqlite")
    emu = Emulator([RUNNING, DONE], now=datetime(2026, 11, 10, tzinfo=UTC), retention_days=30)
    with emu, emu.client() as client:
        first = fetch_jobs(client, IDS, archive=arc, progress=False)
        assert first["fetch_status"].tolist() == ["ok", "ok"]
        emu.now = datetime(2026, 12, 20, tzinfo=UTC)  # both jobs are past the API's 30 days
        calls = client.calls
        later = fetch_jobs(client, IDS, archive=arc, progress=False, errors="raise")
        assert client.calls - calls == 1  # the Running one is asked once; Completed never
        row = later.set_index("job_id").loc[RUNNING["job"]["id"]]
        assert row["fetch_status"] == "expired" and row["status"] == "Running"
        assert row["progress_pct"] == 30.0  # its archived record is the row
        assert "aged out of the API" in row["fetch_error"] and "2026-" in row["fetch_error"]
        assert list(arc.expired(DEMO_PROJECT)) == [RUNNING["job"]["id"]]
        calls = client.calls
        again = fetch_jobs(client, IDS, archive=arc, progress=False, errors="raise")
        assert client.calls == calls  # not asked for again
        assert again["fetch_status"].tolist() == ["expired", "ok"]


def test_a_job_the_archive_never_had_is_still_not_found(tmp_path):
    arc = JobArchive(tmp_path / "a.sqlite")
    with Emulator([DONE], retention_days=None) as emu, emu.client() as client:
        df = fetch_jobs(client, [RUNNING["job"]["id"]], archive=arc, errors="ignore")
    assert df["fetch_status"].tolist() == ["not_found"]
    assert arc.expired(DEMO_PROJECT) == {}


def test_the_daily_fetch_command_exits_0_once_the_job_expired(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RDS_JOBS_TOKEN", DEMO_TOKEN)
    db = tmp_path / "a.sqlite"
    emu = Emulator([RUNNING], now=datetime(2026, 11, 10, tzinfo=UTC), retention_days=30)
    with emu:
        argv = ["fetch", RUNNING["job"]["id"], "--archive", str(db), "--endpoint", emu.url,
                "--project-id", DEMO_PROJECT, "--rate-limit", "1000"]  # fmt: skip
        assert main(argv) == 0
        emu.now = datetime(2026, 12, 20, tzinfo=UTC)
        assert main(argv) == 0  # was: exit 2 (not_found) on every run, forever
        assert main(argv) == 0
    out = capsys.readouterr()
    assert "fetched 1/1 jobs, 0 failed" in out.out
    assert emu.counts.get("jobs") == 2  # the first fetch, one "not found"; then no call

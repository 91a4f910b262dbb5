"""``cli._commands``: ``fetch``, ``sync`` and ``export`` as a user runs them, in-process through
``cli.main``: the exit code, the message in the command line's own words, no traceback, API
calls counted by the emulator."""

from __future__ import annotations

import io
import socket

import pandas as pd
import pytest

from rds_job_analytics import cli
from rds_job_analytics.emulator import (
    DEMO_PROJECT,
    Emulator,
)
from tests.cli.conftest import api, calls, run

pytestmark = pytest.mark.usefixtures("env")  # token credentials only


def test_export_to_stdout_is_csv_with_the_summary_on_stderr(capsys, archive_file):
    code, out, err = run(capsys, "export", "--archive", archive_file, "-o", "-")
    assert code == 0
    assert out.count("\r\n") == 6  # the rows as -o x.csv writes them: header + 5, CRLF
    df = pd.read_csv(io.StringIO(out))
    assert len(df) == 5 and "job_id" in df.columns
    assert err.strip() == "exported 5 archived jobs to stdout"


def test_export_counts_what_it_exported(capsys, archive_file, tmp_path):
    code, out, _ = run(capsys, "export", "--archive", archive_file, "-o", tmp_path / "x.csv",
                       "--start", "2030-01-01")  # fmt: skip
    assert code == 0 and out.strip() == f"exported 0 archived jobs to {tmp_path / 'x.csv'}"


# -- 2. fetch keeps or shows what it fetched -----------------------------------------------
def test_fetch_without_output_shows_a_table_and_says_how_to_keep_it(capsys, emu):
    ids = emu.job_ids()[:2]
    code, out, err = run(capsys, "fetch", *ids, *api(emu))
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split() == ["job_id", "job_name", "status", "created", "(UTC)", "duration_s",
                                "fetch_status"]  # fmt: skip
    assert [line.split()[0] for line in lines[1:3]] == ids
    assert lines[-1] == "fetched 2/2 jobs, 0 failed, 2 API calls"
    assert "-o jobs.csv" in err and "-o -" in err and "--archive" in err


def test_fetch_to_stdout_is_csv_and_the_words_go_to_stderr(capsys, emu):
    ids = emu.job_ids()[:3]
    code, out, err = run(capsys, "fetch", *ids, "nope", *api(emu), "-o", "-")
    assert code == 1
    df = pd.read_csv(io.StringIO(out))
    assert df["job_id"].tolist() == [*ids, "nope"]
    assert "fetched 3/4 jobs, 1 failed" in err and "nope: not_found" in err


def test_fetch_output_suffix_is_checked_before_any_call(capsys, emu, tmp_path):
    before = dict(emu.counts)
    code, _, err = run(capsys, "fetch", *emu.job_ids()[:2], *api(emu), "-o", tmp_path / "x.xlsx")
    assert code == 64 and "-o must end in .parquet or .csv (or - for CSV on stdout)" in err
    assert calls(emu, before) == {} and list(tmp_path.iterdir()) == []


# -- 4/5 through the command line: dead endpoints, the IAM endpoint --------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fetch_against_a_closed_port_fails_in_one_screen(capsys):
    ids = [f"{i:032x}" for i in range(40)]
    code, out, err = run(capsys, "fetch", *ids, "--endpoint", f"http://127.0.0.1:{free_port()}",
                         "--project-id", DEMO_PROJECT, "--rate-limit", "1000")  # fmt: skip
    assert code == 2
    assert "connection refused by 127.0.0.1" in err
    assert len(err.strip().splitlines()) <= cli.MAX_FAILURE_LINES + 2  # + the hint, + "... more"
    assert "... and 20 more failures" in err
    assert out.strip().splitlines()[-1] == "fetched 0/40 jobs, 40 failed, 0 API calls"


def test_a_since_clamped_to_the_horizon_says_so_in_one_line(capsys, tmp_path):
    now = pd.Timestamp.now(tz="UTC")
    with Emulator([]) as empty:
        old = (now - pd.Timedelta(days=45)).strftime("%Y-%m-%d")
        code, _, err = run(capsys, "sync", "--archive", tmp_path / "a.sqlite", *api(empty),
                           "--since", old)  # fmt: skip
        assert code == 0, err
        (note,) = [line for line in err.splitlines() if "--since" in line]
        assert note.startswith(f"rds-jobs: note: --since {old} 00:00 UTC is older than the "
                               "API's 30-day horizon: syncing from ")  # fmt: skip
        recent = (now - pd.Timedelta(days=10)).strftime("%Y-%m-%d")
        code, _, err = run(capsys, "sync", "--archive", tmp_path / "a.sqlite", *api(empty),
                           "--since", recent)  # fmt: skip
        assert code == 0 and "horizon" not in err  # nothing clamped, nothing said
        code, _, err = run(capsys, "sync", "--archive", tmp_path / "a.sqlite", *api(empty),
                           "--since", old, "--horizon-days", "0")  # fmt: skip
        assert code == 0 and "horizon" not in err


def test_an_until_older_than_the_horizon_is_refused_before_anything_is_touched(capsys, tmp_path):
    fleet = tmp_path / "fleet.toml"
    fleet.write_text("")  # never read: the window is refused first
    with Emulator([]) as empty:
        for extra in (api(empty), ("--fleet", str(fleet))):
            db = tmp_path / "a.sqlite"
            code, _, err = run(capsys, "sync", "--archive", db, "--until", "2020-01-01", *extra)
            assert code == 64, err
            assert "--until 2020-01-01 00:00:00+00:00 is older than the API's 30-day" in err
            assert not db.exists() and list(tmp_path.iterdir()) == [fleet]


@pytest.mark.slow
def test_sync_against_a_dead_endpoint_says_so_in_plain_words(capsys, tmp_path):
    db = tmp_path / "a.sqlite"
    code, out, err = run(capsys, "sync", "--archive", db, "--project-id", DEMO_PROJECT,
                         "--endpoint", f"http://127.0.0.1:{free_port()}")  # fmt: skip
    assert code == 2  # nothing listed, nothing fetched: a failure
    assert out.startswith("sync ") and "0 listed" in out and "connection refused" in out
    assert "rds-jobs: warning: task list failed" in err
    assert "FetchWarning" not in err and "res = sync_jobs(" not in err  # no source lines

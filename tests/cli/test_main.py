"""``rds_job_analytics.cli`` (``main``): exit codes, one-line errors, ``--debug``, Ctrl-C
(exit 130 and what was kept), the quiet start of the console script."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pandas as pd
import pytest

from rds_job_analytics import (
    JobArchive,
    __version__,
    cli,
)
from rds_job_analytics.cli import main
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN
from tests.cli.conftest import UUID, api, run
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("env")  # token credentials only


def test_an_os_error_while_writing_is_one_line(capsys, archive_file, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "x.csv"))

    monkeypatch.setattr("rds_job_analytics.export.write_frame", full)  # where the CLI looks
    code, _, err = run(capsys, "export", "--archive", archive_file, "-o", tmp_path / "x.csv")
    assert code == 2
    assert err.strip() == f"rds-jobs: '{tmp_path / 'x.csv'}': No space left on device"


@pytest.mark.parametrize(
    "argv",
    [
        ["sync"],  # a missing required option
        ["report"],
        ["export", "--archive", "a.sqlite"],
        ["sync", "--archive", "a.sqlite", "--details", "most"],  # a bad choice
        ["fetch", UUID, "--refresh", "sometimes"],
        ["fetch", UUID, "--workers", "0"],
        ["fetch", UUID, "--rate-limit", "0"],
        ["sync", "--archive", "a.sqlite", "--budget", "-1"],
        ["sync", "--archive", "a.sqlite", "--horizon-days", "-3"],
        ["fetch", UUID, "--region", "r", "--endpoint", "http://127.0.0.1:1"],  # exclusive
        ["emulator", "--port", "http"],
        ["frobnicate"],  # an unknown command
        [],  # no command
        ["--no-such-option"],
    ],
)
def test_argparse_errors_exit_64_with_usage(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 64, err
    assert err.startswith("usage: rds-jobs") and "error: " in err and "--help" in err
    assert out == "" and list(tmp_path.iterdir()) == []


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"rds-jobs {__version__}"


def test_no_traceback_for_an_unexpected_error_unless_debug(capsys, archive_file, monkeypatch):
    def boom(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli._parser, "_cmd_export", boom)  # what the parser dispatches to
    code, _, err = run(capsys, "export", "--archive", archive_file, "-o", "x.csv")
    assert code == 2 and err.strip().startswith("rds-jobs: unexpected RuntimeError: boom")
    assert "--debug" in err
    for argv in (["--debug", "export"], ["export", "--debug"]):
        assert main([*argv, "--archive", str(archive_file), "-o", "x.csv"]) == 2
        err = capsys.readouterr().err
        assert "Traceback" in err and "RuntimeError: boom" in err


def test_debug_shows_the_traceback_of_a_user_error(capsys, tmp_path):
    assert main(["report", "--archive", str(tmp_path / "typo.sqlite"), "--debug"]) == 64
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().endswith("the file does not exist")


# -- Ctrl-C: exit 130 and what was kept ------------------------------------------------------
def test_ctrl_c_during_sync_exits_130_and_says_what_was_kept(capsys, emu, tmp_path, monkeypatch):
    real = JobArchive.put_tasks
    pages = []

    def put_then_ctrl_c(self, records, **kw):
        pages.append(real(self, records, **kw))
        if len(pages) == 2:
            raise KeyboardInterrupt
        return pages[-1]

    monkeypatch.setattr(JobArchive, "put_tasks", put_then_ctrl_c)
    db = tmp_path / "a.sqlite"
    code, _out, err = run(capsys, "sync", "--archive", db, *api(emu), "--since", "2026-08-01",
                         "--horizon-days", "0")  # fmt: skip
    assert code == 130
    kept = len(JobArchive.open(db))
    assert kept == sum(pages) == 100  # two pages of 50, committed as they came
    assert err.strip() == (f"rds-jobs: interrupted: {kept} jobs archived in {db} (+{kept} this "
                           "run), all kept; rerun the same command to continue")  # fmt: skip


def test_ctrl_c_during_fetch(capsys, emu, tmp_path, monkeypatch):
    from rds_job_analytics.api._client import JobsClient

    real = JobsClient.get_job
    asked = []

    def get_then_ctrl_c(self, job_id, *args, **kwargs):
        asked.append(job_id)
        if len(asked) > 3:
            raise KeyboardInterrupt
        return real(self, job_id, *args, **kwargs)

    monkeypatch.setattr(JobsClient, "get_job", get_then_ctrl_c)
    db = tmp_path / "a.sqlite"
    code, _, err = run(capsys, "fetch", *emu.job_ids()[:20], *api(emu), "--archive", db,
                       "--workers", "1")  # fmt: skip
    assert code == 130
    assert err.strip().startswith(f"rds-jobs: interrupted: 3 jobs archived in {db} (+3 this run)")
    assert len(JobArchive.open(db)) == 3
    asked.clear()
    code, _, err = run(capsys, "fetch", *emu.job_ids()[:20], *api(emu), "--workers", "1")
    assert code == 130
    assert err.strip() == (
        "rds-jobs: interrupted: nothing kept (fetch keeps what it fetched with --archive DB)"
    )


# -- Ctrl-C while the command line starts ---------------------------------------------------
def test_ctrl_c_while_parsing_the_arguments_is_one_line_and_130(capsys, monkeypatch):
    def interrupted_parser():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli._parser, "build_parser", interrupted_parser)
    assert main(["sync", "--help"]) == 130
    assert capsys.readouterr().err.strip() == "rds-jobs: interrupted while starting: nothing done"


def _start_rds_jobs_and_press_ctrl_c_while(importing: str) -> Any:
    """Run ``rds-jobs`` as its console script does (``from rds_job_analytics.cli import
    main``, ``sys.argv[0]`` the script's path), with Ctrl-C arriving while Python imports
    ``importing`` (a finder raises KeyboardInterrupt there: no timing involved)."""
    import subprocess
    import sys

    script = f"""
import sys
sys.argv[0] = "/opt/rds-jobs/bin/rds-jobs"

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == {importing!r}:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
from rds_job_analytics.cli import main
sys.exit(main())
"""
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.mark.slow  # a cold interpreter in a subprocess (importing pandas): 1-3 s
@pytest.mark.parametrize("importing", ["pandas", "requests"])
def test_ctrl_c_while_importing_is_one_line_and_no_traceback(importing):
    proc = _start_rds_jobs_and_press_ctrl_c_while(importing)
    assert proc.stderr.strip() == "rds-jobs: interrupted while starting: nothing done", proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (130, -2)  # Python exits by SIGINT, as for any Ctrl-C


def test_the_quiet_start_is_for_the_command_line_only():
    import sys

    from rds_job_analytics import _startup

    hook = sys.excepthook
    assert _startup.install("/usr/bin/python3") is False and sys.excepthook is hook
    assert "rds-jobs" in _startup.CLI_NAMES  # the console script's name, as pyproject says
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'rds-jobs = "rds_job_analytics.cli:main"' in pyproject


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

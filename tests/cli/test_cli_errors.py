"""``rds-jobs`` under bad input and dead networks (issue 13), in-process through ``cli.main``:
the exit code, the message in the command line's own words, no traceback, no file created,
API calls counted by the emulator."""

from __future__ import annotations

import argparse
import io
import re
import shlex
import socket
from typing import Any

import pandas as pd
import pytest

from rds_job_analytics import JobArchive, __version__, cli
from rds_job_analytics.cli import id_tokens, main
from rds_job_analytics.emulator import (
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_PROJECT,
    DEMO_TOKEN,
    DEMO_USER,
    Emulator,
)
from tests.conftest import ROOT

CREDENTIAL_VARS = (
    "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_IAM_ENDPOINT", "HUAWEICLOUD_SDK_PROJECT_ID", "RDS_JOBS_TOKEN",
    "RDS_JOBS_USERNAME", "RDS_JOBS_PASSWORD", "RDS_JOBS_DOMAIN",
)  # fmt: skip
UUID = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"


@pytest.fixture(scope="module")
def emu():
    with Emulator(retention_days=None) as e:
        yield e


@pytest.fixture(autouse=True)
def env(monkeypatch):
    """Token credentials only, whatever the machine has set."""
    for name in CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RDS_JOBS_TOKEN", DEMO_TOKEN)
    return monkeypatch


@pytest.fixture
def archive(emu, tmp_path):
    """An archive of 5 jobs of the sample, with one recorded sync."""
    db = tmp_path / "jobs.sqlite"
    with emu.client() as client, JobArchive(db) as arc:
        for jid in emu.job_ids()[:5]:
            arc.put(client.get_job(jid), project_id=DEMO_PROJECT)
    return db


def api(emu):
    return ["--endpoint", emu.url, "--project-id", DEMO_PROJECT, "--rate-limit", "1000"]


def run(capsys, *argv):
    """(exit code, stdout, stderr); no traceback, ever."""
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out, out.err


def calls(emu, before):
    return {k: v - before.get(k, 0) for k, v in emu.counts.items() if v != before.get(k, 0)}


# -- 2. files: reading commands refuse what is not an archive, and create nothing -----------
@pytest.mark.parametrize("command", ["report", "export"])
def test_a_missing_archive_is_refused_by_name_and_not_created(capsys, tmp_path, command):
    typo = tmp_path / "typo.sqlite"
    extra = ["-o", tmp_path / "out.csv"] if command == "export" else ["-o", tmp_path / "r.html"]
    code, _out, err = run(capsys, command, "--archive", typo, *extra)
    assert code == 64
    assert err.strip() == f"rds-jobs: no archive at '{typo}': the file does not exist"
    assert list(tmp_path.iterdir()) == []  # no database, no -wal/-shm, no output


@pytest.mark.parametrize("command", ["report", "export", "sync", "fetch"])
@pytest.mark.parametrize("what", ["text", "folder", "foreign sqlite"])
def test_a_file_that_is_no_archive_is_refused_and_left_alone(capsys, emu, tmp_path, command, what):
    path = tmp_path / "README.md"
    if what == "text":
        path.write_text("# not a database\n")
    elif what == "folder":
        path.mkdir()
    else:
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (x)")
    before = path.read_bytes() if path.is_file() else None
    extra = {
        "report": [], "export": ["-o", tmp_path / "out.csv"],
        "sync": api(emu), "fetch": [UUID, *api(emu)],
    }[command]  # fmt: skip
    counts = dict(emu.counts)
    code, _, err = run(capsys, command, "--archive", path, *extra)
    assert code == 64
    assert f"'{path}'" in err and ("not an archive" in err or "a folder" in err), err
    assert (path.read_bytes() if path.is_file() else None) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]
    assert calls(emu, counts) == {}


def test_sync_and_fetch_create_the_archive(capsys, emu, tmp_path):
    code, out, _ = run(capsys, "fetch", *emu.job_ids()[:2], *api(emu), "--archive",
                       tmp_path / "new" / "a.sqlite")  # fmt: skip
    assert code == 0 and out.strip().endswith(f"-> {tmp_path / 'new' / 'a.sqlite'}")
    assert len(JobArchive.open(tmp_path / "new" / "a.sqlite")) == 2


def test_report_output_must_be_html_checked_before_any_work(capsys, archive, tmp_path):
    code, _, err = run(capsys, "report", "--archive", archive, "--month", "2026-08",
                       "-o", tmp_path / "report.pdf")  # fmt: skip
    assert code == 64 and "-o must end in .html, not" in err and "report.pdf" in err
    assert not (tmp_path / "report.pdf").exists()
    code, _, err = run(capsys, "report", "--archive", archive, "-o", "-")
    assert code == 64 and "-o -" in err
    code, out, err = run(capsys, "report", "--archive", archive, "--month", "2026-08",
                         "-o", tmp_path / "r.html")  # fmt: skip
    assert (tmp_path / "r.html").exists() and "report for 2026-08" in out
    assert code == 1 and "report incomplete" in err  # 5 jobs and no recorded sync: not a month


def test_export_to_stdout_is_csv_with_the_summary_on_stderr(capsys, archive):
    code, out, err = run(capsys, "export", "--archive", archive, "-o", "-")
    assert code == 0
    assert out.count("\r\n") == 6  # the rows as -o x.csv writes them: header + 5, CRLF
    df = pd.read_csv(io.StringIO(out))
    assert len(df) == 5 and "job_id" in df.columns
    assert err.strip() == "exported 5 archived jobs to stdout"


def test_export_counts_what_it_exported(capsys, archive, tmp_path):
    code, out, _ = run(capsys, "export", "--archive", archive, "-o", tmp_path / "x.csv",
                       "--start", "2030-01-01")  # fmt: skip
    assert code == 0 and out.strip() == f"exported 0 archived jobs to {tmp_path / 'x.csv'}"


def test_an_output_that_cannot_be_written_is_a_failure_before_any_work(capsys, archive, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = run(capsys, "export", "--archive", archive, "-o", blocker / "sub" / "x.csv")
    assert code == 2
    assert err.strip() == (
        f"rds-jobs: cannot write '{blocker / 'sub' / 'x.csv'}': '{blocker}' is not a folder"
    )
    code, _, err = run(capsys, "export", "--archive", archive, "-o", tmp_path)
    assert code == 64 and "-o must end in .parquet or .csv" in err


def test_an_os_error_while_writing_is_one_line(capsys, archive, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "x.csv"))

    monkeypatch.setattr("rds_job_analytics.export._files.write_frame", full)
    code, _, err = run(capsys, "export", "--archive", archive, "-o", tmp_path / "x.csv")
    assert code == 2
    assert err.strip() == f"rds-jobs: '{tmp_path / 'x.csv'}': No space left on device"


# -- 1. exit codes, usage errors, messages in the CLI's words ------------------------------
def test_bad_dates_name_their_flag(capsys, archive, tmp_path):
    code, _, err = run(capsys, "export", "--archive", archive, "-o", tmp_path / "x.csv",
                       "--start", "2026-99-01")  # fmt: skip
    assert code == 64
    assert "argument --start: not a date or time: '2026-99-01'" in err
    assert not (tmp_path / "x.csv").exists()
    code, _, err = run(capsys, "sync", "--archive", tmp_path / "a.sqlite", "--since", "yesterday")
    assert code == 64 and "argument --since: not a date or time" in err
    assert not (tmp_path / "a.sqlite").exists()


def test_a_bad_month_names_the_flag(capsys, archive):
    code, _, err = run(capsys, "report", "--archive", archive, "--month", "2026-13")
    assert code == 64 and err.strip() == "rds-jobs: --month must look like 'YYYY-MM', not '2026-13'"
    code, _, err = run(capsys, "report", "--archive", archive, "--month", "2026-10",
                       "--tz", "Mars/Olympus")  # fmt: skip
    assert code == 64 and "--tz: unknown time zone 'Mars/Olympus'" in err


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


def test_library_words_become_flags(capsys, emu, env, tmp_path):
    env.delenv("RDS_JOBS_TOKEN")
    code, _, err = run(capsys, "fetch", UUID, *api(emu))
    assert code == 64
    assert err.startswith("rds-jobs: no credentials: set HUAWEICLOUD_SDK_AK") and "auth=" not in err
    env.setenv("RDS_JOBS_TOKEN", DEMO_TOKEN)
    code, _, err = run(capsys, "fetch", UUID, "--project-id", DEMO_PROJECT,
                       "--endpoint", "http://rds.example.invalid")  # fmt: skip
    assert code == 64 and "pass --allow-http" in err and "allow_http" not in err
    code, _, err = run(capsys, "fetch", UUID, "--project-id", DEMO_PROJECT)
    assert code == 64 and "give --region REGION or --endpoint URL" in err and "=..." not in err
    code, _, err = run(capsys, "fetch", UUID, "--region", "ap-southeast-1")
    assert code == 64 and "--project-id (or HUAWEICLOUD_SDK_PROJECT_ID) is required" in err
    db = tmp_path / "x.sqlite"
    code, _, err = run(capsys, "sync", "--archive", db, *api(emu),
                       "--since", "2026-11-02", "--until", "2026-11-01", "--horizon-days", "0")  # fmt: skip
    assert code == 64 and "--since 2026-11-02 00:00:00+00:00 is not before --until" in err
    assert not db.exists()


def test_cli_words_has_one_table():
    assert (
        cli.cli_words("budget must be >= 0 calls, not -1") == "--budget must be >= 0 calls, not -1"
    )
    assert cli.cli_words("rate_limit must be > 0 requests/s, not 0") == (
        "--rate-limit must be > 0 requests/s, not 0"
    )
    assert cli.cli_words("an unrelated message") == "an unrelated message"


def test_no_traceback_for_an_unexpected_error_unless_debug(capsys, archive, monkeypatch):
    def boom(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli._parser, "_cmd_export", boom)  # what the parser dispatches to
    code, _, err = run(capsys, "export", "--archive", archive, "-o", "x.csv")
    assert code == 2 and err.strip().startswith("rds-jobs: unexpected RuntimeError: boom")
    assert "--debug" in err
    for argv in (["--debug", "export"], ["export", "--debug"]):
        assert main([*argv, "--archive", str(archive), "-o", "x.csv"]) == 2
        err = capsys.readouterr().err
        assert "Traceback" in err and "RuntimeError: boom" in err


def test_debug_shows_the_traceback_of_a_user_error(capsys, tmp_path):
    assert main(["report", "--archive", str(tmp_path / "typo.sqlite"), "--debug"]) == 64
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().endswith("the file does not exist")


def test_every_command_has_an_example_and_every_option_help():
    def parsers(p):
        yield p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sp in action.choices.values():
                    yield from parsers(sp)

    seen = []
    for p in parsers(cli._parser.build_parser()):
        seen.append(p.prog)
        assert p.epilog and p.epilog.startswith("examples:\n"), p.prog
        assert p.prog.split()[-1] in p.epilog or p.prog == "rds-jobs", p.prog
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(a.help for a in action._choices_actions)
                continue
            assert action.help and action.help != argparse.SUPPRESS, (p.prog, action.dest)
    assert len(seen) == 9  # rds-jobs and its eight commands


def test_help_reads_well(capsys):
    with pytest.raises(SystemExit) as info:
        main(["fetch", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:\n  rds-jobs fetch " in text  # the examples keep their lines
    assert "130 interrupted" in " ".join(main.__doc__.split())


# -- 3. ID files ---------------------------------------------------------------------------
def test_id_tokens_understands_comments_headers_and_csv():
    a, b = "43c872386c4046f5a86fd7a25764f2d7", UUID
    assert id_tokens(f"# mine\n\n  {a}  \n# {b}\n{b}\n") == [a, b]
    assert id_tokens(f"\ufeffID\n{a}\n") == [a]  # a BOM, a header in capitals
    assert id_tokens(f"job_id\n{a}\n") == [a]
    assert id_tokens(f'name,job_id,status\nx,{a},Completed\n"y, z",{b},Failed\n') == [a, b]
    assert id_tokens(f"id\tstatus\n{a}\tCompleted\n") == [a]
    assert id_tokens("name,job_id\nonly-a-name\n,\n") == ["only-a-name"]  # no ID in that column
    assert id_tokens("# nothing\n\n") == []


def test_id_file_tokens_that_cannot_be_job_ids_cost_no_call(capsys, emu, tmp_path):
    a, b = emu.job_ids()[:2]
    path = tmp_path / "ids.csv"
    path.write_text(f"# exported from the console\njob_id,status\n{a},Completed\n\n"
                    f"hello world,x\n{b[:8]} {b[8:]},Running\n{a},again\n")  # fmt: skip
    before = dict(emu.counts)
    code, out, err = run(capsys, "fetch", "--file", path, *api(emu), "-o", tmp_path / "o.csv")
    assert calls(emu, before) == {"jobs": 2}  # a and b (its whitespace repaired), once each
    assert code == 1
    assert "hello world: not_found: not a job ID" in err and "not asked" in err
    assert out.strip() == "fetched 2/3 jobs, 1 failed (1 not a job ID, not asked), 2 API calls"
    df = pd.read_csv(tmp_path / "o.csv")
    assert df["job_id"].tolist() == [a, b, "hello world"]
    assert df["fetch_status"].tolist() == ["ok", "ok", "not_found"]


def test_every_path_option_expands_home_and_variables(capsys, emu, tmp_path, home_and_cwd):
    """`--file '~/ids.txt'` (quoted: the shell leaves the ~), `--archive=~/...`, `-o $VAR/...`:
    each lands where a shell would put it, and nothing named '~' or '$VAR' in the cwd."""
    home, cwd, _ = home_and_cwd
    (home / "ids.txt").write_text("\n".join(emu.job_ids()[:2]) + "\n")
    code, out, err = run(capsys, "fetch", "--file", "~/ids.txt", *api(emu),
                         "--archive=~/db/a.sqlite", "-o", "$RDS_JOBS_TEST_DIR/o.csv")  # fmt: skip
    assert code == 0, err
    assert f"-> {home / 'db' / 'a.sqlite'}" in out
    assert len(JobArchive.open(home / "db" / "a.sqlite")) == 2
    assert len(pd.read_csv(tmp_path / "var" / "o.csv")) == 2
    code, _, err = run(capsys, "export", "--archive", "$RDS_JOBS_NOT_SET/a.sqlite", "-o", "-")
    assert code == 64 and "RDS_JOBS_NOT_SET is not set" in err
    assert list(cwd.iterdir()) == []


def test_a_path_option_is_expanded_once(capsys, emu, tmp_path, monkeypatch):
    """A variable whose value holds a literal `$NAME` (a folder named so): the CLI and the
    library do not both expand it, so the file lands in that folder."""
    folder = tmp_path / "a$HOME"
    monkeypatch.setenv("RDS_JOBS_TEST_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    ids = tmp_path / "ids.txt"
    ids.write_text(emu.job_ids()[0] + "\n")
    code, _, err = run(capsys, "fetch", "--file", ids, *api(emu),
                         "--archive", "$RDS_JOBS_TEST_DIR/a.sqlite",
                         "-o", "$RDS_JOBS_TEST_DIR/o.csv")  # fmt: skip
    assert code == 0, err
    assert len(JobArchive.open(folder / "a.sqlite")) == 1
    assert len(pd.read_csv(folder / "o.csv")) == 1


def test_ids_on_stdin_and_only_invalid_ones(capsys, emu, monkeypatch):
    jid = emu.job_ids()[0]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(f"id\n{jid}\n".encode())))
    before = dict(emu.counts)
    code, out, _ = run(capsys, "fetch", *api(emu))
    assert code == 0 and calls(emu, before) == {"jobs": 1}
    assert out.strip().splitlines()[-1] == "fetched 1/1 jobs, 0 failed, 1 API calls"
    code, out, err = run(capsys, "fetch", "job_id", "nope", *api(emu))  # no header in arguments
    assert code == 2 and calls(emu, before) == {"jobs": 1}
    assert "job_id: not_found: not a job ID" in err and "nope: not_found" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "rds-jobs: --file {path}: no such file"),
        (b"43c872386c4046f5a86fd7a25764f2d7\n\xff\n", "rds-jobs: --file {path}: not UTF-8 text "
         "(byte 0xff at offset 33); save it as UTF-8 (plain text or CSV)"),
        ("folder", "rds-jobs: --file {path}: a folder, not a file of job IDs"),
    ],
)  # fmt: skip
def test_an_id_file_that_cannot_be_read_is_a_usage_error(capsys, emu, tmp_path, content, message):
    path = tmp_path / "ids.txt"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    before = dict(emu.counts)
    code, _, err = run(capsys, "fetch", "--file", path, *api(emu))
    assert code == 64 and err.strip() == message.format(path=path)
    assert calls(emu, before) == {}


def test_non_utf8_stdin_is_a_usage_error(capsys, emu, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\xfe\xff")))
    code, _, err = run(capsys, "fetch", "--file", "-", *api(emu))
    assert code == 64 and err.startswith("rds-jobs: stdin: not UTF-8 text (byte 0xfe at offset 0)")


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


def test_iam_endpoint_flag_sends_the_password_where_it_says(capsys, emu, env):
    env.delenv("RDS_JOBS_TOKEN")
    for name, value in (("RDS_JOBS_USERNAME", DEMO_USER), ("RDS_JOBS_PASSWORD", DEMO_PASSWORD),
                        ("RDS_JOBS_DOMAIN", DEMO_DOMAIN)):  # fmt: skip
        env.setenv(name, value)
    with Emulator([], retention_days=None) as iam:
        iam.tokens = emu.tokens  # the API accepts what this IAM issues
        before = dict(emu.counts)
        code, _, err = run(capsys, "fetch", emu.job_ids()[0], *api(emu),
                           "--iam-endpoint", iam.url)  # fmt: skip
        assert code == 0, err
        assert iam.counts == {"auth": 1} and "auth" not in calls(emu, before)
    code, _, err = run(capsys, "fetch", UUID, "--project-id", DEMO_PROJECT,
                       "--endpoint", "https://rds.proxy.example")  # fmt: skip
    assert code == 64 and "--iam-endpoint" in err and "PasswordAuth(" not in err
    code, _, err = run(capsys, "fetch", UUID, *api(emu), "--iam-endpoint", "iam.example")
    assert code == 64 and "--iam-endpoint must be an http(s) URL" in err


def test_iam_endpoint_is_ignored_aloud_for_a_token(capsys, emu):
    code, _, err = run(capsys, "fetch", emu.job_ids()[0], *api(emu),
                       "--iam-endpoint", "https://iam.example")  # fmt: skip
    assert code == 0 and "--iam-endpoint is for password credentials" in err


# -- 6. the emulator on-ramp ------------------------------------------------------------------
def test_emulator_on_a_port_in_use_is_a_clear_message(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "emulator", "--port", port)
    assert code == 2 and out == ""
    assert err.strip() == (f"rds-jobs: port {port} on 127.0.0.1 is already in use (another "
                           "emulator?): choose another with --port N, or --port 0 for any free "
                           "port")  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("retention", [None, "30"])
def test_emulator_prints_a_command_that_works(capsys, tmp_path, monkeypatch, env, retention):
    """The printed lines, run as they are against the emulator: the sync (seconds: the quota
    and the rate it names leave no 429) and the report. With a retention too: the report's
    month (the last complete one) is served and synced whole."""
    monkeypatch.chdir(tmp_path)
    env.delenv("RDS_JOBS_TOKEN")
    results = {}

    def try_what_it_says():
        printed = capsys.readouterr().out
        results["printed"] = printed
        lines = [line.strip() for line in printed.splitlines()]
        (export,) = [line for line in lines if line.startswith("export ")]
        name, value = export.removeprefix("export ").split("=", 1)
        env.setenv(name, value)
        for line in lines:
            if line.startswith("rds-jobs "):
                results[line.split()[1]] = main(shlex.split(line)[1:])
        raise KeyboardInterrupt  # Ctrl-C stops the emulator

    monkeypatch.setattr(cli._demo, "_wait_for_ctrl_c", try_what_it_says)
    keep = ["--retention-days", retention] if retention else []
    code = main(["emulator", "--port", "0", *keep])
    out = capsys.readouterr()
    assert code == 0 and out.out.strip().endswith("emulator stopped")
    assert results["sync"] == 0 and results["report"] == 0 and results["projects"] == 0, out.err
    printed = results["printed"]
    if retention:
        (month,) = re.findall(r"rds-jobs report --archive jobs.sqlite --month (\S+)", printed)
        assert "no retention" not in printed and f"so that {month}" in printed
        assert (tmp_path / f"rds-reliability-{month}.html").exists()
        return
    assert "no retention" in printed and "quota: 6000 calls a minute" in printed
    assert re.search(r"--rate-limit 80\b", printed)
    assert (
        "sync 2026-08-01 00:00 .. " in out.out and "5000 listed, 510 fetched, 0 failed" in out.out
    )
    assert len(JobArchive.open(tmp_path / "jobs.sqlite")) == 5000
    assert (tmp_path / "rds-reliability-2026-10.html").exists()


def test_emulator_prints_a_projects_discover_line_that_works(capsys, tmp_path, monkeypatch):
    """The banner's `rds-jobs projects discover ...` line, run as printed (the token it
    exported), writes a fleet file whose one project is the emulator's."""
    from rds_job_analytics.sync._fleet import load_fleet

    monkeypatch.chdir(tmp_path)
    results = {}

    def run_the_discover_line():
        printed = capsys.readouterr().out
        (line,) = [ln.strip() for ln in printed.splitlines()
                   if ln.strip().startswith("rds-jobs projects discover")]  # fmt: skip
        results["code"] = main(shlex.split(line)[1:])
        raise KeyboardInterrupt

    monkeypatch.setattr(cli._demo, "_wait_for_ctrl_c", run_the_discover_line)
    assert main(["emulator", "--port", "0"]) == 0
    assert results["code"] == 0
    (project,) = load_fleet(tmp_path / "emulator-fleet.toml").projects
    assert project.project_id == DEMO_PROJECT and project.endpoint.startswith("http://127.0.0.1:")


@pytest.mark.slow  # a subprocess importing the package (about 2 s)
def test_emulator_banner_reaches_a_pipe_at_once(tmp_path):
    """`rds-jobs emulator > log &`: the banner is there while it serves, not at exit."""
    import os
    import queue
    import signal
    import subprocess
    import sys
    import threading

    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}
    proc = subprocess.Popen([sys.executable, "-m", "rds_job_analytics.cli", "emulator",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=tmp_path)  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout], daemon=True)
    reader.start()
    try:
        seen = []
        while not seen or not seen[-1].startswith("Ctrl-C stops the emulator"):
            seen.append(lines.get(timeout=60))  # waits for output; never for the exit
        assert proc.poll() is None  # still serving
        assert seen[0].startswith("emulator: the RDS task-center API on http://127.0.0.1:")
        assert any("rds-jobs projects discover" in ln for ln in seen)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    reader.join(timeout=30)


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


def test_readme_documents_the_command_line():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Command line") : text.index("### The emulator")]
    for words in ("64 usage error", "130", "--version", "--debug", "# comment", "job_id",
                  "-o -", "--iam-endpoint"):  # fmt: skip
        assert words in section, words


@pytest.mark.slow
def test_sync_against_a_dead_endpoint_says_so_in_plain_words(capsys, tmp_path):
    db = tmp_path / "a.sqlite"
    code, out, err = run(capsys, "sync", "--archive", db, "--project-id", DEMO_PROJECT,
                         "--endpoint", f"http://127.0.0.1:{free_port()}")  # fmt: skip
    assert code == 2  # nothing listed, nothing fetched: a failure
    assert out.startswith("sync ") and "0 listed" in out and "connection refused" in out
    assert "rds-jobs: warning: task list failed" in err
    assert "FetchWarning" not in err and "res = sync_jobs(" not in err  # no source lines


def test_an_archive_that_cannot_be_created_is_a_failure(capsys, emu, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = run(capsys, "sync", "--archive", blocker / "a.sqlite", *api(emu))
    assert code == 2
    assert err.strip() == (f"rds-jobs: cannot create the archive '{blocker / 'a.sqlite'}': "
                           f"'{blocker}' is not a folder")  # fmt: skip
    assert blocker.read_text() == ""


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

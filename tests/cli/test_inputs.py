"""``cli._inputs``: argument types, ``--archive`` and ``-o`` checked before any work, ID files
and stdin, path expansion, the client's credentials and IAM endpoint."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from rds_job_analytics import JobArchive
from rds_job_analytics.cli import id_tokens
from rds_job_analytics.emulator import (
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_PROJECT,
    DEMO_USER,
    Emulator,
)
from tests.cli.conftest import UUID, api, calls, run

pytestmark = pytest.mark.usefixtures("env")  # token credentials only


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


def test_report_output_must_be_html_checked_before_any_work(capsys, archive_file, tmp_path):
    code, _, err = run(capsys, "report", "--archive", archive_file, "--month", "2026-08",
                       "-o", tmp_path / "report.pdf")  # fmt: skip
    assert code == 64 and "-o must end in .html, not" in err and "report.pdf" in err
    assert not (tmp_path / "report.pdf").exists()
    code, _, err = run(capsys, "report", "--archive", archive_file, "-o", "-")
    assert code == 64 and "-o -" in err
    code, out, err = run(capsys, "report", "--archive", archive_file, "--month", "2026-08",
                         "-o", tmp_path / "r.html")  # fmt: skip
    assert (tmp_path / "r.html").exists() and "report for 2026-08" in out
    assert code == 1 and "report incomplete" in err  # 5 jobs and no recorded sync: not a month


def test_an_output_that_cannot_be_written_is_a_failure_before_any_work(
    capsys, archive_file, tmp_path
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = run(capsys, "export", "--archive", archive_file, "-o", blocker / "sub" / "x.csv")
    assert code == 2
    assert err.strip() == (
        f"rds-jobs: cannot write '{blocker / 'sub' / 'x.csv'}': '{blocker}' is not a folder"
    )
    code, _, err = run(capsys, "export", "--archive", archive_file, "-o", tmp_path)
    assert code == 64 and "-o must end in .parquet or .csv" in err


# -- 1. exit codes, usage errors, messages in the CLI's words ------------------------------
def test_bad_dates_name_their_flag(capsys, archive_file, tmp_path):
    code, _, err = run(capsys, "export", "--archive", archive_file, "-o", tmp_path / "x.csv",
                       "--start", "2026-99-01")  # fmt: skip
    assert code == 64
    assert "argument --start: not a date or time: '2026-99-01'" in err
    assert not (tmp_path / "x.csv").exists()
    code, _, err = run(capsys, "sync", "--archive", tmp_path / "a.sqlite", "--since", "yesterday")
    assert code == 64 and "argument --since: not a date or time" in err
    assert not (tmp_path / "a.sqlite").exists()


def test_a_bad_month_names_the_flag(capsys, archive_file):
    code, _, err = run(capsys, "report", "--archive", archive_file, "--month", "2026-13")
    assert code == 64 and err.strip() == "rds-jobs: --month must look like 'YYYY-MM', not '2026-13'"
    code, _, err = run(capsys, "report", "--archive", archive_file, "--month", "2026-10",
                       "--tz", "Mars/Olympus")  # fmt: skip
    assert code == 64 and "--tz: unknown time zone 'Mars/Olympus'" in err


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


def test_an_archive_that_cannot_be_created_is_a_failure(capsys, emu, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = run(capsys, "sync", "--archive", blocker / "a.sqlite", *api(emu))
    assert code == 2
    assert err.strip() == (f"rds-jobs: cannot create the archive '{blocker / 'a.sqlite'}': "
                           f"'{blocker}' is not a folder")  # fmt: skip
    assert blocker.read_text() == ""

"""``rds-jobs sync --fleet`` and ``rds-jobs projects discover`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rds_job_analytics import JobArchive
from rds_job_analytics.cli import main
from rds_job_analytics.sync import load_fleet
from tests.conftest import ROOT
from tests.loopback import Recorder, reply
from tests.sync.test_fleet import ENV, P1, P2, P3, fleet_text
from tests.sync.test_fleet import emulators as emulators

WINDOW = ["--since", "2026-08-01", "--until", "2026-11-15", "--horizon-days", "0"]


@pytest.fixture
def fleet_file(emulators, tmp_path, monkeypatch):
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    path = tmp_path / "fleet.toml"
    path.write_text(fleet_text({p: e.url for p, e in emulators.items()}))
    return path


def test_sync_fleet_command(fleet_file, tmp_path, capsys):
    db = tmp_path / "estate.sqlite"
    code = main(["sync", "--fleet", str(fleet_file), "--archive", str(db), *WINDOW])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "3 project(s) in 2 account(s)" in out
    for pid in (P1, P2, P3):
        assert pid in out
    assert out.count(" ok ") == 3
    with JobArchive.open(db) as arc:
        assert set(arc.to_frame()["region"]) == {"cn-north-4", "ap-southeast-1", "eu-west-101"}


def test_a_fleet_since_clamped_to_the_horizon_says_so_once(fleet_file, tmp_path, capsys):
    """The note comes from the syncs' own results (SyncResult.clamped_since): one line
    for the fleet, not one per project."""
    from datetime import UTC, datetime, timedelta

    old = f"{datetime.now(UTC) - timedelta(days=45):%Y-%m-%d}"
    main(["sync", "--fleet", str(fleet_file), "--archive", str(tmp_path / "a.sqlite"),
          "--since", old])  # fmt: skip
    err = capsys.readouterr().err
    (note,) = [line for line in err.splitlines() if "--since" in line]
    assert note.startswith(f"rds-jobs: note: --since {old} 00:00 UTC is older than the "
                           "API's 30-day horizon: syncing from ")  # fmt: skip


def test_sync_fleet_partial_run_exits_1(fleet_file, emulators, tmp_path, capsys):
    emulators[P3].stop()
    code = main(["sync", "--fleet", str(fleet_file), "--archive", str(tmp_path / "a.sqlite"),
                 *WINDOW])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    assert f"analytics/eu-west-101 ({P3}): failed: " in err and "connection refused" in err
    assert out.count(" ok ") == 2


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda t: t.replace('rate_limit = 500\n', 'rate_limit = 500\nsk = "c2VjcmV0"\n', 1),
         "line 7: accounts.prod.sk: secrets never go in the fleet file"),
        (lambda t: t.replace('region = "cn-north-4"', 'region = "cn-nort-4"')
         .replace('endpoint = "http', 'x = "http', 1), "unknown"),
    ],
)  # fmt: skip
def test_bad_fleet_file_is_a_usage_error_before_any_call(
    fleet_file,
    emulators,
    tmp_path,
    capsys,
    edit,
    needle,
):
    fleet_file.write_text(edit(fleet_file.read_text()))
    db = tmp_path / "a.sqlite"
    code = main(["sync", "--fleet", str(fleet_file), "--archive", str(db), *WINDOW])
    err = capsys.readouterr().err
    assert code == 64 and needle in err and "c2VjcmV0" not in err
    assert not db.exists() and all(not e.counts for e in emulators.values())


def test_fleet_and_project_options_do_not_mix(fleet_file, tmp_path, capsys):
    code = main(["sync", "--fleet", str(fleet_file), "--archive", str(tmp_path / "a.sqlite"),
                 "--project-id", P1])  # fmt: skip
    assert code == 64
    assert "--project-id: not with --fleet" in capsys.readouterr().err


def test_missing_variable_named(fleet_file, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("T_ANALYTICS")
    code = main(["sync", "--fleet", str(fleet_file), "--archive", str(tmp_path / "a.sqlite"),
                 *WINDOW])  # fmt: skip
    assert code == 64
    err = capsys.readouterr().err
    assert (
        f"{fleet_file} line 20: accounts.analytics.env.token: environment variable "
        "T_ANALYTICS is not set" in err
    )
    assert list(tmp_path.iterdir()) == [fleet_file]  # no archive, no quota folder: nothing


@pytest.mark.slow
def test_two_fleet_syncs_at_once_do_the_work_once(emulators, fleet_file, tmp_path):
    """Two cron runs started together: each project is synced once (the second skips or
    waits), and the accounts' buckets are shared, so the emulators see no 429."""
    for e in emulators.values():
        e.quota, e.quota_window = 40, 2.0  # 20 calls/s per caller, time-compressed
    text = fleet_file.read_text().replace("rate_limit = 500", "rate_limit = 15")
    fleet_file.write_text(text)
    db = tmp_path / "estate.sqlite"
    env = {**os.environ, **ENV}
    cmd = [sys.executable, "-m", "rds_job_analytics.cli", "sync", "--fleet", str(fleet_file),
           "--archive", str(db), "--details", "all", *WINDOW]  # fmt: skip
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]  # fmt: skip
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    skipped = sum(o.count(" skipped ") for o, _ in outs)
    jobs_calls = sum(e.counts.get("jobs", 0) for e in emulators.values())
    throttled = sum(e.counts.get("429", 0) for e in emulators.values())
    # 180 jobs: each asked for at most once, whichever run synced its project
    assert jobs_calls <= 180 + 6, (jobs_calls, skipped)
    assert throttled == 0
    assert skipped >= 1  # the second run found the projects held (or done) and skipped


@pytest.mark.slow
def test_ctrl_c_mid_fleet_keeps_what_was_committed_and_a_rerun_continues(
    emulators, fleet_file, tmp_path
):
    import signal
    import threading
    import time

    fleet_file.write_text(fleet_file.read_text().replace("rate_limit = 500", "rate_limit = 10"))
    db = tmp_path / "estate.sqlite"
    env = {**os.environ, **ENV}
    cmd = [sys.executable, "-m", "rds_job_analytics.cli", "sync", "--fleet", str(fleet_file),
           "--archive", str(db), "--details", "all", *WINDOW]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    # listing done, per-job calls under way (about 18 s of them): waited for as an event
    # (the emulators count the calls), not slept for
    started = threading.Event()
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if sum(e.counts.get("jobs", 0) for e in emulators.values()) >= 3:
            break
        started.wait(0.02)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    assert sum(e.counts.get("jobs", 0) for e in emulators.values()) >= 3
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    stopped_in = time.monotonic() - t0
    assert proc.returncode == 130, (out, err)
    assert "interrupted:" in err and "all kept" in err
    assert stopped_in < 8, stopped_in  # not the ~15 s the rest of the run would take
    with JobArchive.open(db) as arc:
        kept = arc.to_frame()
    assert 0 < (kept["source"] == "job").sum() < 180  # some details in, not all
    calls_before = sum(e.counts.get("jobs", 0) for e in emulators.values())
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    with JobArchive.open(db) as arc:
        done = arc.to_frame()
    assert len(done) == 180 and (done["source"] == "job").all()
    calls_after = sum(e.counts.get("jobs", 0) for e in emulators.values())
    assert calls_after - calls_before == 180 - (kept["source"] == "job").sum()  # no job twice


@pytest.mark.slow
def test_every_project_failing_exits_2(fleet_file, emulators, tmp_path, capsys):
    for e in emulators.values():
        e.stop()
    code = main(["sync", "--fleet", str(fleet_file), "--archive", str(tmp_path / "a.sqlite"),
                 *WINDOW])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2
    rows = [line for line in out.splitlines() if P1 in line or P2 in line or P3 in line]
    assert len(rows) == 3 and all(" failed " in r for r in rows)
    assert err.count("connection refused") == 3


@pytest.mark.slow
def test_emulator_serves_a_fleet_and_prints_what_works(capsys, tmp_path, monkeypatch):
    """The printed lines of ``rds-jobs emulator --fleet``, run as they are: the exports,
    the fleet sync (AK/SK and token accounts) and the estate-wide report."""
    import shlex

    from rds_job_analytics import cli

    monkeypatch.chdir(tmp_path)
    results: dict = {}

    def try_what_it_says():
        printed = capsys.readouterr().out
        results["printed"] = printed
        for line in (x.strip() for x in printed.splitlines()):
            if line.startswith("export "):
                name, value = line.removeprefix("export ").split("=", 1)
                monkeypatch.setenv(name, value)
            elif line.startswith("rds-jobs "):
                results[line.split()[1]] = main(shlex.split(line)[1:])
        raise KeyboardInterrupt

    monkeypatch.setattr(cli._demo, "_wait_for_ctrl_c", try_what_it_says)
    code = main(["emulator", "--port", "0", "--fleet", "demo-fleet.toml"])
    out = capsys.readouterr().out
    assert code == 0 and out.strip().endswith("emulator stopped")
    printed = results["printed"]
    assert "2 accounts, 3 projects" in printed and "account prod (aksk)" in printed
    assert results["sync"] == 0, out
    assert results["report"] == 0, out  # the whole sample window synced: a clean month
    assert (tmp_path / "demo-fleet.toml").read_text().startswith("# written by rds-jobs emulator")
    with JobArchive.open(tmp_path / "estate.sqlite") as arc:
        assert len(arc) == 900 and arc.to_frame()["account"].nunique() == 2
    # a fleet file of the user's own is never overwritten
    mine = tmp_path / "mine.toml"
    mine.write_text("[accounts.x]\n")
    assert main(["emulator", "--port", "0", "--fleet", str(mine)]) == 64
    assert mine.read_text() == "[accounts.x]\n"


@pytest.mark.parametrize("account", ["prod", "analytics"])  # AK/SK, then a token
def test_projects_discover_writes_a_fleet_file_to_review(account, tmp_path, capsys, monkeypatch):
    from rds_job_analytics.emulator import demo_fleet

    demo = demo_fleet()
    for k, v in demo.env.items():
        monkeypatch.setenv(k, v)
    with demo.emulator as emu:
        given = tmp_path / "given.toml"
        given.write_text(demo.fleet_toml(emu.url))
        out = tmp_path / "found.toml"
        code = main(["projects", "discover", "--account", account, "--fleet", str(given),
                     "--iam-endpoint", emu.url, "--endpoint", emu.url, "-o", str(out)])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 0, err
        assert f"of account {account!r}" in err and "review it, then rds-jobs sync --fleet" in err
        found = load_fleet(out)
        want = sorted(pid for a, _, pid in demo.projects if a == account)
        assert sorted(p.project_id for p in found.projects) == want
        assert not emu.counts.get("jobs") and not emu.counts.get("tasklist")  # never syncs
        for secret in demo.env.values():
            assert secret not in out.read_text() and secret not in err
        # never over an existing file
        assert main(["projects", "discover", "--account", account, "--fleet", str(given),
                     "--iam-endpoint", emu.url, "-o", str(out)]) == 64  # fmt: skip


@pytest.mark.slow
def test_rate_limit_with_a_fleet_paces_every_account(fleet_file, emulators, tmp_path, capsys):
    import time

    t = time.monotonic()
    code = main(["sync", "--fleet", str(fleet_file), "--archive", str(tmp_path / "a.sqlite"),
                 "--rate-limit", "10", "--details", "none", *WINDOW])  # fmt: skip
    took = time.monotonic() - t
    assert code == 0, capsys.readouterr().err
    calls = sum(e.counts.get("tasklist", 0) for e in emulators.values())
    # one token for both accounts: one bucket at 10/s for every call (not the file's 500/s)
    assert took >= (calls - 1) / 10 * 0.9, (took, calls)


def test_wait_is_for_a_fleet(capsys, tmp_path):
    assert main(["sync", "--archive", str(tmp_path / "a.sqlite"), "--project-id", P1,
                 "--endpoint", "http://127.0.0.1:1", "--wait", "5"]) == 64  # fmt: skip
    assert "--wait is for --fleet" in capsys.readouterr().err


@pytest.mark.parametrize("written", ["as is", "$VAR"])
def test_discover_appends_a_second_account_to_one_fleet_file(
    tmp_path, capsys, monkeypatch, written
):
    """Also with `-o '$VAR/fleet.toml'`: the CLI itself reads and writes that file."""
    from rds_job_analytics.emulator import demo_fleet

    demo = demo_fleet()
    for k, v in demo.env.items():
        monkeypatch.setenv(k, v)
    with demo.emulator as emu:
        given = tmp_path / "given.toml"
        given.write_text(demo.fleet_toml(emu.url))
        out = tmp_path / "fleet.toml"
        monkeypatch.setenv("RDS_JOBS_TEST_DIR", str(tmp_path))
        named = str(out) if written == "as is" else "$RDS_JOBS_TEST_DIR/fleet.toml"
        common = ["--fleet", str(given), "--iam-endpoint", emu.url, "--endpoint", emu.url,
                  "-o", named]  # fmt: skip
        assert main(["projects", "discover", "--account", "prod", *common]) == 0
        assert main(["projects", "discover", "--account", "analytics", *common]) == 64
        assert "--append" in capsys.readouterr().err
        assert main(["projects", "discover", "--account", "analytics", *common, "--append"]) == 0
        assert main(["projects", "discover", "--account", "prod", *common, "--append"]) == 64
        assert "is in it already" in capsys.readouterr().err
    fleet = load_fleet(out)
    assert [a.name for a in fleet.accounts] == ["prod", "analytics"]
    assert sorted(p.project_id for p in fleet.projects) == sorted(p for *_, p in demo.projects)


def test_discover_against_something_that_is_not_iam(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RDS_JOBS_TOKEN", "t")
    server = Recorder(reply(200, {}, b"<html>a proxy login page</html>"))
    try:
        code = main(["projects", "discover", "--account", "x", "--iam-endpoint", server.url])
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code == 2 and "but not with a project list (is it IAM?" in err
    code = main(["projects", "discover", "--account", "x", "--iam-endpoint",
                 "http://127.0.0.1:1"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "IAM at http://127.0.0.1:1 did not answer: connection refused" in err


def test_fleet_toml_escapes_what_iam_sends():
    from rds_job_analytics.sync import Account, fleet_toml

    acct = Account("prod", "token", {"token": "PROD_TOKEN"})
    evil = 'cn-north-4"\nsk = "stolen'
    text = fleet_toml(acct, [{"project_id": P1, "name": evil, "region": "cn-north-4"}])
    fleet = load_fleet(text)  # still one valid project, the name kept literally
    assert len(fleet.projects) == 1 and fleet.projects[0].name == evil


def test_a_single_project_sync_and_a_fleet_share_one_bucket_per_credential(
    fleet_file, emulators, tmp_path, capsys, monkeypatch, _state_dir
):
    """The README's promise "a sync and a fetch at once never double the rate": every
    command with an archive paces through the credential's one bucket on the machine."""
    from rds_job_analytics.quota import QUOTA_FOLDER, bucket_path, credential_identity

    db = tmp_path / "estate.sqlite"
    want = bucket_path(credential_identity("token", {"token": ENV["T_PROD"]}))
    assert want.parent == _state_dir / QUOTA_FOLDER
    monkeypatch.setenv("RDS_JOBS_TOKEN", ENV["T_PROD"])
    assert main(["sync", "--archive", str(db), "--project-id", P1, "--endpoint",
                 emulators[P1].url, "--rate-limit", "1000", *WINDOW]) == 0  # fmt: skip
    after_sync = want.read_bytes()  # the sync paced through the credential's bucket
    assert main(["fetch", emulators[P1].job_ids()[0], "--archive", str(db), "--project-id",
                 P1, "--endpoint", emulators[P1].url, "--rate-limit", "1000",
                 "--refresh", "all"]) == 0  # fmt: skip
    assert want.read_bytes() != after_sync  # and so did the fetch: the same bucket
    assert main(["sync", "--fleet", str(fleet_file), "--archive", str(db), *WINDOW]) == 0
    assert list((_state_dir / QUOTA_FOLDER).iterdir()) == [want]  # one file: one shared rate
    capsys.readouterr()


@pytest.mark.slow
def test_the_emulator_command_takes_aksk_credentials(capsys, tmp_path, monkeypatch):
    """``rds-jobs emulator`` (one project) checks AK/SK signatures too: the printed pair,
    used instead of the token, syncs."""
    import re
    import shlex

    pytest.importorskip("huaweicloudsdkcore")
    from rds_job_analytics import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RDS_JOBS_TOKEN", raising=False)
    results: dict = {}

    def sync_with_aksk():
        printed = capsys.readouterr().out
        pair = re.search(r"HUAWEICLOUD_SDK_AK=(\S+) HUAWEICLOUD_SDK_SK=(\S+?);", printed)
        monkeypatch.setenv("HUAWEICLOUD_SDK_AK", pair.group(1))
        monkeypatch.setenv("HUAWEICLOUD_SDK_SK", pair.group(2))
        (line,) = [x.strip() for x in printed.splitlines() if x.strip().startswith("rds-jobs sync")]
        argv = [*shlex.split(line)[1:], "--until", "2026-08-03", "--details", "none"]
        results["sync"] = main(argv)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli._demo, "_wait_for_ctrl_c", sync_with_aksk)
    assert main(["emulator", "--port", "0"]) == 0
    assert results["sync"] == 0
    assert len(JobArchive.open(tmp_path / "jobs.sqlite")) > 0


# -- discovery of a second account, as the README says it ------------------------------
def _readme_line(needle: str) -> list[str]:
    """The README's command line holding ``needle``, split as the shell would (minus
    ``rds-jobs``)."""
    import shlex

    readme = (ROOT / "README.md").read_text()
    (line,) = [
        x.strip() for x in readme.splitlines() if needle in x and x.strip().startswith("rds-jobs")
    ]
    words = shlex.split(line, comments=True)
    assert words[0] == "rds-jobs"
    return words[1:]


def test_discover_a_second_account_from_a_credentials_only_section_the_readme_way(
    tmp_path, capsys, monkeypatch
):
    """README: a credentials-only ``[accounts.dr]`` section is enough for
    ``rds-jobs projects discover --account dr --fleet dr-credentials.toml -o fleet.toml
    --append`` (it used to exit 64, "accounts.dr.projects: no projects")."""
    from rds_job_analytics.api._auth import ENV_AK, ENV_SK
    from rds_job_analytics.emulator import demo_fleet

    demo = demo_fleet()
    for k, v in demo.env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv(ENV_AK, demo.env["RDS_JOBS_PROD_AK"])
    monkeypatch.setenv(ENV_SK, demo.env["RDS_JOBS_PROD_SK"])
    monkeypatch.chdir(tmp_path)
    with demo.emulator as emu:
        first = _readme_line("discover --account prod -o fleet.toml")
        assert main([*first, "--iam-endpoint", emu.url]) == 0  # no network: the emulator's IAM
        # the second account: its own variables, in a section written by hand
        (tmp_path / "dr-credentials.toml").write_text(
            '[accounts.dr]\nauth = "token"\nenv = { token = "RDS_JOBS_ANALYTICS_TOKEN" }\n'
            f'iam_endpoint = "{emu.url}"\n'
        )
        code = main(_readme_line("--account dr --fleet dr-credentials.toml"))
        err = capsys.readouterr().err
        assert code == 0, err
    fleet = load_fleet(tmp_path / "fleet.toml")
    assert [a.name for a in fleet.accounts] == ["prod", "dr"]
    dr = sorted(p.project_id for p in fleet.account("dr").projects)
    assert dr == sorted(pid for a, _, pid in demo.projects if a == "analytics")
    # a sync still refuses an account that has no projects
    code = main(["sync", "--fleet", "dr-credentials.toml", "--archive", "x.sqlite"])
    assert code == 64 and "accounts.dr.projects: no projects" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite").exists()


def test_discover_never_writes_through_a_planted_tmp_symlink(tmp_path, capsys, monkeypatch):
    from rds_job_analytics.emulator import demo_fleet

    demo = demo_fleet()
    for k, v in demo.env.items():
        monkeypatch.setenv(k, v)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    out = tmp_path / "fleet.toml"
    (tmp_path / "fleet.toml.tmp").symlink_to(victim)
    with demo.emulator as emu:
        given = tmp_path / "given.toml"
        given.write_text(demo.fleet_toml(emu.url))
        code = main(["projects", "discover", "--account", "prod", "--fleet", str(given),
                     "--iam-endpoint", emu.url, "-o", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert victim.read_text() == "keep me\n"  # the link's target is untouched
    assert load_fleet(out).accounts[0].name == "prod"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fleet.toml.")]  # no litter


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_discover_writes_a_fleet_file_with_the_usual_permissions(tmp_path, monkeypatch, umask):
    """A new fleet.toml gets 0o666 under the umask (not mkstemp's 600); rewriting one
    with --append keeps the mode it had."""
    import os
    import stat

    from rds_job_analytics.emulator import demo_fleet

    demo = demo_fleet()
    for k, v in demo.env.items():
        monkeypatch.setenv(k, v)
    out = tmp_path / "fleet.toml"
    old = os.umask(umask)
    try:
        with demo.emulator as emu:
            given = tmp_path / "given.toml"
            given.write_text(demo.fleet_toml(emu.url))
            common = ["--fleet", str(given), "--iam-endpoint", emu.url, "-o", str(out)]
            assert main(["projects", "discover", "--account", "prod", *common]) == 0
            assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
            out.chmod(0o640)
            assert main(["projects", "discover", "--account", "analytics", *common,
                         "--append"]) == 0  # fmt: skip
            assert stat.S_IMODE(out.stat().st_mode) == 0o640
    finally:
        os.umask(old)
    assert [a.name for a in load_fleet(out).accounts] == ["prod", "analytics"]


# -- a refused fleet touches nothing ---------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "extra", "needle"),
    [
        (lambda t: t.replace('endpoint = "http://127.0.0.1:', 'endpoint = "http://rds.example:', 1),
         [], "refusing plain http"),
        (lambda t: t.replace('auth = "token"', 'auth = ["token"]', 1), [],
         "line 4: accounts.prod.auth: must be one of aksk, token, password"),
        (lambda t: t.replace("rate_limit = 500", "rate_limit = " + "[" * 3000 + "]" * 3000, 1),
         [], "line 6: accounts.prod.rate_limit: nested deeper than 32"),
        (lambda t: t.replace("rate_limit = 500", "rate_limit = " + "[" * 40 + "]" * 40, 1),
         [], "line 6: accounts.prod.rate_limit: nested deeper than 32"),
        (lambda t: t, ["--since", "2999-01-01"], "--since 2999-01-01 00:00:00+00:00 is in the future"),
        (lambda t: t.replace('token = "T_PROD"', 'token = "T_UNSET"'), [],
         "line 5: accounts.prod.env.token: environment variable T_UNSET is not set"),
    ],
)  # fmt: skip
def test_refusals_leave_no_archive_and_no_quota_folder(
    fleet_file, emulators, archive_url, tmp_path, capsys, edit, extra, needle
):
    from rds_job_analytics import ConfigError

    fleet_file.write_text(edit(fleet_file.read_text()))
    args = ["--horizon-days", "0", *(extra or ["--since", "2026-08-01"])]
    code = main(["sync", "--fleet", str(fleet_file), "--archive", archive_url, *args])
    err = capsys.readouterr().err
    assert code == 64, err
    assert needle in err and "unexpected" not in err
    assert list(tmp_path.iterdir()) == [fleet_file]  # no archive file, no quota folder
    if "://" in archive_url:  # nor the archive's tables (and quota rows) in the database
        with pytest.raises(ConfigError, match="no archive in the database"):
            JobArchive.open(archive_url)
    assert all(not e.counts for e in emulators.values())


SECRET = "s3cr3tZq9"  # a value pasted where a name or a setting belongs


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda t: t.replace('auth = "token"', f'auth = "{SECRET}"', 1), "line 4: accounts.prod.auth"),
        (lambda t: t.replace("rate_limit = 500", f'rate_limit = "{SECRET}"', 1),
         "line 6: accounts.prod.rate_limit"),
        (lambda t: t.replace(f'project_id = "{P1}"', f'project_id = "{SECRET}"'),
         "line 10: accounts.prod.projects[0].project_id"),
        (lambda t: t.replace('region = "cn-north-4"', f'region = "{SECRET}"')
         .replace('endpoint = "http://127.0.0.1:', 'name = "http://127.0.0.1:', 1),
         "line 9: accounts.prod.projects[0].region: unknown region"),
        (lambda t: t.replace('token = "T_PROD"', f'token = "{SECRET}"'),
         "line 5: accounts.prod.env.token: the variable it names is not set"),
        (lambda t: t.replace('env = { token = "T_PROD" }', f'profile = "{SECRET}"'),
         "line 5: accounts.prod.profile: no profile section in"),
        (lambda t: t.replace('endpoint = "http://127.0.0.1:', f'endpoint = "{SECRET}://x:', 1),
         "accounts.prod.projects[0].endpoint: endpoint must be an http(s) URL"),
        (lambda t: t.replace("rate_limit = 500", f'rate_limit = 500\niam_endpoint = "{SECRET}"', 1),
         "line 7: accounts.prod.iam_endpoint"),
    ],
)  # fmt: skip
def test_a_secret_pasted_into_the_fleet_file_is_never_echoed(
    fleet_file, emulators, tmp_path, capsys, monkeypatch, edit, needle
):
    creds = tmp_path / "credentials"
    creds.write_text("[prod]\ntoken = x\n")
    monkeypatch.setenv("RDS_JOBS_CREDENTIALS_FILE", str(creds))
    fleet_file.write_text(edit(fleet_file.read_text()))
    code = main(["sync", "--fleet", str(fleet_file), "--archive", str(tmp_path / "a.sqlite"),
                 *WINDOW])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 64, err
    assert needle in err
    assert SECRET not in err and SECRET not in out
    assert not (tmp_path / "a.sqlite").exists()


def test_a_dead_lease_from_another_machine_is_said_and_exits_1(
    fleet_file, emulators, archive_url, capsys
):
    """Every project held by a sync on another machine that stopped renewing its leases:
    nothing is synced, so the command says so and exits 1 (it used to exit 0)."""
    from tests.sync.test_fleet import _take_over

    with JobArchive.open(archive_url, create=True) as arc:
        for pid in (P1, P2, P3):
            _take_over(arc, pid, expires_in=5)
    code = main(["sync", "--fleet", str(fleet_file), "--archive", archive_url, *WINDOW])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert out.count(" skipped ") == 3
    assert err.count("its holder looks dead") == 3 and "elsewhere (pid 4242)" in err
    assert all(not e.counts for e in emulators.values())
    # a live holder elsewhere (renewing) is a normal overlap: skipped, exit 0
    with JobArchive.open(archive_url) as arc:
        for pid in (P1, P2, P3):
            _take_over(arc, pid, expires_in=55)
    assert main(["sync", "--fleet", str(fleet_file), "--archive", archive_url, *WINDOW]) == 0


def test_a_fleet_sync_that_loses_a_lease_says_so_and_exits_1(
    fleet_file, emulators, tmp_path, capsys, monkeypatch
):
    from tests.sync.test_fleet import _lose_the_lease_at_call

    _lose_the_lease_at_call(monkeypatch, 2)
    code = main(["sync", "--fleet", str(fleet_file), "--archive", str(tmp_path / "a.sqlite"),
                 "--details", "all", "--workers", "1", *WINDOW])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1, err
    assert f"prod/cn-north-4 ({P1}): failed: LeaseLost: " in err and "lost its lease" in err
    assert emulators[P1].counts.get("jobs") == 1  # no call after the lost renewal
    assert out.count(" ok ") == 2

"""``cli._demo``: ``rds-jobs emulator`` prints commands that work, and says so when its port
is taken."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import threading

import pytest

from rds_job_analytics import (
    JobArchive,
    cli,
)
from rds_job_analytics.cli import main
from rds_job_analytics.emulator import (
    DEMO_PROJECT,
    DEMO_TOKEN,
)
from tests.cli.conftest import CREDENTIAL_VARS, run
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("env")  # token credentials only


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
    from rds_job_analytics.sync import load_fleet

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


def run_cli(*args, stdin=None, env_extra=None):
    import os

    env = {**os.environ, "RDS_JOBS_TOKEN": DEMO_TOKEN, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "rds_job_analytics.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)  # fmt: skip


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


@pytest.mark.parametrize(("quota", "faster"), [(60, False), (40, False), (6000, True)])
def test_the_emulator_banner_says_it_is_faster_only_when_it_is(monkeypatch, capsys, quota, faster):
    """--quota 60 is the real API's quota: the banner does not call it a fast demo."""
    from rds_job_analytics import cli

    monkeypatch.setattr("rds_job_analytics.cli._demo._wait_for_ctrl_c", lambda: None)
    assert cli.main(["emulator", "--port", "0", "--quota", str(quota)]) == 0
    out = capsys.readouterr().out
    assert f"quota: {quota} calls a minute, then 429 (the real API allows 60" in out
    assert ("lets a demo finish in seconds" in out) is faster

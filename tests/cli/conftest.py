"""Shared by the command-line tests: token-only credentials (``env``), a small archive file
(``archive_file``), and ``run`` (exit code, stdout, stderr; never a traceback)."""

from __future__ import annotations

import pytest

from rds_job_analytics import JobArchive
from rds_job_analytics.cli import main
from rds_job_analytics.emulator import (
    DEMO_PROJECT,
    DEMO_TOKEN,
)

CREDENTIAL_VARS = (
    "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_IAM_ENDPOINT", "HUAWEICLOUD_SDK_PROJECT_ID", "RDS_JOBS_TOKEN",
    "RDS_JOBS_USERNAME", "RDS_JOBS_PASSWORD", "RDS_JOBS_DOMAIN",
)  # fmt: skip


UUID = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"


@pytest.fixture
def env(monkeypatch):
    """Token credentials only, whatever the machine has set."""
    for name in CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RDS_JOBS_TOKEN", DEMO_TOKEN)
    return monkeypatch


@pytest.fixture
def archive_file(emu, tmp_path):
    """An SQLite archive file of 5 jobs of the sample, with one recorded sync: the path a
    command is given with ``--archive`` (named apart from the two-backend ``archive``)."""
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

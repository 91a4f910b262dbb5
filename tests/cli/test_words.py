"""``cli._words``: the library's words become the command line's flags (one table)."""

from __future__ import annotations

import pytest

from rds_job_analytics import cli
from rds_job_analytics.emulator import (
    DEMO_PROJECT,
    DEMO_TOKEN,
)
from tests.cli.conftest import UUID, api, run

pytestmark = pytest.mark.usefixtures("env")  # token credentials only


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

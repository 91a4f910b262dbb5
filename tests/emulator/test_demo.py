"""The demo estate (:func:`demo_fleet`): two accounts, three regions, one emulator, and the
fleet file that reads it."""

from __future__ import annotations

import re
import tomllib

import pandas as pd
import pytest

from rds_job_analytics import (
    AuthError,
    PasswordAuth,
    TokenAuth,
)
from rds_job_analytics.emulator import (
    demo_fleet,
)
from rds_job_analytics.sample import SAMPLE_END, SAMPLE_START
from tests.emulator.test_emulator import client


# -- the demo estate ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo():
    d = demo_fleet()
    with d.emulator:
        yield d


def test_demo_fleet_file_parses_and_names_only_variables_it_provides(demo):
    text = demo.fleet_toml(demo.emulator.url)
    fleet = tomllib.loads(text)
    assert text.startswith("# rds-jobs fleet file")
    assert sorted(fleet["accounts"]) == ["analytics", "prod"]
    assert fleet["accounts"]["prod"]["auth"] == "aksk"
    assert fleet["accounts"]["analytics"]["auth"] == "token"
    rows = []
    for name, acct in fleet["accounts"].items():
        assert set(acct) == {"auth", "env", "projects"}
        for var in acct["env"].values():
            assert var in demo.env and var.startswith("RDS_JOBS_")
        for p in acct["projects"]:
            assert set(p) == {"region", "project_id", "name", "endpoint"}
            assert p["endpoint"] == demo.emulator.url and p["name"] == p["region"]
            assert re.fullmatch(r"[0-9a-f]{32}", p["project_id"])
            rows.append((name, p["region"], p["project_id"]))
    assert sorted(rows) == sorted(demo.projects)
    assert {r for _, r, _ in rows} == {"cn-north-4", "ap-southeast-1", "eu-west-101"}
    for secret in demo.env.values():  # names of variables only, never their values
        assert secret not in text and secret not in repr(demo)


def test_demo_fleet_file_is_what_the_fleet_loader_reads(demo):
    fleet_mod = pytest.importorskip("rds_job_analytics.sync._fleet")
    fleet = fleet_mod.load_fleet(demo.fleet_toml(demo.emulator.url))
    got = [(p.account, p.region, p.project_id, p.endpoint) for p in fleet.projects]
    assert got == [(a, r, pid, demo.emulator.url) for a, r, pid in demo.projects]


def test_demo_projects_have_distinct_jobs_in_the_sample_window(demo):
    emu = demo.emulator
    seen: set[str] = set()
    for _, _, pid in demo.projects:
        ids = set(emu.job_ids(pid))
        assert len(ids) >= 200 and not ids & seen
        seen |= ids
        created = pd.Series([c for _, c in emu.projects[pid].jobs.values()])
        assert created.min() >= pd.Timestamp(SAMPLE_START)
        assert created.max() < pd.Timestamp(SAMPLE_END)
    assert len({pid for _, _, pid in demo.projects}) == 3


def test_demo_credentials_read_their_own_accounts_projects(demo):
    pytest.importorskip("huaweicloudsdkcore")
    from rds_job_analytics import AkSkAuth

    emu, env = demo.emulator, demo.env
    auths = {
        "prod": [AkSkAuth(env["RDS_JOBS_PROD_AK"], env["RDS_JOBS_PROD_SK"])],
        "analytics": [
            TokenAuth(env["RDS_JOBS_ANALYTICS_TOKEN"]),
            PasswordAuth(
                env["RDS_JOBS_ANALYTICS_USER"],
                env["RDS_JOBS_ANALYTICS_PASSWORD"],
                env["RDS_JOBS_ANALYTICS_DOMAIN"],
                iam_endpoint=emu.url,
            ),
        ],
    }
    for account, region, pid in demo.projects:
        jid = emu.job_ids(pid)[0]
        for auth in auths[account]:
            with client(emu, pid, auth) as c:
                assert c.get_job(jid)["job"]
        other = next(p for a, _, p in demo.projects if a != account)
        with client(emu, other, auths[account][0]) as c, pytest.raises(AuthError) as info:
            c.get_job(jid)
        assert info.value.status == 403, region


def test_demo_fleet_serves_on_the_port_asked():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = demo_fleet(port=port)
    assert demo.emulator.port == port
    with demo.emulator as emu:
        assert emu.url == f"http://127.0.0.1:{port}"

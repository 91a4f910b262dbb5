"""The emulator serving a fleet: several accounts and projects on one port, IAM's
project list, the per-user quota (the demo estate: test_demo.py).

Everything goes through the public client (``JobsClient`` with ``TokenAuth``,
``PasswordAuth``, ``AkSkAuth``) or, for IAM's project list (which the client does not
call), plain ``requests`` with the same auth classes' headers. Loopback only.
"""

from __future__ import annotations

import re

import pytest
import requests

from rds_job_analytics import (
    AuthError,
    JobNotFound,
    JobsClient,
    PasswordAuth,
    RateLimited,
    TokenAuth,
)
from rds_job_analytics.api._auth import AuthContext
from rds_job_analytics.emulator import (
    DEFAULT_ACCOUNT,
    DEMO_PROJECT,
    DEMO_TOKEN,
    NOT_OWNER,
    Emulator,
)
from rds_job_analytics.exceptions import ConfigError
from rds_job_analytics.synth import generate_jobs

P_OPS_N4, P_OPS_AP, P_OPS_DR, P_BI = "1" * 32, "2" * 32, "3" * 32, "4" * 32
OPS_TOKEN, BI_TOKEN = "ops-token", "bi-token"
OPS_AK, OPS_SK = "AKOPSEXAMPLE", "ops-secret-key"
OPS_USER, OPS_PASSWORD, OPS_DOMAIN = "ops-user", "ops-password", "ops-domain"


def jobs_for(prefix: str, n: int = 5) -> list[dict]:
    """``n`` jobs whose IDs start with ``prefix`` (so their project is visible in the ID)."""
    jobs = generate_jobs(n, seed=len(prefix) + ord(prefix[0]), quirk_rate=0)
    for i, j in enumerate(jobs):
        j["job"]["id"] = f"{prefix}-{i:04d}"
    return jobs


def two_accounts(**kw) -> Emulator:
    """Account ``ops`` (token, password, AK/SK) with three projects, ``bi`` (token) with one."""
    emu = Emulator([], retention_days=None, **kw)
    emu.add_account("ops", domain=OPS_DOMAIN, user=OPS_USER, password=OPS_PASSWORD,
                    token=OPS_TOKEN, ak=OPS_AK, sk=OPS_SK)  # fmt: skip
    emu.add_account("bi", domain="bi-domain", user="bi-user", token=BI_TOKEN)
    emu.add_project(P_OPS_N4, account="ops", region="cn-north-4", records=jobs_for("n4"))
    emu.add_project(P_OPS_AP, account="ops", region="ap-southeast-1", records=jobs_for("ap"))
    emu.add_project(P_OPS_DR, account="ops", region="ap-southeast-1", name="ap-southeast-1_dr",
                    records=jobs_for("dr"))  # fmt: skip
    emu.add_project(P_BI, account="bi", region="eu-west-101", records=jobs_for("bi"))
    return emu


def client(emu: Emulator, project_id: str, auth, **kw) -> JobsClient:
    kw.setdefault("max_retries", 0)
    kw.setdefault("rate_limit", 1000.0)
    return JobsClient(project_id, endpoint=emu.url, auth=auth, **kw)


def aksk():
    pytest.importorskip("huaweicloudsdkcore")
    from rds_job_analytics import AkSkAuth

    return AkSkAuth(OPS_AK, OPS_SK)


# -- routing --------------------------------------------------------------------------
def test_each_project_serves_its_own_jobs_and_task_list():
    with two_accounts() as emu:
        for pid, prefix, auth in [(P_OPS_N4, "n4", OPS_TOKEN), (P_OPS_AP, "ap", OPS_TOKEN),
                                  (P_BI, "bi", BI_TOKEN)]:  # fmt: skip
            with client(emu, pid, TokenAuth(auth)) as c:
                assert c.get_job(f"{prefix}-0001")["job"]["id"] == f"{prefix}-0001"
                ids = sorted(t["id"] for t in c.list_tasks())
                assert ids == [f"{prefix}-{i:04d}" for i in range(5)]
                other = "ap-0001" if prefix != "ap" else "n4-0001"
                with pytest.raises(JobNotFound):  # another project's job is not here
                    c.get_job(other)
        assert emu.job_ids(P_OPS_DR) == sorted(emu.job_ids(P_OPS_DR))
        assert set(emu.job_ids(P_OPS_DR)) == {f"dr-{i:04d}" for i in range(5)}


def test_the_single_project_constructor_still_works_with_the_demo_token():
    job = {"job": {"id": "j1", "status": "Running", "created": "2026-11-01T00:00:00+0000"}}
    with Emulator([job], retention_days=None) as emu, emu.client(max_retries=0) as c:
        assert c.project_id == DEMO_PROJECT and c.get_job("j1")["job"]["id"] == "j1"
        assert emu.jobs.keys() == {"j1"} and emu.job_ids() == ["j1"]
    assert emu.counts == {"jobs": 1}
    assert emu.counts_by_user == {DEFAULT_ACCOUNT: {"jobs": 1}}


# -- who may read what ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("project_id", "token"),
    [(P_BI, OPS_TOKEN), (P_OPS_N4, BI_TOKEN), (P_OPS_N4, DEMO_TOKEN), ("f" * 32, OPS_TOKEN)],
)
def test_a_project_outside_the_callers_account_is_a_403(project_id, token):
    with two_accounts() as emu, client(emu, project_id, TokenAuth(token)) as c:
        with pytest.raises(AuthError) as info:
            c.get_job("n4-0001")
        with pytest.raises(AuthError):
            list(c.list_tasks())
    assert info.value.status == 403
    assert (info.value.error_code, info.value.error_msg) == NOT_OWNER
    assert "jobs" not in emu.counts and "tasklist" not in emu.counts  # nothing was served


def test_aksk_reaches_only_its_own_accounts_projects():
    auth = aksk()
    with two_accounts() as emu:
        with client(emu, P_OPS_AP, auth) as c:
            assert c.get_job("ap-0002")["job"]["id"] == "ap-0002"
        with client(emu, P_BI, auth) as c, pytest.raises(AuthError) as info:
            c.get_job("bi-0002")
    assert (info.value.status, info.value.error_code) == (403, NOT_OWNER[0])
    assert emu.counts_by_user == {"ops": {"jobs": 1}}


def test_an_unknown_credential_is_still_a_401_not_a_403():
    with two_accounts() as emu, client(emu, P_OPS_N4, TokenAuth("nobody")) as c:
        with pytest.raises(AuthError) as info:
            c.get_job("n4-0001")
    assert (info.value.status, info.value.error_code) == (401, "APIGW.0301")
    assert emu.counts_by_user == {}


def test_password_tokens_are_bound_to_their_user_and_project():
    with two_accounts() as emu:
        auth = PasswordAuth(OPS_USER, OPS_PASSWORD, OPS_DOMAIN, iam_endpoint=emu.url)
        with client(emu, P_OPS_N4, auth) as c:
            assert c.get_job("n4-0003")["job"]["id"] == "n4-0003"
        # the token body names the user and the scope's project
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": OPS_USER, "password": OPS_PASSWORD, "domain": {"name": OPS_DOMAIN}}}},
            "scope": {"project": {"name": "ap-southeast-1"}}}}  # fmt: skip
        resp = requests.post(f"{emu.url}/v3/auth/tokens", json=body, timeout=5)
        assert resp.status_code == 201
        token = resp.headers["X-Subject-Token"]
        info = resp.json()["token"]
        assert info["user"]["name"] == OPS_USER
        assert info["user"]["domain"]["name"] == OPS_DOMAIN
        assert (info["project"]["id"], info["project"]["name"]) == (P_OPS_AP, "ap-southeast-1")
        assert token not in resp.text  # the token travels in the header only
        with client(emu, P_OPS_AP, TokenAuth(token)) as c:
            assert c.get_job("ap-0000")["job"]["id"] == "ap-0000"
        with client(emu, P_OPS_N4, TokenAuth(token)) as c, pytest.raises(AuthError) as other:
            c.get_job("n4-0000")  # same account, but the token is scoped to ap-southeast-1
        with client(emu, P_BI, TokenAuth(token)) as c, pytest.raises(AuthError) as foreign:
            c.get_job("bi-0000")
    assert (other.value.status, other.value.error_code) == (403, "DBS.280056")
    assert (foreign.value.status, foreign.value.error_code) == (403, NOT_OWNER[0])
    assert emu.counts_by_user["ops"]["auth"] == 2 and emu.counts["auth"] == 2


def test_a_wrong_password_gets_no_token():
    with two_accounts() as emu:
        auth = PasswordAuth(OPS_USER, "wrong", OPS_DOMAIN, iam_endpoint=emu.url)
        with client(emu, P_OPS_N4, auth) as c, pytest.raises(AuthError):
            c.get_job("n4-0000")
    assert emu.counts["auth"] == 1 and "ops" not in emu.counts_by_user


def test_registration_errors_name_the_problem():
    emu = two_accounts()
    with pytest.raises(ConfigError, match="account 'ops' is already registered"):
        emu.add_account("ops", domain="x", user="y")
    with pytest.raises(ConfigError, match="unknown account 'nobody'"):
        emu.add_project("9" * 32, account="nobody", region="cn-north-4")
    with pytest.raises(ConfigError, match=f"project {P_BI} is already served"):
        emu.add_project(P_BI, account="ops", region="cn-north-4")
    with pytest.raises(ConfigError, match="ak and sk go together"):
        emu.add_account("half", domain="x", user="y", ak="AKHALF")
    with pytest.raises(ConfigError, match="belongs to another account") as info:
        emu.add_account("thief", domain="x", user="y", ak=OPS_AK, sk="guess")
    assert OPS_AK not in str(info.value)  # only the key's first characters


# -- the quota is per user ----------------------------------------------------------------
def test_one_quota_per_user_across_projects_and_credential_kinds():
    auth = aksk()
    # a long window: nothing leaves it during the test, so no timing is involved
    with two_accounts(quota=4, quota_window=3600, send_retry_after=False) as emu:
        password = PasswordAuth(OPS_USER, OPS_PASSWORD, OPS_DOMAIN, iam_endpoint=emu.url)
        with client(emu, P_OPS_N4, TokenAuth(OPS_TOKEN)) as c:
            c.get_job("n4-0000")
            c.get_job("n4-0001")
        with client(emu, P_OPS_AP, auth) as c:
            c.get_job("ap-0000")
        with client(emu, P_OPS_DR, password) as c:
            c.get_job("dr-0000")
            with pytest.raises(RateLimited):  # the 5th call of user ops, whatever the key
                c.get_job("dr-0001")
        with client(emu, P_OPS_N4, TokenAuth(OPS_TOKEN)) as c, pytest.raises(RateLimited):
            list(c.list_tasks())
        with client(emu, P_BI, TokenAuth(BI_TOKEN)) as c:  # another user: its own quota
            for i in range(4):
                c.get_job(f"bi-{i:04d}")
            with pytest.raises(RateLimited):
                c.get_job("bi-0004")
    assert emu.counts_by_user == {
        "ops": {"jobs": 4, "429": 2, "auth": 1},
        "bi": {"jobs": 4, "429": 1},
    }
    assert emu.counts == {"jobs": 8, "429": 3, "auth": 1}
    for user in ("ops", "bi"):  # only answered calls have a time
        times = emu.calls_by_user(user)
        assert len(times) == 4 and times == sorted(times)
    assert emu.calls_by_user("nobody") == []


def test_calls_by_user_records_every_answered_get_without_a_quota():
    with two_accounts() as emu, client(emu, P_BI, TokenAuth(BI_TOKEN)) as c:
        c.get_job("bi-0000")
        pages = list(c.list_task_pages(limit=2))
    assert sum(len(p) for p in pages) == 5  # 3 pages of at most 2 (+ the empty one)
    answered = emu.counts_by_user["bi"]["jobs"] + emu.counts_by_user["bi"]["tasklist"]
    assert emu.counts_by_user["bi"]["tasklist"] >= 3
    assert answered == emu.counts["jobs"] + emu.counts["tasklist"]
    assert len(emu.calls_by_user("bi")) == answered
    assert emu.calls_by_user("ops") == []


# -- IAM's project list -------------------------------------------------------------------
def list_projects(emu: Emulator, headers: dict[str, str]) -> requests.Response:
    return requests.get(f"{emu.url}/v3/auth/projects", headers=headers, timeout=5)


def test_iam_lists_the_callers_projects_in_iams_shape():
    with two_accounts() as emu:
        resp = list_projects(emu, {"X-Auth-Token": OPS_TOKEN})
        bi = list_projects(emu, {"X-Auth-Token": BI_TOKEN}).json()
        url = emu.url
    assert resp.status_code == 200
    body = resp.json()
    assert body["links"]["self"] == f"{url}/v3/auth/projects"
    projects = {p["name"]: p for p in body["projects"]}
    assert sorted(projects) == ["ap-southeast-1", "ap-southeast-1_dr", "cn-north-4"]
    keys = {"id", "name", "domain_id", "enabled", "is_domain", "parent_id", "description", "links"}
    for p in body["projects"]:
        assert set(p) == keys
        assert p["enabled"] is True and p["is_domain"] is False and p["description"] == ""
        assert re.fullmatch(r"[0-9a-f]{32}", p["domain_id"])
        assert p["links"]["self"] == f"{url}/v3/projects/{p['id']}"
    domain = projects["cn-north-4"]["domain_id"]
    assert {p["domain_id"] for p in body["projects"]} == {domain}
    # a region's project hangs under the account; a sub-project under its region's project
    assert projects["cn-north-4"]["parent_id"] == domain
    assert projects["ap-southeast-1_dr"]["parent_id"] == P_OPS_AP
    assert [(p["id"], p["name"]) for p in bi["projects"]] == [(P_BI, "eu-west-101")]
    assert bi["projects"][0]["domain_id"] != domain
    assert emu.counts["projects"] == 2 and emu.counts_by_user["bi"] == {"projects": 1}


def test_iam_lists_projects_for_an_aksk_signature_and_a_password_token():
    auth = aksk()
    with two_accounts() as emu:
        url = f"{emu.url}/v3/auth/projects"
        signed = auth.headers("GET", url, [], None, context=AuthContext("", endpoint=emu.url))
        by_key = list_projects(emu, signed)
        wrong = list_projects(
            emu, {**signed, "Authorization": signed["Authorization"][:-4] + "0000"}
        )
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": OPS_USER, "password": OPS_PASSWORD, "domain": {"name": OPS_DOMAIN}}}},
            "scope": {"domain": {"name": OPS_DOMAIN}}}}  # fmt: skip
        login = requests.post(f"{emu.url}/v3/auth/tokens", json=body, timeout=5)
        by_password = list_projects(emu, {"X-Auth-Token": login.headers["X-Subject-Token"]})
        nobody = list_projects(emu, {"X-Auth-Token": "not-a-token"})
    assert login.json()["token"]["domain"]["name"] == OPS_DOMAIN  # domain-scoped
    assert by_key.status_code == by_password.status_code == 200
    want = {P_OPS_N4, P_OPS_AP, P_OPS_DR}
    assert {p["id"] for p in by_key.json()["projects"]} == want
    assert {p["id"] for p in by_password.json()["projects"]} == want
    assert (wrong.status_code, wrong.json()["error_code"]) == (401, "APIGW.0301")
    assert (nobody.status_code, nobody.json()["error_code"]) == (401, "APIGW.0301")


# -- its port ---------------------------------------------------------------------------------
def test_port_is_the_one_asked_until_started_then_the_one_served():
    emu = Emulator([], port=0)
    assert emu.port == 0
    with emu:
        assert emu.port > 0 and emu.url == f"http://127.0.0.1:{emu.port}"
        with pytest.raises(AttributeError):
            emu.port = 1  # read-only: ask for a port at construction

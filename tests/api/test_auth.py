"""IAM follows the endpoint (issue 13, item 5): a password goes only to a host the user named.

A client built from a region asks that region's IAM, as before; a custom endpoint needs
an explicit ``iam_endpoint`` (or ``HUAWEICLOUD_SDK_IAM_ENDPOINT``), except a loopback
endpoint, whose own host is asked (the emulator serves ``POST /v3/auth/tokens``).
"""

from __future__ import annotations

import json

import pytest
import responses

from rds_job_analytics import ConfigError, JobsClient, PasswordAuth, TokenAuth
from rds_job_analytics.api._auth import AuthContext
from rds_job_analytics.emulator import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_USER, Emulator

P = "0123456789abcdef0123456789abcdef"
JOB = {"job": {"id": "j1", "name": "RestartMysqlInstance", "status": "Completed"}}
PASSWORD = "pa55-secret"
SECRET = "MII-very-secret-token"
TOKEN_OK = {
    "status": 201,
    "headers": {"X-Subject-Token": "tok"},
    "json": {"token": {"expires_at": "2099-01-01T00:00:00.000000Z"}},
}


def test_loopback_endpoint_uses_the_emulators_iam():
    job = {"job": {"id": "j1", "status": "Completed", "created": "2026-11-01T08:00:00Z"}}
    with Emulator([job], retention_days=None) as emu:
        auth = PasswordAuth(DEMO_USER, DEMO_PASSWORD, DEMO_DOMAIN)
        with emu.client(auth=auth) as client:
            body = client.get_job("j1")
        counts = dict(emu.counts)
    assert body["job"]["status"] == "Completed"
    assert auth.token_requests == 1 and counts["auth"] == 1 and counts["jobs"] == 1


def test_loopback_iam_is_the_endpoints_host_not_its_path():
    auth = PasswordAuth("alice", PASSWORD, "acme")
    for endpoint, iam in [
        ("http://127.0.0.1:8080/some/prefix/", "http://127.0.0.1:8080"),
        ("http://localhost:9", "http://localhost:9"),
        ("http://[::1]:8443", "http://[::1]:8443"),
        ("https://127.0.0.2", "https://127.0.0.2"),
    ]:
        context = AuthContext(P, endpoint=endpoint, custom_endpoint=True)
        assert auth.iam_url(context) == f"{iam}/v3/auth/tokens"


@responses.activate
@pytest.mark.parametrize("region", [None, "ap-southeast-1"])
def test_custom_endpoint_without_iam_endpoint_refuses_before_any_request(region):
    auth = PasswordAuth("alice", PASSWORD, "acme")
    with pytest.raises(ConfigError) as info:
        JobsClient(P, region=region, endpoint="https://rds.proxy.example", auth=auth)
    text = str(info.value)
    assert "iam_endpoint" in text and "HUAWEICLOUD_SDK_IAM_ENDPOINT" in text
    assert "rds.proxy.example" in text and PASSWORD not in text
    assert len(responses.calls) == 0 and auth.token_requests == 0


@responses.activate
def test_a_password_auth_set_later_still_sends_nothing():
    responses.get("https://rds.proxy.example/v3/" + P + "/jobs", json=JOB)
    client = JobsClient(P, endpoint="https://rds.proxy.example", auth=TokenAuth("t"))
    client.auth = PasswordAuth("alice", PASSWORD, "acme")  # not checked when built
    with pytest.raises(ConfigError, match="iam_endpoint"):
        client.get_job("j1")
    assert len(responses.calls) == 0
    assert not any("myhuaweicloud" in call.request.url for call in responses.calls)


@responses.activate
@pytest.mark.parametrize("how", ["argument", "environment"])
def test_an_explicit_iam_endpoint_is_used(how, monkeypatch):
    responses.post("https://iam.mine.example/v3/auth/tokens", **TOKEN_OK)
    responses.get("https://rds.proxy.example/v3/" + P + "/jobs", json=JOB)
    if how == "argument":
        auth = PasswordAuth("alice", PASSWORD, "acme", iam_endpoint="https://iam.mine.example/")
    else:
        monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "https://iam.mine.example")
        auth = PasswordAuth("alice", PASSWORD, "acme")
    client = JobsClient(P, endpoint="https://rds.proxy.example", auth=auth)
    assert client.get_job("j1") == JOB
    urls = [call.request.url for call in responses.calls]
    assert urls[0] == "https://iam.mine.example/v3/auth/tokens"
    assert urls[1].startswith("https://rds.proxy.example/")
    assert not any("myhuaweicloud" in u for u in urls)
    assert responses.calls[1].request.headers["X-Auth-Token"] == "tok"


@responses.activate
def test_an_explicit_iam_endpoint_wins_over_a_loopback_endpoint():
    auth = PasswordAuth("alice", PASSWORD, "acme", iam_endpoint="https://iam.mine.example")
    context = AuthContext(P, endpoint="http://127.0.0.1:8080", custom_endpoint=True)
    assert auth.iam_url(context) == "https://iam.mine.example/v3/auth/tokens"


@responses.activate
def test_a_region_endpoint_keeps_the_regional_iam():
    iam = "https://iam.ap-southeast-1.myhuaweicloud.com/v3/auth/tokens"
    responses.post(iam, **TOKEN_OK)
    responses.get(f"https://rds.ap-southeast-1.myhuaweicloud.com/v3/{P}/jobs", json=JOB)
    auth = PasswordAuth("alice", PASSWORD, "acme")
    client = JobsClient(P, region="ap-southeast-1", auth=auth)
    assert not client.custom_endpoint
    assert client.get_job("j1") == JOB
    assert responses.calls[0].request.url == iam
    sent = json.loads(responses.calls[0].request.body)
    assert sent["auth"]["scope"]["project"]["id"] == P


def test_an_iam_endpoint_must_be_a_url():
    with pytest.raises(ConfigError, match="iam_endpoint must be an http"):
        PasswordAuth("alice", PASSWORD, "acme", iam_endpoint="iam.mine.example")
    auth = PasswordAuth("alice", PASSWORD, "acme")
    auth.iam_endpoint = "iam.mine.example"  # set later, as auth_from_env does
    with pytest.raises(ConfigError, match="iam_endpoint must be an http"):
        JobsClient(P, region="ap-southeast-1", auth=auth)


def test_token_auth_needs_no_iam_with_a_custom_endpoint():
    client = JobsClient(P, endpoint="https://rds.proxy.example", auth=TokenAuth("t"))
    assert client.custom_endpoint and client.auth_context.endpoint == "https://rds.proxy.example"


def test_credentials_from_environment(monkeypatch):
    from rds_job_analytics import AkSkAuth, auth_from_env

    for var in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "RDS_JOBS_TOKEN", "RDS_JOBS_USERNAME",
                "RDS_JOBS_PASSWORD", "RDS_JOBS_DOMAIN"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError, match="no credentials"):
        auth_from_env()
    monkeypatch.setenv("RDS_JOBS_TOKEN", SECRET)
    assert isinstance(auth_from_env(), TokenAuth)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "AKENV")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "sk-env-secret")
    a = auth_from_env()
    assert isinstance(a, AkSkAuth) and "sk-env-secret" not in repr(a)
    c = JobsClient(P, region="ap-southeast-1")  # auth omitted: from the environment
    assert isinstance(c.auth, AkSkAuth) and "sk-env-secret" not in repr(c)


def test_credentials_from_a_mapping_ignore_the_environment(monkeypatch):
    from rds_job_analytics import auth_from_env

    monkeypatch.setenv("RDS_JOBS_TOKEN", SECRET)
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "https://iam.env.example")
    with pytest.raises(ConfigError, match="no credentials"):
        auth_from_env({})
    env = {"RDS_JOBS_USERNAME": "alice", "RDS_JOBS_PASSWORD": "pw", "RDS_JOBS_DOMAIN": "acme"}
    a = auth_from_env(env)
    assert isinstance(a, PasswordAuth) and a.iam_endpoint is None
    a = auth_from_env({**env, "HUAWEICLOUD_SDK_IAM_ENDPOINT": "https://iam.mine.example"})
    assert a.iam_endpoint == "https://iam.mine.example"


# -- one credential precedence ------------------------------------------------------------
def test_credentials_from_env_is_the_one_precedence_aksk_then_token_then_password():
    from rds_job_analytics.api import credentials_from_env

    every = {
        "HUAWEICLOUD_SDK_AK": "AK", "HUAWEICLOUD_SDK_SK": "SK", "RDS_JOBS_TOKEN": "t",
        "RDS_JOBS_USERNAME": "alice", "RDS_JOBS_PASSWORD": "pw", "RDS_JOBS_DOMAIN": "acme",
    }  # fmt: skip
    kinds = []
    env = dict(every)
    for drop in (("HUAWEICLOUD_SDK_SK",), ("RDS_JOBS_TOKEN",), ("RDS_JOBS_DOMAIN",)):
        found = credentials_from_env(env)
        kinds.append(found[0] if found else None)
        for k in drop:
            env.pop(k)
    assert kinds == ["aksk", "token", "password"]
    assert credentials_from_env(env) is None
    assert credentials_from_env(every)[1] == {
        "ak": "HUAWEICLOUD_SDK_AK",
        "sk": "HUAWEICLOUD_SDK_SK",
    }
    with_token = {**every, "HUAWEICLOUD_SDK_SECURITY_TOKEN": "st"}
    assert credentials_from_env(with_token)[1]["security_token"] == "HUAWEICLOUD_SDK_SECURITY_TOKEN"


def test_the_library_and_the_fleet_build_auth_the_same_way():
    from rds_job_analytics.api import make_auth
    from rds_job_analytics.sync import Account

    creds = {"user": "alice", "password": PASSWORD, "domain": "acme"}
    acct = Account("prod", "password", {"user": "U", "password": "P", "domain": "D"},
                   iam_endpoint="https://iam.example")  # fmt: skip
    fleet_auth = acct.make_auth(creds)
    lib_auth = make_auth("password", creds, iam_endpoint="https://iam.example")
    assert repr(fleet_auth) == repr(lib_auth)
    assert fleet_auth.iam_endpoint == lib_auth.iam_endpoint == "https://iam.example"
    assert fleet_auth.quota_identity() == acct.identity(creds) == "user:acme/alice"
    with pytest.raises(ConfigError, match="auth must be one of"):
        make_auth("kerberos", {})

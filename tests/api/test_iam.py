"""IAM: the one password login (iam_token: project or domain scope, redirect refusal, the
lockout memo) for PasswordAuth and fleet discovery, and the project list (api/_iam.py)."""

from __future__ import annotations

import contextlib
import json

import pandas as pd
import pytest
import requests
import responses
from responses import matchers, registries

from rds_job_analytics import ApiError, AuthError, PasswordAuth
from tests.api.test_client import JOB, JOBS, P, client
from tests.loopback import Recorder, reply


@responses.activate(registry=registries.OrderedRegistry)
def test_password_auth_gets_token_and_refreshes_once_on_401():
    iam = "https://iam.ap-southeast-1.myhuaweicloud.com/v3/auth/tokens"
    responses.post(iam, status=201, headers={"X-Subject-Token": "tok-1"},
                   json={"token": {"expires_at": "2099-01-01T00:00:00.000000Z"}})  # fmt: skip
    responses.get(JOBS, status=401, json={"error_code": "APIGW.0301", "error_msg": "expired"},
                  match=[matchers.header_matcher({"X-Auth-Token": "tok-1"})])  # fmt: skip
    responses.post(iam, status=201, headers={"X-Subject-Token": "tok-2"},
                   json={"token": {"expires_at": "2099-01-01T00:00:00.000000Z"}})  # fmt: skip
    responses.get(JOBS, json=JOB, match=[matchers.header_matcher({"X-Auth-Token": "tok-2"})])
    auth = PasswordAuth("alice", "pa55-secret", "acme")
    c = client(auth=auth)
    assert c.get_job("j1") == JOB
    assert auth.token_requests == 2
    sent = json.loads(responses.calls[0].request.body)
    assert sent["auth"]["scope"] == {"project": {"id": P}}
    assert sent["auth"]["identity"]["password"]["user"] == {
        "name": "alice", "password": "pa55-secret", "domain": {"name": "acme"},
    }  # fmt: skip
    assert "pa55-secret" not in repr(auth) and "pa55-secret" not in repr(c)


@responses.activate
def test_password_auth_refused_is_auth_error_without_secret():
    iam = "https://iam.ap-southeast-1.myhuaweicloud.com/v3/auth/tokens"
    responses.post(iam, status=401, json={"error_code": "IAM.0002", "error_msg": "wrong password"})
    with pytest.raises(AuthError) as info:
        client(auth=PasswordAuth("alice", "pa55-secret", "acme")).get_job("j1")
    assert "pa55-secret" not in str(info.value)
    assert (info.value.status, info.value.error_code) == (401, "IAM.0002")


@responses.activate
def test_password_auth_unreachable_iam_keeps_cause_without_secret():
    iam = "https://iam.ap-southeast-1.myhuaweicloud.com/v3/auth/tokens"
    responses.post(iam, body=requests.ConnectionError("refused"))
    with pytest.raises(AuthError, match="IAM token request") as info:
        client(auth=PasswordAuth("alice", "pa55-secret", "acme")).get_job("j1")
    cause = info.value.__cause__
    assert isinstance(cause, requests.ConnectionError)
    assert getattr(cause, "request", None) is None  # the request held the password
    for text in (str(info.value), repr(info.value), str(cause), repr(cause)):
        assert "pa55-secret" not in text


@responses.activate
def test_password_auth_refreshes_before_expiry():
    iam = "https://iam.ap-southeast-1.myhuaweicloud.com/v3/auth/tokens"
    soon = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=5)).strftime(
        "%Y-%m-%dT%H:%M:%S.000000Z"
    )
    responses.post(iam, status=201, headers={"X-Subject-Token": "tok"},
                   json={"token": {"expires_at": soon}})  # fmt: skip
    responses.get(JOBS, json=JOB)
    auth = PasswordAuth("alice", "pw", "acme", refresh_margin=600)
    c = client(auth=auth)
    c.get_job("j1")
    c.get_job("j1")
    assert auth.token_requests == 2  # expires within the margin: fetched again
    auth.refresh_margin = 60
    c.get_job("j1")
    assert auth.token_requests == 2  # now the cached token is used


@responses.activate
def test_a_token_expires_on_the_one_clock():
    """Token expiry is read against ``_time``'s clock: under ``use_clock`` the cached
    token is kept until the injected time reaches ``expires_at - refresh_margin``, and a
    token without a readable expiry lives DEFAULT_TOKEN_LIFE from the injected time."""
    from datetime import UTC, datetime, timedelta

    from rds_job_analytics._time import use_clock
    from rds_job_analytics.api._iam import DEFAULT_TOKEN_LIFE, iam_token

    iam = "https://iam.ap-southeast-1.myhuaweicloud.com/v3/auth/tokens"
    responses.post(iam, status=201, headers={"X-Subject-Token": "tok"},
                   json={"token": {"expires_at": "2031-05-01T01:00:00.000000Z"}})  # fmt: skip
    responses.get(JOBS, json=JOB)
    auth = PasswordAuth("alice", "pw", "acme", refresh_margin=600)
    c = client(auth=auth)
    start = datetime(2031, 5, 1, tzinfo=UTC)
    with use_clock(start):
        c.get_job("j1")
        c.get_job("j1")
    assert auth.token_requests == 1  # an hour left: the cached token
    with use_clock(start + timedelta(minutes=49)):
        c.get_job("j1")
    assert auth.token_requests == 1  # 11 min left, outside the 10 min margin
    with use_clock(start + timedelta(minutes=51)):
        c.get_job("j1")
    assert auth.token_requests == 2  # 9 min left: inside the margin, fetched again
    bare = "https://iam.example/v3/auth/tokens"  # answers no expires_at
    responses.post(bare, status=201, headers={"X-Subject-Token": "tok"}, json={})
    with use_clock(start):
        _, expires = iam_token(bare, "alice", "pw", "acme", scope="domain")
    assert expires == start.timestamp() + DEFAULT_TOKEN_LIFE


# -- one IAM login for PasswordAuth and discovery ---------------------------------------
def _password_account(iam_url: str):
    from rds_job_analytics.sync import Account

    env = {"user": "U_VAR", "password": "PW_VAR", "domain": "D_VAR"}
    return Account("prod", "password", env, iam_endpoint=iam_url)


@contextlib.contextmanager
def served(answer):
    """A :class:`Recorder` for the ``with`` block."""
    server = Recorder(answer)
    try:
        yield server
    finally:
        server.close()


DISCOVERY_ENV = {"U_VAR": "alice", "PW_VAR": "pa55-secret", "D_VAR": "acme"}


def test_iam_token_scopes_a_project_or_the_domain():
    from rds_job_analytics.api import iam_token

    seen = []
    for scope, pid in (("project", P), ("domain", None)):
        with served(reply(201, {"X-Subject-Token": f"tok-{scope}"})) as iam:
            token, _ = iam_token(
                f"{iam.url}/v3/auth/tokens", "alice", "pa55-secret", "acme",
                scope=scope, project_id=pid,
            )  # fmt: skip
            seen.append((token, json.loads(iam.seen[0]["body"])["auth"]["scope"]))
    assert seen == [("tok-project", {"project": {"id": P}}),
                    ("tok-domain", {"domain": {"name": "acme"}})]  # fmt: skip


@pytest.mark.parametrize("who", ["password_auth", "discovery"])
def test_a_redirect_from_iam_is_refused_and_the_password_goes_nowhere_else(who):
    """Neither the client's login nor discovery follows IAM's redirect: the target never
    sees a request (the password would go along), and the error says so."""
    with (
        served(reply(200, {"X-Subject-Token": "stolen"})) as target,
        served(reply(307, {"Location": f"{target.url}/v3/auth/tokens"})) as iam,
    ):
        with pytest.raises(AuthError, match=r"redirect.*not followed"):
            if who == "discovery":
                from rds_job_analytics.sync import discover_projects

                discover_projects(_password_account(iam.url), environ=DISCOVERY_ENV)
            else:
                auth = PasswordAuth("alice", "pa55-secret", "acme", iam_endpoint=iam.url)
                client(auth=auth).get_job("j1")
        assert len(iam.seen) == 1
        assert target.seen == []


@pytest.mark.parametrize("slash", ["", "/"])
def test_password_auth_and_discovery_post_to_the_one_token_url(slash):
    """One home for IAM's token URL (``api.iam_token_url``): the client's login and
    discovery post the password to the same path under the same IAM base."""
    from urllib.parse import urlsplit

    from rds_job_analytics.api import AuthContext, iam_token_url
    from rds_job_analytics.sync import discover_projects

    refused = json.dumps({"error_code": "IAM.0002", "error_msg": "wrong password"}).encode()
    with served(reply(401, {"Content-Type": "application/json"}, refused)) as iam:
        base = iam.url + slash
        auth = PasswordAuth("alice", "pa55-secret", "acme", iam_endpoint=base)
        assert auth.iam_url(AuthContext(P)) == iam_token_url(base)
        with pytest.raises(AuthError):
            client(auth=auth).get_job("j1")
        with pytest.raises(AuthError):
            discover_projects(_password_account(base), environ={**DISCOVERY_ENV, "PW_VAR": "x"})
        assert [(s["method"], s["path"]) for s in iam.seen] == [
            ("POST", urlsplit(iam_token_url(base)).path)
        ] * 2


def test_iam_paths_and_hosts_are_spelled_in_one_home():
    """IAM's URL paths live in api/_iam.py and its host rule in api/regions.py: no other
    module of the client side builds them from a literal (the emulator serves them, so it
    names them; help text may mention them)."""
    import ast
    from pathlib import Path

    import rds_job_analytics as rja
    from rds_job_analytics.api import AuthContext, iam_token_url
    from rds_job_analytics.api.regions import iam_endpoint_for

    package = Path(rja.__file__).parent
    homes = {"api/_iam.py": "/v3/auth/", "api/regions.py": "https://iam."}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if rel.startswith("emulator/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body and isinstance(n.body[0], ast.Expr)
        }  # fmt: skip
        for n in ast.walk(tree):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs:
                for home, needle in homes.items():
                    assert rel == home or not n.value.startswith(needle), (
                        f"{rel}:{n.lineno} {n.value!r}"
                    )
    # the password auth's regional IAM and the global one come from the same rule
    auth = PasswordAuth("alice", "pw", "acme")
    for region in ("ap-southeast-1", "eu-west-101", ""):
        got = auth.iam_url(AuthContext(P, region=region))
        assert got == iam_token_url(iam_endpoint_for(region, regional=True))


def test_discovery_keeps_the_lockout_memo():
    """IAM refused the login once: a second discovery with the same credentials is refused
    without asking IAM again (one wrong password never becomes a lockout)."""
    from rds_job_analytics.sync import discover_projects

    refused = json.dumps({"error_code": "IAM.0002", "error_msg": "wrong password"}).encode()
    with served(reply(401, {"Content-Type": "application/json"}, refused)) as iam:
        account = _password_account(iam.url)
        with pytest.raises(AuthError, match="wrong password"):
            discover_projects(account, environ=DISCOVERY_ENV)
        with pytest.raises(AuthError, match="not asked again"):
            discover_projects(account, environ=DISCOVERY_ENV)
        assert len(iam.seen) == 1
        other = {**DISCOVERY_ENV, "PW_VAR": "another-password"}  # other credentials: asked
        with pytest.raises(AuthError):
            discover_projects(account, environ=other)
        assert len(iam.seen) == 2


def test_the_project_list_is_not_followed_through_a_redirect():
    from rds_job_analytics.api import list_projects

    with served(reply(302, {"Location": "https://elsewhere.example/v3/auth/projects"})) as iam:
        with pytest.raises(ApiError, match=r"redirect to 'elsewhere\.example': not followed"):
            list_projects(iam.url, {"X-Auth-Token": "t"})

"""Secrets and where requests go (issue 14, items 6-11), against loopback servers only.

Redirects are never followed (the token and the IAM password stay with the host named);
IAM over plain http only to loopback; endpoints are read the way urllib3 reads them and
never hold user info; the project ID and job IDs are checked before any call; no
exception chain keeps a request's headers, and a certificate that fails is not retried;
CSV cells a spreadsheet would run are neutralised (Parquet keeps them as they are).
"""

from __future__ import annotations

import csv
import shutil
import socket
import ssl
import subprocess
import threading

import pandas as pd
import pytest
import requests
import responses
from urllib3.util import parse_url

from rds_job_analytics import (
    ApiError,
    AuthError,
    ConfigError,
    JobsClient,
    PasswordAuth,
    TokenAuth,
    TransportError,
    fetch_jobs,
)
from rds_job_analytics.api._auth import Auth, AuthContext, check_endpoint
from rds_job_analytics.emulator import Emulator
from rds_job_analytics.export._files import write_frame
from tests.loopback import Recorder, reply

P = "0123456789abcdef0123456789abcdef"
SECRET = "MII-secret-token-0123"
SECURITY = "sts-security-token-4567"
PASSWORD = "pa55-w0rd-secret"
JOB = {"job": {"id": "j1", "status": "Completed", "created": "2026-11-01T08:00:00Z"}}


@pytest.fixture
def elsewhere():
    """The second host a redirect points to: ``localhost`` on another port."""
    srv = Recorder(reply(200, {"Content-Type": "application/json"}, b'{"job": {"id": "j1"}}'))
    yield srv
    srv.close()


class TokenAndSecurityToken(Auth):
    """The two credential headers the issue saw leak: X-Auth-Token and X-Security-Token."""

    def headers(self, method, url, params, body, *, context):
        return {"X-Auth-Token": SECRET, "X-Security-Token": SECURITY}


# -- item 6: redirects ------------------------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_names_the_other_host(elsewhere, status):
    target = f"http://localhost:{elsewhere.port}/v3/{P}/jobs?id=j1"
    api = Recorder(reply(status, {"Location": target}))
    try:
        client = JobsClient(
            P, endpoint=f"http://127.0.0.1:{api.port}", auth=TokenAndSecurityToken(),
            max_retries=3, rate_limit=1000.0,
        )  # fmt: skip
        with pytest.raises(ApiError) as info:
            client.get_job("j1")
    finally:
        api.close()
    assert elsewhere.seen == []  # the credentials never reached the second host
    assert len(api.seen) == 1 and client.calls == 1  # not retried either
    err = info.value
    assert err.status == status and "localhost" in str(err) and "not followed" in str(err)
    for text in (str(err), repr(err)):
        assert SECRET not in text and SECURITY not in text and "/v3/" not in text


def test_fetch_jobs_reports_a_redirect_per_id_without_sending_credentials(elsewhere):
    api = Recorder(reply(302, {"Location": f"http://localhost:{elsewhere.port}/x"}))
    try:
        client = JobsClient(P, endpoint=f"http://127.0.0.1:{api.port}", auth=TokenAuth(SECRET),
                            rate_limit=1000.0)  # fmt: skip
        df = fetch_jobs(client, ["j1", "j2"], errors="ignore", progress=False)
    finally:
        api.close()
    assert elsewhere.seen == []
    assert (df["fetch_status"] == "error").all()
    assert df["fetch_error"].str.contains("redirected to 'http://localhost'").all()


def test_iam_redirect_is_not_followed_with_the_password(elsewhere):
    iam = Recorder(reply(307, {"Location": f"http://localhost:{elsewhere.port}/v3/auth/tokens"}))
    try:
        auth = PasswordAuth("alice", PASSWORD, "acme", iam_endpoint=f"http://127.0.0.1:{iam.port}")
        with pytest.raises(AuthError, match="redirect to 'localhost'") as info:
            auth.headers("GET", "http://x", [], None, context=AuthContext(P))
    finally:
        iam.close()
    assert elsewhere.seen == [] and len(iam.seen) == 1
    assert PASSWORD not in str(info.value)


# -- item 7: the IAM password over plain http ----------------------------------------------
@responses.activate
@pytest.mark.parametrize("via_env", [False, True])
def test_plain_http_iam_is_refused_before_the_password_is_sent(monkeypatch, via_env):
    remote = "http://iam.ap-southeast-1.example.com"
    if via_env:
        monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", remote)
        auth = PasswordAuth("alice", PASSWORD, "acme")
    else:
        auth = PasswordAuth("alice", PASSWORD, "acme", iam_endpoint=remote)
    with pytest.raises(
        ConfigError, match=r"refusing plain http to 'iam\.ap-southeast-1\.example\.com'"
    ):
        JobsClient(P, region="ap-southeast-1", auth=auth)
    with pytest.raises(ConfigError, match="plain http"):  # also when used without a client
        auth.headers("GET", "https://h", [], None, context=AuthContext(P, region="ap-southeast-1"))
    assert len(responses.calls) == 0 and auth.token_requests == 0


def test_plain_http_iam_is_allowed_to_loopback_or_when_asked():
    with Emulator([JOB], retention_days=None) as emu:
        from rds_job_analytics.emulator import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_USER

        auth = PasswordAuth(DEMO_USER, DEMO_PASSWORD, DEMO_DOMAIN, iam_endpoint=emu.url)
        with emu.client(auth=auth) as client:
            assert client.get_job("j1")["job"]["id"] == "j1"
    remote = PasswordAuth("alice", PASSWORD, "acme", iam_endpoint="http://iam.example.com")
    JobsClient(P, region="ap-southeast-1", auth=remote, allow_http=True)  # the client allows it
    alone = PasswordAuth("a", PASSWORD, "d", iam_endpoint="http://iam.example", allow_http=True)
    JobsClient(P, region="ap-southeast-1", auth=alone)


def test_the_iam_of_each_region_lives_under_its_own_domain():
    auth = PasswordAuth("alice", PASSWORD, "acme")
    eu = auth.iam_url(AuthContext(P, region="eu-west-101"))
    assert eu == "https://iam.eu-west-101.myhuaweicloud.eu/v3/auth/tokens"
    cn = auth.iam_url(AuthContext(P, region="cn-north-4"))
    assert cn == "https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens"


# -- item 8: endpoints read as urllib3 reads them -------------------------------------------
def test_backslash_at_endpoint_cannot_pass_the_loopback_check():
    bad = "http://example.com\\@127.0.0.1"
    assert parse_url(bad).host == "example.com"  # where urllib3 would connect
    with pytest.raises(ConfigError, match="user info"):
        JobsClient(P, endpoint=bad, auth=TokenAuth("t"))
    with pytest.raises(ConfigError, match="user info"):
        JobsClient(P, endpoint="http://example.com\\@127.0.0.1:8080/v3", auth=TokenAuth("t"))


@pytest.mark.parametrize(
    "url",
    [
        f"https://bob:{PASSWORD}@rds.ap-southeast-1.myhuaweicloud.com",
        f"http://bob:{PASSWORD}@127.0.0.1:8080",
        f"https://{PASSWORD}@proxy.example",
        "https://proxy.example?x=@y",
        "https://proxy.example#frag",
        "ftp://proxy.example",
        "https://",
    ],
)
def test_endpoints_with_user_info_or_oddities_are_refused_without_echoing_them(url):
    with pytest.raises(ConfigError) as info:
        JobsClient(P, endpoint=url, auth=TokenAuth("t"))
    assert PASSWORD not in str(info.value) and "bob" not in str(info.value)
    with pytest.raises(ConfigError) as info:
        PasswordAuth("alice", "pw", "acme", iam_endpoint=url)
    assert PASSWORD not in str(info.value)


def test_ordinary_endpoints_still_pass():
    for url, want in [
        (
            "https://rds.ap-southeast-1.myhuaweicloud.com/",
            "https://rds.ap-southeast-1.myhuaweicloud.com",
        ),
        ("http://[::1]:8443/prefix", "http://[::1]:8443/prefix"),
        ("http://localhost:9", "http://localhost:9"),
        ("https://proxy.example:8443/rds", "https://proxy.example:8443/rds"),
    ]:
        assert check_endpoint(url) == want


# -- item 9: project ID and job IDs ---------------------------------------------------------
@pytest.mark.parametrize(
    "project",
    ["../../../etc", "0123456789abcdef0123456789abcde/", "0123456789abcdef 123456789abcdef",
     "a" * 33, "a" * 31, "0123456789abcdef0123456789abcdef\n", "%2e%2e%2f" * 4, "x" * 10_000],
)  # fmt: skip
def test_a_project_id_not_of_the_apis_shape_is_refused_before_any_call(project):
    with Emulator([JOB], retention_days=None) as emu:
        with pytest.raises(ConfigError, match="32-character") as info:
            JobsClient(project, endpoint=emu.url, auth=TokenAuth("t"))
        counts = dict(emu.counts)
    assert counts == {} and len(str(info.value)) < 200


def test_an_overlong_job_id_is_refused_without_a_call():
    huge = "a" * 10_000
    with Emulator([JOB], retention_days=None) as emu, emu.client() as client:
        with pytest.raises(ConfigError, match="10000 characters"):
            client.get_job(huge)
        df = fetch_jobs(client, [huge, "j1"], errors="ignore", progress=False)
        calls, counts = client.calls, dict(emu.counts)
    assert calls == 1 and counts.get("jobs") == 1  # only j1
    assert df["fetch_status"].tolist() == ["error", "ok"]
    assert df["fetch_error"].iloc[0].startswith("job id of 10000 characters")
    assert len(df["fetch_error"].iloc[0]) < 200


# -- item 10: exception chains and TLS ------------------------------------------------------
def _everything_reachable(exc: BaseException) -> list[object]:
    """Every object an exception keeps: causes, contexts, args, requests and responses."""
    found, todo, seen = [], [exc], set()
    while todo:
        obj = todo.pop()
        if id(obj) in seen or obj is None:
            continue
        seen.add(id(obj))
        found.append(obj)
        if isinstance(obj, dict):
            todo += [*obj.keys(), *obj.values()]
        elif isinstance(obj, list | tuple | set):
            todo += list(obj)
        elif isinstance(obj, BaseException):
            todo += [obj.__cause__, obj.__context__, *obj.args]
            todo += [getattr(obj, a, None) for a in ("request", "response", "reason")]
        elif isinstance(obj, requests.PreparedRequest | requests.Request):
            todo += [dict(obj.headers or {}), obj.body]
    return found


def _leaks(exc: BaseException) -> list[object]:
    return [o for o in _everything_reachable(exc)
            if isinstance(o, str | bytes) and SECRET in (o.decode("latin-1") if isinstance(o, bytes) else o)]  # fmt: skip


@pytest.mark.parametrize(
    "kind",
    [requests.exceptions.InvalidHeader, requests.exceptions.ReadTimeout,
     requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError],
)  # fmt: skip
def test_no_exception_in_the_chain_keeps_the_token(kind):
    def failing_get(url, headers, timeout, **kw):
        prepared = requests.Request("GET", url, headers=headers).prepare()
        try:
            raise requests.exceptions.RequestException("inner", request=prepared)
        except requests.exceptions.RequestException:
            raise kind("outer", request=prepared) from None  # suppressed context keeps `inner`

    session = requests.Session()
    session.get = failing_get
    client = JobsClient(P, region="ap-southeast-1", auth=TokenAuth(SECRET), session=session,
                        max_retries=1, backoff=0.001, rate_limit=1000.0)  # fmt: skip
    with pytest.raises(TransportError) as info:
        client.get_job("j1")
    assert _leaks(info.value) == []
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_a_certificate_that_fails_verification_is_not_retried(self_signed):
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    handshakes = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            handshakes.append(1)
            try:
                context.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        client = JobsClient(P, endpoint=f"https://127.0.0.1:{port}", auth=TokenAuth(SECRET),
                            max_retries=5, backoff=0.001, rate_limit=1000.0)  # fmt: skip
        with pytest.raises(TransportError, match="not retried") as info:
            client.get_job("j1")
    finally:
        listener.close()
    assert "certificate" in info.value.reason
    assert len(handshakes) == 1 and client.connect_failures == 1 and client.calls == 0
    assert _leaks(info.value) == []


# -- item 11: CSV cells a spreadsheet would run -------------------------------------------
HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)",
           "\tTAB", "\rCR", "plain", "a=b"]  # fmt: skip


def _hostile_frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame({
        "job_id": pd.array([f"j{i}" for i in range(n)], dtype="string"),
        "job_name": pd.Categorical(HOSTILE),
        "fail_reason": pd.array(HOSTILE, dtype="string"),
        "extra_text": pd.Series(HOSTILE, dtype=object),
        "duration_s": [-5.0, -1.5, 0.0, 1.0, 2.0, 3.0, -0.25, 4.0],
        "progress_pct": pd.array([-1, 2, 3, 4, 5, 6, 7, 8], dtype="Int64"),
    })  # fmt: skip


def test_csv_neutralises_formula_cells_but_keeps_numbers(tmp_path):
    df = _hostile_frame()
    path = write_frame(df, tmp_path / "jobs.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    want = ["'" + v if v[0] in "=+-@\t\r" else v for v in HOSTILE]
    for col in ("job_name", "fail_reason", "extra_text"):
        assert [r[col] for r in rows] == want, col
    assert [r["duration_s"] for r in rows][:2] == ["-5.0", "-1.5"]  # numbers stay numbers
    assert rows[0]["progress_pct"] == "-1"
    back = pd.read_csv(path)
    assert back["duration_s"].tolist() == df["duration_s"].tolist()
    assert df["job_name"].tolist() == HOSTILE  # the caller's frame is not modified


def test_parquet_keeps_api_text_exactly(tmp_path):
    df = _hostile_frame()
    back = pd.read_parquet(write_frame(df, tmp_path / "jobs.parquet"))
    for col in ("job_name", "fail_reason", "extra_text"):
        assert back[col].astype(object).tolist() == HOSTILE, col

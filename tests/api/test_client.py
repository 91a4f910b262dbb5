"""JobsClient against scripted answers (responses): endpoints, retries, error mapping, auth."""

from __future__ import annotations

import logging

import pytest
import requests
import responses
from responses import matchers, registries

import rds_job_analytics.api._client as client_module
from rds_job_analytics import (
    ApiError,
    AuthError,
    BadRequest,
    ConfigError,
    JobNotFound,
    JobsClient,
    RateLimited,
    RdsJobError,
    ServerError,
    TokenAuth,
    TransportError,
)

P = "0123456789abcdef0123456789abcdef"
BASE = "https://rds.ap-southeast-1.myhuaweicloud.com"
JOBS = f"{BASE}/v3/{P}/jobs"
JOB = {"job": {"id": "j1", "name": "RestartMysqlInstance", "status": "Completed"}}
SECRET = "MII-very-secret-token"


def client(**kw):
    kw.setdefault("auth", TokenAuth(SECRET))
    kw.setdefault("rate_limit", 1000.0)
    kw.setdefault("backoff", 0.001)
    return JobsClient(P, region="ap-southeast-1", **kw)


def test_endpoints():
    assert client().endpoint == BASE
    eu = JobsClient(P, region="eu-west-101", auth=TokenAuth("t"))
    assert eu.endpoint == "https://rds.eu-west-101.myhuaweicloud.eu"
    assert JobsClient(P, endpoint="http://127.0.0.1:9/", auth=TokenAuth("t")).endpoint == (
        "http://127.0.0.1:9"
    )
    local = JobsClient(P, endpoint="http://localhost:9", auth=TokenAuth("t"))
    assert local.endpoint == "http://localhost:9"
    with pytest.raises(ConfigError, match="plain http"):
        JobsClient(P, endpoint="http://proxy.example:8080", auth=TokenAuth("t"))
    proxy = JobsClient(
        P, endpoint="http://proxy.example:8080", auth=TokenAuth("t"), allow_http=True
    )
    assert proxy.endpoint == "http://proxy.example:8080"
    with pytest.raises(ConfigError, match="region"):
        JobsClient(P, auth=TokenAuth("t"))


def test_caller_session_is_used_and_not_closed(monkeypatch):
    s = requests.Session()
    closed = []
    monkeypatch.setattr(s, "close", lambda: closed.append(s))
    with client(session=s) as c:
        assert c.session is s
    c.close()
    assert closed == []  # neither __exit__ nor close() touched the caller's session


def test_owned_session_is_closed_once(monkeypatch):
    c = client()
    closed = []
    monkeypatch.setattr(c.session, "close", lambda: closed.append(1))
    with c:
        pass
    assert closed == [1]


@responses.activate
def test_get_job_sends_token_and_cleans_id():
    job = {"job": {**JOB["job"], "id": "31b8ae23-c687"}}
    responses.get(
        JOBS,
        json=job,
        match=[
            matchers.query_param_matcher({"id": "31b8ae23-c687"}),
            matchers.header_matcher({"X-Auth-Token": SECRET}),
        ],
    )
    assert client().get_job(" 31 b8ae23 - c687 ") == job


@responses.activate(registry=registries.OrderedRegistry)
def test_retries_429_then_503_then_200():
    responses.get(JOBS, status=429, json={"error_code": "APIGW.0308", "error_msg": "throttled"})
    responses.get(JOBS, status=503, body="<html>busy</html>")
    responses.get(JOBS, json=JOB)
    c = client()
    assert c.get_job("j1") == JOB
    assert c.calls == 3


@responses.activate(registry=registries.OrderedRegistry)
def test_every_attempt_passes_through_the_token_bucket(monkeypatch):
    responses.get(JOBS, status=429, json={"error_code": "APIGW.0308", "error_msg": "throttled"})
    responses.get(JOBS, status=503, body="<html>busy</html>")
    responses.get(JOBS, json=JOB)
    c = client()
    acquired = []
    real = c.bucket.acquire
    monkeypatch.setattr(
        c.bucket, "acquire", lambda **kw: acquired.append(len(responses.calls)) or real(**kw)
    )
    assert c.get_job("j1") == JOB
    assert len(responses.calls) == c.calls == 3
    assert acquired == [0, 1, 2]  # one token before each HTTP attempt, retries included


@responses.activate(registry=registries.OrderedRegistry)
def test_token_bucket_also_paces_the_retry_after_a_refresh(monkeypatch):
    responses.get(JOBS, status=401, json={"error_code": "APIGW.0301", "error_msg": "expired"})
    responses.get(JOBS, json=JOB)

    class Renewable(TokenAuth):
        def refresh(self, context):
            assert context.project_id == P and context.region == "ap-southeast-1"
            return True

    c = client(auth=Renewable(SECRET))
    acquired = []
    real = c.bucket.acquire
    monkeypatch.setattr(
        c.bucket, "acquire", lambda **kw: acquired.append(len(responses.calls)) or real(**kw)
    )
    assert c.get_job("j1") == JOB
    assert acquired == [0, 1] and c.calls == 2


@responses.activate(registry=registries.OrderedRegistry)
def test_retry_after_seconds_is_honoured(monkeypatch):
    slept = []
    monkeypatch.setattr(client_module, "_wait", lambda event, s: slept.append(s) or False)
    responses.get(JOBS, status=429, headers={"Retry-After": "7"}, json={"error_code": "APIGW.0308"})
    responses.get(JOBS, json=JOB)
    client().get_job("j1")
    assert 7 in slept


@responses.activate(registry=registries.OrderedRegistry)
def test_retry_after_http_date_is_capped(monkeypatch):
    slept = []
    monkeypatch.setattr(client_module, "_wait", lambda event, s: slept.append(s) or False)
    responses.get(JOBS, status=503, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    responses.get(JOBS, json=JOB)
    client(retry_after_cap=15).get_job("j1")
    assert 15 in slept


@responses.activate(registry=registries.OrderedRegistry)
def test_retry_after_http_date_is_read_against_the_one_clock(monkeypatch):
    """An HTTP-date Retry-After is measured from ``_time``'s clock (not ``time.time``)."""
    from datetime import UTC, datetime

    from rds_job_analytics._time import use_clock

    slept = []
    monkeypatch.setattr(client_module, "_wait", lambda event, s: slept.append(s) or False)
    responses.get(JOBS, status=503, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    responses.get(JOBS, json=JOB)
    with use_clock(datetime(2099, 10, 21, 7, 27, 40, tzinfo=UTC)):
        client(retry_after_cap=60).get_job("j1")
    assert slept == [20.0]


@responses.activate
def test_rate_limited_after_all_retries():
    responses.get(JOBS, status=429, json={"error_code": "APIGW.0308", "error_msg": "slow down"})
    c = client(max_retries=2)
    with pytest.raises(RateLimited) as info:
        c.get_job("j1")
    assert c.calls == 3
    assert info.value.status == 429 and info.value.error_code == "APIGW.0308"
    assert info.value.job_id == "j1"


@pytest.mark.parametrize(
    ("status", "body", "exc", "code"),
    [
        (400, {"error_code": "DBS.200543", "error_msg": "not found"}, JobNotFound, "DBS.200543"),
        (404, {"code": "X", "message": "gone"}, JobNotFound, "X"),
        (400, {"errCode": "DBS.280001", "externalMessage": "bad id"}, BadRequest, "DBS.280001"),
        (403, {"error_code": "DBS.280056", "error_msg": "invalid token"}, AuthError, "DBS.280056"),
        (404, {"error_code": "APIGW.0101", "error_msg": "no such API"}, ApiError, "APIGW.0101"),
        (400, {"itemNotFound": {"code": "DBS.200543", "message": "x"}}, JobNotFound, "DBS.200543"),
    ],
)
@responses.activate
def test_errors_are_mapped_and_not_retried(status, body, exc, code):
    responses.get(JOBS, status=status, json=body, headers={"X-Request-Id": "req-42"})
    c = client()
    with pytest.raises(exc) as info:
        c.get_job("j1")
    assert c.calls == 1
    e = info.value
    assert isinstance(e, RdsJobError)
    assert (e.status, e.error_code, e.request_id, e.job_id) == (status, code, "req-42", "j1")
    assert "j1" in str(e) and code in str(e)
    if exc is ApiError:
        assert not isinstance(e, JobNotFound)


@responses.activate
def test_non_json_error_body():
    responses.get(JOBS, status=502, body="<html><h1>Bad gateway</h1></html>")
    with pytest.raises(ServerError) as info:
        client(max_retries=1).get_job("j1")
    assert "Bad gateway" in info.value.error_msg


@responses.activate
def test_unreadable_200_body_is_retried_then_reported():
    responses.get(JOBS, body=b'{"job": {"id": "tru')
    c = client(max_retries=2)
    with pytest.raises(ServerError, match="unreadable"):
        c.get_job("j1")
    assert c.calls == 3


@responses.activate
def test_connection_errors_become_transport_error():
    responses.get(JOBS, body=requests.ConnectionError("refused"))
    c = client(max_retries=1)
    with pytest.raises(TransportError) as info:
        c.get_job("j1")
    assert isinstance(info.value, ConnectionError) and c.calls == 2


def test_transport_error_keeps_its_cause_without_the_token():
    session = requests.Session()
    cause = requests.ConnectionError("connection refused")

    def refuse(url, headers, timeout, **kw):
        cause.request = requests.Request("GET", url, headers=headers).prepare()
        raise cause

    session.get = refuse
    with pytest.raises(TransportError) as info:
        client(session=session, max_retries=0).get_job("j1")
    assert info.value.__cause__ is cause  # raise ... from exc, not from None
    assert info.value.job_id == "j1"
    assert cause.request is None  # it carried X-Auth-Token: dropped before chaining
    for text in (str(info.value), repr(info.value), str(cause), repr(cause)):
        assert SECRET not in text


@responses.activate
def test_unreadable_body_error_keeps_the_decode_error_as_cause():
    responses.get(JOBS, body=b"{not json")
    with pytest.raises(ServerError) as info:
        client(max_retries=0).get_job("j1")
    assert isinstance(info.value.__cause__, ValueError)


@responses.activate
def test_secrets_never_in_repr_logs_or_errors(caplog):
    responses.get(JOBS, status=403, json={"error_code": "DBS.280056", "error_msg": "bad token"})
    c = client()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as info:
        c.get_job("j1")
    for text in (repr(c), repr(c.auth), str(info.value), repr(info.value), caplog.text):
        assert SECRET not in text


def test_aksk_signature_matches_official_signer():
    pytest.importorskip("huaweicloudsdkcore")
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    from rds_job_analytics import AkSkAuth

    auth = AkSkAuth("AKEXAMPLE", "sk-very-secret")
    c = client(auth=auth)
    url = f"{BASE}/v3/{P}/jobs"
    h = auth.headers("GET", url, [("id", "j1")], None, context=c.auth_context)
    assert h["Authorization"].startswith("SDK-HMAC-SHA256 Access=AKEXAMPLE")

    class Cred:
        ak, sk = "AKEXAMPLE", "sk-very-secret"

    req = SdkRequest(method="GET", schema="https", host="rds.ap-southeast-1.myhuaweicloud.com",
                     resource_path=f"/v3/{P}/jobs", query_params=[("id", "j1")],
                     header_params={"Content-Type": "application/json", "X-Project-Id": P,
                                    "X-Sdk-Date": h["X-Sdk-Date"]}, body="")  # fmt: skip
    expected = Signer(Cred()).sign(req).header_params["Authorization"]
    assert h["Authorization"] == expected
    assert "sk-very-secret" not in repr(auth)


def test_bad_arguments_name_the_culprit():
    with pytest.raises(ConfigError, match="rate_limit"):
        client(rate_limit=0)
    with pytest.raises(ConfigError, match="job id"):
        client().get_job(123)
    with pytest.raises(ConfigError, match="both start and end"):
        list(client().list_tasks(start="2026-01-01"))


@responses.activate
def test_list_tasks_pages_until_empty_with_epoch_ms():
    url = f"{BASE}/v3/{P}/tasklist"
    pages = [[{"id": f"t{i}"} for i in range(50)], [{"id": "t50"}], []]
    for offset, tasks in zip((0, 50, 100), pages, strict=True):
        responses.get(url, json={"total_count": 1, "tasks": tasks}, match=[
            matchers.query_param_matcher({"offset": str(offset), "limit": "50",
                                          "start_time": "1767225600000", "end_time": "1767312000000",
                                          "status": "Failed"})])  # fmt: skip
    got = list(client().list_tasks("2026-01-01", "2026-01-02", status="Failed"))
    assert [t["id"] for t in got] == [f"t{i}" for i in range(51)]  # total_count not trusted


def test_the_default_rate_meets_no_429_under_a_sliding_window_with_jitter():
    """Issue 26.12: pacing exactly at the quota (60 a minute) meets 429s under the
    server's sliding window once the network delays calls unevenly (9 in 600 calls
    here); the default paces a little under it and meets none."""
    import random
    from collections import deque

    from rds_job_analytics.api._client import API_QUOTA, DEFAULT_RATE_LIMIT

    c = JobsClient(P, region="ap-southeast-1", auth=TokenAuth("t"))  # every default
    assert c.bucket.interval == pytest.approx(1 / DEFAULT_RATE_LIMIT)
    rng = random.Random(26)
    # the bucket's slots, each delayed by up to 0.5 s on its way to the server
    arrivals = sorted(k * c.bucket.interval + rng.uniform(0, 0.5) for k in range(600))
    window: deque[float] = deque()  # the emulator's rule: 60 calls in any 60 s
    throttled = 0
    for t in arrivals:
        while window and window[0] <= t - 60:
            window.popleft()
        if len(window) >= 60 * API_QUOTA:
            throttled += 1
            continue
        window.append(t)
    assert throttled == 0
    assert DEFAULT_RATE_LIMIT == pytest.approx(0.9 * API_QUOTA)  # as README.md says

"""A dead endpoint fails fast (issue 13, item 4): the client's circuit.

A run of connection failures that never reached the server (refused, DNS, TLS) opens
the circuit: later requests fail at once, without a call, naming the reason; timeouts
and 5xx keep the retry policy. Only loopback is ever dialled.
"""

from __future__ import annotations

import socket
import ssl
import threading
import uuid
import warnings

import pytest
import requests
import responses
import urllib3.exceptions
from responses import registries
from urllib3.connection import HTTPConnection

import rds_job_analytics.api._circuit as circuit_mod
from rds_job_analytics import (
    AuthError,
    ConfigError,
    FetchWarning,
    JobArchive,
    JobNotFound,
    JobsClient,
    PasswordAuth,
    ServerError,
    TokenAuth,
    TransportError,
    fetch_jobs,
    sync_jobs,
)
from tests.api.test_client import JOB, JOBS, SECRET, P  # one set of client-test constants


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound for a free number, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class CountingSession(requests.Session):
    """Counts the connection attempts the client makes."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def get(self, *args, **kwargs):
        self.attempts += 1
        return super().get(*args, **kwargs)


def client(**kw):
    kw.setdefault("auth", TokenAuth(SECRET))
    kw.setdefault("rate_limit", 1000.0)
    kw.setdefault("backoff", 0.001)
    return JobsClient(P, region="ap-southeast-1", **kw)


def refused(host: str = "rds.ap-southeast-1.myhuaweicloud.com", port: int = 443):
    """What requests raises for a refused connection (the real shape, built offline)."""
    conn = HTTPConnection(host, port)
    inner = urllib3.exceptions.NewConnectionError(
        conn, "Failed to establish a new connection: [Errno 111] Connection refused"
    )
    inner.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/v3", inner))


def dns_failure(host: str = "rds.nowhere.example"):
    conn = HTTPConnection(host, 443)
    gai = socket.gaierror(-2, "Name or service not known")
    inner = urllib3.exceptions.NameResolutionError(host, conn, gai)
    inner.__cause__ = gai
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/v3", inner))


def tls_failure():
    low = ssl.SSLCertVerificationError(1, "certificate verify failed")
    low.verify_message = "self-signed certificate"
    inner = urllib3.exceptions.SSLError(low)
    return requests.exceptions.SSLError(urllib3.exceptions.MaxRetryError(None, "/v3", inner))


def unreachable():
    inner = urllib3.exceptions.NewConnectionError(
        HTTPConnection("10.9.9.9", 443), "Failed to establish a new connection: [Errno 101]"
    )
    inner.__cause__ = OSError(101, "Network is unreachable")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/v3", inner))


def connect_timeout():
    conn = HTTPConnection("rds.ap-southeast-1.myhuaweicloud.com", 443)
    inner = urllib3.exceptions.ConnectTimeoutError(conn, "Connection timed out (connect timeout=5)")
    return requests.ConnectTimeout(urllib3.exceptions.MaxRetryError(None, "/v3", inner))


def reset():
    inner = urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
    )
    return requests.ConnectionError(inner)


def ids(n: int) -> list[str]:
    return [str(uuid.UUID(int=i + 1)) for i in range(n)]


# -- the circuit -------------------------------------------------------------------------
@pytest.mark.slow  # real default pacing, 1 call/s: about 5 s of waiting
def test_forty_ids_against_a_closed_port_end_at_once(closed_port):
    """The issue's row: default pacing and backoff, as the command line runs it."""
    session = CountingSession()
    c = JobsClient(
        P, endpoint=f"http://127.0.0.1:{closed_port}", auth=TokenAuth(SECRET), session=session
    )
    with pytest.warns(FetchWarning, match=f"connection refused by 127.0.0.1:{closed_port}"):
        df = fetch_jobs(c, ids(40), progress=False)
    assert len(df) == 40 and (df["fetch_status"] == "error").all()
    reason = f"connection refused by 127.0.0.1:{closed_port}"
    assert df["fetch_error"].str.startswith(reason).all()
    assert c.calls == 0  # nothing reached the server: no quota spent
    assert session.attempts == c.connect_failures
    assert c.circuit_threshold <= c.connect_failures <= c.circuit_threshold + c.max_workers
    assert c.circuit_reason == reason
    assert not df["fetch_error"].str.contains(SECRET).any()


def test_open_circuit_fails_at_once_with_the_reason_and_no_call(closed_port):
    session = CountingSession()
    c = JobsClient(
        P, endpoint=f"http://127.0.0.1:{closed_port}", auth=TokenAuth(SECRET),
        session=session, rate_limit=1000.0, backoff=0.001, max_retries=5, circuit_threshold=2,
    )  # fmt: skip
    with pytest.raises(TransportError) as info:
        c.get_job("j1")  # 2 refusals in a row open the circuit before the retries run out
    first = info.value
    assert first.reason == f"connection refused by 127.0.0.1:{closed_port}"
    assert str(first).startswith(first.reason) and first.job_id == "j1"
    assert session.attempts == c.connect_failures == 2 and c.calls == 0
    with pytest.raises(TransportError) as info:
        c.get_job("j2")
    assert info.value.reason == first.reason and info.value.job_id == "j2"
    assert session.attempts == 2  # not asked again
    with pytest.raises(TransportError):
        list(c.list_tasks())
    assert session.attempts == 2 and c.calls == 0


@responses.activate
@pytest.mark.parametrize("make", [refused, dns_failure], ids=["refused", "dns"])
def test_connection_failures_open_the_circuit_and_are_not_calls(make):
    responses.get(JOBS, body=make())
    c = client(max_retries=5)
    with pytest.raises(TransportError) as info:
        c.get_job("j1")
    assert info.value.reason and str(info.value).startswith(info.value.reason)
    assert c.connect_failures == 3 and c.calls == 0  # default threshold: 3
    assert len(responses.calls) == 3
    with pytest.raises(TransportError, match="taken as down"):
        c.get_job("j2")
    assert len(responses.calls) == 3


@responses.activate
def test_certificate_failures_are_not_retried_and_open_the_circuit():
    """A certificate that fails verification will not heal: one attempt per request (issue
    14, item 10), and three requests in a row open the circuit as other failures do."""
    responses.get(JOBS, body=tls_failure())
    c = client(max_retries=5)
    for n in (1, 2):
        with pytest.raises(TransportError, match="not retried") as info:
            c.get_job(f"j{n}")
        assert "certificate" in info.value.reason and len(responses.calls) == n
    with pytest.raises(TransportError, match="taken as down"):
        c.get_job("j3")
    with pytest.raises(TransportError, match="taken as down"):
        c.get_job("j4")
    assert len(responses.calls) == c.connect_failures == 3 and c.calls == 0


@pytest.fixture
def not_tls_port():
    """A loopback port that answers a TLS handshake with plain HTTP (a TLS/SSL error)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)  # the ClientHello
                    conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
                    conn.shutdown(socket.SHUT_WR)
                    while conn.recv(65536):
                        pass
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    yield srv.getsockname()[1]
    srv.close()


def test_a_tls_error_on_loopback_opens_the_circuit(not_tls_port):
    c = JobsClient(
        P, endpoint=f"https://127.0.0.1:{not_tls_port}", auth=TokenAuth(SECRET),
        rate_limit=1000.0, backoff=0.001,
    )  # fmt: skip
    with pytest.raises(TransportError) as info:
        c.get_job("j1")
    assert info.value.reason.startswith(f"TLS/SSL handshake with 127.0.0.1:{not_tls_port} failed")
    assert c.calls == 0 and c.connect_failures == 3


@responses.activate
@pytest.mark.parametrize(
    "make",
    [connect_timeout, lambda: requests.ReadTimeout("read timed out"), reset],
    ids=["connect-timeout", "read-timeout", "reset"],
)
def test_timeouts_and_resets_keep_the_retry_policy(make):
    responses.get(JOBS, body=make())
    c = client(max_retries=4)
    with pytest.raises(TransportError) as info:
        c.get_job("j1")
    assert info.value.reason is None
    assert c.calls == 5 and len(responses.calls) == 5  # every attempt counted, as before
    assert c.connect_failures == 0 and c.circuit_reason is None


@responses.activate
def test_a_503_keeps_the_retry_policy():
    responses.get(JOBS, status=503, json={"error_code": "APIGW.0500", "error_msg": "down"})
    c = client(max_retries=4)
    with pytest.raises(ServerError):
        c.get_job("j1")
    with pytest.raises(ServerError):
        c.get_job("j2")
    assert c.calls == 10 and c.connect_failures == 0 and c.circuit_reason is None


@responses.activate(registry=registries.OrderedRegistry)
def test_a_transient_refusal_then_an_answer_does_not_open_the_circuit():
    for _ in range(3):
        responses.get(JOBS, body=refused())
        responses.get(JOBS, body=refused())
        responses.get(JOBS, json=JOB)
    c = client(max_retries=5)
    for _ in range(3):  # 2 refusals, then an answer ends the run (threshold 3)
        assert c.get_job("j1") == JOB
    assert c.calls == 3 and c.connect_failures == 6 and c.circuit_reason is None


@responses.activate(registry=registries.OrderedRegistry)
def test_any_http_answer_ends_the_run():
    responses.get(JOBS, body=refused())
    responses.get(JOBS, body=refused())
    responses.get(JOBS, status=400, json={"error_code": "DBS.200543", "error_msg": "gone"})
    responses.get(JOBS, body=refused())
    responses.get(JOBS, body=refused())
    responses.get(JOBS, json=JOB)
    c = client(max_retries=5)
    with pytest.raises(JobNotFound):
        c.get_job("j1")
    assert c.get_job("j1") == JOB and c.circuit_reason is None


@responses.activate(registry=registries.OrderedRegistry)
def test_the_circuit_closes_after_its_cooldown(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(circuit_mod, "_monotonic", lambda: clock[0])
    for _ in range(3):
        responses.get(JOBS, body=refused())
    responses.get(JOBS, body=refused())
    responses.get(JOBS, json=JOB)
    c = client(max_retries=0, circuit_cooldown=30.0)
    for _ in range(3):
        with pytest.raises(TransportError):
            c.get_job("j1")
    assert c.circuit_reason is not None and len(responses.calls) == 3
    clock[0] += 29.0
    with pytest.raises(TransportError, match="taken as down"):
        c.get_job("j1")
    assert len(responses.calls) == 3
    clock[0] += 2.0  # cooled down: one try; one more refusal reopens it at once
    with pytest.raises(TransportError, match="taken as down"):
        c.get_job("j1")
    assert len(responses.calls) == 4 and c.circuit_reason is not None
    c.reset_circuit()
    assert c.get_job("j1") == JOB and c.connect_failures == 4 and c.calls == 1


@responses.activate
def test_without_a_threshold_the_old_policy_stays():
    responses.get(JOBS, body=refused())
    c = client(max_retries=4, circuit_threshold=None)
    with pytest.raises(TransportError, match=r"connection refused by .* after 5 attempts"):
        c.get_job("j1")
    assert c.connect_failures == 5 and c.calls == 0 and c.circuit_reason is None


def test_a_bad_threshold_names_the_culprit():
    with pytest.raises(ConfigError, match="circuit_threshold"):
        client(circuit_threshold=0)


def test_unreachable_loopback_iam_feeds_the_circuit(closed_port, monkeypatch):
    monkeypatch.delenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", raising=False)
    auth = PasswordAuth("alice", "pa55-secret", "acme")
    c = JobsClient(
        P, endpoint=f"http://127.0.0.1:{closed_port}", auth=auth, rate_limit=1000.0,
        backoff=0.001, max_workers=2,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FetchWarning)
        df = fetch_jobs(c, ids(20), progress=False, errors="ignore")
    statuses = df["fetch_status"].value_counts()
    assert statuses["auth_error"] <= c.circuit_threshold + c.max_workers
    assert statuses["auth_error"] + statuses["error"] == 20
    assert c.connect_failures <= c.circuit_threshold + c.max_workers and c.calls == 0
    assert auth.token_requests == 0
    assert c.circuit_reason == f"connection refused by 127.0.0.1:{closed_port}"
    assert not df["fetch_error"].str.contains("pa55-secret").any()
    with pytest.raises(TransportError):
        c.get_job("j1")
    c.reset_circuit()
    with pytest.raises(AuthError, match="IAM token request"):
        c.get_job("j1")


@pytest.mark.slow
def test_sync_against_a_dead_endpoint_is_partial_not_a_hang(closed_port):
    session = CountingSession()
    c = JobsClient(
        P, endpoint=f"http://127.0.0.1:{closed_port}", auth=TokenAuth(SECRET), session=session
    )
    archive = JobArchive(":memory:")
    with pytest.warns(FetchWarning, match="connection refused by"):
        result = sync_jobs(c, archive, progress=False)
    assert result.partial and f"connection refused by 127.0.0.1:{closed_port}" in result.partial
    assert result.calls == 0 and result.listed == 0
    assert session.attempts == c.connect_failures <= c.circuit_threshold

"""The error map and the transport's reasons (api/_errors.py)."""

from __future__ import annotations

import pytest
import requests

from rds_job_analytics import ApiError, AuthError, BadRequest, JobNotFound, RateLimited, ServerError
from rds_job_analytics.api._errors import connect_failure_reason
from tests.api.test_client_circuit import (  # the failures, built offline
    closed_port as closed_port,
)
from tests.api.test_client_circuit import (
    connect_timeout,
    dns_failure,
    refused,
    reset,
    tls_failure,
    unreachable,
)


@pytest.mark.parametrize(
    ("status", "code", "job_id", "exc"),
    [
        (400, "DBS.200543", "j1", JobNotFound),
        (400, "DBS.200543", None, JobNotFound),
        (404, None, "j1", JobNotFound),
        (404, None, None, ApiError),
        (404, "APIGW.0101", "j1", ApiError),
        (400, "DBS.280001", "j1", BadRequest),
        (401, "APIGW.0301", None, AuthError),
        (403, "DBS.280056", None, AuthError),
        (429, "APIGW.0308", None, RateLimited),
        (429, "APIG.0308", None, RateLimited),
        (500, "DBS.200001", None, ServerError),
        (504, None, None, ServerError),
        (409, None, "j1", ApiError),
    ],
)
def test_error_map(status, code, job_id, exc):
    from rds_job_analytics.api._errors import error_class

    assert error_class(status, code, job_id=job_id) is exc


def test_parse_error_body_has_one_home():
    from rds_job_analytics import exceptions
    from rds_job_analytics.api import _client as client_module

    assert client_module.parse_error_body is exceptions.parse_error_body
    resp = requests.Response()
    resp.status_code = 400
    resp.headers["X-Request-Id"] = "req-1"
    resp._content = b'{"error_code": "DBS.200543", "error_msg": "gone"}'
    e = JobNotFound.from_response(resp, job_id="j1")
    assert type(e) is JobNotFound
    assert (e.status, e.error_code, e.error_msg, e.request_id, e.job_id) == (
        400, "DBS.200543", "gone", "req-1", "j1",
    )  # fmt: skip
    resp._content = b"<html>proxy</html>"
    assert ApiError.from_response(resp, default_msg="x").error_msg == "<html>proxy</html>"
    resp._content = b"{}"
    assert ApiError.from_response(resp, default_msg="x").error_msg == "x"


# -- the classification ------------------------------------------------------------------
def test_a_real_refusal_on_loopback_is_named(closed_port):
    with pytest.raises(requests.ConnectionError) as info:
        requests.get(f"http://127.0.0.1:{closed_port}/v3", timeout=5)
    assert connect_failure_reason(info.value) == f"connection refused by 127.0.0.1:{closed_port}"
    url = f"http://127.0.0.1:{closed_port}"
    assert (
        connect_failure_reason(info.value, url) == f"connection refused by 127.0.0.1:{closed_port}"
    )


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (refused, "connection refused by rds.example:443"),
        (dns_failure, "cannot resolve host rds.example (DNS)"),
        (unreachable, "cannot connect to rds.example:443 (Network is unreachable)"),
        (tls_failure, "TLS/SSL handshake with rds.example:443 failed (self-signed certificate)"),
        (
            lambda: requests.exceptions.ProxyError("http://user:pw@proxy:3128"),
            "cannot reach rds.example:443 through the proxy",
        ),
        (connect_timeout, None),
        (lambda: requests.ReadTimeout("read timed out"), None),
        (reset, None),
        (lambda: requests.ConnectionError("refused"), None),  # does not show where: a call
    ],
    ids=[
        "refused",
        "dns",
        "unreachable",
        "tls",
        "proxy",
        "connect-timeout",
        "read-timeout",
        "reset",
        "bare",
    ],
)
def test_which_failures_never_reached_the_server(make, expected):
    assert connect_failure_reason(make(), "https://rds.example") == expected

"""The error map and the transport's reasons (api/_errors.py)."""

from __future__ import annotations

import pytest
import requests

from rds_job_analytics import ApiError, AuthError, BadRequest, JobNotFound, RateLimited, ServerError


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

"""What an answer or a failure means: the one error map and the transport's reasons.

:data:`ERROR_MAP` maps an HTTP status and ``error_code`` to an exception class
(:func:`error_class`); :func:`connect_failure_reason` decides which transport failures
never reached the server (refused, DNS, TLS: not API calls, and a run of them opens the
client's circuit). ``Retry-After`` and ``Location`` are read here too, never echoing more
than a host.

Examples
--------
>>> error_class(429, "APIGW.0308").__name__
'RateLimited'
"""

from __future__ import annotations

import email.utils
import math
import socket
import ssl
from collections.abc import Collection
from urllib.parse import urlsplit

import requests
import urllib3
import urllib3.exceptions

from .._time import epoch_seconds
from ..exceptions import (
    ApiError,
    AuthError,
    BadRequest,
    JobNotFound,
    RateLimited,
    ServerError,
)

__all__ = ["ERROR_MAP", "connect_failure_reason", "error_class"]

#: The one error map: ``(statuses, error_code, exception class)``, the first matching row
#: wins; ``None`` matches any status or any code; no match gives :class:`ApiError`. A 404
#: means a missing job only when the call was about one job (see :func:`error_class`).
ERROR_MAP: tuple[tuple[Collection[int] | None, str | None, type[ApiError]], ...] = (
    (None, "DBS.200543", JobNotFound),  # unknown, expired or deleted job: the API says 400
    ((404,), "APIGW.0101", ApiError),  # wrong host or path, not a missing job
    ((404,), None, JobNotFound),
    ((401, 403), None, AuthError),  # APIGW.0301 bad token/signature/clock, DBS.280056
    ((429,), None, RateLimited),  # APIGW.0308 / APIG.0308
    (range(500, 600), None, ServerError),
    ((400,), None, BadRequest),  # DBS.200001, DBS.280001
)


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: ``args``, urllib3's ``reason``/``original_error``, causes."""
    found: list[BaseException] = []
    todo = [exc]
    while todo and len(found) < 32:
        e = todo.pop(0)
        if any(e is seen for seen in found):
            continue
        found.append(e)
        todo += [a for a in e.args if isinstance(a, BaseException)]
        for attr in ("reason", "original_error", "__cause__"):
            inner = getattr(e, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)
    return found


def _target(chain: list[BaseException], url: str | None) -> tuple[str, str]:
    """``(host, "host:port")`` the failed connection was for: ``url``'s, else urllib3's."""
    host: str | None = None
    port: int | None = None
    if url:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    else:
        for e in chain:
            where = getattr(e, "conn", None) or getattr(e, "pool", None)
            if where is not None and getattr(where, "host", None):
                host, port = where.host, getattr(where, "port", None)
                break
    if not host:
        return "the server", "the server"
    shown = f"[{host}]" if ":" in host else host
    return host, (f"{shown}:{port}" if port else shown)


def connect_failure_reason(exc: BaseException, url: str | None = None) -> str | None:
    """Why a request never reached the server, or None when it may have (or timed out).

    The one home of the classification. *Never reached the server*: connection refused,
    DNS resolution failed, a TLS/SSL error, no route, a proxy that would not connect.
    Those attempts are not API calls (:attr:`JobsClient.connect_failures` counts them)
    and a run of them opens the client's circuit. Timeouts, a connection reset or closed
    mid-answer, and an error that does not show where it failed are not: they keep the
    retry policy and count as calls.

    Parameters
    ----------
    exc : BaseException
        What the transport raised (``requests``, ``urllib3``, ``socket``, ``ssl``).
    url : str, optional
        The URL asked for, named in the reason; default the host urllib3 recorded.

    Returns
    -------
    str or None
        e.g. ``"connection refused by 127.0.0.1:8080"``; never a secret.

    Examples
    --------
    >>> import socket, requests
    >>> s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    >>> try:
    ...     requests.get(f"http://127.0.0.1:{port}/v3", timeout=5)
    ... except requests.ConnectionError as exc:
    ...     reason = connect_failure_reason(exc)
    >>> reason == f"connection refused by 127.0.0.1:{port}"
    True
    >>> connect_failure_reason(requests.ReadTimeout("read timed out")) is None
    True
    """
    if isinstance(exc, requests.Timeout):
        return None
    chain = _exception_chain(exc)
    for e in chain:
        if isinstance(e, (socket.timeout, requests.Timeout)) or (
            isinstance(e, urllib3.exceptions.TimeoutError)
            and not isinstance(e, urllib3.exceptions.NewConnectionError)
        ):
            return None  # a timeout: slow, not dead; retried as before
        if isinstance(e, urllib3.exceptions.ProtocolError):
            return None  # connected, then the answer broke off: the request may have arrived
    host, where = _target(chain, url)

    def first(*types: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, types)), None)

    if first(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        return f"cannot reach {where} through the proxy"  # the proxy URL may hold a password
    tls = first(ssl.SSLError, urllib3.exceptions.SSLError, requests.exceptions.SSLError)
    if tls is not None:
        low = first(ssl.SSLError)
        detail = (
            getattr(low, "verify_message", None) or getattr(low, "reason", None)
            if low is not None
            else None
        )
        return f"TLS/SSL handshake with {where} failed" + (f" ({detail})" if detail else "")
    if first(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return f"cannot resolve host {host} (DNS)"
    if first(ConnectionRefusedError):
        return f"connection refused by {where}"
    new = first(urllib3.exceptions.NewConnectionError)
    if new is not None:
        detail = next(
            (e.strerror for e in chain
             if isinstance(e, OSError) and not isinstance(e, requests.RequestException)
             and e.strerror),
            None,
        )  # fmt: skip
        return f"cannot connect to {where}" + (f" ({detail})" if detail else "")
    return None


def error_class(status: int, code: str | None, *, job_id: str | None = None) -> type[ApiError]:
    """The exception class for an HTTP error answer, from :data:`ERROR_MAP`.

    Parameters
    ----------
    status : int
        HTTP status.
    code : str or None
        ``error_code`` of the body (:func:`parse_error_body`).
    job_id : str, optional
        The job the call was about; without one a bare 404 is a wrong path, not a
        missing job.

    Examples
    --------
    >>> error_class(400, "DBS.200543").__name__, error_class(400, "DBS.280001").__name__
    ('JobNotFound', 'BadRequest')
    >>> error_class(404, None, job_id="j1").__name__, error_class(404, None).__name__
    ('JobNotFound', 'ApiError')
    >>> error_class(503, "APIGW.0500").__name__, error_class(418, None).__name__
    ('ServerError', 'ApiError')
    """
    for statuses, want, cls in ERROR_MAP:
        if (statuses is None or status in statuses) and (want is None or code == want):
            if cls is JobNotFound and want is None and not job_id:
                continue  # a 404 about a path, not about a job
            return cls
    return ApiError


def _location_host(resp: requests.Response) -> str:
    """The host a redirect points to (never its path, query or user info)."""
    location = resp.headers.get("Location") or ""
    try:
        parts = urlsplit(location)
        host = parts.hostname
    except ValueError:
        host = None
    if host is None:
        return "a path on the same host" if location.startswith("/") else "an unreadable location"
    return f"{parts.scheme}://{host}" if parts.scheme else host


def _tls_verify_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is a certificate verification failure (it will not heal: no retry)."""
    for e in _exception_chain(exc):
        if isinstance(e, ssl.SSLCertVerificationError):
            return True
        if isinstance(e, ssl.SSLError | urllib3.exceptions.SSLError) and (
            "CERTIFICATE_VERIFY_FAILED" in str(e)
        ):
            return True
    return False


def _retry_after(value: str | None, cap: float) -> float | None:
    """Seconds a ``Retry-After`` asks for (number or HTTP date), capped; None when absent
    or meaningless (``nan``, ``inf``, negative: then the backoff applies)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return min(seconds, cap) if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
        return min(max(when.timestamp() - epoch_seconds(), 0.0), cap)
    except (TypeError, ValueError):
        return None

"""One attempt's bounds: the deadline (headers and body) and the bounded body read.

The client's own session mounts :class:`_DeadlineAdapter`, whose connections shut the
socket at the attempt's deadline while the headers arrive; :func:`_read_body` reads the
body a chunk at a time by that deadline and refuses it past a size
(:class:`~rds_job_analytics.exceptions.ResponseTooLarge`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

import requests
import urllib3
import urllib3.connection
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from ..exceptions import ResponseTooLarge

__all__: list[str] = []

_CHUNK = 64 * 1024  # bytes read (and decoded) at a time


class _DeadlineExceeded(requests.Timeout):
    """An attempt's answer did not complete within its deadline (retried as a timeout)."""


def _socket_of(resp: requests.Response) -> socket.socket | None:
    """The socket an answer streams from (to bound each read by the deadline), if known."""
    sock = getattr(getattr(resp.raw, "_connection", None), "sock", None)
    return sock if isinstance(sock, socket.socket) else None


_attempt = threading.local()  # the running attempt's deadline (time.monotonic), per thread


def _cut(sock: socket.socket) -> None:
    """End a read that outlived its deadline (a blocked ``recv`` wakes up)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _HeaderDeadline:
    """The status line and headers must arrive by the attempt's deadline too: a timer
    shuts the socket down at it (the read timeout alone restarts with every byte)."""

    def getresponse(self) -> Any:
        until = getattr(_attempt, "until", None)
        sock = getattr(self, "sock", None)
        if until is None or sock is None:
            return super().getresponse()  # type: ignore[misc]
        timer = threading.Timer(max(until - time.monotonic(), 0.0), _cut, (sock,))
        timer.daemon = True
        timer.start()
        try:
            return super().getresponse()  # type: ignore[misc]
        finally:
            timer.cancel()


class _HTTPConnection(_HeaderDeadline, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_HeaderDeadline, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    """The adapter of the client's own session: its connections keep the deadline
    while the headers arrive (a caller's session keeps it while the body streams)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def _as_requests_error(exc: BaseException) -> requests.RequestException:
    """urllib3's error while reading a body as ``requests``' (what ``iter_content`` raises)."""
    if isinstance(exc, urllib3.exceptions.DecodeError):
        return requests.exceptions.ContentDecodingError(exc)
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return requests.ConnectionError(exc)
    if isinstance(exc, urllib3.exceptions.SSLError):
        return requests.exceptions.SSLError(exc)
    return requests.exceptions.ChunkedEncodingError(exc)


def _read_body(
    resp: requests.Response, until: float, read_timeout: float | None, limit: int,
    job_id: str | None,
) -> bytes:  # fmt: skip
    """The decoded body of a streamed answer, read a chunk at a time: by ``until``
    (:func:`time.monotonic`; else :class:`_DeadlineExceeded`) and at most ``limit`` bytes
    (else :class:`ResponseTooLarge`). The response is closed on any failure."""

    def too_large(size: str) -> ResponseTooLarge:
        enc = resp.headers.get("Content-Encoding")
        return ResponseTooLarge(
            status=resp.status_code, job_id=job_id, request_id=resp.headers.get("X-Request-Id"),
            error_msg=f"answer {size} is over the {limit:,}-byte limit"
            + (f" (Content-Encoding {enc[:20]!r})" if enc else "") + ": refused, not retried",
        )  # fmt: skip

    try:
        declared = (resp.headers.get("Content-Length") or "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise too_large(f"of {int(declared):,} bytes (Content-Length)")
        sock = _socket_of(resp)
        body = bytearray()
        while True:
            left = until - time.monotonic()
            if left <= 0:
                raise _DeadlineExceeded("the answer did not complete within the deadline")
            if sock is not None:  # no single read may outlast the deadline either
                with contextlib.suppress(OSError):
                    sock.settimeout(min(read_timeout or left, left))
            try:  # read1: what has arrived (read() would wait for a whole chunk)
                chunk = resp.raw.read1(_CHUNK, decode_content=True)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if time.monotonic() >= until:
                    raise _DeadlineExceeded(
                        "the answer did not complete within the deadline"
                    ) from exc
                raise _as_requests_error(exc) from exc
            if not chunk:
                if sock is not None:  # the connection goes back with its own read timeout
                    with contextlib.suppress(OSError):
                        sock.settimeout(read_timeout)
                resp.raw.release_conn()  # read to the end: the connection can be reused
                return bytes(body)
            body += chunk
            if len(body) > limit:
                raise too_large("of more than that once decoded")
    except BaseException:
        resp.close()  # a half-read answer: the connection is dropped, not reused
        raise

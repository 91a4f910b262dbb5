"""HTTP client of the task-center API: endpoint, session, pacing, retries, error mapping.

Retries live here rather than in a urllib3 ``Retry`` on the adapter because every
retry is a call that costs quota: it must pass through the same token bucket.
Errors are mapped in one place, :data:`ERROR_MAP` (HTTP status and ``error_code`` to
exception class); a transport failure becomes :class:`TransportError` with the
underlying exception kept as its cause. Which transport failures never reached the
server (refused, DNS, TLS) is decided in one place too, :func:`connect_failure_reason`:
those are not API calls, and a run of them opens the client's circuit (a dead endpoint
fails fast instead of being retried for every job).

Examples
--------
>>> from rds_job_analytics import JobsClient, TokenAuth
>>> c = JobsClient("0" * 32, region="ap-southeast-1", auth=TokenAuth("t"))
>>> c.endpoint
'https://rds.ap-southeast-1.myhuaweicloud.com'
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson
import requests

from .._validate import check_project_id, check_rate
from ..exceptions import (
    ApiError,
    ConfigError,
    Interrupted,
    RdsJobError,
    ServerError,
    TransportError,
    parse_error_body,  # re-exported: its home is exceptions.py
    without_secrets,
)
from ..normalize.schema import JOB_ID_MAX_LENGTH, clean_job_id, strip_job_id, to_epoch_ms
from ..quota import PacedBucket, TokenBucket
from ._auth import Auth, AuthContext, auth_from_env, check_endpoint
from ._circuit import CircuitBreaker
from ._errors import (
    _location_host,
    _retry_after,
    _tls_verify_failure,
    connect_failure_reason,
    error_class,
)
from ._transport import _attempt, _DeadlineAdapter, _DeadlineExceeded, _read_body
from .regions import endpoint_for, region_of

__all__ = [
    "API_QUOTA",
    "DEFAULT_CALL_DEADLINE",
    "DEFAULT_DEADLINE",
    "DEFAULT_RATE_LIMIT",
    "MAX_BODY_BYTES",
    "MAX_JOB_ID_LENGTH",
    "MAX_TASK_PAGES",
    "TASK_PAGE_MARGIN",
    "JobsClient",
    "clean_job_id",
    "parse_error_body",
]

log = logging.getLogger("rds_job_analytics")

_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: The API's documented quota, calls a second per user (60 a minute).
API_QUOTA = 1.0

#: Calls a second when nothing else is said: a little under :data:`API_QUOTA` (0.9x,
#: 54 a minute), so network jitter never puts 61 calls in one minute of the server's
#: sliding window.
DEFAULT_RATE_LIMIT = 0.9 * API_QUOTA

#: Seconds one attempt may take in all: connecting, the answer and its whole body. The
#: read timeout restarts with every byte; this does not (a server trickling a byte at a
#: time is cut off here, and the attempt is retried as a timeout).
DEFAULT_DEADLINE = 30.0

#: Seconds the attempts of one request may take together (retries included; the waits
#: between them and for the quota are not): then the request fails with the last error.
DEFAULT_CALL_DEADLINE = 60.0

#: Bytes an answer may hold once decoded (gzip included): a job is a few KB, a task-list
#: page of 50 tens of KB. A larger one is refused while it streams
#: (:class:`~rds_job_analytics.exceptions.ResponseTooLarge`, not retried, nothing kept).
MAX_BODY_BYTES = 8 * 1024 * 1024

#: Task-list pages asked for beyond what ``total_count`` accounts for (the list may grow
#: while it is read; the final empty page is one of them): a list still going after
#: ``ceil(total_count / limit) + TASK_PAGE_MARGIN`` pages is stopped with an error.
TASK_PAGE_MARGIN = 2

#: Task-list pages of one listing when no page gives a usable ``total_count``
#: (100,000 tasks at 50 a page, ~37 minutes at the default rate).
MAX_TASK_PAGES = 2000

#: :data:`~rds_job_analytics.normalize.schema.JOB_ID_MAX_LENGTH` (its home), under the name this module has exported.
MAX_JOB_ID_LENGTH = JOB_ID_MAX_LENGTH


def _endpoint(region: str | None, endpoint: str | None, allow_http: bool) -> str:
    if endpoint:
        base = endpoint
    elif region:
        base = endpoint_for(region)
    else:
        raise ConfigError("JobsClient needs region=... or endpoint=...")
    return check_endpoint(base, name="endpoint", allow_http=allow_http)


@dataclass
class _Attempts:
    """Where one request stands: its attempt number (retries so far), the seconds on the
    wire (the call deadline's measure) and whether its token was refreshed (once)."""

    attempt: int = 0
    spent: float = 0.0
    refreshed: bool = False


def _wait(event: threading.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``event`` is set first (then True at once); tests replace it."""
    return event.wait(seconds)


def _task_id(task: object) -> str:
    """A task's job ID as the archive keys it (whitespace removed), or ``""`` when it
    has none usable: missing, empty, or neither a string nor an integer."""
    got = task.get("id") if isinstance(task, dict) else None
    if isinstance(got, bool) or not isinstance(got, str | int):
        return ""
    return strip_job_id(str(got))


class JobsClient(CircuitBreaker):
    """Client of the RDS task-center API.

    Parameters
    ----------
    project_id : str
        The project of the region (never discovered silently).
    region : str, optional
        e.g. ``"ap-southeast-1"``; gives ``https://rds.{region}.myhuaweicloud.com``.
    endpoint : str, optional
        A full base URL instead (other clouds, proxies, the local emulator).
    auth : Auth, optional
        :class:`TokenAuth`, :class:`PasswordAuth` or :class:`AkSkAuth`; default from
        the environment (:func:`auth_from_env`).
    session : requests.Session, optional
        Your session (proxies, CA bundle); it is not closed by :meth:`close`.
    rate_limit : float
        Requests per second for all workers together (default :data:`DEFAULT_RATE_LIMIT`,
        0.9 = a little under the API's 60/min).
    burst : int
        Requests allowed back to back after idling.
    bucket : PacedBucket, optional
        The pacing every attempt waits for (a bucket shared by several clients, the
        machine's or the database's: :func:`~rds_job_analytics.quota.bucket_for`);
        default a :class:`~rds_job_analytics.quota.TokenBucket` of ``rate_limit`` and
        ``burst`` for this client alone.
    max_workers : int
        Threads used by :func:`fetch_jobs`.
    timeout : (float, float)
        Connect and read timeouts in seconds (the read timeout restarts with every byte).
    deadline : float
        Seconds one attempt may take in all, its body included (:data:`DEFAULT_DEADLINE`).
    call_deadline : float
        Seconds the attempts of one request may take together, retries included, the
        waits between them not (:data:`DEFAULT_CALL_DEADLINE`).
    max_body : int
        Bytes an answer may hold once decoded (:data:`MAX_BODY_BYTES`); a larger one is
        :class:`~rds_job_analytics.exceptions.ResponseTooLarge`.
    max_retries : int
        Retries on 429/5xx/connection errors/timeouts/unreadable bodies.
    backoff, max_backoff : float
        Exponential backoff base and cap (full jitter), seconds.
    retry_after_cap : float
        Longest ``Retry-After`` honoured, seconds.
    allow_http : bool
        Allow plain ``http://`` to a non-loopback host.
    language : str, optional
        Sent as ``X-Language`` (``en-us``, ``zh-cn``).
    circuit_threshold : int or None
        After this many connection failures in a row across all workers (refused, DNS,
        TLS: :func:`connect_failure_reason`), the endpoint is taken as down: requests
        fail at once with a :class:`TransportError` naming the reason, without a call,
        for ``circuit_cooldown`` seconds. Any HTTP answer ends the run. Timeouts and 5xx
        do not count (they keep the retry policy). None: never.
    circuit_cooldown : float
        Seconds the circuit stays open; then requests may try again (the next
        connection failure reopens it at once).

    Attributes
    ----------
    calls : int
        HTTP requests that reached the server, retries included (each cost quota).
    connect_failures : int
        Attempts that never reached the server (not in :attr:`calls`).
    custom_endpoint : bool
        Whether ``endpoint`` was given rather than derived from ``region`` (then
        :class:`PasswordAuth` needs an ``iam_endpoint`` unless the endpoint is loopback).
    circuit_reason : str or None
        Why the circuit is open (e.g. ``"connection refused by 127.0.0.1:8080"``),
        or None while requests are sent.

    Examples
    --------
    >>> from rds_job_analytics import TokenAuth
    >>> c = JobsClient("p" * 32, endpoint="http://127.0.0.1:8080", auth=TokenAuth("t"))
    >>> c
    JobsClient(project_id='pppppppppppppppppppppppppppppppp', endpoint='http://127.0.0.1:8080', auth=TokenAuth(token=***))
    """

    def __init__(
        self,
        project_id: str,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        auth: Auth | None = None,
        session: requests.Session | None = None,
        rate_limit: float = DEFAULT_RATE_LIMIT,
        burst: int = 1,
        bucket: PacedBucket | None = None,
        max_workers: int = 4,
        timeout: tuple[float, float] = (5.0, 30.0),
        deadline: float = DEFAULT_DEADLINE,
        call_deadline: float = DEFAULT_CALL_DEADLINE,
        max_body: int = MAX_BODY_BYTES,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        retry_after_cap: float = 120.0,
        allow_http: bool = False,
        language: str | None = None,
        circuit_threshold: int | None = 3,
        circuit_cooldown: float = 30.0,
    ) -> None:
        check_project_id(project_id)  # it goes into every URL path: nothing else passes
        check_rate(rate_limit)
        for name, value in (("deadline", deadline), ("call_deadline", call_deadline)):
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(f"{name} must be a finite number > 0 seconds, not {value!r}")
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
            raise ConfigError(f"max_body must be a number of bytes >= 1, not {max_body!r}")
        if max_workers < 1:
            raise ConfigError(f"max_workers must be >= 1, not {max_workers!r}")
        if circuit_threshold is not None and circuit_threshold < 1:
            raise ConfigError(
                f"circuit_threshold must be >= 1 (or None: never), not {circuit_threshold!r}"
            )
        self.project_id = project_id
        self.endpoint = _endpoint(region, endpoint, allow_http)
        self.allow_http = allow_http
        self.region = region or region_of(self.endpoint)
        self.custom_endpoint = bool(endpoint)  # given, not derived from the region
        self.auth = auth if auth is not None else auth_from_env()
        self._own_session = session is None
        if session is None:
            session = requests.Session()
            adapter = _DeadlineAdapter(pool_connections=4, pool_maxsize=max(32, max_workers * 2))
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.bucket: PacedBucket = bucket if bucket is not None else TokenBucket(rate_limit, burst)
        self.max_workers = max_workers
        self.timeout = timeout
        self.deadline = float(deadline)
        self.call_deadline = float(call_deadline)
        self.max_body = max_body
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.retry_after_cap = retry_after_cap
        self.language = language
        self.circuit_threshold = circuit_threshold
        self.circuit_cooldown = circuit_cooldown
        self.calls = 0  # HTTP requests that reached the server (retries included)
        self.connect_failures = 0  # attempts that never did (not calls)
        self._failure_run = 0  # connection failures in a row, across workers
        self._circuit: tuple[str, float] | None = None  # (reason, opened at)
        self._calls_lock = threading.Lock()
        self._interrupt = threading.Event()  # set: no request goes out, waits end at once
        self.auth.check(self.auth_context)  # e.g. no IAM host to send a password to

    def __repr__(self) -> str:
        return (
            f"JobsClient(project_id={self.project_id!r}, endpoint={self.endpoint!r}, "
            f"auth={self.auth!r})"
        )

    @property
    def auth_context(self) -> AuthContext:
        """What :attr:`auth` sees of this client: project, region, endpoint, session, timeout.

        Examples
        --------
        >>> from rds_job_analytics import TokenAuth
        >>> JobsClient("p" * 32, region="ap-southeast-1", auth=TokenAuth("t")).auth_context
        AuthContext(project_id='pppppppppppppppppppppppppppppppp', region='ap-southeast-1', timeout=(5.0, 30.0), endpoint='https://rds.ap-southeast-1.myhuaweicloud.com', custom_endpoint=False, allow_http=False)
        """
        return AuthContext(
            self.project_id, self.region, self.session, self.timeout,
            endpoint=self.endpoint, custom_endpoint=self.custom_endpoint,
            allow_http=self.allow_http,
        )  # fmt: skip

    # -- interruption ----------------------------------------------------------------
    def interrupt(self) -> None:
        """Stop every request of this client at once, from any thread (Ctrl-C).

        Requests not yet sent raise :class:`~rds_job_analytics.exceptions.Interrupted`
        without a call; workers waiting for the quota, a backoff or a ``Retry-After``
        wake now and raise it too; a request already on the wire finishes. Lasts until
        :meth:`resume` (:func:`~rds_job_analytics.fetch_jobs` resumes once its
        workers have stopped).

        Examples
        --------
        >>> from rds_job_analytics import TokenAuth
        >>> c = JobsClient("p" * 32, region="ap-southeast-1", auth=TokenAuth("t"))
        >>> c.interrupt(); c.get_job("j1")
        Traceback (most recent call last):
        ...
        rds_job_analytics.exceptions.Interrupted: interrupted: job j1 not asked for
        >>> c.resume(); c.interrupted
        False
        """
        self._interrupt.set()

    def resume(self) -> None:
        """Undo :meth:`interrupt`: requests go out again.

        Examples
        --------
        >>> from rds_job_analytics import TokenAuth
        >>> c = JobsClient("p" * 32, region="ap-southeast-1", auth=TokenAuth("t"))
        >>> c.resume(); c.interrupted
        False
        """
        self._interrupt.clear()

    @property
    def interrupted(self) -> bool:
        """Whether :meth:`interrupt` is in force."""
        return self._interrupt.is_set()

    def _raise_if_interrupted(self, job_id: str | None) -> None:
        if self._interrupt.is_set():
            what = f"job {job_id}" if job_id else "the request"
            raise Interrupted(f"interrupted: {what} not asked for", job_id=job_id)

    def close(self) -> None:
        """Close the session if this client created it (a caller's session stays open).

        Examples
        --------
        >>> import requests
        >>> from rds_job_analytics import TokenAuth
        >>> mine = requests.Session()
        >>> with JobsClient("p" * 32, region="ap-southeast-1", auth=TokenAuth("t"),
        ...                 session=mine) as c:
        ...     pass                                    # c.close() leaves `mine` open
        >>> c.session is mine
        True
        """
        if self._own_session:
            self.session.close()

    def __enter__(self) -> JobsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -----------------------------------------------------------------
    def _sleep_backoff(self, attempt: int, retry_after: float | None, job_id: str | None) -> None:
        if retry_after is not None:
            delay = retry_after
        else:
            delay = random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))
        if _wait(self._interrupt, delay):  # woken by interrupt(): the retry is not sent
            what = f"job {job_id}" if job_id else "the request"
            raise Interrupted(
                f"interrupted while waiting {delay:.3g} s to retry {what}", job_id=job_id
            )

    def request(
        self, path: str, params: list[tuple[str, str]], *, job_id: str | None = None
    ) -> dict[str, Any]:
        """GET ``{endpoint}/v3/{project_id}{path}`` with pacing, retries and error mapping.

        Every attempt, retries included, first takes a token from :attr:`bucket` and
        counts in :attr:`calls` (unless it never reached the server: then in
        :attr:`connect_failures`). 429/5xx, connection errors, timeouts and unreadable
        bodies are retried up to ``max_retries`` times (``Retry-After`` honoured, else
        exponential backoff with full jitter); a 401 asks :attr:`auth` to refresh once.
        Each attempt must complete, body included, within :attr:`deadline` seconds, and
        the attempts together within :attr:`call_deadline` (the waits between them
        excluded); the body is streamed and refused past :attr:`max_body` bytes once
        decoded (:class:`ResponseTooLarge`, not retried).
        After ``circuit_threshold`` connection failures in a row (refused, DNS, TLS),
        requests fail at once, without a call, until ``circuit_cooldown`` has passed.

        Parameters
        ----------
        path : str
            Path after the project, e.g. ``"/jobs"``.
        params : list of (str, str)
            Query parameters.
        job_id : str, optional
            The job the call is about (reported in errors; a 404 then means
            :class:`JobNotFound`).

        Returns
        -------
        dict
            The decoded JSON body.

        Raises
        ------
        ApiError
            The subclass :data:`ERROR_MAP` gives for the final answer.
        ResponseTooLarge
            The answer is over :attr:`max_body` bytes once decoded (a gzip bomb).
        TransportError
            No complete HTTP answer after all retries or by the call deadline (the last
            exception is its cause), or the
            circuit is open (``reason`` says why, e.g. ``"connection refused by
            127.0.0.1:8080"``).

        Examples
        --------
        >>> from rds_job_analytics.emulator import Emulator
        >>> with Emulator([]) as emu, emu.client() as client:
        ...     body = client.request("/tasklist", [("limit", "10")])
        ...     calls = client.calls
        >>> body["total_count"], calls
        (0, 1)
        """
        url = f"{self.endpoint}/v3/{self.project_id}{path}"
        context = self.auth_context
        state = _Attempts()
        while True:
            self._pace(job_id)
            headers = self._headers(url, params, context)
            sent = self._send(url, params, headers, state, job_id, path)
            if sent is None:  # a transport error, retried after a backoff
                continue
            body = self._answer(*sent, state, context, job_id, path)
            if body is not None:
                return body

    def _pace(self, job_id: str | None) -> None:
        """Wait for the bucket: every attempt costs quota (nothing is sent when the client
        is interrupted or the endpoint is down, before or after the wait)."""
        self._raise_if_interrupted(job_id)
        self._raise_if_open(job_id)  # a dead endpoint: fail at once, spend nothing
        self.bucket.acquire(stop=self._interrupt)
        self._raise_if_interrupted(job_id)  # Ctrl-C while we waited: nothing sent
        self._raise_if_open(job_id)  # it may have been found dead while we waited

    def _headers(
        self, url: str, params: list[tuple[str, str]], context: AuthContext
    ) -> dict[str, str]:
        """The attempt's headers, credentials included (an IAM host that does not answer
        counts as a connection failure: it is the same dead network, often)."""
        headers = {"Content-Type": "application/json"}
        if self.language:
            headers["X-Language"] = self.language
        try:
            headers.update(self.auth.headers("GET", url, params, None, context=context))
        except RdsJobError as exc:  # e.g. IAM (the same dead host) refused the connection
            cause = exc.__cause__
            reason = connect_failure_reason(cause) if cause is not None else None
            if reason is not None:
                self._connect_failed(reason)
            raise
        return headers

    def _send(
        self,
        url: str,
        params: list[tuple[str, str]],
        headers: dict[str, str],
        state: _Attempts,
        job_id: str | None,
        path: str,
    ) -> tuple[requests.Response, bytes] | None:
        """One attempt on the wire: the answer and its body, read by the deadline and
        bounded; None when a transport error is retried (after its backoff)."""
        with self._calls_lock:
            self.calls += 1
        began = time.monotonic()
        budget = min(self.deadline, self.call_deadline - state.spent)
        until = began + budget
        read_timeout = self.timeout[1] if isinstance(self.timeout, tuple) else self.timeout
        _attempt.until = until  # the headers' deadline (the client's own session)
        try:
            resp = self.session.get(
                url + ("?" + urlencode(params) if params else ""),
                headers=headers,
                timeout=(self.timeout[0], min(read_timeout or budget, budget))
                if isinstance(self.timeout, tuple)
                else min(self.timeout or budget, budget),
                allow_redirects=False,  # the API never redirects; credentials stay here
                stream=True,  # the body is read below: bounded in time and in size
            )
            self._reached()  # an HTTP answer: the endpoint is up
            if 300 <= resp.status_code < 400:
                resp.close()  # never followed, never read
                content = b""
            else:
                content = _read_body(resp, until, read_timeout, self.max_body, job_id)
        except _TRANSIENT as exc:
            state.spent += time.monotonic() - began
            cut = isinstance(exc, _DeadlineExceeded) or time.monotonic() >= until
            log.debug("GET %s: %s (attempt %d)", path, type(exc).__name__, state.attempt)
            self._transport_error(exc, state, cut, job_id)
            return None
        except requests.RequestException as exc:  # not worth a retry (bad header, URL...)
            raise TransportError(
                f"{type(exc).__name__} talking to {self.endpoint}", job_id=job_id
            ) from without_secrets(exc)
        finally:
            _attempt.until = None  # IAM calls on the same session have their own timeouts
        state.spent += time.monotonic() - began
        return resp, content

    def _transport_error(
        self, exc: BaseException, state: _Attempts, cut: bool, job_id: str | None
    ) -> None:
        """A transport failure of one attempt: raise when it is final (the circuit opens,
        a certificate fails, no retry or time is left), else back off for the retry."""
        reason = connect_failure_reason(exc, self.endpoint)
        out_of_time = state.spent >= self.call_deadline
        attempts = state.attempt + 1
        if reason is not None:
            with self._calls_lock:
                self.calls -= 1  # it never reached the server: no call, no quota
            if self._connect_failed(reason):
                raise self._circuit_error(reason, job_id) from without_secrets(exc)
            if _tls_verify_failure(exc):  # a certificate that fails will not heal
                raise TransportError(
                    f"{reason}: not retried", job_id=job_id, reason=reason
                ) from without_secrets(exc)
            if state.attempt >= self.max_retries or out_of_time:
                raise TransportError(
                    f"{reason} after {attempts} attempts", job_id=job_id, reason=reason
                ) from without_secrets(exc)
        elif state.attempt >= self.max_retries or out_of_time:
            what = (
                f"no complete answer from {self.endpoint} within the {self.deadline:g} s deadline"
                if cut
                else f"{type(exc).__name__} talking to {self.endpoint}"
            )
            limit = (
                f", {state.spent:.3g} s of the {self.call_deadline:g} s call deadline"
                if out_of_time
                else ""
            )
            raise TransportError(
                f"{what} after {attempts} attempts{limit}", job_id=job_id
            ) from without_secrets(exc)
        self._retry(state, None, job_id)

    def _retry(self, state: _Attempts, retry_after: float | None, job_id: str | None) -> None:
        """Back off (``Retry-After``, else the jittered backoff), then count the attempt."""
        self._sleep_backoff(state.attempt, retry_after, job_id)
        state.attempt += 1

    def _answer(
        self,
        resp: requests.Response,
        content: bytes,
        state: _Attempts,
        context: AuthContext,
        job_id: str | None,
        path: str,
    ) -> dict[str, Any] | None:
        """What an HTTP answer means: the decoded body, an error raised from
        :data:`ERROR_MAP`, or None for a retry (after its backoff, or a refreshed token)."""
        last_try = state.attempt >= self.max_retries or state.spent >= self.call_deadline
        resp._content = content  # read once, bounded: what parse_error_body reads
        resp._content_consumed = True
        status = resp.status_code
        log.debug("GET %s -> %d (attempt %d)", path, status, state.attempt)
        if 300 <= status < 400:  # never followed: the token would go along
            raise ApiError(
                status=status,
                error_msg=f"the API redirected to {_location_host(resp)!r}; redirects "
                "are not followed (credentials go only to the endpoint)",
                request_id=resp.headers.get("X-Request-Id"),
                job_id=job_id,
            )
        if status == 200:
            problem: Exception | None = None
            try:
                body = orjson.loads(content)
            except orjson.JSONDecodeError as exc:
                body, problem = None, exc
            if isinstance(body, dict):
                return body
            if last_try:
                raise ServerError(
                    status=status, error_msg="unreadable response body", job_id=job_id,
                    request_id=resp.headers.get("X-Request-Id"),
                ) from problem  # fmt: skip
            self._retry(state, None, job_id)
            return None
        if status == 401 and not state.refreshed and self.auth.refresh(context):
            state.refreshed = True
            return None
        retry_after = _retry_after(resp.headers.get("Retry-After"), self.retry_after_cap)
        if status in RETRY_STATUSES and not last_try:
            self._retry(state, retry_after, job_id)
            return None
        code, msg, rid = parse_error_body(resp)
        cls = error_class(status, code, job_id=job_id)
        raise cls(
            status=status, error_code=code, error_msg=msg, request_id=rid, job_id=job_id,
            retry_after=retry_after,
        )  # fmt: skip

    # -- API -------------------------------------------------------------------------
    def get_job(self, job_id: str) -> dict[str, Any]:
        """The raw ``{"job": {...}}`` response for one job.

        Parameters
        ----------
        job_id : str
            UUID or 32-hex ID; whitespace is removed
            (:func:`~rds_job_analytics.normalize.schema.strip_job_id`).

        Returns
        -------
        dict
            The response as sent, ``{"job": {...}}``.

        Raises
        ------
        JobNotFound
            Unknown, expired (older than ~30 days) or deleted job.
        ConfigError
            An ID longer than :data:`MAX_JOB_ID_LENGTH` (no call is made).
        ServerError
            The answer is about another job (its ``id`` differs): it is not returned,
            so it is never stored under the ID asked for.

        Examples
        --------
        >>> from rds_job_analytics.emulator import Emulator
        >>> jid = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"
        >>> job = {"job": {"id": jid, "name": "RestartMysqlInstance", "status": "Completed",
        ...                "created": "2026-11-01T08:00:00+0800"}}
        >>> with Emulator([job], retention_days=None) as emu, emu.client() as client:
        ...     body = client.get_job(" 31b8ae23 - c687-4d80-b7b4-42a66c9bb886")
        ...     client.get_job("00000000-dead-beef-0000-000000000000")
        Traceback (most recent call last):
        ...
        rds_job_analytics.exceptions.JobNotFound: HTTP 400: DBS.200543: ...
        >>> body["job"]["status"]
        'Completed'
        """
        jid = clean_job_id(job_id)
        if len(jid) > MAX_JOB_ID_LENGTH:
            raise ConfigError(
                f"job id of {len(jid)} characters starting {jid[:12]!r} is too long "
                f"(a job ID has at most {MAX_JOB_ID_LENGTH})"
            )
        body = self.request("/jobs", [("id", jid)], job_id=jid)
        job = body.get("job")
        if not isinstance(job, dict):
            raise ServerError(status=200, error_msg="response has no 'job' object", job_id=jid)
        got = job.get("id")
        if isinstance(got, str | int) and not isinstance(got, bool):
            other = strip_job_id(str(got))
            if other and other.lower() != jid.lower():  # hex case is the same job
                shown = other if len(other) <= 2 * MAX_JOB_ID_LENGTH else other[:36] + "..."
                raise ServerError(
                    status=200,
                    error_msg=f"asked for job {jid}, the answer is job {shown}: refused",
                    job_id=jid,
                    request_id=None,
                )
        return body

    def list_tasks(
        self,
        start: datetime | str | float | None = None,
        end: datetime | str | float | None = None,
        *,
        limit: int = 50,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Iterate the instant-task list (``/tasklist``) in a time window.

        Pages with ``offset += limit`` until an empty page (``total_count`` is not
        trusted). A list that would page forever ends with an
        :class:`~rds_job_analytics.ApiError` naming why: a page holding only jobs
        already listed (a server that ignores ``offset``), a page with no usable job ID
        (IDs missing, empty or not a string or integer), or more pages than the largest
        ``total_count`` seen accounts for, plus :data:`TASK_PAGE_MARGIN` (without a
        usable ``total_count``: :data:`MAX_TASK_PAGES`).

        Parameters
        ----------
        start, end : datetime, str or float, optional
            Window on the creation time: datetimes (naive = UTC), ISO strings or epoch
            ms; both or neither.
        limit : int
            Page size, 1..50.
        **filters
            ``instance_id``, ``name``, ``status``, ``order_id``, ``id``.

        Yields
        ------
        dict
            One task record (``id``, ``name``, ``status``, ``create_time``...).

        Examples
        --------
        >>> from rds_job_analytics.emulator import Emulator
        >>> jobs = [{"job": {"id": f"j{i}", "name": "RestartMysqlInstance", "status": "Completed",
        ...                  "created": f"2026-10-0{i}T08:00:00+0000"}} for i in range(1, 4)]
        >>> with Emulator(jobs, retention_days=None) as emu, emu.client() as client:
        ...     ids = [t["id"] for t in client.list_tasks("2026-10-02", "2026-11-01", limit=1)]
        ...     calls = client.calls
        >>> ids, calls
        (['j3', 'j2'], 3)
        """
        yield from (t for page in self.list_task_pages(start, end, limit=limit, **filters)
                    for t in page)  # fmt: skip

    def _task_query(
        self, start: Any, end: Any, limit: int, filters: dict[str, Any]
    ) -> list[tuple[str, str]]:
        """The task list's query parameters, validated (before any call is spent)."""
        if (start is None) != (end is None):
            raise ConfigError("list_tasks needs both start and end, or neither")
        if not 1 <= limit <= 50:
            raise ConfigError(f"limit must be 1..50, not {limit!r}")
        allowed = {"instance_id", "name", "status", "order_id", "id"}
        unknown = set(filters) - allowed
        if unknown:
            raise ConfigError(
                f"unknown list_tasks filter(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
            )
        base = [(k, str(v)) for k, v in filters.items() if v is not None]
        if start is not None:
            base += [("start_time", str(to_epoch_ms(start))), ("end_time", str(to_epoch_ms(end)))]
        return base

    def list_task_pages(
        self,
        start: datetime | str | float | None = None,
        end: datetime | str | float | None = None,
        *,
        limit: int = 50,
        **filters: Any,
    ) -> Iterator[list[dict[str, Any]]]:
        """:meth:`list_tasks` a page at a time (one API call each), for callers that commit
        what they have after every call.

        Examples
        --------
        >>> from rds_job_analytics.emulator import Emulator
        >>> jobs = [{"job": {"id": f"j{i}", "status": "Completed",
        ...                  "created": f"2026-10-0{i}T08:00:00+0000"}} for i in range(1, 4)]
        >>> with Emulator(jobs, retention_days=None) as emu, emu.client() as client:
        ...     sizes = [len(p) for p in client.list_task_pages(limit=2)]
        >>> sizes
        [2, 1]
        """
        return self._task_pages(self._task_query(start, end, limit, filters), limit)

    def _task_pages(
        self, base: list[tuple[str, str]], limit: int
    ) -> Iterator[list[dict[str, Any]]]:
        offset = 0
        seen: set[str] = set()
        total: int | None = None  # the largest usable total_count seen
        page = 0
        while True:
            bound = (
                math.ceil(total / limit) + TASK_PAGE_MARGIN if total is not None
                else MAX_TASK_PAGES
            )  # fmt: skip
            if page >= bound:
                said = f"total_count {total}" if total is not None else "no usable total_count"
                raise ApiError(
                    status=200,
                    error_msg=f"task list stopped after {page} pages ({len(seen)} jobs "
                    f"listed): more than {said} accounts for (margin {TASK_PAGE_MARGIN} "
                    f"pages, at most {MAX_TASK_PAGES}): the server keeps sending pages",
                )
            body = self.request(
                "/tasklist", [*base, ("offset", str(offset)), ("limit", str(limit))]
            )
            tasks = body.get("tasks") or []
            if not isinstance(tasks, list):
                raise ServerError(status=200, error_msg="task list 'tasks' is not a list")
            count = body.get("total_count")
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                total = min(max(count, total or 0), MAX_TASK_PAGES * limit)
            if not tasks:
                return
            ids = [_task_id(t) for t in tasks]
            usable = [i for i in ids if i]
            if not usable:
                raise ApiError(
                    status=200,
                    error_msg=f"task list stopped: the page at offset {offset} holds "
                    f"{len(tasks)} tasks and no usable job ID (missing, empty or not a "
                    f"string or integer; {len(seen)} jobs listed so far)",
                )
            if all(i in seen for i in usable):
                raise ApiError(
                    status=200,
                    error_msg=f"task list stopped: the page at offset {offset} holds only "
                    f"jobs already listed ({len(seen)} so far, total_count "
                    f"{body.get('total_count')!r}): the server ignores offset",
                )
            seen.update(usable)
            yield tasks
            offset += limit
            page += 1

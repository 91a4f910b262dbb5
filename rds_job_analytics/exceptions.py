"""The package's exception tree: one root, :class:`RdsJobError`.

Every error the package raises on purpose derives from :class:`RdsJobError`; the
subclasses also inherit the matching builtin (``ValueError``, ``LookupError``,
``ConnectionError``...) so ``except ValueError`` keeps working for callers that
do not know this package.  Messages never include credentials. Every warning derives from
:class:`RdsJobWarning` (a ``UserWarning``). Every public exception and warning class lives
in this module (a module's private control-flow signals, caught where they are raised, stay
private to it); ``tests/test_exceptions.py`` checks this tree against the classes::

    RdsJobError
        ApiError
            AuthError (PermissionError)
            BadRequest (ValueError)
            JobNotFound (LookupError)
            RateLimited
            ResponseTooLarge
            ServerError
        ArchiveError
            ArchiveUnavailable (ConnectionError)
        CommandFailed
        ConfigError (ValueError)
            DatasetUnsafe
            SqlError
        DatasetDamaged (ValueError)
        FetchError
        InvalidRecordError (ValueError)
            RecordsRejected
        LeaseLost
        ProjectBusy
        TransportError (ConnectionError)
            Interrupted
                QuotaCancelled
    RdsJobWarning
        DatasetRepairedWarning
        FetchWarning
        InvalidRecordWarning
        QuotaWarning

Examples
--------
>>> from rds_job_analytics import RdsJobError, JobNotFound
>>> issubclass(JobNotFound, RdsJobError) and issubclass(JobNotFound, LookupError)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import orjson

if TYPE_CHECKING:
    import requests

__all__ = [
    "ApiError",
    "ArchiveError",
    "ArchiveUnavailable",
    "AuthError",
    "BadRequest",
    "CommandFailed",
    "ConfigError",
    "DatasetDamaged",
    "DatasetRepairedWarning",
    "DatasetUnsafe",
    "FetchError",
    "FetchWarning",
    "Interrupted",
    "InvalidRecordError",
    "InvalidRecordWarning",
    "JobNotFound",
    "LeaseLost",
    "ProjectBusy",
    "QuotaCancelled",
    "QuotaWarning",
    "RateLimited",
    "RdsJobError",
    "RdsJobWarning",
    "RecordsRejected",
    "ResponseTooLarge",
    "ServerError",
    "SqlError",
    "TransportError",
    "parse_error_body",
]


class RdsJobError(Exception):
    """Root of every error raised by ``rds_job_analytics``."""


class CommandFailed(RdsJobError):
    """A command of ``rds-jobs`` could not do its work and says why in its own words: it
    exits 2 with the message as it is (a file it cannot write, an archive it cannot open,
    a port it cannot serve on)."""


class ConfigError(RdsJobError, ValueError):
    """A bad argument or configuration value (names the culprit)."""


class InvalidRecordError(RdsJobError, ValueError):
    """A raw record that cannot be normalized.

    Attributes
    ----------
    position : int
        Zero-based position of the record in the input.
    reason : str
        Why it was rejected.
    """

    def __init__(self, position: int, reason: str) -> None:
        self.position = position
        self.reason = reason
        super().__init__(f"record {position}: {reason}")


class RecordsRejected(InvalidRecordError):
    """Some records of a batch were not archived; the others were (one transaction).

    Raised by :meth:`~rds_job_analytics.JobArchive.put_tasks` after committing the
    readable records of a task-list page.

    Attributes
    ----------
    rejected : tuple of (int, str or None, str)
        ``(position in the batch, the record's job ID as sent or None, why)`` each.
    stored : int
        Rows written for the readable records.

    Examples
    --------
    >>> exc = RecordsRejected([(1, "j2", "no 'id'")], stored=1)
    >>> str(exc), exc.position, exc.stored
    ("record 1: not archived: #1 (j2): no 'id'", 1, 1)
    """

    def __init__(self, rejected: list[tuple[int, str | None, str]], *, stored: int) -> None:
        self.rejected = tuple(rejected)
        self.stored = stored
        shown = "; ".join(
            f"#{pos}" + (f" ({jid})" if jid else "") + f": {why}" for pos, jid, why in rejected[:3]
        )
        more = f"; and {len(rejected) - 3} more" if len(rejected) > 3 else ""
        super().__init__(rejected[0][0] if rejected else -1, f"not archived: {shown}{more}")

    def __reduce__(self) -> tuple[Any, ...]:  # keep attributes through pickling
        return (_rebuild_rejected, (list(self.rejected), self.stored))


def _rebuild_rejected(rejected: list[tuple[int, str | None, str]], stored: int) -> RecordsRejected:
    return RecordsRejected(rejected, stored=stored)


class RdsJobWarning(UserWarning):
    """The root of every warning the package emits (a :class:`UserWarning`): filter them all
    with ``warnings.filterwarnings("ignore", category=RdsJobWarning)``."""


class InvalidRecordWarning(RdsJobWarning):
    """Emitted once per call when invalid records were skipped."""


class ApiError(RdsJobError):
    """The API answered with an error.

    Attributes
    ----------
    status : int or None
        HTTP status code.
    error_code, error_msg : str or None
        From the error body (any of the documented shapes).
    request_id : str or None
        ``X-Request-Id`` header or ``request_id`` body field.
    job_id : str or None
        The job asked for, when the call was about one job.
    retry_after : float or None
        Seconds the server asked to wait (``Retry-After``), when it said.

    Examples
    --------
    >>> e = ApiError(status=400, error_code="DBS.280001", error_msg="bad id", job_id="j1")
    >>> str(e)
    'HTTP 400: DBS.280001: bad id (job j1)'
    """

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_msg: str | None = None,
        request_id: str | None = None,
        job_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.job_id = job_id
        self.retry_after = retry_after
        if not message:
            parts = [f"HTTP {status}" if status is not None else "API error"]
            if error_code:
                parts.append(error_code)
            if error_msg:
                parts.append(error_msg)
            message = ": ".join(parts)
            if job_id:
                message += f" (job {job_id})"
            if request_id:
                message += f" [request {request_id}]"
        super().__init__(message)

    @classmethod
    def from_response(
        cls,
        resp: requests.Response,
        *,
        job_id: str | None = None,
        retry_after: float | None = None,
        default_msg: str | None = None,
    ) -> Self:
        """This error class built from an HTTP error answer (any documented body shape).

        Parameters
        ----------
        resp : requests.Response
            The answer; its body is read with :func:`parse_error_body`.
        job_id : str, optional
            The job the call was about.
        retry_after : float, optional
            Seconds to wait, when the caller has read ``Retry-After``.
        default_msg : str, optional
            ``error_msg`` when the body carries none.

        Examples
        --------
        >>> import requests
        >>> r = requests.Response(); r.status_code = 401
        >>> r._content = b'{"error_code": "IAM.0002", "error_msg": "wrong password"}'
        >>> e = AuthError.from_response(r)
        >>> e.status, e.error_code, str(e)
        (401, 'IAM.0002', 'HTTP 401: IAM.0002: wrong password')
        """
        code, msg, rid = parse_error_body(resp)
        return cls(
            status=resp.status_code, error_code=code, error_msg=msg or default_msg,
            request_id=rid, job_id=job_id, retry_after=retry_after,
        )  # fmt: skip

    def __reduce__(self) -> tuple[Any, ...]:  # keep attributes through pickling
        return (
            _rebuild,
            (
                type(self),
                str(self),
                {
                    "status": self.status,
                    "error_code": self.error_code,
                    "error_msg": self.error_msg,
                    "request_id": self.request_id,
                    "job_id": self.job_id,
                    "retry_after": self.retry_after,
                },
            ),
        )


def _rebuild(cls: type[ApiError], message: str, kwargs: dict[str, Any]) -> ApiError:
    return cls(message, **kwargs)


def parse_error_body(resp: requests.Response) -> tuple[str | None, str | None, str | None]:
    """``(error_code, error_msg, request_id)`` from any documented error shape, or from text.

    Shapes: ``{"error_code", "error_msg"}`` (gateway errors add ``request_id``),
    ``{"errCode", "externalMessage"}``, ``{"code", "message"}``, any of them nested one
    level (``{"itemNotFound": {...}}``), or a non-JSON body (an HTML page from a proxy:
    its first 200 characters become the message). The ``X-Request-Id`` header wins
    over the body's ``request_id``.

    Parameters
    ----------
    resp : requests.Response
        The error answer.

    Returns
    -------
    tuple of (str or None, str or None, str or None)

    Examples
    --------
    >>> import requests
    >>> r = requests.Response(); r._content = b'{"errCode": "X.1", "externalMessage": "m"}'
    >>> parse_error_body(r)
    ('X.1', 'm', None)
    >>> r = requests.Response(); r._content = b'{"itemNotFound": {"code": "DBS.200543"}}'
    >>> parse_error_body(r)
    ('DBS.200543', None, None)
    """
    rid = resp.headers.get("X-Request-Id") if resp.headers else None
    try:
        body = orjson.loads(resp.content or b"")
    except orjson.JSONDecodeError:
        text = (resp.text or "").strip()
        return None, (text[:200] or None), rid
    if not isinstance(body, dict):
        return None, str(body)[:200], rid
    if len(body) == 1:  # nested {"itemNotFound": {"code": ..., "message": ...}}
        (inner,) = body.values()
        if isinstance(inner, dict):
            body = inner
    code = body.get("error_code") or body.get("errCode") or body.get("code")
    msg = body.get("error_msg") or body.get("externalMessage") or body.get("message")
    rid = rid or body.get("request_id")
    return (str(code) if code is not None else None, str(msg) if msg is not None else None, rid)


class AuthError(ApiError, PermissionError):
    """Credentials were refused (401/403, ``APIGW.0301``, ``DBS.280056``) or are missing."""


class BadRequest(ApiError, ValueError):
    """The API rejected a parameter (400 other than a missing job)."""


class JobNotFound(ApiError, LookupError):
    """Unknown, expired (older than ~30 days) or deleted job: 400 ``DBS.200543`` or 404."""


class RateLimited(ApiError):
    """HTTP 429 (``APIGW.0308``) after all retries."""


class ServerError(ApiError):
    """HTTP 5xx after all retries, or a body that could not be read."""


class TransportError(RdsJobError, ConnectionError):
    """The request never got an HTTP answer (connection refused/reset, timeout, TLS).

    Attributes
    ----------
    job_id : str or None
        The job asked for, when the call was about one job.
    reason : str or None
        Why the server was never reached (``"connection refused by 127.0.0.1:8080"``,
        a DNS or TLS failure), when that is known; None for timeouts and resets.

    Examples
    --------
    >>> e = TransportError("connection refused by h:1 (down)", reason="connection refused by h:1")
    >>> e.reason, isinstance(e, ConnectionError)
    ('connection refused by h:1', True)
    >>> import pickle
    >>> pickle.loads(pickle.dumps(e)).reason
    'connection refused by h:1'
    """

    def __init__(
        self, message: str, *, job_id: str | None = None, reason: str | None = None
    ) -> None:
        self.job_id = job_id
        self.reason = reason
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:  # keep attributes through pickling
        return (_rebuild_transport, (str(self), self.job_id, self.reason))


class Interrupted(TransportError):
    """The client was interrupted (:meth:`JobsClient.interrupt`: Ctrl-C, or a batch
    stopped after an authentication failure): the request was not sent, or its retry
    wait was cut short.

    Examples
    --------
    >>> e = Interrupted("interrupted: not sent", job_id="j1")
    >>> isinstance(e, TransportError), e.reason is None
    (True, True)
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_interrupted, (str(self), self.job_id))


def _rebuild_interrupted(message: str, job_id: str | None) -> Interrupted:
    return Interrupted(message, job_id=job_id)


def _rebuild_transport(message: str, job_id: str | None, reason: str | None) -> TransportError:
    return TransportError(message, job_id=job_id, reason=reason)


class FetchError(RdsJobError):
    """A batch fetch with ``errors="raise"`` had failures.

    Attributes
    ----------
    frame : pandas.DataFrame
        Every requested ID, fetched or not (nothing already fetched is lost).
    failures : pandas.DataFrame
        The failed rows only (``job_id``, ``fetch_status``, ``fetch_error``).
    """

    def __init__(self, message: str, *, frame: Any, failures: Any) -> None:
        self.frame = frame
        self.failures = failures
        super().__init__(message)


class ProjectBusy(RdsJobError):
    """Another sync holds the project (see ``JobArchive.claim``): this one did no work.

    Attributes
    ----------
    project_id, holder, since : str
        The project, who holds it (``host (pid N)``) and since when (ISO time, UTC).
    stale_for : float or None
        Seconds since the holder last renewed its lease, when it missed two renewals in a
        row (a holder that died on another machine, or stopped): the lease runs out by
        itself at ``expires`` (ISO time, UTC). None while the holder renews.

    Examples
    --------
    >>> e = ProjectBusy("p", "db1 (pid 7)", "2026-11-01T03:15:00", stale_for=52.0,
    ...                 expires="2026-11-01T03:16:08")
    >>> print(e)  # doctest: +NORMALIZE_WHITESPACE
    project p is being synced by db1 (pid 7) since 2026-11-01T03:15:00; its lease was not
    renewed for 52 s (its holder looks dead): it runs out at 2026-11-01T03:16:08
    """

    def __init__(
        self,
        project_id: str,
        holder: str,
        since: str,
        *,
        stale_for: float | None = None,
        expires: str | None = None,
    ) -> None:
        self.project_id, self.holder, self.since = project_id, holder, since
        self.stale_for, self.expires = stale_for, expires
        text = f"project {project_id} is being synced by {holder} since {since}"
        if stale_for is not None:
            text += (f"; its lease was not renewed for {stale_for:.0f} s (its holder looks "
                     f"dead): it runs out at {expires}")  # fmt: skip
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_busy, (self.project_id, self.holder, self.since, self.stale_for,
                                self.expires))  # fmt: skip


def _rebuild_busy(
    project_id: str, holder: str, since: str, stale_for: float | None, expires: str | None
) -> ProjectBusy:
    return ProjectBusy(project_id, holder, since, stale_for=stale_for, expires=expires)


class LeaseLost(RdsJobError):
    """A sync lost its claim on its project while it ran (it stalled longer than the
    lease, and another sync claimed the project): it stopped asking the API for that
    project at once. What it committed stays; no sync window is recorded.

    Attributes
    ----------
    project_id : str
        The project.
    holder : str or None
        Who holds it now (``host (pid N)``), when known.

    Examples
    --------
    >>> print(LeaseLost("p", "db2 (pid 9)"))  # doctest: +NORMALIZE_WHITESPACE
    project p: this sync lost its lease (now held by db2 (pid 9)) and stopped; what it
    archived is kept, no window is recorded
    """

    def __init__(self, project_id: str, holder: str | None = None) -> None:
        self.project_id, self.holder = project_id, holder
        now = f" (now held by {holder})" if holder else ""
        super().__init__(f"project {project_id}: this sync lost its lease{now} and stopped; "
                         "what it archived is kept, no window is recorded")  # fmt: skip

    def __reduce__(self) -> tuple[Any, ...]:
        return (LeaseLost, (self.project_id, self.holder))


def without_secrets(exc: BaseException) -> BaseException:
    """The exception to keep as a cause, minus the request and response it carries (their
    headers and body hold the token, the signature or the IAM password); its type and
    message stay. Every exception it chains to (``__cause__``, ``__context__``, the
    ones in its ``args`` or urllib3's ``reason``) is cleaned too, so no suppressed
    context keeps a request either.

    Examples
    --------
    >>> import requests
    >>> err = requests.ConnectionError("refused", request=requests.Request("GET", "http://h"))
    >>> without_secrets(err).request is None
    True
    >>> inner = requests.HTTPError("x", request=requests.Request("GET", "http://h"))
    >>> outer = requests.ConnectionError(inner)
    >>> without_secrets(outer).args[0].request is None
    True
    """
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 64:
        e = todo.pop()
        if any(e is s for s in seen):
            continue
        seen.append(e)
        for attr in ("request", "response"):
            try:
                if getattr(e, attr, None) is not None:
                    setattr(e, attr, None)
            except AttributeError:  # a read-only attribute: nothing of ours to clean
                pass
        todo += [a for a in e.args if isinstance(a, BaseException)]
        for attr in ("__cause__", "__context__", "reason", "original_error"):
            inner = getattr(e, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)
    return exc


class DatasetUnsafe(ConfigError):
    """A dataset folder that reading or writing could escape: a symbolic link under it, or
    a manifest key that is not a partition of the layout (``../outside``). Nothing was
    read, written or deleted.

    Attributes
    ----------
    path : str
        The culprit: the link, or the manifest holding the key.

    Examples
    --------
    >>> e = DatasetUnsafe("'lake/account=a' is a symbolic link", path="lake/account=a")
    >>> e.path, isinstance(e, ConfigError)
    ('lake/account=a', True)
    """

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_dataset_error, (type(self), str(self), self.path, None))


class DatasetDamaged(RdsJobError, ValueError):
    """A dataset file that is not what its manifest lists: changed bytes (a bit flip, a
    rewrite by another tool), a foreign schema, a missing file, a folder in its place, or
    a partition file the manifest does not list (a copy). ``export_dataset`` repairs what
    it can prove it owns; this error names what it cannot, and every damaged file
    ``read_jobs`` meets.

    Attributes
    ----------
    path : str
        The damaged (or stray) file.
    reason : str
        What is wrong with it.

    Examples
    --------
    >>> e = DatasetDamaged("lake/x/part-0.parquet: bad", path="lake/x/part-0.parquet",
    ...                    reason="its SHA-256 differs from the manifest's")
    >>> e.reason, isinstance(e, ValueError)
    ("its SHA-256 differs from the manifest's", True)
    """

    def __init__(self, message: str, *, path: str, reason: str | None = None) -> None:
        self.path = path
        self.reason = reason
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_dataset_error, (type(self), str(self), self.path, self.reason))


def _rebuild_dataset_error(
    cls: type[Exception], message: str, path: str, reason: str | None
) -> Exception:
    if issubclass(cls, DatasetDamaged):
        return cls(message, path=path, reason=reason)
    return cls(message, path=path)


class DatasetRepairedWarning(RdsJobWarning):
    """``export_dataset`` found damaged partition files it owns and repaired them (each
    named, with what was wrong): rewritten from the source, or a stray copy deleted."""


class QuotaWarning(RdsJobWarning):
    """A shared quota state was repaired (e.g. far ahead of the clock after the clock
    stepped back): it was reset instead of stalling every call."""


class ResponseTooLarge(ApiError):
    """An answer larger than the client's limit once decoded (a gzip bomb, a server gone
    wrong): refused while streaming, never retried, nothing of it kept.

    Examples
    --------
    >>> e = ResponseTooLarge(status=200, error_msg="body over 8388608 bytes", job_id="j1")
    >>> isinstance(e, ApiError), str(e)
    (True, 'HTTP 200: body over 8388608 bytes (job j1)')
    """


class FetchWarning(RdsJobWarning):
    """Some IDs of a batch could not be fetched (they are in the frame with their reason)."""


class QuotaCancelled(Interrupted):
    """The bucket was cancelled (Ctrl-C): no more calls go out through it."""


class SqlError(ConfigError):
    """DuckDB refused or failed the query (its message, the cause kept)."""


class ArchiveError(RdsJobError):
    """The archive's database failed (a PostgreSQL error other than an outage, or a closed
    archive used). The message names the database, never its password."""


class ArchiveUnavailable(ArchiveError, ConnectionError):
    """The archive's database server is down, unreachable or refused the login: raised
    by :meth:`JobArchive.open` before any API call, or by a write mid-sync (what was
    committed before stays).

    Attributes
    ----------
    where : str
        The database as shown: ``postgresql://user:***@host:port/db``.

    Examples
    --------
    >>> issubclass(ArchiveUnavailable, RdsJobError) and issubclass(ArchiveUnavailable, OSError)
    True
    """

    def __init__(self, message: str, *, where: str = "") -> None:
        self.where = where
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:  # keep attributes through pickling
        return (_rebuild_unavailable, (str(self), self.where))


def _rebuild_unavailable(message: str, where: str) -> ArchiveUnavailable:
    return ArchiveUnavailable(message, where=where)

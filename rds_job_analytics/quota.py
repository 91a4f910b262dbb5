"""A quota bucket shared by every process on a machine: the API's quota is per user.

:class:`SharedTokenBucket` keeps the GCRA state of :class:`~rds_job_analytics.TokenBucket`
(the "theoretical arrival time" of the next call) in a small file, read and written
under an exclusive ``flock``: all of an account's projects, all threads and all
processes that name the same file pace together, so two cron runs at once do not
double the rate. :func:`bucket_path` names the file for a credential without putting
the credential in it.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as folder:
...     a = SharedTokenBucket(Path(folder) / "acct.gcra", rate=1000.0)
...     b = SharedTokenBucket(Path(folder) / "acct.gcra", rate=1000.0)  # another process
...     waits = [a.acquire(), b.acquire()]
>>> all(w >= 0 for w in waits)
True
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import struct
import tempfile
import threading
import time
from pathlib import Path

from ._validate import expand_path
from .exceptions import ConfigError, Interrupted

__all__ = [
    "QUOTA_FOLDER",
    "PacedBucket",
    "QuotaCancelled",
    "SharedTokenBucket",
    "auth_identity",
    "bucket_for",
    "bucket_path",
    "credential_identity",
    "identity_hash",
]


class QuotaCancelled(Interrupted):
    """The bucket was cancelled (Ctrl-C): no more calls go out through it."""


_STATE = struct.Struct("<d")  # the next call's theoretical arrival time, epoch seconds


class PacedBucket:
    """What every shared bucket has: the rate rule, GCRA's interval and burst tolerance,
    and a cancel switch (:meth:`cancel`) that wakes waiting workers. Subclasses keep the
    state somewhere shared and implement :meth:`acquire` with :meth:`_check` and
    :meth:`_sleep`.

    Examples
    --------
    >>> PacedBucket(rate=4.0, burst=2).interval, PacedBucket(rate=4.0, burst=2).tau
    (0.25, 0.25)
    """

    def __init__(self, rate: float = 1.0, burst: int = 1) -> None:
        if not (isinstance(rate, int | float) and math.isfinite(rate) and rate > 0):
            raise ConfigError(f"rate_limit must be a finite number > 0 requests/s, not {rate!r}")
        if burst < 1:
            raise ConfigError(f"burst must be >= 1, not {burst!r}")
        self.interval = 1.0 / rate
        self.tau = (burst - 1) * self.interval
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Refuse every later :meth:`acquire` (and wake the waiting ones) with
        :class:`QuotaCancelled`: how a fleet sync stops its workers on Ctrl-C."""
        self._cancelled.set()

    def _check(self) -> None:
        if self._cancelled.is_set():
            raise QuotaCancelled("interrupted: no more calls", reason="interrupted")

    def _sleep(self, wait: float) -> float:
        """Wait ``wait`` seconds (if positive) unless cancelled; returns the wait."""
        if wait <= 0:
            return 0.0
        if self._cancelled.wait(wait):
            raise QuotaCancelled("interrupted: no more calls", reason="interrupted")
        return wait

    def acquire(self) -> float:  # pragma: no cover - the subclasses'
        """Block until a request may go; returns the seconds waited."""
        raise NotImplementedError


def identity_hash(identity: str) -> str:
    """The one spelling of a credential in any shared state: a hash, never the secret."""
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:20]


class SharedTokenBucket(PacedBucket):
    """GCRA pacing whose state lives in a file shared by threads and processes.

    Parameters
    ----------
    path : str or Path
        The state file (created with its folder); every bucket naming it paces together.
    rate : float
        Requests per second for all of them together (the API allows 1.0 = 60/min).
    burst : int
        Requests allowed back to back after an idle period.

    Examples
    --------
    >>> SharedTokenBucket("/tmp/never-made.gcra", rate=float("nan"))
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: rate_limit must be a finite number > 0 requests/s, not nan
    """

    def __init__(self, path: str | Path, rate: float = 1.0, burst: int = 1) -> None:
        super().__init__(rate, burst)
        self.path = expand_path(Path(path))
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"SharedTokenBucket({str(self.path)!r}, rate={1 / self.interval:g})"

    def acquire(self) -> float:
        """Block until a request may go; returns the seconds waited.

        Raises
        ------
        QuotaCancelled
            After :meth:`cancel`.
        """
        self._check()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            data = os.pread(fd, _STATE.size, 0)
            tat = _STATE.unpack(data)[0] if len(data) == _STATE.size else 0.0
            now = time.time()
            if not math.isfinite(tat) or tat > now + 3600:  # a corrupt or future state
                tat = now
            tat = max(tat, now)
            wait = tat - self.tau - now
            os.pwrite(fd, _STATE.pack(tat + self.interval), 0)
        finally:
            os.close(fd)  # releases the lock
        return self._sleep(wait)


def credential_identity(kind: str, creds: dict[str, str]) -> str:
    """What the API counts its quota by, for credentials of a ``kind`` (``aksk``,
    ``token``, ``password``): the AK, the IAM user, or the token. Only ever hashed.

    Examples
    --------
    >>> credential_identity("password", {"user": "alice", "domain": "acme", "password": "x"})
    'user:acme/alice'
    """
    if kind == "aksk":
        return f"ak:{creds['ak']}"
    if kind == "password":
        return f"user:{creds['domain']}/{creds['user']}"
    return f"token:{creds['token']}"


def auth_identity(auth: object) -> str | None:
    """:func:`credential_identity` of an :class:`~rds_job_analytics.auth.Auth` object
    (None for an auth this package does not know: then no shared bucket is used)."""
    from .auth import AkSkAuth, PasswordAuth, TokenAuth

    if isinstance(auth, AkSkAuth):
        return credential_identity("aksk", {"ak": auth.ak})
    if isinstance(auth, PasswordAuth):
        return credential_identity("password", {"user": auth.username, "domain": auth.domain})
    if isinstance(auth, TokenAuth):
        return credential_identity("token", {"token": auth._token})
    return None


#: The folder, beside a SQLite archive, where its users' quota buckets live.
QUOTA_FOLDER = ".rds-jobs-quota"


def bucket_for(archive: object, identity: str, rate: float) -> object:
    """The quota bucket everyone using ``archive`` with this credential shares: a
    :class:`SharedTokenBucket` in :data:`QUOTA_FOLDER` beside a SQLite archive (every
    process on the machine), the database's own bucket for a PostgreSQL archive (every
    machine); a bucket in the temp folder for an in-memory archive.

    Examples
    --------
    >>> from rds_job_analytics import JobArchive
    >>> bucket_for(JobArchive(":memory:"), "token:t", 2.0)  # doctest: +ELLIPSIS
    SharedTokenBucket('.../rds-jobs-quota/....gcra', rate=2)
    """
    if getattr(archive, "backend", "sqlite") != "sqlite":
        from ._dbquota import DbTokenBucket

        return DbTokenBucket(archive, identity, rate)
    path = str(getattr(archive, "path", ":memory:"))
    folder = None if path == ":memory:" else Path(path).resolve().parent / QUOTA_FOLDER
    return SharedTokenBucket(bucket_path(identity, folder), rate)


def bucket_path(identity: str, folder: str | Path | None = None) -> Path:
    """The state file of one credential's quota: a hash of ``identity`` (an AK, a
    ``domain/user``, or a token), never the identity itself, under ``folder`` (default:
    the temp folder's ``rds-jobs-quota``).

    Examples
    --------
    >>> p = bucket_path("ak:AKEXAMPLE", "/var/lib/rds-jobs")
    >>> p.parent.as_posix(), "AKEXAMPLE" in p.name
    ('/var/lib/rds-jobs', False)
    """
    base = (
        expand_path(Path(folder))
        if folder is not None
        else Path(tempfile.gettempdir()) / "rds-jobs-quota"
    )
    return base / f"{identity_hash(identity)}.gcra"

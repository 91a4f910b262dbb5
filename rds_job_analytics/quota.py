"""A quota bucket shared by every process on a machine: the API's quota is per user.

:class:`SharedTokenBucket` keeps the GCRA state of :class:`~rds_job_analytics.TokenBucket`
(the "theoretical arrival time" of the next call) in a small file, read and written
under an exclusive ``flock``: all of an account's projects, all threads and all
processes that name the same file pace together, so two cron runs at once do not
double the rate. :func:`bucket_path` names the file for a credential without putting
the credential in it, in the user's state folder (:func:`state_dir`), whatever archive
the process writes to: one bucket per credential per machine.

No call reserves a slot more than :data:`QUOTA_MAX_WAIT_INTERVALS` intervals ahead
(a worker beyond that waits and asks again), so a state further ahead of the clock
than :data:`QUOTA_MAX_AHEAD_INTERVALS` intervals cannot come from pacing: a clock
that stepped back, or a damaged file. It is reset to now with a :class:`QuotaWarning`
instead of stalling every call.

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
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from ._time import epoch_seconds
from ._validate import check_rate, expand_path
from .exceptions import ConfigError, QuotaCancelled, QuotaWarning

__all__ = [
    "QUOTA_FOLDER",
    "QUOTA_MAX_AHEAD_INTERVALS",
    "QUOTA_MAX_WAIT_INTERVALS",
    "STATE_DIR_ENV",
    "BucketChain",
    "PacedBucket",
    "QuotaCancelled",
    "SharedTokenBucket",
    "TokenBucket",
    "auth_identity",
    "bucket_for",
    "bucket_path",
    "credential_identity",
    "identity_hash",
    "state_dir",
]

#: The longest one call waits for its slot, in intervals (1 / rate): a worker whose slot
#: would be further ahead reserves nothing, waits, and asks again.
QUOTA_MAX_WAIT_INTERVALS = 4

#: A shared state further ahead of the clock than this many intervals (of the reader's
#: rate) is reset to now, with a :class:`QuotaWarning`: pacing never puts it there
#: (:data:`QUOTA_MAX_WAIT_INTERVALS`), a clock that stepped back does. Processes sharing
#: a credential at rates up to 3x apart stay under it.
QUOTA_MAX_AHEAD_INTERVALS = 16


_STATE = struct.Struct("<d")  # the next call's theoretical arrival time, epoch seconds


class PacedBucket:
    """The one pacing rule: GCRA's interval and burst tolerance, the one GCRA step
    (:meth:`_next`), the wait loop (:meth:`acquire`) and a cancel switch (:meth:`cancel`)
    that wakes waiting workers. Subclasses keep the state somewhere (memory, a file, the
    archive's database) and implement :meth:`_reserve`: read the state, take
    :meth:`_next`, write it back.

    Examples
    --------
    >>> PacedBucket(rate=4.0, burst=2).interval, PacedBucket(rate=4.0, burst=2).tau
    (0.25, 0.25)

    ``clock`` (epoch seconds; default the one clock,
    :func:`~rds_job_analytics._time.epoch_seconds`, which :func:`~rds_job_analytics._time.use_clock`
    replaces) is what tests replace.
    """

    def __init__(
        self, rate: float = 1.0, burst: int = 1, *, clock: Callable[[], float] = epoch_seconds
    ) -> None:
        check_rate(rate)
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ConfigError(f"burst must be >= 1, not {burst!r}")
        self.interval = 1.0 / rate
        self.tau = (burst - 1) * self.interval
        self._clock = clock
        self._cancelled = threading.Event()

    @property
    def max_wait(self) -> float:
        """The longest wait one reservation may take (:data:`QUOTA_MAX_WAIT_INTERVALS`)."""
        return QUOTA_MAX_WAIT_INTERVALS * self.interval

    def _next(self, tat: float, now: float, where: str) -> tuple[float, float, bool]:
        """The GCRA step on a shared state ``tat`` read at ``now``: ``(tat to store, wait,
        reserved)``. A state that cannot come from pacing (not finite, or more than
        :data:`QUOTA_MAX_AHEAD_INTERVALS` intervals ahead) is reset to ``now`` with a
        :class:`QuotaWarning` naming ``where``; a slot further than :attr:`max_wait`
        ahead is not reserved (``reserved`` False: wait, then ask again)."""
        ahead = tat - now
        if not math.isfinite(tat) or ahead > self.tau + QUOTA_MAX_AHEAD_INTERVALS * self.interval:
            shown = f"{ahead:.0f} s ahead of the clock" if math.isfinite(tat) else "unreadable"
            warnings.warn(
                f"quota state {where} was {shown} (a clock that stepped back?): reset to now "
                f"instead of waiting",
                QuotaWarning,
                stacklevel=4,
            )
            tat = now
        slot = max(tat, now)
        wait = slot - self.tau - now
        if wait > self.max_wait:
            return tat, wait - self.max_wait, False
        return slot + self.interval, wait, True

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

    def _pause(self, wait: float, stop: threading.Event | None) -> float:
        """:meth:`_sleep`, or, with a caller's ``stop`` event, until either is set (a
        ``stop`` ends the wait at once, without an error: the caller checks it)."""
        if stop is None or wait <= 0:
            return self._sleep(wait)
        end = time.monotonic() + wait
        while (left := end - time.monotonic()) > 0:  # both events, a slice at a time
            if stop.wait(min(left, _STOP_SLICE)):
                break
            self._check()
        return wait

    def _reserve(self) -> tuple[float, bool]:  # pragma: no cover - the subclasses'
        """One GCRA step on the state: ``(wait, reserved)`` (see :meth:`_next`)."""
        raise NotImplementedError

    def acquire(self, stop: threading.Event | None = None) -> float:
        """Block until a request may go; returns the seconds waited.

        Parameters
        ----------
        stop : threading.Event, optional
            Ends the wait early when set (the caller then checks it: nothing is sent);
            how :class:`~rds_job_analytics.JobsClient.interrupt` wakes its workers.

        Raises
        ------
        QuotaCancelled
            After :meth:`cancel`.
        """
        waited = 0.0
        while True:
            self._check()
            wait, reserved = self._reserve()
            waited += self._pause(wait, stop)
            if reserved or (stop is not None and stop.is_set()):
                return waited


#: Seconds between two looks at :meth:`PacedBucket.cancel` while a wait watches a
#: caller's ``stop`` event too.
_STOP_SLICE = 0.05


class TokenBucket(PacedBucket):
    """Thread-safe pacing shared by all workers of one process: the GCRA state in memory
    (:class:`PacedBucket`'s one step), on the monotonic clock.

    Parameters
    ----------
    rate : float
        Requests per second sustained (the API allows 60/min = 1.0).
    burst : int
        Requests allowed back to back after an idle period.

    Examples
    --------
    >>> b = TokenBucket(rate=1000.0)
    >>> b.acquire() >= 0
    True
    >>> TokenBucket(rate=float("nan"))
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: rate_limit must be a finite number > 0 requests/s, not nan
    """

    def __init__(
        self,
        rate: float = 1.0,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(rate, burst, clock=clock)
        self._tat = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenBucket(rate={1 / self.interval:g})"

    def _reserve(self) -> tuple[float, bool]:
        with self._lock:
            self._tat, wait, reserved = self._next(self._tat, self._clock(), "in memory")
        return wait, reserved


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

    def __init__(
        self,
        path: str | Path,
        rate: float = 1.0,
        burst: int = 1,
        *,
        clock: Callable[[], float] = epoch_seconds,
    ) -> None:
        super().__init__(rate, burst, clock=clock)
        self.path = expand_path(Path(path))
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"SharedTokenBucket({str(self.path)!r}, rate={1 / self.interval:g})"

    def _reserve(self) -> tuple[float, bool]:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            data = os.pread(fd, _STATE.size, 0)
            tat = _STATE.unpack(data)[0] if len(data) == _STATE.size else 0.0
            new, wait, reserved = self._next(tat, self._clock(), str(self.path))
            if new != tat:
                os.pwrite(fd, _STATE.pack(new), 0)
        finally:
            os.close(fd)  # releases the lock
        return wait, reserved


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
    """:func:`credential_identity` of an :class:`~rds_job_analytics.api.Auth` object, as
    its ``quota_identity()`` says (None for an auth that has none: then no shared bucket
    is used). The rule lives with each auth; this module imports nothing of the API.

    Examples
    --------
    >>> from rds_job_analytics.api import TokenAuth
    >>> auth_identity(TokenAuth("t")), auth_identity(object())
    ('token:t', None)
    """
    method = getattr(auth, "quota_identity", None)
    return method() if callable(method) else None


#: The environment variable naming the user's state folder (default
#: ``$XDG_STATE_HOME/rds-jobs``, else ``~/.local/state/rds-jobs``): see :func:`state_dir`.
STATE_DIR_ENV = "RDS_JOBS_STATE_DIR"

#: The folder, inside the state folder, where the machine's quota buckets live.
QUOTA_FOLDER = "quota"


def state_dir() -> Path:
    """The user's state folder: ``$RDS_JOBS_STATE_DIR``, else ``$XDG_STATE_HOME/rds-jobs``,
    else ``~/.local/state/rds-jobs`` (not created here).

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {STATE_DIR_ENV: "/srv/rds-jobs-state"}):
    ...     state_dir().as_posix()
    '/srv/rds-jobs-state'
    """
    given = os.environ.get(STATE_DIR_ENV)
    if given:
        return Path(given).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "rds-jobs"


class BucketChain(PacedBucket):
    """Several buckets in series: a call waits for a slot in each, in order, so the rate
    never exceeds the slowest of them (two buckets at rate r give r, not 2r). How a
    PostgreSQL archive paces: the machine's bucket (every process here, whatever
    archive) and then the database's (every machine).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     a = SharedTokenBucket(Path(folder) / "one.gcra", rate=1000.0)
    ...     b = SharedTokenBucket(Path(folder) / "two.gcra", rate=500.0)
    ...     chain = BucketChain(a, b)
    ...     waited = chain.acquire()
    >>> waited >= 0, chain.interval
    (True, 0.002)
    """

    def __init__(self, *buckets: PacedBucket) -> None:
        if not buckets:
            raise ConfigError("BucketChain needs at least one bucket")
        slowest = max(buckets, key=lambda b: b.interval)
        super().__init__(1.0 / slowest.interval)
        self.buckets = buckets

    def __repr__(self) -> str:
        return f"BucketChain({', '.join(map(repr, self.buckets))})"

    def cancel(self) -> None:
        """Cancel every bucket of the chain (see :meth:`PacedBucket.cancel`)."""
        super().cancel()
        for b in self.buckets:
            b.cancel()

    def acquire(self, stop: threading.Event | None = None) -> float:
        """A slot in each bucket, in order; returns the seconds waited in all."""
        waited = 0.0
        for b in self.buckets:
            self._check()
            if stop is not None and stop.is_set():
                break
            waited += b.acquire(stop=stop)
        return waited


def bucket_for(archive: object, identity: str, rate: float) -> PacedBucket:
    """The quota bucket every user of this credential shares: the machine's
    :class:`SharedTokenBucket` in the user's state folder (:func:`state_dir`, every
    process here, whatever archive it writes to); for a PostgreSQL archive, that one
    and then the database's own bucket (every machine), in a :class:`BucketChain`, so
    the rate is never doubled.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> from rds_job_analytics import JobArchive
    >>> with mock.patch.dict(os.environ, {STATE_DIR_ENV: tempfile.mkdtemp()}):
    ...     bucket_for(JobArchive(":memory:"), "token:t", 2.0)  # doctest: +ELLIPSIS
    SharedTokenBucket('.../quota/....gcra', rate=2)
    """
    machine = SharedTokenBucket(bucket_path(identity), rate)
    if getattr(archive, "backend", "sqlite") != "sqlite":  # the archive's own bucket
        return BucketChain(machine, archive.quota_bucket(identity, rate))  # type: ignore[attr-defined]
    return machine


def bucket_path(identity: str, folder: str | Path | None = None) -> Path:
    """The state file of one credential's quota: a hash of ``identity`` (an AK, a
    ``domain/user``, or a token), never the identity itself, under ``folder`` (default:
    :data:`QUOTA_FOLDER` in :func:`state_dir`: one per machine and user).

    Examples
    --------
    >>> p = bucket_path("ak:AKEXAMPLE", "/var/lib/rds-jobs")
    >>> p.parent.as_posix(), "AKEXAMPLE" in p.name
    ('/var/lib/rds-jobs', False)
    """
    base = expand_path(Path(folder)) if folder is not None else state_dir() / QUOTA_FOLDER
    return base / f"{identity_hash(identity)}.gcra"

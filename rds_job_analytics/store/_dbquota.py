"""A quota bucket kept in the archive's database: the same account synced from two
machines into one PostgreSQL archive paces as one (a file bucket,
:class:`~rds_job_analytics.quota.SharedTokenBucket`, paces only the processes of one host).

The GCRA state (the next call's theoretical arrival time) is one row per credential in
the archive's ``quota`` table (made by the layout's migration), keyed by a hash of the
identity (never the credential). Each call is one backend step,
:meth:`~rds_job_analytics.store._backend.Store.pace`: one transaction reads the state
under a lock, takes the one GCRA step (:meth:`~rds_job_analytics.quota.PacedBucket._next`,
repairs of a state ahead of the clock included) and writes it; on PostgreSQL the
server's clock is the clock, so machines whose clocks disagree still pace together.
:meth:`JobArchive.quota_bucket <rds_job_analytics.store.JobArchive.quota_bucket>` makes one.

Examples
--------
>>> from rds_job_analytics.store import JobArchive
>>> arc = JobArchive(":memory:")
>>> a = arc.quota_bucket("ak:AKEXAMPLE", rate=1000.0)
>>> b = arc.quota_bucket("ak:AKEXAMPLE", rate=1000.0)  # another process or machine
>>> all(w >= 0 for w in (a.acquire(), b.acquire()))
True
>>> "AKEXAMPLE" in repr(a)
False
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._time import epoch_seconds
from ..quota import PacedBucket, identity_hash

__all__ = ["DbTokenBucket"]


class DbTokenBucket(PacedBucket):
    """GCRA pacing whose state lives in the archive's database (SQLite or PostgreSQL):
    every bucket naming the same identity in the same database paces together, on any
    machine. Same interface as :class:`~rds_job_analytics.quota.SharedTokenBucket`.

    Parameters
    ----------
    archive : JobArchive
        The archive whose database keeps the state (its ``quota`` table).
    identity : str
        The credential's identity (an AK, ``domain/user``, a token): only its hash is kept.
    rate : float
        Requests per second for all of them together (the API allows 1.0 = 60/min).
    burst : int
        Requests allowed back to back after an idle period.

    Raises
    ------
    ConfigError
        A rate that is not a finite number > 0, or a burst < 1.
    ArchiveUnavailable
        From :meth:`acquire`, when the database is down.

    Examples
    --------
    >>> from rds_job_analytics.store import JobArchive
    >>> DbTokenBucket(JobArchive(":memory:"), "t", rate=0)
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: rate_limit must be a finite number > 0 requests/s, not 0
    """

    def __init__(
        self,
        archive: Any,
        identity: str,
        rate: float = 1.0,
        burst: int = 1,
        *,
        clock: Callable[[], float] = epoch_seconds,
    ) -> None:
        super().__init__(rate, burst, clock=clock)
        self.archive = archive
        self.bucket = identity_hash(identity)

    def __repr__(self) -> str:
        return f"DbTokenBucket({self.archive.path!r}, {self.bucket!r}, rate={1 / self.interval:g})"

    def _reserve(self) -> tuple[float, bool]:
        """One GCRA step in one transaction of the archive's backend
        (:meth:`~rds_job_analytics.store.Store.pace`)."""
        where = f"of {self.bucket} in the archive database"

        def step(tat: float, now: float) -> tuple[float, float, bool]:
            return self._next(tat, now, where)

        return self.archive._store.pace(self.bucket, step, self._clock)

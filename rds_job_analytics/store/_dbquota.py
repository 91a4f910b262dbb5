"""A quota bucket kept in the archive's database: the same account synced from two
machines into one PostgreSQL archive paces as one (a file bucket,
:class:`~rds_job_analytics.quota.SharedTokenBucket`, paces only the processes of one host).

The GCRA state (the next call's theoretical arrival time) is one row per credential in
the ``quota`` table, keyed by a hash of the identity (never the credential). One
transaction per call reads it under a lock and reserves the next slot (the rule,
repairs of a state ahead of the clock included, is
:meth:`~rds_job_analytics.quota.PacedBucket._next`); on PostgreSQL the server's clock
is the clock, so machines whose clocks disagree still pace together.

Examples
--------
>>> from rds_job_analytics import JobArchive
>>> arc = JobArchive(":memory:")
>>> a = DbTokenBucket(arc, "ak:AKEXAMPLE", rate=1000.0)
>>> b = DbTokenBucket(arc, "ak:AKEXAMPLE", rate=1000.0)  # another process or machine
>>> all(w >= 0 for w in (a.acquire(), b.acquire()))
True
>>> "AKEXAMPLE" in repr(a)
False
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..quota import PacedBucket, identity_hash

__all__ = ["DbTokenBucket"]

_DDL = """CREATE TABLE IF NOT EXISTS quota (
    bucket TEXT PRIMARY KEY,
    tat    {real} NOT NULL
)"""
# Read the state under a lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the row lock), take
# the GCRA step of PacedBucket._next (the one home of the rule, repair included), write.
_ENSURE = "INSERT INTO quota (bucket, tat) VALUES (?, 0) ON CONFLICT (bucket) DO NOTHING"
_READ = {
    "sqlite": "SELECT tat FROM quota WHERE bucket = ?",
    "postgresql": """SELECT tat, extract(epoch FROM clock_timestamp())::float8
        FROM quota WHERE bucket = ? FOR UPDATE""",
}
_WRITE = "UPDATE quota SET tat = ? WHERE bucket = ?"


class DbTokenBucket(PacedBucket):
    """GCRA pacing whose state lives in the archive's database (SQLite or PostgreSQL):
    every bucket naming the same identity in the same database paces together, on any
    machine. Same interface as :class:`~rds_job_analytics.quota.SharedTokenBucket`.

    Parameters
    ----------
    archive : JobArchive
        The archive whose database keeps the state (the ``quota`` table is created).
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
    >>> from rds_job_analytics import JobArchive
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
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(rate, burst, clock=clock)
        self.archive = archive
        self.bucket = identity_hash(identity)
        store = archive._store
        with store.begin() as db:
            db.execute(_DDL.replace("{real}", store.types["real"]))
        self._read = _READ[store.kind]

    def __repr__(self) -> str:
        return f"DbTokenBucket({self.archive.path!r}, {self.bucket!r}, rate={1 / self.interval:g})"

    def acquire(self, stop: threading.Event | None = None) -> float:
        """Block until a request may go; returns the seconds waited.

        Raises
        ------
        QuotaCancelled
            After :meth:`cancel`.
        """
        waited = 0.0
        store = self.archive._store
        where = f"of {self.bucket} in the archive database"
        while True:
            self._check()
            with store.begin(immediate=True) as db:
                db.execute(_ENSURE, (self.bucket,))
                row = db.execute(self._read, (self.bucket,)).fetchone()
                tat = float(row[0])
                now = float(row[1]) if store.kind != "sqlite" else self._clock()
                new, wait, reserved = self._next(tat, now, where)
                if new != tat:
                    db.execute(_WRITE, (new, self.bucket))
            waited += self._pause(wait, stop)
            if reserved or (stop is not None and stop.is_set()):
                return waited

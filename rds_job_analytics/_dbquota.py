"""A quota bucket kept in the archive's database: the same account synced from two
machines into one PostgreSQL archive paces as one (a file bucket,
:class:`~rds_job_analytics.quota.SharedTokenBucket`, paces only the processes of one host).

The GCRA state (the next call's theoretical arrival time) is one row per credential in
the ``quota`` table, keyed by a hash of the identity (never the credential). One
atomic upsert per call reserves the next slot and returns how long to wait; on
PostgreSQL the server's clock is the clock, so machines whose clocks disagree still
pace together.

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

import time
from typing import Any

from .quota import PacedBucket, identity_hash

__all__ = ["DbTokenBucket"]

_DDL = """CREATE TABLE IF NOT EXISTS quota (
    bucket TEXT PRIMARY KEY,
    tat    {real} NOT NULL
)"""
# One statement: reserve the slot after the last one (or now, after an idle spell, or
# when the state is corrupt or more than an hour ahead) and return it with the clock.
_TAKE = {
    "sqlite": """INSERT INTO quota (bucket, tat) VALUES (?, ? + ?)
        ON CONFLICT (bucket) DO UPDATE SET tat = (CASE WHEN quota.tat > excluded.tat + 3600
            THEN excluded.tat ELSE max(quota.tat + ?, excluded.tat) END)
        RETURNING tat, ?""",
    "postgresql": """WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
        INSERT INTO quota (bucket, tat) SELECT ?, now + ? FROM clock
        ON CONFLICT (bucket) DO UPDATE SET tat = (CASE WHEN quota.tat > excluded.tat + 3600
            THEN excluded.tat ELSE greatest(quota.tat + ?, excluded.tat) END)
        RETURNING tat, (SELECT now FROM clock)""",
}


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

    def __init__(self, archive: Any, identity: str, rate: float = 1.0, burst: int = 1) -> None:
        super().__init__(rate, burst)
        self.archive = archive
        self.bucket = identity_hash(identity)
        store = archive._store
        with store.begin() as db:
            db.execute(_DDL.replace("{real}", store.types["real"]))
        self._take = _TAKE[store.kind]

    def __repr__(self) -> str:
        return f"DbTokenBucket({self.archive.path!r}, {self.bucket!r}, rate={1 / self.interval:g})"

    def acquire(self) -> float:
        """Block until a request may go; returns the seconds waited.

        Raises
        ------
        QuotaCancelled
            After :meth:`cancel`.
        """
        self._check()
        store = self.archive._store
        with store.begin() as db:
            if store.kind == "sqlite":
                now = time.time()
                args: tuple[Any, ...] = (self.bucket, now, self.interval, self.interval, now)
            else:
                args = (self.bucket, self.interval, self.interval)
            tat, now = db.execute(self._take, args).fetchone()
        return self._sleep(float(tat) - self.interval - self.tau - float(now))

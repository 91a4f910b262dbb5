"""Leases: one sync per project at a time, on any machine sharing the archive.

A claim writes the project's row of the ``leases`` table under a lock every claimer takes
(SQLite's write lock, PostgreSQL's advisory lock); the holder's :class:`Lease` renews it
from a heartbeat thread. Expiry is read on the one clock
(:func:`rds_job_analytics._time.epoch_seconds`), so tests move time with
:func:`~rds_job_analytics._time.use_clock` instead of sleeping.

Examples
--------
>>> from rds_job_analytics.store import JobArchive
>>> arc = JobArchive(":memory:")
>>> with arc.claim("p") as lease:
...     lease.lost
False
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .._time import epoch_seconds, utcnow
from ..exceptions import ArchiveError, ProjectBusy

__all__ = ["LEASE_TTL", "Lease", "LeaseHolder"]

#: Seconds a sync's claim on a project lives without renewal (:meth:`LeaseHolder.claim`).
LEASE_TTL = 60.0


class LeaseHolder:
    """Project leases of an archive (mixed into :class:`~rds_job_analytics.store.JobArchive`,
    whose backend is ``self._store``)."""

    _store: Any

    def claim(
        self, project_id: str, *, ttl: float = LEASE_TTL, wait: float = 0.0, poll: float = 0.5
    ) -> Lease:
        """Claim a project for one sync: a second claim (another thread, process or machine
        on this archive) waits up to ``wait`` seconds, then raises :class:`ProjectBusy`
        naming the holder. The lease renews itself every ``ttl / 3`` seconds while held;
        a holder that died (``kill -9``) loses it when ``ttl`` runs out, or at once when
        it was a process of this host that no longer exists.

        Parameters
        ----------
        project_id : str
            The project to sync.
        ttl : float
            Seconds a lease lives without renewal.
        wait : float
            Seconds to wait for a busy project (0: fail at once).
        poll : float
            Seconds between tries while waiting.

        Examples
        --------
        >>> from rds_job_analytics.store import JobArchive
        >>> arc = JobArchive(":memory:")
        >>> with arc.claim("p"):
        ...     try:
        ...         arc.claim("p")
        ...     except ProjectBusy as exc:
        ...         print(str(exc).split(" since")[0])
        project p is being synced by ... (pid ...)
        >>> arc.claim("p").release()  # free again
        """
        deadline = time.monotonic() + wait
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        while True:
            busy = self._try_claim(project_id, holder, ttl)
            if busy is None:
                return Lease(self, project_id, holder, ttl)
            if time.monotonic() >= deadline:
                who, since, expires = busy
                left = expires - epoch_seconds()  # a holder renews every ttl / 3
                stale = ttl - left if left < ttl / 3 else None  # two renewals missed
                raise ProjectBusy(
                    project_id, who, since, stale_for=stale,
                    expires=datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds"),
                )  # fmt: skip
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    def _try_claim(self, project_id: str, holder: str, ttl: float) -> tuple[str, str, float] | None:
        """None when claimed; else (who holds it, since when, when its lease runs out)."""
        host, pid = socket.gethostname(), os.getpid()
        # Read-then-write under a lock every claimer of the project takes: SQLite's write
        # lock, or PostgreSQL's transaction-scoped advisory lock on the project (a row
        # lock cannot guard a lease row that does not exist yet).
        with self._store.begin(immediate=True) as db:
            self._store.serialize(db, f"rds-jobs lease {project_id}")
            row = db.execute(
                "SELECT holder, host, pid, acquired_at, expires_at FROM leases"
                " WHERE project_id = ?",
                (project_id,),
            ).fetchone()
            now = epoch_seconds()
            if row is not None and row[4] > now and not _dead(row[1], row[2]):
                return f"{row[1]} (pid {row[2]})", row[3], float(row[4])
            db.execute(
                "INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id)"
                " DO UPDATE SET holder=excluded.holder, host=excluded.host,"
                " pid=excluded.pid, acquired_at=excluded.acquired_at,"
                " expires_at=excluded.expires_at",
                (project_id, holder, host, pid, utcnow().isoformat(), now + ttl),
            )
            return None

    def _renew(self, project_id: str, holder: str, ttl: float) -> bool:
        with self._store.begin() as db:
            cur = db.execute(
                "UPDATE leases SET expires_at = ? WHERE project_id = ? AND holder = ?",
                (epoch_seconds() + ttl, project_id, holder),
            )
            return cur.rowcount > 0

    def _holder(self, project_id: str) -> str | None:
        """Who holds the project's lease now (``host (pid N)``), or None."""
        with self._store.begin() as db:
            row = db.execute(
                "SELECT host, pid FROM leases WHERE project_id = ?", (project_id,)
            ).fetchone()
        return f"{row[0]} (pid {row[1]})" if row is not None else None

    def _release(self, project_id: str, holder: str) -> None:
        with self._store.begin() as db:
            db.execute(
                "DELETE FROM leases WHERE project_id = ? AND holder = ?", (project_id, holder)
            )


def _dead(host: str, pid: int) -> bool:
    """Whether ``pid`` on this host is gone (a lease of another host is never judged)."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    """A held claim on a project (see :meth:`JobArchive.claim`); renews itself in a
    background thread until :meth:`release` (or the end of a ``with`` block).

    A renewal that finds the lease taken over (this process stalled longer than the
    lease, and another sync claimed the project) marks it :attr:`lost` and calls every
    :meth:`on_lost` callback once: :func:`~rds_job_analytics.sync.sync_jobs` stops its
    client there, so no more API calls are spent on a project another sync now does.

    Examples
    --------
    >>> from rds_job_analytics.store import JobArchive
    >>> arc = JobArchive(":memory:")
    >>> lease = arc.claim("p")
    >>> stopped = []
    >>> lease.on_lost(lambda: stopped.append(True))
    >>> lease.beat(), lease.lost
    (True, False)
    >>> _ = arc._release("p", lease.holder)  # another sync took the project over
    >>> lease.beat(), lease.lost, stopped
    (False, True, [True])
    """

    def __init__(self, archive: Any, project_id: str, holder: str, ttl: float) -> None:
        self.archive, self.project_id, self.holder, self.ttl = archive, project_id, holder, ttl
        self.taken_by: str | None = None  # who held it when it was found lost
        self._lost = threading.Event()
        self._callbacks: list[Callable[[], object]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._heartbeat, daemon=True, name="lease")
        self._thread.start()

    @property
    def lost(self) -> bool:
        """Whether a renewal found the lease taken over (then it is never renewed again)."""
        return self._lost.is_set()

    def on_lost(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` (from the heartbeat thread) when the lease is found lost;
        at once when it is already."""
        with self._lock:
            if not self._lost.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def beat(self) -> bool:
        """Renew the lease once (the heartbeat does every ``ttl / 3`` seconds): True while
        held; False when another sync holds the project now (:attr:`lost`). A renewal
        that cannot reach the archive is no verdict: True, the next beat retries."""
        if self._lost.is_set():
            return False
        try:
            if self.archive._renew(self.project_id, self.holder, self.ttl):
                return True
        except ArchiveError:  # closed, a busy disk, a database restart
            return True
        try:
            self.taken_by = self.archive._holder(self.project_id)
        except ArchiveError:
            pass
        with self._lock:
            self._lost.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()
        return False

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            if not self.beat():
                return

    def release(self) -> None:
        """Give the project up (idempotent)."""
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join()
            if self.archive.closed:  # the archive was closed first
                return
            try:
                self.archive._release(self.project_id, self.holder)
            except ArchiveError:  # closed meanwhile, or gone:
                pass  # the lease runs out by itself

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Lease(project_id={self.project_id!r}, holder={self.holder!r})"

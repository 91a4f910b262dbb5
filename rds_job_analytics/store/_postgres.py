"""The PostgreSQL backend of :class:`~rds_job_analytics.store.JobArchive` (SQLAlchemy 2
engine with psycopg 3): one shared database for a team's sync workers and analysts.

The archive's SQL is written once (``?`` placeholders, ``ON CONFLICT`` upserts, both
dialects understand it); this module supplies what differs (the
:class:`~rds_job_analytics.store._backend.Store` protocol): connecting, the column
types, transactions, a cross-machine lock (``pg_advisory_xact_lock``), the quota step on
the server's clock, and the mapping of driver errors to
:class:`~rds_job_analytics.ArchiveUnavailable` / :class:`~rds_job_analytics.ArchiveError`
with the password masked. Nothing here is imported unless a ``postgresql://`` URL is
opened.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..exceptions import ArchiveError, ArchiveUnavailable, ConfigError
from ._backend import QUOTA_ENSURE, QUOTA_WRITE, PaceStep
from ._urls import CONNECT_TIMEOUT, pg_engine_url, url_parts

try:
    import sqlalchemy as sa
    import sqlalchemy.exc as sa_exc
except ImportError as exc:  # pragma: no cover - the postgres extra is in the test extras
    raise ImportError(
        "a postgresql:// archive needs SQLAlchemy and psycopg: "
        "pip install 'rds-job-analytics[postgres]'"
    ) from exc

__all__ = ["CONNECT_TIMEOUT", "PgStore"]

#: Column types of the archive's layout on PostgreSQL (keys sort bytewise, as in SQLite).
PG_TYPES = {"key": 'TEXT COLLATE "C"', "bigint": "BIGINT", "blob": "BYTEA",
            "real": "DOUBLE PRECISION"}  # fmt: skip
#: Memory a large read (``to_frame``) may sort in before spilling to disk.
BULK_WORK_MEM = "256MB"
#: Seconds a database that was reached once is waited for when it stops answering (a
#: restart, a fail-over, a short network cut): connecting is retried with backoff
#: (:data:`OUTAGE_BACKOFF`) for this long, then :class:`ArchiveUnavailable`. A database
#: down or refusing the login when first opened fails at once.
OUTAGE_RETRY = 15.0
#: The first and the longest wait between two connection attempts during an outage.
OUTAGE_BACKOFF = (0.25, 2.0)
#: SQLSTATE classes of a server that is going away or coming back (connection exception,
#: admin/crash shutdown, "the database system is starting up"); a refused login is not.
_TRANSIENT_STATES = ("08", "57P01", "57P02", "57P03")


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name`` (same on every machine).

    Examples
    --------
    >>> _lock_key("rds-jobs lease p") == _lock_key("rds-jobs lease p") != _lock_key("x")
    True
    >>> -(2**63) <= _lock_key("x") < 2**63
    True
    """
    key = zlib.crc32(b"rds_job_analytics") << 32 | zlib.crc32(name.encode("utf-8"))
    return key - (1 << 64) if key >= 1 << 63 else key


class _Tx:
    """One transaction on one connection; ``execute`` takes the archive's ``?`` SQL.

    A connection found dead at the transaction's first statement (the server restarted
    while it sat in the pool or while the statement was sent) is replaced, waiting for
    the server as :meth:`PgStore._connect` does: nothing had been done in the
    transaction, so running it on the new connection is the same transaction. Later
    statements are never replayed (the caller acted on the earlier results)."""

    __slots__ = ("_fresh", "_trans", "conn", "store")

    def __init__(self, store: PgStore) -> None:
        self.store = store
        self.conn = store._connect()
        self._trans = self.conn.begin()
        self._fresh = True

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        sql, values = sql.replace("?", "%s"), tuple(args)
        try:
            result = self.conn.exec_driver_sql(sql, values)
        except sa_exc.DBAPIError as exc:
            if not (self._fresh and self.store.reached and _lost(exc)):
                raise
            self.close()  # the dead connection is dropped from the pool
            self.conn = self.store._connect()
            self._trans = self.conn.begin()
            result = self.conn.exec_driver_sql(sql, values)
        self._fresh = False
        return result

    def commit(self) -> None:
        self._trans.commit()

    def close(self) -> None:
        """Roll back what is not committed and give the connection back (or drop it)."""
        try:
            if self._trans.is_active:
                self._trans.rollback()
        except sa_exc.DBAPIError:
            pass  # a dead connection: nothing to roll back
        finally:
            self.conn.close()


class PgStore:
    """A PostgreSQL database holding the archive's tables.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/database`` (``postgres://`` and
        ``postgresql+psycopg://`` too; libpq's query options such as ``sslmode`` pass
        through; without a password libpq's ``PGPASSWORD``/``~/.pgpass`` apply). The
        engine connects with :func:`~rds_job_analytics.store.pg_engine_url` of it (the
        connect timeout and application name unless its query sets them), as an Iceberg
        catalog on the same database does.
    """

    kind = "postgresql"
    types = PG_TYPES

    def __init__(self, url: str) -> None:
        parts = url_parts(url)  # read once: masking, scrubbing and the driver agree
        if parts is None:
            raise ConfigError(f"not a database URL: {url!r}")
        self.shown = parts.masked()
        self._secrets = parts.passwords()
        try:
            parsed = sa.make_url(pg_engine_url(url))  # the one rule (the catalog's too)
        except (sa_exc.ArgumentError, ValueError):
            raise ConfigError(f"not a database URL: {self.shown!r}") from None
        if not parsed.database:
            raise ConfigError(f"the archive URL {self.shown!r} names no database (.../DBNAME)")
        # host:port/db as the masking rule reads it (an unescaped '@' or '/' in a
        # password makes the driver's parser see another host: never show that one)
        self.where = parts.where
        self.engine = sa.create_engine(
            parsed,
            pool_size=2,
            max_overflow=2,
            pool_pre_ping=True,  # a server restarted between two writes: reconnect
        )
        self.lock = threading.Lock()
        self.closed = False
        self.reached = False  # whether a connection ever succeeded (then outages are waited)
        # the end of the current outage's one wait (set at its first failure, cleared when
        # a connection succeeds): every caller queued behind it shares the window
        self.outage_deadline: float | None = None
        self.clock, self.sleep = time.monotonic, time.sleep  # the outage wait's (tests inject)

    def _connect(self) -> sa.Connection:
        """A connection; during an outage of a database reached before, retried with
        backoff for up to :data:`OUTAGE_RETRY` seconds (the pool's ping finds the dead
        ones a restart left). The window is the outage's, not the caller's: it starts at
        the outage's first failure, and callers queued behind that one (fetch workers,
        the lease's heartbeat) wait only for what is left of it, then fail at once."""
        wait, longest = OUTAGE_BACKOFF
        while True:
            try:
                conn = self.engine.connect()
            except sa_exc.DBAPIError as exc:
                if not self.reached or not _transient(exc):
                    raise
                now = self.clock()
                if self.outage_deadline is None:
                    self.outage_deadline = now + OUTAGE_RETRY
                if now >= self.outage_deadline:
                    raise
                self.sleep(min(wait, self.outage_deadline - now))
                wait = min(wait * 2, longest)
                continue
            self.reached = True
            self.outage_deadline = None
            return conn

    def _error(self, exc: sa_exc.DBAPIError) -> ArchiveError:
        """The driver's error as ours: its first line, the password scrubbed."""
        orig = exc.orig if exc.orig is not None else exc
        reason = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        for secret in self._secrets:
            reason = reason.replace(secret, "***")
        outage = isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) or bool(
            exc.connection_invalidated
        )
        if outage:
            return ArchiveUnavailable(
                f"the archive database {self.where} is unavailable: {reason}", where=self.shown
            )
        return ArchiveError(f"the archive database {self.where} refused: {reason}")

    @contextmanager
    def begin(self, *, immediate: bool = False) -> Iterator[_Tx]:
        """One transaction, committed at the end of the block (rolled back on error);
        driver errors come out as :class:`ArchiveError` / :class:`ArchiveUnavailable`."""
        if self.closed:
            raise ArchiveError(f"the archive {self.shown!r} is closed")
        with self.lock:
            tx: _Tx | None = None
            try:
                tx = _Tx(self)
                yield tx
                tx.commit()
            except sa_exc.DBAPIError as exc:
                raise self._error(exc) from None  # the cause may quote the URL
            finally:
                if tx is not None:
                    tx.close()

    def bulk_rows(self, db: _Tx, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of a large read: psycopg's binary protocol (``bytea`` arrives as is,
        not hex-encoded) on the transaction's connection, and room to sort in memory."""
        db.execute(f"SET LOCAL work_mem = '{BULK_WORK_MEM}'")
        raw = db.conn.connection.dbapi_connection
        assert raw is not None
        with raw.cursor(binary=True) as cur:
            cur.execute(sql.replace("?", "%s"), tuple(args))
            return cur.fetchall()

    def serialize(self, db: _Tx, key: str) -> None:
        """Hold a transaction-scoped lock named ``key``: every process on every machine
        that asks for it waits until this transaction ends."""
        db.execute("SELECT pg_advisory_xact_lock(?)", (_lock_key(key),))

    def columns(self, db: _Tx, table: str) -> set[str]:
        rows = db.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
        return {r[0] for r in rows}

    def has_archive(self) -> bool:
        """Whether the database holds the archive's ``jobs`` table."""
        with self.begin() as db:
            return db.execute("SELECT to_regclass('jobs') IS NOT NULL").scalar() is True

    def pace(self, key: str, step: PaceStep, clock: Callable[[], float]) -> tuple[float, bool]:
        """One quota step: the row locked (``FOR UPDATE``), stepped at the server's clock
        (machines whose clocks disagree still pace together; ``clock`` is not read),
        written. Returns ``(wait, reserved)``."""
        with self.begin() as db:
            db.execute(QUOTA_ENSURE, (key,))
            row = db.execute(
                "SELECT tat, extract(epoch FROM clock_timestamp())::float8"
                " FROM quota WHERE bucket = ? FOR UPDATE",
                (key,),
            ).fetchone()
            tat = float(row[0])
            new, wait, reserved = step(tat, float(row[1]))
            if new != tat:
                db.execute(QUOTA_WRITE, (new, key))
        return wait, reserved

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self.lock:
            self.closed = True
            self.engine.dispose()


def _transient(exc: sa_exc.DBAPIError) -> bool:
    """Whether a failed connection attempt is an outage worth waiting for: no answer,
    or a server shutting down or starting up (not a refused login or a missing database)."""
    state = getattr(exc.orig, "sqlstate", None)
    return state is None or state.startswith(_TRANSIENT_STATES)


def _lost(exc: sa_exc.DBAPIError) -> bool:
    """Whether a statement failed because its connection died (not for what it asked)."""
    if exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) and _transient(exc)

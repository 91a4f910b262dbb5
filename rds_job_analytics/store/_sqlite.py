"""The embedded backend: the archive in a SQLite file (WAL mode: safe with concurrent
readers), and the check that a path is one of our archives.

``sqlite3``'s errors come out as the archive's, as PostgreSQL's do
(:class:`~rds_job_analytics.store.PgStore`): a database that is locked, unreadable or on a
failing disk is :class:`~rds_job_analytics.ArchiveUnavailable`, anything else the database
refuses (a closed archive used included) :class:`~rds_job_analytics.ArchiveError`.

Examples
--------
>>> store = SqliteStore(":memory:")
>>> store.close()
>>> with store.begin() as db:
...     pass
Traceback (most recent call last):
...
rds_job_analytics.exceptions.ArchiveError: the archive ':memory:' is closed
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..exceptions import ArchiveError, ArchiveUnavailable, ConfigError
from ._backend import QUOTA_ENSURE, QUOTA_WRITE, SQLITE_TYPES, PaceStep

__all__ = ["SqliteStore", "check_archive_path"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
#: ``sqlite3.OperationalError`` texts of a database that cannot be reached now (busy,
#: locked, unreadable, a failing disk or a full one), not of a statement it refused.
_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o", "readonly", "read-only",
                "database or disk is full", "malformed")  # fmt: skip


class SqliteStore:
    """The archive in one ``sqlite3`` connection (WAL), serialized by a lock.

    Parameters
    ----------
    path : str
        The database file (its folder is created), or ``":memory:"``.

    Raises
    ------
    ArchiveUnavailable
        The file cannot be opened (a folder without write access, a locked database).

    Examples
    --------
    >>> store = SqliteStore(":memory:")
    >>> with store.begin() as db:
    ...     db.execute("SELECT 1").fetchone()
    (1,)
    """

    kind = "sqlite"
    types = SQLITE_TYPES

    def __init__(self, path: str) -> None:
        self.shown = path
        self.closed = False
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        try:
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            if path != ":memory:":
                self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _error(self, exc: sqlite3.Error) -> ArchiveError:
        """The driver's error as ours, naming the archive file."""
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, sqlite3.ProgrammingError) and "closed" in reason.lower():
            return ArchiveError(f"the archive {self.shown!r} is closed")
        if isinstance(exc, sqlite3.DatabaseError) and any(
            word in reason.lower() for word in _UNAVAILABLE
        ):
            return ArchiveUnavailable(
                f"the archive {self.shown!r} is unavailable: {reason}", where=self.shown
            )
        return ArchiveError(f"the archive {self.shown!r} refused: {reason}")

    @contextmanager
    def begin(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction (committed at the end of the block, rolled back on error);
        ``immediate`` takes the write lock at once (read-then-write). ``sqlite3`` errors
        come out as :class:`ArchiveError` / :class:`ArchiveUnavailable`."""
        if self.closed:
            raise ArchiveError(f"the archive {self.shown!r} is closed")
        with self.lock:
            try:
                self.db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
                try:
                    yield self.db
                except BaseException:
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    def bulk_rows(self, db: Any, sql: str, args: Any = ()) -> list[Any]:
        """All rows of a large read."""
        return db.execute(sql, args).fetchall()

    def serialize(self, db: Any, key: str) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already excludes every other writer."""

    def columns(self, db: Any, table: str) -> set[str]:
        """The column names of ``table``."""
        return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}

    def has_archive(self) -> bool:
        """Whether the database holds the archive's ``jobs`` table."""
        with self.begin() as db:
            rows = db.execute("SELECT name FROM sqlite_master WHERE name='jobs'")
            return rows.fetchone() is not None

    def pace(self, key: str, step: PaceStep, clock: Callable[[], float]) -> tuple[float, bool]:
        """One quota step: ``BEGIN IMMEDIATE`` excludes every other writer while the state
        is read, stepped at ``clock()`` and written. Returns ``(wait, reserved)``."""
        with self.begin(immediate=True) as db:
            db.execute(QUOTA_ENSURE, (key,))
            tat = float(db.execute("SELECT tat FROM quota WHERE bucket = ?", (key,)).fetchone()[0])
            new, wait, reserved = step(tat, clock())
            if new != tat:
                db.execute(QUOTA_WRITE, (new, key))
        return wait, reserved

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self.lock:
            self.closed = True
            self.db.close()


def check_archive_path(path: str | Path, *, create: bool) -> None:
    """ConfigError naming ``path`` unless it is one of our archives (or, with ``create``,
    nothing yet); see :meth:`JobArchive.open`. Reads only: never creates a file.

    Examples
    --------
    >>> check_archive_path(":memory:", create=False)
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: ':memory:' is a new, empty database, not an existing archive
    """
    if str(path) == ":memory:":
        if create:
            return
        raise ConfigError("':memory:' is a new, empty database, not an existing archive")
    p = Path(path)
    if not p.exists():
        if create:
            return
        raise ConfigError(f"no archive at '{p}': the file does not exist")
    if p.is_dir():
        raise ConfigError(f"'{p}' is a folder, not an archive file")
    try:
        with p.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise ConfigError(f"cannot read the archive '{p}': {exc.strerror or exc}") from exc
    if not head:
        if create:  # an empty file is an empty SQLite database: it becomes the archive
            return
        raise ConfigError(f"'{p}' is an empty file, not an archive")
    if head != _SQLITE_MAGIC:
        raise ConfigError(f"'{p}' is not an archive: not a SQLite database")
    try:
        db = sqlite3.connect(p, timeout=10)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"'{p}' is not a readable archive: {exc}") from exc
    if not tables and create:  # a database being created this instant (another process)
        return
    if "jobs" not in tables:
        raise ConfigError(f"'{p}' is a SQLite database but not an archive (no jobs table)")

"""Local SQLite archive of raw job responses, so history outlives the API's 30 days.

Every response is committed as it arrives (WAL mode: safe with concurrent readers);
a terminal record (Completed/Failed) is never overwritten by a Running one.

Examples
--------
>>> from rds_job_analytics import JobArchive
>>> arc = JobArchive(":memory:")
>>> arc.put({"job": {"id": "j1", "status": "Completed"}}, project_id="p")
True
>>> len(arc.to_frame())
1
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._validate import expand_path
from ..exceptions import (
    ArchiveError,
    ArchiveUnavailable,
    ConfigError,
    InvalidRecordError,
    ProjectBusy,
    RecordsRejected,
)
from ..export._files import write_frame
from ..normalize._records import _finish, encode_record, normalize_jobs, parse_job
from ..normalize.schema import (
    API_HORIZON,
    CATEGORY,
    JOB_ORDER,
    JOB_SCHEMA,
    OBJECT,
    TERMINAL_STATUSES,
    empty_jobs_frame,
    to_epoch_ms,
    to_utc,
)

# ``write_frame`` lived here before it got its own module; it stays importable from here.
__all__ = [
    "API_HORIZON_DAYS",
    "END_TIME_VIEW",
    "LEASE_TTL",
    "SCHEMA_VERSION",
    "ArchiveError",
    "ArchiveUnavailable",
    "Coverage",
    "JobArchive",
    "Lease",
    "Window",
    "find_gaps",
    "merge_windows",
    "write_frame",
]

#: :data:`schema.API_HORIZON` in days, as :meth:`JobArchive.coverage` takes it.
API_HORIZON_DAYS = API_HORIZON.days
#: How soon before a gap's older edge leaves the horizon a sync warns ("sync now or lose it").
GAP_WARNING = timedelta(days=3)
#: Seconds a sync's claim on a project lives without renewal (:meth:`JobArchive.claim`).
LEASE_TTL = 60.0

# One layout for per-job responses (``jobs``) and task-list records (``tasks``): kept
# apart so a task-list record never overwrites a per-job response's entities.
_RECORDS_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    project_id {key} NOT NULL,
    job_id     {key} NOT NULL,
    region     TEXT,
    status     TEXT,
    terminal   INTEGER NOT NULL,
    created_ms {bigint},
    fetched_at TEXT NOT NULL,
    raw        {blob} NOT NULL,
    account    TEXT,
    expired_at TEXT,
    ended_ms   {bigint},
    PRIMARY KEY (project_id, job_id)
);
CREATE INDEX IF NOT EXISTS {table}_created ON {table} (project_id, created_ms);
"""
_DDL = (
    _RECORDS_DDL.replace("{table}", "jobs")
    + _RECORDS_DDL.replace("{table}", "tasks")
    + """
CREATE TABLE IF NOT EXISTS syncs (
    project_id   {key} NOT NULL,
    region       TEXT,
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    listed       INTEGER NOT NULL,
    fetched      INTEGER NOT NULL,
    calls        INTEGER NOT NULL,
    account      TEXT
);
CREATE TABLE IF NOT EXISTS meta (
    key   {key} PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    project_id  {key} PRIMARY KEY,
    holder      TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  {real} NOT NULL
);
"""
)
#: The column types of :data:`_DDL` per backend (PostgreSQL keys sort bytewise, as in SQLite).
_SQLITE_TYPES = {"key": "TEXT", "bigint": "INTEGER", "blob": "BLOB", "real": "REAL"}


def _ddl_statements(types: dict[str, str]) -> list[str]:
    """:data:`_DDL` for one backend, one statement each."""
    text = _DDL
    for name, sql_type in types.items():
        text = text.replace("{" + name + "}", sql_type)
    return [s.strip() for s in text.split(";") if s.strip()]


#: The archive layout this version writes; older archives are upgraded on open, newer
#: ones refused (never silently misread).
SCHEMA_VERSION = 3
#: Records read and written at a time by the layout-3 upgrade (:func:`_fill_ended_ms`).
UPGRADE_CHUNK = 5_000
#: Columns added since version 1, per table: (name, SQL type; ``{bigint}`` per backend).
#: Version 3 adds ``ended_ms`` (the record's end time, epoch ms): with a job's per-job
#: ``ended`` and its task-list ``end_time`` side by side, :data:`END_TIME_VIEW` gives
#: their difference.
_ADDED_COLUMNS = (
    ("jobs", "account", "TEXT"),
    ("tasks", "account", "TEXT"),
    ("syncs", "account", "TEXT"),
    ("jobs", "expired_at", "TEXT"),
    ("tasks", "expired_at", "TEXT"),
    ("jobs", "ended_ms", "{bigint}"),
    ("tasks", "ended_ms", "{bigint}"),
)
#: The view of every job with both a per-job ``ended`` and a task-list ``end_time``:
#: ``project_id, job_id, job_ended_ms, task_ended_ms, difference_ms`` (task minus job).
END_TIME_VIEW = "end_time_check"
_END_TIME_VIEW_SQL = (
    f"{END_TIME_VIEW} AS SELECT j.project_id AS project_id, j.job_id AS job_id,"
    " j.ended_ms AS job_ended_ms, t.ended_ms AS task_ended_ms,"
    " t.ended_ms - j.ended_ms AS difference_ms"
    " FROM jobs AS j JOIN tasks AS t ON t.project_id = j.project_id AND t.job_id = j.job_id"
    " WHERE j.ended_ms IS NOT NULL AND t.ended_ms IS NOT NULL"
)


_SYNC_COLUMNS = (
    "project_id, region, window_start, window_end, finished_at, listed, fetched, calls, account"
)

_UPSERT = """INSERT INTO {table}
     (project_id, job_id, region, status, terminal, created_ms, fetched_at, raw, account,
      ended_ms)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (project_id, job_id) DO UPDATE SET
     region=excluded.region, account=coalesce(excluded.account, {table}.account),
     status=excluded.status, terminal=excluded.terminal,
     created_ms=excluded.created_ms, fetched_at=excluded.fetched_at, raw=excluded.raw,
     ended_ms=excluded.ended_ms
   WHERE NOT ({table}.terminal = 1 AND excluded.terminal = 0)"""


def _epoch_ms_or_none(value: Any) -> int | None:
    """A raw time as epoch ms, None when missing or unreadable (as ``created_ms``)."""
    if not value:
        return None
    try:
        return to_epoch_ms(value)
    except (ValueError, TypeError):
        return None


def _row(
    response: dict[str, Any] | bytes,
    project_id: str,
    region: str | None,
    fetched_at: datetime | None,
    account: str | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """(table, row values) of one raw response; InvalidRecordError when it is no job."""
    try:
        raw = response if isinstance(response, bytes) else encode_record(response)
        row = parse_job(raw)
    except InvalidRecordError as exc:
        raise InvalidRecordError(-1, f"not archived: {exc.reason}") from exc
    created_ms = _epoch_ms_or_none(row.created)
    fetched = (fetched_at or datetime.now(UTC)).isoformat()
    terminal = int(row.status in TERMINAL_STATUSES)
    table = "tasks" if row.source == "task" else "jobs"
    values = (
        project_id,
        row.job_id,
        region,
        row.status,
        terminal,
        created_ms,
        fetched,
        raw,
        account,
        _epoch_ms_or_none(row.ended),
    )
    return table, values


def _sent_id(record: Any) -> str | None:
    """The ID a task-list record carries, as sent (``id``, else a sibling's ``job_id``)."""
    if isinstance(record, dict):
        keys = {str(k).strip(): v for k, v in record.items()}
        for key in ("id", "job_id"):
            if isinstance(keys.get(key), str | int) and str(keys[key]).strip():
                return str(keys[key]).strip()
    return None


def _task_problem(record: Any, reason: str | None) -> str:
    """Why a task-list record cannot be archived, in the task list's terms."""
    keys = {str(k).strip() for k in record} if isinstance(record, dict) else set()
    if isinstance(record, dict) and "id" not in keys and "job" not in keys:
        sibling = " (it has 'job_id': another service's shape)" if "job_id" in keys else ""
        return f"no 'id'{sibling}"
    if reason is None:  # read as a per-job response: no task-list field is set
        return "no task-list fields besides id/name/status (create_time is null)"
    return reason.removeprefix("not archived: ")


def _fill_ended_ms(store: Any, db: Any) -> None:
    """Upgrade to layout 3: each archived record's end time into ``ended_ms``, read in
    chunks of :data:`UPGRADE_CHUNK` rows (in key order, from where the last one ended)
    and written with one statement a chunk: memory and round trips stay bounded."""
    for table in ("jobs", "tasks"):
        after: tuple[str, str] = ("", "")
        while True:
            rows = store.bulk_rows(
                db,
                f"SELECT project_id, job_id, raw FROM {table} WHERE ended_ms IS NULL"
                " AND (project_id > ? OR (project_id = ? AND job_id > ?))"
                f" ORDER BY project_id, job_id LIMIT {UPGRADE_CHUNK}",
                (after[0], after[0], after[1]),
            )
            if not rows:
                break
            after = (rows[-1][0], rows[-1][1])
            ends: list[Any] = []
            for project_id, job_id, raw in rows:
                try:
                    ended = _epoch_ms_or_none(parse_job(bytes(raw)).ended)
                except InvalidRecordError:
                    continue
                if ended is not None:
                    ends += (project_id, job_id, ended)
            del rows
            if ends:
                values = ", ".join(["(?, ?, ?)"] * (len(ends) // 3))
                db.execute(
                    f"UPDATE {table} SET ended_ms = CAST(v.column3 AS BIGINT)"
                    f" FROM (VALUES {values}) AS v"
                    f" WHERE {table}.project_id = v.column1 AND {table}.job_id = v.column2",
                    ends,
                )


def _merge(jobs: pd.DataFrame, tasks: pd.DataFrame) -> pd.DataFrame:
    """Per-job rows completed from their task-list records, plus the task-only rows."""
    key_j = jobs["project_id"].astype(str) + "/" + jobs["job_id"].astype(str)
    key_t = tasks["project_id"].astype(str) + "/" + tasks["job_id"].astype(str)
    cols = {c: jobs[c].to_numpy(dtype=object, copy=True) for c in jobs.columns}
    both = key_j.isin(key_t).to_numpy()
    if both.any():
        t = tasks.set_index(key_t).loc[key_j[both]]
        rows = np.flatnonzero(both)
        for c in ("instance_status", "order_id"):
            cols[c][rows] = t[c].astype(object).to_numpy()
        newer = (
            ~jobs["status"].iloc[rows].isin(TERMINAL_STATUSES).to_numpy()
            & t["status"].isin(TERMINAL_STATUSES).to_numpy()
        )
        now = rows[newer]
        for c in ("status", "progress_pct", "fail_reason"):
            cols[c][now] = t[c].astype(object).to_numpy()[newer]
        no_end = pd.isna(cols["ended"][now])
        cols["ended"][now[no_end]] = t["ended"].astype(object).to_numpy()[newer][no_end]
    merged = pd.DataFrame(cols)
    rest = tasks[~key_t.isin(key_j).to_numpy()].astype(object)
    merged = pd.concat([merged, rest], ignore_index=True)
    merged = merged.sort_values(
        list(JOB_ORDER), na_position="first", kind="stable", ignore_index=True
    )
    return _retype(merged)


def _retype(df: pd.DataFrame) -> pd.DataFrame:
    """An object-typed job frame back to the schema (derived columns recomputed)."""
    data: dict[str, Any] = {}
    for name, dtype in JOB_SCHEMA.items():
        col = df[name]
        if name in ("created", "ended"):
            data[name] = pd.to_datetime(col, utc=True).dt.as_unit("ns")
        elif dtype == CATEGORY and name != "source":
            data[name] = pd.Categorical(col.where(col.notna(), None))
        elif dtype == OBJECT:
            data[name] = col.where(col.notna(), None).to_numpy(dtype=object)
        else:
            data[name] = col.astype(dtype)
    return _finish(data)


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _check_archive_path(path: str | Path, *, create: bool) -> None:
    """ConfigError naming ``path`` unless it is one of our archives (or, with ``create``,
    nothing yet); see :meth:`JobArchive.open`. Reads only: never creates a file."""
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


#: URL schemes :class:`JobArchive` takes as a PostgreSQL server.
_PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def _url_scheme(location: str | Path) -> str | None:
    """The scheme of a ``scheme://...`` archive location (lower case), or None for a path.

    Examples
    --------
    >>> _url_scheme("postgresql://u:p@h/db"), _url_scheme("jobs.sqlite"), _url_scheme("C:/x")
    ('postgresql', None, None)
    """
    if isinstance(location, Path):
        return None
    head, sep, _ = str(location).partition("://")
    if not sep or not head or not all(c.isalnum() or c in "+-." for c in head):
        return None
    return head.lower()


class UrlParts(NamedTuple):
    """A database URL cut where the host is: ``scheme://[userinfo@]where[tail]``."""

    scheme: str
    userinfo: str | None  # ``user[:password]`` as written (None without an ``@``)
    where: str  # ``host[:port][/database]``
    tail: str  # ``?query`` / ``#fragment`` with its separator, or ""

    @property
    def password(self) -> str | None:
        """The password as written (everything after the user's ``:``), if any."""
        if self.userinfo is None or ":" not in self.userinfo:
            return None
        return self.userinfo.split(":", 1)[1]


_QUERY_START = re.compile(r"[A-Za-z_][\w.-]*=")  # a libpq option: key=value


def _url_parts(url: str) -> UrlParts | None:
    """The one rule for where a database URL's host is (None: not ``scheme://...``).

    A password may hold an unescaped ``@ ? # / :`` and a query may hold an ``@``
    (``application_name=etl@host1``): the host follows the first ``@`` after which a
    plain ``host:port/database`` (no ``@``) runs to the end or to a query/fragment
    whose first item is ``key=value``; without one, the last ``@``. Masking, escaping
    for the driver and scrubbing messages all read the URL this way.

    Examples
    --------
    >>> _url_parts("postgresql://bob:p@ss@db/jobs?application_name=etl@host1")
    UrlParts(scheme='postgresql', userinfo='bob:p@ss', where='db/jobs', tail='?application_name=etl@host1')
    >>> _url_parts("postgresql://bob:a@b?c@db:5432/jobs").password
    'a@b?c'
    >>> _url_parts("postgresql://db/jobs#x"), _url_parts("jobs.sqlite")
    (UrlParts(scheme='postgresql', userinfo=None, where='db/jobs', tail='#x'), None)
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    ats = [i for i, c in enumerate(rest) if c == "@"]
    for at in ats:
        after = rest[at + 1 :]
        cut = min((i for i in (after.find("?"), after.find("#")) if i >= 0), default=len(after))
        where, tail = after[:cut], after[cut:]
        if "@" not in where and (not tail or _QUERY_START.match(tail, 1)):
            return UrlParts(scheme, rest[:at], where, tail)
    if ats:  # nothing reads cleanly: the host is after the last '@'
        return UrlParts(scheme, rest[: ats[-1]], rest[ats[-1] + 1 :], "")
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return UrlParts(scheme, None, rest[:cut], rest[cut:])


def _masked(location: str) -> str:
    """A database URL as shown anywhere: its password replaced by ``***`` (all of it, as
    :func:`_url_parts` finds it, so an unescaped ``@ ? # /`` in the password cannot leak
    a piece of it).

    Examples
    --------
    >>> _masked("postgresql://alice:s3cr@t/x@db:5432/jobs")
    'postgresql://alice:***@db:5432/jobs'
    >>> _masked("postgresql://alice@db/jobs"), _masked("jobs.sqlite")
    ('postgresql://alice@db/jobs', 'jobs.sqlite')
    >>> _masked("postgresql://alice@db/jobs?sslmode=require&password=s3cret")
    'postgresql://alice@db/jobs?sslmode=require&password=***'
    """
    parts = _url_parts(location)
    if parts is None:
        return location
    tail = re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", parts.tail)  # libpq takes it there too
    creds = parts.userinfo
    if creds is not None and parts.password is not None:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{parts.scheme}://{'' if creds is None else creds + '@'}{parts.where}{tail}"


class _SqliteStore:
    """The embedded backend: one ``sqlite3`` connection (WAL), serialized by a lock."""

    kind = "sqlite"
    types = _SQLITE_TYPES

    def __init__(self, path: str) -> None:
        self.shown = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self.closed = False

    @contextmanager
    def begin(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction (committed at the end of the block, rolled back on error);
        ``immediate`` takes the write lock at once (read-then-write)."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield self.db
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def bulk_rows(self, db: Any, sql: str, args: Any = ()) -> list[Any]:
        """All rows of a large read."""
        return db.execute(sql, args).fetchall()

    def serialize(self, db: Any, key: str) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already excludes every other writer."""

    def columns(self, db: Any, table: str) -> set[str]:
        return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}

    def has_archive(self) -> bool:
        with self.lock:
            rows = self.db.execute("SELECT name FROM sqlite_master WHERE name='jobs'")
            return rows.fetchone() is not None

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.db.close()


class JobArchive:
    """Store of raw responses keyed by (project, job id): a SQLite file, or a shared
    PostgreSQL database.

    Parameters
    ----------
    path : str or Path
        Database file (created with its folder); ``":memory:"`` for tests; or a
        ``postgresql://user:password@host:port/database`` URL (the database must exist;
        the package creates its tables; needs the ``postgres`` extra). Any other
        ``scheme://`` is refused with :class:`~rds_job_analytics.ConfigError`.

    Attributes
    ----------
    path : str
        The file, or the URL with its password masked (``postgresql://u:***@h/db``).
    backend : str
        ``"sqlite"`` or ``"postgresql"``.

    Raises
    ------
    ArchiveUnavailable
        The database server is down or refuses the login (named, password masked).

    Examples
    --------
    >>> arc = JobArchive(":memory:")
    >>> arc.put({"job": {"id": "a", "status": "Running"}}, project_id="p")
    True
    >>> arc.put({"job": {"id": "a", "status": "Completed"}}, project_id="p")
    True
    >>> arc.put({"job": {"id": "a", "status": "Running"}}, project_id="p")  # never downgraded
    False
    >>> JobArchive("mysql://u:secret@db/jobs")
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: unsupported archive URL 'mysql://u:***@db/jobs': use a file path or postgresql://user:password@host:port/database
    """

    def __init__(self, path: str | Path) -> None:
        path = expand_path(path)  # ~ and $VARS, as every path argument (never in a URL)
        scheme = _url_scheme(path)
        self._store: Any
        if scheme is None:
            self._store = _SqliteStore(str(path))
            self._db = self._store.db  # the raw connection (tests poke at it)
        elif scheme in _PG_SCHEMES:
            from ._postgres import PgStore

            self._store = PgStore(str(path))
        else:
            raise ConfigError(
                f"unsupported archive URL {_masked(str(path))!r}: use a file path or "
                "postgresql://user:password@host:port/database"
            )
        self.path: str = self._store.shown
        self.backend: str = self._store.kind
        #: Rows this handle has committed (what a lost database still holds of this run).
        self.committed = 0
        self._migrate()

    def _migrate(self) -> None:
        """Create the tables, or bring an older archive's up to :data:`SCHEMA_VERSION`;
        refuse one written by a newer version."""
        store = self._store
        try:
            with store.begin(immediate=True) as db:
                store.serialize(db, "rds-jobs layout")  # one creator/upgrader at a time
                for statement in _ddl_statements(store.types):  # idempotent: IF NOT EXISTS
                    db.execute(statement)
                row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
                version = int(row[0]) if row else 1
                if version > SCHEMA_VERSION:
                    raise ConfigError(
                        f"archive {self.path!r} was written by a newer rds_job_analytics "
                        f"(layout {version}; this version reads up to {SCHEMA_VERSION}): upgrade"
                    )
                for table, column, sql_type in _ADDED_COLUMNS:
                    if column not in store.columns(db, table):
                        sql_type = sql_type.replace("{bigint}", store.types["bigint"])
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")
                if version < 3:  # the end times of the records archived before
                    _fill_ended_ms(store, db)
                replace = "OR REPLACE VIEW" if store.kind == "postgresql" else "VIEW IF NOT EXISTS"
                db.execute(f"CREATE {replace} {_END_TIME_VIEW_SQL}")
                db.execute(
                    "INSERT INTO meta VALUES ('version', ?) ON CONFLICT (key) DO UPDATE SET"
                    " value = excluded.value",
                    (str(SCHEMA_VERSION),),
                )
        except BaseException:
            store.close()
            raise

    @property
    def version(self) -> int:
        """The archive's layout version (:data:`SCHEMA_VERSION` once opened)."""
        with self._store.begin() as db:
            return int(db.execute("SELECT value FROM meta WHERE key='version'").fetchone()[0])

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return bool(self._store.closed)

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> JobArchive:
        """An archive at ``path`` that is one of ours; nothing is created unless ``create``.

        The constructor creates whatever it is given; this checks first. A path that exists
        must be a file in SQLite format holding this package's ``jobs`` table (an older
        archive gains the newer tables when opened). A missing path is refused, or, with
        ``create=True``, becomes a new archive; so is an empty file then. A
        ``postgresql://`` URL must name a database that is up and accepts the login;
        without ``create`` it must already hold the archive's tables (``create`` makes
        them, never the database itself).

        Parameters
        ----------
        path : str or Path
            The archive file, or a ``postgresql://user:password@host:port/db`` URL.
        create : bool
            Make a new archive when there is none (``sync``, ``fetch``); default False
            (reading: ``report``, ``export``).

        Raises
        ------
        ConfigError
            Naming the path: missing (without ``create``), a folder, an empty file (without
            ``create``), not SQLite, or SQLite without a ``jobs`` table; a URL of another
            scheme; a PostgreSQL database without the archive (without ``create``).
        ArchiveUnavailable
            The PostgreSQL server is down or refuses the login (its host named, never the
            password): before any API call.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     try:
        ...         JobArchive.open(Path(folder) / "typo.sqlite")
        ...     except ConfigError as exc:
        ...         print(exc)
        ...     print(list(Path(folder).iterdir()))  # nothing created
        ...     JobArchive.open(Path(folder) / "new.sqlite", create=True).close()
        ...     JobArchive.open(Path(folder) / "new.sqlite")
        no archive at '.../typo.sqlite': the file does not exist
        []
        JobArchive('.../new.sqlite')
        """
        path = expand_path(path)
        scheme = _url_scheme(path)
        if scheme is None:
            _check_archive_path(path, create=create)
        elif scheme in _PG_SCHEMES and not create:
            from ._postgres import PgStore

            probe = PgStore(str(path))
            try:
                if not probe.has_archive():
                    raise ConfigError(
                        f"no archive in the database {probe.shown!r}: it has no jobs table "
                        "(sync or fetch create one)"
                    )
            finally:
                probe.close()
        return cls(path)

    def __repr__(self) -> str:
        return f"JobArchive({self.path!r})"

    def close(self) -> None:
        """Close the database."""
        self._store.close()

    def __enter__(self) -> JobArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """A write that finds the database gone says what this handle committed before."""
        try:
            yield
        except ArchiveUnavailable as exc:
            raise ArchiveUnavailable(
                f"{exc}; {self.committed} response(s) committed before by this run are kept",
                where=exc.where,
            ) from None

    def export_dataset(self, path: str | Path, **kwargs: Any) -> Any:
        """Write the archive as a hive-partitioned Parquet dataset: see
        :func:`rds_job_analytics.export._dataset.export_dataset` (``kwargs`` go there)."""
        from ..export._dataset import export_dataset

        return export_dataset(self, path, **kwargs)

    def put(
        self,
        response: dict[str, Any] | bytes,
        *,
        project_id: str,
        region: str | None = None,
        fetched_at: datetime | None = None,
        account: str | None = None,
    ) -> bool:
        """Store one raw response (committed at once); False when an older state was refused.

        A task-list record is stored as one (see :meth:`put_tasks`). Raises
        :class:`InvalidRecordError` for a response that is not a job.
        """
        table, values = _row(response, project_id, region, fetched_at, account)
        with self._writing(), self._store.begin() as db:
            stored = db.execute(_UPSERT.format(table=table), values).rowcount > 0
        self.committed += 1
        return stored

    def put_tasks(
        self,
        records: Iterable[dict[str, Any] | bytes],
        *,
        project_id: str,
        region: str | None = None,
        fetched_at: datetime | None = None,
        account: str | None = None,
    ) -> int:
        """Store one page of task-list records in one transaction; returns how many rows were
        written (a record that would downgrade a terminal status is not).

        Task-list records live apart from per-job responses: they never overwrite a job's
        entities, and :meth:`to_frame` merges the two (see there). Records that are not
        task-list records (no ``id``, e.g. a sibling service's ``job_id``; or nothing but
        ``id``/``name``/``status``, with no creation time) are refused with
        :class:`~rds_job_analytics.RecordsRejected` (an :class:`InvalidRecordError`)
        naming each one's position, ID and reason, after the valid ones are committed.

        Examples
        --------
        >>> arc = JobArchive(":memory:")
        >>> arc.put_tasks([{"id": "t1", "status": "Running", "create_time": "2026-10-01T00:00:00Z"}],
        ...               project_id="p")
        1
        >>> arc.to_frame()[["job_id", "status", "source"]].values.tolist()
        [['t1', 'Running', 'task']]
        """
        rows: list[tuple[Any, ...]] = []
        bad: list[tuple[int, str | None, str]] = []
        for pos, rec in enumerate(records):
            try:
                table, values = _row(rec, project_id, region, fetched_at, account)
            except InvalidRecordError as exc:
                bad.append((pos, _sent_id(rec), _task_problem(rec, exc.reason)))
                continue
            if table != "tasks":
                bad.append((pos, values[1], _task_problem(rec, None)))
                continue
            rows.append(values)
        stored = 0
        with self._writing(), self._store.begin() as db:  # the page in one transaction
            for values in rows:
                stored += db.execute(_UPSERT.format(table="tasks"), values).rowcount
        self.committed += len(rows)
        if bad:
            raise RecordsRejected(bad, stored=stored)
        return stored

    def statuses(
        self, project_id: str, job_ids: Iterable[str] | None = None, *, detail: bool = False
    ) -> dict[str, str]:
        """Archived ``job_id -> status`` for a project (all, or just ``job_ids``).

        The most final status known from per-job responses and task-list records; with
        ``detail=True``, from per-job responses only (the jobs whose entities are known).
        """
        sql = "SELECT job_id, status, terminal, 1 AS detail FROM jobs WHERE project_id = ?"
        args: tuple[str, ...] = (project_id,)
        if not detail:
            sql += " UNION ALL SELECT job_id, status, terminal, 0 FROM tasks WHERE project_id = ?"
            args += (project_id,)
        with self._store.begin() as db:
            rows = db.execute(  # the last row per job wins: terminal, then per-job
                f"SELECT job_id, status FROM ({sql}) AS s ORDER BY terminal, detail", args
            ).fetchall()
        out = {j: (s or "") for j, s in rows}
        if job_ids is not None:
            wanted = set(job_ids)
            out = {k: v for k, v in out.items() if k in wanted}
        return out

    def mark_expired(
        self, project_id: str, job_ids: Iterable[str], *, when: datetime | None = None
    ) -> int:
        """Record that archived jobs not yet Completed or Failed have aged out of the API
        (it answers "not found" for them): later syncs stop asking, and nothing pretends
        they finished. Returns how many jobs were newly marked.

        Examples
        --------
        >>> arc = JobArchive(":memory:")
        >>> arc.put({"job": {"id": "j1", "status": "Running"}}, project_id="p")
        True
        >>> arc.mark_expired("p", ["j1", "unknown"], when=datetime(2026, 11, 30, tzinfo=UTC))
        1
        >>> arc.expired("p")
        {'j1': Timestamp('2026-11-30 00:00:00+0000', tz='UTC')}
        """
        ids = list(dict.fromkeys(job_ids))
        stamp = to_utc(when or datetime.now(UTC)).isoformat()
        marked = 0
        with self._store.begin() as db:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                q = ",".join("?" * len(chunk))
                for table in ("jobs", "tasks"):
                    marked += db.execute(
                        f"UPDATE {table} SET expired_at = ? WHERE project_id = ? AND terminal = 0"
                        f" AND expired_at IS NULL AND job_id IN ({q})",
                        (stamp, project_id, *chunk),
                    ).rowcount
        return marked

    def expired(self, project_id: str) -> dict[str, pd.Timestamp]:
        """``job_id -> when`` of the project's jobs marked by :meth:`mark_expired` (a job
        that finished later, in a newer record, is no longer expired)."""
        with self._store.begin() as db:
            rows = db.execute(
                "SELECT job_id, min(expired_at) FROM (SELECT job_id, expired_at, terminal FROM"
                " jobs WHERE project_id = ? UNION ALL SELECT job_id, expired_at, terminal FROM"
                " tasks WHERE project_id = ?) AS r GROUP BY job_id"
                " HAVING max(terminal) = 0 AND count(expired_at) > 0",
                (project_id, project_id),
            ).fetchall()
        return {j: to_utc(w) for j, w in rows}

    def raw(self, project_id: str, job_ids: Iterable[str]) -> dict[str, bytes]:
        """Archived raw responses for some IDs of a project."""
        ids = list(job_ids)
        out: dict[str, bytes] = {}
        with self._store.begin() as db:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                q = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT job_id, raw FROM jobs WHERE project_id = ? AND job_id IN ({q})",
                    (project_id, *chunk),
                ).fetchall()
                out.update({j: bytes(r) for j, r in rows})
        return out

    def end_time_differences(self, project_id: str | None = None) -> pd.DataFrame:
        """Every archived job with both a per-job ``ended`` and a task-list ``end_time``,
        and how far apart they are: what the durations of task-only rows rest on.

        The SDK documents the task list's ``end_time`` as the *planned* end, and most rows
        of a ``details="auto"`` sync come from the task list alone; the jobs that have both
        records measure how far a task-list end can be trusted (the report's data-quality
        section summarises it). Read from the archive's ``end_time_check`` view
        (:data:`END_TIME_VIEW`), kept current by every write.

        Parameters
        ----------
        project_id : str, optional
            One project; default all.

        Returns
        -------
        pandas.DataFrame
            ``project_id``, ``job_id``, ``job_ended``, ``task_ended`` (UTC) and
            ``difference_s`` (task minus per-job, seconds), one row per job.

        Examples
        --------
        >>> arc = JobArchive(":memory:")
        >>> arc.put({"job": {"id": "j1", "status": "Completed", "created": "2026-11-01T08:00:00Z",
        ...                  "ended": "2026-11-01T08:10:00Z"}}, project_id="p")
        True
        >>> arc.put_tasks([{"id": "j1", "status": "Completed", "create_time": "2026-11-01T08:00:00Z",
        ...                 "end_time": "2026-11-01T08:12:00Z"}], project_id="p")
        1
        >>> arc.end_time_differences()[["job_id", "difference_s"]].values.tolist()
        [['j1', 120.0]]
        """
        sql = (f"SELECT project_id, job_id, job_ended_ms, task_ended_ms, difference_ms"
               f" FROM {END_TIME_VIEW}")  # fmt: skip
        args: list[Any] = []
        if project_id is not None:
            sql += " WHERE project_id = ?"
            args.append(project_id)
        with self._store.begin() as db:
            rows = self._store.bulk_rows(db, sql + " ORDER BY project_id, job_id", args)
        df = pd.DataFrame(
            [tuple(r) for r in rows],
            columns=["project_id", "job_id", "job_ended", "task_ended", "difference_s"],
        )
        for c in ("job_ended", "task_ended"):
            df[c] = pd.to_datetime(df[c].astype("int64"), unit="ms", utc=True)
        df["difference_s"] = df["difference_s"].astype("float64") / 1000.0
        return df

    def __len__(self) -> int:
        """Jobs archived, known from a per-job response, the task list or both."""
        with self._store.begin() as db:
            return int(
                db.execute(
                    "SELECT count(*) FROM (SELECT project_id, job_id FROM jobs"
                    " UNION SELECT project_id, job_id FROM tasks) AS k"
                ).fetchone()[0]
            )

    def to_frame(
        self,
        start: Any = None,
        end: Any = None,
        *,
        project_id: str | None = None,
    ) -> pd.DataFrame:
        """The normalized frame of archived jobs created in ``[start, end)``, one row per job
        with the richest data known.

        A job with a per-job response is that row (``source="job"``, entities known),
        completed from its task-list record: ``instance_status`` and ``order_id``, and,
        when the task list saw the job finish after the per-job call, the terminal status,
        the progress and (where the per-job response has none) the end time. The task list
        documents ``end_time`` as the planned end, so a per-job ``ended`` always wins. A
        job known only from the task list is its task-list row (``source="task"``).
        The origin columns ``account``, ``project_id`` and ``region`` say where each row
        came from (one archive may hold a whole fleet). Naive datetimes are taken as UTC.

        Examples
        --------
        >>> JobArchive(":memory:").to_frame().columns[-3:].tolist()
        ['account', 'project_id', 'region']
        """
        return self._joined(start, end, project_id)

    def _joined(
        self, start: Any, end: Any, project_id: str | None, fetched_since: str | None = None
    ) -> pd.DataFrame:
        """:meth:`to_frame`; ``fetched_since``: only the jobs with a record (in either
        table) fetched after it, both their records (what an open table's run merges)."""
        jobs = self._frame("jobs", start, end, project_id, fetched_since)
        tasks = self._frame("tasks", start, end, project_id, fetched_since)
        if tasks.empty:
            return jobs
        if jobs.empty:
            return tasks
        return _merge(jobs, tasks)

    def _frame(
        self,
        table: str,
        start: Any,
        end: Any,
        project_id: str | None,
        fetched_since: str | None = None,
    ) -> pd.DataFrame:
        sql = f"SELECT project_id, region, raw, account FROM {table} WHERE 1=1"
        args: list[Any] = []
        if fetched_since is not None:
            sql += (
                " AND (project_id, job_id) IN (SELECT project_id, job_id FROM jobs"
                " WHERE fetched_at > ? UNION SELECT project_id, job_id FROM tasks"
                " WHERE fetched_at > ?)"
            )
            args += [fetched_since, fetched_since]
        if project_id is not None:
            sql += " AND project_id = ?"
            args.append(project_id)
        if start is not None:
            sql += " AND created_ms >= ?"
            args.append(to_epoch_ms(start))
        if end is not None:
            sql += " AND created_ms < ?"
            args.append(to_epoch_ms(end))
        sql += " ORDER BY created_ms NULLS FIRST, project_id, job_id"  # JOB_ORDER
        with self._store.begin() as db:
            rows = self._store.bulk_rows(db, sql, args)
        if not rows:
            return empty_jobs_frame()
        df = normalize_jobs([bytes(r[2]) for r in rows], errors="warn")
        skipped = {s["position"] for s in df.attrs.get("skipped_records", ())}
        kept = [r for pos, r in enumerate(rows) if pos not in skipped]
        for name, col in (("account", 3), ("project_id", 0), ("region", 1)):
            df[name] = pd.Categorical([r[col] for r in kept])
        return df

    # -- sync bookkeeping -----------------------------------------------------------
    def record_sync(
        self,
        project_id: str,
        region: str | None,
        window_start: datetime,
        window_end: datetime,
        *,
        listed: int,
        fetched: int,
        calls: int,
        account: str | None = None,
    ) -> None:
        """Remember a sync window: the stretch of creation times the task list answered for.

        A sync whose listing stopped early records only the part it listed (a partial
        window); several windows per project are fine: :meth:`coverage` merges them.

        Parameters
        ----------
        project_id, region : str
            Whose jobs were listed.
        window_start, window_end : datetime
            The window (naive = UTC); stored in UTC. An empty window (start = end)
            covers nothing but keeps the run's counts.
        listed, fetched, calls : int
            Jobs listed, jobs fetched or refreshed, API calls spent.
        account : str, optional
            The fleet account the project was synced with.

        Raises
        ------
        ConfigError
            When ``window_end`` is before ``window_start``.

        Examples
        --------
        >>> arc = JobArchive(":memory:")
        >>> arc.record_sync("p", None, datetime(2026, 11, 1), datetime(2026, 11, 2),
        ...                 listed=3, fetched=3, calls=4)
        >>> arc.syncs("p")[["window_start", "window_end"]].iloc[0].tolist()
        [Timestamp('2026-11-01 00:00:00+0000', tz='UTC'), Timestamp('2026-11-02 00:00:00+0000', tz='UTC')]
        """
        start, end = to_utc(window_start), to_utc(window_end)
        if end < start:
            raise ConfigError(f"sync window ends before it starts: {start} .. {end}")
        with self._store.begin() as db:
            db.execute(
                "INSERT INTO syncs (project_id, region, window_start, window_end, finished_at,"
                " listed, fetched, calls, account) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (project_id, region, start.isoformat(), end.isoformat(),
                 datetime.now(UTC).isoformat(), listed, fetched, calls, account),
            )  # fmt: skip

    def syncs(self, project_id: str | None = None) -> pd.DataFrame:
        """Recorded sync windows as recorded, one row per run (tz-aware UTC).

        :meth:`coverage` merges them and finds the gaps.

        Examples
        --------
        >>> JobArchive(":memory:").syncs().columns.tolist()[:4]
        ['project_id', 'region', 'window_start', 'window_end']
        """
        sql, args = f"SELECT {_SYNC_COLUMNS} FROM syncs", []
        if project_id is not None:
            sql += " WHERE project_id = ?"
            args.append(project_id)
        with self._store.begin() as db:
            rows = db.execute(sql + " ORDER BY window_start", args).fetchall()
        df = pd.DataFrame(rows, columns=_SYNC_COLUMNS.split(", "))
        for c in ("window_start", "window_end", "finished_at"):
            df[c] = pd.to_datetime(df[c], utc=True, format="ISO8601")
        return df.sort_values(["window_start", "window_end"], ignore_index=True)

    def last_sync_end(self, project_id: str) -> datetime | None:
        """End of the latest recorded sync window of a project (tz-aware UTC), or None.

        Examples
        --------
        >>> arc = JobArchive(":memory:")
        >>> arc.record_sync("p", None, datetime(2026, 11, 1), datetime(2026, 11, 2),
        ...                 listed=0, fetched=0, calls=1)
        >>> arc.last_sync_end("p").isoformat(), arc.last_sync_end("other")
        ('2026-11-02T00:00:00+00:00', None)
        """
        with self._store.begin() as db:
            rows = db.execute(
                "SELECT window_end FROM syncs WHERE project_id = ?", (project_id,)
            ).fetchall()
        ends = [to_utc(r[0]) for r in rows if r[0]]
        return max(ends).to_pydatetime() if ends else None

    # -- leases: one sync per project at a time ---------------------------------------
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
                left = expires - time.time()  # a holder renews every ttl / 3
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
            now = time.time()
            if row is not None and row[4] > now and not _dead(row[1], row[2]):
                return f"{row[1]} (pid {row[2]})", row[3], float(row[4])
            db.execute(
                "INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id)"
                " DO UPDATE SET holder=excluded.holder, host=excluded.host,"
                " pid=excluded.pid, acquired_at=excluded.acquired_at,"
                " expires_at=excluded.expires_at",
                (project_id, holder, host, pid, datetime.now(UTC).isoformat(), now + ttl),
            )
            return None

    def _renew(self, project_id: str, holder: str, ttl: float) -> bool:
        with self._store.begin() as db:
            cur = db.execute(
                "UPDATE leases SET expires_at = ? WHERE project_id = ? AND holder = ?",
                (time.time() + ttl, project_id, holder),
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

    def coverage(
        self, project_id: str, *, now: Any = None, horizon_days: float = API_HORIZON_DAYS
    ) -> Coverage:
        """The recorded sync windows of a project, merged, and the gaps in the API's horizon.

        The API lists only jobs of the last ``horizon_days``: a gap there can still be
        filled by a sync; once its older edge leaves the horizon, the jobs created there
        are lost unless they were archived. A gap is a stretch of
        ``[now - horizon_days, now]`` that no recorded sync window covers and that lies
        before the end of the latest one. What lies after that end is never a gap: it is
        :attr:`Coverage.pending`, "not synced yet", what the next sync lists (a project
        never synced has no end: its whole horizon is one gap). This is the one rule for
        gaps: ``rds-jobs sync``, :func:`~rds_job_analytics.sync_fleet`'s ``gaps`` column
        and this method all count :attr:`Coverage.gaps`.

        Parameters
        ----------
        project_id : str
            The project.
        now : datetime or str, optional
            The end of the horizon (naive = UTC); default the current time.
        horizon_days : float
            How far back the API answers (30 for the RDS task center).

        Returns
        -------
        Coverage
            ``windows`` (merged, oldest first, also those older than the horizon),
            ``gaps`` (inside the horizon), ``pending`` (since the latest window's end),
            ``lost`` (from the latest window's end to the horizon's start, when that
            end is older than the horizon), ``horizon_start``, ``horizon_end``.

        Raises
        ------
        ConfigError
            When ``horizon_days`` is not positive.

        Examples
        --------
        Two partial windows and a later run leave one gap in the horizon:

        >>> arc = JobArchive(":memory:")
        >>> for start, end in [("2026-10-20", "2026-11-05"), ("2026-11-03", "2026-11-10"),
        ...                    ("2026-11-20", "2026-11-30")]:
        ...     arc.record_sync("p", None, start, end, listed=0, fetched=0, calls=1)
        >>> cov = arc.coverage("p", now="2026-11-30")
        >>> [str(w) for w in cov.windows]
        ['2026-10-20 00:00 .. 2026-11-10 00:00 UTC', '2026-11-20 00:00 .. 2026-11-30 00:00 UTC']
        >>> print(cov)
        coverage of the API's 30-day horizon 2026-10-31 00:00 .. 2026-11-30 00:00 UTC: 1 gap(s)
        gap 2026-11-10 00:00 .. 2026-11-20 00:00 UTC (10.0 days) not synced; lost from 2026-12-10 00:00 UTC

        An hour later the time since the last sync is not synced yet, not a gap:

        >>> later = arc.coverage("p", now="2026-11-30 01:00")
        >>> len(later.gaps), str(later.pending)
        (1, '2026-11-30 00:00 .. 2026-11-30 01:00 UTC')

        Abandoned for longer than the horizon: the jobs since the last sync's end up to
        the horizon's start are lost, and coverage is not complete:

        >>> gone = arc.coverage("p", now="2027-01-10")
        >>> gone.complete, str(gone.lost)
        (False, '2026-11-30 00:00 .. 2026-12-11 00:00 UTC')
        """
        if not horizon_days > 0:
            raise ConfigError(f"horizon_days must be positive, not {horizon_days!r}")
        end = pd.Timestamp.now(tz="UTC") if now is None else to_utc(now)
        start = end - pd.Timedelta(days=horizon_days)
        with self._store.begin() as db:
            rows = db.execute(
                "SELECT window_start, window_end FROM syncs WHERE project_id = ?", (project_id,)
            ).fetchall()
        windows = merge_windows(rows)
        if not windows:  # never synced: the whole horizon is a gap (being lost now)
            return Coverage(project_id, start, end, (), tuple(find_gaps(windows, start, end)))
        synced_to = windows[-1].end  # after it: not synced yet, never a gap
        gaps = find_gaps(windows, start, min(end, max(start, synced_to)))
        pending = Window(max(start, synced_to), end) if synced_to < end else None
        # abandoned past the horizon: what was created between the last sync's end and
        # the horizon's start can no longer be listed
        lost = Window(synced_to, start) if synced_to < start else None
        return Coverage(project_id, start, end, tuple(windows), tuple(gaps), pending, lost)

    def export(self, path: str | Path, **to_frame_kwargs: Any) -> Path:
        """Write the normalized archive to Parquet (``.parquet``) or CSV (``.csv``).

        ``resource_ids`` and ``extra`` are written as JSON text so any tool can read them.

        Parameters
        ----------
        path : str or Path
            Output file; its suffix picks the format (see
            :func:`rds_job_analytics.export._files.write_frame`).
        **to_frame_kwargs
            ``start``, ``end``, ``project_id``: passed to :meth:`to_frame`.

        Examples
        --------
        >>> import tempfile
        >>> arc = JobArchive(":memory:")
        >>> arc.put({"job": {"id": "j1", "status": "Completed"}}, project_id="p")
        True
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     arc.export(Path(folder) / "jobs.parquet").name
        'jobs.parquet'
        """
        return write_frame(self.to_frame(**to_frame_kwargs), path)


# -- coverage: what the recorded syncs cover ------------------------------------------------
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
    :meth:`on_lost` callback once: :func:`~rds_job_analytics.sync._fetch.sync_jobs` stops its
    client there, so no more API calls are spent on a project another sync now does.

    Examples
    --------
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

    def __init__(self, archive: JobArchive, project_id: str, holder: str, ttl: float) -> None:
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
        except (sqlite3.Error, ArchiveError):  # closed, a busy disk, a database restart
            return True
        try:
            self.taken_by = self.archive._holder(self.project_id)
        except (sqlite3.Error, ArchiveError):
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
            except (sqlite3.ProgrammingError, ArchiveError):  # closed meanwhile, or gone:
                pass  # the lease runs out by itself

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Lease(project_id={self.project_id!r}, holder={self.holder!r})"


class Window(NamedTuple):
    """A stretch of creation times ``[start, end)``, tz-aware UTC.

    Examples
    --------
    >>> w = Window(pd.Timestamp("2026-11-01", tz="UTC"), pd.Timestamp("2026-11-01 06:00", tz="UTC"))
    >>> print(w)
    2026-11-01 00:00 .. 2026-11-01 06:00 UTC
    >>> w.length
    Timedelta('0 days 06:00:00')
    """

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def length(self) -> pd.Timedelta:
        """``end - start``."""
        return self.end - self.start

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} .. {self.end:%Y-%m-%d %H:%M} UTC"


def merge_windows(windows: Iterable[tuple[Any, Any]]) -> list[Window]:
    """Windows joined where they overlap or touch, oldest first.

    Parameters
    ----------
    windows : iterable of (start, end)
        Datetimes, Timestamps or ISO strings (naive = UTC). Empty or reversed windows,
        and windows with a missing edge, cover nothing and are dropped.

    Returns
    -------
    list of Window

    Examples
    --------
    >>> merged = merge_windows([("2026-11-03", "2026-11-05"), ("2026-11-01", "2026-11-02"),
    ...                         ("2026-11-02", "2026-11-04"), ("2026-11-08", "2026-11-08")])
    >>> [str(w) for w in merged]
    ['2026-11-01 00:00 .. 2026-11-05 00:00 UTC']
    """
    spans = []
    for s, e in windows:
        start, end = to_utc(s), to_utc(e)
        if not (pd.isna(start) or pd.isna(end)) and start < end:
            spans.append((start, end))
    out: list[Window] = []
    for start, end in sorted(spans):
        if out and start <= out[-1].end:
            if end > out[-1].end:
                out[-1] = Window(out[-1].start, end)
        else:
            out.append(Window(start, end))
    return out


def find_gaps(windows: Iterable[tuple[Any, Any]], start: Any, end: Any) -> list[Window]:
    """The stretches of ``[start, end)`` that no window covers, oldest first.

    Parameters
    ----------
    windows : iterable of (start, end)
        Covered windows, in any order, overlapping or not (naive = UTC).
    start, end : datetime or str
        The span to check (naive = UTC).

    Returns
    -------
    list of Window

    Examples
    --------
    >>> [str(g) for g in find_gaps([("2026-10-05", "2026-10-10")], "2026-10-01", "2026-11-01")]
    ['2026-10-01 00:00 .. 2026-10-05 00:00 UTC', '2026-10-10 00:00 .. 2026-11-01 00:00 UTC']
    >>> find_gaps([("2026-09-01", "2026-12-01")], "2026-10-01", "2026-11-01")
    []
    """
    start, end = to_utc(start), to_utc(end)
    gaps: list[Window] = []
    cursor = start
    for w in merge_windows(windows):
        if w.start >= end:
            break
        if w.end <= cursor:
            continue
        if w.start > cursor:
            gaps.append(Window(cursor, w.start))
        cursor = w.end
    if cursor < end:
        gaps.append(Window(cursor, end))
    return gaps


def _length_text(td: pd.Timedelta) -> str:
    seconds = td.total_seconds()
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


@dataclass(frozen=True)
class Coverage:
    """What the recorded syncs of a project cover, and the gaps inside the API's horizon.

    Made by :meth:`JobArchive.coverage`. The API lists only the jobs created in its
    horizon ``[horizon_start, horizon_end]`` (the last 30 days): a gap there can still
    be filled by a sync (``rds-jobs sync --since <gap start>``); the jobs of a gap
    that has left the horizon are lost unless another copy was archived.

    Attributes
    ----------
    project_id : str
        The project.
    horizon_start, horizon_end : pandas.Timestamp
        The API's horizon (tz-aware UTC); ``horizon_end`` is the ``now`` asked about.
    windows : tuple of Window
        Every recorded sync window, merged where they overlap or touch, oldest first;
        windows older than the horizon stay (the archive outlives the API).
    gaps : tuple of Window
        The stretches of the horizon no recorded window covers, oldest first, before the
        end of the latest window (a project never synced: the whole horizon).
    pending : Window or None
        Not synced yet: from the end of the latest recorded window (or the horizon's
        start, if later) to ``horizon_end``; never a gap, what the next sync lists.
    lost : Window or None
        Already lost: from the end of the latest recorded window to ``horizon_start``,
        when the last sync ended before the horizon began (an archive left unsynced
        for longer than the horizon): the jobs created then can no longer be listed.

    Examples
    --------
    >>> h0, h1 = pd.Timestamp("2026-10-31", tz="UTC"), pd.Timestamp("2026-11-30", tz="UTC")
    >>> gap = Window(h0, pd.Timestamp("2026-11-02", tz="UTC"))
    >>> cov = Coverage("p", h0, h1, (Window(gap.end, h1),), (gap,))
    >>> cov.complete, cov.lost_at(gap), cov.at_risk() == [gap]
    (False, Timestamp('2026-11-30 00:00:00+0000', tz='UTC'), True)
    """

    project_id: str
    horizon_start: pd.Timestamp
    horizon_end: pd.Timestamp
    windows: tuple[Window, ...]
    gaps: tuple[Window, ...]
    pending: Window | None = None
    lost: Window | None = None

    @property
    def complete(self) -> bool:
        """True when no gap is left in the horizon (:attr:`pending` is no gap) and
        nothing was lost before it (:attr:`lost`)."""
        return not self.gaps and self.lost is None

    @property
    def horizon(self) -> pd.Timedelta:
        """The horizon's length (30 days for the RDS task center)."""
        return self.horizon_end - self.horizon_start

    def lost_at(self, gap: Window) -> pd.Timestamp:
        """When the older edge of ``gap`` leaves the horizon: from then on its oldest
        jobs can no longer be listed (``horizon_end`` or earlier: it is leaving now)."""
        return gap.start + self.horizon

    def at_risk(self, within: timedelta = GAP_WARNING) -> list[Window]:
        """The gaps whose older edge leaves the horizon within ``within`` of its end:
        sync now or lose them; :attr:`pending` too (last), when it started that long ago.

        Examples
        --------
        >>> h0, h1 = pd.Timestamp("2026-10-31", tz="UTC"), pd.Timestamp("2026-11-30", tz="UTC")
        >>> gap = Window(pd.Timestamp("2026-11-05", tz="UTC"), pd.Timestamp("2026-11-06", tz="UTC"))
        >>> cov = Coverage("p", h0, h1, (), (gap,))
        >>> cov.at_risk(), cov.at_risk(timedelta(days=5)) == [gap]
        ([], True)
        """
        limit = self.horizon_end + pd.Timedelta(within)
        spans = [*self.gaps, *([self.pending] if self.pending is not None else [])]
        return [g for g in spans if self.lost_at(g) <= limit]

    def to_frame(self) -> pd.DataFrame:
        """Windows, gaps, what is lost and what is not synced yet, one row each:
        ``kind`` (window/gap/lost/pending), ``start``, ``end``, ``lost_at`` (all but
        windows).

        Examples
        --------
        >>> JobArchive(":memory:").coverage("p", now="2026-11-30").to_frame()[["kind", "start"]]
          kind                     start
        0  gap 2026-10-31 00:00:00+00:00
        """
        rows = [("window", w.start, w.end, pd.NaT) for w in self.windows]
        rows += [("gap", g.start, g.end, self.lost_at(g)) for g in self.gaps]
        if self.lost is not None:
            rows.append(("lost", self.lost.start, self.lost.end, self.lost_at(self.lost)))
        if self.pending is not None:
            p = self.pending
            rows.append(("pending", p.start, p.end, self.lost_at(p)))
        df = pd.DataFrame(rows, columns=["kind", "start", "end", "lost_at"])
        for c in ("start", "end", "lost_at"):
            df[c] = pd.to_datetime(df[c], utc=True)
        return df

    def lines(self, gaps: Iterable[Window] | None = None) -> list[str]:
        """A summary line, one line per gap, what was lost before the horizon, then what
        is not synced yet, if anything (what ``rds-jobs sync`` prints).

        Parameters
        ----------
        gaps : iterable of Window, optional
            The gaps to show (default all of :attr:`gaps`).

        Examples
        --------
        >>> for line in JobArchive(":memory:").coverage("p", now="2026-11-30").lines():
        ...     print(line)
        coverage of the API's 30-day horizon 2026-10-31 00:00 .. 2026-11-30 00:00 UTC: 1 gap(s)
        gap 2026-10-31 00:00 .. 2026-11-30 00:00 UTC (30.0 days) not synced; lost from 2026-11-30 00:00 UTC (now)
        """
        shown = list(self.gaps if gaps is None else gaps)
        days = self.horizon / pd.Timedelta(days=1)
        head = f"coverage of the API's {days:g}-day horizon {Window(self.horizon_start, self.horizon_end)}: "
        out = [head + (f"{len(shown)} gap(s)" if shown else "no gap")
               + ("; jobs lost before it" if self.lost is not None else "")]  # fmt: skip
        for g in shown:
            lost = self.lost_at(g)
            now = " (now)" if lost <= self.horizon_end else ""
            out.append(f"gap {g} ({_length_text(g.length)}) not synced; "
                       f"lost from {lost:%Y-%m-%d %H:%M} UTC{now}")  # fmt: skip
        if self.lost is not None:
            out.append(f"lost {self.lost} ({_length_text(self.lost.length)}): the last sync "
                       "ended before the horizon's start; jobs created then can no longer "
                       "be listed")  # fmt: skip
        if self.pending is not None:
            p = self.pending
            out.append(f"not synced yet: since {p.start:%Y-%m-%d %H:%M} UTC "
                       f"({_length_text(p.length)}; no gap, the next sync lists it)")  # fmt: skip
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

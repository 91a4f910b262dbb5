"""What the archive asks of a database: the :class:`Store` protocol both backends
(:class:`~rds_job_analytics.store.SqliteStore`, :class:`~rds_job_analytics.store.PgStore`)
satisfy, the archive's layout (DDL) and its versioned migrations.

The archive's SQL is written once for both backends (``?`` placeholders, ``ON CONFLICT``
upserts); a backend supplies what differs: connecting, the column types, transactions, a
lock every process takes (:meth:`Store.serialize`), the quota step (:meth:`Store.pace`)
and the mapping of its driver's errors to :class:`~rds_job_analytics.ArchiveError` /
:class:`~rds_job_analytics.ArchiveUnavailable`.

Examples
--------
>>> from rds_job_analytics.store import SqliteStore
>>> store = SqliteStore(":memory:")
>>> isinstance(store, Store)
True
>>> migrate(store, ":memory:")
>>> with store.begin() as db:
...     db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0] == str(SCHEMA_VERSION)
True
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from ..exceptions import ConfigError, InvalidRecordError
from ..normalize import parse_job
from ..normalize.schema import to_epoch_ms
from ._urls import CONNECT_TIMEOUT  # its home: the URL rule (here for old imports)

__all__ = [
    "CONNECT_TIMEOUT",
    "END_TIME_VIEW",
    "SCHEMA_VERSION",
    "UPGRADE_CHUNK",
    "Store",
    "migrate",
]


#: A GCRA step (:meth:`rds_job_analytics.quota.PacedBucket._next` bound to a bucket and a
#: place): ``(tat, now) -> (tat to store, wait, reserved)``.
PaceStep = Callable[[float, float], tuple[float, float, bool]]


@runtime_checkable
class Store(Protocol):
    """A database holding the archive's tables: what :class:`JobArchive` and its ledger,
    leases and quota buckets use, and nothing else.

    Attributes
    ----------
    kind : str
        ``"sqlite"`` or ``"postgresql"``.
    types : dict
        The column types of :data:`DDL` (``key``, ``bigint``, ``blob``, ``real``).
    shown : str
        The database as messages show it (a URL's password masked).
    closed : bool
        True after :meth:`close`.
    """

    kind: str
    types: dict[str, str]
    shown: str
    closed: bool

    def begin(self, *, immediate: bool = False) -> AbstractContextManager[Any]:
        """One transaction (a cursor-like ``db`` with ``execute(sql, args)`` taking ``?``
        placeholders), committed at the end of the block, rolled back on error; the
        driver's errors come out as ``ArchiveError`` / ``ArchiveUnavailable``.
        ``immediate``: take the write lock at once (read-then-write)."""
        ...

    def bulk_rows(self, db: Any, sql: str, args: Any = ()) -> list[Any]:
        """All rows of a large read, inside :meth:`begin`."""
        ...

    def serialize(self, db: Any, key: str) -> None:
        """Hold a lock named ``key`` until the transaction ends (every process, every
        machine that asks for it waits)."""
        ...

    def columns(self, db: Any, table: str) -> set[str]:
        """The column names of ``table``."""
        ...

    def has_archive(self) -> bool:
        """Whether the database holds the archive's ``jobs`` table."""
        ...

    def pace(self, key: str, step: PaceStep, clock: Callable[[], float]) -> tuple[float, bool]:
        """One quota step in one transaction: the ``quota`` row ``key`` read under a
        lock, ``step(tat, now)`` applied (``now`` from ``clock``, or the server's clock),
        the new state written; returns ``(wait, reserved)``."""
        ...

    def close(self) -> None:
        """Close the database (idempotent)."""
        ...


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
#: The archive's tables, with ``{key}``, ``{bigint}``, ``{blob}``, ``{real}`` per backend.
#: ``quota`` keeps the database quota buckets' GCRA state: part of layout 3 (a bucket
#: stores nothing else), made for a new archive, on the upgrade to 3, and on opening a
#: layout-3 archive that lacks it (every statement is ``IF NOT EXISTS``; before, the
#: first bucket created it the same way).
DDL = (
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
CREATE TABLE IF NOT EXISTS quota (
    bucket TEXT PRIMARY KEY,
    tat    {real} NOT NULL
);
"""
)
#: The column types of :data:`DDL` on SQLite.
SQLITE_TYPES = {"key": "TEXT", "bigint": "INTEGER", "blob": "BLOB", "real": "REAL"}


def ddl_statements(types: dict[str, str]) -> list[str]:
    """:data:`DDL` for one backend, one statement each."""
    text = DDL
    for name, sql_type in types.items():
        text = text.replace("{" + name + "}", sql_type)
    return [s.strip() for s in text.split(";") if s.strip()]


#: The archive layout this version writes; older archives are upgraded on open, newer
#: ones refused (never silently misread). Still 3: the ``quota`` table adds no version
#: (a previous release, which makes the same table on demand, keeps reading the archive).
SCHEMA_VERSION = 3
#: Records read and written at a time by the layout-3 upgrade (:func:`_fill_ended_ms`).
UPGRADE_CHUNK = 5_000
#: Columns added since version 1, per table: (name, SQL type; ``{bigint}`` per backend).
#: Version 3 adds ``ended_ms`` (the record's end time, epoch ms): with a job's per-job
#: ``ended`` and its task-list ``end_time`` side by side, :data:`END_TIME_VIEW` gives
#: their difference.
ADDED_COLUMNS = (
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

# The quota step's SQL (the read under a lock is the backend's: see Store.pace).
QUOTA_ENSURE = "INSERT INTO quota (bucket, tat) VALUES (?, 0) ON CONFLICT (bucket) DO NOTHING"
QUOTA_WRITE = "UPDATE quota SET tat = ? WHERE bucket = ?"


def epoch_ms_or_none(value: Any) -> int | None:
    """A raw time as epoch ms, None when missing or unreadable (as ``created_ms``).

    Examples
    --------
    >>> epoch_ms_or_none("2026-01-01T00:00:00Z"), epoch_ms_or_none("soon"), epoch_ms_or_none(None)
    (1767225600000, None, None)
    """
    if not value:
        return None
    try:
        return to_epoch_ms(value)
    except (ValueError, TypeError):
        return None


def migrate(store: Store, shown: str) -> None:
    """Create the tables, or bring an older archive's up to :data:`SCHEMA_VERSION`;
    refuse one written by a newer version (:class:`~rds_job_analytics.ConfigError`
    naming ``shown``). One creator or upgrader at a time, on any machine. Every table
    of :data:`DDL` (``quota`` too) is made where missing, on every open."""
    with store.begin(immediate=True) as db:
        store.serialize(db, "rds-jobs layout")  # one creator/upgrader at a time
        for statement in ddl_statements(store.types):  # idempotent: IF NOT EXISTS
            db.execute(statement)
        row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        version = int(row[0]) if row else 1
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"archive {shown!r} was written by a newer rds_job_analytics "
                f"(layout {version}; this version reads up to {SCHEMA_VERSION}): upgrade"
            )
        for table, column, sql_type in ADDED_COLUMNS:
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


def _fill_ended_ms(store: Store, db: Any) -> None:
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
                    ended = epoch_ms_or_none(parse_job(bytes(raw)).ended)
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

"""The archive of raw job responses, so history outlives the API's 30 days.

:class:`JobArchive` keeps every response as it arrives (committed at once; a terminal
record, Completed or Failed, is never overwritten by a Running one) in a
:class:`~rds_job_analytics.store._backend.Store`: a SQLite file
(:class:`~rds_job_analytics.store.SqliteStore`) or a shared PostgreSQL database
(:class:`~rds_job_analytics.store.PgStore`). Its sync ledger and its leases are
:class:`~rds_job_analytics.store._ledger.SyncLedger` and
:class:`~rds_job_analytics.store._leases.LeaseHolder`.

Examples
--------
>>> from rds_job_analytics.store import JobArchive
>>> arc = JobArchive(":memory:")
>>> arc.put({"job": {"id": "j1", "status": "Completed"}}, project_id="p")
True
>>> len(arc.to_frame())
1
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from .._time import utcnow
from .._validate import expand_path
from ..exceptions import (
    ArchiveError,
    ArchiveUnavailable,
    ConfigError,
    InvalidRecordError,
    RecordsRejected,
)
from ..normalize import encode_record, frame_from_columns, normalize_jobs, parse_job
from ..normalize.schema import (
    CATEGORY,
    JOB_ORDER,
    JOB_SCHEMA,
    OBJECT,
    TERMINAL_STATUSES,
    empty_jobs_frame,
    to_epoch_ms,
    to_utc,
)
from ._backend import (
    ADDED_COLUMNS,
    DDL,
    END_TIME_VIEW,
    SCHEMA_VERSION,
    SQLITE_TYPES,
    Store,
    ddl_statements,
    epoch_ms_or_none,
    migrate,
)
from ._dbquota import DbTokenBucket
from ._leases import LEASE_TTL, Lease, LeaseHolder
from ._ledger import SyncLedger
from ._sqlite import SqliteStore, check_archive_path
from ._urls import PG_SCHEMES, mask_url, url_parts, url_scheme
from .coverage import API_HORIZON_DAYS, Coverage, Window, find_gaps, merge_windows

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
]

# The module's old private names, which the deprecated ``rds_job_analytics.archive`` alias
# still serves for one release (their homes are _backend, _sqlite and _urls now).
_DDL, _ADDED_COLUMNS, _SQLITE_TYPES, _ddl_statements = (
    DDL,
    ADDED_COLUMNS,
    SQLITE_TYPES,
    ddl_statements,
)
_SqliteStore, _check_archive_path, _epoch_ms_or_none = (
    SqliteStore,
    check_archive_path,
    epoch_ms_or_none,
)
_PG_SCHEMES, _masked, _url_parts, _url_scheme = PG_SCHEMES, mask_url, url_parts, url_scheme

#: Where the deprecated export methods find the export functions (late-bound: see
#: :meth:`JobArchive.export`).
_EXPORT = "rds_job_analytics.export"

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
    created_ms = epoch_ms_or_none(row.created)
    fetched = (fetched_at or utcnow()).isoformat()
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
        epoch_ms_or_none(row.ended),
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
    return frame_from_columns(data)


class JobArchive(SyncLedger, LeaseHolder):
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
        scheme = url_scheme(path)
        self._store: Store
        if scheme is None:
            self._store = SqliteStore(str(path))
            self._db = self._store.db  # the raw connection (tests poke at it)
        elif scheme in PG_SCHEMES:
            from ._postgres import PgStore  # SQLAlchemy loads only for a database URL

            self._store = PgStore(str(path))
        else:
            raise ConfigError(
                f"unsupported archive URL {mask_url(str(path))!r}: use a file path or "
                "postgresql://user:password@host:port/database"
            )
        self.path: str = self._store.shown
        self.backend: str = self._store.kind
        #: Rows this handle has committed (what a lost database still holds of this run).
        self.committed = 0
        self._migrate()

    def _migrate(self) -> None:
        """Create the tables, or bring an older archive's up to :data:`SCHEMA_VERSION`
        (:func:`~rds_job_analytics.store._backend.migrate`); refuse one written by a newer
        version. The database is closed when that fails."""
        try:
            migrate(self._store, self.path)
        except BaseException:
            self._store.close()
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
        scheme = url_scheme(path)
        if scheme is None:
            check_archive_path(path, create=create)
        elif scheme in PG_SCHEMES and not create:
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
        >>> from datetime import UTC
        >>> arc = JobArchive(":memory:")
        >>> arc.put({"job": {"id": "j1", "status": "Running"}}, project_id="p")
        True
        >>> arc.mark_expired("p", ["j1", "unknown"], when=datetime(2026, 11, 30, tzinfo=UTC))
        1
        >>> arc.expired("p")
        {'j1': Timestamp('2026-11-30 00:00:00+0000', tz='UTC')}
        """
        ids = list(dict.fromkeys(job_ids))
        stamp = to_utc(when or utcnow()).isoformat()
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

    # -- what an open table's export reads ----------------------------------------------
    def newest_fetched_at(self, since: str | None = None) -> str | None:
        """The newest ``fetched_at`` of the records (per-job responses and task-list
        records) fetched after ``since``; of all records without it; None when there is
        none. ``fetched_at`` is ISO text in UTC: it compares as text.

        Parameters
        ----------
        since : str, optional
            An ISO time in UTC (``2026-12-01T00:00:00+00:00``), exclusive.

        Examples
        --------
        >>> arc = JobArchive(":memory:")
        >>> arc.newest_fetched_at() is None
        True
        >>> arc.put({"job": {"id": "j1", "status": "Completed"}}, project_id="p")
        True
        >>> newest = arc.newest_fetched_at()
        >>> newest is not None, arc.newest_fetched_at(since=newest)
        (True, None)
        """
        newest = None
        with self._store.begin() as db:
            for table in ("jobs", "tasks"):
                sql = f"SELECT max(fetched_at) FROM {table}"
                args: list[Any] = []
                if since is not None:
                    sql += " WHERE fetched_at > ?"
                    args.append(since)
                ((top,),) = self._store.bulk_rows(db, sql, args)
                if top is not None and (newest is None or top > newest):
                    newest = top
        return cast("str | None", newest)

    def jobs_fetched_since(self, since: str) -> pd.DataFrame:
        """The frame of :meth:`to_frame` restricted to the jobs with a record (in either
        table) fetched after ``since``, whatever their creation time: both records of
        each such job are merged, as :meth:`to_frame` merges them (what an open table's
        run compares with the table).

        Parameters
        ----------
        since : str
            An ISO time in UTC (``2026-12-01T00:00:00+00:00``), exclusive.

        Examples
        --------
        >>> arc = JobArchive(":memory:")
        >>> arc.put({"job": {"id": "j1", "status": "Completed"}}, project_id="p")
        True
        >>> arc.jobs_fetched_since("2000-01-01T00:00:00+00:00")["job_id"].tolist()
        ['j1']
        >>> len(arc.jobs_fetched_since(arc.newest_fetched_at()))
        0
        """
        return self._joined(None, None, None, since)

    def sqlalchemy_url(self, *, hide_password: bool = True) -> str | None:
        """The SQLAlchemy URL of the archive's database (what another SQLAlchemy user of
        the same database, such as an Iceberg SQL catalog, connects with): a SQLite
        file's absolute ``sqlite:///`` URL, a PostgreSQL archive's engine URL (its
        driver, connect timeout and application name: :func:`.pg_engine_url`), None for
        an in-memory archive (nothing else can reach it).

        Parameters
        ----------
        hide_password : bool
            Show a PostgreSQL password as ``***`` (the default); False for connecting.

        Examples
        --------
        >>> JobArchive(":memory:").sqlalchemy_url() is None
        True
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     with JobArchive(Path(folder) / "jobs.sqlite") as arc:
        ...         arc.sqlalchemy_url().startswith("sqlite:///"), arc.sqlalchemy_url().endswith("jobs.sqlite")
        (True, True)
        """
        if self._store.kind == "sqlite":
            if self.path == ":memory:":
                return None
            return "sqlite:///" + str(Path(self.path).absolute())
        url = cast(Any, self._store).engine.url
        return cast(str, url.render_as_string(hide_password=hide_password))

    # -- for one release: the export functions, late-bound ------------------------------
    def export(self, path: str | Path, **to_frame_kwargs: Any) -> Path:
        """Deprecated: use ``rja.export.write_frame(arc.to_frame())``. Write the
        normalized archive to Parquet (``.parquet``) or CSV (``.csv``).

        The store does not import the export stage (it lies above it): this shim finds
        :func:`rds_job_analytics.export.write_frame` with :mod:`importlib` when called
        (late binding) and goes in the next release.

        Parameters
        ----------
        path : str or Path
            Output file; its suffix picks the format (see
            :func:`rds_job_analytics.export.write_frame`).
        **to_frame_kwargs
            ``start``, ``end``, ``project_id``: passed to :meth:`to_frame`.

        Examples
        --------
        >>> import tempfile, warnings
        >>> arc = JobArchive(":memory:")
        >>> arc.put({"job": {"id": "j1", "status": "Completed"}}, project_id="p")
        True
        >>> with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", DeprecationWarning)
        ...     arc.export(Path(folder) / "jobs.parquet").name
        'jobs.parquet'
        """
        warnings.warn(
            "JobArchive.export is deprecated and goes in the next release: use "
            "rja.export.write_frame(arc.to_frame(start=..., end=..., project_id=...), path)",
            DeprecationWarning,
            stacklevel=2,
        )
        export = importlib.import_module(_EXPORT)
        return cast(Path, export.write_frame(self.to_frame(**to_frame_kwargs), path))

    def export_dataset(self, path: str | Path, **kwargs: Any) -> Any:
        """Deprecated: use ``rja.export.export_dataset(arc, ...)``. Write the archive as a
        hive-partitioned Parquet dataset (``kwargs`` go to
        :func:`rds_job_analytics.export.export_dataset`).

        The store does not import the export stage (it lies above it): this shim finds
        the function with :mod:`importlib` when called (late binding) and goes in the
        next release.
        """
        warnings.warn(
            "JobArchive.export_dataset is deprecated and goes in the next release: use "
            "rja.export.export_dataset(arc, path, ...) (the same arguments after the archive)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(_EXPORT).export_dataset(self, path, **kwargs)

    # -- the database quota bucket ------------------------------------------------------
    def quota_bucket(self, identity: str, rate: float = 1.0, burst: int = 1) -> DbTokenBucket:
        """The quota bucket of ``identity`` kept in this archive's database: every bucket
        naming the same identity in the same database paces together, on any machine
        (what :func:`rds_job_analytics.quota.bucket_for` chains after the machine's).

        Parameters
        ----------
        identity : str
            The credential's identity (an AK, ``domain/user``, a token): only its hash
            is kept.
        rate : float
            Requests per second for all of them together.
        burst : int
            Requests allowed back to back after an idle period.

        Examples
        --------
        >>> arc = JobArchive(":memory:")
        >>> bucket = arc.quota_bucket("ak:AKEXAMPLE", rate=1000.0)
        >>> bucket.acquire() >= 0, "AKEXAMPLE" in repr(bucket)
        (True, False)
        """
        return DbTokenBucket(self, identity, rate, burst)

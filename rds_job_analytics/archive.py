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

import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from .exceptions import InvalidRecordError
from .export import write_frame
from .normalize import normalize_jobs, parse_job
from .schema import TERMINAL_STATUSES, TEXT, empty_jobs_frame, to_epoch_ms

# ``write_frame`` lived here before it got its own module; it stays importable from here.
__all__ = ["JobArchive", "write_frame"]

_DDL = """
CREATE TABLE IF NOT EXISTS jobs (
    project_id TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    region     TEXT,
    status     TEXT,
    terminal   INTEGER NOT NULL,
    created_ms INTEGER,
    fetched_at TEXT NOT NULL,
    raw        BLOB NOT NULL,
    PRIMARY KEY (project_id, job_id)
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (project_id, created_ms);
CREATE TABLE IF NOT EXISTS syncs (
    project_id   TEXT NOT NULL,
    region       TEXT,
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    listed       INTEGER NOT NULL,
    fetched      INTEGER NOT NULL,
    calls        INTEGER NOT NULL
);
"""


class JobArchive:
    """SQLite store of raw responses keyed by (project, job id).

    Parameters
    ----------
    path : str or Path
        Database file (created with its folder); ``":memory:"`` for tests.

    Examples
    --------
    >>> arc = JobArchive(":memory:")
    >>> arc.put({"job": {"id": "a", "status": "Running"}}, project_id="p")
    True
    >>> arc.put({"job": {"id": "a", "status": "Completed"}}, project_id="p")
    True
    >>> arc.put({"job": {"id": "a", "status": "Running"}}, project_id="p")  # never downgraded
    False
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_DDL)

    def __repr__(self) -> str:
        return f"JobArchive({self.path!r})"

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> JobArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(
        self,
        response: dict[str, Any] | bytes,
        *,
        project_id: str,
        region: str | None = None,
        fetched_at: datetime | None = None,
    ) -> bool:
        """Store one raw response (committed at once); False when an older state was refused.

        Raises :class:`InvalidRecordError` for a response that is not a job.
        """
        raw = response if isinstance(response, bytes) else orjson.dumps(response)
        try:
            row = parse_job(raw)
        except InvalidRecordError as exc:
            raise InvalidRecordError(-1, f"not archived: {exc.reason}") from exc
        job_id, status, created = row.job_id, row.status, row.created
        terminal = int(status in TERMINAL_STATUSES)
        try:
            created_ms = to_epoch_ms(created) if created else None
        except (ValueError, TypeError):
            created_ms = None
        fetched = (fetched_at or datetime.now(UTC)).isoformat()
        with self._lock:
            cur = self._db.execute(
                """INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (project_id, job_id) DO UPDATE SET
                     region=excluded.region, status=excluded.status, terminal=excluded.terminal,
                     created_ms=excluded.created_ms, fetched_at=excluded.fetched_at,
                     raw=excluded.raw
                   WHERE NOT (jobs.terminal = 1 AND excluded.terminal = 0)""",
                (project_id, job_id, region, status, terminal, created_ms, fetched, raw),
            )
            return cur.rowcount > 0

    def statuses(self, project_id: str, job_ids: Iterable[str] | None = None) -> dict[str, str]:
        """Archived ``job_id -> status`` for a project (all, or just ``job_ids``)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id, status FROM jobs WHERE project_id = ?", (project_id,)
            ).fetchall()
        out = {j: (s or "") for j, s in rows}
        if job_ids is not None:
            wanted = set(job_ids)
            out = {k: v for k, v in out.items() if k in wanted}
        return out

    def raw(self, project_id: str, job_ids: Iterable[str]) -> dict[str, bytes]:
        """Archived raw responses for some IDs of a project."""
        ids = list(job_ids)
        out: dict[str, bytes] = {}
        with self._lock:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                q = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT job_id, raw FROM jobs WHERE project_id = ? AND job_id IN ({q})",
                    (project_id, *chunk),
                ).fetchall()
                out.update({j: bytes(r) for j, r in rows})
        return out

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM jobs").fetchone()[0])

    def to_frame(
        self,
        start: Any = None,
        end: Any = None,
        *,
        project_id: str | None = None,
    ) -> pd.DataFrame:
        """The normalized frame of archived jobs created in ``[start, end)``.

        Adds ``project_id`` and ``region`` columns (one archive may hold several
        projects). Naive datetimes are taken as UTC.

        Examples
        --------
        >>> JobArchive(":memory:").to_frame().columns[-2:].tolist()
        ['project_id', 'region']
        """
        sql = "SELECT project_id, region, raw FROM jobs WHERE 1=1"
        args: list[Any] = []
        if project_id is not None:
            sql += " AND project_id = ?"
            args.append(project_id)
        if start is not None:
            sql += " AND created_ms >= ?"
            args.append(to_epoch_ms(start))
        if end is not None:
            sql += " AND created_ms < ?"
            args.append(to_epoch_ms(end))
        sql += " ORDER BY created_ms, job_id"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        if not rows:
            return empty_jobs_frame({"project_id": TEXT, "region": "category"})
        df = normalize_jobs([bytes(r[2]) for r in rows], errors="warn")
        df["project_id"] = pd.array([r[0] for r in rows], dtype=TEXT)
        df["region"] = pd.Categorical([r[1] for r in rows])
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
    ) -> None:
        """Remember a completed sync window."""
        with self._lock:
            self._db.execute(
                "INSERT INTO syncs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (project_id, region, window_start.isoformat(), window_end.isoformat(),
                 datetime.now(UTC).isoformat(), listed, fetched, calls),
            )  # fmt: skip

    def syncs(self, project_id: str | None = None) -> pd.DataFrame:
        """Recorded sync windows (tz-aware UTC) - the archive's coverage."""
        sql, args = "SELECT * FROM syncs", []
        if project_id is not None:
            sql += " WHERE project_id = ?"
            args.append(project_id)
        with self._lock:
            cur = self._db.execute(sql + " ORDER BY window_start", args)
            cols = [c[0] for c in cur.description]
            df = pd.DataFrame(cur.fetchall(), columns=cols)
        for c in ("window_start", "window_end", "finished_at"):
            df[c] = pd.to_datetime(df[c], utc=True, format="ISO8601")
        return df

    def last_sync_end(self, project_id: str) -> datetime | None:
        """End of the latest recorded sync window of a project."""
        with self._lock:
            row = self._db.execute(
                "SELECT max(window_end) FROM syncs WHERE project_id = ?", (project_id,)
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def export(self, path: str | Path, **to_frame_kwargs: Any) -> Path:
        """Write the normalized archive to Parquet (``.parquet``) or CSV (``.csv``).

        ``resource_ids`` and ``extra`` are written as JSON text so any tool can read them.

        Parameters
        ----------
        path : str or Path
            Output file; its suffix picks the format (see
            :func:`rds_job_analytics.export.write_frame`).
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

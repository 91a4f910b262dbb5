"""The sync ledger: which windows of creation times each sync listed, and what they cover.

:class:`SyncLedger` is the part of :class:`~rds_job_analytics.store.JobArchive` that writes
and reads the ``syncs`` table; :meth:`SyncLedger.coverage` merges its windows with the pure
rules of :mod:`rds_job_analytics.store.coverage`.

Examples
--------
>>> from rds_job_analytics.store import JobArchive
>>> arc = JobArchive(":memory:")
>>> arc.record_sync("p", None, "2026-11-01", "2026-11-02", listed=1, fetched=1, calls=2)
>>> str(arc.coverage("p", now="2026-11-02").windows[0])
'2026-11-01 00:00 .. 2026-11-02 00:00 UTC'
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from .._time import to_utc, utcnow
from ..exceptions import ConfigError
from .coverage import API_HORIZON_DAYS, Coverage, Window, find_gaps, merge_windows

__all__ = ["SyncLedger"]

_SYNC_COLUMNS = (
    "project_id, region, window_start, window_end, finished_at, listed, fetched, calls, account"
)


class SyncLedger:
    """Sync bookkeeping of an archive (mixed into :class:`~rds_job_analytics.store.JobArchive`,
    whose backend is ``self._store``)."""

    _store: Any

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
        >>> from rds_job_analytics.store import JobArchive
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
                 utcnow().isoformat(), listed, fetched, calls, account),
            )  # fmt: skip

    def syncs(self, project_id: str | None = None) -> pd.DataFrame:
        """Recorded sync windows as recorded, one row per run (tz-aware UTC).

        :meth:`coverage` merges them and finds the gaps.

        Examples
        --------
        >>> from rds_job_analytics.store import JobArchive
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
        >>> from rds_job_analytics.store import JobArchive
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
        >>> from rds_job_analytics.store import JobArchive

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
        gap 2026-11-10 00:00 .. 2026-11-20 00:00 UTC (10 d) not synced; lost from 2026-12-10 00:00 UTC

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
        end = to_utc(utcnow() if now is None else now)
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

"""What the recorded syncs cover: windows of creation times, their merge, the gaps in the
API's horizon. Pure: no database here (the archive's ledger reads the windows, the report
reads a :class:`Coverage`).

Examples
--------
>>> [str(w) for w in merge_windows([("2026-11-01", "2026-11-02"), ("2026-11-02", "2026-11-03")])]
['2026-11-01 00:00 .. 2026-11-03 00:00 UTC']
>>> [str(g) for g in find_gaps([("2026-11-02", "2026-11-03")], "2026-11-01", "2026-11-03")]
['2026-11-01 00:00 .. 2026-11-02 00:00 UTC']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

import pandas as pd

from .._format import duration_text
from .._time import to_utc
from ..normalize.schema import API_HORIZON

__all__ = [
    "API_HORIZON_DAYS",
    "GAP_WARNING",
    "Coverage",
    "Window",
    "find_gaps",
    "merge_windows",
]

#: :data:`~rds_job_analytics.normalize.schema.API_HORIZON` in days, as
#: :meth:`~rds_job_analytics.store.JobArchive.coverage` takes it.
API_HORIZON_DAYS = API_HORIZON.days
#: How soon before a gap's older edge leaves the horizon a sync warns ("sync now or lose it").
GAP_WARNING = timedelta(days=3)


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


@dataclass(frozen=True)
class Coverage:
    """What the recorded syncs of a project cover, and the gaps inside the API's horizon.

    Made by :meth:`~rds_job_analytics.store.JobArchive.coverage`. The API lists only the jobs created in its
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
        >>> h0, h1 = pd.Timestamp("2026-10-31", tz="UTC"), pd.Timestamp("2026-11-30", tz="UTC")
        >>> Coverage("p", h0, h1, (), (Window(h0, h1),)).to_frame()[["kind", "start"]]
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
        >>> h0, h1 = pd.Timestamp("2026-10-31", tz="UTC"), pd.Timestamp("2026-11-30", tz="UTC")
        >>> for line in Coverage("p", h0, h1, (), (Window(h0, h1),)).lines():  # never synced
        ...     print(line)
        coverage of the API's 30-day horizon 2026-10-31 00:00 .. 2026-11-30 00:00 UTC: 1 gap(s)
        gap 2026-10-31 00:00 .. 2026-11-30 00:00 UTC (30 d) not synced; lost from 2026-11-30 00:00 UTC (now)
        """
        shown = list(self.gaps if gaps is None else gaps)
        days = self.horizon / pd.Timedelta(days=1)
        head = f"coverage of the API's {days:g}-day horizon {Window(self.horizon_start, self.horizon_end)}: "
        out = [head + (f"{len(shown)} gap(s)" if shown else "no gap")
               + ("; jobs lost before it" if self.lost is not None else "")]  # fmt: skip
        for g in shown:
            lost = self.lost_at(g)
            now = " (now)" if lost <= self.horizon_end else ""
            out.append(f"gap {g} ({duration_text(g.length.total_seconds())}) not synced; "
                       f"lost from {lost:%Y-%m-%d %H:%M} UTC{now}")  # fmt: skip
        if self.lost is not None:
            out.append(f"lost {self.lost} ({duration_text(self.lost.length.total_seconds())}): the last sync "
                       "ended before the horizon's start; jobs created then can no longer "
                       "be listed")  # fmt: skip
        if self.pending is not None:
            p = self.pending
            out.append(f"not synced yet: since {p.start:%Y-%m-%d %H:%M} UTC "
                       f"({duration_text(p.length.total_seconds())}; no gap, the next sync lists it)")  # fmt: skip
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

"""The report's data-quality text: skipped records, jobs without times, how the task list's
end times compare with per-job ones, and the archive's sync coverage of the month (its
sentences, its gaps, and the problems that make the report untrustworthy). Coverage is
read through the pure coverage names (``Window``, ``merge_windows``, ``find_gaps``,
``Coverage``), never through an archive.

Examples
--------
>>> m0, m1 = month_bounds("2026-10")
>>> covered_share(pd.DataFrame({"window_start": [m0], "window_end": [m1]}), m0, m1)
1.0
"""

from __future__ import annotations

import pandas as pd

from .._format import duration_text
from .._time import month_bounds, to_utc, utcnow
from ..normalize.schema import TERMINAL_STATUSES
from ..store.coverage import API_HORIZON_DAYS, Coverage, Window, find_gaps, merge_windows

__all__ = [
    "END_TIME_TOLERANCE_S",
    "MAX_GAPS_LISTED",
    "coverage_problems",
    "coverage_text",
    "covered_share",
    "end_time_text",
    "month_bounds",
    "quality_lines",
]

#: Seconds the task list's ``end_time`` may differ from the per-job ``ended`` (90th
#: percentile of the absolute difference, on the month's jobs that have both) before the
#: data-quality section warns that task-only durations disagree with per-job ones.
END_TIME_TOLERANCE_S = 60.0


def quality_lines(
    df: pd.DataFrame,
    cur: pd.DataFrame,
    coverage: pd.DataFrame | Coverage | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
    now: pd.Timestamp | None = None,
    tz: str = "UTC",
) -> list[str]:
    """Data-quality sentences: skipped records, jobs without times, sync coverage and its
    gaps."""
    quality = []
    skipped = df.attrs.get("skipped_records") or []
    if skipped:
        counts = pd.Series([s["reason"] for s in skipped]).value_counts()
        quality.append(f"{len(skipped)} raw record(s) skipped while normalizing: "
                       + "; ".join(f"{n} x {r}" for r, n in counts.head(5).items()))  # fmt: skip
    else:
        quality.append("No raw records were skipped while normalizing.")
    no_created = int(df["created"].isna().sum())
    quality.append(
        f"{no_created} job(s) in the data have no creation time and cannot be placed in a month."
    )
    no_end = int((cur["status"].isin(TERMINAL_STATUSES) & cur["ended"].isna()).sum())
    quality.append(f"{no_end} finished job(s) this month have no end time (no duration).")
    quality.extend(coverage_text(coverage, start, end, now, tz))
    return quality


def end_time_text(cur: pd.DataFrame, end_times: pd.DataFrame | None) -> tuple[str, tuple[str, ...]]:
    """How far the durations of task-only rows can be trusted: the sentence, and a warning
    when the task list's end times disagree with the per-job ones
    (:data:`END_TIME_TOLERANCE_S`). ``end_times`` is
    :meth:`~rds_job_analytics.JobArchive.end_time_differences` (``job_id``,
    ``difference_s``, optionally ``project_id``).

    Examples
    --------
    >>> cur = pd.DataFrame({"job_id": ["a", "b", "c"], "source": ["task", "job", "job"],
    ...                     "duration_s": [60.0, 30.0, 45.0]})
    >>> diff = pd.DataFrame({"job_id": ["b", "c"], "difference_s": [0.0, 600.0]})
    >>> text, warnings = end_time_text(cur, diff)
    >>> print(text)
    Task-list end times: 1 of 3 job durations this month rest on the task list's end_time alone (the SDK calls it the planned end). On the 2 job(s) with both a per-job and a task-list end, they differ by a median of 5 min and 9 min at the 90th percentile (task end later on 1, earlier on 0).
    >>> print(warnings[0])
    Task-list end times disagree with per-job end times: 9 min at the 90th percentile (tolerance 1 min, on 2 job(s)); the 1 task-only duration(s) this month may be off by as much.
    """
    timed = cur["duration_s"].notna()
    task_only = int((timed & (cur["source"].astype(str) == "task")).sum())
    head = (f"Task-list end times: {task_only} of {int(timed.sum())} job durations this month "
            "rest on the task list's end_time alone (the SDK calls it the planned end).")  # fmt: skip
    if end_times is None:
        return head + " Not compared with per-job end times (no comparison given).", ()
    keys = ["job_id"] + (["project_id"] if "project_id" in end_times and "project_id" in cur
                         else [])  # fmt: skip
    month = cur[keys].astype(str).drop_duplicates()
    both = end_times.astype({k: str for k in keys}).merge(month, on=keys)
    diff = both["difference_s"].astype("float64").dropna()
    if diff.empty:
        return head + (" No job of the month has both a per-job and a task-list end, so "
                       "they cannot be compared."), ()  # fmt: skip
    size = diff.abs()
    median, p90 = float(size.median()), float(size.quantile(0.9))
    text = (f"{head} On the {len(diff)} job(s) with both a per-job and a task-list end, they "
            f"differ by a median of {duration_text(median) or '0 s'} and "
            f"{duration_text(p90) or '0 s'} at the 90th percentile (task end later on "
            f"{int((diff > 0).sum())}, earlier on {int((diff < 0).sum())}).")  # fmt: skip
    if p90 <= END_TIME_TOLERANCE_S:
        return text, ()
    warning = (f"Task-list end times disagree with per-job end times: {duration_text(p90)} at "
               f"the 90th percentile (tolerance {duration_text(END_TIME_TOLERANCE_S)}, on "
               f"{len(diff)} job(s)); the {task_only} task-only duration(s) this month may be "
               "off by as much.")  # fmt: skip
    return text, (warning,)


#: Gaps listed one by one in the data-quality section; the rest are counted.
MAX_GAPS_LISTED = 20


def _windows_by_project(coverage: pd.DataFrame | Coverage) -> dict[str | None, list[Window]]:
    """Merged sync windows per project (one key, None, when the frame names no project)."""
    if isinstance(coverage, Coverage):
        return {coverage.project_id: list(coverage.windows)}
    if coverage.empty:
        return {}
    if "project_id" not in coverage:
        spans = zip(coverage["window_start"], coverage["window_end"], strict=True)
        return {None: merge_windows(spans)}
    return {
        str(project): merge_windows(zip(g["window_start"], g["window_end"], strict=True))
        for project, g in coverage.groupby("project_id", sort=True)
    }


def _span(w: Window, tz: str) -> str:
    """A window in the report's time zone, labelled."""
    return f"{w.start.tz_convert(tz):%Y-%m-%d %H:%M} .. {w.end.tz_convert(tz):%Y-%m-%d %H:%M} {tz}"


def _fate(gap: Window, now: pd.Timestamp, tz: str = "UTC") -> str:
    """Whether a gap can still be filled: the API answers for its last 30 days only."""
    horizon = pd.Timedelta(days=API_HORIZON_DAYS)
    if gap.end <= now - horizon:
        return f"older than the API's {API_HORIZON_DAYS}-day horizon: can no longer be synced"
    if gap.start < now - horizon:
        return (
            f"partly older than the API's {API_HORIZON_DAYS}-day horizon: sync now to fill the rest"
        )
    return f"sync before {(gap.start + horizon).tz_convert(tz):%Y-%m-%d %H:%M} {tz} to fill it"


def coverage_text(
    coverage: pd.DataFrame | Coverage | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
    now: pd.Timestamp | None = None,
    tz: str = "UTC",
) -> list[str]:
    """Coverage sentences: the month is covered only where merged sync windows cover it;
    every gap is listed (up to :data:`MAX_GAPS_LISTED`), with whether it can still be filled.

    ``coverage`` is :meth:`JobArchive.syncs` (any number of projects: each must cover
    the month) or :meth:`JobArchive.coverage`.

    Examples
    --------
    >>> m0, m1 = month_bounds("2026-10")
    >>> syncs = pd.DataFrame({"window_start": [m0, m0 + pd.Timedelta(days=20)],
    ...                       "window_end": [m0 + pd.Timedelta(days=10), m1]})
    >>> for line in coverage_text(syncs, m0, m1, now=pd.Timestamp("2026-11-02", tz="UTC")):
    ...     print(line)
    Archive sync coverage: 68% of the month is covered by recorded syncs; 1 gap(s) with no recorded sync, where jobs may be missing:
    Gap: 2026-10-11 00:00 .. 2026-10-21 00:00 UTC (10 d); sync before 2026-11-10 00:00 UTC to fill it.
    """
    if coverage is None:
        return ["Archive sync coverage: not known for this data (no sync records given)."]
    projects = _windows_by_project(coverage)
    if not projects:
        return ["Archive sync coverage: no sync has been recorded; the whole month is uncovered."]
    now = now if now is not None else to_utc(utcnow())
    out: list[str] = []
    unlisted = 0
    for project, windows in projects.items():
        of = f" of project {project}" if len(projects) > 1 else ""
        gaps = find_gaps(windows, start, end)
        if not gaps:
            out.append(f"Archive sync coverage{of}: the whole month is covered by recorded syncs.")
        elif gaps == [Window(start, end)]:
            out.append(f"Archive sync coverage{of}: no recorded sync covers any of this month; "
                       "jobs created in it may be missing from this report "
                       f"({_fate(gaps[0], now, tz)}).")  # fmt: skip
        else:
            share = 1 - sum((g.length for g in gaps), pd.Timedelta(0)) / (end - start)
            out.append(f"Archive sync coverage{of}: {share:.0%} of the month is covered by "
                       f"recorded syncs; {len(gaps)} gap(s) with no recorded sync, where jobs "
                       "may be missing:")  # fmt: skip
            room = max(0, MAX_GAPS_LISTED - sum(line.startswith("Gap") for line in out))
            out += [f"Gap{of}: {_span(g, tz)} ({duration_text(g.length.total_seconds())}); "
                    f"{_fate(g, now, tz)}." for g in gaps[:room]]  # fmt: skip
            unlisted += len(gaps[room:])
    if unlisted:
        out.append(f"... and {unlisted} more gap(s) not listed here.")
    return out


def covered_share(
    coverage: pd.DataFrame | Coverage | None, start: pd.Timestamp, end: pd.Timestamp
) -> float | None:
    """Share of ``[start, end)`` every project's sync windows cover (the least covered
    project's); None when coverage is not known."""
    if coverage is None:
        return None
    projects = _windows_by_project(coverage)
    if not projects:
        return 0.0
    shares = []
    for windows in projects.values():
        gaps = find_gaps(windows, start, end)
        shares.append(1 - sum((g.length for g in gaps), pd.Timedelta(0)) / (end - start))
    return float(min(shares))


def coverage_problems(
    coverage: pd.DataFrame | Coverage | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
    month: str,
    tz: str = "UTC",
) -> list[str]:
    """One line per reason the archive cannot back the month: coverage not known, no sync,
    or a project whose sync windows leave part of the month uncovered.

    Examples
    --------
    >>> m0, m1 = month_bounds("2026-10")
    >>> syncs = pd.DataFrame({"window_start": [m0], "window_end": [m0 + pd.Timedelta(days=3)]})
    >>> coverage_problems(syncs, m0, m1, "2026-10")
    ['the archive covers 3 of 31 days of 2026-10 (sync windows 2026-10-01 00:00 .. 2026-10-04 00:00 UTC)']
    """
    if coverage is None:
        return [f"the archive's coverage of {month} is not known (no sync records were given)"]
    projects = _windows_by_project(coverage)
    if not projects:
        return [f"no sync of the archive covers any of {month}"]
    total = (end - start) / pd.Timedelta(days=1)
    out = []
    for project, windows in projects.items():
        gaps = find_gaps(windows, start, end)
        if not gaps:
            continue
        of = f" (project {project})" if len(projects) > 1 else ""
        inside = [Window(max(w.start, start), min(w.end, end)) for w in windows
                  if w.end > start and w.start < end]  # fmt: skip
        covered = sum((w.length for w in inside), pd.Timedelta(0)) / pd.Timedelta(days=1)
        listed = ", ".join(_span(w, tz) for w in inside[:3])
        listed += f" and {len(inside) - 3} more" if len(inside) > 3 else ""
        where = f"sync windows {listed}" if inside else "no sync window in the month"
        out.append(f"the archive{of} covers {covered:.3g} of {total:.3g} days of {month} ({where})")
    return out

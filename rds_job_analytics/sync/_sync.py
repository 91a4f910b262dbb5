"""Time windows -> archive: :func:`sync_jobs` lists the task list's window into the
archive and spends the per-job call where it pays (:class:`DetailRule`); :class:`SyncResult`
says what a run did."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from .._time import aware, utcnow
from .._validate import ERRORS_CHOICES, Errors, check_choice
from ..api import JobsClient
from ..exceptions import (
    ConfigError,
    FetchError,
    FetchWarning,
    LeaseLost,
    RdsJobError,
    RecordsRejected,
)
from ..normalize import normalize_jobs
from ..normalize.schema import API_HORIZON, RUNNING, to_utc
from ..store import ArchiveError, JobArchive, Lease
from ._fetch import FETCHED, fetch_jobs

__all__ = [
    "DEFAULT_DETAIL_RULE",
    "DEFAULT_OVERLAP",
    "DetailRule",
    "Details",
    "SyncResult",
    "default_since",
    "oldest_answered",
    "sync_jobs",
]


@dataclass
class SyncResult:
    """What one :func:`sync_jobs` run did.

    Examples
    --------
    >>> from datetime import datetime
    >>> r = SyncResult(datetime(2026, 11, 1), datetime(2026, 11, 2), listed=3, fetched=3,
    ...                failed=0, calls=4, detail_jobs=None)
    >>> print(r)
    sync 2026-11-01 00:00 .. 2026-11-02 00:00 UTC: 3 listed, 3 fetched, 0 failed, 4 API calls
    """

    window_start: datetime
    window_end: datetime
    listed: int
    fetched: int
    failed: int
    calls: int
    detail_jobs: pd.DataFrame
    """The per-job calls of this run (:func:`fetch_jobs`' frame: one row per job asked
    for its detail, with ``fetch_status`` and ``fetch_error``); not the window's jobs,
    which are in the archive (:meth:`~rds_job_analytics.store.JobArchive.to_frame`)."""
    partial: str | None = None
    """Why the task list stopped early (the window was recorded only in part), or None."""
    unreadable: tuple[str, ...] = ()
    """Task-list records that could not be read or archived, one text each naming the
    record (page, position, ID as sent) and why. When any, the window is not recorded
    as covered: the next run lists it again."""
    clamped_since: tuple[datetime, datetime] | None = None
    """``(asked, used)`` when the ``since`` asked for lay before the API's horizon and the
    sync started at the horizon instead (the API answers for nothing older), else None."""

    @property
    def frame(self) -> pd.DataFrame:
        """Deprecated name of :attr:`detail_jobs` (the per-job calls' frame).

        Examples
        --------
        >>> import warnings
        >>> r = SyncResult(datetime(2026, 11, 1), datetime(2026, 11, 2), 0, 0, 0, 0, None)
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     r.frame is r.detail_jobs, caught[0].category.__name__
        (True, 'DeprecationWarning')
        """
        warnings.warn(
            "SyncResult.frame is deprecated: use SyncResult.detail_jobs (the per-job calls' "
            "frame; the window's jobs are in the archive)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.detail_jobs

    def __str__(self) -> str:
        text = (
            f"sync {self.window_start:%Y-%m-%d %H:%M} .. {self.window_end:%Y-%m-%d %H:%M} UTC: "
            f"{self.listed} listed, {self.fetched} fetched, {self.failed} failed, "
            f"{self.calls} API calls"
        )
        if self.unreadable:
            text += (f"; {len(self.unreadable)} task-list record(s) unreadable, "
                     "window not recorded as covered")  # fmt: skip
        return text + (f"; task list incomplete: {self.partial}" if self.partial else "")


Details = Literal["auto", "all", "none"]


@dataclass(frozen=True)
class DetailRule:
    """Which job kinds ``details="auto"`` asks the per-job call for, by job name.

    A name matching any pattern (case-insensitive regular expressions, searched) gets
    the call; any other name (the vocabulary is open) gets ``default``. The default rule
    asks for storage scale-ups only: their volume sizes (resize deltas) are the one
    entity the analysis and the report use that the task list lacks; engines come from
    the job name or the instance ID.

    Examples
    --------
    >>> DEFAULT_DETAIL_RULE.wants("MysqlEnlargeVolume"), DEFAULT_DETAIL_RULE.wants("Restart")
    (True, False)
    >>> eip = DetailRule((*DEFAULT_DETAIL_RULE.patterns, "BindEIP"))  # extend it
    >>> eip.wants("MysqlBindEIP")
    True
    """

    patterns: tuple[str, ...] = (r"volume", r"storage", r"disk")
    default: bool = False

    def wants(self, job_name: object) -> bool:
        """Whether a job of this name needs its per-job detail."""
        if not isinstance(job_name, str) or not job_name:
            return self.default
        return any(re.search(p, job_name, re.IGNORECASE) for p in self.patterns) or self.default


DEFAULT_DETAIL_RULE = DetailRule()
#: How far before the last recorded end a sync without ``since`` starts again.
DEFAULT_OVERLAP = timedelta(minutes=10)


def sync_jobs(
    client: JobsClient,
    archive: JobArchive,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    details: Details = "auto",
    detail_rule: DetailRule = DEFAULT_DETAIL_RULE,
    budget: int | None = None,
    horizon: timedelta | None = API_HORIZON,
    errors: Errors = "warn",
    progress: bool | None = None,
    account: str | None = None,
    wait: float = 0.0,
) -> SyncResult:
    """Archive every job of a window from the task list, and per-job detail where it pays.

    Every task-list page (50 jobs a call) is committed to the archive as it arrives:
    that alone gives each job's name, status, times, progress, instance and failure
    reason. Running jobs are followed through the task list. The per-job call, which
    adds the entities, is spent as ``details`` says:

    * ``"auto"`` (default): for jobs whose name ``detail_rule`` wants (storage
      scale-ups by default) and that have no per-job response yet, in the whole
      archive of the project (what an earlier budget left out comes first next time);
    * ``"all"``: as before the task list was kept: every new job and every archived
      Running job;
    * ``"none"``: no per-job call.

    The window runs from ``since`` (default: the oldest gap in the horizon that an
    earlier partial run left, else the end of the last recorded sync minus ``overlap``,
    else the horizon's start) to ``until`` (default now), never older than the API's
    30-day horizon: the recorded window is what the API could answer for. The task list
    is read without its ``start_time``/``end_time`` filter (its ``end_time`` may bound the
    task's end rather than its creation: a job created in the window that is still
    running, or ends after ``until``, would be missed), newest first, down to the first
    page that reaches past ``since``; a record is archived when it was created inside
    ``[since, until]``. Task-list records that cannot be read or archived are named in
    :attr:`SyncResult.unreadable` and leave the window unclaimed. If a
    task-list page fails after the client's retries, the window is recorded only down
    to the oldest job listed (the list comes newest first), a :class:`FetchWarning`
    says so, and the next run completes it; nothing committed is lost.

    Parameters
    ----------
    client : JobsClient
        The project and the quota to spend.
    archive : JobArchive
        Where task-list records, responses and the sync window are recorded.
    since, until : datetime, optional
        The window (naive = UTC).
    overlap : timedelta
        How far before the last recorded end a default window starts.
    details : {"auto", "all", "none"}
        Which jobs get the per-job call (above).
    detail_rule : DetailRule
        The job kinds ``"auto"`` fetches.
    budget : int, optional
        At most this many per-job calls in this run, the newest jobs first.
    horizon : timedelta, optional
        How long the API keeps jobs (30 days); a window is never recorded older, and
        per-job calls are not spent on jobs older. None: the API keeps everything (the
        emulator with ``retention_days=None``).
    errors : {"warn", "raise", "ignore"}
        As in :func:`fetch_jobs`.
    progress : bool, optional
        Progress bar; default on when interactive.
    account : str, optional
        The fleet account's name, recorded with every row and the sync window.
    wait : float
        A sync claims its project in the archive first (:meth:`JobArchive.claim`), so
        two overlapping syncs never do the work twice: the second waits up to ``wait``
        seconds for the first, then raises :class:`ProjectBusy` without a call.

    Returns
    -------
    SyncResult

    Raises
    ------
    ProjectBusy
        Another sync (thread, process or machine) holds the project.
    LeaseLost
        This sync stalled longer than its lease and another sync claimed the project:
        its client was stopped at once (no more calls), no window is recorded.

    An error raised mid-sync carries ``committed``: (task records listed, jobs fetched)
    that were archived before it (a summary counts them, not zeros).

    Examples
    --------
    >>> from datetime import datetime
    >>> from rds_job_analytics.emulator import Emulator
    >>> jobs = [{"job": {"id": f"j{i}", "status": "Completed", "name": name,
    ...                  "created": f"2026-11-0{i}T08:00:00Z"}}
    ...         for i, name in enumerate(["Restart", "MysqlEnlargeVolume", "Restart"], 1)]
    >>> archive = JobArchive(":memory:")
    >>> with Emulator(jobs, retention_days=None, now=datetime(2026, 11, 30)) as emu:
    ...     with emu.client() as client:
    ...         print(sync_jobs(client, archive, since=datetime(2026, 11, 1),
    ...                         until=datetime(2026, 11, 30), horizon=None, progress=False))
    sync 2026-11-01 00:00 .. 2026-11-30 00:00 UTC: 3 listed, 1 fetched, 0 failed, 3 API calls
    """
    check_choice("errors", errors, ERRORS_CHOICES)  # before any call is spent
    check_choice("details", details, get_args(Details))
    if budget is not None and budget < 0:
        raise ConfigError(f"budget must be >= 0 calls, not {budget!r}")
    with archive.claim(client.project_id, wait=wait) as lease:
        lease.on_lost(client.interrupt)  # not one more call on a project another sync does
        try:
            return _sync(
                client, archive, since, until, overlap, details, detail_rule, budget, horizon,
                errors, progress, account, lease,
            )  # fmt: skip
        except RdsJobError as exc:  # (a FetchError with errors="raise"...): say why it stopped
            if lease.lost and not isinstance(exc, LeaseLost):
                raise _lease_lost(lease, *getattr(exc, "committed", (0, 0))) from None
            raise
        finally:
            if lease.lost:
                client.resume()  # this project's work is over; the client is the caller's


class _Committed:
    """What a sync has committed so far: the task records listed, the jobs fetched."""

    __slots__ = ("fetched", "listed")

    def __init__(self) -> None:
        self.listed: set[str] = set()
        self.fetched = 0


def _sync(*args: Any) -> SyncResult:
    """:func:`_sync_steps`; any error it raises (the archive gone while listing, fetching,
    expiring or recording the window; a lost lease; a FetchError) carries ``committed``:
    (task records listed, jobs fetched) before it, so a summary counts them, not zeros."""
    done = _Committed()
    try:
        return _sync_steps(*args, done)
    except RdsJobError as exc:
        listed, fetched = getattr(exc, "committed", (0, 0))  # fetch_jobs knows its own
        if isinstance(exc, FetchError) and exc.frame is not None:
            fetched = int(exc.frame["fetch_status"].isin(FETCHED).sum())
        exc.committed = (max(listed, len(done.listed)), max(fetched, done.fetched))  # type: ignore[attr-defined]
        raise


def _sync_steps(
    client: JobsClient,
    archive: JobArchive,
    since: datetime | None,
    until: datetime | None,
    overlap: timedelta,
    details: Details,
    detail_rule: DetailRule,
    budget: int | None,
    horizon: timedelta | None,
    errors: Errors,
    progress: bool | None,
    account: str | None,
    lease: Lease,
    done: _Committed,
) -> SyncResult:
    project = client.project_id
    now = utcnow()  # one reading of the clock for the whole run
    end = min(aware(until or now), now)  # the future is not covered yet
    oldest_kept = oldest_answered(now, horizon)
    if since is None:
        since = default_since(archive, project, now, horizon, overlap)
    since = aware(since)
    clamped_since = None
    if oldest_kept is not None and since < oldest_kept:  # the API answers for nothing older
        clamped_since, since = (since, oldest_kept), oldest_kept
    if since >= end:
        raise ConfigError(f"sync window is empty: since {since} >= until {end}")
    calls0 = client.calls
    listed = done.listed
    oldest, newest_first, partial, unreadable = _list_window(
        client, archive, since, end, account, listed
    )
    if lease.lost:  # taken over while listing: the other sync does the rest
        raise _lease_lost(lease, len(listed), 0)
    window_start = since
    if partial is not None:
        # Covered: what lies after the oldest job listed, and only when the list came
        # newest first (the spec does not promise an order; then nothing is claimed).
        if oldest is not None and newest_first:
            window_start = max(oldest + timedelta(microseconds=1), since)
        else:
            window_start = end
        warnings.warn(
            f"task list failed after retries ({partial}); recorded only "
            f"{window_start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} UTC, rerun to complete",
            FetchWarning,
            stacklevel=2,
        )
    if unreadable:  # a job the archive lacks: nothing of the window is claimed as covered
        window_start = end
        warnings.warn(
            f"task list: {len(unreadable)} record(s) could not be read ({'; '.join(unreadable[:3])}"
            f"{'; ...' if len(unreadable) > 3 else ''}); the window is not recorded as covered,"
            " rerun to list it again",
            FetchWarning,
            stacklevel=2,
        )
    wanted = _wanted_details(archive, project, details, detail_rule, oldest_kept)
    if budget is not None:
        wanted = wanted[:budget]
    frame = fetch_jobs(
        client, wanted, archive=archive, refresh="running", errors=errors,
        progress=progress, account=account,
    )  # fmt: skip
    failed = int((~frame["fetch_status"].isin(FETCHED)).sum())
    done.fetched = len(frame) - failed
    if lease.lost:  # taken over while fetching: no window is claimed
        raise _lease_lost(lease, len(listed), int(frame["fetch_status"].isin(FETCHED).sum()))
    calls = client.calls - calls0
    if window_start < end:
        archive.record_sync(
            project, client.region, window_start, end, listed=len(listed),
            fetched=len(frame) - failed, calls=calls, account=account,
        )  # fmt: skip
    return SyncResult(
        window_start, end, len(listed), len(frame) - failed, failed, calls, frame, partial,
        tuple(unreadable), clamped_since,
    )  # fmt: skip


def _list_window(
    client: JobsClient,
    archive: JobArchive,
    since: datetime,
    end: datetime,
    account: str | None,
    listed: set[str],
) -> tuple[datetime | None, bool, str | None, list[str]]:
    """Read the task list newest first down to ``since``, archiving each page's records
    created in ``[since, end]`` (their IDs join ``listed``). Returns (the oldest creation
    time listed, whether the pages came newest first, why the list stopped early or None,
    the records that could not be archived)."""
    project = client.project_id
    oldest: datetime | None = None  # the oldest creation time listed so far
    newest_first = True  # the order pages came in, as far as they show it
    partial: str | None = None
    unreadable: list[str] = []  # records that could not be archived: the window is not claimed
    try:
        # No time filter: end_time may bound the task's end, not its creation (README,
        # "Task-list time semantics"); the list comes newest first, read down to `since`.
        for number, page in enumerate(client.list_task_pages(), 1):
            frame, created_at = _page_frame(page)
            keep = [i for i, c in enumerate(created_at) if c is None or since <= c <= end]
            try:
                archive.put_tasks([page[i] for i in keep], project_id=project,
                                  region=client.region, account=account)  # fmt: skip
                bad: set[int] = set()
            except RecordsRejected as exc:
                bad = {keep[pos] for pos, _, _ in exc.rejected}
                unreadable += [
                    f"page {number} record #{keep[pos]}" + (f" (id {jid!r})" if jid else "")
                    + f": {why}" for pos, jid, why in exc.rejected
                ]  # fmt: skip
            rows = frame.attrs["positions"]
            listed.update(frame["job_id"].astype(str)[[p in keep and p not in bad for p in rows]])
            known = [c for c in created_at if c is not None]
            if known:
                later = any(b > a for a, b in pairwise(known))
                if later or (oldest is not None and max(known) > oldest):
                    newest_first = False  # a record newer than one before it
                oldest = min(known) if oldest is None else min(oldest, *known)
                if newest_first and oldest < since:  # every later page is older still
                    break
    except ArchiveError:  # not a listing problem: the store is gone, stop asking the API
        raise
    except RdsJobError as exc:
        partial = f"{type(exc).__name__}: {exc}"
    return oldest, newest_first, partial, unreadable


def _page_frame(page: list[Any]) -> tuple[pd.DataFrame, list[datetime | None]]:
    """A task-list page normalized (``attrs["positions"]``: each row's position in the
    page), and each record's creation time (UTC), None where it cannot be read."""
    frame = normalize_jobs(page, errors="ignore")
    skipped = {s["position"] for s in frame.attrs.get("skipped_records", ())}
    positions = [pos for pos in range(len(page)) if pos not in skipped]
    frame.attrs["positions"] = positions
    created: list[datetime | None] = [None] * len(page)
    for pos, when in zip(positions, frame["created"].tolist(), strict=True):
        created[pos] = None if pd.isna(when) else when.to_pydatetime()
    for pos in skipped:  # not a job record, but its creation time may still place it
        rec = page[pos]
        raw = {str(k).strip(): v for k, v in rec.items()} if isinstance(rec, dict) else {}
        text = raw.get("create_time") or raw.get("created")
        if isinstance(text, str):
            try:
                when = to_utc(text)
            except (ValueError, TypeError):
                continue
            created[pos] = None if pd.isna(when) else when.to_pydatetime()
    return frame, created


def _lease_lost(lease: Lease, listed: int, fetched: int) -> LeaseLost:
    exc = LeaseLost(lease.project_id, lease.taken_by)
    exc.committed = (listed, fetched)  # type: ignore[attr-defined]
    return exc


def oldest_answered(now: datetime, horizon: timedelta | None) -> datetime | None:
    """The oldest creation time the API still answers for at ``now`` (None: no horizon):
    a sync never starts before it, and a window that ends before it is empty.

    Examples
    --------
    >>> from datetime import UTC
    >>> oldest_answered(datetime(2026, 12, 3, tzinfo=UTC), timedelta(days=30))
    datetime.datetime(2026, 11, 3, 0, 0, tzinfo=datetime.timezone.utc)
    >>> oldest_answered(datetime(2026, 12, 3, tzinfo=UTC), None) is None
    True
    """
    return now - horizon if horizon is not None else None


def default_since(
    archive: JobArchive, project: str, now: datetime, horizon: timedelta | None, overlap: timedelta
) -> datetime:
    """Where a sync without ``since`` starts: the oldest gap the horizon still holds (a
    partial or late run left it), else the end of the last sync minus ``overlap``, else
    the horizon's start.

    Examples
    --------
    >>> from datetime import UTC
    >>> now = datetime(2026, 12, 3, tzinfo=UTC)
    >>> with JobArchive(":memory:") as archive:  # never synced: the horizon's start
    ...     default_since(archive, "p", now, timedelta(days=30), DEFAULT_OVERLAP)
    datetime.datetime(2026, 11, 3, 0, 0, tzinfo=datetime.timezone.utc)
    """
    last = archive.last_sync_end(project)
    if last is None:
        return now - (horizon or API_HORIZON)
    if horizon is not None:
        cov = archive.coverage(project, now=now, horizon_days=horizon / timedelta(days=1))
        older = [g.start for g in cov.gaps if g.start < last - overlap]
        if older:
            return min(older)
    return last - overlap


def _wanted_details(
    archive: JobArchive,
    project: str,
    details: str,
    rule: DetailRule,
    oldest_kept: datetime | None,
) -> list[str]:
    """The job IDs to ask the per-job call for, most useful (newest) first."""
    if details == "none":
        return []
    detailed = archive.statuses(project, detail=True)
    frame = archive.to_frame(project_id=project)
    if oldest_kept is not None:  # older jobs have expired: their call would be wasted
        frame = frame[(frame["created"] >= pd.Timestamp(oldest_kept)).to_numpy()]
    frame = frame.sort_values("created", ascending=False, na_position="last")
    no_detail = frame[(frame["source"] == "task").to_numpy()]
    if details == "all":  # every job without its per-job response, then the running ones
        running = frame["job_id"].astype(str).map(detailed).isin([RUNNING]).to_numpy()
        ids = no_detail["job_id"].astype(str).tolist()
        return ids + frame.loc[running, "job_id"].astype(str).tolist()
    names = no_detail["job_name"].astype(object)
    want = np.fromiter((rule.wants(n) for n in names), dtype=bool, count=len(names))
    picked = no_detail[want]
    return picked["job_id"].astype(str).tolist()


#: The old private names, for the deprecated path ``rds_job_analytics.fetch`` (one release).
_default_since = default_since
_aware = aware

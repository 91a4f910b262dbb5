"""Job IDs and time windows -> archive -> normalized frame.

Examples
--------
>>> from rds_job_analytics import fetch_jobs
>>> from rds_job_analytics.emulator import Emulator
>>> jid = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"
>>> job = {"job": {"id": jid, "name": "RestartMysqlInstance", "status": "Completed",
...                "created": "2026-11-01T08:00:00+0800", "ended": "2026-11-01T08:01:30+0800"}}
>>> with Emulator([job], retention_days=None) as emu, emu.client() as client:
...     df = fetch_jobs([jid, "no-such-job"], client=client, errors="ignore")
>>> df[["job_id", "status", "duration_s", "fetch_status"]]
                                 job_id     status  duration_s fetch_status
0  31b8ae23-c687-4d80-b7b4-42a66c9bb886  Completed        90.0           ok
1                           no-such-job        NaN         NaN    not_found
"""

from __future__ import annotations

import re
import sys
import threading
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal, get_args

import numpy as np
import orjson
import pandas as pd

from .._validate import ERRORS_CHOICES, Errors, check_choice
from ..api._client import JobsClient
from ..exceptions import (
    AuthError,
    ConfigError,
    FetchError,
    FetchWarning,
    Interrupted,
    JobNotFound,
    LeaseLost,
    RateLimited,
    RdsJobError,
    RecordsRejected,
    TransportError,
)
from ..normalize._records import normalize_jobs
from ..normalize.schema import (
    API_HORIZON,
    FETCH_COLUMNS,
    RUNNING,
    TERMINAL_STATUSES,
    TEXT,
    strip_job_id,
    to_utc,
    with_origin,
)
from ..store._archive import ArchiveError, JobArchive, Lease

__all__ = ["FetchWarning", "SyncResult", "fetch_jobs", "sync_jobs"]

FETCH_STATUSES = ["ok", "expired", "not_found", "rate_limited", "auth_error", "error"]
#: Statuses that are no failure: fetched, or ``expired`` (archived as not finished, then
#: aged out of the API: the archived record is the row, and it is not asked for again).
FETCHED = frozenset({"ok", "expired"})
#: What :func:`fetch_jobs` asks again for when an archive already holds a job.
Refresh = Literal["running", "all", "none"]
REFRESH_CHOICES: tuple[str, ...] = get_args(Refresh)


class _NotAsked(RdsJobError):
    """The batch stopped before this ID was asked for (an authentication failure)."""


def _final_auth(exc: BaseException) -> bool:
    """An authentication failure that will not heal for the next ID (IAM refused the
    login, or the API refused the credentials after any refresh): it stops the batch."""
    return isinstance(exc, AuthError) and exc.status in (400, 401, 403)


def _status_of(exc: BaseException) -> str:
    if isinstance(exc, JobNotFound):
        return "not_found"
    if isinstance(exc, RateLimited):
        return "rate_limited"
    if isinstance(exc, AuthError):
        return "auth_error"
    return "error"


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def fetch_jobs(
    job_ids: Iterable[str],
    *,
    client: JobsClient,
    archive: JobArchive | None = None,
    refresh: Refresh = "running",
    errors: Errors = "warn",
    progress: bool | None = None,
    account: str | None = None,
) -> pd.DataFrame:
    """Fetch a batch of jobs into one normalized frame, one row per requested ID.

    Parameters
    ----------
    job_ids : iterable of str
        IDs in either shape (UUID or 32 hex); whitespace is removed, duplicates dropped.
    client : JobsClient
        Paces all workers to its quota and retries what is worth retrying.
    archive : JobArchive, optional
        Every response is stored as it arrives; archived terminal jobs are not asked
        for again.
    refresh : {"running", "all", "none"}
        With an archive: re-fetch archived Running jobs (default), everything, or
        nothing already archived.
    errors : {"warn", "raise", "ignore"}
        ``"warn"``: one :class:`FetchWarning` counting failures; ``"raise"``:
        :class:`FetchError` carrying the full frame and the failures.

        A dead endpoint does not cost minutes: once the client's circuit opens (a run of
        refused, DNS or TLS failures, see ``JobsClient(circuit_threshold=...)``), every
        remaining ID is marked ``"error"`` with that reason (``"connection refused by
        ..."``) at once, without a call, and the warning or error names it.

        An authentication failure that cannot heal (IAM refuses the login, or the API
        still answers 401/403 after the credentials were refreshed) stops the batch:
        every ID not yet asked for is marked ``"auth_error"`` with that reason, without
        another call or login (a wrong password costs one login attempt, not one per ID).

        Ctrl-C (``KeyboardInterrupt``) stops promptly: pending IDs are dropped, workers
        waiting to retry (backoff, ``Retry-After``) wake at once, requests on the wire
        finish, every response that arrived is in the archive, and the
        ``KeyboardInterrupt`` is raised again.
    progress : bool, optional
        Progress bar (tqdm, notebook-aware); default on when interactive.
    account : str, optional
        The fleet account's name, for the ``account`` column (and the archive).

    Returns
    -------
    pandas.DataFrame
        ``JOB_SCHEMA`` columns (``project_id`` and ``region`` from the client) plus ``fetch_status`` (ok, not_found, rate_limited,
        auth_error, error) and ``fetch_error``.

    Raises
    ------
    FetchError
        With ``errors="raise"``, when any ID failed.
    ConfigError
        A bad ``refresh`` or ``errors``.

    Examples
    --------
    A second call with the same archive asks the API only for what it lacks:

    >>> from rds_job_analytics.emulator import Emulator
    >>> jobs = [{"job": {"id": f"j{i}", "status": "Completed", "created": "2026-11-01T08:00:00Z"}}
    ...         for i in range(3)]
    >>> archive = JobArchive(":memory:")
    >>> with Emulator(jobs, retention_days=None) as emu, emu.client() as client:
    ...     first = fetch_jobs(["j0", "j1"], client=client, archive=archive)
    ...     calls = client.calls
    ...     again = fetch_jobs(["j0", "j1", " j 2"], client=client, archive=archive)
    >>> calls, client.calls - calls, again["job_id"].tolist()
    (2, 1, ['j0', 'j1', 'j2'])
    >>> again["fetch_status"].value_counts()["ok"]
    np.int64(3)
    """
    check_choice("refresh", refresh, REFRESH_CHOICES)
    check_choice("errors", errors, ERRORS_CHOICES)
    if isinstance(job_ids, str):
        job_ids = [job_ids]
    order: list[str] = []
    status: dict[str, str] = {}
    message: dict[str, str | None] = {}
    raw: dict[str, bytes] = {}
    for item in job_ids:
        jid = strip_job_id(item) if isinstance(item, str) else None
        if not jid:
            key = repr(item)
            if key not in status:
                order.append(key)
                status[key], message[key] = "error", f"invalid job id {item!r}"
            continue
        if jid not in status:
            order.append(jid)
            status[jid], message[jid] = "pending", None

    todo = [j for j in order if status[j] == "pending"]
    project = client.project_id
    if archive is not None and refresh != "all":
        known = archive.statuses(project, todo, detail=True)
        reuse = [
            j for j in todo
            if j in known and (refresh == "none" or known[j] in TERMINAL_STATUSES)
        ]  # fmt: skip
        raw.update(archive.raw(project, reuse))
        for j in reuse:
            status[j] = "ok"
        gone = archive.expired(project)
        aged = [j for j in todo if status[j] == "pending" and j in gone]
        raw.update(archive.raw(project, aged))
        for j in aged:
            status[j], message[j] = "expired", _expired_text(gone[j])
        todo = [j for j in todo if status[j] == "pending"]

    stopped: list[str] = []  # why the batch stopped (an auth failure that cannot heal)
    lost: list[ArchiveError] = []  # the archive failed: the batch stops and this is raised
    stop_lock = threading.Lock()
    paused_here = False  # whether this call interrupted the client (then it resumes it)

    def stop(reason: str) -> None:
        nonlocal paused_here
        with stop_lock:
            if stopped:
                return
            stopped.append(reason)
            if not client.interrupted:
                paused_here = True
                client.interrupt()  # waiting workers wake; nothing more is sent

    def work(jid: str) -> bytes:
        if stopped:
            raise _NotAsked(stopped[0])
        try:
            body = client.get_job(jid)
        except AuthError as exc:
            if _final_auth(exc):
                stop(str(exc))
            raise
        blob = orjson.dumps(body)
        if archive is not None:
            try:
                archive.put(blob, project_id=project, region=client.region, account=account)
            except ArchiveError as exc:  # the store is gone: asking the API more loses answers
                lost.append(exc)
                stop(f"the archive failed: {exc}")
                raise
        return blob

    down: str | None = None  # why the endpoint was found dead, when it was

    bar = None
    if progress or (progress is None and _interactive() and todo):
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="jobs", unit="job")
    pool = ThreadPoolExecutor(max_workers=client.max_workers)
    try:
        futures = {pool.submit(work, j): j for j in todo}
        for fut in as_completed(futures):
            jid = futures[fut]
            try:
                raw[jid] = fut.result()
                status[jid] = "ok"
            except (_NotAsked, Interrupted) as exc:
                if stopped:
                    status[jid] = "auth_error"
                    message[jid] = f"not asked: the batch stopped after {stopped[0]}"
                else:
                    status[jid], message[jid] = "error", str(exc)
            except RdsJobError as exc:
                status[jid], message[jid] = _status_of(exc), str(exc)
                if isinstance(exc, TransportError) and exc.reason:
                    down = exc.reason
            except Exception as exc:  # a bug or an unexpected library error: keep the batch
                status[jid], message[jid] = "error", f"{type(exc).__name__}: {exc}"
            if bar is not None:
                bar.update(1)
    except KeyboardInterrupt:
        # Ctrl-C: drop what is pending, wake the sleeping workers (their retries are not
        # sent), let requests on the wire finish; each response is archived as it comes.
        if not client.interrupted:
            paused_here = True
            client.interrupt()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if paused_here:
            client.resume()
        if bar is not None:
            bar.close()
    if lost:  # what was committed before stays; the caller learns the archive is gone
        lost[0].committed = (0, sum(status[j] == "ok" for j in todo))  # type: ignore[attr-defined]
        raise lost[0]
    if archive is not None:
        _expire(archive, project, status, message, raw)

    frame = with_origin(
        _assemble(order, status, message, raw),
        account=account, project_id=project, region=client.region,
    )  # fmt: skip
    failures = frame[~frame["fetch_status"].isin(FETCHED)][
        ["job_id", "fetch_status", "fetch_error"]
    ]
    if len(failures):
        counts = failures["fetch_status"].value_counts()
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        text = f"{len(failures)} of {len(frame)} job(s) not fetched ({summary})"
        if down is not None:
            text += f"; {down}"
        if errors == "raise":
            raise FetchError(text, frame=frame, failures=failures.reset_index(drop=True))
        if errors == "warn":
            warnings.warn(text, FetchWarning, stacklevel=2)
    return frame


def _expired_text(when: pd.Timestamp) -> str:
    return (f"aged out of the API before it finished (not found since {when:%Y-%m-%d %H:%M} "
            "UTC): the archived record is kept and not asked for again")  # fmt: skip


def _expire(
    archive: JobArchive,
    project: str,
    status: dict[str, str],
    message: dict[str, str | None],
    raw: dict[str, bytes],
) -> None:
    """Archived jobs that never finished and now answer "not found" have aged out of the
    API: marked expired in the archive (with when), reported with their archived record."""
    missing = [j for j, s in status.items() if s == "not_found"]
    if not missing:
        return
    known = archive.raw(project, missing)
    if not known:
        return
    archive.mark_expired(project, list(known))
    gone = archive.expired(project)
    for j, blob in known.items():
        if j in gone:
            status[j], message[j], raw[j] = "expired", _expired_text(gone[j]), blob


def _assemble(
    order: list[str], status: dict[str, str], message: dict[str, str | None], raw: dict[str, bytes]
) -> pd.DataFrame:
    ok = [j for j in order if status[j] in FETCHED]
    df = normalize_jobs([raw[j] for j in ok], errors="ignore")
    bad = {s["position"] for s in df.attrs["skipped_records"]}
    for pos in bad:  # an archived/returned body that is not a job: report it, keep going
        status[ok[pos]], message[ok[pos]] = "error", "response is not a job object"
    ok = [j for pos, j in enumerate(ok) if pos not in bad]
    df["job_id"] = pd.array(ok, dtype=df["job_id"].dtype)
    df = df.set_index("job_id").reindex(pd.Index(order, name="job_id")).reset_index()
    df["job_id"] = df["job_id"].astype(TEXT)
    df["fetch_status"] = pd.Categorical([status[j] for j in order], categories=FETCH_STATUSES)
    df["fetch_error"] = pd.array([message[j] for j in order], dtype=FETCH_COLUMNS["fetch_error"])
    return df


@dataclass
class SyncResult:
    """What one :func:`sync_jobs` run did.

    Examples
    --------
    >>> from datetime import datetime
    >>> r = SyncResult(datetime(2026, 11, 1), datetime(2026, 11, 2), listed=3, fetched=3,
    ...                failed=0, calls=4, frame=None)
    >>> print(r)
    sync 2026-11-01 00:00 .. 2026-11-02 00:00 UTC: 3 listed, 3 fetched, 0 failed, 4 API calls
    """

    window_start: datetime
    window_end: datetime
    listed: int
    fetched: int
    failed: int
    calls: int
    frame: pd.DataFrame
    partial: str | None = None
    """Why the task list stopped early (the window was recorded only in part), or None."""
    unreadable: tuple[str, ...] = ()
    """Task-list records that could not be read or archived, one text each naming the
    record (page, position, ID as sent) and why. When any, the window is not recorded
    as covered: the next run lists it again."""
    clamped_since: tuple[datetime, datetime] | None = None
    """``(asked, used)`` when the ``since`` asked for lay before the API's horizon and the
    sync started at the horizon instead (the API answers for nothing older), else None."""

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
    now = datetime.now(UTC)  # one reading of the clock for the whole run
    end = min(_aware(until or now), now)  # the future is not covered yet
    oldest_kept = oldest_answered(now, horizon)
    if since is None:
        since = _default_since(archive, project, now, horizon, overlap)
    since = _aware(since)
    clamped_since = None
    if oldest_kept is not None and since < oldest_kept:  # the API answers for nothing older
        clamped_since, since = (since, oldest_kept), oldest_kept
    if since >= end:
        raise ConfigError(f"sync window is empty: since {since} >= until {end}")
    calls0 = client.calls
    listed = done.listed
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
        wanted, client=client, archive=archive, refresh="running", errors=errors,
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
    >>> oldest_answered(datetime(2026, 12, 3, tzinfo=UTC), timedelta(days=30))
    datetime.datetime(2026, 11, 3, 0, 0, tzinfo=datetime.timezone.utc)
    >>> oldest_answered(datetime(2026, 12, 3, tzinfo=UTC), None) is None
    True
    """
    return now - horizon if horizon is not None else None


def _default_since(
    archive: JobArchive, project: str, now: datetime, horizon: timedelta | None, overlap: timedelta
) -> datetime:
    """Where a sync without ``since`` starts: the oldest gap the horizon still holds (a
    partial or late run left it), else the end of the last sync minus ``overlap``, else
    the horizon's start."""
    last = archive.last_sync_end(project)
    if last is None:
        return now - (horizon or API_HORIZON)
    if horizon is not None:
        cov = archive.coverage(project, now=now, horizon_days=horizon / timedelta(days=1))
        older = [g.start for g in cov.gaps if g.start < last - overlap]
        if older:
            return min(older)
    return last - overlap


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


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

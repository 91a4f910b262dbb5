"""Job IDs -> archive -> normalized frame: :func:`fetch_jobs` (plan what the archive
already holds, run the calls, assemble one row per ID).

Examples
--------
>>> from rds_job_analytics import fetch_jobs
>>> from rds_job_analytics.emulator import Emulator
>>> jid = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"
>>> job = {"job": {"id": jid, "name": "RestartMysqlInstance", "status": "Completed",
...                "created": "2026-11-01T08:00:00+0800", "ended": "2026-11-01T08:01:30+0800"}}
>>> with Emulator([job], retention_days=None) as emu, emu.client() as client:
...     df = fetch_jobs(client, [jid, "no-such-job"], errors="ignore")
>>> df[["job_id", "status", "duration_s", "fetch_status"]]
                                 job_id     status  duration_s fetch_status
0  31b8ae23-c687-4d80-b7b4-42a66c9bb886  Completed        90.0           ok
1                           no-such-job        NaN         NaN    not_found
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import orjson
import pandas as pd

from .._validate import ERRORS_CHOICES, Errors, check_choice
from ..api import JobsClient
from ..exceptions import (
    AuthError,
    FetchError,
    FetchWarning,
    Interrupted,
    JobNotFound,
    RateLimited,
    RdsJobError,
    TransportError,
)
from ..normalize import normalize_jobs
from ..normalize.schema import (
    FETCH_COLUMNS,
    TERMINAL_STATUSES,
    TEXT,
    strip_job_id,
    with_origin,
)
from ..store import ArchiveError, JobArchive

__all__ = ["FETCHED", "FETCH_STATUSES", "REFRESH_CHOICES", "FetchWarning", "Refresh", "fetch_jobs"]

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
    client: JobsClient | None = None,
    job_ids: Iterable[str] | None = None,
    /,
    *,
    archive: JobArchive | None = None,
    refresh: Refresh = "running",
    errors: Errors = "warn",
    progress: bool | None = None,
    account: str | None = None,
    **names: Any,
) -> pd.DataFrame:
    """Fetch a batch of jobs into one normalized frame, one row per requested ID.

    The client comes first, as in :func:`~rds_job_analytics.sync.sync_jobs`:
    ``fetch_jobs(client, ids)`` (or ``fetch_jobs(client=client, job_ids=ids)``). The
    old order, ``fetch_jobs(ids, client=client)``, still works and warns
    (``DeprecationWarning``).

    Parameters
    ----------
    client : JobsClient
        Paces all workers to its quota and retries what is worth retrying.
    job_ids : iterable of str
        IDs in either shape (UUID or 32 hex); whitespace is removed, duplicates dropped.
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
    TypeError
        No client or no job IDs, or either given twice.

    Examples
    --------
    A second call with the same archive asks the API only for what it lacks:

    >>> from rds_job_analytics.emulator import Emulator
    >>> jobs = [{"job": {"id": f"j{i}", "status": "Completed", "created": "2026-11-01T08:00:00Z"}}
    ...         for i in range(3)]
    >>> archive = JobArchive(":memory:")
    >>> with Emulator(jobs, retention_days=None) as emu, emu.client() as client:
    ...     first = fetch_jobs(client, ["j0", "j1"], archive=archive)
    ...     calls = client.calls
    ...     again = fetch_jobs(client, ["j0", "j1", " j 2"], archive=archive)
    >>> calls, client.calls - calls, again["job_id"].tolist()
    (2, 1, ['j0', 'j1', 'j2'])
    >>> again["fetch_status"].value_counts()["ok"]
    np.int64(3)
    """
    client, job_ids = _arguments(client, job_ids, names)
    check_choice("refresh", refresh, REFRESH_CHOICES)
    check_choice("errors", errors, ERRORS_CHOICES)
    project = client.project_id
    batch = _plan(job_ids, project, archive, refresh)
    down = _run(batch, client, archive, account, progress)
    if archive is not None:
        _expire(archive, project, batch.status, batch.message, batch.raw)

    frame = with_origin(
        _assemble(batch.order, batch.status, batch.message, batch.raw),
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


def _arguments(
    client: Any, job_ids: Any, names: dict[str, Any]
) -> tuple[JobsClient, Iterable[str]]:
    """:func:`fetch_jobs`' client and IDs, however they were passed: ``(client, ids)``,
    by name, or the old order ``(ids, client=client)`` (a DeprecationWarning)."""
    named_client = names.pop("client", None)
    named_ids = names.pop("job_ids", None)
    if names:
        raise TypeError(f"fetch_jobs() got an unexpected keyword argument {next(iter(names))!r}")
    if named_client is not None and client is not None and job_ids is None and named_ids is None:
        warnings.warn(
            "fetch_jobs(job_ids, client=client) is deprecated: the client comes first, as in "
            "sync_jobs: fetch_jobs(client, job_ids)",
            DeprecationWarning,
            stacklevel=3,
        )
        return named_client, client
    if (client is not None and named_client is not None) or (
        job_ids is not None and named_ids is not None
    ):
        raise TypeError("fetch_jobs() got client or job_ids twice")
    client = client if client is not None else named_client
    job_ids = job_ids if job_ids is not None else named_ids
    if client is None or job_ids is None:
        raise TypeError("fetch_jobs() needs a client and job IDs: fetch_jobs(client, job_ids)")
    return client, job_ids


@dataclass
class _Batch:
    """One :func:`fetch_jobs` call's IDs: each one's status, message and raw response, in
    the order asked (``order``), and those still to ask the API for (``todo``)."""

    order: list[str] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)
    message: dict[str, str | None] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)


def _plan(job_ids: Iterable[str], project: str, archive: JobArchive | None, refresh: str) -> _Batch:
    """The batch: IDs cleaned and deduplicated, what the archive already holds reused (as
    ``refresh`` says) and aged-out jobs marked expired; the rest is ``todo``."""
    batch = _Batch()
    order, status, message, raw = batch.order, batch.status, batch.message, batch.raw
    if isinstance(job_ids, str):
        job_ids = [job_ids]
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
    batch.todo = todo
    return batch


def _run(
    batch: _Batch,
    client: JobsClient,
    archive: JobArchive | None,
    account: str | None,
    progress: bool | None,
) -> str | None:
    """Ask the API for ``batch.todo`` on the client's workers, archiving each answer as it
    comes; an auth failure that cannot heal or a lost archive stops the batch, Ctrl-C
    stops it at once. Returns why the endpoint was found dead, or None."""
    status, message, raw, todo = batch.status, batch.message, batch.raw, batch.todo
    project = client.project_id
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
    return down


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

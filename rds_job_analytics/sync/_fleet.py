"""The whole estate: every account, region and project of a fleet, in one archive.

:func:`sync_fleet` syncs every project of a fleet file (:mod:`._fleet_file`) into one
archive: one quota bucket per account, shared by its projects and by every process on
the machine (:mod:`..quota`), given to each project's client when it is built; one lease
per project (a second sync of it waits or skips), accounts in parallel, and one
project's failure reported while the others finish. :func:`check_fleet` checks what it
would, without an archive. :func:`discover_projects` asks IAM which projects an account
has (:mod:`..api._iam`: the one IAM login, its redirect refusal and lockout memo), and
:func:`~._fleet_file.fleet_toml` writes them as a fleet file to review.

Examples
--------
>>> from rds_job_analytics.emulator import demo_fleet
>>> demo = demo_fleet()
>>> with demo.emulator as emu:
...     fleet = load_fleet(demo.fleet_toml(emu.url))
...     check_fleet(fleet, environ=demo.env)
>>> len(fleet.projects) >= 3
True
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_any
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..api import (
    AuthContext,
    JobsClient,
    check_endpoint,
    iam_projects_url,
    iam_token,
    iam_token_url,
    list_projects,
    login_memo,
)
from ..api.regions import iam_endpoint_for
from ..exceptions import ConfigError, ProjectBusy, RdsJobError
from ..normalize.schema import API_HORIZON
from ..quota import PacedBucket, SharedTokenBucket, bucket_for, bucket_path
from ..store import JobArchive
from ._fleet_file import (  # the fleet file's names, also served here (older imports)
    AUTH_KINDS,
    Account,
    Fleet,
    FleetProject,
    fleet_toml,
    load_fleet,
)
from ._sync import (
    DEFAULT_DETAIL_RULE,
    DetailRule,
    Details,
    FetchWarning,
    SyncResult,
    sync_jobs,
)

__all__ = [
    "AUTH_KINDS",
    "Account",
    "Fleet",
    "FleetProject",
    "FleetResult",
    "ProjectOutcome",
    "check_fleet",
    "discover_projects",
    "fleet_toml",
    "load_fleet",
    "sync_fleet",
]


# -- syncing the fleet -------------------------------------------------------------------
#: Characters of a project's note in the printed summary table.
NOTE_WIDTH = 60
Status = Literal["ok", "partial", "failed", "skipped"]


@dataclass
class ProjectOutcome:
    """What :func:`sync_fleet` did for one project."""

    account: str
    region: str
    project_id: str
    status: Status = "failed"
    listed: int = 0
    fetched: int = 0
    failed: int = 0
    calls: int = 0
    gaps: int = 0
    note: str = ""
    result: SyncResult | None = field(default=None, repr=False)
    stale_lease: bool = False
    """Skipped for a lease its holder stopped renewing (dead, on another machine): nobody
    synced the project (the CLI exits 1)."""


@dataclass
class FleetResult:
    """Every project's :class:`ProjectOutcome`, in fleet order.

    Examples
    --------
    >>> r = FleetResult([ProjectOutcome("prod", "cn-north-4", "p" * 32, "ok", 3, 1, 0, 2)])
    >>> r.complete, r.table()[["account", "status", "calls"]].values.tolist()
    (True, [['prod', 'ok', 2]])
    """

    outcomes: list[ProjectOutcome]

    @property
    def complete(self) -> bool:
        """Whether every project synced fully (skipped ones were synced by another run;
        not one skipped for a dead holder's lease)."""
        return all(
            o.status == "ok" or (o.status == "skipped" and not o.stale_lease) for o in self.outcomes
        )

    def table(self) -> pd.DataFrame:
        """One row per project: account, region, project_id, status, listed, fetched,
        failed, calls, gaps, note."""
        cols = ["account", "region", "project_id", "status", "listed", "fetched", "failed",
                "calls", "gaps", "note"]  # fmt: skip
        return pd.DataFrame([[getattr(o, c) for c in cols] for o in self.outcomes], columns=cols)

    def __str__(self) -> str:
        df = self.table()
        if df.empty:
            return "no projects"
        long = df["note"].str.len() > NOTE_WIDTH  # the whole note: the outcome (and stderr)
        df.loc[long, "note"] = df.loc[long, "note"].str.slice(0, NOTE_WIDTH - 3) + "..."
        return df.to_string(index=False)


def sync_fleet(
    fleet: Fleet | str | Path,
    archive: JobArchive,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    details: Details = "auto",
    detail_rule: DetailRule = DEFAULT_DETAIL_RULE,
    budget: int | None = None,
    horizon: timedelta | None = API_HORIZON,
    wait: float = 0.0,
    environ: Mapping[str, str] | None = None,
    quota_folder: str | Path | None = None,
    rate_limit: float | None = None,
    max_workers: int | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> FleetResult:
    """Sync every project of a fleet into one archive.

    Before any call every account's credentials are read (a missing variable is a
    :class:`ConfigError` naming it) and every client is built (bad endpoints or project
    IDs are refused). Then projects are synced with :func:`sync_jobs` in parallel
    threads: each account paces all of its projects through one
    bucket (the quota is per user): :func:`~rds_job_analytics.quota.bucket_for`, the
    machine's one in the user's state folder (and the database's too for a PostgreSQL
    archive), so other processes using the same account on this machine, whatever
    their archive, share it too; each project is claimed in the archive first,
    and one that another sync holds is ``skipped`` after ``wait`` seconds, saying who
    holds it. One project's failure (a refused credential, a region that is down) is
    reported in its outcome; the others finish.

    Parameters
    ----------
    fleet : Fleet, str or Path
        A :class:`Fleet` or a fleet file (see :func:`load_fleet`).
    archive : JobArchive
        Where everything goes; rows carry ``account``, ``project_id`` and ``region``.
    since, until, details, detail_rule, budget, horizon :
        As in :func:`sync_jobs`, for every project.
    wait : float
        Seconds to wait for a project another sync holds before skipping it.
    environ : mapping, optional
        Where credentials are read; default ``os.environ``.
    quota_folder : str or Path, optional
        A folder for the accounts' quota buckets instead of the machine's
        (:func:`~rds_job_analytics.quota.bucket_for`: the user's state folder, and the
        database too for a PostgreSQL archive, so every machine shares them).
    rate_limit : float, optional
        Calls per second for every account instead of the fleet file's (the emulator).
    max_workers : int, optional
        Projects synced at once (default: all, up to 8).
    client_options : mapping, optional
        More :class:`JobsClient` arguments (``max_workers``, ``max_retries``...).

    Returns
    -------
    FleetResult

    Examples
    --------
    >>> from rds_job_analytics.emulator import demo_fleet
    >>> demo = demo_fleet()
    >>> with demo.emulator as emu, JobArchive(":memory:") as archive:
    ...     fleet = load_fleet(demo.fleet_toml(emu.url))
    ...     result = sync_fleet(fleet, archive, horizon=None, environ=demo.env, rate_limit=200,
    ...                         since=datetime(2026, 8, 1), until=datetime(2026, 11, 15))
    ...     regions = sorted(archive.to_frame()["region"].unique())
    >>> result.complete, len(result.outcomes) == len(fleet.projects), len(regions) >= 3
    (True, True, True)
    """
    if not isinstance(fleet, Fleet):
        fleet = load_fleet(fleet)
    # Everything that can be wrong with the set-up, before any call and before any quota
    # file is made (a refusal touches nothing).
    check_fleet(fleet, environ=environ, client_options=client_options)
    buckets = _buckets(fleet, archive, environ, quota_folder, rate_limit)
    clients = _clients(fleet, environ, client_options, buckets)
    outcomes = {p.project_id: ProjectOutcome(p.account, p.region, p.project_id) for p, _ in clients}
    stop = threading.Event()

    def run(proj: FleetProject, client: JobsClient) -> None:
        out = outcomes[proj.project_id]
        if stop.is_set():
            out.status, out.note = "failed", "not started: interrupted"
            return
        _sync_project(
            proj, client, archive, out, horizon=horizon, since=since, until=until,
            details=details, detail_rule=detail_rule, budget=budget, wait=wait,
        )  # fmt: skip

    try:
        _run_all(clients, run, stop, buckets.values(), max_workers)
    finally:
        for _, c in clients:
            c.close()
    return FleetResult([outcomes[p.project_id] for p, _ in clients])


def _buckets(
    fleet: Fleet,
    archive: JobArchive,
    environ: Mapping[str, str] | None,
    quota_folder: str | Path | None,
    rate_limit: float | None,
) -> dict[str, PacedBucket]:
    """Each account's one bucket, shared by its projects (the quota is per user): in
    ``quota_folder`` when given, else :func:`~rds_job_analytics.quota.bucket_for`."""
    buckets: dict[str, PacedBucket] = {}
    for acct in fleet.accounts:
        identity = acct.identity(acct.credentials(environ))
        rate = rate_limit if rate_limit is not None else acct.rate_limit
        buckets[acct.name] = (
            SharedTokenBucket(bucket_path(identity, quota_folder), rate)
            if quota_folder is not None
            else bucket_for(archive, identity, rate)
        )
    return buckets


def _sync_project(
    proj: FleetProject,
    client: JobsClient,
    archive: JobArchive,
    out: ProjectOutcome,
    *,
    horizon: timedelta | None,
    **sync_args: Any,
) -> None:
    """Sync one project into ``out``: a project another sync holds is skipped, a failure
    is its note (the other projects go on)."""
    try:
        res = sync_jobs(
            client, archive, horizon=horizon, errors="ignore", progress=False,
            account=proj.account, **sync_args,
        )  # fmt: skip
    except ProjectBusy as exc:
        out.status, out.note = "skipped", f"being synced by {exc.holder} since {exc.since}"
        if exc.stale_for is not None:  # not synced by anyone: a dead holder's lease
            out.stale_lease = True
            out.note += (f"; its lease was not renewed for {exc.stale_for:.0f} s (its "
                         f"holder looks dead): it runs out at {exc.expires}, rerun then")  # fmt: skip
        return
    except RdsJobError as exc:  # a lost lease, the archive gone...: what was committed
        out.status, out.note = "failed", f"{type(exc).__name__}: {exc}"
        out.listed, out.fetched = getattr(exc, "committed", (0, 0))  # counts, not zeros
        out.calls = client.calls
        return
    out.result = res
    out.listed, out.fetched, out.failed, out.calls = (
        res.listed, res.fetched, res.failed, res.calls,
    )  # fmt: skip
    if horizon is not None:
        cov = archive.coverage(proj.project_id, horizon_days=horizon / timedelta(days=1))
        out.gaps = len(cov.gaps)
    if res.partial and not res.listed:
        out.status, out.note = "failed", res.partial
    elif res.partial or res.failed or res.unreadable:
        out.status = "partial"
        out.note = res.partial or (
            f"{len(res.unreadable)} task-list record(s) unreadable, window not covered: "
            + "; ".join(res.unreadable)
            if res.unreadable
            else f"{res.failed} job(s) not fetched"
        )
    else:
        out.status = "ok"
    if out.gaps and out.status == "ok":
        out.note = f"{out.gaps} gap(s) in the API's horizon"


def _run_all(
    clients: list[tuple[FleetProject, JobsClient]],
    run: Callable[[FleetProject, JobsClient], None],
    stop: threading.Event,
    buckets: Iterable[PacedBucket],
    max_workers: int | None,
) -> None:
    """Run every project in a pool (default: all at once, up to 8); on Ctrl-C start
    nothing new and cancel every bucket, so every worker's next call fails at once."""
    n = max_workers or min(8, max(1, len(clients)))
    pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="fleet")
    quiet = warnings.catch_warnings()  # each project's warnings are its outcome's note
    quiet.__enter__()
    warnings.simplefilter("ignore", FetchWarning)
    try:
        pending: set[Future[None]] = {pool.submit(run, p, c) for p, c in clients}
        while pending:
            done, pending = wait_any(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                fut.result()  # a bug in run() surfaces; RdsJobErrors are outcomes
    except BaseException:  # Ctrl-C: start nothing new, stop every call; commits stay
        stop.set()
        for b in buckets:
            b.cancel()  # every worker's next call (or wait for one) fails at once
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        quiet.__exit__(None, None, None)


def _clients(
    fleet: Fleet,
    environ: Mapping[str, str] | None,
    client_options: Mapping[str, Any] | None,
    buckets: Mapping[str, PacedBucket] | None = None,
) -> list[tuple[FleetProject, JobsClient]]:
    """Every project's client (credentials read, endpoints and options checked), paced
    by its account's bucket when ``buckets`` are given: no call, no file.
    :class:`ConfigError` naming the file, line and project otherwise."""
    options = {"max_workers": 4, **(client_options or {})}
    clients: list[tuple[FleetProject, JobsClient]] = []
    try:
        for acct in fleet.accounts:
            creds = acct.credentials(environ)
            bucket = buckets[acct.name] if buckets is not None else None
            for proj in acct.projects:
                try:
                    client = JobsClient(
                        proj.project_id, region=proj.region, endpoint=proj.endpoint,
                        auth=acct.make_auth(creds), bucket=bucket, **options,
                    )  # fmt: skip
                except ConfigError as exc:
                    at = f" line {proj.line}" if proj.line else ""
                    raise ConfigError(
                        f"{fleet.source}{at}: {proj.account}/{proj.region}: {exc}"
                    ) from None
                clients.append((proj, client))
    except BaseException:
        for _, c in clients:
            c.close()
        raise
    return clients


def check_fleet(
    fleet: Fleet,
    *,
    environ: Mapping[str, str] | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> None:
    """Everything :func:`sync_fleet` checks before its first call, without an archive:
    every credential is set and every project's client can be built (a plain-http
    endpoint, a bad option...). Nothing is called, opened or created; a problem is a
    :class:`ConfigError` naming the file, the line and the key. The CLI runs it before it
    opens the archive, so a refusal leaves no archive and no quota folder behind.

    Examples
    --------
    >>> fleet = load_fleet('''
    ... [accounts.prod]
    ... auth = "token"
    ... env = { token = "PROD_TOKEN" }
    ... [[accounts.prod.projects]]
    ... region = "cn-north-4"
    ... project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    ... endpoint = "http://rds.example"
    ... ''')
    >>> check_fleet(fleet, environ={"PROD_TOKEN": "t"})
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: <fleet> line 7: prod/cn-north-4: refusing plain http ...
    """
    for _, client in _clients(fleet, environ, client_options):
        client.close()


# -- discovery -------------------------------------------------------------------------
def discover_projects(
    account: Account,
    *,
    environ: Mapping[str, str] | None = None,
    iam_endpoint: str | None = None,
    timeout: tuple[float, float] = (5.0, 30.0),
) -> list[dict[str, Any]]:
    """The projects IAM lists for an account (``GET /v3/auth/projects``): one dict per
    enabled project with ``project_id``, ``name`` and ``region`` (the name before any
    ``_``). It only reads; nothing is synced.

    Parameters
    ----------
    account : Account
        Whose credentials to use (token, AK/SK, or a password: then a domain-scoped
        token is asked for first).
    environ : mapping, optional
        Where the credentials are read.
    iam_endpoint : str, optional
        IAM's base URL; default the account's ``iam_endpoint``, else the global IAM.

    Examples
    --------
    >>> from rds_job_analytics.emulator import demo_fleet
    >>> demo = demo_fleet()
    >>> with demo.emulator as emu:
    ...     acct = load_fleet(demo.fleet_toml(emu.url)).accounts[0]
    ...     found = discover_projects(acct, environ=demo.env, iam_endpoint=emu.url)
    >>> sorted(p["project_id"] for p in found) == sorted(p.project_id for p in acct.projects)
    True
    """
    import requests

    creds = account.credentials(environ)
    base = check_endpoint(
        iam_endpoint or account.iam_endpoint or _default_iam(account), name="iam_endpoint"
    ).rstrip("/")  # the password and signatures go only to https, or to loopback
    with requests.Session() as session:
        if account.auth == "password":  # a domain-scoped token first: the one IAM login
            url = iam_token_url(base)
            user, password, domain = creds["user"], creds["password"], creds["domain"]
            token, _ = iam_token(
                url, user, password, domain, scope="domain", session=session, timeout=timeout,
                memo=login_memo(url, user, domain, password),
            )  # fmt: skip
            headers = {"X-Auth-Token": token}
        else:
            auth = account.make_auth(creds)
            ctx = AuthContext("", endpoint=base, custom_endpoint=True, session=session)
            headers = auth.headers(  # sent as signed
                "GET", iam_projects_url(base), [], None, context=ctx
            )
        return list_projects(base, headers, session=session, timeout=timeout)


def _default_iam(account: Account) -> str:
    regions = {p.region for p in account.projects}
    return iam_endpoint_for(regions.pop()) if len(regions) == 1 else iam_endpoint_for("")

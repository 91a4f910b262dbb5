"""A dlt source of the task-center job history: land it in any destination dlt supports.

``rds_jobs(client)`` is a `dlt <https://dlthub.com>`_ source in the shape of dlt's
verified sources. Its resource ``jobs`` merges on ``(project_id, job_id)``: each run
lists the task list's window through :func:`~rds_job_analytics.sync.sync_jobs` (the
client's quota, retries and circuit breaker, per-job detail where it pays) and yields
the normalized rows, the columns of :func:`~rds_job_analytics.export._dataset.read_jobs`, as a
pyarrow table (times tz-aware UTC, ``resource_ids`` and ``extra`` as JSON text, as the
Parquet dataset stores them). Later resources (traces, instances, schedule) join
``jobs`` in the source.

Needs the optional extra: ``pip install 'rds-job-analytics[dlt]'``.

Examples
--------
>>> from rds_job_analytics.emulator import Emulator
>>> with Emulator([]) as emu, emu.client() as client:
...     source = rds_jobs(client)
>>> list(source.resources), source.resources["jobs"].write_disposition
(['jobs'], 'merge')
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any, get_args

try:  # the real dlt library (absolute import), not this module
    import dlt
except ImportError as exc:  # pragma: no cover - dlt is in the test extras
    raise ImportError(
        "rds_job_analytics.dlt needs dlt: pip install 'rds-job-analytics[dlt]'"
    ) from exc

import pyarrow as pa

from ._time import aware, utcnow
from ._validate import ERRORS_CHOICES, Errors, check_choice
from .api import JobsClient
from .exceptions import ConfigError
from .export import to_arrow
from .normalize.schema import API_HORIZON, TERMINAL_STATUSES
from .store import JobArchive
from .sync import (
    DEFAULT_DETAIL_RULE,
    DEFAULT_OVERLAP,
    DetailRule,
    Details,
    default_since,
    sync_jobs,
)

__all__ = ["PRIMARY_KEY", "STATE_KEY", "jobs", "rds_jobs"]

#: The merge key of the ``jobs`` resource (a job ID is unique within its project).
PRIMARY_KEY = ("project_id", "job_id")
#: The key of the resource state (one per project) where the next window's start is kept.
STATE_KEY = "next_since"


@dlt.source(name="rds_jobs")
def rds_jobs(
    client: JobsClient,
    *,
    archive: JobArchive | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    horizon: timedelta | None = API_HORIZON,
    details: Details = "auto",
    detail_rule: DetailRule = DEFAULT_DETAIL_RULE,
    account: str | None = None,
    errors: Errors = "warn",
) -> Any:
    """The RDS task-center jobs of one project as a dlt source (resource ``jobs``).

    The credentials stay in ``client`` (its ``auth``): dlt neither resolves nor stores
    them, so no token, password or AK/SK reaches the pipeline's state, trace or logs.

    Parameters
    ----------
    client : JobsClient
        The project, its credentials and the quota to spend.
    archive : JobArchive, optional
        Where the sync records what it reads (a team archive keeps its coverage and
        per-job responses; its claim keeps two syncs of a project apart). Default a
        throwaway in-memory archive per run: the destination is the record, and the
        window comes from the pipeline's state (see :func:`jobs`).
    since, until : datetime, optional
        The window (naive = UTC); default from the pipeline's state, and now.
    overlap, horizon, details, detail_rule, account, errors
        As in :func:`~rds_job_analytics.sync.sync_jobs`.

    Returns
    -------
    dlt.sources.DltSource

    Raises
    ------
    ConfigError
        ``client`` is not a :class:`JobsClient`, a bad ``details`` or ``errors``, or a
        negative ``overlap``.

    Examples
    --------
    >>> import dlt  # doctest: +SKIP
    >>> pipeline = dlt.pipeline("rds_jobs", destination="duckdb")  # doctest: +SKIP
    >>> pipeline.run(rds_jobs(rja.JobsClient(project_id, auth=rja.auth_from_env())))  # doctest: +SKIP
    """
    # bad arguments fail here, naming the culprit, not inside the pipeline's extract step
    if not isinstance(client, JobsClient):
        raise ConfigError(f"rds_jobs takes a JobsClient, not {type(client).__name__}")
    check_choice("details", details, get_args(Details))
    check_choice("errors", errors, ERRORS_CHOICES)
    if overlap < timedelta(0):
        raise ConfigError(f"overlap must be >= 0, not {overlap!r}")
    return (
        jobs(
            client, archive=archive, since=since, until=until, overlap=overlap,
            horizon=horizon, details=details, detail_rule=detail_rule, account=account,
            errors=errors,
        ),
    )  # fmt: skip


@dlt.resource(name="jobs", primary_key=PRIMARY_KEY, write_disposition="merge")
def jobs(
    client: JobsClient,
    *,
    archive: JobArchive | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    horizon: timedelta | None = API_HORIZON,
    details: Details = "auto",
    detail_rule: DetailRule = DEFAULT_DETAIL_RULE,
    account: str | None = None,
    errors: Errors = "warn",
) -> Iterator[pa.Table]:
    """Every job created in the window, normalized, merged on ``(project_id, job_id)``.

    Incremental on the task list's time window, kept in the resource's state per
    project: a run starts where the last one ended minus ``overlap``, or earlier at the
    oldest job it loaded that had not finished (so a Running job is listed, and updated
    in the destination, until it ends), never older than ``horizon``; a first run starts
    at the horizon (or where ``archive``'s own syncs say). A run whose task list stopped
    early or held unreadable records starts the next one at its own start again.
    ``dlt.sources.incremental`` is not used: it drops rows whose cursor is older than
    the last value, which are exactly the Running jobs that finished.

    Parameters are those of :func:`rds_jobs`.

    Examples
    --------
    >>> jobs.name, jobs.write_disposition
    ('jobs', 'merge')
    """
    project = client.project_id
    state = dlt.current.resource_state().setdefault(STATE_KEY, {})
    now = utcnow()
    owned = archive is None
    with JobArchive(":memory:") if owned else nullcontext(archive) as store:
        if since is None and project in state:
            since = datetime.fromisoformat(state[project])
        elif since is None:
            since = default_since(store, project, now, horizon, overlap)
        since = aware(since)
        result = sync_jobs(
            client, store, since=since, until=until, overlap=overlap, details=details,
            detail_rule=detail_rule, horizon=horizon, errors=errors, progress=False,
            account=account,
        )  # fmt: skip
        # a throwaway archive holds this run alone (jobs without a creation time too)
        frame = store.to_frame(start=None if owned else since, project_id=project)
    created = frame["created"]
    in_window = created.isna() | ((created >= since) & (created <= result.window_end))
    frame = frame[in_window.to_numpy()].reset_index(drop=True)
    complete = result.partial is None and not result.unreadable
    start = result.window_end - overlap if complete else since
    open_jobs = frame.loc[~frame["status"].isin(TERMINAL_STATUSES).to_numpy(), "created"]
    if open_jobs.notna().any():
        start = min(start, open_jobs.min().to_pydatetime())
    state[project] = start.isoformat()
    table = to_arrow(frame)
    keys = [f.with_nullable(f.name not in PRIMARY_KEY) for f in table.schema]
    yield table.cast(pa.schema(keys))  # the merge key is never null: dlt's hint and arrow's agree

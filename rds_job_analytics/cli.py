"""The ``rds-jobs`` command line.

Subcommands import what they use when they run: ``--help``, ``sync``, ``fetch`` and
``export`` never load matplotlib or jinja2 (only ``report`` and ``demo`` do).

Examples
--------
A usage error is reported on stderr and gives exit code 64, before any file is written:

>>> from rds_job_analytics.cli import main
>>> main(["export", "--archive", ":memory:", "-o", "jobs.xlsx"])
64
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

import pandas as pd

from .exceptions import ConfigError, RdsJobError
from .schema import API_HORIZON, FAILED, RUNNING
from .stats import summarize  # summarize: also importable from here, as before

__all__ = ["main", "summarize"]


EXIT_OK, EXIT_PARTIAL, EXIT_FAILED, EXIT_USAGE = 0, 1, 2, 64
#: ``rds-jobs sync`` exits 1 when a coverage gap starts leaving the API's horizon this soon.
GAP_WARNING = timedelta(days=3)


def _client(args: argparse.Namespace) -> Any:
    from .client import JobsClient

    project = args.project_id or os.environ.get("HUAWEICLOUD_SDK_PROJECT_ID")
    if not project:
        raise ConfigError("--project-id (or HUAWEICLOUD_SDK_PROJECT_ID) is required")
    return JobsClient(
        project,
        region=args.region,
        endpoint=args.endpoint,
        rate_limit=args.rate_limit,
        max_workers=args.workers,
        allow_http=args.allow_http,
    )


def _ids(args: argparse.Namespace) -> list[str]:
    ids = list(args.ids)
    if args.file:
        fh = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
        with fh:
            ids += [line.strip() for line in fh if line.strip() and not line.startswith("#")]
    elif not ids and not sys.stdin.isatty():
        ids = [line.strip() for line in sys.stdin if line.strip()]
    if not ids:
        raise ConfigError("no job IDs: give them as arguments, with --file PATH, or on stdin")
    return ids


def _cmd_fetch(args: argparse.Namespace) -> int:
    from .archive import JobArchive
    from .export import EXPORT_SUFFIXES, write_frame
    from .fetch import fetch_jobs

    ids = _ids(args)
    if args.output and Path(args.output).suffix not in EXPORT_SUFFIXES:  # before any call
        raise ConfigError(f"-o must end in .parquet or .csv, not {args.output!r}")
    with _client(args) as client:
        archive = JobArchive(args.archive) if args.archive else None
        df = fetch_jobs(ids, client=client, archive=archive, refresh=args.refresh,
                        errors="ignore", progress=None)  # fmt: skip
        calls = client.calls
    if args.output:
        write_frame(df, args.output)
    counts = df["fetch_status"].value_counts()
    failed = len(df) - int(counts.get("ok", 0))
    for _, row in df[df["fetch_status"] != "ok"].iterrows():
        print(f"{row['job_id']}: {row['fetch_status']}: {row['fetch_error']}", file=sys.stderr)
    print(f"fetched {int(counts.get('ok', 0))}/{len(df)} jobs, {failed} failed, {calls} API calls")
    return EXIT_OK if failed == 0 else (EXIT_PARTIAL if failed < len(df) else EXIT_FAILED)


def _cmd_sync(args: argparse.Namespace) -> int:
    from .archive import JobArchive
    from .fetch import sync_jobs

    since = pd.Timestamp(args.since, tz="UTC").to_pydatetime() if args.since else None
    until = pd.Timestamp(args.until, tz="UTC").to_pydatetime() if args.until else None
    with _client(args) as client, JobArchive(args.archive) as archive:
        res = sync_jobs(
            client, archive, since=since, until=until, details=args.details, budget=args.budget,
            horizon=timedelta(days=args.horizon_days) if args.horizon_days else None,
            errors="ignore",
        )  # fmt: skip
        coverage = archive.coverage(
            client.project_id, horizon_days=args.horizon_days or API_HORIZON.days
        )
    print(res)
    code = EXIT_OK if res.failed == 0 else (EXIT_PARTIAL if res.fetched else EXIT_FAILED)
    if res.partial:  # the task list stopped early: the window is recorded only in part
        code = max(code, EXIT_PARTIAL)
    if not args.horizon_days:  # the API keeps every job: no gap can be lost
        return code
    # without --until the window ends when the listing began: what came since is no gap yet
    shown = [g for g in coverage.gaps if args.until is not None or g.start < res.window_end]
    print("\n".join(coverage.lines(shown)))
    at_risk = coverage.at_risk(GAP_WARNING)
    for gap in at_risk:
        lost = coverage.lost_at(gap)
        now = " (now)" if lost <= coverage.horizon_end else ""
        print(f"rds-jobs: sync now or lose it: gap {gap} starts leaving the API's horizon on "
              f"{lost:%Y-%m-%d %H:%M} UTC{now}; rerun with --since {gap.start:%Y-%m-%dT%H:%M}",
              file=sys.stderr)  # fmt: skip
    return max(code, EXIT_PARTIAL) if at_risk else code


def _cmd_export(args: argparse.Namespace) -> int:
    from .archive import JobArchive

    with JobArchive(args.archive) as archive:
        path = archive.export(args.output, start=args.start, end=args.end)
        n = len(archive)
    print(f"exported {n} archived jobs to {path}")
    return EXIT_OK


def _last_complete_month(now: pd.Timestamp | None = None) -> str:
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    return str(pd.Period(now.tz_localize(None) if now.tzinfo else now, freq="M") - 1)


def _cmd_report(args: argparse.Namespace) -> int:
    from .archive import JobArchive
    from .report import month_bounds, monthly_report

    month = args.month or _last_complete_month()
    start, end = month_bounds(month, args.tz)
    with JobArchive(args.archive) as archive:
        df = archive.to_frame(start=start - pd.Timedelta(days=32), end=end)
        coverage = archive.syncs()
    rep = monthly_report(df, month, tz=args.tz, title=args.title, coverage=coverage)
    path = rep.save(args.output or f"rds-reliability-{month}.html")
    n = int(((df["created"] >= start) & (df["created"] < end)).sum())
    print(f"report for {month}: {n} jobs -> {path} ({len(rep.html) / 1024:,.0f} KiB)")
    return EXIT_OK


def _cmd_emulator(args: argparse.Namespace) -> int:
    from .emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator
    from .sample import SAMPLE_START

    emu = Emulator(port=args.port, quota=args.quota, latency=args.latency,
                   retention_days=None if args.no_retention else 30).start()  # fmt: skip
    print(f"emulator on {emu.url} project {DEMO_PROJECT} (token: see RDS_JOBS_TOKEN)")
    print(f"try: RDS_JOBS_TOKEN={DEMO_TOKEN} rds-jobs sync --endpoint {emu.url} "
          f"--project-id {DEMO_PROJECT} --archive jobs.db "
          f"--since {SAMPLE_START:%Y-%m-%d}")  # fmt: skip
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emu.stop()
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from .archive import JobArchive
    from .emulator import Emulator
    from .fetch import sync_jobs
    from .report import monthly_report
    from .sample import SAMPLE_END, SAMPLE_START

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo_archive.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with Emulator(retention_days=None) as emu, emu.client(max_workers=8) as client:
        print(f"emulator: {emu.url} serving {len(emu.jobs)} sample jobs")
        with JobArchive(db) as archive:
            # the emulator keeps the whole sample (no 30-day horizon); details="auto"
            res = sync_jobs(client, archive, since=SAMPLE_START, until=SAMPLE_END + timedelta(hours=1),
                            horizon=None, progress=False)  # fmt: skip
            print(res)
            df = archive.to_frame()
            coverage = archive.syncs()
    span = f"{df['created'].min():%Y-%m-%d} .. {df['created'].max():%Y-%m-%d}"
    print(f"archive {db}: {len(df)} jobs, {df['job_name'].nunique()} job types, {span}")
    with pd.option_context("display.max_rows", 100, "display.width", 120):
        print(summarize(df).to_string())
    counts = df["status"].value_counts()
    print(
        f"total: {len(df)} jobs, {counts.get(FAILED, 0)} failed, {counts.get(RUNNING, 0)} running"
    )
    month = _last_complete_month(df["created"].max())
    rep = monthly_report(df, month, coverage=coverage)
    path = rep.save(out / f"rds-reliability-{month}.html")
    print(f"report for {month} (the sample's last complete month): {path.resolve()}")
    return EXIT_OK if res.failed == 0 else EXIT_PARTIAL


def _parser() -> argparse.ArgumentParser:
    from . import fetch  # the detail choices have their home there

    p = argparse.ArgumentParser(
        prog="rds-jobs",
        description="Fetch, archive and analyse RDS task-center jobs. Credentials come from "
        "the environment: HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, RDS_JOBS_TOKEN, or "
        "RDS_JOBS_USERNAME/RDS_JOBS_PASSWORD/RDS_JOBS_DOMAIN. Exit codes: 0 success, "
        "1 partial success, 2 failure, 64 usage error.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    def api_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--project-id", help="project ID (default $HUAWEICLOUD_SDK_PROJECT_ID)")
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--region", help="region, e.g. ap-southeast-1")
        g.add_argument("--endpoint", help="full base URL (other clouds, proxies, the emulator)")
        sp.add_argument("--rate-limit", type=float, default=1.0, help="requests/s (default 1.0)")
        sp.add_argument("--workers", type=int, default=4, help="concurrent requests (default 4)")
        sp.add_argument(
            "--allow-http", action="store_true", help="allow plain http to a remote host"
        )

    f = sub.add_parser("fetch", help="fetch jobs by ID (arguments, --file or stdin)")
    f.add_argument("ids", nargs="*", help="job IDs")
    f.add_argument("--file", help="file with one ID a line ('-' for stdin)")
    f.add_argument("--archive", help="SQLite archive to read from and write to")
    f.add_argument("--refresh", choices=["running", "all", "none"], default="running")
    f.add_argument("-o", "--output", help="write the frame to .csv or .parquet")
    api_opts(f)
    f.set_defaults(func=_cmd_fetch)

    s = sub.add_parser(
        "sync",
        help="discover jobs via the task list and archive them",
        description="Discover jobs via the task list and archive them. After the summary, "
        "prints the archive's coverage of the API's 30-day horizon and each gap no recorded "
        "sync covers (one line each, UTC). Exits 1 when a gap starts leaving the horizon "
        "within 3 days (sync now or lose it: rerun with the --since it names); otherwise "
        "0 success, 1 partial success, 2 failure, 64 usage error.",
    )
    s.add_argument("--archive", required=True, help="SQLite archive")
    s.add_argument("--since", help="window start (default: last sync, or 30 days ago)")
    s.add_argument("--until", help="window end (default: now)")
    s.add_argument(
        "--details", choices=get_args(fetch.Details), default="auto",
        help="per-job calls: auto = storage scale-ups only (their volume sizes), all = every "
        "new and running job, none = the task list only (default: auto)",
    )  # fmt: skip
    s.add_argument(
        "--horizon-days", type=float, default=API_HORIZON.days, metavar="DAYS",
        help="how long the API keeps jobs (default: %(default)s); a window is never recorded "
        "older; 0: it keeps every job (the emulator), no gap check",
    )  # fmt: skip
    s.add_argument(
        "--budget", type=int, metavar="CALLS",
        help="at most this many per-job calls this run; the rest come next run, newest first",
    )  # fmt: skip
    api_opts(s)
    s.set_defaults(func=_cmd_sync)

    e = sub.add_parser("export", help="export the archive to Parquet or CSV")
    e.add_argument("--archive", required=True)
    e.add_argument("-o", "--output", required=True, help="path ending in .parquet or .csv")
    e.add_argument("--start", help="created at or after (UTC)")
    e.add_argument("--end", help="created before (UTC)")
    e.set_defaults(func=_cmd_export)

    r = sub.add_parser("report", help="write the monthly reliability report (HTML)")
    r.add_argument("--archive", required=True, help="SQLite archive")
    r.add_argument("--month", help="YYYY-MM (default: the last complete month)")
    r.add_argument("-o", "--output", help="HTML path (default rds-reliability-YYYY-MM.html)")
    r.add_argument("--tz", default="UTC", help="time zone delimiting the month (default UTC)")
    r.add_argument("--title", help="report title")
    r.set_defaults(func=_cmd_report)

    m = sub.add_parser("emulator", help="serve the sample data on a local emulator")
    m.add_argument("--port", type=int, default=8080)
    m.add_argument("--quota", type=int, default=None, help="calls per minute (default unlimited)")
    m.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    m.add_argument("--no-retention", action="store_true", help="serve jobs older than 30 days")
    m.set_defaults(func=_cmd_emulator)

    d = sub.add_parser("demo", help="emulator + sync into a fresh archive + summary + report")
    d.add_argument("--out", default="out", help="folder for the demo archive (default out/)")
    d.set_defaults(func=_cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rds-jobs``; returns the process exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 success, 1 partial success, 2 failure, 64 usage error.

    Examples
    --------
    >>> main(["report", "--archive", ":memory:", "--month", "October"])
    64
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"rds-jobs: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RdsJobError as exc:
        print(f"rds-jobs: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

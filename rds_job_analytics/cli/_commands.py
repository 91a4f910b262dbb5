"""The commands that read and write the archive: ``fetch``, ``sync`` (one project or a
fleet), ``projects discover``, ``export``, ``sql`` and ``report``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from .._time import last_complete_month, utcnow
from .._validate import expand_path
from ..exceptions import ConfigError
from ..normalize.schema import API_HORIZON
from ._inputs import _archive, _client, _ids, _output, _shown, _with_invalid, _write
from ._words import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, MAX_FAILURE_LINES, cli_words


def _table(df: pd.DataFrame) -> str:
    """The main columns of fetched jobs as a text table for a terminal (times in UTC).

    Examples
    --------
    >>> from rds_job_analytics import load_sample
    >>> df = load_sample().head(1).assign(fetch_status="ok")
    >>> print(_table(df))  # doctest: +NORMALIZE_WHITESPACE
    job_id                                job_name  status  created (UTC)  duration_s  fetch_status
    ...
    """

    def text(value: Any, fmt: str = "") -> str:
        return "" if pd.isna(value) else format(value, fmt)

    header = ["job_id", "job_name", "status", "created (UTC)", "duration_s", "fetch_status"]
    rows = [header] + [
        [text(r.job_id), text(r.job_name), text(r.status), text(r.created, "%Y-%m-%d %H:%M:%S"),
         text(r.duration_s, ".0f"), text(r.fetch_status)]
        for r in df.itertuples(index=False)
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


# -- commands ----------------------------------------------------------------------------
def _cmd_fetch(args: argparse.Namespace) -> int:
    from ..export import EXPORT_SUFFIXES
    from ..sync import FETCHED, fetch_jobs

    out = _output(args.output, EXPORT_SUFFIXES, stdout=True)  # before any call
    ids, invalid = _ids(args)
    with ExitStack() as stack:
        archive = stack.enter_context(_archive(args, create=True)) if args.archive else None
        client = stack.enter_context(_client(args, archive))
        df = fetch_jobs(client, ids, archive=archive, refresh=args.refresh,
                        errors="ignore", progress=None)  # fmt: skip
        calls = client.calls
    df = _with_invalid(df, invalid)
    talk = sys.stderr if out == "-" else sys.stdout  # stdout carries the CSV then
    if out:
        _write(df, out)
    elif not args.archive:  # nowhere to keep it: show it, and say how to keep it
        print(_table(df))
        print("rds-jobs: the main columns only; keep every column with -o jobs.csv "
              "(or .parquet), -o - (CSV on stdout) or --archive jobs.sqlite",
              file=sys.stderr)  # fmt: skip
    failures = df[~df["fetch_status"].isin(FETCHED)]
    for _, row in failures.head(MAX_FAILURE_LINES).iterrows():
        print(f"{row['job_id']}: {row['fetch_status']}: {row['fetch_error']}", file=sys.stderr)
    if len(failures) > MAX_FAILURE_LINES:
        print(f"rds-jobs: ... and {len(failures) - MAX_FAILURE_LINES} more failures "
              "(each is a row with fetch_status and fetch_error in -o)", file=sys.stderr)  # fmt: skip
    ok, failed = len(df) - len(failures), len(failures)
    note = f" ({len(invalid)} not a job ID, not asked)" if invalid else ""
    where = f" -> {_shown(args.archive)}" if args.archive else ""
    print(f"fetched {ok}/{len(df)} jobs, {failed} failed{note}, {calls} API calls{where}",
          file=talk)  # fmt: skip
    return EXIT_OK if failed == 0 else (EXIT_PARTIAL if ok else EXIT_FAILED)


def _cmd_sync(args: argparse.Namespace) -> int:
    from ..sync import oldest_answered, sync_jobs

    since = args.since.to_pydatetime() if args.since is not None else None
    until = args.until.to_pydatetime() if args.until is not None else None
    if since is not None and until is not None and since >= until:  # before the archive
        raise ConfigError(f"--since {args.since} is not before --until {args.until}")
    if since is not None and args.since > pd.Timestamp(utcnow()):  # nothing to list yet
        raise ConfigError(f"--since {args.since} is in the future: the window is empty")
    horizon = timedelta(days=args.horizon_days) if args.horizon_days else None
    oldest = oldest_answered(utcnow(), horizon)
    if until is not None and oldest is not None and args.until <= oldest:  # before the archive
        raise ConfigError(
            f"--until {args.until} is older than the API's {args.horizon_days:g}-day "
            "horizon: the window is empty (--horizon-days 0 if your API keeps more)"
        )
    if args.fleet:
        return _sync_fleet(args, since, until)
    if args.wait:
        raise ConfigError("--wait is for --fleet (a single-project sync that finds its "
                          "project held skips it at once)")  # fmt: skip
    with _archive(args, create=True) as archive, _client(args, archive) as client:
        res = sync_jobs(
            client, archive, since=since, until=until, details=args.details, budget=args.budget,
            horizon=timedelta(days=args.horizon_days) if args.horizon_days else None,
            errors="ignore",
        )  # fmt: skip
        # as of the window's end (now, without --until): nothing since is reported at all
        coverage = archive.coverage(
            client.project_id, horizon_days=args.horizon_days or API_HORIZON.days,
            now=res.window_end if until is None else None,
        )  # fmt: skip
    _note_clamped_since(res, args.horizon_days)
    print(res)
    code = EXIT_OK if res.failed == 0 else (EXIT_PARTIAL if res.fetched else EXIT_FAILED)
    if res.partial:  # the task list stopped early: the window is recorded only in part
        code = max(code, EXIT_PARTIAL if res.listed or res.fetched else EXIT_FAILED)
    if res.unreadable:  # records the archive lacks: the window is not claimed
        code = max(code, EXIT_PARTIAL)
        for text in res.unreadable[:MAX_FAILURE_LINES]:
            print(f"rds-jobs: task list: unreadable record {text}", file=sys.stderr)
        if len(res.unreadable) > MAX_FAILURE_LINES:
            print(f"rds-jobs: ... and {len(res.unreadable) - MAX_FAILURE_LINES} more unreadable "
                  "records", file=sys.stderr)  # fmt: skip
        print("rds-jobs: the window is not recorded as covered; the next sync lists it again",
              file=sys.stderr)  # fmt: skip
    if not args.horizon_days:  # the API keeps every job: no gap can be lost
        return code
    print("\n".join(coverage.lines()))  # the one rule: after the last sync's end, no gap
    at_risk = coverage.at_risk()
    for gap in at_risk:
        lost = coverage.lost_at(gap)
        now = " (now)" if lost <= coverage.horizon_end else ""
        what = "not synced yet" if gap == coverage.pending else "gap"
        print(f"rds-jobs: sync now or lose it: {what} {gap} starts leaving the API's horizon on "
              f"{lost:%Y-%m-%d %H:%M} UTC{now}; rerun with --since {gap.start:%Y-%m-%dT%H:%M}",
              file=sys.stderr)  # fmt: skip
    return max(code, EXIT_PARTIAL) if at_risk else code


def _note_clamped_since(res: Any, horizon_days: float) -> None:
    """One stderr line when the sync (a :class:`~rds_job_analytics.sync.SyncResult`) says
    its ``--since`` lay before the API's horizon: it started at the horizon (the API
    answers for nothing older), not where the user asked."""
    if res is None or res.clamped_since is None:
        return
    asked, used = res.clamped_since
    print(f"rds-jobs: note: --since {asked:%Y-%m-%d %H:%M} UTC is older than the API's "
          f"{horizon_days:g}-day horizon: syncing from {used:%Y-%m-%d %H:%M} UTC "
          "instead (--horizon-days 0 if your API keeps more)", file=sys.stderr)  # fmt: skip


def _sync_fleet(args: argparse.Namespace, since: Any, until: Any) -> int:
    from ..sync import check_fleet, load_fleet, sync_fleet

    given = [o for o in ("project_id", "region", "endpoint", "iam_endpoint") if getattr(args, o)]
    if given:
        flags = ", ".join("--" + o.replace("_", "-") for o in given)
        raise ConfigError(f"{flags}: not with --fleet (the fleet file names every project)")
    fleet = load_fleet(args.fleet)  # every problem with it, before the archive is touched
    options = {"max_workers": args.workers, "allow_http": args.allow_http}
    # and every credential and endpoint: a refusal touches nothing (no archive, no quota)
    check_fleet(fleet, client_options=options)
    with _archive(args, create=True) as archive:
        result = sync_fleet(
            fleet, archive, since=since, until=until, details=args.details, budget=args.budget,
            horizon=timedelta(days=args.horizon_days) if args.horizon_days else None,
            wait=args.wait, rate_limit=args.rate_limit, client_options=options,
        )  # fmt: skip
    # the same --since for every project: said once, from the first sync that moved it
    clamped = [o.result for o in result.outcomes if o.result and o.result.clamped_since]
    _note_clamped_since(clamped[0] if clamped else None, args.horizon_days)
    n = len(result.outcomes)
    accounts = len({o.account for o in result.outcomes})
    print(f"fleet {args.fleet}: {n} project(s) in {accounts} account(s) -> {_shown(args.archive)}")
    print(result)
    # a project skipped for a dead holder's lease was synced by nobody: said, and exit 1
    bad = [o for o in result.outcomes if o.status in ("failed", "partial") or o.stale_lease]
    for o in bad:
        print(f"rds-jobs: {o.account}/{o.region} ({o.project_id}): {o.status}: "
              f"{cli_words(o.note)}", file=sys.stderr)  # fmt: skip
    if not bad:
        return EXIT_OK
    return EXIT_FAILED if len(bad) == n and all(o.status == "failed" for o in bad) else EXIT_PARTIAL


def _cmd_discover(args: argparse.Namespace) -> int:
    from ..api import (
        ENV_AK,
        ENV_DOMAIN,
        ENV_PASSWORD,
        ENV_SK,
        ENV_TOKEN,
        ENV_USER,
        credentials_from_env,
    )
    from ..sync import Account, discover_projects, fleet_toml, load_fleet

    given = _output(args.output, (".toml",), stdout=True) if args.output else "-"
    out = expand_path(given)  # written here; load_fleet expands the path as given
    before = ""
    if out != "-" and Path(out).exists():
        if not args.append:
            raise ConfigError(f"-o {out}: the file exists; discovery never overwrites a fleet "
                              "file (--append adds this account to it)")  # fmt: skip
        if any(a.name == args.account for a in load_fleet(given).accounts):
            raise ConfigError(f"-o {out}: account {args.account!r} is in it already")
        before = Path(out).read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    if args.fleet:  # a credentials-only [accounts.NAME] section: no projects yet
        account = load_fleet(args.fleet, require_projects=False).account(args.account)
    else:  # the package's usual variables, named in the file written
        found = credentials_from_env()
        if found is None:
            raise ConfigError(
                f"no credentials: --fleet FILE with account {args.account!r}, or set "
                f"{ENV_AK}/{ENV_SK}, {ENV_TOKEN}, or {ENV_USER}/{ENV_PASSWORD}/{ENV_DOMAIN}"
            )
        kind, names = found
        account = Account(args.account, kind, names,
                          iam_endpoint=args.iam_endpoint if kind == "password" else None)  # fmt: skip
    found = discover_projects(account, iam_endpoint=args.iam_endpoint)
    if args.endpoint:
        found = [{**p, "endpoint": args.endpoint} for p in found]
    text = fleet_toml(account, found)
    if out == "-":
        print(text)
    else:
        if before:  # the combined file must still be valid (a project in two accounts...)
            text = before + "\n".join(text.splitlines()[2:]) + "\n"  # minus the header
            load_fleet(text)
        _replace_file(Path(out), text)
    regions = sorted({p["region"] for p in found})
    print(f"discovered {len(found)} project(s) of account {args.account!r} in "
          f"{len(regions)} region(s) ({', '.join(regions) or 'none'})"
          + ("" if out == "-" else f" -> {out}; review it, then rds-jobs sync --fleet {out}"),
          file=sys.stderr)  # fmt: skip
    return EXIT_OK if found else EXIT_PARTIAL


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` at once (a new file beside it, then renamed over): the
    temporary file has a fresh random name, created exclusively, so a file or a symlink
    planted at a predictable ``NAME.tmp`` is never written through. The file keeps the
    mode of the one it replaces; a new one gets the default (``0o666`` under the umask),
    not ``mkstemp``'s private 600."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mask = os.umask(0)  # read it: umask() only sets, so set it back at once
        os.umask(mask)
        mode = 0o666 & ~mask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cmd_export(args: argparse.Namespace) -> int:
    from ..export import EXPORT_SUFFIXES

    if args.table is not None:
        from ..export import to_table

        if args.to is None:
            raise ConfigError(f"--table {args.table} needs --to LOCATION (the table's folder)")
        if args.start is not None or args.end is not None:
            raise ConfigError("--start/--end do not go with --table: a table merges every job")
        with _archive(args, create=False) as archive:
            table = to_table(archive, args.to, format=args.table, catalog=args.catalog)
        print(f"exported {table}")
        return EXIT_OK
    if args.to is not None or args.catalog is not None:
        raise ConfigError("--to and --catalog go with --table iceberg|delta")
    if args.dataset is not None:
        from ..export import export_dataset

        with _archive(args, create=False) as archive:
            result = export_dataset(archive, args.dataset, start=args.start, end=args.end)
        print(f"exported {result}")
        return EXIT_OK
    out = _output(args.output, EXPORT_SUFFIXES, stdout=True)
    with _archive(args, create=False) as archive:
        df = archive.to_frame(start=args.start, end=args.end)
    where = _write(df, out)
    print(
        f"exported {len(df)} archived jobs to {where}",
        file=sys.stderr if out == "-" else sys.stdout,
    )
    return EXIT_OK


def _cmd_sql(args: argparse.Namespace) -> int:
    from ..export import SQL_MEMORY_LIMIT, run_sql

    args.memory_limit = args.memory_limit or SQL_MEMORY_LIMIT

    out = _output(args.output, (".csv", ".parquet"), stdout=True) if args.output else None
    if args.archive is not None:
        with _archive(args, create=False) as archive:
            df = run_sql(args.query, archive=archive, memory_limit=args.memory_limit)
    else:
        df = run_sql(args.query, dataset=args.dataset, memory_limit=args.memory_limit)
    if out is None:
        with pd.option_context("display.max_rows", 200, "display.width", 200):
            print(df.to_string(index=False) if len(df.columns) else "(no result)")
        print(f"{len(df)} row(s)", file=sys.stderr)
    else:  # CSV as export writes it: formula cells neutralised (Parquet keeps values)
        where = _write(df, out)
        print(f"{len(df)} row(s) -> {where}", file=sys.stderr if out == "-" else sys.stdout)
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from ..report import data_window, month_bounds, monthly_report

    month = args.month or last_complete_month()
    start, end = month_bounds(month, args.tz)
    first, last = data_window(month, args.tz)  # the month and the 5 before it (the trend)
    out = _output(args.output or f"rds-reliability-{month}.html", (".html",))
    with _archive(args, create=False) as archive:
        df = archive.to_frame(start=first, end=last)
        coverage = archive.syncs()
        end_times = archive.end_time_differences()
    rep = monthly_report(
        df, month, tz=args.tz, title=args.title, coverage=coverage, target=args.target,
        end_times=end_times,
    )  # fmt: skip
    path = rep.save(out)
    n = int(((df["created"] >= start) & (df["created"] < end)).sum())
    print(f"report for {month}: {n} jobs -> {path} ({len(rep.html) / 1024:,.0f} KiB)")
    problems = tuple(getattr(rep, "problems", ()))
    for why in problems:  # the page says it too; a cron must not take it as a clean month
        print(f"rds-jobs: report incomplete: {why}", file=sys.stderr)
    return EXIT_PARTIAL if problems else EXIT_OK

"""``rds-jobs emulator`` (one project, or a demo estate with its fleet file) and
``rds-jobs demo`` (emulator, sync, summary and report in one go)."""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from .._time import last_complete_month, month_bounds, utcnow
from .._validate import expand_path
from ..exceptions import CommandFailed, ConfigError
from ..normalize.schema import FAILED, RUNNING
from ..stats import summarize
from ._words import _EMULATOR_FLEET_MARK, EXIT_OK, EXIT_PARTIAL


def _wait_for_ctrl_c() -> None:
    """Block until Ctrl-C (tests replace this)."""
    while True:
        time.sleep(3600)


def _cmd_emulator(args: argparse.Namespace) -> int:
    from ..emulator import (
        DEMO_AK,
        DEMO_DOMAIN,
        DEMO_PASSWORD,
        DEMO_PROJECT,
        DEMO_SK,
        DEMO_TOKEN,
        DEMO_USER,
        Emulator,
    )
    from ..sample import SAMPLE_END, SAMPLE_START

    retention = args.retention_days
    quota = args.quota or None
    if args.fleet:
        return _serve_fleet(args, quota)
    emu = Emulator(port=args.port, quota=quota, latency=args.latency, retention_days=retention,
                   aksk={DEMO_AK: DEMO_SK})  # fmt: skip
    _start(emu, args.port)
    rate = _emulator_rate(quota)
    days = timedelta(days=emu.sample_shift_days)  # a retention moves the sample to today
    first, last = SAMPLE_START + days, SAMPLE_END + days
    month = last_complete_month(pd.Timestamp(last))
    if retention is not None:
        # the report line names the last complete month: it must be served whole, so the
        # retention window reaches back to its start when the days asked would not
        start = month_bounds(month)[0]
        retention = max(retention, (pd.Timestamp(utcnow()) - start).days + 1)
        emu.retention_days = retention
    moved = f" (the sample moved {days.days} days later)" if days else ""
    print(f"emulator: the RDS task-center API on {emu.url}, project {DEMO_PROJECT}, "
          f"{len(emu.jobs)} sample jobs created {first:%Y-%m-%d} .. {last:%Y-%m-%d}{moved}",
          flush=True)  # fmt: skip
    if retention is None:
        window = f"--since {SAMPLE_START:%Y-%m-%d} --horizon-days 0"
        print("  every job is served: no retention (the real API forgets jobs after 30 days, "
              "and the sample is older than that); --retention-days 30 to act like it")  # fmt: skip
    else:
        window = f"--horizon-days {retention:g}"
        longer = (f" (more than the {args.retention_days:g} asked, so that {month}, the report's "
                  "month, is served whole)" if retention > args.retention_days else "")  # fmt: skip
        print(f"  jobs older than {retention:g} days{longer} answer DBS.200543 (not found), as "
              "the real API's do; the sample's dates are moved so that its newest job is from "
              "today")  # fmt: skip
    if quota:
        faster = "; this one lets a demo finish in seconds" if quota > 60 else ""
        print(
            f"  quota: {quota} calls a minute, then 429 (the real API allows 60{faster}); "
            f"the command below asks {rate:g} a second"
        )
    else:
        print("  no quota (--quota 0): every call is answered")
    print(f"try, in another terminal (token auth; the emulator takes {DEMO_TOKEN!r}):")
    print(f"  export RDS_JOBS_TOKEN={DEMO_TOKEN}")
    print(f"  rds-jobs sync --endpoint {emu.url} --project-id {DEMO_PROJECT} "
          f"--archive jobs.sqlite {window} --rate-limit {rate:g}")  # fmt: skip
    print(f"  (or AK/SK: HUAWEICLOUD_SDK_AK={DEMO_AK} HUAWEICLOUD_SDK_SK={DEMO_SK}; or a "
          f"password: RDS_JOBS_USERNAME={DEMO_USER} RDS_JOBS_PASSWORD={DEMO_PASSWORD} "
          f"RDS_JOBS_DOMAIN={DEMO_DOMAIN})")  # fmt: skip
    print(f"  rds-jobs report --archive jobs.sqlite --month {month}")
    print("  (its project as a fleet file, asked of its IAM, for rds-jobs sync --fleet:)")
    print(f"  rds-jobs projects discover --account default --iam-endpoint {emu.url} "
          f"--endpoint {emu.url} -o emulator-fleet.toml", flush=True)  # fmt: skip
    return _serve_until_ctrl_c(emu)


def _serve_until_ctrl_c(emu: Any) -> int:
    """Serve until Ctrl-C, then stop the emulator and say so (exit 0)."""
    print("Ctrl-C stops the emulator.", flush=True)
    try:
        _wait_for_ctrl_c()
    except KeyboardInterrupt:
        print("emulator stopped")
    finally:
        emu.stop()
    return EXIT_OK


def _emulator_rate(quota: int | None) -> float:
    """The rate the emulator's printed commands ask: under its quota (no 429s), <= 100/s."""
    return min(100.0, 0.8 * quota / 60) if quota else 100.0


def _serve_fleet(args: argparse.Namespace, quota: int | None) -> int:
    """``rds-jobs emulator --fleet FILE``: the demo estate, and its fleet file."""
    from ..emulator import demo_fleet
    from ..sample import SAMPLE_END, SAMPLE_START
    from ..sync import load_fleet

    path = expand_path(Path(args.fleet))
    if path.exists() and not path.read_text(encoding="utf-8", errors="replace").startswith(
        _EMULATOR_FLEET_MARK
    ):
        raise ConfigError(f"--fleet {path}: the file exists and is not an emulator fleet file; "
                          "choose a new name (yours is never overwritten)")  # fmt: skip
    demo = demo_fleet(quota=quota, latency=args.latency, port=args.port)
    emu = demo.emulator
    _start(emu, args.port)
    try:
        rate = _emulator_rate(quota)  # per account
        path.write_text(_EMULATOR_FLEET_MARK + demo.fleet_toml(emu.url, rate_limit=rate),
                        encoding="utf-8")  # fmt: skip
        fleet = load_fleet(path)
        print(f"emulator: the RDS task-center API and IAM on {emu.url}: "
              f"{len(fleet.accounts)} accounts, {len(fleet.projects)} projects, jobs created "
              f"{SAMPLE_START:%Y-%m-%d} .. {SAMPLE_END:%Y-%m-%d}; fleet file {path}")  # fmt: skip
        for acct in fleet.accounts:
            where = ", ".join(f"{p.region} {p.project_id}" for p in acct.projects)
            print(f"  account {acct.name} ({acct.auth}): {where}")
        print("try, in another terminal (the emulator's own demo credentials):")
        for name in sorted(demo.env):  # the password variables too (the file's comment)
            print(f"  export {name}={demo.env[name]}")
        print(f"  rds-jobs sync --fleet {path} --archive estate.sqlite --since "
              f"{SAMPLE_START:%Y-%m-%d} --horizon-days 0")  # fmt: skip
        print("  rds-jobs report --archive estate.sqlite --month "
              f"{last_complete_month(pd.Timestamp(SAMPLE_END))}")  # fmt: skip
    except BaseException:
        emu.stop()
        raise
    return _serve_until_ctrl_c(emu)


def _start(emu: Any, port: int) -> None:
    import errno

    try:
        emu.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CommandFailed(
                f"port {port} on 127.0.0.1 is already in use (another emulator?): "
                "choose another with --port N, or --port 0 for any free port"
            ) from None
        raise CommandFailed(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..emulator import demo_fleet
    from ..report import monthly_report
    from ..sample import SAMPLE_END, SAMPLE_START
    from ..store import JobArchive
    from ..sync import load_fleet, sync_fleet

    out = expand_path(Path(args.out))
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo_archive.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    demo = demo_fleet()
    with demo.emulator as emu:
        fleet_path = out / "demo_fleet.toml"
        fleet_path.write_text(demo.fleet_toml(emu.url), encoding="utf-8")
        fleet = load_fleet(fleet_path)
        regions = sorted({p.region for p in fleet.projects})
        print(f"emulator: {emu.url} serving {len(fleet.accounts)} accounts, "
              f"{len(fleet.projects)} projects in {len(regions)} regions "
              f"({', '.join(regions)}); fleet file {fleet_path}")  # fmt: skip
        with JobArchive(db) as archive:
            # the emulator keeps the whole sample span (no 30-day horizon); details="auto"
            result = sync_fleet(
                fleet, archive, since=SAMPLE_START, until=SAMPLE_END + timedelta(hours=1),
                horizon=None, environ=demo.env, rate_limit=100.0,
                client_options={"max_workers": 8},
            )  # fmt: skip
            print(result)
            df = archive.to_frame()
            coverage = archive.syncs()
            end_times = archive.end_time_differences()
    span = f"{df['created'].min():%Y-%m-%d} .. {df['created'].max():%Y-%m-%d}"
    print(f"archive {db}: {len(df)} jobs, {df['job_name'].nunique()} job types, {span}")
    with pd.option_context("display.max_rows", 100, "display.width", 120):
        print(summarize(df).to_string())
    counts = df["status"].value_counts()
    print(
        f"total: {len(df)} jobs, {counts.get(FAILED, 0)} failed, {counts.get(RUNNING, 0)} running"
    )
    month = last_complete_month(df["created"].max())
    rep = monthly_report(df, month, coverage=coverage, end_times=end_times)
    path = rep.save(out / f"rds-reliability-{month}.html")
    print(f"report for {month} (the sample's last complete month, the whole estate): "
          f"{path.resolve()}")  # fmt: skip
    return EXIT_OK if result.complete else EXIT_PARTIAL

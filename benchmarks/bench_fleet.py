"""A fleet of 2 accounts x 3 projects against the emulator, with a time-compressed quota.

The quota is per user (the emulator counts each account's calls across its projects):
``QUOTA`` calls per ``WINDOW`` seconds, and each account paces itself to ``RATE`` calls/s
(90 % of it). Each project holds 150 jobs of its own.

1. Baseline: the same projects synced one after another (one at a time, each account's
   bucket as the fleet uses it).
2. ``sync_fleet``: accounts (and projects) in parallel. Target: wall time <= 0.6x of 1.
3. Two ``rds-jobs sync --fleet`` processes started at once, each into its own archive in
   one folder: both do all the work, through the accounts' shared buckets.
4. The same two processes on one archive: the projects' leases make one skip.
In 2-4: each account's highest call count in any quota window against its quota, and HTTP
429s (target: at or under the quota, 0 429s). Everything on loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rds_job_analytics import JobArchive, JobsClient, sync_jobs
from rds_job_analytics.emulator import Emulator
from rds_job_analytics.quota import SharedTokenBucket, bucket_path
from rds_job_analytics.sync._fleet import load_fleet, sync_fleet
from rds_job_analytics.synth import generate_jobs

QUOTA, WINDOW = 40, 2.0  # 20 calls/s per user: the real 60/min, 20x faster
RATE = 0.9 * QUOTA / WINDOW
LATENCY = 0.02
JOBS = 150
SINCE, UNTIL = datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)
ACCOUNTS = {  # name -> (fleet auth, env, regions)
    "prod": ("aksk", {"ak": "BENCH_PROD_AK", "sk": "BENCH_PROD_SK"},
             ("cn-north-4", "ap-southeast-1", "ap-southeast-3")),
    "analytics": ("token", {"token": "BENCH_ANALYTICS_TOKEN"},
                  ("eu-west-101", "af-south-1", "cn-east-3")),
}  # fmt: skip
ENV = {"BENCH_PROD_AK": "BENCHPRODAK0000000001", "BENCH_PROD_SK": "bench-prod-sk",
       "BENCH_ANALYTICS_TOKEN": "bench-analytics-token"}  # fmt: skip


def estate() -> tuple[Emulator, list[tuple[str, str, str]]]:
    emu = Emulator([], quota=QUOTA, quota_window=WINDOW, latency=LATENCY, retention_days=None)
    emu.add_account("prod", domain="prod", user="prod-sync", ak=ENV["BENCH_PROD_AK"],
                    sk=ENV["BENCH_PROD_SK"])  # fmt: skip
    emu.add_account("analytics", domain="analytics", user="sync",
                    token=ENV["BENCH_ANALYTICS_TOKEN"])  # fmt: skip
    projects = []
    for a, (account, (_, _, regions)) in enumerate(ACCOUNTS.items()):
        for r, region in enumerate(regions):
            pid = f"{a}{r}" + "0" * 29 + "f"
            emu.add_project(pid, account=account, region=region,
                            records=generate_jobs(JOBS, seed=1000 + 10 * a + r, quirk_rate=0))  # fmt: skip
            projects.append((account, region, pid))
    return emu, projects


def fleet_text(projects: list[tuple[str, str, str]], url: str) -> str:
    out = []
    for account, (auth, env, _) in ACCOUNTS.items():
        names = ", ".join(f'{k} = "{v}"' for k, v in env.items())
        out += [f"[accounts.{account}]", f'auth = "{auth}"', f"env = {{ {names} }}",
                f"rate_limit = {RATE}", ""]  # fmt: skip
        for owner, region, pid in projects:
            if owner == account:
                out += [f"[[accounts.{account}.projects]]", f'region = "{region}"',
                        f'project_id = "{pid}"', f'endpoint = "{url}"', ""]  # fmt: skip
    return "\n".join(out)


def max_in_window(times: list[float], window: float) -> int:
    """Most calls in any ``window`` seconds."""
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def report(emu: Emulator, label: str) -> None:
    peaks = []
    for user in ACCOUNTS:
        peak = max_in_window(emu.calls_by_user(user), WINDOW)
        peaks.append(f"{user} peak {peak}/{QUOTA} ({peak / QUOTA:.2f}x quota)")
    print(f"  {label}: {emu.counts.get('429', 0)} HTTP 429s; " + "; ".join(peaks))


def two_processes(folder: Path, archives: tuple[str, str]) -> None:
    emu, projects = estate()
    with emu:
        path = folder / "fleet.toml"
        path.write_text(fleet_text(projects, emu.url))
        env = {**os.environ, **ENV}
        t = time.perf_counter()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "rds_job_analytics.cli",
                    "sync",
                    "--fleet",
                    str(path),
                    "--archive",
                    str(folder / name),
                    "--since",
                    "2026-08-01",
                    "--until",
                    "2026-11-15",
                    "--horizon-days",
                    "0",
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in archives
        ]
        outs = [p.communicate(timeout=600) for p in procs]
        took = time.perf_counter() - t
        skipped = sum(o.count(" skipped ") for o, _ in outs)
        where = "one archive" if archives[0] == archives[1] else "two archives, one folder"
        print(f"  two rds-jobs sync --fleet at once ({where}): {took:6.2f} s, exit codes "
              f"{[p.returncode for p in procs]}, {skipped} project(s) skipped, "
              f"{emu.counts.get('tasklist', 0)} list + {emu.counts.get('jobs', 0)} per-job calls")  # fmt: skip
        report(emu, "    rate")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    try:
        emu, projects = estate()  # 1. one project after another
        with emu:
            fleet = load_fleet(fleet_text(projects, emu.url))
            with JobArchive(folder / "seq.sqlite") as arc:
                t = time.perf_counter()
                for acct in fleet.accounts:
                    creds = acct.credentials(ENV)
                    bucket = SharedTokenBucket(
                        bucket_path(acct.identity(creds), folder / "q1"), RATE
                    )
                    for proj in acct.projects:
                        with JobsClient(proj.project_id, region=proj.region, bucket=bucket,
                                        endpoint=proj.endpoint, auth=acct.make_auth(creds)) as client:  # fmt: skip
                            sync_jobs(client, arc, since=SINCE, until=UNTIL, horizon=None,
                                      progress=False, account=acct.name)  # fmt: skip
                seq = time.perf_counter() - t
                jobs = len(arc.to_frame())
            calls = emu.counts.get("jobs", 0) + emu.counts.get("tasklist", 0)
        print(f"fleet: {len(fleet.accounts)} accounts x 3 projects, {jobs} jobs, {calls} calls; "
              f"quota {QUOTA} per {WINDOW:g} s per user, paced at {RATE:g}/s, latency "
              f"{LATENCY * 1000:.0f} ms")  # fmt: skip
        print(f"  one project after another: {seq:6.2f} s (baseline)")

        emu, projects = estate()  # 2. sync_fleet
        with emu, JobArchive(folder / "fleet.sqlite") as arc:
            fleet = load_fleet(fleet_text(projects, emu.url))
            t = time.perf_counter()
            res = sync_fleet(fleet, arc, since=SINCE, until=UNTIL, horizon=None, environ=ENV,
                             quota_folder=folder / "q2")  # fmt: skip
            par = time.perf_counter() - t
            assert res.complete, str(res)
            print(f"  sync_fleet:                {par:6.2f} s ({par / seq:.2f}x the baseline; "
                  "target <= 0.6x)")  # fmt: skip
            report(emu, "sync_fleet")

        two_processes(folder, ("a.sqlite", "b.sqlite"))  # 3. both do the work, one quota
        two_processes(folder, ("c.sqlite", "c.sqlite"))  # 4. one archive: leases
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

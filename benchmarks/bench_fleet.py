"""The demo fleet (2 accounts, 3 projects, 450 jobs each account) against the emulator,
with a time-compressed quota.

The quota is per user (the emulator counts each account's calls across its projects);
here it is ``QUOTA`` calls per ``WINDOW`` seconds, and each account paces itself to
``RATE`` calls/s (90 % of it).

1. Baseline: the same projects synced one after another (one process, one project at
   a time, each account's bucket as the fleet uses it).
2. ``sync_fleet``: accounts (and projects) in parallel. Target: wall time <= 0.6x of 1.
3. Two ``rds-jobs sync --fleet`` processes started at once on one archive.
In 2 and 3: each account's highest call rate in any quota window against its quota, and
HTTP 429s (target: at or under the quota, 0 429s). Everything on loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rds_job_analytics import JobArchive, sync_jobs
from rds_job_analytics.emulator import demo_fleet
from rds_job_analytics.fleet import load_fleet, sync_fleet
from rds_job_analytics.quota import SharedTokenBucket, bucket_path

QUOTA, WINDOW = 40, 2.0  # 20 calls/s per user: the real 60/min, 20x faster
RATE = 0.9 * QUOTA / WINDOW
LATENCY = 0.02
SINCE, UNTIL = datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)


def max_rate(times: list[float], window: float) -> int:
    """Most calls in any ``window`` seconds."""
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def fleet_file(demo, url: str) -> str:
    return demo.fleet_toml(url, rate_limit=RATE)


def report(emu, label: str) -> None:
    throttled = emu.counts.get("429", 0)
    rows = []
    for user in sorted(emu.counts_by_user):
        peak = max_rate(emu.calls_by_user(user), WINDOW)
        rows.append(
            f"{user}: peak {peak}/{QUOTA} calls per {WINDOW:g} s ({peak / QUOTA:.2f}x quota)"
        )
    print(f"  {label}: {throttled} HTTP 429s; " + "; ".join(rows))


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    # 1. one project after another
    demo = demo_fleet(quota=QUOTA, quota_window=WINDOW, latency=LATENCY)
    with demo.emulator as emu:
        fleet = load_fleet(fleet_file(demo, emu.url))
        with JobArchive(folder / "seq.sqlite") as arc:
            t = time.perf_counter()
            for acct in fleet.accounts:
                creds = acct.credentials(demo.env)
                bucket = SharedTokenBucket(bucket_path(acct.identity(creds), folder / "q1"), RATE)
                for proj in acct.projects:
                    from rds_job_analytics import JobsClient

                    with JobsClient(proj.project_id, region=proj.region, endpoint=proj.endpoint,
                                    auth=acct.make_auth(creds)) as client:  # fmt: skip
                        client.bucket = bucket
                        sync_jobs(client, arc, since=SINCE, until=UNTIL, horizon=None,
                                  progress=False, account=acct.name)  # fmt: skip
            seq = time.perf_counter() - t
            jobs = len(arc.to_frame())
        calls = sum(emu.counts.get(k, 0) for k in ("jobs", "tasklist"))
    print(f"fleet: {len(fleet.accounts)} accounts, {len(fleet.projects)} projects, {jobs} jobs, "
          f"{calls} calls; quota {QUOTA} per {WINDOW:g} s per user, paced at {RATE:g}/s, "
          f"latency {LATENCY * 1000:.0f} ms")  # fmt: skip
    print(f"  one project after another: {seq:6.2f} s (baseline)")

    # 2. sync_fleet
    demo = demo_fleet(quota=QUOTA, quota_window=WINDOW, latency=LATENCY)
    with demo.emulator as emu:
        fleet = load_fleet(fleet_file(demo, emu.url))
        with JobArchive(folder / "fleet.sqlite") as arc:
            t = time.perf_counter()
            res = sync_fleet(fleet, arc, since=SINCE, until=UNTIL, horizon=None, environ=demo.env,
                             quota_folder=folder / "q2")  # fmt: skip
            par = time.perf_counter() - t
        assert res.complete, str(res)
        print(
            f"  sync_fleet:                {par:6.2f} s ({par / seq:.2f}x the baseline; "
            "target <= 0.6x)"
        )
        report(emu, "sync_fleet")

    # 3. two processes at once
    demo = demo_fleet(quota=QUOTA, quota_window=WINDOW, latency=LATENCY)
    with demo.emulator as emu:
        path = folder / "fleet.toml"
        path.write_text(fleet_file(demo, emu.url))
        cmd = [sys.executable, "-m", "rds_job_analytics.cli", "sync", "--fleet", str(path),
               "--archive", str(folder / "two.sqlite"), "--since", "2026-08-01",
               "--until", "2026-11-15", "--horizon-days", "0"]  # fmt: skip
        env = {**os.environ, **demo.env}
        t = time.perf_counter()
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]  # fmt: skip
        outs = [p.communicate(timeout=600) for p in procs]
        two = time.perf_counter() - t
        codes = [p.returncode for p in procs]
        skipped = sum(o.count(" skipped ") for o, _ in outs)
        job_calls = emu.counts.get("jobs", 0)
        print(f"  two rds-jobs sync --fleet at once: {two:6.2f} s, exit codes {codes}, "
              f"{skipped} project(s) skipped by one run as the other held them, "
              f"{job_calls} per-job calls (one run alone: {calls - emu.counts.get('tasklist', 0)}"
              " or fewer)")  # fmt: skip
        report(emu, "two processes")


if __name__ == "__main__":
    main()

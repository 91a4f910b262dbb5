"""Fetch throughput against the emulator (loopback only).

1. 20 ms latency, generous quota: sequential one-by-one fetching (what the official SDK
   does) vs fetch_jobs with 4, 8 and 16 workers; throughput as a ratio to the ideal
   workers / latency (target >= 0.8 at 8 workers).
2. Emulator quota of N calls/s: fetch_jobs throughput as a share of N, and 429s seen
   (target >= 0.95 N, zero 429s).
3. Calls spent per job: a sync of the sample history, then an incremental sync.
"""

from __future__ import annotations

import time
from datetime import timedelta

import requests

from rds_job_analytics import JobArchive, fetch_jobs, sync_jobs
from rds_job_analytics.emulator import DEMO_TOKEN, Emulator
from rds_job_analytics.synth import SAMPLE_END, SAMPLE_START

LATENCY = 0.020


def sequential(emu: Emulator, ids: list[str]) -> float:
    s = requests.Session()
    url = f"{emu.url}/v3/{emu.project_id}/jobs"
    t = time.perf_counter()
    for jid in ids:
        r = s.get(url, params={"id": jid}, headers={"X-Auth-Token": DEMO_TOKEN}, timeout=10)
        r.raise_for_status()
        r.json()
    return time.perf_counter() - t


def main() -> None:
    with Emulator(retention_days=None, latency=LATENCY) as emu:
        ids = emu.job_ids()
        print(f"== latency {LATENCY * 1000:.0f} ms, no quota")
        print(f"{'mode':>14} {'jobs':>5} {'seconds':>8} {'jobs/s':>7} {'ideal':>6} {'ratio':>6}")
        n = 100
        sec = sequential(emu, ids[:n])
        print(f"{'sequential':>14} {n:>5} {sec:8.2f} {n / sec:7.1f} {1 / LATENCY:6.0f} "
              f"{(n / sec) * LATENCY:6.2f}")  # fmt: skip
        offset = n
        for workers in (4, 8, 16):
            n = 100 * workers
            batch = ids[offset : offset + n]
            offset += n
            client = emu.client(max_workers=workers, rate_limit=10_000)
            t = time.perf_counter()
            df = fetch_jobs(batch, client=client, progress=False)
            sec = time.perf_counter() - t
            assert (df["fetch_status"] == "ok").all()
            ideal = workers / LATENCY
            print(f"{f'fetch_jobs x{workers}':>14} {n:>5} {sec:8.2f} {n / sec:7.1f} {ideal:6.0f} "
                  f"{(n / sec) / ideal:6.2f}")  # fmt: skip

    print("\n== emulator quota N calls/s (1 s sliding window), client paced at 0.97 N, 8 workers")
    print(f"{'N':>4} {'jobs':>5} {'seconds':>8} {'jobs/s':>7} {'share of N':>10} {'429s':>5}")
    for quota in (20, 50):
        with Emulator(retention_days=None, quota=quota, quota_window=1.0) as emu:
            batch = emu.job_ids()[: quota * 6]
            client = emu.client(max_workers=8, rate_limit=quota * 0.97)
            t = time.perf_counter()
            df = fetch_jobs(batch, client=client, progress=False)
            sec = time.perf_counter() - t
            assert (df["fetch_status"] == "ok").all()
            rate = len(batch) / sec
            print(f"{quota:>4} {len(batch):>5} {sec:8.2f} {rate:7.1f} {rate / quota:10.2f} "
                  f"{emu.counts.get('429', 0):>5}")  # fmt: skip

    print("\n== calls per job, sample history (5,000 jobs)")
    with Emulator(retention_days=None) as emu:
        client = emu.client(max_workers=8)
        arc = JobArchive(":memory:")
        until = SAMPLE_END + timedelta(hours=1)
        first = sync_jobs(client, arc, since=SAMPLE_START, until=until, progress=False)
        second = sync_jobs(client, arc, since=SAMPLE_START, until=until, progress=False)
        print(f"first sync:       {first.calls} calls for {first.listed} jobs = "
              f"{first.calls / first.listed:.3f} calls/job (official SDK: 1.000 + discovery)")  # fmt: skip
        print(
            f"incremental sync: {second.calls} calls = list pages + {second.fetched} running jobs"
        )


if __name__ == "__main__":
    main()

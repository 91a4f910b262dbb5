"""Fetch throughput against the emulator (loopback only).

1. 20 ms latency, generous quota: sequential one-by-one fetching (what the official SDK
   does) vs fetch_jobs with 4, 8 and 16 workers; throughput as a ratio to the ideal
   workers / latency (target >= 0.8 at 8 workers).
2. Emulator quota of N calls/s: fetch_jobs throughput as a share of N, and 429s seen
   (target >= 0.95 N, zero 429s).
3. Calls spent per job: a sync of the sample history, then an incremental sync.
4. Task-list-first sync: a backfill of the sample under a quota with details="auto"
   against details="all" (calls per job against the floor: one list call per 50 jobs
   plus one call per job whose entities are needed; wall time), then a daily sync.
"""

from __future__ import annotations

import time
from datetime import timedelta

import orjson
import requests

from rds_job_analytics import JobArchive, fetch_jobs, sync_jobs
from rds_job_analytics.emulator import DEMO_TOKEN, Emulator
from rds_job_analytics.sync._sync import DEFAULT_DETAIL_RULE
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
            df = fetch_jobs(client, batch, progress=False)
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
            df = fetch_jobs(client, batch, progress=False)
            sec = time.perf_counter() - t
            assert (df["fetch_status"] == "ok").all()
            rate = len(batch) / sec
            print(f"{quota:>4} {len(batch):>5} {sec:8.2f} {rate:7.1f} {rate / quota:10.2f} "
                  f"{emu.counts.get('429', 0):>5}")  # fmt: skip

    print("\n== calls per job, sample history (5,000 jobs), no quota")
    with Emulator(retention_days=None) as emu:
        client = emu.client(max_workers=8, rate_limit=10_000)
        arc = JobArchive(":memory:")
        until = SAMPLE_END + timedelta(hours=1)
        kw = {"since": SAMPLE_START, "until": until, "horizon": None, "progress": False}
        first = sync_jobs(client, arc, details="all", **kw)
        second = sync_jobs(client, arc, details="all", **kw)
        print(f"details=all  first sync:  {first.calls} calls for {first.listed} jobs = "
              f"{first.calls / first.listed:.3f} calls/job (target <= 1.02)")  # fmt: skip
        print(f"details=all  incremental: {second.calls} calls = list pages + "
              f"{second.fetched} running jobs")  # fmt: skip

    quota = 100
    print(f"\n== 30-day-style backfill of the sample, emulator quota {quota} calls/s, "
          f"client paced at 0.97 N")  # fmt: skip
    results = {}
    for details in ("all", "auto"):
        with Emulator(retention_days=None, quota=quota, quota_window=1.0) as emu:
            client = emu.client(max_workers=8, rate_limit=quota * 0.97)
            arc = JobArchive(":memory:")
            t = time.perf_counter()
            res = sync_jobs(client, arc, details=details, **kw)
            sec = time.perf_counter() - t
            df = arc.to_frame()
            scale_ups = int(df["job_name"].astype(str).map(DEFAULT_DETAIL_RULE.wants).sum())
            results[details] = (res, sec)
            floor = -(-res.listed // 50) + 1 + (scale_ups if details == "auto" else res.listed)
            print(f"details={details:<4}  {res.calls} calls ({emu.counts.get('tasklist', 0)} list, "
                  f"{emu.counts.get('jobs', 0)} job) for {len(df)} jobs = "
                  f"{res.calls / len(df):.3f} calls/job; floor {floor / len(df):.3f} "
                  f"({res.calls / floor:.3f}x the floor, target <= 1.05x); {sec:.1f} s, "
                  f"{emu.counts.get('429', 0)} 429s")  # fmt: skip
            if details == "auto":  # a day later: ~a day's worth of new jobs
                emu.load(_next_day(until))
                before = dict(emu.counts)
                later = until + timedelta(days=1)
                inc = sync_jobs(client, arc, details="auto", since=until - timedelta(minutes=10),
                                until=later, horizon=None, progress=False)  # fmt: skip
                print(f"details=auto incremental day: {inc.calls} calls "
                      f"({emu.counts.get('tasklist', 0) - before.get('tasklist', 0)} list, "
                      f"{emu.counts.get('jobs', 0) - before.get('jobs', 0)} job) "
                      f"for {inc.listed} new jobs")  # fmt: skip
    (_, t_all), (_, t_auto) = results["all"], results["auto"]
    print(f"wall time details=all / details=auto: {t_all / t_auto:.1f}x (target >= 7x)")


def _next_day(start) -> list[dict]:
    """160 new jobs created in the day after ``start``, shaped like sample jobs."""
    from rds_job_analytics.sample import _read_lines

    out = []
    for i, line in enumerate(_read_lines()[:160]):
        job = {k.strip(): v for k, v in orjson.loads(line)["job"].items()}
        when = start + timedelta(minutes=9 * i)
        job.update(id=f"next-day-{i:04d}", created=f"{when:%Y-%m-%dT%H:%M:%S}+0000")
        job.pop("ended", None)
        if job.get("status") != "Running":
            job["ended"] = f"{when + timedelta(minutes=5):%Y-%m-%dT%H:%M:%S}+0000"
        out.append({"job": job})
    return out


if __name__ == "__main__":
    main()

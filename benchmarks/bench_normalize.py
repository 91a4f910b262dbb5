"""normalize_jobs on N raw JSON responses (bytes, as off the wire) against, in one run:
(a) the baseline an analyst writes: json.loads + pandas.json_normalize + pandas.to_datetime;
(b) the floor: decoding the same bytes with orjson (as written naively, GC on, and GC off).

Each case runs in its own fresh subprocess (so its peak RSS is its own), REPEAT times
(default 3); the fastest run of each case counts, for ours and the baselines alike, as
the machines here are noisy. All runs are printed.
Usage: python benchmarks/bench_normalize.py [N ...]   (default 10000 100000 1000000)
       REPEAT=1 python benchmarks/bench_normalize.py 1000000
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time


def make_data(n: int) -> list[bytes]:
    from rds_job_analytics.sample import _read_lines

    lines = _read_lines()
    return (lines * (n // len(lines) + 1))[:n]


def run_case(case: str, n: int) -> dict:
    import gc

    import orjson
    import pandas as pd

    from rds_job_analytics import normalize_jobs

    data = make_data(n)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    df = None
    t0 = time.perf_counter()
    if case == "ours":
        df = normalize_jobs(data)
    elif case == "baseline":
        df = pd.json_normalize([json.loads(b) for b in data])
        for col in ("job.created", "job.ended"):
            df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601", errors="coerce")
    elif case == "floor":
        _ = [orjson.loads(b) for b in data]
    elif case == "floor_nogc":
        gc.disable()
        _ = [orjson.loads(b) for b in data]
    seconds = time.perf_counter() - t0
    extra = {}
    if df is not None:  # measured after the clock stops
        extra["bytes_per_row"] = df.memory_usage(deep=True).sum() / len(df)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mb": peak / 1024, "delta_mb": (peak - rss0) / 1024, **extra}


def main(sizes: list[int]) -> None:
    cases = ["ours", "baseline", "floor", "floor_nogc"]
    repeat = int(os.environ.get("REPEAT", "3"))
    print(f"best of {repeat} fresh processes per case")
    print(f"{'N':>9} {'case':>11} {'seconds':>8} {'peak MB':>8} {'+MB':>7} {'B/row':>7}  runs")
    summary = []
    for n in sizes:
        res = {}
        for case in cases:
            runs = [
                json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--case", case, str(n)],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                )
                for _ in range(repeat)
            ]
            r = res[case] = min(runs, key=lambda r: r["seconds"])
            bpr = f"{r['bytes_per_row']:7.0f}" if "bytes_per_row" in r else "       "
            all_runs = " ".join(f"{x['seconds']:.2f}" for x in runs)
            print(
                f"{n:>9} {case:>11} {r['seconds']:8.2f} {r['peak_mb']:8.0f} "
                f"{r['delta_mb']:7.0f} {bpr}  {all_runs}",
                flush=True,
            )
        ours = res["ours"]["seconds"]
        summary.append(
            (n, res["baseline"]["seconds"] / ours, ours / res["floor"]["seconds"],
             ours / res["floor_nogc"]["seconds"])
        )  # fmt: skip
    print()
    print(f"{'N':>9} {'baseline/ours':>14} {'ours/floor':>11} {'ours/floor(GC off)':>19}")
    for n, a, b, c in summary:
        print(f"{n:>9} {a:14.1f}x {b:10.2f}x {c:18.2f}x")
    print("targets at 1M: baseline/ours >= 10x, ours/floor <= 3x")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2], int(sys.argv[3]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])

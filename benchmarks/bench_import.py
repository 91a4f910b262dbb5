"""Import cost: ``import rds_job_analytics`` and ``rds-jobs --help`` against the floor every
user pays anyway, ``import pandas, requests``, each in fresh processes, best of REPEAT (5).

Target (issue 9): import rds_job_analytics <= 1.2x import pandas, requests.
Usage: python benchmarks/bench_import.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

CASES = {
    "import pandas, requests": [sys.executable, "-c", "import pandas, requests"],
    "import rds_job_analytics": [sys.executable, "-c", "import rds_job_analytics"],
    "rds-jobs --help": [sys.executable, "-m", "rds_job_analytics.cli", "--help"],
}
HEAVY = ("matplotlib", "ipywidgets", "IPython", "jinja2")


def best(cmd: list[str], repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        runs.append(time.perf_counter() - t0)
    return min(runs), runs


def main() -> None:
    repeat = int(os.environ.get("REPEAT", "5"))
    best(CASES["import pandas, requests"], 1)  # warm the file cache for everyone
    results = {}
    for name, cmd in CASES.items():
        results[name], runs = best(cmd, repeat)
        print(f"{name:28s} {results[name]:.3f} s  (runs: {', '.join(f'{r:.3f}' for r in runs)})")
    floor = results["import pandas, requests"]
    for name in ("import rds_job_analytics", "rds-jobs --help"):
        print(f"{name} / import pandas, requests: {results[name] / floor:.2f}x (target <= 1.2x)")
    probe = f"import sys, rds_job_analytics; print([m for m in {HEAVY!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout
    print(f"heavy modules loaded by import rds_job_analytics: {loaded.strip()}")


if __name__ == "__main__":
    main()

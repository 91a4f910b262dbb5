"""Run every benchmark (``make bench``)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for name in [
        "bench_import.py",
        "bench_normalize.py",
        "bench_fetch.py",
        "bench_archive.py",
        "bench_fleet.py",
        "bench_dataset.py",
        "bench_tables.py",
        "bench_report.py",
    ]:
        print(f"== {name}", flush=True)
        sys.argv = [str(HERE / name)]
        runpy.run_path(str(HERE / name), run_name="__main__")

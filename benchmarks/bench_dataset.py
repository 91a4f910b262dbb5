"""The open dataset against the archive it is exported from, in one run:

1. ``JobArchive.to_frame`` of N archived jobs (SQLite; default 1,000,000: the 5,000
   sample responses under 200 projects, 4 accounts, 5 regions) against ``read_jobs`` of
   the dataset ``export_dataset`` wrote from it (the same frame: checked), and
   ``read_jobs`` of one account's month (partitions pruned). Best of REPEAT runs.
2. ``export_dataset``: the first export, a second with nothing changed (every partition
   hashed, none written) and one after a single new job (one partition written).
3. Bytes per job: the archive file, the dataset.
4. A DuckDB query (``run_sql``: failures per region and month) over the dataset and over
   the archive.

Usage: python benchmarks/bench_dataset.py [N]     (REPEAT=1 for one run of each)
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rds_job_analytics import JobArchive, normalize_jobs  # noqa: E402
from rds_job_analytics.export._dataset import export_dataset, read_jobs  # noqa: E402
from rds_job_analytics.export._sql import run_sql  # noqa: E402
from rds_job_analytics.normalize.schema import TERMINAL_STATUSES, to_epoch_ms  # noqa: E402
from rds_job_analytics.sample import _read_lines  # noqa: E402
from rds_job_analytics.store._archive import _UPSERT  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "2"))
ACCOUNTS = ("prod", "staging", "analytics", None)
REGIONS = ("cn-north-4", "ap-southeast-1", "eu-west-101", "la-south-2", None)
ORDER = ["created", "project_id", "job_id"]
QUERY = """
SELECT region, strftime(created, '%Y-%m') AS month, count(*) AS jobs,
       count(*) FILTER (status = 'Failed') AS failed
FROM jobs GROUP BY ALL ORDER BY ALL
"""


def rows(n: int) -> list[tuple]:
    """N archive rows: the sample's responses repeated under as many projects as needed,
    each project in one account and region."""
    lines = _read_lines()
    df = normalize_jobs(lines)

    def ms(t):
        return to_epoch_ms(t) if pd.notna(t) else None

    base = [
        (jid, st, int(st in TERMINAL_STATUSES), ms(c), raw, ms(e))
        for jid, st, c, e, raw in zip(
            df["job_id"],
            df["status"].astype(str),
            df["created"],
            df["ended"],
            lines,
            strict=True,
        )
    ]
    out = []
    for k in range(n // len(base) + 1):
        project, account, region = f"{k:032x}", ACCOUNTS[k % 4], REGIONS[k % 5]
        fetched = "2026-11-30T00:00:00+00:00"
        out.extend(
            (project, jid, region, st, term, created, fetched, raw, account, ended)
            for jid, st, term, created, raw, ended in base
        )
    return out[:n]


def best(fn, repeat: int = REPEAT) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def once(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def seed(path: Path, data: list[tuple]) -> None:
    """An archive file holding ``data`` as its ``jobs`` rows: the tables made by
    :class:`JobArchive`, the rows written in bulk with :mod:`sqlite3` (past the archive's
    parsing, as ``bench_archive.load_pg`` writes PostgreSQL with COPY)."""
    with JobArchive(path):  # the tables
        pass
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany(_UPSERT.format(table="jobs"), data)


def main(n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-dataset-"))
    lite, ds = folder / "a.sqlite", folder / "ds"
    try:
        data = rows(n)
        seed(lite, data)
        del data
        with JobArchive(lite) as arc:
            print(f"== export_dataset of {n:,} archived jobs")
            s_first, res = once(lambda: export_dataset(arc, ds))
            print(f"first export      {s_first:6.2f} s   {res}")
            s_same, res = once(lambda: export_dataset(arc, ds))
            print(f"nothing changed   {s_same:6.2f} s   {res}")
            arc.put(
                {
                    "job": {
                        "id": "bench-new",
                        "status": "Running",
                        "created": "2026-10-05T00:00:00Z",
                    }
                },
                project_id=f"{0:032x}",
                region=REGIONS[0],
                account=ACCOUNTS[0],
            )
            s_one, res = once(lambda: export_dataset(arc, ds))
            print(f"one new job       {s_one:6.2f} s   {res}")

            print(f"\n== reading {n:,} jobs back")
            s_arc, df = best(arc.to_frame)
        s_ds, back = best(lambda: read_jobs(ds))
        expected = df.sort_values(ORDER, na_position="first", kind="stable", ignore_index=True)
        pd.testing.assert_frame_equal(back, expected)  # the same frame, or timing means nothing
        del df, back, expected
        s_part, part = best(
            lambda: read_jobs(ds, account="prod", start="2026-10-01", end="2026-11-01")
        )
        print(f"JobArchive.to_frame (SQLite)    {s_arc:6.2f} s")
        print(f"read_jobs (dataset)             {s_ds:6.2f} s   {s_arc / s_ds:.1f}x faster")
        print(f"read_jobs, one account's month  {s_part:6.2f} s   ({len(part):,} jobs)")

        ds_bytes = sum(p.stat().st_size for p in ds.rglob("*.parquet"))
        with JobArchive(lite) as arc:
            arc._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(
            f"\n== bytes per job: archive (SQLite, raw responses) {lite.stat().st_size / n:.0f} B, "
            f"dataset (Parquet, zstd) {ds_bytes / n:.0f} B"
        )

        print("\n== DuckDB: failures per region and month (run_sql)")
        s_sql_ds, out_ds = best(lambda: run_sql(QUERY, dataset=ds))
        s_sql_arc, out_arc = best(lambda: run_sql(QUERY, archive=lite))
        pd.testing.assert_frame_equal(out_ds, out_arc)
        print(f"over the dataset  {s_sql_ds:6.2f} s   ({len(out_ds)} rows)")
        print(f"over the archive  {s_sql_arc:6.2f} s   (to_frame first)")
    finally:
        for p in sorted(folder.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        folder.rmdir()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

"""The archive on PostgreSQL against SQLite, in one run (a throwaway PostgreSQL server on
loopback, started here with initdb + pg_ctl, fsync on as in production, and deleted):

1. ``to_frame`` of N archived jobs (default 1,000,000: the 5,000 sample responses under
   200 projects) from PostgreSQL against SQLite (target <= 2x), and against reading a
   Parquet file of the same frame (``JobArchive.export``; reported). Best of REPEAT runs.
2. Archive bytes per job on each backend (SQLite file after a checkpoint; PostgreSQL
   table, index and TOAST sizes).
3. A sync of the sample (task list, then every job's details, each response committed)
   into PostgreSQL against SQLite with the emulator at 20 ms (target <= 1.3x wall time).

Usage: python benchmarks/bench_archive.py [N]     (REPEAT=1 for one run of each)
Skips, saying why, where no PostgreSQL is installed.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rds_job_analytics import JobArchive, normalize_jobs, sync_jobs  # noqa: E402
from rds_job_analytics.emulator import Emulator  # noqa: E402
from rds_job_analytics.export import write_frame  # noqa: E402
from rds_job_analytics.normalize.schema import TERMINAL_STATUSES, to_epoch_ms  # noqa: E402
from rds_job_analytics.sample import _read_lines  # noqa: E402
from rds_job_analytics.store._archive import _UPSERT  # noqa: E402
from rds_job_analytics.synth import SAMPLE_END, SAMPLE_START  # noqa: E402
from tests import pg  # noqa: E402

LATENCY = 0.020
REPEAT = int(os.environ.get("REPEAT", "2"))
COLUMNS = ("project_id", "job_id", "region", "status", "terminal", "created_ms",
           "fetched_at", "raw", "account", "ended_ms")  # fmt: skip


def rows(n: int) -> list[tuple]:
    """N archive rows: the sample's responses repeated under as many projects as needed."""
    lines = _read_lines()
    df = normalize_jobs(lines)

    def ms(t):
        return to_epoch_ms(t) if pd.notna(t) else None

    base = [
        (jid, "ap-southeast-1", st, int(st in TERMINAL_STATUSES), ms(c),
         "2026-11-30T00:00:00+00:00", raw, "bench", ms(e))
        for jid, st, c, e, raw in zip(df["job_id"], df["status"].astype(str), df["created"],
                                      df["ended"], lines, strict=True)
    ]  # fmt: skip
    out = []
    for k in range(n // len(base) + 1):
        project = f"{k:032x}"
        out.extend((project, *r) for r in base)
    return out[:n]


def load_sqlite(path: Path, data: list[tuple]) -> None:
    with JobArchive(path):  # the tables; the rows in bulk, past the archive's parsing
        pass
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany(_UPSERT.format(table="jobs"), data)


def load_pg(url: str, data: list[tuple]) -> None:
    import psycopg

    with JobArchive(url):  # the tables
        pass
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY jobs ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for r in data:
                copy.write_row(r)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE jobs")


def best(fn, repeat: int = REPEAT) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def pg_bytes(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_total_relation_size('jobs')").fetchone()[0]


def sync_wall(url_or_path: str, emu: Emulator) -> tuple[float, int]:
    client = emu.client(max_workers=8, rate_limit=10_000)
    with JobArchive(url_or_path) as arc:
        t = time.perf_counter()
        res = sync_jobs(client, arc, since=SAMPLE_START, until=SAMPLE_END + timedelta(hours=1),
                        horizon=None, details="all", progress=False)  # fmt: skip
        return time.perf_counter() - t, res.fetched


def main(n: int) -> None:
    bindir = pg.binaries()
    if bindir is None:
        print("skipped: no PostgreSQL installed (apt-get install postgresql)")
        return
    server = pg.Server(bindir, fsync=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    try:
        print(f"== to_frame of {n:,} archived jobs")
        data = rows(n)
        t = time.perf_counter()
        lite = folder / "a.sqlite"
        load_sqlite(lite, data)
        t_lite = time.perf_counter() - t
        url = server.create_database()
        t = time.perf_counter()
        load_pg(url, data)
        t_pg = time.perf_counter() - t
        del data
        print(f"(loaded in {t_lite:.1f} s SQLite, {t_pg:.1f} s PostgreSQL COPY)")
        with JobArchive(lite) as arc:
            s_lite, df = best(arc.to_frame)
            parquet = write_frame(arc.to_frame(), folder / "jobs.parquet")
            one = write_frame(
                arc.to_frame(project_id=f"{0:032x}"), folder / "one.parquet"
            )  # 5,000 distinct
        with JobArchive(url) as arc:
            s_pg, df_pg = best(arc.to_frame)
        pd.testing.assert_frame_equal(df, df_pg)  # the same frame, or the timing means nothing
        s_pq, _ = best(lambda: pd.read_parquet(parquet))
        del df, df_pg
        print(f"SQLite      {s_lite:6.2f} s")
        print(f"PostgreSQL  {s_pg:6.2f} s   {s_pg / s_lite:.2f}x SQLite (target <= 2x)")
        print(f"Parquet     {s_pq:6.2f} s   PostgreSQL is {s_pg / s_pq:.1f}x reading the "
              "Parquet file of the same frame (pd.read_parquet)")  # fmt: skip

        print("\n== archive bytes per job")
        with JobArchive(lite) as arc:
            arc._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        b_lite = lite.stat().st_size / n
        b_pg = pg_bytes(url) / n
        lines = _read_lines()
        b_pq = one.stat().st_size / len(lines)  # the repeated sample would compress unfairly
        print(f"SQLite {b_lite:.0f} B/job, PostgreSQL {b_pg:.0f} B/job ({b_pg / b_lite:.2f}x); "
              f"for scale: the raw JSON response {sum(map(len, lines)) / len(lines):.0f} B, "
              f"a Parquet export of the 5,000 distinct sample jobs {b_pq:.0f} B/job")  # fmt: skip
        server.drop_database(url)

        print(f"\n== sync of the sample (5,000 jobs, details=all), emulator at "
              f"{LATENCY * 1000:.0f} ms, 8 workers")  # fmt: skip
        walls = {}
        with Emulator(retention_days=None, latency=LATENCY) as emu:
            for name in ("sqlite", "postgresql", "sqlite ", "postgresql "):
                where = str(folder / f"s{len(walls)}.sqlite") if name.startswith("sqlite") \
                    else server.create_database()  # fmt: skip
                wall, fetched = sync_wall(where, emu)
                walls.setdefault(name.strip(), []).append(wall)
                print(f"{name.strip():<11} {wall:6.2f} s  ({fetched} jobs fetched)")
        ratio = min(walls["postgresql"]) / min(walls["sqlite"])
        print(f"PostgreSQL {ratio:.2f}x SQLite wall time, best of 2 (target <= 1.3x)")
    finally:
        server.stop()
        for p in sorted(folder.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        folder.rmdir()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

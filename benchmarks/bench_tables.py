"""Open tables (Iceberg, Delta): a full export against a day's merge, in one run.

For each format, from the same archive of N jobs (SQLite; default 1,000,000: the 5,000
sample responses under 200 projects, 4 accounts, 5 regions, as ``bench_dataset`` builds
it):

1. ``to_table``: the first export of the whole archive.
2. A day of syncing: about N/105 new jobs (the sample spans 105 days) created in the day
   after the newest one, the Running jobs of the sample's last day finished, and the
   oldest Running job (early in the history) finished, all stored with a later
   ``fetched_at``; then ``to_table`` merges them. The ratio merge / full export is the
   figure (target: at most 0.20; the script exits 1 when a format is over it).

The archived rows are stamped as syncs stamp them, each fetched an hour after its
creation (a run re-reads the rows fetched within ``MARK_LAG`` of the mark).
3. A rerun with nothing new: nothing committed (checked).
4. The table read back (``read_table``) equals ``JobArchive.to_frame()`` (checked).

Usage: python benchmarks/bench_tables.py [N]
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dataset import ACCOUNTS, REGIONS, once, rows, seed  # noqa: E402

from rds_job_analytics import JobArchive  # noqa: E402
from rds_job_analytics.export import read_table, to_table  # noqa: E402
from rds_job_analytics.normalize.schema import to_epoch_ms  # noqa: E402
from rds_job_analytics.store._archive import _UPSERT  # noqa: E402

TARGET = 0.20
DAY_FETCHED = datetime.now(UTC).isoformat()  # after the archived rows (2026-11-30)


def the_day(db, n: int) -> tuple[int, int]:
    """A day's sync into the archive: new jobs, and the last day's Running jobs finished."""
    last = db.execute("SELECT max(created_ms) FROM jobs").fetchone()[0]
    start = last + 1000
    running = db.execute(
        "SELECT project_id, job_id, region, raw, account FROM jobs "
        "WHERE status = 'Running' AND created_ms >= ?",
        (last - 86_400_000,),
    ).fetchall()
    # and one long-running job from early in the history (a run must not read every
    # job created since it)
    running += db.execute(
        "SELECT project_id, job_id, region, raw, account FROM jobs "
        "WHERE status = 'Running' AND created_ms < ? ORDER BY created_ms LIMIT 1",
        (last - 86_400_000,),
    ).fetchall()
    out = []
    for project, jid, region, raw, account in running:
        rec = orjson.loads(raw)
        rec["job"]["status"] = "Completed"
        rec["job"]["ended"] = "2026-11-15T12:00:00+0000"
        created = to_epoch_ms(rec["job"]["created"])
        raw = orjson.dumps(rec)
        out.append((project, jid, region, "Completed", 1, created, DAY_FETCHED, raw, account,
                    to_epoch_ms("2026-11-15T12:00:00Z")))  # fmt: skip
    new = max(1, n // 105)
    for i in range(new):
        created = start + i * (86_400_000 // new)
        when = datetime.fromtimestamp(created / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
        k = i % 200
        rec = {"job": {"id": f"day-{i:08d}", "name": "RestartMysqlInstance",
                       "status": "Running", "created": when}}  # fmt: skip
        out.append((f"{k:032x}", f"day-{i:08d}", REGIONS[k % 5], "Running", 0, created,
                    DAY_FETCHED, orjson.dumps(rec), ACCOUNTS[k % 4], None))  # fmt: skip
    db.executemany(_UPSERT.format(table="jobs"), out)
    return new, len(running)


def same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal frames (categories compared as object, as tests/export/test_dataset.py does)."""
    for df in (got, expected):
        for col in df.columns:
            if isinstance(df[col].dtype, pd.CategoricalDtype):
                cats = df[col].cat.categories
                df[col] = df[col].cat.rename_categories(pd.Index(list(cats), dtype=object))
    pd.testing.assert_frame_equal(got, expected)


def main(n: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-tables-"))
    ratios: dict[str, float] = {}
    base = folder / "base.sqlite"
    try:
        data = rows(n)
        seed(base, data)
        del data
        with JobArchive(base) as arc:
            arc._db.execute(  # fetched an hour after creation, as daily syncs stamp them
                "UPDATE jobs SET fetched_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', "
                "coalesce(created_ms, (SELECT min(created_ms) FROM jobs)) / 1000 + 3600, "
                "'unixepoch')"
            )
            arc._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for fmt in ("delta", "iceberg"):
            lite, where = folder / f"{fmt}.sqlite", folder / fmt
            shutil.copy(base, lite)
            with JobArchive(lite) as arc:
                print(f"== {fmt}: {n:,} archived jobs")
                s_full, res = once(lambda arc=arc, w=where, f=fmt: to_table(arc, w, format=f))
                print(f"full export          {s_full:7.2f} s   {res}")
                with closing(sqlite3.connect(lite)) as db, db:  # another writer's day
                    new, done = the_day(db, n)
                s_day, res = once(lambda arc=arc, w=where, f=fmt: to_table(arc, w, format=f))
                assert res.inserted == new and res.updated == done, res
                print(f"a day's merge        {s_day:7.2f} s   {res}")
                s_again, res = once(lambda arc=arc, w=where, f=fmt: to_table(arc, w, format=f))
                assert not res.committed, res
                print(f"rerun, nothing new   {s_again:7.2f} s   {res}")
                cat = {"catalog": arc} if fmt == "iceberg" else {}
                s_read, back = once(lambda w=where, f=fmt, c=cat: read_table(w, format=f, **c))
                expected = arc.to_frame()  # in the one job order: not re-sorted
                same(back, expected)  # the same frame, or timing means nothing
                del back, expected
                print(f"read_table           {s_read:7.2f} s   (equals to_frame: checked)")
                ratios[fmt] = s_day / s_full
                verdict = "ok" if ratios[fmt] <= TARGET else "OVER TARGET"
                print(f"merge / full export  {ratios[fmt]:7.3f}     target <= {TARGET} {verdict}\n")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    over = [f for f, r in ratios.items() if r > TARGET]
    if over:
        print(f"OVER TARGET ({TARGET}): {', '.join(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    # printed, as every benchmark's target, never an exit: make bench runs the next one too
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

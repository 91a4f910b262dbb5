"""run_sql: DuckDB over an archive or a dataset, as the table ``jobs``."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

import rds_job_analytics as rja
from rds_job_analytics import ConfigError, JobArchive
from rds_job_analytics.export._dataset import export_dataset
from rds_job_analytics.export._sql import SqlError, run_sql
from rds_job_analytics.normalize.schema import JOB_SCHEMA

pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sql")
    path = folder / "jobs.sqlite"
    with JobArchive(path) as arc:
        for i, r in enumerate(rja.load_sample(raw=True)):
            region = ("cn-north-4", "eu-west-101", None)[i % 3]
            arc.put(r, project_id=f"p{i % 3}", region=region, account="prod" if i % 2 else None)
        arc.record_sync(
            "p0",
            "cn-north-4",
            datetime(2026, 10, 1, tzinfo=UTC),
            datetime(2026, 10, 31, tzinfo=UTC),
            listed=5,
            fetched=5,
            calls=2,
        )
        frame = arc.to_frame()
        export_dataset(arc, folder / "ds")
    return path, folder / "ds", frame


QUERY = """
SELECT region, status, count(*) AS jobs, avg(duration_s) AS mean_s
FROM jobs GROUP BY ALL ORDER BY region NULLS FIRST, status
"""


def test_archive_and_dataset_answer_the_same(sources):
    path, folder, frame = sources
    from_archive = run_sql(QUERY, archive=path)
    from_dataset = run_sql(QUERY, dataset=folder)
    pd.testing.assert_frame_equal(from_archive, from_dataset)
    regions = frame["region"].astype(object).where(frame["region"].notna(), None)
    expected = {
        (r, str(st)): n
        for (r, st), n in pd.crosstab(regions.fillna("?"), frame["status"]).stack().items()
        if n
    }
    got = {
        ("?" if r is None or pd.isna(r) else r, st): n
        for r, st, n in from_archive[["region", "status", "jobs"]].itertuples(index=False)
    }
    assert got == expected and from_archive["region"].isna().any()


@pytest.mark.parametrize("which", ["archive", "dataset"])
def test_jobs_has_the_normalized_columns_in_order(sources, which):
    path, folder, frame = sources
    kw = {"archive": path} if which == "archive" else {"dataset": folder}
    described = run_sql("DESCRIBE jobs", **kw)
    assert described["column_name"].tolist() == list(JOB_SCHEMA)
    types = dict(zip(described["column_name"], described["column_type"], strict=True))
    assert types["created"] == "TIMESTAMP WITH TIME ZONE" and types["duration_s"] == "DOUBLE"
    assert types["extra"] == types["account"] == "VARCHAR"
    first = run_sql("SELECT min(created) AS t FROM jobs", **kw)["t"].iloc[0]
    assert first == frame["created"].min() and str(first.tz) == "UTC"
    flavor = run_sql(
        "SELECT count(*) AS n FROM jobs WHERE json_extract_string(extra, '$.\"entities.flavor_ref\"')"
        " IS NOT NULL",
        **kw,
    )["n"].iloc[0]
    assert flavor == frame["extra"].map(lambda e: bool(e) and "entities.flavor_ref" in e).sum() > 0


def test_an_archive_brings_its_sync_windows_and_an_open_archive_works(sources):
    path, _, frame = sources
    syncs = run_sql("SELECT project_id, listed FROM syncs", archive=path)
    assert syncs.values.tolist() == [["p0", 5]]
    with JobArchive(path) as arc:
        assert run_sql("SELECT count(*) AS n FROM jobs", archive=arc)["n"].iloc[0] == len(frame)


def test_bad_sources_are_refused_naming_them(tmp_path):
    with pytest.raises(ConfigError, match="exactly one of archive= and dataset="):
        run_sql("SELECT 1")
    with pytest.raises(ConfigError, match="exactly one"):
        run_sql("SELECT 1", archive=tmp_path / "a", dataset=tmp_path)
    with pytest.raises(ConfigError, match=r"typo\.sqlite"):
        run_sql("SELECT 1", archive=tmp_path / "typo.sqlite")
    (tmp_path / "notes.txt").write_text("not a dataset")
    with pytest.raises(ConfigError, match=r"notes\.txt"):
        run_sql("SELECT 1", dataset=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing created


def test_a_bad_query_is_a_sql_error_with_duckdbs_words(sources):
    path, _, _ = sources
    with pytest.raises(SqlError, match="no_such_column") as err:
        run_sql("SELECT no_such_column FROM jobs", archive=path)
    assert isinstance(err.value, ConfigError) and err.value.__cause__ is not None
    with pytest.raises(SqlError, match=r"(?i)syntax"):
        run_sql("SELEKT 1", archive=path)


def test_the_query_cannot_write_or_read_files(sources, tmp_path):
    _, folder, _ = sources
    target = tmp_path / "out.csv"
    with pytest.raises(SqlError):
        run_sql(f"COPY (SELECT * FROM jobs) TO '{target}'", dataset=folder)
    with pytest.raises(SqlError):
        run_sql("SELECT * FROM read_csv('/etc/hostname')", dataset=folder)
    assert not target.exists()


def test_a_statement_without_a_result_gives_an_empty_frame(sources):
    _, folder, _ = sources
    assert run_sql("SET threads = 1", dataset=folder).empty


# -- Ctrl-C and memory ---------------------------------------------------------------------
ENDLESS = "SELECT sum(tick(i)) FROM range(1000000000000) t(i)"  # hours, unless interrupted


@pytest.fixture
def ctrl_c_once_running(monkeypatch):
    """Every DuckDB connection gets ``tick(x)``, which presses Ctrl-C (``interrupt_main``)
    the first time the query calls it: the query is running then, for sure. A query
    that is not interrupted gives up after a few million rows (a failure, not a hang)."""
    import _thread

    import duckdb

    connect, seen = duckdb.connect, {"ticks": 0, "interrupts": 0}

    class Connection:
        def __init__(self, con):
            self._con = con

        def __getattr__(self, name):
            return getattr(self._con, name)

        def sql(self, query):
            def tick(x: int) -> int:
                seen["ticks"] += 1
                if seen["ticks"] == 1:
                    _thread.interrupt_main()  # Ctrl-C, while the query runs
                if seen["ticks"] > 3_000_000:
                    raise RuntimeError("the query was never interrupted")
                return x

            self._con.create_function("tick", tick)
            return self._con.sql(query)

        def interrupt(self):
            seen["interrupts"] += 1
            return self._con.interrupt()

    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: Connection(connect(*a, **k)))
    return seen


def test_ctrl_c_interrupts_a_running_query(sources, ctrl_c_once_running):
    _, folder, _ = sources
    with pytest.raises(KeyboardInterrupt):
        run_sql(ENDLESS, dataset=folder)
    assert ctrl_c_once_running["interrupts"] == 1  # DuckDB was told to stop
    assert ctrl_c_once_running["ticks"] < 3_000_000


def test_cli_ctrl_c_during_a_query_exits_130_with_one_line(sources, ctrl_c_once_running, capsys):
    from rds_job_analytics.cli import main

    _, folder, _ = sources
    code = main(["sql", ENDLESS, "--dataset", str(folder)])
    err = capsys.readouterr().err
    assert code == 130, err
    assert err.strip() == "rds-jobs: interrupted"  # no "unexpected RuntimeError"


def test_a_query_runs_under_a_memory_limit_a_flag_raises(sources, capsys):
    from rds_job_analytics.cli import main
    from rds_job_analytics.export._sql import SQL_MEMORY_LIMIT

    _, folder, _ = sources
    setting = "SELECT current_setting('memory_limit') AS m"
    assert SQL_MEMORY_LIMIT == "2GB"  # the README's figure
    assert run_sql(setting, dataset=folder)["m"].item() == "1.8 GiB"  # 2 GB, in GiB
    assert run_sql(setting, dataset=folder, memory_limit="5GB")["m"].item() == "4.6 GiB"
    with pytest.raises(SqlError, match=r"memory_limit=20MB; rds-jobs sql --memory-limit"):
        run_sql("SELECT list(i) FROM range(30000000) t(i)", dataset=folder, memory_limit="20MB")
    with pytest.raises(ConfigError, match="memory_limit must be a size"):
        run_sql(setting, dataset=folder, memory_limit="2GB'; SET x='1")
    capsys.readouterr()
    assert main(["sql", setting, "--dataset", str(folder), "--memory-limit", "3GB"]) == 0
    assert "2.7 GiB" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the old path, on purpose
def test_run_sql_has_its_own_module_and_the_old_paths_resolve(monkeypatch):
    import importlib
    import sys

    monkeypatch.delitem(sys.modules, "rds_job_analytics.dataset", raising=False)

    import rds_job_analytics.export as export
    from rds_job_analytics.export import _dataset, _sql

    assert export.run_sql is _sql.run_sql and export.SQL_MEMORY_LIMIT == _sql.SQL_MEMORY_LIMIT
    assert not hasattr(_dataset, "run_sql")  # one home, _sql: no lazy second path
    with pytest.warns(DeprecationWarning):
        old = importlib.import_module("rds_job_analytics.dataset")
    for name in ("run_sql", "SQL_MEMORY_LIMIT", "combine_failure_rates", "export_dataset",
                 "read_jobs", "DatasetExport", "SqlError", "_MEMORY_SIZE"):  # fmt: skip
        assert getattr(old, name) is not None, name

"""Open tables (Iceberg, Delta): merges, idempotence, schema evolution, read back, secrets."""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import rds_job_analytics as rja
import rds_job_analytics.export._dataset as dsmod
import rds_job_analytics.normalize._records as normmod
import rds_job_analytics.normalize.schema as schemamod
from rds_job_analytics import ConfigError, JobArchive
from rds_job_analytics.cli import main
from rds_job_analytics.export import (
    CATALOG_FILE,
    CATALOG_NAME,
    ICEBERG_TABLE,
    read_table,
    to_table,
)
from rds_job_analytics.normalize.schema import TEXT
from tests.export.test_dataset import assert_same_frame, sorted_frame

for _extra in ("pyiceberg", "deltalake"):  # the test extra has both: CI fails, never skips
    if os.environ.get("CI") == "true":
        __import__(_extra)
    else:
        pytest.importorskip(_extra, reason=f"{_extra} missing: pip install -e '.[test]'")

FORMATS = ["iceberg", "delta"]
ORIGINS = [("prod", "p1", "cn-north-4"), (None, "p2", "eu-west-101"), ("team a", "p3", None)]
T0 = datetime(2026, 11, 1, tzinfo=UTC)  # the first sync's fetch time
T1 = datetime(2026, 11, 2, tzinfo=UTC)  # a day later


def versions(location: Path, fmt: str, catalog=None) -> int:
    """How many commits the table holds: Iceberg catalog commits (metadata files: one
    merge commits a delete and an append snapshot at once), Delta versions."""
    if fmt == "delta":
        from deltalake import DeltaTable

        return DeltaTable(str(location)).version() + 1
    from pyiceberg.catalog.sql import SqlCatalog

    uri = catalog or f"sqlite:///{location / CATALOG_FILE}"
    return (
        len(SqlCatalog(CATALOG_NAME, uri=uri).load_table(ICEBERG_TABLE).metadata.metadata_log) + 1
    )


def data_files(location: Path) -> set[Path]:
    return set(location.rglob("*.parquet"))


def frame(n: int | None = None) -> pd.DataFrame:
    """The sample (or n of its jobs, spread over its months) with an origin for each job."""
    df = rja.load_sample()
    df = df if n is None else df.iloc[:: len(df) // n].head(n).reset_index(drop=True)
    for name, col in (("account", 0), ("project_id", 1), ("region", 2)):
        df[name] = pd.Categorical([ORIGINS[i % 3][col] for i in range(len(df))])
    return df


def fill(arc: JobArchive) -> None:
    """The sample with an origin for each job, fetched a minute apart, the last at T0."""
    raw = rja.load_sample(raw=True)
    for i, r in enumerate(raw):
        account, project, region = ORIGINS[i % 3]
        fetched = T0 - timedelta(minutes=len(raw) - 1 - i)
        arc.put(r, project_id=project, region=region, account=account, fetched_at=fetched)


@pytest.fixture
def archive_fill():
    """The sample in each test's ``filled_archive``, on each backend."""
    return fill


def catalog_uri(arc: JobArchive) -> str:
    """The SQL catalog an Iceberg table of ``arc`` defaults to: the archive's own database."""
    return arc.sqlalchemy_url(hide_password=False)


def a_day(arc: JobArchive) -> tuple[str, str]:
    """A day of syncing: a Running job finishes, a new one starts. Returns their IDs."""
    running = arc.to_frame(project_id="p1")
    running = running[running["status"] == "Running"].iloc[-1]
    done = {"job": {"id": running["job_id"], "status": "Completed",
                    "created": running["created"].isoformat(), "ended": "2026-11-01T12:00:00Z"}}  # fmt: skip
    arc.put(done, project_id="p1", region="cn-north-4", account="prod", fetched_at=T1)
    new = {"job": {"id": "new-job", "status": "Running", "created": "2026-11-01T23:00:00Z"}}
    arc.put(new, project_id="p2", region="eu-west-101", fetched_at=T1)
    return running["job_id"], "new-job"


def trimmed(df: pd.DataFrame) -> pd.DataFrame:
    """A slice of a normalized frame as the normalizer builds it from those rows alone:
    only the categories in use (``status`` and fixed-category columns keep theirs)."""
    out = sorted_frame(df)
    for name, dtype in schemamod.JOB_SCHEMA.items():
        if isinstance(dtype, str) and dtype == "category" and name != "status":
            out[name] = out[name].cat.remove_unused_categories()
    return out


def equal(location, fmt, arc: JobArchive, **kw) -> pd.DataFrame:
    back = read_table(location, format=fmt, **kw)
    assert_same_frame(back, sorted_frame(arc.to_frame()))
    return back


# -- the promise: equal after a first export, a day, and a rerun with nothing new ----------
@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_table_equals_the_archive_after_export_day_and_rerun(filled_archive, tmp_path, fmt):
    where = tmp_path / "table"
    cat = {"catalog": filled_archive} if fmt == "iceberg" else {}
    first = to_table(filled_archive, where, format=fmt)
    assert (first.inserted, first.updated, first.committed) == (5000, 0, True)
    equal(where, fmt, filled_archive, **cat)

    finished, _ = a_day(filled_archive)
    day = to_table(filled_archive, where, format=fmt)
    assert (day.inserted, day.updated, day.committed) == (1, 1, True)
    assert day.rows < 5000  # only the jobs refreshed since the last commit were read
    back = equal(where, fmt, filled_archive, **cat)
    assert back.set_index("job_id").loc[finished, "status"] == "Completed"
    assert not back.duplicated(["project_id", "job_id"]).any()

    uri = catalog_uri(filled_archive) if fmt == "iceberg" else None
    commits, files = versions(where, fmt, uri), data_files(where)
    again = to_table(filled_archive, where, format=fmt)
    assert (again.inserted, again.updated, again.committed) == (0, 0, False)
    assert versions(where, fmt, uri) == commits and data_files(where) == files  # 0 files
    equal(where, fmt, filled_archive, **cat)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.slow
def test_a_merge_updates_inserts_and_never_duplicates(tmp_path, fmt):
    later = frame(100)
    df = later.copy()  # the day before: one of its Completed jobs still Running
    i = later.index[later["status"] == "Completed"][0]
    df.loc[i, ["status", "ended", "duration_s"]] = ["Running", pd.NaT, float("nan")]
    to_table(df, tmp_path, format=fmt)
    before = versions(tmp_path, fmt)
    new = later.iloc[[0]].assign(job_id="brand-new")
    later = pd.concat([later, new], ignore_index=True)
    result = to_table(later, tmp_path, format=fmt)
    assert (result.inserted, result.updated) == (1, 1)
    assert versions(tmp_path, fmt) == before + 1  # one commit: readers see all or nothing
    back = read_table(tmp_path, format=fmt)
    assert back.set_index("job_id").loc[later.loc[i, "job_id"], "status"] == "Completed"
    assert len(back) == 101 and not back.duplicated(["project_id", "job_id"]).any()
    assert_same_frame(back, trimmed(later))
    files = data_files(tmp_path)
    assert not to_table(later, tmp_path, format=fmt).committed
    assert data_files(tmp_path) == files


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_frame_holding_a_key_twice_is_refused_before_anything_is_written(tmp_path, fmt):
    df = frame(5)
    twice = pd.concat([df, df.iloc[[2]]], ignore_index=True)
    with pytest.raises(ConfigError, match=r"more than once, e.g. \('p3', "):
        to_table(twice, tmp_path / "t", format=fmt)
    assert not data_files(tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_row_committed_after_an_export_with_an_older_stamp_is_exported(tmp_path, fmt):
    """fetched_at is stamped when the row is built, not committed: project B stored at
    t0+2s, export, then project A stored at t0 (another thread, machine or transaction),
    export -> both in the table (the mark is re-read from MARK_LAG before it)."""
    with JobArchive(tmp_path / "a.sqlite") as arc:
        job = {"status": "Running", "created": "2026-10-02T08:00:00Z"}
        arc.put({"job": {"id": "b1", **job}}, project_id="pB", region="r", account="x",
                fetched_at=T0 + timedelta(seconds=2))  # fmt: skip
        to_table(arc, tmp_path / "t", format=fmt)
        arc.put({"job": {"id": "a1", **job}}, project_id="pA", region="r", account="x",
                fetched_at=T0)  # fmt: skip
        assert to_table(arc, tmp_path / "t", format=fmt).inserted == 1
        back = read_table(tmp_path / "t", format=fmt)
        assert sorted(back["job_id"]) == ["a1", "b1"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.slow
def test_an_old_running_job_finishing_reads_only_the_changed_jobs(tmp_path, fmt):
    """A run reads the jobs refreshed since the mark (less MARK_LAG), not every job
    created since the oldest of them: an old long-running job finishing costs one row."""
    old = {"id": "old", "status": "Running", "created": "2026-08-01T00:00:00Z"}
    with JobArchive(tmp_path / "a.sqlite") as arc:
        arc.put({"job": old}, project_id="p1", region="r", account="x",
                fetched_at=T0 - timedelta(days=2))  # fmt: skip
        for i in range(6):  # the history after it, fetched long before the mark
            job = {"id": f"j{i}", "status": "Completed", "created": f"2026-{9 + i // 3}-0{i + 1}T00:00:00Z",
                   "ended": f"2026-{9 + i // 3}-0{i + 1}T01:00:00Z"}  # fmt: skip
            arc.put({"job": job}, project_id="p1", region="r", account="x",
                    fetched_at=T0 - timedelta(days=2))  # fmt: skip
        arc.put({"job": {"id": "last", "status": "Running", "created": "2026-10-30T00:00:00Z"}},
                project_id="p2", region="r", account="y", fetched_at=T0)  # fmt: skip
        where = tmp_path / "t"
        to_table(arc, where, format=fmt)
        done = {**old, "status": "Completed", "ended": "2026-11-01T12:00:00Z"}
        arc.put({"job": done}, project_id="p1", region="r", account="x", fetched_at=T1)
        day = to_table(arc, where, format=fmt)
        # "old" and "last" (fetched within MARK_LAG of the mark), not the 8 since August
        assert (day.rows, day.inserted, day.updated) == (2, 0, 1)
        assert_same_frame(read_table(where, format=fmt, **({"catalog": arc} if fmt == "iceberg" else {})),
                          arc.to_frame())  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_table_reads_back_in_to_frames_order(tmp_path, fmt):
    """One order (created, project_id, job_id) for to_frame() and read_table: two jobs
    created at the same time in two projects, their IDs the other way round."""
    with JobArchive(tmp_path / "a.sqlite") as arc:
        for project, jid in (("pB", "a"), ("pA", "b")):
            job = {"id": jid, "status": "Running", "created": "2026-10-02T08:00:00Z"}
            arc.put({"job": job}, project_id=project, region="r", account="x", fetched_at=T0)
        arc.put_tasks([{"id": "t", "status": "Running", "create_time": "2026-10-02T08:00:00Z"}],
                      project_id="pA", region="r", account="x")  # fmt: skip
        to_table(arc, tmp_path / "t", format=fmt)
        expected = arc.to_frame()  # not re-sorted: the order is the promise
        assert expected["job_id"].tolist() == ["b", "t", "a"]
        assert_same_frame(read_table(tmp_path / "t", format=fmt, catalog=arc)
                          if fmt == "iceberg" else read_table(tmp_path / "t", format=fmt),
                          expected)  # fmt: skip


# -- schema evolution -----------------------------------------------------------------------
@pytest.fixture
def new_column(monkeypatch):
    """A new column in the field table (as the attribution columns will come)."""
    schema = dict(schemamod.JOB_SCHEMA) | {"attributed_to": TEXT}
    for mod in (schemamod, dsmod, normmod):
        monkeypatch.setattr(mod, "JOB_SCHEMA", schema)
    monkeypatch.setattr(dsmod, "_ARROW_TYPES", dsmod._ARROW_TYPES | {"attributed_to": pa.string()})
    return "attributed_to"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_new_column_is_added_to_the_table_and_old_rows_read_null(tmp_path, fmt, request):
    df = frame(200)
    to_table(df, tmp_path, format=fmt)
    files = data_files(tmp_path)
    col = request.getfixturevalue("new_column")
    later = df.assign(**{col: pd.array([None] * len(df), dtype=TEXT)})
    new = later.iloc[[0]].assign(job_id="new-one", **{col: pd.array(["team-x"], dtype=TEXT)})
    later = pd.concat([later, new], ignore_index=True)
    result = to_table(later, tmp_path, format=fmt)
    assert result.columns_added == (col,) and (result.inserted, result.updated) == (1, 0)
    assert files <= data_files(tmp_path)  # the old files kept: no rewrite
    back = read_table(tmp_path, format=fmt)
    assert list(back.columns) == list(schemamod.JOB_SCHEMA) and len(back) == 201
    assert back.set_index("job_id")[col].dropna().to_dict() == {"new-one": "team-x"}
    assert_same_frame(back, trimmed(later))


# -- the plain readers ----------------------------------------------------------------------
def test_pyiceberg_scan_reads_the_table(tmp_path):
    from pyiceberg.catalog.sql import SqlCatalog

    df = frame(100)
    to_table(df, tmp_path, format="iceberg")
    table = SqlCatalog(CATALOG_NAME, uri=f"sqlite:///{tmp_path / CATALOG_FILE}").load_table(
        ICEBERG_TABLE
    )
    got = table.scan().to_pandas()
    assert sorted(got["job_id"]) == sorted(df["job_id"])
    assert [f.name for f in table.spec().fields] == ["account", "region", "month"]


def test_deltalake_to_pandas_reads_the_table(tmp_path):
    from deltalake import DeltaTable

    df = frame(100)
    to_table(df, tmp_path, format="delta")
    table = DeltaTable(str(tmp_path))
    got = table.to_pandas()
    assert sorted(got["job_id"]) == sorted(df["job_id"])
    assert table.metadata().partition_columns == ["account", "region", "month"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_polars_scans_the_table(tmp_path, fmt):
    pl = pytest.importorskip("polars", reason="polars is not installed (not a test extra)")
    df = frame(50)
    to_table(df, tmp_path, format=fmt)
    if fmt == "delta":
        got = pl.scan_delta(str(tmp_path)).collect()
    else:
        meta = sorted((tmp_path / "metadata").glob("*.metadata.json"))[-1]
        got = pl.scan_iceberg(str(meta)).collect()
    assert sorted(got["job_id"].to_list()) == sorted(df["job_id"])


# -- catalogs, secrets, errors --------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("archive_url", ["sqlite"], indirect=True)  # PostgreSQL: see below
def test_the_iceberg_catalog_defaults_to_the_archive_database(filled_archive, tmp_path):
    to_table(filled_archive, tmp_path / "t", format="iceberg")
    tables = {r[0] for r in filled_archive._db.execute("SELECT name FROM sqlite_master")}
    assert "iceberg_tables" in tables and not (tmp_path / "t" / CATALOG_FILE).exists()
    back = read_table(tmp_path / "t", format="iceberg", catalog=filled_archive.path)
    assert len(back) == 5000
    assert len(read_table(tmp_path / "t", format="iceberg")) == 5000  # newest metadata file


def test_a_catalog_password_never_shows(tmp_path):
    url = "postgresql://alice:TopS3cret@127.0.0.1:1/cat?connect_timeout=1"
    with pytest.raises(ConfigError, match=r"alice:\*\*\*@127.0.0.1") as err:
        to_table(frame(3), tmp_path, format="iceberg", catalog=url)
    assert "TopS3cret" not in str(err.value) and err.value.__cause__ is None
    assert err.value.__suppress_context__


@pytest.mark.parametrize(
    "url", ["postgresql://u:p@ss/w0rd@127.0.0.1:1/db", "POSTGRES://u:pw@h/db?sslmode=require"]
)
def test_the_catalog_url_is_the_archive_engine_url(url, tmp_path):
    """One rule (store.pg_engine_url) for the catalog's URL and the archive's engine: the
    same host, database, driver and connect options (no server: nothing connects)."""
    import sqlalchemy as sa

    from rds_job_analytics.export._tables import _catalog_uri
    from rds_job_analytics.store import PgStore

    store = PgStore(url)
    try:
        assert sa.make_url(_catalog_uri(url, None, str(tmp_path))) == store.engine.url
    finally:
        store.close()


@pytest.mark.parametrize("scheme", ["postgresql", "PostgreSQL"])
def test_a_catalog_password_with_an_at_sign_never_shows_and_the_host_is_the_host(tmp_path, scheme):
    url = f"{scheme}://u:p@ss/w0rd@127.0.0.1:1/db"  # a closed port: refused, no DNS lookup
    with pytest.raises(ConfigError) as err:
        to_table(frame(3), tmp_path, format="iceberg", catalog=url)
    text = str(err.value)
    assert "u:***@127.0.0.1:1/db" in text, text
    assert text.count("127.0.0.1") >= 2, text  # the driver tried 127.0.0.1 (not host 'ss')
    assert "resolve" not in text and "Can't load plugin" not in text, text
    for piece in ("'ss'", "p@ss", "ss/w0rd", "w0rd", "p%40ss"):
        assert piece not in text, text


def test_the_cli_exports_a_table_without_showing_the_catalog_password(tmp_path, capsys):
    with JobArchive(tmp_path / "a.sqlite") as arc:
        arc.put({"job": {"id": "j1", "status": "Running", "created": "2026-10-02T08:00:00Z"}},
                project_id="p1", region="cn-north-4", account="prod")  # fmt: skip
    assert main(["export", "--table", "delta", "--to", str(tmp_path / "d"),
                 "--archive", str(tmp_path / "a.sqlite")]) == 0  # fmt: skip
    assert "1 inserted" in capsys.readouterr().out
    assert read_table(tmp_path / "d", format="delta")["job_id"].tolist() == ["j1"]
    url = "postgresql://bob:Hush9@127.0.0.1:1/c?connect_timeout=1"
    code = main(["export", "--table", "iceberg", "--to", str(tmp_path / "i"), "--catalog", url,
                 "--archive", str(tmp_path / "a.sqlite")])  # fmt: skip
    out = capsys.readouterr()
    assert code != 0 and "Hush9" not in out.out + out.err and "bob:***@" in out.err
    bad = [["--table", "delta"], ["--table", "delta", "--to", "x", "--start", "2026-10-01"],
           ["-o", "x.csv", "--to", "x"]]  # fmt: skip
    for args in bad:
        assert main(["export", *args, "--archive", str(tmp_path / "a.sqlite")]) == 64
    err = capsys.readouterr().err
    assert "needs --to" in err and "--start/--end do not go with --table" in err
    assert "--to and --catalog go with --table" in err


def test_the_cli_names_catalog_for_a_delta_table(tmp_path, capsys):
    JobArchive(tmp_path / "a.sqlite").close()
    code = main(["export", "--table", "delta", "--to", str(tmp_path / "d"), "--catalog",
                 "sqlite:///c.db", "--archive", str(tmp_path / "a.sqlite")])  # fmt: skip
    err = capsys.readouterr().err
    assert code != 0 and "--catalog is for --table iceberg" in err and "catalog=" not in err


def test_unknown_format_and_missing_extra_are_named(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="'parquet'"):
        to_table(frame(3), tmp_path, format="parquet")
    with pytest.raises(ConfigError, match="catalog= is for Iceberg"):
        to_table(frame(3), tmp_path, format="delta", catalog="sqlite:///x.db")
    monkeypatch.setitem(sys.modules, "deltalake", None)
    with pytest.raises(ImportError, match=r"pip install 'rds-job-analytics\[delta\]'"):
        to_table(frame(3), tmp_path, format="delta")
    monkeypatch.setitem(sys.modules, "pyiceberg.catalog.sql", None)
    with pytest.raises(ImportError, match=r"pip install 'rds-job-analytics\[iceberg\]'"):
        read_table(tmp_path, format="iceberg")


def test_reading_no_table_is_named(tmp_path):
    with pytest.raises(ConfigError, match="no Delta table at"):
        read_table(tmp_path, format="delta")
    with pytest.raises(ConfigError, match="no Iceberg table at"):
        read_table(tmp_path, format="iceberg")


@pytest.mark.slow  # a PostgreSQL server
def test_the_iceberg_catalog_defaults_to_a_postgresql_archive(pg_url, tmp_path, caplog):
    from tests.pg import PASSWORD

    caplog.set_level(logging.DEBUG)
    assert f":{PASSWORD}@" in pg_url  # the catalog's URL carries a password
    with JobArchive(pg_url) as arc:
        arc.put({"job": {"id": "j1", "status": "Running", "created": "2026-10-02T08:00:00Z"}},
                project_id="p1", region="cn-north-4", account="prod", fetched_at=T0)  # fmt: skip
        first = to_table(arc, tmp_path, format="iceberg")
        arc.put({"job": {"id": "j1", "status": "Completed", "created": "2026-10-02T08:00:00Z",
                         "ended": "2026-10-02T09:00:00Z"}},
                project_id="p1", region="cn-north-4", account="prod", fetched_at=T1)  # fmt: skip
        day = to_table(arc, tmp_path, format="iceberg")
        assert (first.inserted, day.updated) == (1, 1)
        assert not (tmp_path / CATALOG_FILE).exists()
        back = read_table(tmp_path, format="iceberg", catalog=pg_url)
        assert_same_frame(back, sorted_frame(arc.to_frame()))
    shown = f"{first} {day} {first!r} {day!r} {caplog.text}"
    assert PASSWORD not in shown and pg_url not in shown


@pytest.mark.slow  # a PostgreSQL server
def test_a_postgresql_archive_s_catalog_url_is_its_engine_url(pg_url, tmp_path):
    import sqlalchemy as sa

    from rds_job_analytics.export._tables import _catalog_uri
    from tests.pg import PASSWORD

    with JobArchive(pg_url) as arc:
        from_archive = _catalog_uri(None, arc, str(tmp_path))
        assert from_archive == arc.sqlalchemy_url(hide_password=False)
        assert sa.make_url(from_archive) == sa.make_url(_catalog_uri(pg_url, None, str(tmp_path)))
        assert dict(sa.make_url(from_archive).query)["connect_timeout"] == "10"
        assert PASSWORD not in arc.sqlalchemy_url() and "***" in arc.sqlalchemy_url()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_new_column_without_new_rows_commits_the_schema_once(tmp_path, fmt, request):
    df = frame(50)
    to_table(df, tmp_path, format=fmt)
    files, commits = data_files(tmp_path), versions(tmp_path, fmt)
    col = request.getfixturevalue("new_column")
    later = df.assign(**{col: pd.array([None] * len(df), dtype=TEXT)})
    result = to_table(later, tmp_path, format=fmt)
    assert result.columns_added == (col,) and (result.inserted, result.updated) == (0, 0)
    assert versions(tmp_path, fmt) == commits + 1 and data_files(tmp_path) == files
    assert not to_table(later, tmp_path, format=fmt).committed
    assert versions(tmp_path, fmt) == commits + 1
    assert read_table(tmp_path, format=fmt)[col].isna().all()


@pytest.mark.parametrize("fmt", FORMATS)
def test_updating_crossed_keys_touches_no_other_row(tmp_path, fmt):
    """(p1, a) and (p2, b) change, (p1, b) and (p2, a) do not, all in one partition (the
    Iceberg delete's filter, by sets of projects and IDs, takes all four): each keeps its
    values."""
    base = (
        frame()
        .head(4)
        .assign(  # the sample's first four: all of 2026-08
            job_id=pd.array(["a", "b", "a", "b"], dtype=TEXT),
            project_id=pd.Categorical(["p1", "p1", "p2", "p2"]),
            account=pd.Categorical(["prod"] * 4),
            region=pd.Categorical(["cn-north-4"] * 4),
        )
    )
    assert base["created"].dt.strftime("%Y-%m").nunique() == 1
    to_table(base, tmp_path, format=fmt)
    later = base.copy()
    later.loc[[0, 3], "status"] = "Failed"
    result = to_table(later, tmp_path, format=fmt)
    assert (result.inserted, result.updated) == (0, 2)
    assert_same_frame(read_table(tmp_path, format=fmt), trimmed(later))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_job_whose_account_or_month_comes_later_moves_partition_not_duplicated(tmp_path, fmt):
    df = frame(3)
    df["account"] = pd.Categorical([None, "prod", "prod"])
    created = df.loc[1, "created"]
    df.loc[1, "created"] = pd.NaT  # a task-list record without its creation time
    to_table(df, tmp_path, format=fmt)
    later = df.copy()
    later["account"] = pd.Categorical(["prod"] * 3)
    later.loc[1, "created"] = created
    result = to_table(later, tmp_path, format=fmt)
    assert (result.inserted, result.updated) == (0, 2)
    assert_same_frame(read_table(tmp_path, format=fmt), trimmed(later))

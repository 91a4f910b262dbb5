"""The open dataset: hive-partitioned Parquet, incremental export, read back, recipes."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as tm
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import rds_job_analytics as rja
import rds_job_analytics.export._dataset as dsmod
from rds_job_analytics import ConfigError, JobArchive
from rds_job_analytics.exceptions import DatasetDamaged, DatasetRepairedWarning, DatasetUnsafe
from rds_job_analytics.export._dataset import (
    MANIFEST_NAME,
    NULL_PARTITION,
    PARTITION_SCHEMA,
    export_dataset,
    read_jobs,
)
from rds_job_analytics.normalize.schema import JOB_SCHEMA, empty_jobs_frame
from rds_job_analytics.stats import combine_failure_rates
from tests.conftest import flip_a_bit

ORIGINS = [  # (account, project, region): a missing account, a missing region, an odd name
    ("prod", "p1", "cn-north-4"),
    (None, "p2", "eu-west-101"),
    ("team a/b", "p3", None),
]
ORDER = ["created", "project_id", "job_id"]


def fill(arc: JobArchive, raw: list[dict]) -> None:
    for i, r in enumerate(raw):
        account, project, region = ORIGINS[i % len(ORIGINS)]
        arc.put(r, project_id=project, region=region, account=account)
    # a job known only from the task list, one in both, and one without a creation time
    arc.put_tasks(
        [
            {"id": "t-only", "status": "Running", "create_time": "2026-10-01T00:00:00Z"},
            {"id": raw[0]["job"]["id"], "status": "Completed", "order_id": "o-1"},
        ],
        project_id="p1",
        region="cn-north-4",
        account="prod",
    )
    arc.put({"job": {"id": "no-created", "status": "Failed"}}, project_id="p2", region="x-1")


def sorted_frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(ORDER, na_position="first", kind="stable", ignore_index=True)


def object_categories(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its categories held as object. Under pandas 3 the package's frames hold
    them as ``str`` or ``object`` depending on the path that built them (``to_frame``
    merging task-list rows, engines inferred...); the values and their order must match."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            cats = out[col].cat.categories
            out[col] = out[col].cat.rename_categories(pd.Index(list(cats), dtype=object))
    return out


def assert_same_frame(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    tm.assert_frame_equal(object_categories(got), object_categories(expected))


@pytest.fixture
def archive_fill(raw_sample):
    """The sample (and three odd rows) in each test's ``filled_archive``, on each backend."""
    return lambda arc: fill(arc, raw_sample)


def part_files(folder):
    return {
        str(p.relative_to(folder).parent): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*.parquet")
    }


# -- layout and round trip ------------------------------------------------------------------
@pytest.mark.slow
def test_the_dataset_reads_back_as_the_archive_frame(filled_archive, tmp_path):
    folder = tmp_path / "ds"
    result = export_dataset(filled_archive, folder)
    expected = filled_archive.to_frame()
    back = read_jobs(folder)
    assert_same_frame(back, sorted_frame(expected))
    assert result.rows == len(expected) and not result.unchanged and not result.removed
    # one folder per account/region/month; missing values in Hive's null partition
    assert "account=prod/region=cn-north-4/month=2026-10" in result.written
    assert f"account={NULL_PARTITION}/region=eu-west-101/month=2026-09" in result.written
    assert f"account=team a%2Fb/region={NULL_PARTITION}/month=2026-08" in result.written
    assert f"account={NULL_PARTITION}/region=x-1/month={NULL_PARTITION}" in result.written
    assert set(part_files(folder)) == set(result.written)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert set(manifest["partitions"]) == set(result.written)
    assert sum(p["rows"] for p in manifest["partitions"].values()) == len(expected)


@pytest.mark.slow
def test_missing_values_and_objects_round_trip(filled_archive, tmp_path):
    back = read_jobs(export_dataset(filled_archive, tmp_path / "ds").path)
    assert back["account"].isna().sum() == (filled_archive.to_frame()["account"].isna()).sum() > 0
    assert "team a/b" in set(back["account"].dropna())
    assert back["region"].isna().any() and NULL_PARTITION not in set(back["region"].dropna())
    no_created = back[back["job_id"] == "no-created"]
    assert len(no_created) == 1 and no_created["created"].isna().all()
    lists = back["resource_ids"].dropna()
    dicts = back["extra"].dropna()
    assert len(lists) and all(isinstance(v, list) for v in lists)
    assert len(dicts) and all(isinstance(v, dict) for v in dicts)
    assert back.loc[back["job_id"] == "t-only", "source"].tolist() == ["task"]


def test_a_small_frame_with_every_quirk_round_trips(tmp_path, raw_sample):
    """Fewer than 256 responses: the per-record normalizer builds the frame."""
    arc = JobArchive(":memory:")
    fill(arc, raw_sample[:60])
    folder = tmp_path / "ds"
    export_dataset(arc, folder)
    assert_same_frame(read_jobs(folder), sorted_frame(arc.to_frame()))


def test_an_empty_archive_gives_an_empty_dataset_with_the_schema(tmp_path):
    folder = tmp_path / "new" / "ds"
    result = export_dataset(JobArchive(":memory:"), folder)
    assert result.rows == 0 and result.written == ()
    assert [p.name for p in folder.iterdir()] == [MANIFEST_NAME]
    tm.assert_frame_equal(read_jobs(folder), empty_jobs_frame())


def test_a_frame_can_be_exported_and_its_dtypes_come_back(tmp_path):
    df = rja.load_sample()
    back = read_jobs(export_dataset(df, tmp_path).path)
    for col, dtype in JOB_SCHEMA.items():
        assert back[col].dtype == dtype, col  # "category" equals any categorical dtype
    assert_same_frame(back, sorted_frame(df))


# -- incremental ------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_second_export_writes_only_the_changed_partitions(filled_archive, tmp_path, raw_sample):
    folder = tmp_path / "ds"
    first = export_dataset(filled_archive, folder)
    before = part_files(folder)
    again = export_dataset(filled_archive, folder)
    assert again.written == () and set(again.unchanged) == set(first.written)
    assert part_files(folder) == before  # not even rewritten with the same bytes

    # a new job in one partition, a Running job finishing in another
    filled_archive.put(
        {"job": {"id": "new-1", "status": "Completed", "created": "2026-10-03T00:00:00Z"}},
        project_id="p1",
        region="cn-north-4",
        account="prod",
    )
    running = next(
        (i, r) for i, r in enumerate(raw_sample) if r["job"]["status"] == "Running" and i % 3 == 1
    )[1]
    done = {"job": dict(running["job"], status="Completed", ended="2026-11-14T11:00:00Z")}
    filled_archive.put(done, project_id="p2", region="eu-west-101")
    month = running["job"]["created"][:7]
    third = export_dataset(filled_archive, folder)
    assert set(third.written) == {
        "account=prod/region=cn-north-4/month=2026-10",
        f"account={NULL_PARTITION}/region=eu-west-101/month={month}",
    }
    assert len(third.unchanged) == len(first.written) - 2
    after = part_files(folder)
    assert {k for k in before if after[k] != before[k]} == set(third.written)
    assert_same_frame(read_jobs(folder), sorted_frame(filled_archive.to_frame()))


def test_a_partition_that_lost_its_rows_is_removed(tmp_path):
    df = rja.load_sample()
    export_dataset(df, tmp_path)
    september = df["created"].dt.strftime("%Y-%m") == "2026-09"
    result = export_dataset(df[~september], tmp_path)
    gone = f"account={NULL_PARTITION}/region={NULL_PARTITION}/month=2026-09"
    assert result.removed == (gone,) and not (tmp_path / gone).exists()
    assert_same_frame(read_jobs(tmp_path), sorted_frame(df[~september]))


@pytest.mark.slow
def test_a_window_exports_whole_months_and_leaves_the_others_alone(filled_archive, tmp_path):
    folder = tmp_path / "ds"
    export_dataset(filled_archive, folder)
    for job_id, created in (
        ("sep-new", "2026-09-10T00:00:00Z"),
        ("oct-new", "2026-10-28T00:00:00Z"),
    ):
        filled_archive.put(
            {"job": {"id": job_id, "status": "Running", "created": created}},
            project_id="p1",
            region="cn-north-4",
            account="prod",
        )
    result = export_dataset(filled_archive, folder, start="2026-10-15", end="2026-10-20")
    assert result.written == ("account=prod/region=cn-north-4/month=2026-10",)
    assert all("month=2026-10" in k for k in result.unchanged) and not result.removed
    october = read_jobs(folder, start="2026-10-01", end="2026-11-01")
    assert_same_frame(october, sorted_frame(filled_archive.to_frame("2026-10-01", "2026-11-01")))
    assert "sep-new" not in set(read_jobs(folder)["job_id"])  # September was not exported
    assert "no-created" in set(read_jobs(folder)["job_id"])  # nor was the null month removed


@pytest.mark.slow
def test_a_deleted_file_is_written_again(filled_archive, tmp_path):
    folder = tmp_path / "ds"
    first = export_dataset(filled_archive, folder)
    (folder / first.written[0] / "part-0.parquet").unlink()
    assert export_dataset(filled_archive, folder).written == (first.written[0],)


# -- filters, pushed down ------------------------------------------------------------------------
@pytest.fixture
def exported(filled_archive, tmp_path):
    folder = tmp_path / "ds"
    export_dataset(filled_archive, folder)
    return filled_archive.to_frame(), folder


@pytest.mark.slow
def test_filters_select_what_the_frame_would(exported):
    full, folder = exported
    full = sorted_frame(full)

    def same(got, mask):
        expected = read_jobs(folder).loc[mask].reset_index(drop=True)
        for col in expected.columns:  # the categories of the rows read, as from to_frame
            if isinstance(expected[col].dtype, pd.CategoricalDtype) and col not in (
                "status",
                "source",
            ):
                expected[col] = expected[col].cat.remove_unused_categories()
        assert_same_frame(got, expected)
        assert len(got) == int(mask.sum())

    same(read_jobs(folder, account="prod"), full["account"] == "prod")
    same(
        read_jobs(folder, region=["eu-west-101", "x-1"]),
        full["region"].isin(["eu-west-101", "x-1"]),
    )
    same(read_jobs(folder, project_id="p3"), full["project_id"] == "p3")
    lo, hi = pd.Timestamp("2026-09-15", tz="UTC"), pd.Timestamp("2026-10-02 12:00", tz="UTC")
    same(read_jobs(folder, start=lo, end=hi), (full["created"] >= lo) & (full["created"] < hi))
    same(read_jobs(folder, filters=[("status", "==", "Failed")]), full["status"] == "Failed")
    same(
        read_jobs(folder, account="prod", filters=pc.field("engine") == "MySQL"),
        (full["account"] == "prod") & (full["engine"] == "MySQL"),
    )
    nothing = read_jobs(folder, account="nobody")
    tm.assert_frame_equal(nothing, empty_jobs_frame())


@pytest.mark.slow
def test_filters_prune_partitions_without_opening_their_files(exported):
    full, folder = exported
    for bad in (
        "account=prod/region=cn-north-4/month=2026-08",
        f"account={NULL_PARTITION}/region=eu-west-101/month=2026-10",
    ):
        (folder / bad / "part-0.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DatasetDamaged, match=r"part-0\.parquet"):  # read without a filter
        read_jobs(folder)
    october_prod = read_jobs(folder, start="2026-10-01", end="2026-11-01", account="prod")
    mask = (full["account"] == "prod") & (full["created"].dt.month == 10)
    assert len(october_prod) == int(mask.sum()) > 0


# -- a folder that is not ours -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("files", "named"),
    [
        ({"notes.txt": b"mine"}, "notes.txt"),
        ({"year=2024/part.parquet": b"PAR1"}, "year=2024/part.parquet"),
        ({"account=a/region=b/month=2026-10/data.parquet": b"PAR1"}, "data.parquet"),
        ({"account=a/region=b/month=2026-10/part-0.parquet": b"PAR1"}, MANIFEST_NAME),
        ({MANIFEST_NAME: b'{"format": "somebody-else"}'}, MANIFEST_NAME),
    ],
)
def test_a_folder_holding_something_else_is_refused_and_left_alone(tmp_path, files, named):
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path))) as err:
        export_dataset(rja.load_sample(), tmp_path)
    assert named in str(err.value)
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path))):
        read_jobs(tmp_path)
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_a_file_a_missing_or_an_empty_folder_is_no_dataset_to_read(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is not a folder"):
        export_dataset(rja.load_sample(), tmp_path / "file")
    with pytest.raises(ConfigError, match="does not exist"):
        read_jobs(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="is empty"):
        read_jobs(tmp_path / "empty")
    assert not (tmp_path / "missing").exists()
    export_dataset(rja.load_sample(), tmp_path / "empty")  # an empty folder is fine to write


def test_a_frame_without_the_job_columns_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="lacks the job column"):
        export_dataset(pd.DataFrame({"job_id": ["a"]}), tmp_path)
    with pytest.raises(ConfigError, match="takes a JobArchive or a job frame"):
        export_dataset([1, 2], tmp_path)


# -- recipes (the README's, on the dataset they write) ------------------------------------------------
@pytest.mark.slow
def test_duckdb_recipe(exported):
    duckdb = pytest.importorskip("duckdb")
    full, folder = exported
    DIR = str(folder)
    got = duckdb.sql(
        f"SELECT region, count(*) FROM read_parquet('{DIR}/**/*.parquet', hive_partitioning=true) GROUP BY 1"
    ).fetchall()
    expected = (
        full["region"].astype(object).where(full["region"].notna(), None).value_counts(dropna=False)
    )
    assert dict(got) == {(None if pd.isna(k) else k): v for k, v in expected.items()}
    assert None in dict(got)  # Hive's null partition is NULL to DuckDB too


@pytest.mark.slow
def test_dask_recipe_combines_counts_not_rates(exported):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    _, folder = exported
    DIR = str(folder)
    keys = pa.schema([("account", pa.string()), ("region", pa.string()), ("month", pa.string())])
    ddf = dd.read_parquet(DIR, dataset={"partitioning": {"flavor": "hive", "schema": keys}})
    parts = [dask.delayed(rja.failure_rates)(p, by="engine") for p in ddf.to_delayed()]
    rates = combine_failure_rates(dask.compute(*parts))

    assert ddf.npartitions > 3 and keys.equals(PARTITION_SCHEMA)
    whole = rja.failure_rates(read_jobs(folder), by="engine")
    tm.assert_frame_equal(rates.reset_index(drop=True), whole.reset_index(drop=True))
    keys = [None if pd.isna(k) else k for k in rates.index]
    assert keys == [None if pd.isna(k) else k for k in whole.index] and None in keys
    # what averaging the partitions' rates would give instead is visibly off
    pieces = pd.concat(dask.compute(*parts))
    averaged = pieces.groupby(level=0, dropna=False)["failure_rate"].mean()
    assert len(averaged) == len(whole)
    assert not np.allclose(averaged.to_numpy(float), whole["failure_rate"], equal_nan=True)


# -- a folder that could send the export outside it (issue #26, item 5) -----------------------
@pytest.fixture(scope="module")
def frame():
    """The sample under two accounts and two regions: 16 partitions of 5,000 jobs."""
    df = rja.load_sample()
    df["account"] = pd.Categorical(np.where(np.arange(len(df)) % 2, "prod", "dev"))
    df["region"] = pd.Categorical(np.where(np.arange(len(df)) % 3, "cn-north-4", "eu-west-101"))
    return df


PROD_OCT = "account=prod/region=cn-north-4/month=2026-10"


def tree(folder):
    """Every path under ``folder`` with its bytes (files) or None (folders, links)."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() or p.is_symlink() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


def some_jobs_changed(df):
    changed = df.copy()
    changed["fail_reason"] = pd.array(["changed"] * len(df), dtype=df["fail_reason"].dtype)
    return changed


@pytest.mark.parametrize("level", [1, 2, 3])
def test_a_folder_replaced_by_a_symlink_is_refused_and_nothing_written_through_it(
    tmp_path, frame, level
):
    folder, outside = tmp_path / "ds", tmp_path / "outside"
    export_dataset(frame, folder)
    link = folder.joinpath(*PROD_OCT.split("/")[:level])
    link.rename(outside)  # the real folder moves away; a link to it takes its place
    link.symlink_to(outside, target_is_directory=True)
    before, kept = tree(outside), tree(folder)
    with pytest.raises(DatasetUnsafe, match="symbolic link") as err:
        export_dataset(some_jobs_changed(frame), folder)
    assert err.value.path == str(link) and str(link) in str(err.value)
    assert tree(outside) == before and tree(folder) == kept  # nothing written anywhere
    with pytest.raises(DatasetUnsafe, match=re.escape(str(link))):
        read_jobs(folder)


def test_a_part_file_or_the_manifest_as_a_symlink_is_refused(tmp_path, frame):
    folder, elsewhere = tmp_path / "ds", tmp_path / "elsewhere.parquet"
    export_dataset(frame, folder)
    part = folder / PROD_OCT / "part-0.parquet"
    part.rename(elsewhere)
    part.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    with pytest.raises(DatasetUnsafe, match=re.escape(str(part))):
        export_dataset(some_jobs_changed(frame), folder)
    assert elsewhere.read_bytes() == before and part.is_symlink()
    with pytest.raises(DatasetUnsafe, match=re.escape(str(part))):
        read_jobs(folder)


def test_the_dataset_folder_itself_may_be_a_link(tmp_path, frame):
    """A lake on another disk: the folder named may be a link, nothing under it may."""
    (tmp_path / "disk").mkdir()
    (tmp_path / "lake").symlink_to(tmp_path / "disk", target_is_directory=True)
    export_dataset(frame, tmp_path / "lake")
    assert (tmp_path / "disk" / MANIFEST_NAME).is_file()
    assert len(read_jobs(tmp_path / "lake")) == len(frame)


@pytest.mark.parametrize(
    "key",
    [
        "../outside/region=r/month=2026-10",
        "account=a/../../outside/month=2026-10",
        "account=a/region=r/month=2026-10/../../../../outside",
        "account=%2E%2E/region=r/month=2026-10",
        "account=a/region=r",
        "account=a/region=r/month=October",
        "/tmp/outside/month=2026-10",
    ],
)
def test_a_manifest_key_outside_the_layout_is_refused_and_nothing_deleted(tmp_path, frame, key):
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    victim = tmp_path / "outside" / "region=r" / "month=2026-10" / "part-0.parquet"
    victim.parent.mkdir(parents=True)
    victim.write_bytes(b"precious")
    manifest_file = folder / MANIFEST_NAME
    manifest = json.loads(manifest_file.read_text())
    manifest["partitions"][key] = dict(manifest["partitions"][PROD_OCT])
    manifest_file.write_text(json.dumps(manifest))
    kept = tree(folder)
    with pytest.raises(DatasetUnsafe, match="not a partition of the layout") as err:
        export_dataset(frame, folder)
    assert err.value.path == str(manifest_file) and MANIFEST_NAME in str(err.value)
    assert victim.read_bytes() == b"precious" and tree(folder) == kept
    with pytest.raises(DatasetUnsafe, match=re.escape(str(manifest_file))):
        read_jobs(folder)


def test_a_manifest_entry_without_a_hash_is_named(tmp_path, frame):
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["partitions"][PROD_OCT]["sha256"] = "not a hash"
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(DatasetDamaged, match=re.escape(PROD_OCT)):
        read_jobs(folder)


@pytest.mark.parametrize("version", [None, "x", [1]])
def test_a_manifest_version_that_is_no_number_is_named(tmp_path, frame, version):
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    manifest_file = folder / MANIFEST_NAME
    manifest = json.loads(manifest_file.read_text())
    manifest["version"] = version
    manifest_file.write_text(json.dumps(manifest))
    for act in (lambda: read_jobs(folder), lambda: export_dataset(frame, folder)):
        with pytest.raises(DatasetDamaged, match="'version' must be a whole number") as err:
            act()
        assert err.value.path == str(manifest_file)


def test_an_unreadable_dataset_folder_is_named(tmp_path, frame, monkeypatch):
    """os.scandir refused (a folder without read permission; root reads all, so the refusal
    is injected): a ConfigError naming the folder, not a bare PermissionError."""
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    locked = folder / PROD_OCT.split("/")[0]
    scandir = dsmod.os.scandir

    def refuse(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(dsmod.os, "scandir", refuse)
    for act in (lambda: read_jobs(folder), lambda: export_dataset(frame, folder)):
        with pytest.raises(ConfigError, match=re.escape(f"{str(locked)!r} cannot be read: "
                                                        "Permission denied")):  # fmt: skip
            act()


# -- a damaged dataset is named, and the export repairs what it owns (issue #26, item 6) ---------
def rewrite(file, change):
    table = pq.read_table(file)
    pq.write_table(change(table), file)


def drop_engine(t):
    return t.drop_columns(["engine"])


def rename_status(t):
    return t.rename_columns(["state" if n == "status" else n for n in t.column_names])


def foreign(t):
    return pa.table({"a": pa.array(range(t.num_rows)), "b": pa.array(["x"] * t.num_rows)})


@pytest.mark.parametrize(
    "damage",
    [
        flip_a_bit,
        lambda f: rewrite(f, drop_engine),
        lambda f: rewrite(f, rename_status),
        lambda f: rewrite(f, foreign),
        lambda f: (f.unlink(), f.mkdir()),  # the file replaced by a folder
        lambda f: f.unlink(),
    ],
    ids=["bit-flip", "dropped-column", "renamed-column", "foreign-schema", "folder", "missing"],
)
def test_a_damaged_part_file_is_named_on_read_and_repaired_by_the_export(tmp_path, frame, damage):
    folder = tmp_path / "ds"
    first = export_dataset(frame, folder)
    part = folder / PROD_OCT / "part-0.parquet"
    good = part.read_bytes()
    damage(part)
    with pytest.raises(DatasetDamaged, match=re.escape(str(part))) as err:
        read_jobs(folder)
    assert err.value.path == str(part)
    with pytest.warns(DatasetRepairedWarning, match=re.escape(str(part))):
        again = export_dataset(frame, folder)
    assert again.written == again.repaired == (PROD_OCT,)
    assert len(again.unchanged) == len(first.written) - 1 and "1 repaired" in str(again)
    assert part.read_bytes() == good
    assert_same_frame(read_jobs(folder), sorted_frame(frame))


def test_a_damaged_file_is_named_by_sql_too(tmp_path, frame):
    pytest.importorskip("duckdb")
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    flip_a_bit(folder / PROD_OCT / "part-0.parquet")
    with pytest.raises(DatasetDamaged, match=re.escape(PROD_OCT)):
        rja.export.run_sql("SELECT count(*) FROM jobs", dataset=folder)


def test_a_file_rewritten_with_its_hash_in_the_manifest_still_needs_the_schema(tmp_path, frame):
    """Another tool rewrote a file and the manifest's hash: the columns are still checked."""
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    part = folder / PROD_OCT / "part-0.parquet"
    rewrite(part, drop_engine)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    data = part.read_bytes()
    manifest["partitions"][PROD_OCT].update(
        sha256=hashlib.sha256(data).hexdigest(), bytes=len(data)
    )
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(DatasetDamaged, match=r"columns differ .*engine") as err:
        read_jobs(folder)
    assert err.value.path == str(part)
    assert export_dataset(frame, folder).written == (PROD_OCT,)  # its hash is not the export's
    assert_same_frame(read_jobs(folder), sorted_frame(frame))


@pytest.mark.parametrize(
    "copy_to", ["account=prod2", "account=prod/region=cn-north-4/month=2026-12"]
)
def test_a_copied_partition_is_named_on_read_and_removed_by_the_export(tmp_path, frame, copy_to):
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    source = folder / ("account=prod" if copy_to == "account=prod2" else PROD_OCT)
    shutil.copytree(source, folder / copy_to)
    copies = sorted(str(p) for p in (folder / copy_to).rglob("part-0.parquet"))
    with pytest.raises(DatasetDamaged, match="does not list") as err:
        read_jobs(folder)
    assert err.value.path in copies
    with pytest.warns(DatasetRepairedWarning, match="a copy of a partition"):
        again = export_dataset(frame, folder)
    assert again.written == () and len(again.repaired) == len(copies)
    assert set(again.repaired) == set(again.removed)
    assert not (folder / copy_to).exists()
    assert_same_frame(read_jobs(folder), sorted_frame(frame))


def test_an_unlisted_file_that_is_no_copy_is_refused_by_the_export(tmp_path, frame):
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    stray = folder / "account=prod/region=cn-north-4/month=2026-12/part-0.parquet"
    stray.parent.mkdir(parents=True)
    pq.write_table(foreign(pa.table({"x": [1, 2, 3]})), stray)  # all-null rows on old code
    kept = tree(folder)
    with pytest.raises(DatasetDamaged, match="does not list") as err:
        read_jobs(folder)
    assert err.value.path == str(stray)
    with pytest.raises(DatasetDamaged, match=re.escape(str(stray))):
        export_dataset(some_jobs_changed(frame), folder)
    assert tree(folder) == kept  # refused before anything was written


def test_damage_outside_the_exported_months_is_named_and_nothing_written(tmp_path, frame):
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    september = folder / "account=prod/region=cn-north-4/month=2026-09/part-0.parquet"
    flip_a_bit(september)
    kept = tree(folder)
    with pytest.raises(DatasetDamaged, match=re.escape(str(september))):
        export_dataset(some_jobs_changed(frame), folder, start="2026-10-01", end="2026-11-01")
    assert tree(folder) == kept
    with pytest.warns(DatasetRepairedWarning, match=re.escape(str(september))):
        assert "month=2026-09" in export_dataset(frame, folder).repaired[0]  # a whole export


@pytest.mark.slow
def test_an_export_that_died_midway_is_finished_by_the_next(tmp_path, frame, monkeypatch):
    folder = tmp_path / "ds"
    export_dataset(frame, folder)
    changed = some_jobs_changed(frame)
    changed.loc[changed["created"].dt.month == 12, "created"] = pd.NaT
    later = changed.copy()
    later["account"] = later["account"].cat.set_categories(["a-new", "dev", "prod"])
    later.loc[later.index[:50], "account"] = "a-new"  # new partitions, written first
    calls = []
    real = dsmod._write_partition

    def dies_after_three(*args):
        if len(calls) == 3:
            raise OSError("disk full")
        calls.append(args[1])
        real(*args)

    monkeypatch.setattr(dsmod, "_write_partition", dies_after_three)
    with pytest.raises(OSError, match="disk full"):
        export_dataset(later, folder)
    monkeypatch.undo()
    # a reader meanwhile sees old or new partitions, each whole, and no error
    assert (folder / "account=a-new").is_dir() and "pending" in (folder / MANIFEST_NAME).read_text()
    assert set(read_jobs(folder)["account"]) == {"a-new", "dev", "prod"}
    later.loc[later.index[60], "fail_reason"] = "changed again"  # a sync ran meanwhile
    done = export_dataset(later, folder)
    assert set(calls) <= set(done.written) | set(done.unchanged)
    assert_same_frame(read_jobs(folder), sorted_frame(later))
    assert "pending" not in json.loads((folder / MANIFEST_NAME).read_text())


def test_dataset_and_export_paths_expand_home_and_variables(tmp_path, home_and_cwd):
    from rds_job_analytics import write_frame
    from rds_job_analytics.export._sql import run_sql

    home, cwd, _ = home_and_cwd
    df = rja.load_sample().head(20)
    export_dataset(df, "~/ds")
    assert len(read_jobs("~/ds")) == 20 and (home / "ds" / MANIFEST_NAME).is_file()
    assert len(run_sql("SELECT * FROM jobs", dataset="~/ds")) == 20
    assert write_frame(df, "$RDS_JOBS_TEST_DIR/jobs.parquet") == tmp_path / "var" / "jobs.parquet"
    assert list(cwd.iterdir()) == []

"""``rds-jobs export --dataset`` and ``rds-jobs sql`` as a user runs them."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from rds_job_analytics import JobArchive
from rds_job_analytics.cli import main
from rds_job_analytics.emulator import DEMO_PROJECT, Emulator
from rds_job_analytics.export._dataset import read_jobs
from tests.conftest import flip_a_bit


@pytest.fixture(scope="module")
def archive_file_of_300(tmp_path_factory):
    """An SQLite archive file of 300 jobs, the path the commands are given with ``--archive``."""
    path = tmp_path_factory.mktemp("arc") / "jobs.sqlite"
    with Emulator(retention_days=None) as emu, emu.client() as client, JobArchive(path) as arc:
        for jid in emu.job_ids()[:300]:
            arc.put(client.get_job(jid), project_id=DEMO_PROJECT, region="cn-north-4",
                    account="prod")  # fmt: skip
    return path


def test_export_dataset_then_incremental_then_read_back(archive_file_of_300, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert main(["export", "--archive", str(archive_file_of_300), "--dataset", str(lake)]) == 0
    first = capsys.readouterr().out
    assert "exported 300 jobs in" in first and "0 unchanged" in first
    assert main(["export", "--archive", str(archive_file_of_300), "--dataset", str(lake)]) == 0
    assert " 0 written" in capsys.readouterr().out  # nothing changed: nothing rewritten
    back = read_jobs(lake)
    with JobArchive.open(archive_file_of_300) as arc:
        frame = arc.to_frame()
    assert sorted(back["job_id"]) == sorted(frame["job_id"])
    assert set(back["account"]) == {"prod"} and set(back["region"]) == {"cn-north-4"}


def test_export_needs_one_destination(archive_file_of_300, capsys):
    assert main(["export", "--archive", str(archive_file_of_300)]) == 64
    err = capsys.readouterr().err
    assert "one of the arguments -o/--output --dataset --table is required" in err


def test_export_refuses_a_folder_of_something_else(archive_file_of_300, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["export", "--archive", str(archive_file_of_300), "--dataset", str(tmp_path)]) == 64
    assert str(tmp_path) in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_sql_over_the_archive_and_the_dataset_agree(archive_file_of_300, tmp_path, capsys):
    query = "SELECT status, count(*) AS n FROM jobs GROUP BY status ORDER BY status"
    assert main(["sql", query, "--archive", str(archive_file_of_300), "-o", "-"]) == 0
    over_archive = pd.read_csv(io.StringIO(capsys.readouterr().out))
    lake = tmp_path / "lake"
    assert main(["export", "--archive", str(archive_file_of_300), "--dataset", str(lake)]) == 0
    capsys.readouterr()
    out = tmp_path / "r.parquet"
    assert main(["sql", query, "--dataset", str(lake), "-o", str(out)]) == 0
    over_dataset = pd.read_parquet(out)
    assert over_archive["n"].sum() == 300
    pd.testing.assert_frame_equal(over_archive, over_dataset, check_dtype=False)


def test_sql_errors_are_one_line_usage_errors(archive_file_of_300, capsys):
    assert main(["sql", "SELEC x", "--archive", str(archive_file_of_300)]) == 64
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SELEC" in err
    assert main(["sql", "SELECT 1", "--archive", str(archive_file_of_300), "-o", "x.txt"]) == 64


def test_export_repairs_a_damaged_dataset_and_names_the_file(archive_file_of_300, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert main(["export", "--archive", str(archive_file_of_300), "--dataset", str(lake)]) == 0
    capsys.readouterr()
    part = next(lake.rglob("part-0.parquet"))
    flip_a_bit(part)
    assert main(["export", "--archive", str(archive_file_of_300), "--dataset", str(lake)]) == 0
    out, err = capsys.readouterr()
    assert " 1 written" in out and "1 repaired" in out
    assert "warning: repaired 1 damaged partition file(s)" in err and str(part) in err
    assert len(read_jobs(lake)) == 300


def test_export_refuses_a_partition_folder_that_is_a_symlink(archive_file_of_300, tmp_path, capsys):
    lake, outside = tmp_path / "lake", tmp_path / "outside"
    assert main(["export", "--archive", str(archive_file_of_300), "--dataset", str(lake)]) == 0
    capsys.readouterr()
    account = next(lake.glob("account=*"))
    account.rename(outside)
    account.symlink_to(outside, target_is_directory=True)
    before = sorted((p, p.stat().st_mtime_ns) for p in outside.rglob("*"))
    assert main(["export", "--archive", str(archive_file_of_300), "--dataset", str(lake)]) == 64
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(account) in err and "symbolic link" in err
    assert sorted((p, p.stat().st_mtime_ns) for p in outside.rglob("*")) == before


def test_export_and_sql_name_damage_they_cannot_repair(archive_file_of_300, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert main(["export", "--archive", str(archive_file_of_300), "--dataset", str(lake)]) == 0
    capsys.readouterr()
    part = next(lake.rglob("part-0.parquet"))
    flip_a_bit(part)
    window = ["--start", "2027-01-01", "--end", "2027-02-01"]  # not the damaged month
    assert (
        main(["export", "--archive", str(archive_file_of_300), "--dataset", str(lake), *window])
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rds-jobs: DatasetDamaged: ")
    assert str(part) in err and "without --start and --end" in err
    pytest.importorskip("duckdb")
    assert main(["sql", "SELECT count(*) FROM jobs", "--dataset", str(lake)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(part) in err and "SHA-256" in err

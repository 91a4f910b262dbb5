"""The SQLite backend (store/_sqlite.py): ``sqlite3``'s errors come out as the archive's,
as PostgreSQL's do."""

from __future__ import annotations

import sqlite3

import pytest

from rds_job_analytics import JobArchive
from rds_job_analytics.store import ArchiveError, ArchiveUnavailable, SqliteStore, Store

DONE = {"job": {"id": "j1", "status": "Completed", "created": "2026-10-01T00:00:00+0000"}}


def test_a_closed_archive_used_is_an_archive_error(tmp_path):
    arc = JobArchive(tmp_path / "a.sqlite")
    arc.close()
    with pytest.raises(ArchiveError, match=r"a\.sqlite' is closed"):
        arc.put(DONE, project_id="p")
    with pytest.raises(ArchiveError, match="is closed"):
        len(arc)


def test_a_locked_database_is_unavailable_and_named(tmp_path):
    path = tmp_path / "a.sqlite"
    arc = JobArchive(path)
    arc._db.execute("PRAGMA busy_timeout=0")  # no waiting for the other writer
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(ArchiveUnavailable) as err:
            arc.put(DONE, project_id="p")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert err.value.where == str(path) and "locked" in str(err.value)
    assert "0 response(s) committed before by this run are kept" in str(err.value)
    assert arc.put(DONE, project_id="p")  # the lock gone, the archive works again
    arc.close()


def test_a_statement_the_database_refuses_is_an_archive_error_and_rolled_back(tmp_path):
    arc = JobArchive(tmp_path / "a.sqlite")
    with pytest.raises(ArchiveError, match=r"refused: .*UNIQUE") as err, arc._store.begin() as db:
        db.execute("INSERT INTO meta VALUES ('x', '1')")
        db.execute("INSERT INTO meta VALUES ('x', '2')")
    assert not isinstance(err.value, ArchiveUnavailable)
    assert isinstance(err.value.__cause__, sqlite3.IntegrityError)
    with arc._store.begin() as db:
        assert db.execute("SELECT count(*) FROM meta WHERE key = 'x'").fetchone()[0] == 0
    arc.close()


def test_an_archive_that_cannot_be_opened_is_unavailable(tmp_path):
    (tmp_path / "folder.sqlite").mkdir()  # a folder where the file should be
    with pytest.raises(ArchiveUnavailable, match="unable to open"):
        SqliteStore(str(tmp_path / "folder.sqlite"))


def test_the_sqlite_store_is_a_store():
    store = SqliteStore(":memory:")
    assert isinstance(store, Store)
    store.close()
    store.close()  # idempotent

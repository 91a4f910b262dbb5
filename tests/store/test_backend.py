"""The Store protocol and the archive's versioned layout (store/_backend.py)."""

from __future__ import annotations

from rds_job_analytics import JobArchive
from rds_job_analytics.store import SCHEMA_VERSION, Store

DONE = {"job": {"id": "j1", "status": "Completed", "created": "2026-10-01T00:00:00+0000"}}


def test_both_backends_are_stores(archive):
    assert isinstance(archive._store, Store)
    assert archive._store.kind == archive.backend


def test_a_layout_3_archive_without_the_quota_table_gets_it_on_open(archive_url):
    """The ``quota`` table (the database quota buckets' state) is part of layout 3: a
    layout-3 archive without it (written before the table existed, or whose first bucket
    never ran) gets it on open, still at layout 3, its records kept, and its buckets pace
    from it."""
    with JobArchive(archive_url) as arc:
        arc.put(DONE, project_id="p")
        with arc._store.begin() as db:  # as layout 3 left it: no quota table
            db.execute("DROP TABLE quota")
            db.execute("UPDATE meta SET value = '3' WHERE key = 'version'")
            assert "tat" not in arc._store.columns(db, "quota")
    with JobArchive(archive_url) as arc:
        assert arc.version == SCHEMA_VERSION == 3
        with arc._store.begin() as db:
            assert arc._store.columns(db, "quota") == {"bucket", "tat"}
            assert db.execute("SELECT count(*) FROM quota").fetchone()[0] == 0
        assert arc.quota_bucket("ak:AK", rate=1000.0).acquire() == 0.0
        with arc._store.begin() as db:
            assert db.execute("SELECT count(*) FROM quota").fetchone()[0] == 1
        assert arc.to_frame()["job_id"].tolist() == ["j1"]


def test_an_archive_this_version_opens_still_says_layout_3(archive_url):
    """The layout is unchanged (issue 19): a new archive, and one opened again with a
    bucket used, say layout 3, so the previous release (which refuses a layout above 3)
    still reads them; a layout-2 archive is upgraded to 3, with the ``quota`` table."""
    with JobArchive(archive_url) as arc:
        arc.quota_bucket("ak:AK", rate=1000.0).acquire()
        with arc._store.begin() as db:
            assert db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("3",)
            db.execute("DROP TABLE quota")
            db.execute("UPDATE meta SET value = '2' WHERE key = 'version'")
    for _ in range(2):  # the upgrade, then a plain open
        with JobArchive(archive_url) as arc, arc._store.begin() as db:
            assert db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("3",)
            assert arc._store.columns(db, "quota") == {"bucket", "tat"}


def test_a_quota_bucket_creates_no_table_itself(archive):
    """The migration made the table; the bucket only steps its row."""
    said: list[str] = []
    store = archive._store
    begin = store.begin

    class Spy:
        def __init__(self, db):
            self.db = db

        def execute(self, sql, *args):
            said.append(sql)
            return self.db.execute(sql, *args)

    def spied(**kwargs):
        from contextlib import contextmanager

        @contextmanager
        def tx():
            with begin(**kwargs) as db:
                yield Spy(db)

        return tx()

    store.begin = spied
    try:
        archive.quota_bucket("token:t", rate=1000.0).acquire()
    finally:
        del store.begin
    assert said and not any("CREATE" in s.upper() for s in said)

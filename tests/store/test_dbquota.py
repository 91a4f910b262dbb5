"""The quota bucket in the archive's database (store/_dbquota.py, Store.pace, the layout-3
``quota`` table)."""

from __future__ import annotations

import threading

import pytest

from rds_job_analytics import JobArchive


def test_a_db_token_bucket_paces_every_handle_of_one_identity_together(archive_url):
    from rds_job_analytics.quota import QuotaCancelled
    from rds_job_analytics.store._dbquota import DbTokenBucket

    with JobArchive(archive_url) as a, JobArchive(archive_url) as b:
        slow = 1 / 3600  # one call an hour: a second call waits, unless the state is not shared
        first = DbTokenBucket(a, "ak:AKEXAMPLE", rate=slow)
        assert first.acquire() == 0.0
        second = DbTokenBucket(b, "ak:AKEXAMPLE", rate=slow)  # another machine, same account
        assert DbTokenBucket(b, "ak:OTHER", rate=slow).acquire() == 0.0  # its own quota
        outcome = []

        def call():
            try:
                outcome.append(second.acquire())
            except QuotaCancelled as exc:
                outcome.append(exc)

        t = threading.Thread(target=call)
        t.start()
        t.join(0.5)
        assert t.is_alive() and outcome == []  # waiting for the hour to pass
        second.cancel()  # Ctrl-C
        t.join()
        assert isinstance(outcome[0], QuotaCancelled)
        with pytest.raises(QuotaCancelled):
            second.acquire()
        with a._store.begin() as db:
            (kept,) = db.execute("SELECT bucket FROM quota").fetchall()[0]
            assert (
                "AKEXAMPLE" not in kept
                and db.execute("SELECT count(*) FROM quota").fetchone()[0] == 2
            )


def test_bucket_for_asks_a_database_archive_for_its_bucket(monkeypatch, tmp_path):
    """quota.bucket_for knows no store: it calls the archive's quota_bucket (duck-typed)."""
    from rds_job_analytics.quota import STATE_DIR_ENV, BucketChain, PacedBucket, bucket_for

    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path))
    asked = []

    class TeamArchive:  # anything with a database bucket
        backend = "postgresql"

        def quota_bucket(self, identity, rate):
            asked.append((identity, rate))
            return PacedBucket(rate)

    chain = bucket_for(TeamArchive(), "token:t", 2.0)
    assert isinstance(chain, BucketChain) and asked == [("token:t", 2.0)]
    assert type(chain.buckets[1]) is PacedBucket


def test_the_archive_hands_out_its_database_bucket(archive):
    from rds_job_analytics.store import DbTokenBucket

    bucket = archive.quota_bucket("ak:AKEXAMPLE", rate=4.0, burst=2)
    assert isinstance(bucket, DbTokenBucket) and bucket.archive is archive
    assert (bucket.interval, bucket.tau) == (0.25, 0.25)
    assert "AKEXAMPLE" not in repr(bucket)

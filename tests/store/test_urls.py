"""Database URLs (store/_urls.py): one grammar for masking, the driver and scrubbing."""

from __future__ import annotations

import traceback

import pytest

from rds_job_analytics import ConfigError, JobArchive
from rds_job_analytics.store import (
    ArchiveUnavailable,
    escape_at,
    mask_url,
    url_parts,
    url_passwords,
    url_scheme,
)


def everything_said(exc: BaseException) -> str:
    """What a user can ever see of an error: its message, repr and full traceback."""
    return f"{exc}\n{exc!r}\n" + "".join(traceback.format_exception(exc))


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice@127.0.0.1:1/team?password=WRONGSECRET",  # libpq's query form
        "postgresql://alice:p@ss/w:rdSECRET@127.0.0.1:1/team",  # '@' and '/' unescaped
    ],
)
def test_a_password_in_the_query_or_unescaped_never_shows(url, capsys):
    from rds_job_analytics.cli import main

    with pytest.raises((ArchiveUnavailable, ConfigError)) as err:
        JobArchive.open(url, create=True)
    assert "SECRET" not in everything_said(err.value)
    assert main(["export", "--archive", url, "-o", "-"]) in (2, 64)
    out = capsys.readouterr()
    assert "SECRET" not in out.err + out.out


@pytest.mark.parametrize(
    ("url", "password", "where", "tail"),
    [
        ("postgresql://bob:p@ss@db/jobs?application_name=etl@host1", "p@ss", "db/jobs",
         "?application_name=etl@host1"),  # an '@' in the query too
        ("postgresql://bob:p?ss@x@db:5432/jobs", "p?ss@x", "db:5432/jobs", ""),
        ("postgresql://bob:a#b@c@db/jobs", "a#b@c", "db/jobs", ""),
        ("postgresql://bob:s/l@sh:c0lon@db:5432/jobs?sslmode=require", "s/l@sh:c0lon",
         "db:5432/jobs", "?sslmode=require"),
        ("postgresql://bob:a@b?c@db/jobs?application_name=x@y", "a@b?c", "db/jobs",
         "?application_name=x@y"),
        ("postgresql://bob:w?x=1@z@db/jobs?sslmode=require", "w?x=1@z", "db/jobs", "?sslmode=require"),
        ("postgresql://bob:plain@db/jobs", "plain", "db/jobs", ""),
    ],
)  # fmt: skip
def test_masking_escaping_and_scrubbing_read_a_url_alike(url, password, where, tail):
    """One rule for where the host is: the mask hides the whole password and shows the
    real host, the driver gets that password and host, and messages scrub that password."""
    pytest.importorskip("sqlalchemy")
    import sqlalchemy as sa

    from rds_job_analytics.store import PgStore

    shown = mask_url(url)
    assert shown == f"postgresql://bob:***@{where}{tail}" and password not in shown
    parsed = sa.make_url(escape_at(url))
    assert parsed.password == password and parsed.username == "bob"
    assert f"{parsed.host}:{parsed.port}/{parsed.database}".replace(":None", "") == where
    assert password in url_passwords(url)
    store = PgStore(url)
    assert store.where == where and password not in repr(store.shown)
    store.close()


@pytest.mark.parametrize(
    "location",
    ["postgresql://u:p@h/db", "POSTGRES://u@h/db", "jobs.sqlite", "C:/x", "a b://x", "://x"],
)
def test_the_scheme_and_the_parts_are_one_reading(location):
    """A location is a URL for url_scheme exactly when url_parts cuts it."""
    parts = url_parts(location)
    assert (parts is None) == (url_scheme(location) is None)
    if parts is not None:
        assert url_scheme(location) == parts.scheme.lower()
        assert mask_url(location) == parts.masked()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:s3cr@t/x@db.example:5432/jobs",  # '@' and '/' unescaped
        "PostgreSQL://alice:pw@db/jobs?sslmode=require",
        "postgres://bob@db/jobs?connect_timeout=3&application_name=etl@host1",  # theirs kept
    ],
)
def test_the_engine_url_is_the_one_rule_and_hides_its_password(url):
    """PgStore's engine connects with pg_engine_url (the catalog's rule too): the same
    host, database, driver and connect options; the password never in what is shown."""
    import sqlalchemy as sa

    from rds_job_analytics.store import PgStore, pg_engine_url

    store = PgStore(url)  # nothing connects before the first transaction
    try:
        assert store.engine.url == sa.make_url(pg_engine_url(url))
        assert store.engine.url.drivername == "postgresql+psycopg"
        query = dict(store.engine.url.query)
        assert query["connect_timeout"] == ("3" if "connect_timeout=3" in url else "10")
        assert query["application_name"] == ("etl@host1" if "etl@" in url else "rds-jobs")
        password = url_parts(url).password
        if password is not None:
            assert store.engine.url.password == password
            shown = f"{store.engine.url} {store.engine.url!r} {store.engine!r} {store.shown}"
            shown += mask_url(pg_engine_url(url))
            assert password not in shown and "s3cr" not in shown, shown
    finally:
        store.close()

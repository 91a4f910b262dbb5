"""Database URLs: which locations are URLs, where their host is, and how they are shown.

One grammar, read once: :func:`url_parts` cuts ``scheme://[userinfo@]where[tail]``, and
everything else (the scheme test of :func:`url_scheme`, the masking of :func:`mask_url`,
the driver's escaping of :func:`escape_at`, the secrets :func:`url_passwords` scrubs from
messages) reads the :class:`UrlParts` it returns, so they can never disagree on where a
password ends.

Examples
--------
>>> parts = url_parts("postgresql://alice:s3cr@t@db:5432/jobs")
>>> parts.scheme, parts.where, parts.masked()
('postgresql', 'db:5432/jobs', 'postgresql://alice:***@db:5432/jobs')
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

__all__ = [
    "CONNECT_TIMEOUT",
    "PG_CONNECT_OPTIONS",
    "PG_SCHEMES",
    "UrlParts",
    "escape_at",
    "mask_url",
    "pg_engine_url",
    "url_parts",
    "url_passwords",
    "url_scheme",
]

#: URL schemes :class:`~rds_job_analytics.store.JobArchive` takes as a PostgreSQL server.
PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
#: Seconds to wait for a database server to answer a connection attempt.
CONNECT_TIMEOUT = 10
#: The libpq options every PostgreSQL connection of ours sends, unless its URL's query
#: sets them (:func:`pg_engine_url`).
PG_CONNECT_OPTIONS = (("connect_timeout", str(CONNECT_TIMEOUT)), ("application_name", "rds-jobs"))

_QUERY_START = re.compile(r"[A-Za-z_][\w.-]*=")  # a libpq option: key=value


class UrlParts(NamedTuple):
    """A database URL cut where the host is: ``scheme://[userinfo@]where[tail]``.

    Examples
    --------
    >>> p = url_parts("postgresql://bob:p@ss@db/jobs?sslmode=require")
    >>> p.password, p.escaped()
    ('p@ss', 'postgresql://bob:p%40ss@db/jobs?sslmode=require')
    """

    scheme: str  # as written (see url_scheme for the lower-case one)
    userinfo: str | None  # ``user[:password]`` as written (None without an ``@``)
    where: str  # ``host[:port][/database]``
    tail: str  # ``?query`` / ``#fragment`` with its separator, or ""

    @property
    def password(self) -> str | None:
        """The password as written (everything after the user's ``:``), if any."""
        if self.userinfo is None or ":" not in self.userinfo:
            return None
        return self.userinfo.split(":", 1)[1]

    def masked(self) -> str:
        """The URL as shown anywhere: every password (userinfo and libpq's
        ``password=`` option) replaced by ``***``."""
        tail = re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", self.tail)  # libpq's option
        creds = self.userinfo
        if creds is not None and self.password is not None:
            creds = creds.split(":", 1)[0] + ":***"
        return f"{self.scheme}://{'' if creds is None else creds + '@'}{self.where}{tail}"

    def escaped(self) -> str:
        """The URL with every ``@`` of its user and password escaped as ``%40``, for a
        driver (SQLAlchemy, libpq) that would take what follows the first ``@`` as host."""
        creds = "" if self.userinfo is None else self.userinfo.replace("@", "%40") + "@"
        return f"{self.scheme}://{creds}{self.where}{self.tail}"

    def passwords(self) -> tuple[str, ...]:
        """Every password the URL holds, as written and decoded, longest first: what a
        message must never show."""
        found: set[str] = set()
        if self.password is not None:
            found |= {self.password, unquote(self.password)}
        for q in re.findall(r"(?i)[?&#]password=([^&#]*)", self.tail):  # libpq's option
            found |= {q, unquote(q)}
        return tuple(sorted({w for w in found if w}, key=len, reverse=True))


def url_parts(location: str | Path) -> UrlParts | None:
    """The one rule for reading a database URL (None: a path, not ``scheme://...``).

    The scheme is letters, digits and ``+-.``. A password may hold an unescaped
    ``@ ? # / :`` and a query may hold an ``@`` (``application_name=etl@host1``): the
    host follows the first ``@`` after which a plain ``host:port/database`` (no ``@``)
    runs to the end or to a query/fragment whose first item is ``key=value``; without
    one, the last ``@``. Masking, escaping for the driver and scrubbing messages all read
    the URL this way.

    Examples
    --------
    >>> url_parts("postgresql://bob:p@ss@db/jobs?application_name=etl@host1")
    UrlParts(scheme='postgresql', userinfo='bob:p@ss', where='db/jobs', tail='?application_name=etl@host1')
    >>> url_parts("postgresql://bob:a@b?c@db:5432/jobs").password
    'a@b?c'
    >>> url_parts("postgresql://db/jobs#x"), url_parts("jobs.sqlite"), url_parts("C:/x")
    (UrlParts(scheme='postgresql', userinfo=None, where='db/jobs', tail='#x'), None, None)
    """
    if isinstance(location, Path):
        return None
    scheme, sep, rest = str(location).partition("://")
    if not sep or not scheme or not all(c.isalnum() or c in "+-." for c in scheme):
        return None
    ats = [i for i, c in enumerate(rest) if c == "@"]
    for at in ats:
        after = rest[at + 1 :]
        cut = min((i for i in (after.find("?"), after.find("#")) if i >= 0), default=len(after))
        where, tail = after[:cut], after[cut:]
        if "@" not in where and (not tail or _QUERY_START.match(tail, 1)):
            return UrlParts(scheme, rest[:at], where, tail)
    if ats:  # nothing reads cleanly: the host is after the last '@'
        return UrlParts(scheme, rest[: ats[-1]], rest[ats[-1] + 1 :], "")
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return UrlParts(scheme, None, rest[:cut], rest[cut:])


def url_scheme(location: str | Path) -> str | None:
    """The scheme of a ``scheme://...`` archive location (lower case), or None for a path.

    Examples
    --------
    >>> url_scheme("PostgreSQL://u:p@h/db"), url_scheme("jobs.sqlite"), url_scheme("C:/x")
    ('postgresql', None, None)
    """
    parts = url_parts(location)
    return None if parts is None else parts.scheme.lower()


def mask_url(location: str) -> str:
    """A database URL as shown anywhere: its password replaced by ``***`` (all of it, as
    :func:`url_parts` finds it, so an unescaped ``@ ? # /`` in the password cannot leak
    a piece of it); a path as it is.

    Examples
    --------
    >>> mask_url("postgresql://alice:s3cr@t/x@db:5432/jobs")
    'postgresql://alice:***@db:5432/jobs'
    >>> mask_url("postgresql://alice@db/jobs"), mask_url("jobs.sqlite")
    ('postgresql://alice@db/jobs', 'jobs.sqlite')
    >>> mask_url("postgresql://alice@db/jobs?sslmode=require&password=s3cret")
    'postgresql://alice@db/jobs?sslmode=require&password=***'
    """
    parts = url_parts(location)
    return location if parts is None else parts.masked()


def escape_at(url: str) -> str:
    """The URL with every ``@`` of its user and password escaped as ``%40`` (see
    :meth:`UrlParts.escaped`); anything else as it is.

    Examples
    --------
    >>> escape_at("postgresql://bob:p@ss4u9k@127.0.0.1:5432/jobs?sslmode=require")
    'postgresql://bob:p%40ss4u9k@127.0.0.1:5432/jobs?sslmode=require'
    >>> escape_at("postgresql://bob:pw@db/jobs"), escape_at("postgresql://db/jobs")
    ('postgresql://bob:pw@db/jobs', 'postgresql://db/jobs')
    """
    parts = url_parts(url)
    if parts is None or parts.userinfo is None or "@" not in parts.userinfo:
        return url
    return parts.escaped()


def url_passwords(url: str) -> tuple[str, ...]:
    """The URL's passwords as written and decoded (where :func:`url_parts` finds them,
    and libpq's ``password=`` option), to scrub from any message.

    Examples
    --------
    >>> sorted(url_passwords("postgresql://u:p%40w@db/x?password=two"))
    ['p%40w', 'p@w', 'two']
    """
    parts = url_parts(url)
    return () if parts is None else parts.passwords()


def pg_engine_url(url: str) -> str:
    """The SQLAlchemy URL a PostgreSQL URL connects with, the one rule for the archive's
    engine (:class:`~rds_job_analytics.store.PgStore`) and for anything else that
    connects to the same database with SQLAlchemy (an Iceberg SQL catalog): the URL as
    :func:`url_parts` reads it, with the ``postgresql+psycopg`` driver, every ``@`` of
    its user and password escaped (:func:`escape_at`), and :data:`PG_CONNECT_OPTIONS`
    added to its query where it does not set them. The result holds the password:
    show :func:`mask_url` of it, never it.

    Raises
    ------
    ValueError
        ``url`` is not a ``scheme://`` URL (a path).

    Examples
    --------
    >>> pg_engine_url("PostgreSQL://bob:p@ss@db:5432/jobs")
    'postgresql+psycopg://bob:p%40ss@db:5432/jobs?connect_timeout=10&application_name=rds-jobs'
    >>> pg_engine_url("postgres://db/jobs?sslmode=require&connect_timeout=3")
    'postgresql+psycopg://db/jobs?sslmode=require&connect_timeout=3&application_name=rds-jobs'
    >>> mask_url(pg_engine_url("postgresql://bob:s3cret@db/jobs"))
    'postgresql+psycopg://bob:***@db/jobs?connect_timeout=10&application_name=rds-jobs'
    """
    parts = url_parts(url)
    if parts is None:
        raise ValueError(f"not a database URL: {mask_url(str(url))!r}")
    query, hashed, fragment = parts.tail.partition("#")
    items = [q for q in query.removeprefix("?").split("&") if q]
    given = {q.split("=", 1)[0] for q in items}
    items += [f"{key}={value}" for key, value in PG_CONNECT_OPTIONS if key not in given]
    tail = "?" + "&".join(items) + (hashed + fragment)
    return parts._replace(scheme="postgresql+psycopg", tail=tail).escaped()

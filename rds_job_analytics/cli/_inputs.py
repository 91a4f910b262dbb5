"""What a command reads: argument types, ``-o`` and ``--archive`` checks, ID files, the
client (credentials from the environment) and its shared pacing."""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from .._validate import expand_path
from ..exceptions import CommandFailed, ConfigError
from ..normalize.schema import is_job_id, strip_job_id, to_utc
from ._words import NOT_A_JOB_ID


# -- argument types: a bad value is a usage error naming the flag -------------------------
def _when(text: str) -> pd.Timestamp:
    try:
        return to_utc(text)
    except (ValueError, TypeError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"not a date or time: {text!r} (e.g. 2026-11-01 or 2026-11-01T08:00; UTC unless "
            "it carries an offset)"
        ) from None


def _number(kind: type, low: float, what: str, upper: float = float("inf")) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= upper:  # NaN too
            raise argparse.ArgumentTypeError(f"must be {what}, not {text}")
        return value

    return parse


_POSITIVE = _number(float, 1e-9, "> 0")
_AT_LEAST_ONE = _number(int, 1, ">= 1")
_COUNT = _number(int, 0, ">= 0")
_DAYS = _number(float, 0, ">= 0 days")
_SECONDS = _number(float, 0, ">= 0 seconds")
_FRACTION = _number(float, 0, "a fraction between 0 and 1 (0.02 = 2%)", upper=1)
_PORT = _number(int, 0, "a port number, 0..65535", upper=65535)


# -- files -------------------------------------------------------------------------------
def _output(path: str | None, suffixes: tuple[str, ...], *, stdout: bool = False) -> str | None:
    """Check ``-o`` before any work: its suffix, ``-`` (CSV on stdout) where allowed, and a
    folder it can be written in. Returns the path, ``"-"`` or None."""
    if path is None:
        return None
    if path == "-":
        if stdout:
            return path
        raise ConfigError(
            f"-o - (stdout) is not possible here: give a path ending in {suffixes[0]}"
        )
    if Path(path).suffix not in suffixes:
        hint = " (or - for CSV on stdout)" if stdout else ""
        raise ConfigError(f"-o must end in {' or '.join(suffixes)}{hint}, not {path!r}")
    full = expand_path(path)  # checked where it lands; the writer expands the path as given
    why = _cannot_create(Path(full))
    if why:
        raise CommandFailed(f"cannot write '{full}': {why}")
    return path


def _cannot_create(target: Path) -> str | None:
    """Why ``target`` cannot be written (its folders are made as needed), or None."""
    if target.is_dir():
        return "it is a folder"
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"'{folder}' is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"no permission to write in '{folder}'"
    return None


def _write(df: pd.DataFrame, out: str) -> str:
    """``df`` to ``out`` (``-``: CSV on stdout, written as ``-o x.csv`` would); its name."""
    from ..export import write_frame

    if out != "-":
        return str(write_frame(df, out))
    with tempfile.TemporaryDirectory() as folder:  # the bytes as written: CRLF rows kept
        path = write_frame(df, Path(folder) / "stdout.csv")
        sys.stdout.flush()
        with path.open("rb") as fh:
            shutil.copyfileobj(fh, sys.stdout.buffer)
    sys.stdout.flush()
    return "stdout"


def _shown(archive: str) -> str:
    """An ``--archive`` as messages show it: a database URL without its password (the
    archive's masking rule)."""
    from ..store import mask_url as _masked

    try:
        archive = expand_path(archive)  # where it is (the archive expands it as given)
    except ConfigError:
        pass
    return _masked(str(archive))


def _archive(args: argparse.Namespace, *, create: bool) -> Any:
    """The ``--archive`` named, refused unless it is one of ours; ``sync`` and ``fetch``
    create it (their archive is remembered for the Ctrl-C summary)."""
    from ..store import JobArchive

    path = Path(expand_path(args.archive))  # JobArchive expands args.archive the same way
    is_url = "://" in str(args.archive)  # a database server (postgresql://...), not a file
    why = _cannot_create(path) if create and not is_url and not path.exists() else None
    if why:
        raise CommandFailed(f"cannot create the archive '{path}': {why}")
    try:
        archive = JobArchive.open(args.archive, create=create)
    except OSError as exc:
        raise CommandFailed(f"cannot open the archive '{_shown(args.archive)}': {exc.strerror or exc}"
                            + (f" ('{exc.filename}')" if exc.filename else "")) from exc  # fmt: skip
    except sqlite3.Error as exc:
        raise CommandFailed(f"cannot open the archive '{_shown(args.archive)}': {exc}") from exc
    if create:
        args.archived_before = len(archive)
    return archive


# -- job IDs -----------------------------------------------------------------------------
def id_tokens(text: str) -> list[str]:
    """The job-ID tokens of an ID file, as written (see ``rds-jobs fetch --help``).

    One ID a line; blank lines and lines starting with ``#`` are skipped; a first line
    with a field ``id`` or ``job_id`` (any case) is a header, and with more fields (comma-
    or tab-separated) the IDs are read from that column.

    Examples
    --------
    >>> id_tokens("# mine\\njob_id\\n\\n31b8ae23c6874d80b7b442a66c9bb886\\nhello world\\n")
    ['31b8ae23c6874d80b7b442a66c9bb886', 'hello world']
    >>> id_tokens("name,ID,status\\nx,31b8ae23c6874d80b7b442a66c9bb886,Completed\\n")
    ['31b8ae23c6874d80b7b442a66c9bb886']
    """
    rows = [
        line for line in text.lstrip("\ufeff").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]  # fmt: skip
    if not rows:
        return []
    delimiter = "\t" if "\t" in rows[0] and "," not in rows[0] else ","
    names = [f.strip().lower() for f in next(csv.reader([rows[0]], delimiter=delimiter))]
    column = next((names.index(n) for n in ("job_id", "id") if n in names), None)
    if column is None:
        return [line.strip() for line in rows]
    tokens = []
    for row in csv.reader(rows[1:], delimiter=delimiter):
        if column < len(row):
            if row[column].strip():  # an empty cell: no ID, like a blank line
                tokens.append(row[column].strip())
        else:
            tokens.append(delimiter.join(row))  # reported: no ID in that column
    return tokens


def _read_text(path: str) -> str:
    """An ID file (``-``: stdin) as text; a missing or non-UTF-8 one is a usage error."""
    name = "stdin" if path == "-" else f"--file {path}"
    try:
        if path == "-":
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        else:
            data = Path(expand_path(path)).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: a folder, not a file of job IDs") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read it: {exc.strerror or exc}") from None
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8 (plain text or CSV)"
        ) from None


def _stdin_is_piped() -> bool:
    try:
        return sys.stdin is not None and not sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _ids(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """(job IDs to ask for, tokens that cannot be job IDs), each in order, without repeats."""
    tokens = [t.strip() for t in args.ids]
    if args.file:
        tokens += id_tokens(_read_text(args.file))
    elif not tokens and _stdin_is_piped():
        tokens = id_tokens(_read_text("-"))
    if not tokens:
        raise ConfigError("no job IDs: give them as arguments, with --file PATH, or on stdin")
    ok = [strip_job_id(t) for t in tokens if is_job_id(t)]
    bad = [t for t in tokens if not is_job_id(t)]
    return list(dict.fromkeys(ok)), list(dict.fromkeys(bad))


def _with_invalid(df: pd.DataFrame, invalid: list[str]) -> pd.DataFrame:
    """``df`` plus one ``not_found`` row per token that cannot be a job ID (not asked)."""
    if not invalid:
        return df
    extra = df.iloc[:0].reindex(range(len(invalid)))
    extra["job_id"] = pd.array(invalid, dtype=df["job_id"].dtype)
    extra["fetch_status"] = pd.Categorical(
        ["not_found"] * len(invalid), categories=df["fetch_status"].cat.categories
    )
    extra["fetch_error"] = pd.array([NOT_A_JOB_ID] * len(invalid), dtype=df["fetch_error"].dtype)
    return pd.concat([df, extra], ignore_index=True)


# -- the client --------------------------------------------------------------------------
def _auth(args: argparse.Namespace) -> Any:
    """The credential from the environment, by the one precedence
    (:func:`~rds_job_analytics.api.credentials_from_env`); ``--iam-endpoint`` is where a
    password goes."""
    from ..api import ENV_DOMAIN, ENV_PASSWORD, ENV_USER, credentials_from_env, make_auth

    found = credentials_from_env()
    if found is None:
        from ..api import auth_from_env

        return auth_from_env()  # raises the one "no credentials" error
    kind, names = found
    if args.iam_endpoint and kind != "password":
        print(f"rds-jobs: note: --iam-endpoint is for password credentials ({ENV_USER}/"
              f"{ENV_PASSWORD}/{ENV_DOMAIN}); ignored", file=sys.stderr)  # fmt: skip
    iam = args.iam_endpoint if kind == "password" else None
    if kind == "password" and not iam:
        from ..api import auth_from_env

        return auth_from_env()  # HUAWEICLOUD_SDK_IAM_ENDPOINT and the region's IAM
    return make_auth(kind, {k: os.environ[v] for k, v in names.items()}, iam_endpoint=iam)


def _client(args: argparse.Namespace, archive: Any = None) -> Any:
    """The client of ``args``; with an ``archive``, paced through the bucket every user of
    that archive with the same credential shares (a cron ``sync`` and a ``fetch`` at once:
    one rate, not two), given to the client when it is built."""
    from ..api import DEFAULT_RATE_LIMIT, ENV_PROJECT_ID, JobsClient

    project = args.project_id or os.environ.get(ENV_PROJECT_ID)
    if not project:
        raise ConfigError(f"--project-id (or {ENV_PROJECT_ID}) is required")
    auth = _auth(args)
    rate = args.rate_limit or DEFAULT_RATE_LIMIT
    return JobsClient(
        project,
        region=args.region,
        endpoint=args.endpoint,
        auth=auth,
        rate_limit=rate,
        max_workers=args.workers,
        allow_http=args.allow_http,
        bucket=shared_bucket(auth, archive, rate) if archive is not None else None,
    )


def shared_bucket(auth: Any, archive: Any, rate: float) -> Any:
    """The bucket every user of ``archive`` with ``auth``'s credential shares
    (:func:`~rds_job_analytics.quota.bucket_for`), or None for a credential with no
    identity (the client then paces alone)."""
    from ..quota import auth_identity, bucket_for

    identity = auth_identity(auth)
    return bucket_for(archive, identity, rate) if identity is not None else None

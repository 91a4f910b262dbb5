"""The ``rds-jobs`` command line.

Subcommands import what they use when they run: ``--help``, ``sync``, ``fetch`` and
``export`` never load matplotlib or jinja2 (only ``report`` and ``demo`` do).

Exit codes: 0 success, 1 partial success, 2 failure, 64 usage error (argparse's errors
included), 130 interrupted (Ctrl-C; what was archived is kept). A user error or a network
failure is one line on stderr, in the command line's own words; ``--debug`` adds the
traceback.

Examples
--------
A usage error is reported on stderr and gives exit code 64, before any file is written:

>>> from rds_job_analytics.cli import main
>>> main(["export", "--archive", ":memory:", "-o", "jobs.xlsx"])
64
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, get_args

import pandas as pd

from .._time import last_complete_month
from .._validate import expand_path
from .._version import __version__
from ..exceptions import ConfigError, RdsJobError
from ..normalize.schema import API_HORIZON, FAILED, RUNNING, is_job_id, strip_job_id, to_utc
from ..stats import summarize  # summarize: also importable from here, as before

__all__ = ["main", "summarize"]


EXIT_OK, EXIT_PARTIAL, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 64, 130
#: ``rds-jobs sync`` exits 1 when a coverage gap starts leaving the API's horizon this soon.
#: ``rds-jobs emulator``'s default quota, calls a minute: the real API allows 60; this lets
#: the printed sync finish in seconds while a client that ignores pacing still meets 429s.
EMULATOR_QUOTA = 6000
#: At most this many per-ID failure lines; the rest are counted (every row is in the output).
MAX_FAILURE_LINES = 20
#: What a token that cannot be a job ID is told (its ``fetch_status`` is ``not_found``:
#: what the API would answer, without spending the call).
NOT_A_JOB_ID = "not a job ID (a UUID, 8-4-4-4-12 hex digits, or 32 hex digits): not asked"

# -- the library's words for Python callers -> the command line's flags: the one place --
_CLI_WORDS: tuple[tuple[str, str], ...] = (
    (r"pass auth=\.\.\., or set ", "set "),
    (r"pass allow_http=True", "pass --allow-http"),
    (
        r"JobsClient needs region=\.\.\. or endpoint=\.\.\.",
        "give --region REGION or --endpoint URL",
    ),
    (r"pass PasswordAuth\(iam_endpoint=\.\.\.\)", "pass --iam-endpoint URL"),
    (r"^iam_endpoint must", "--iam-endpoint must"),
    (r"^endpoint must", "--endpoint must"),
    (r"^rate_limit must", "--rate-limit must"),
    (r"^max_workers must", "--workers must"),
    (r"^budget must", "--budget must"),
    (r"^horizon_days must", "--horizon-days must"),
    (r"^month must", "--month must"),
    (r"^unknown time zone tz=", "--tz: unknown time zone "),
    (r"^project_id is required.*", "--project-id (or HUAWEICLOUD_SDK_PROJECT_ID) is required"),
    (r"^sync window is empty: since (.*) >= until (.*)", r"--since \1 is not before --until \2"),
    (r"^output path must end in", "-o must end in"),
    (r"without start= and end=", "without --start and --end"),
    (r"^catalog= is for Iceberg tables", "--catalog is for --table iceberg"),
)


def cli_words(message: str) -> str:
    """A library message in the command line's words (flags, not keyword arguments).

    Examples
    --------
    >>> cli_words("refusing plain http to 'h': use https or pass allow_http=True")
    "refusing plain http to 'h': use https or pass --allow-http"
    >>> cli_words("JobsClient needs region=... or endpoint=...")
    'give --region REGION or --endpoint URL'
    """
    for pattern, words in _CLI_WORDS:
        message = re.sub(pattern, words, message)
    return message


class CommandFailed(Exception):
    """A failure the command explains itself (exit 2, the message as it is)."""


class _UsageError(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        self.parser, self.message = parser, message
        super().__init__(message)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is exit 64 (reported by :func:`main`), not exit 2."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self, message)


class _Formatter(argparse.HelpFormatter):
    """Descriptions wrapped as usual; an epilog of examples keeps its lines."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


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
    from ..export._files import write_frame

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
    from ..store._archive import JobArchive

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


def _table(df: pd.DataFrame) -> str:
    """The main columns of fetched jobs as a text table for a terminal (times in UTC).

    Examples
    --------
    >>> from rds_job_analytics import load_sample
    >>> df = load_sample().head(1).assign(fetch_status="ok")
    >>> print(_table(df))  # doctest: +NORMALIZE_WHITESPACE
    job_id                                job_name  status  created (UTC)  duration_s  fetch_status
    ...
    """

    def text(value: Any, fmt: str = "") -> str:
        return "" if pd.isna(value) else format(value, fmt)

    header = ["job_id", "job_name", "status", "created (UTC)", "duration_s", "fetch_status"]
    rows = [header] + [
        [text(r.job_id), text(r.job_name), text(r.status), text(r.created, "%Y-%m-%d %H:%M:%S"),
         text(r.duration_s, ".0f"), text(r.fetch_status)]
        for r in df.itertuples(index=False)
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


# -- the client --------------------------------------------------------------------------
def _client(args: argparse.Namespace) -> Any:
    from ..api._auth import (
        ENV_DOMAIN,
        ENV_PASSWORD,
        ENV_PROJECT_ID,
        ENV_USER,
        PasswordAuth,
        auth_from_env,
    )
    from ..api._client import DEFAULT_RATE_LIMIT, JobsClient

    project = args.project_id or os.environ.get(ENV_PROJECT_ID)
    if not project:
        raise ConfigError(f"--project-id (or {ENV_PROJECT_ID}) is required")
    auth = auth_from_env()
    if args.iam_endpoint:
        if isinstance(auth, PasswordAuth):  # the password goes where the user says
            auth = PasswordAuth(
                os.environ[ENV_USER], os.environ[ENV_PASSWORD], os.environ[ENV_DOMAIN],
                iam_endpoint=args.iam_endpoint,
            )  # fmt: skip
        else:
            print(f"rds-jobs: note: --iam-endpoint is for password credentials ({ENV_USER}/"
                  f"{ENV_PASSWORD}/{ENV_DOMAIN}); ignored", file=sys.stderr)  # fmt: skip
    return JobsClient(
        project,
        region=args.region,
        endpoint=args.endpoint,
        auth=auth,
        rate_limit=args.rate_limit or DEFAULT_RATE_LIMIT,
        max_workers=args.workers,
        allow_http=args.allow_http,
    )


def _share_quota(client: Any, archive: Any) -> None:
    """Pace ``client`` through the bucket every user of ``archive`` with the same
    credential shares (a cron ``sync`` and a ``fetch`` at once: one rate, not two)."""
    from ..quota import auth_identity, bucket_for

    identity = auth_identity(client.auth)
    if identity is not None:
        client.bucket = bucket_for(archive, identity, 1.0 / client.bucket.interval)


# -- commands ----------------------------------------------------------------------------
def _cmd_fetch(args: argparse.Namespace) -> int:
    from ..export._files import EXPORT_SUFFIXES
    from ..sync._fetch import FETCHED, fetch_jobs

    out = _output(args.output, EXPORT_SUFFIXES, stdout=True)  # before any call
    ids, invalid = _ids(args)
    with ExitStack() as stack:
        client = stack.enter_context(_client(args))
        archive = stack.enter_context(_archive(args, create=True)) if args.archive else None
        if archive is not None:
            _share_quota(client, archive)
        df = fetch_jobs(ids, client=client, archive=archive, refresh=args.refresh,
                        errors="ignore", progress=None)  # fmt: skip
        calls = client.calls
    df = _with_invalid(df, invalid)
    talk = sys.stderr if out == "-" else sys.stdout  # stdout carries the CSV then
    if out:
        _write(df, out)
    elif not args.archive:  # nowhere to keep it: show it, and say how to keep it
        print(_table(df))
        print("rds-jobs: the main columns only; keep every column with -o jobs.csv "
              "(or .parquet), -o - (CSV on stdout) or --archive jobs.sqlite",
              file=sys.stderr)  # fmt: skip
    failures = df[~df["fetch_status"].isin(FETCHED)]
    for _, row in failures.head(MAX_FAILURE_LINES).iterrows():
        print(f"{row['job_id']}: {row['fetch_status']}: {row['fetch_error']}", file=sys.stderr)
    if len(failures) > MAX_FAILURE_LINES:
        print(f"rds-jobs: ... and {len(failures) - MAX_FAILURE_LINES} more failures "
              "(each is a row with fetch_status and fetch_error in -o)", file=sys.stderr)  # fmt: skip
    ok, failed = len(df) - len(failures), len(failures)
    note = f" ({len(invalid)} not a job ID, not asked)" if invalid else ""
    where = f" -> {_shown(args.archive)}" if args.archive else ""
    print(f"fetched {ok}/{len(df)} jobs, {failed} failed{note}, {calls} API calls{where}",
          file=talk)  # fmt: skip
    return EXIT_OK if failed == 0 else (EXIT_PARTIAL if ok else EXIT_FAILED)


def _cmd_sync(args: argparse.Namespace) -> int:
    from ..sync._fetch import oldest_answered, sync_jobs

    since = args.since.to_pydatetime() if args.since is not None else None
    until = args.until.to_pydatetime() if args.until is not None else None
    if since is not None and until is not None and since >= until:  # before the archive
        raise ConfigError(f"--since {args.since} is not before --until {args.until}")
    if since is not None and args.since > pd.Timestamp.now(tz="UTC"):  # nothing to list yet
        raise ConfigError(f"--since {args.since} is in the future: the window is empty")
    horizon = timedelta(days=args.horizon_days) if args.horizon_days else None
    oldest = oldest_answered(datetime.now(UTC), horizon)
    if until is not None and oldest is not None and args.until <= oldest:  # before the archive
        raise ConfigError(
            f"--until {args.until} is older than the API's {args.horizon_days:g}-day "
            "horizon: the window is empty (--horizon-days 0 if your API keeps more)"
        )
    if args.fleet:
        return _sync_fleet(args, since, until)
    if args.wait:
        raise ConfigError("--wait is for --fleet (a single-project sync that finds its "
                          "project held skips it at once)")  # fmt: skip
    with _client(args) as client, _archive(args, create=True) as archive:
        _share_quota(client, archive)
        res = sync_jobs(
            client, archive, since=since, until=until, details=args.details, budget=args.budget,
            horizon=timedelta(days=args.horizon_days) if args.horizon_days else None,
            errors="ignore",
        )  # fmt: skip
        # as of the window's end (now, without --until): nothing since is reported at all
        coverage = archive.coverage(
            client.project_id, horizon_days=args.horizon_days or API_HORIZON.days,
            now=res.window_end if until is None else None,
        )  # fmt: skip
    _note_clamped_since(res, args.horizon_days)
    print(res)
    code = EXIT_OK if res.failed == 0 else (EXIT_PARTIAL if res.fetched else EXIT_FAILED)
    if res.partial:  # the task list stopped early: the window is recorded only in part
        code = max(code, EXIT_PARTIAL if res.listed or res.fetched else EXIT_FAILED)
    if res.unreadable:  # records the archive lacks: the window is not claimed
        code = max(code, EXIT_PARTIAL)
        for text in res.unreadable[:MAX_FAILURE_LINES]:
            print(f"rds-jobs: task list: unreadable record {text}", file=sys.stderr)
        if len(res.unreadable) > MAX_FAILURE_LINES:
            print(f"rds-jobs: ... and {len(res.unreadable) - MAX_FAILURE_LINES} more unreadable "
                  "records", file=sys.stderr)  # fmt: skip
        print("rds-jobs: the window is not recorded as covered; the next sync lists it again",
              file=sys.stderr)  # fmt: skip
    if not args.horizon_days:  # the API keeps every job: no gap can be lost
        return code
    print("\n".join(coverage.lines()))  # the one rule: after the last sync's end, no gap
    at_risk = coverage.at_risk()
    for gap in at_risk:
        lost = coverage.lost_at(gap)
        now = " (now)" if lost <= coverage.horizon_end else ""
        what = "not synced yet" if gap == coverage.pending else "gap"
        print(f"rds-jobs: sync now or lose it: {what} {gap} starts leaving the API's horizon on "
              f"{lost:%Y-%m-%d %H:%M} UTC{now}; rerun with --since {gap.start:%Y-%m-%dT%H:%M}",
              file=sys.stderr)  # fmt: skip
    return max(code, EXIT_PARTIAL) if at_risk else code


def _note_clamped_since(res: Any, horizon_days: float) -> None:
    """One stderr line when the sync (a :class:`~rds_job_analytics.sync._fetch.SyncResult`) says
    its ``--since`` lay before the API's horizon: it started at the horizon (the API
    answers for nothing older), not where the user asked."""
    if res is None or res.clamped_since is None:
        return
    asked, used = res.clamped_since
    print(f"rds-jobs: note: --since {asked:%Y-%m-%d %H:%M} UTC is older than the API's "
          f"{horizon_days:g}-day horizon: syncing from {used:%Y-%m-%d %H:%M} UTC "
          "instead (--horizon-days 0 if your API keeps more)", file=sys.stderr)  # fmt: skip


def _sync_fleet(args: argparse.Namespace, since: Any, until: Any) -> int:
    from ..sync._fleet import check_fleet, load_fleet, sync_fleet

    given = [o for o in ("project_id", "region", "endpoint", "iam_endpoint") if getattr(args, o)]
    if given:
        flags = ", ".join("--" + o.replace("_", "-") for o in given)
        raise ConfigError(f"{flags}: not with --fleet (the fleet file names every project)")
    fleet = load_fleet(args.fleet)  # every problem with it, before the archive is touched
    options = {"max_workers": args.workers, "allow_http": args.allow_http}
    # and every credential and endpoint: a refusal touches nothing (no archive, no quota)
    check_fleet(fleet, client_options=options)
    with _archive(args, create=True) as archive:
        result = sync_fleet(
            fleet, archive, since=since, until=until, details=args.details, budget=args.budget,
            horizon=timedelta(days=args.horizon_days) if args.horizon_days else None,
            wait=args.wait, rate_limit=args.rate_limit, client_options=options,
        )  # fmt: skip
    # the same --since for every project: said once, from the first sync that moved it
    clamped = [o.result for o in result.outcomes if o.result and o.result.clamped_since]
    _note_clamped_since(clamped[0] if clamped else None, args.horizon_days)
    n = len(result.outcomes)
    accounts = len({o.account for o in result.outcomes})
    print(f"fleet {args.fleet}: {n} project(s) in {accounts} account(s) -> {_shown(args.archive)}")
    print(result)
    # a project skipped for a dead holder's lease was synced by nobody: said, and exit 1
    bad = [o for o in result.outcomes if o.status in ("failed", "partial") or o.stale_lease]
    for o in bad:
        print(f"rds-jobs: {o.account}/{o.region} ({o.project_id}): {o.status}: "
              f"{cli_words(o.note)}", file=sys.stderr)  # fmt: skip
    if not bad:
        return EXIT_OK
    return EXIT_FAILED if len(bad) == n and all(o.status == "failed" for o in bad) else EXIT_PARTIAL


def _cmd_discover(args: argparse.Namespace) -> int:
    from ..api._auth import ENV_AK, ENV_DOMAIN, ENV_PASSWORD, ENV_SK, ENV_TOKEN, ENV_USER
    from ..sync._fleet import Account, discover_projects, fleet_toml, load_fleet

    given = _output(args.output, (".toml",), stdout=True) if args.output else "-"
    out = expand_path(given)  # written here; load_fleet expands the path as given
    before = ""
    if out != "-" and Path(out).exists():
        if not args.append:
            raise ConfigError(f"-o {out}: the file exists; discovery never overwrites a fleet "
                              "file (--append adds this account to it)")  # fmt: skip
        if any(a.name == args.account for a in load_fleet(given).accounts):
            raise ConfigError(f"-o {out}: account {args.account!r} is in it already")
        before = Path(out).read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    if args.fleet:  # a credentials-only [accounts.NAME] section: no projects yet
        account = load_fleet(args.fleet, require_projects=False).account(args.account)
    else:  # the package's usual variables, named in the file written
        env = os.environ
        if env.get(ENV_AK) and env.get(ENV_SK):
            account = Account(args.account, "aksk", {"ak": ENV_AK, "sk": ENV_SK})
        elif env.get(ENV_TOKEN):
            account = Account(args.account, "token", {"token": ENV_TOKEN})
        elif env.get(ENV_USER) and env.get(ENV_PASSWORD) and env.get(ENV_DOMAIN):
            account = Account(args.account, "password",
                              {"user": ENV_USER, "password": ENV_PASSWORD, "domain": ENV_DOMAIN},
                              iam_endpoint=args.iam_endpoint)  # fmt: skip
        else:
            raise ConfigError(
                f"no credentials: --fleet FILE with account {args.account!r}, or set "
                f"{ENV_AK}/{ENV_SK}, {ENV_TOKEN}, or {ENV_USER}/{ENV_PASSWORD}/{ENV_DOMAIN}"
            )
    found = discover_projects(account, iam_endpoint=args.iam_endpoint)
    if args.endpoint:
        found = [{**p, "endpoint": args.endpoint} for p in found]
    text = fleet_toml(account, found)
    if out == "-":
        print(text)
    else:
        if before:  # the combined file must still be valid (a project in two accounts...)
            text = before + "\n".join(text.splitlines()[2:]) + "\n"  # minus the header
            load_fleet(text)
        _replace_file(Path(out), text)
    regions = sorted({p["region"] for p in found})
    print(f"discovered {len(found)} project(s) of account {args.account!r} in "
          f"{len(regions)} region(s) ({', '.join(regions) or 'none'})"
          + ("" if out == "-" else f" -> {out}; review it, then rds-jobs sync --fleet {out}"),
          file=sys.stderr)  # fmt: skip
    return EXIT_OK if found else EXIT_PARTIAL


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` at once (a new file beside it, then renamed over): the
    temporary file has a fresh random name, created exclusively, so a file or a symlink
    planted at a predictable ``NAME.tmp`` is never written through. The file keeps the
    mode of the one it replaces; a new one gets the default (``0o666`` under the umask),
    not ``mkstemp``'s private 600."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mask = os.umask(0)  # read it: umask() only sets, so set it back at once
        os.umask(mask)
        mode = 0o666 & ~mask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cmd_export(args: argparse.Namespace) -> int:
    from ..export._files import EXPORT_SUFFIXES

    if args.table is not None:
        from ..export._tables import to_table

        if args.to is None:
            raise ConfigError(f"--table {args.table} needs --to LOCATION (the table's folder)")
        if args.start is not None or args.end is not None:
            raise ConfigError("--start/--end do not go with --table: a table merges every job")
        with _archive(args, create=False) as archive:
            table = to_table(archive, args.to, format=args.table, catalog=args.catalog)
        print(f"exported {table}")
        return EXIT_OK
    if args.to is not None or args.catalog is not None:
        raise ConfigError("--to and --catalog go with --table iceberg|delta")
    if args.dataset is not None:
        from ..export._dataset import export_dataset

        with _archive(args, create=False) as archive:
            result = export_dataset(archive, args.dataset, start=args.start, end=args.end)
        print(f"exported {result}")
        return EXIT_OK
    out = _output(args.output, EXPORT_SUFFIXES, stdout=True)
    with _archive(args, create=False) as archive:
        df = archive.to_frame(start=args.start, end=args.end)
    where = _write(df, out)
    print(
        f"exported {len(df)} archived jobs to {where}",
        file=sys.stderr if out == "-" else sys.stdout,
    )
    return EXIT_OK


def _cmd_sql(args: argparse.Namespace) -> int:
    from ..export._dataset import SQL_MEMORY_LIMIT, run_sql

    args.memory_limit = args.memory_limit or SQL_MEMORY_LIMIT

    out = _output(args.output, (".csv", ".parquet"), stdout=True) if args.output else None
    if args.archive is not None:
        with _archive(args, create=False) as archive:
            df = run_sql(args.query, archive=archive, memory_limit=args.memory_limit)
    else:
        df = run_sql(args.query, dataset=args.dataset, memory_limit=args.memory_limit)
    if out is None:
        with pd.option_context("display.max_rows", 200, "display.width", 200):
            print(df.to_string(index=False) if len(df.columns) else "(no result)")
        print(f"{len(df)} row(s)", file=sys.stderr)
    else:  # CSV as export writes it: formula cells neutralised (Parquet keeps values)
        where = _write(df, out)
        print(f"{len(df)} row(s) -> {where}", file=sys.stderr if out == "-" else sys.stdout)
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from ..report import data_window, month_bounds, monthly_report

    month = args.month or last_complete_month()
    start, end = month_bounds(month, args.tz)
    first, last = data_window(month, args.tz)  # the month and the 5 before it (the trend)
    out = _output(args.output or f"rds-reliability-{month}.html", (".html",))
    with _archive(args, create=False) as archive:
        df = archive.to_frame(start=first, end=last)
        coverage = archive.syncs()
        end_times = archive.end_time_differences()
    rep = monthly_report(
        df, month, tz=args.tz, title=args.title, coverage=coverage, target=args.target,
        end_times=end_times,
    )  # fmt: skip
    path = rep.save(out)
    n = int(((df["created"] >= start) & (df["created"] < end)).sum())
    print(f"report for {month}: {n} jobs -> {path} ({len(rep.html) / 1024:,.0f} KiB)")
    problems = tuple(getattr(rep, "problems", ()))
    for why in problems:  # the page says it too; a cron must not take it as a clean month
        print(f"rds-jobs: report incomplete: {why}", file=sys.stderr)
    return EXIT_PARTIAL if problems else EXIT_OK


def _wait_for_ctrl_c() -> None:
    """Block until Ctrl-C (tests replace this)."""
    while True:
        time.sleep(3600)


def _cmd_emulator(args: argparse.Namespace) -> int:
    from ..emulator import (
        DEMO_AK,
        DEMO_DOMAIN,
        DEMO_PASSWORD,
        DEMO_PROJECT,
        DEMO_SK,
        DEMO_TOKEN,
        DEMO_USER,
        Emulator,
    )
    from ..sample import SAMPLE_END, SAMPLE_START

    retention = args.retention_days
    quota = args.quota or None
    if args.fleet:
        return _serve_fleet(args, quota)
    emu = Emulator(port=args.port, quota=quota, latency=args.latency, retention_days=retention,
                   aksk={DEMO_AK: DEMO_SK})  # fmt: skip
    _start(emu, args.port)
    rate = _emulator_rate(quota)
    days = timedelta(days=emu.sample_shift_days)  # a retention moves the sample to today
    first, last = SAMPLE_START + days, SAMPLE_END + days
    month = last_complete_month(pd.Timestamp(last))
    if retention is not None:
        # the report line names the last complete month: it must be served whole, so the
        # retention window reaches back to its start when the days asked would not
        start = pd.Period(month, freq="M").start_time.tz_localize("UTC")
        retention = max(retention, (pd.Timestamp.now(tz="UTC") - start).days + 1)
        emu.retention_days = retention
    moved = f" (the sample moved {days.days} days later)" if days else ""
    print(f"emulator: the RDS task-center API on {emu.url}, project {DEMO_PROJECT}, "
          f"{len(emu.jobs)} sample jobs created {first:%Y-%m-%d} .. {last:%Y-%m-%d}{moved}",
          flush=True)  # fmt: skip
    if retention is None:
        window = f"--since {SAMPLE_START:%Y-%m-%d} --horizon-days 0"
        print("  every job is served: no retention (the real API forgets jobs after 30 days, "
              "and the sample is older than that); --retention-days 30 to act like it")  # fmt: skip
    else:
        window = f"--horizon-days {retention:g}"
        longer = (f" (more than the {args.retention_days:g} asked, so that {month}, the report's "
                  "month, is served whole)" if retention > args.retention_days else "")  # fmt: skip
        print(f"  jobs older than {retention:g} days{longer} answer DBS.200543 (not found), as "
              "the real API's do; the sample's dates are moved so that its newest job is from "
              "today")  # fmt: skip
    if quota:
        print(
            f"  quota: {quota} calls a minute, then 429 (the real API allows 60; this one "
            f"lets a demo finish in seconds); the command below asks {rate:g} a second"
        )
    else:
        print("  no quota (--quota 0): every call is answered")
    print(f"try, in another terminal (token auth; the emulator takes {DEMO_TOKEN!r}):")
    print(f"  export RDS_JOBS_TOKEN={DEMO_TOKEN}")
    print(f"  rds-jobs sync --endpoint {emu.url} --project-id {DEMO_PROJECT} "
          f"--archive jobs.sqlite {window} --rate-limit {rate:g}")  # fmt: skip
    print(f"  (or AK/SK: HUAWEICLOUD_SDK_AK={DEMO_AK} HUAWEICLOUD_SDK_SK={DEMO_SK}; or a "
          f"password: RDS_JOBS_USERNAME={DEMO_USER} RDS_JOBS_PASSWORD={DEMO_PASSWORD} "
          f"RDS_JOBS_DOMAIN={DEMO_DOMAIN})")  # fmt: skip
    print(f"  rds-jobs report --archive jobs.sqlite --month {month}")
    print("  (its project as a fleet file, asked of its IAM, for rds-jobs sync --fleet:)")
    print(f"  rds-jobs projects discover --account default --iam-endpoint {emu.url} "
          f"--endpoint {emu.url} -o emulator-fleet.toml", flush=True)  # fmt: skip
    return _serve_until_ctrl_c(emu)


def _serve_until_ctrl_c(emu: Any) -> int:
    """Serve until Ctrl-C, then stop the emulator and say so (exit 0)."""
    print("Ctrl-C stops the emulator.", flush=True)
    try:
        _wait_for_ctrl_c()
    except KeyboardInterrupt:
        print("emulator stopped")
    finally:
        emu.stop()
    return EXIT_OK


def _emulator_rate(quota: int | None) -> float:
    """The rate the emulator's printed commands ask: under its quota (no 429s), <= 100/s."""
    return min(100.0, 0.8 * quota / 60) if quota else 100.0


def _serve_fleet(args: argparse.Namespace, quota: int | None) -> int:
    """``rds-jobs emulator --fleet FILE``: the demo estate, and its fleet file."""
    from ..emulator import demo_fleet
    from ..sample import SAMPLE_END, SAMPLE_START
    from ..sync._fleet import load_fleet

    path = expand_path(Path(args.fleet))
    if path.exists() and not path.read_text(encoding="utf-8", errors="replace").startswith(
        _EMULATOR_FLEET_MARK
    ):
        raise ConfigError(f"--fleet {path}: the file exists and is not an emulator fleet file; "
                          "choose a new name (yours is never overwritten)")  # fmt: skip
    demo = demo_fleet(quota=quota, latency=args.latency)
    emu = demo.emulator
    emu._port = args.port  # the demo's emulator is not started yet: serve it where asked
    _start(emu, args.port)
    try:
        rate = _emulator_rate(quota)  # per account
        path.write_text(_EMULATOR_FLEET_MARK + demo.fleet_toml(emu.url, rate_limit=rate),
                        encoding="utf-8")  # fmt: skip
        fleet = load_fleet(path)
        print(f"emulator: the RDS task-center API and IAM on {emu.url}: "
              f"{len(fleet.accounts)} accounts, {len(fleet.projects)} projects, jobs created "
              f"{SAMPLE_START:%Y-%m-%d} .. {SAMPLE_END:%Y-%m-%d}; fleet file {path}")  # fmt: skip
        for acct in fleet.accounts:
            where = ", ".join(f"{p.region} {p.project_id}" for p in acct.projects)
            print(f"  account {acct.name} ({acct.auth}): {where}")
        print("try, in another terminal (the emulator's own demo credentials):")
        for name in sorted(demo.env):  # the password variables too (the file's comment)
            print(f"  export {name}={demo.env[name]}")
        print(f"  rds-jobs sync --fleet {path} --archive estate.sqlite --since "
              f"{SAMPLE_START:%Y-%m-%d} --horizon-days 0")  # fmt: skip
        print("  rds-jobs report --archive estate.sqlite --month "
              f"{last_complete_month(pd.Timestamp(SAMPLE_END))}")  # fmt: skip
    except BaseException:
        emu.stop()
        raise
    return _serve_until_ctrl_c(emu)


_EMULATOR_FLEET_MARK = "# written by rds-jobs emulator --fleet: the emulator's demo estate\n"


def _start(emu: Any, port: int) -> None:
    import errno

    try:
        emu.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CommandFailed(
                f"port {port} on 127.0.0.1 is already in use (another emulator?): "
                "choose another with --port N, or --port 0 for any free port"
            ) from None
        raise CommandFailed(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..emulator import demo_fleet
    from ..report import monthly_report
    from ..sample import SAMPLE_END, SAMPLE_START
    from ..store._archive import JobArchive
    from ..sync._fleet import load_fleet, sync_fleet

    out = expand_path(Path(args.out))
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo_archive.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    demo = demo_fleet()
    with demo.emulator as emu:
        fleet_path = out / "demo_fleet.toml"
        fleet_path.write_text(demo.fleet_toml(emu.url), encoding="utf-8")
        fleet = load_fleet(fleet_path)
        regions = sorted({p.region for p in fleet.projects})
        print(f"emulator: {emu.url} serving {len(fleet.accounts)} accounts, "
              f"{len(fleet.projects)} projects in {len(regions)} regions "
              f"({', '.join(regions)}); fleet file {fleet_path}")  # fmt: skip
        with JobArchive(db) as archive:
            # the emulator keeps the whole sample span (no 30-day horizon); details="auto"
            result = sync_fleet(
                fleet, archive, since=SAMPLE_START, until=SAMPLE_END + timedelta(hours=1),
                horizon=None, environ=demo.env, rate_limit=100.0,
                client_options={"max_workers": 8},
            )  # fmt: skip
            print(result)
            df = archive.to_frame()
            coverage = archive.syncs()
            end_times = archive.end_time_differences()
    span = f"{df['created'].min():%Y-%m-%d} .. {df['created'].max():%Y-%m-%d}"
    print(f"archive {db}: {len(df)} jobs, {df['job_name'].nunique()} job types, {span}")
    with pd.option_context("display.max_rows", 100, "display.width", 120):
        print(summarize(df).to_string())
    counts = df["status"].value_counts()
    print(
        f"total: {len(df)} jobs, {counts.get(FAILED, 0)} failed, {counts.get(RUNNING, 0)} running"
    )
    month = last_complete_month(df["created"].max())
    rep = monthly_report(df, month, coverage=coverage, end_times=end_times)
    path = rep.save(out / f"rds-reliability-{month}.html")
    print(f"report for {month} (the sample's last complete month, the whole estate): "
          f"{path.resolve()}")  # fmt: skip
    return EXIT_OK if result.complete else EXIT_PARTIAL


# -- the parser --------------------------------------------------------------------------
_CREDENTIALS = (
    "Credentials come from the environment: HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, "
    "RDS_JOBS_TOKEN, or RDS_JOBS_USERNAME/RDS_JOBS_PASSWORD/RDS_JOBS_DOMAIN."
)
_EXIT_CODES = (
    "Exit codes: 0 success, 1 partial success, 2 failure, 64 usage error, 130 interrupted "
    "(Ctrl-C: what was archived is kept)."
)
_ID_FILE = (
    "ID files (--file, or stdin): one ID a line; blank lines and lines starting with # are "
    "skipped; a first line 'id' or 'job_id' is a header, and a CSV (comma or tab) with an "
    "id or job_id column is read from that column. Whitespace inside an ID is removed; a "
    "token that is not a UUID (8-4-4-4-12 hex digits) or 32 hex digits is reported as "
    "not_found without asking the API. A missing or non-UTF-8 file is a usage error (64). "
    "Without -o or --archive, the main columns are printed as a table."
)


def _parser() -> argparse.ArgumentParser:
    from ..sync import _fetch as fetch  # the detail choices have their home there

    debug = _Parser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the traceback of an error, and debug logging")  # fmt: skip

    def command(name: str, help: str, examples: str, description: str | None = None) -> Any:
        return sub.add_parser(
            name, help=help, description=description or help[:1].upper() + help[1:] + ".",
            epilog="examples:\n" + examples, formatter_class=_Formatter, parents=[debug],
        )  # fmt: skip

    p = _Parser(
        prog="rds-jobs",
        formatter_class=_Formatter,
        description=f"Fetch, archive and analyse RDS task-center jobs. {_CREDENTIALS} "
        f"{_EXIT_CODES}",
        epilog="examples:\n"
        "  rds-jobs emulator        # the API offline: prints a sync command to try against it\n"
        "  rds-jobs sync --region ap-southeast-1 --project-id PROJECT --archive jobs.sqlite\n"
        "  rds-jobs report --archive jobs.sqlite --month 2026-10\n"
        "  rds-jobs COMMAND --help  # each command's options and examples",
    )
    p.add_argument("--version", action="version", version=f"rds-jobs {__version__}",
                   help="print the version and exit")  # fmt: skip
    p.add_argument("--debug", action="store_true", default=False,
                   help="show the traceback of an error, and debug logging")  # fmt: skip
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           title="commands")  # fmt: skip

    def existing_archive(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--archive", required=True, metavar="DB",
                        help="an existing SQLite archive (never created here)")  # fmt: skip

    def api_opts(sp: argparse.ArgumentParser) -> None:
        g = sp.add_argument_group("API")
        g.add_argument(
            "--project-id",
            metavar="PROJECT",
            help="project ID (default $HUAWEICLOUD_SDK_PROJECT_ID)",
        )
        where = g.add_mutually_exclusive_group()
        where.add_argument("--region", help="region, e.g. ap-southeast-1")
        where.add_argument(
            "--endpoint", metavar="URL", help="full base URL (other clouds, proxies, the emulator)"
        )
        g.add_argument(
            "--iam-endpoint", metavar="URL",
            help="IAM base URL for password credentials (default $HUAWEICLOUD_SDK_IAM_ENDPOINT; "
            "with --endpoint it must be named, unless the endpoint is loopback)",
        )  # fmt: skip
        g.add_argument("--rate-limit", type=_POSITIVE, default=None, metavar="PER_S",
                       help="requests a second, all workers together (default: a little under "
                       "the API's quota of 60 a minute; with "
                       "--fleet: for every account, instead of the fleet file's)")  # fmt: skip
        g.add_argument("--workers", type=_AT_LEAST_ONE, default=4, metavar="N",
                       help="concurrent requests (default 4)")  # fmt: skip
        g.add_argument(
            "--allow-http", action="store_true", help="allow plain http to a remote host"
        )

    f = command(
        "fetch", "fetch jobs by ID (arguments, --file or stdin)",
        "  rds-jobs fetch 31b8ae23-c687-4d80-b7b4-42a66c9bb886 --region ap-southeast-1\n"
        "  rds-jobs fetch --file ids.txt --archive jobs.sqlite -o jobs.parquet\n"
        "  rds-jobs fetch --file ids.csv -o - > jobs.csv   # CSV on stdout, summary on stderr",
        description=f"Fetch jobs by ID, one call each (archived finished jobs are not asked "
        f"again). {_ID_FILE}",
    )  # fmt: skip
    f.add_argument("ids", nargs="*", metavar="ID", help="job IDs")
    f.add_argument(
        "--file", metavar="PATH", help="file of job IDs ('-': stdin), in the format above"
    )
    f.add_argument("--archive", metavar="DB",
                   help="SQLite archive to read from and write to (created if missing)")  # fmt: skip
    f.add_argument(
        "--refresh", choices=get_args(fetch.Refresh), default="running",
        help="with --archive, ask again for: archived Running jobs (default), all, or none",
    )  # fmt: skip
    f.add_argument("-o", "--output", metavar="PATH",
                   help="write every column to .csv or .parquet; '-': CSV on stdout")  # fmt: skip
    api_opts(f)
    f.set_defaults(func=_cmd_fetch)

    s = command(
        "sync", "discover jobs via the task list and archive them",
        "  rds-jobs sync --region ap-southeast-1 --project-id PROJECT --archive jobs.sqlite\n"
        "  rds-jobs sync ... --archive jobs.sqlite --since 2026-11-01 --budget 100",
        description="Discover jobs via the task list and archive them (the archive is "
        "created if missing). After the summary, prints the archive's coverage of the API's "
        "30-day horizon and each gap no recorded sync covers before the last sync's end "
        "(one line each, UTC); time after that end is 'not synced yet', never a gap. Exits 1 "
        "when a gap starts leaving the horizon within 3 days (sync now or lose it: rerun "
        "with the --since it names), or when task-list records could not be read (named on "
        "stderr; the window is then not recorded as covered and the next sync lists it "
        "again); otherwise 0 success, 1 partial success, 2 failure, "
        "64 usage error, 130 interrupted (what was archived is kept).",
    )  # fmt: skip
    s.add_argument("--archive", required=True, metavar="DB",
                   help="SQLite archive (created if missing)")  # fmt: skip
    s.add_argument("--since", type=_when, metavar="WHEN",
                   help="window start (default: the oldest gap, else 30 days ago)")  # fmt: skip
    s.add_argument("--until", type=_when, metavar="WHEN", help="window end (default: now)")
    s.add_argument(
        "--details", choices=get_args(fetch.Details), default="auto",
        help="per-job calls: auto = storage scale-ups only (their volume sizes), all = every "
        "new and running job, none = the task list only (default: auto)",
    )  # fmt: skip
    s.add_argument(
        "--horizon-days", type=_DAYS, default=API_HORIZON.days, metavar="DAYS",
        help="how long the API keeps jobs (default: %(default)s); a window is never recorded "
        "older; 0: it keeps every job (the emulator), no gap check",
    )  # fmt: skip
    s.add_argument(
        "--budget", type=_COUNT, metavar="CALLS",
        help="at most this many per-job calls this run; the rest come next run, newest first",
    )  # fmt: skip
    s.add_argument(
        "--fleet", metavar="FILE",
        help="sync every project of a fleet file (accounts, credentials, projects) instead "
        "of one project; see the README's 'Whole estate'",
    )  # fmt: skip
    s.add_argument(
        "--wait", type=_SECONDS, default=0.0, metavar="SECONDS",
        help="with --fleet: wait this long for a project another sync holds, then skip it "
        "(default 0: skip at once, saying so)",
    )  # fmt: skip
    api_opts(s)
    s.set_defaults(func=_cmd_sync)

    pr = command(
        "projects", "list an account's projects from IAM, as a fleet file to review",
        "  rds-jobs projects discover --account prod -o fleet.toml\n"
        "  rds-jobs projects discover --account prod --fleet fleet.toml   # its credentials\n"
        "  rds-jobs projects discover --account dr --fleet dr.toml -o fleet.toml --append",
        description="Ask IAM (GET /v3/auth/projects) which projects an account has and write "
        "them as a fleet file (stdout, or -o FILE, never overwritten) for you to review; it "
        "never syncs. Credentials: the account's in --fleet, else the usual environment "
        "variables, whose names the file records.",
    )  # fmt: skip
    pr.add_argument("action", choices=["discover"], help="what to do (discover)")
    pr.add_argument("--account", required=True, metavar="NAME", help="the account's name")
    pr.add_argument("--fleet", metavar="FILE", help="read the account's credentials here")
    pr.add_argument("--iam-endpoint", metavar="URL",
                    help="IAM base URL (default: the account's, else the global IAM)")  # fmt: skip
    pr.add_argument("--endpoint", metavar="URL",
                    help="endpoint override written for every project (proxies, the emulator)")  # fmt: skip
    pr.add_argument("-o", "--output", metavar="PATH", help="write the fleet file here (.toml)")
    pr.add_argument("--append", action="store_true",
                    help="add this account to the existing -o file (one file, several accounts)")  # fmt: skip
    pr.set_defaults(func=_cmd_discover)

    e = command(
        "export", "export the archive to Parquet or CSV",
        "  rds-jobs export --archive jobs.sqlite -o jobs.parquet\n"
        "  rds-jobs export --archive jobs.sqlite --start 2026-10-01 --end 2026-11-01 -o - | head\n"
        "  rds-jobs export --archive jobs.sqlite --dataset lake/rds-jobs/   # incremental\n"
        "  rds-jobs export --archive jobs.sqlite --table iceberg --to lake/jobs   # merged",
    )  # fmt: skip
    existing_archive(e)
    to = e.add_mutually_exclusive_group(required=True)
    to.add_argument("-o", "--output", metavar="PATH",
                    help="path ending in .parquet or .csv; '-': CSV on stdout")  # fmt: skip
    to.add_argument(
        "--dataset", metavar="DIR",
        help="instead: a hive-partitioned Parquet dataset (account/region/month) that DuckDB, "
        "Spark and Dask read; a second export writes only the partitions that changed",
    )  # fmt: skip
    to.add_argument("--table", choices=("iceberg", "delta"),
                    help="instead: merge into an Iceberg or Delta table at --to (extras "
                    "[iceberg], [delta]); a rerun with nothing new commits nothing")  # fmt: skip
    e.add_argument("--to", metavar="LOCATION", help="the table's folder (with --table)")
    e.add_argument("--catalog", metavar="URI",
                   help="Iceberg's SQL catalog (default: the archive's own database)")  # fmt: skip
    e.add_argument("--start", type=_when, metavar="WHEN", help="created at or after (UTC)")
    e.add_argument("--end", type=_when, metavar="WHEN", help="created before (UTC)")
    e.set_defaults(func=_cmd_export)

    q = command(
        "sql", "run a DuckDB SQL query over the archive or a dataset (table jobs)",
        '  rds-jobs sql "SELECT region, count(*) AS jobs FROM jobs GROUP BY 1" --archive jobs.sqlite\n'
        '  rds-jobs sql "SELECT * FROM jobs WHERE status = \'Failed\'" --dataset lake/ -o f.csv',
        description="Run one DuckDB SQL query over the normalized jobs, as the table jobs (and "
        "the sync windows as syncs, with --archive), and print the result as a table or write "
        "it to .csv/.parquet. Read-only: the query cannot read or write files. Needs "
        "pip install 'rds-job-analytics[sql]'.",
    )  # fmt: skip
    q.add_argument("query", help="the SQL query (quote it)")
    src = q.add_mutually_exclusive_group(required=True)
    src.add_argument("--archive", metavar="DB", help="an existing archive (file or URL)")
    src.add_argument("--dataset", metavar="DIR", help="a dataset written by export --dataset")
    q.add_argument("-o", "--output", metavar="PATH",
                   help="write the result to .csv or .parquet ('-': CSV on stdout)")  # fmt: skip
    q.add_argument("--memory-limit", metavar="SIZE", default=None,
                   help="memory the query may use, e.g. 8GB (default: the package's "
                   "dataset.SQL_MEMORY_LIMIT; Ctrl-C stops a query at once)")  # fmt: skip
    q.set_defaults(func=_cmd_sql)

    r = command(
        "report", "write the monthly reliability report (HTML)",
        "  rds-jobs report --archive jobs.sqlite\n"
        "  rds-jobs report --archive jobs.sqlite --month 2026-10 --tz Asia/Shanghai -o oct.html",
    )  # fmt: skip
    existing_archive(r)
    r.add_argument("--month", metavar="YYYY-MM", help="default: the last complete month")
    r.add_argument("-o", "--output", metavar="PATH",
                   help="path ending in .html (default rds-reliability-YYYY-MM.html)")  # fmt: skip
    r.add_argument("--tz", default="UTC", help="time zone delimiting the month (default UTC)")
    r.add_argument("--title", help="report title")
    r.add_argument(
        "--target", type=_FRACTION, metavar="RATE",
        help="failure-rate target, e.g. 0.02 for 2%%: drawn on the charts, with the budget spent",
    )  # fmt: skip
    r.set_defaults(func=_cmd_report)

    m = command(
        "emulator", "serve the sample data on a local emulator (the API, offline)",
        "  rds-jobs emulator                 # prints a sync command to run against it\n"
        "  rds-jobs emulator --port 0 --quota 60 --retention-days 30   # like the real API\n"
        "  rds-jobs emulator --fleet demo-fleet.toml   # several accounts, regions, projects",
        description="Serve the sample data (5,000 jobs) on a local emulator of the API and "
        "print a command that syncs it in seconds. By default every job is served (the "
        f"sample is older than the real API's 30 days) and the quota is {EMULATOR_QUOTA} "
        "calls a minute (the real API allows 60). Ctrl-C stops it.",
    )  # fmt: skip
    m.add_argument("--port", type=_PORT, default=8080,
                   help="port on 127.0.0.1 (default 8080; 0: any free port)")  # fmt: skip
    m.add_argument("--quota", type=_COUNT, default=EMULATOR_QUOTA, metavar="CALLS",
                   help=f"calls a minute before 429 (default {EMULATOR_QUOTA}; 0: no limit)")  # fmt: skip
    m.add_argument("--latency", type=_SECONDS, default=0.0, metavar="SECONDS",
                   help="seconds added to every request (default 0)")  # fmt: skip
    keep = m.add_mutually_exclusive_group()
    keep.add_argument("--retention-days", type=_POSITIVE, metavar="DAYS",
                      help="answer only for jobs this recent, like the real API (30)")  # fmt: skip
    keep.add_argument("--no-retention", action="store_true",
                      help="serve every job (the default; kept for old scripts)")  # fmt: skip
    m.add_argument(
        "--fleet", metavar="FILE",
        help="serve a demo estate instead (2 accounts, AK/SK and token credentials, 3 regions) "
        "and write its fleet file here (never over a file of yours)",
    )  # fmt: skip
    m.set_defaults(func=_cmd_emulator)

    d = command(
        "demo", "emulator + sync into a fresh archive + summary + report",
        "  rds-jobs demo --out out/   # what make demo runs",
    )  # fmt: skip
    d.add_argument("--out", default="out", metavar="FOLDER",
                   help="folder for the demo archive and report (default out/)")  # fmt: skip
    d.set_defaults(func=_cmd_demo)
    return p


# -- errors ------------------------------------------------------------------------------
def _explain(exc: BaseException) -> tuple[int, str]:
    """(exit code, one line) for an error a command raised."""
    if isinstance(exc, ConfigError):
        return EXIT_USAGE, cli_words(str(exc))
    if isinstance(exc, CommandFailed):
        return EXIT_FAILED, str(exc)
    if isinstance(exc, RdsJobError):
        return EXIT_FAILED, f"{type(exc).__name__}: {cli_words(str(exc))}"
    if isinstance(exc, OSError):  # files; requests' errors too
        if exc.filename and exc.strerror:
            return EXIT_FAILED, f"'{exc.filename}': {exc.strerror}"
        return EXIT_FAILED, f"{type(exc).__name__}: {exc}"
    if isinstance(exc, sqlite3.Error):
        return EXIT_FAILED, f"archive: {type(exc).__name__}: {exc}"
    return EXIT_FAILED, (
        f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback, "
        "and please report it)"
    )


def _interrupted(args: argparse.Namespace) -> str:
    """The one line after Ctrl-C: what was kept."""
    if args.command not in ("sync", "fetch"):
        return "interrupted"
    if not getattr(args, "archive", None):
        return "interrupted: nothing kept (fetch keeps what it fetched with --archive DB)"
    if not hasattr(args, "archived_before"):
        return f"interrupted before {_shown(args.archive)} was opened: nothing changed"
    from ..store._archive import JobArchive

    try:
        with JobArchive.open(args.archive) as archive:
            n = len(archive)
    except (RdsJobError, OSError, sqlite3.Error):
        return f"interrupted: what was fetched is in {_shown(args.archive)}"
    return (f"interrupted: {n} jobs archived in {_shown(args.archive)} ({n - args.archived_before:+d} "
            "this run), all kept; rerun the same command to continue")  # fmt: skip


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    """A library warning as one line (no source line: the user did not write it)."""
    print(f"rds-jobs: warning: {cli_words(str(message))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rds-jobs``; returns the process exit code.

    ``--help`` and ``--version`` exit through ``SystemExit(0)``, as argparse does.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 success, 1 partial success, 2 failure, 64 usage error, 130 interrupted.

    Examples
    --------
    >>> main(["report", "--archive", ":memory:", "--month", "October"])
    64
    """
    try:
        args = _parser().parse_args(argv)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        if args.debug:
            logging.getLogger("rds_job_analytics").setLevel(logging.DEBUG)
    except _UsageError as exc:
        exc.parser.print_usage(sys.stderr)
        print(f"{exc.parser.prog}: error: {exc.message}\n"
              f"(see {exc.parser.prog} --help)", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C while starting: one line, as at any other time
        print("\nrds-jobs: interrupted while starting: nothing done", file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.func(args))
    except KeyboardInterrupt:
        if args.debug:
            traceback.print_exc()
        print(f"\nrds-jobs: {_interrupted(args)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_PARTIAL
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        code, message = _explain(exc)
        print(f"rds-jobs: {' '.join(message.split())}", file=sys.stderr)  # one line
        return code


if __name__ == "__main__":
    sys.exit(main())

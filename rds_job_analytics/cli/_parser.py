"""The argument parser: one builder per command."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn, get_args

from .._version import __version__
from ..normalize.schema import API_HORIZON
from ._commands import (
    _cmd_discover,
    _cmd_export,
    _cmd_fetch,
    _cmd_report,
    _cmd_sql,
    _cmd_sync,
)
from ._demo import _cmd_demo, _cmd_emulator
from ._inputs import _AT_LEAST_ONE, _COUNT, _DAYS, _FRACTION, _PORT, _POSITIVE, _SECONDS, _when
from ._words import _CREDENTIALS, _EXIT_CODES, _ID_FILE, EMULATOR_QUOTA


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


#: ``command(name, help, examples, description=None)``: a subcommand's parser.
_Command = Callable[..., argparse.ArgumentParser]


def build_parser() -> argparse.ArgumentParser:
    """The ``rds-jobs`` parser: global options, then each command from its builder."""
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

    for add in (_add_fetch, _add_sync, _add_projects, _add_export, _add_sql, _add_report,
                _add_emulator, _add_demo):  # fmt: skip
        add(command)
    return p


def _existing_archive(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--archive", required=True, metavar="DB",
                    help="an existing archive: a SQLite file or a postgresql:// URL (never created here)")  # fmt: skip


def _api_opts(sp: argparse.ArgumentParser) -> None:
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
    g.add_argument("--allow-http", action="store_true", help="allow plain http to a remote host")


def _add_fetch(command: _Command) -> None:
    """``rds-jobs fetch ID...``: jobs by ID."""
    from ..sync import Refresh  # the choices have their home there

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
                   help="archive to read from and write to: a SQLite file (created if missing) or a "
                        "postgresql:// URL")  # fmt: skip
    f.add_argument(
        "--refresh", choices=get_args(Refresh), default="running",
        help="with --archive, ask again for: archived Running jobs (default), all, or none",
    )  # fmt: skip
    f.add_argument("-o", "--output", metavar="PATH",
                   help="write every column to .csv or .parquet; '-': CSV on stdout")  # fmt: skip
    _api_opts(f)
    f.set_defaults(func=_cmd_fetch)


def _add_sync(command: _Command) -> None:
    """``rds-jobs sync``: the task list into the archive (one project or a fleet)."""
    from ..sync import Details  # the choices have their home there

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
                   help="archive: a SQLite file (created if missing) or a postgresql:// URL")  # fmt: skip
    s.add_argument("--since", type=_when, metavar="WHEN",
                   help="window start (default: the oldest gap, else 30 days ago)")  # fmt: skip
    s.add_argument("--until", type=_when, metavar="WHEN", help="window end (default: now)")
    s.add_argument(
        "--details", choices=get_args(Details), default="auto",
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
    _api_opts(s)
    s.set_defaults(func=_cmd_sync)


def _add_projects(command: _Command) -> None:
    """``rds-jobs projects discover``: an account's projects as a fleet file."""
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


def _add_export(command: _Command) -> None:
    """``rds-jobs export``: the archive to a file, a dataset or a table."""
    e = command(
        "export", "export the archive to Parquet or CSV",
        "  rds-jobs export --archive jobs.sqlite -o jobs.parquet\n"
        "  rds-jobs export --archive jobs.sqlite --start 2026-10-01 --end 2026-11-01 -o - | head\n"
        "  rds-jobs export --archive jobs.sqlite --dataset lake/rds-jobs/   # incremental\n"
        "  rds-jobs export --archive jobs.sqlite --table iceberg --to lake/jobs   # merged",
    )  # fmt: skip
    _existing_archive(e)
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


def _add_sql(command: _Command) -> None:
    """``rds-jobs sql QUERY``: DuckDB over the archive or a dataset."""
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
                   "export.SQL_MEMORY_LIMIT; Ctrl-C stops a query at once)")  # fmt: skip
    q.set_defaults(func=_cmd_sql)


def _add_report(command: _Command) -> None:
    """``rds-jobs report``: the monthly HTML report."""
    r = command(
        "report", "write the monthly reliability report (HTML)",
        "  rds-jobs report --archive jobs.sqlite\n"
        "  rds-jobs report --archive jobs.sqlite --month 2026-10 --tz Asia/Shanghai -o oct.html",
    )  # fmt: skip
    _existing_archive(r)
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


def _add_emulator(command: _Command) -> None:
    """``rds-jobs emulator``: the API, offline."""
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


def _add_demo(command: _Command) -> None:
    """``rds-jobs demo``: emulator, sync, summary and report."""
    d = command(
        "demo", "emulator + sync into a fresh archive + summary + report",
        "  rds-jobs demo --out out/   # what make demo runs",
    )  # fmt: skip
    d.add_argument("--out", default="out", metavar="FOLDER",
                   help="folder for the demo archive and report (default out/)")  # fmt: skip
    d.set_defaults(func=_cmd_demo)

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
import logging
import os
import sqlite3
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import Any

from ..exceptions import CommandFailed, ConfigError, RdsJobError
from ..stats import summarize  # summarize: also importable from here, as before
from . import _parser
from ._inputs import _shown
from ._inputs import id_tokens as id_tokens
from ._words import EMULATOR_QUOTA as EMULATOR_QUOTA
from ._words import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    EXIT_USAGE,
    cli_words,
)
from ._words import EXIT_OK as EXIT_OK
from ._words import MAX_FAILURE_LINES as MAX_FAILURE_LINES
from ._words import NOT_A_JOB_ID as NOT_A_JOB_ID

__all__ = ["main", "summarize"]


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
    from ..store import JobArchive

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
        args = _parser.build_parser().parse_args(argv)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        if args.debug:
            logging.getLogger("rds_job_analytics").setLevel(logging.DEBUG)
    except _parser._UsageError as exc:
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

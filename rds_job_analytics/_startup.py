"""Ctrl-C while ``rds-jobs`` is starting: one line and exit 130, never a traceback.

Once :func:`rds_job_analytics.cli.main` runs it turns Ctrl-C into one line and exit code
130. Before that, Python is still importing the package (pandas alone takes most of a
second), and a ``KeyboardInterrupt`` there would end in a traceback. The package's
``__init__`` imports this module first, which calls :func:`install`: in the
``rds-jobs`` process only (the console script's name), ``sys.excepthook`` then prints
such an interrupt as one line; Python still exits with the interrupt's status (130 in a
shell). Imported as a library (a notebook, a script), nothing changes.

Examples
--------
>>> install("/usr/bin/python3")  # not the command line: sys.excepthook is left alone
False
"""

from __future__ import annotations

import os
import sys
from types import TracebackType

__all__ = ["CLI_NAMES", "install"]

#: The names the console script runs under (``[project.scripts]`` in pyproject.toml).
CLI_NAMES = ("rds-jobs", "rds-jobs.exe", "rds-jobs-script.py")


def install(argv0: str | None = None) -> bool:
    """Make an uncaught Ctrl-C one line when this process is ``rds-jobs`` (``argv0``,
    default ``sys.argv[0]``, names it); True when installed (or already)."""
    if argv0 is None:
        argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0) not in CLI_NAMES:
        return False
    if getattr(sys.excepthook, "_rds_jobs", False):
        return True
    previous = sys.excepthook

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            print("\nrds-jobs: interrupted while starting: nothing done", file=sys.stderr)
            return
        previous(kind, value, tb)

    excepthook._rds_jobs = True  # type: ignore[attr-defined]
    sys.excepthook = excepthook
    return True


install()

"""Argument checks shared by every public function: one wording, one home.

Examples
--------
>>> check_choice("errors", "warn", ERRORS_CHOICES)
'warn'
>>> check_choice("errors", "loud", ERRORS_CHOICES)
Traceback (most recent call last):
...
rds_job_analytics.exceptions.ConfigError: errors must be one of 'warn', 'raise', 'ignore'; got 'loud'
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, TypeVar, get_args

from .exceptions import ConfigError

__all__ = [
    "ERRORS_CHOICES",
    "MAX_RATE",
    "PROJECT_ID_SHAPE",
    "Errors",
    "check_choice",
    "check_project_id",
    "check_rate",
    "expand_path",
]

#: What a function does with a bad record or a failed ID.
Errors = Literal["warn", "raise", "ignore"]
ERRORS_CHOICES: tuple[str, ...] = get_args(Errors)

T = TypeVar("T")
P = TypeVar("P", str, Path)


def check_choice(param: str, value: T, allowed: Iterable[object]) -> T:
    """Return ``value`` when it is one of ``allowed``; else a :class:`ConfigError`
    naming the parameter and every allowed value (after seaborn's ``_check_argument``).

    Examples
    --------
    >>> check_choice("freq", "D", ("D", "W"))
    'D'
    """
    options = tuple(allowed)
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ConfigError(f"{param} must be one of {listed}; got {value!r}")
    return value


#: The highest rate a pacing bucket, the client or a fleet file's ``rate_limit`` accepts,
#: in requests per second (the fleet file's old bound, now everyone's). Its interval, 1 us,
#: is about the finest step a bucket's state still resolves (epoch seconds in a double:
#: about 0.5 us today), and no API allows anything near it: a larger number is a mistake
#: (a quota per minute or per day written where a rate per second belongs).
MAX_RATE = 1_000_000.0


def check_rate(rate: object, name: str = "rate_limit", *, echo: bool = True) -> float:
    """``rate`` when it is a number of requests per second: finite, > 0 and at most
    :data:`MAX_RATE`, and not a ``bool`` (``True`` is no rate). The one home of the
    rule, for every pacing bucket, the client and the fleet file's ``rate_limit``.
    ``echo=False`` leaves the value out of the message (a file's value may be a pasted
    secret).

    Examples
    --------
    >>> check_rate(0.9)
    0.9
    >>> check_rate(True)
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: rate_limit must be a finite number > 0 requests/s, not True
    >>> check_rate(2e6)
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: rate_limit must be at most 1,000,000 requests/s, not 2000000.0
    >>> check_rate("s3cret", echo=False)
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: rate_limit must be a finite number > 0 requests/s
    """
    shown = f", not {rate!r}" if echo else ""
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not math.isfinite(rate)
        or rate <= 0
    ):
        raise ConfigError(f"{name} must be a finite number > 0 requests/s{shown}")
    if rate > MAX_RATE:
        raise ConfigError(f"{name} must be at most {MAX_RATE:,.0f} requests/s{shown}")
    return rate


#: A project ID as IAM gives it: 32 letters/digits (in practice lower-case hex). The one
#: home of the rule: it goes into every URL path, so nothing else may pass.
PROJECT_ID_SHAPE = re.compile(r"[0-9A-Za-z]{32}")


def check_project_id(value: object) -> str:
    """``value`` when it is a project ID (:data:`PROJECT_ID_SHAPE`); else a
    :class:`ConfigError` that shows at most its first characters (``/``, ``..``,
    whitespace or an overlong value never reach a URL).

    Examples
    --------
    >>> check_project_id("0123456789abcdef0123456789abcdef")
    '0123456789abcdef0123456789abcdef'
    >>> check_project_id("../../../etc")
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: project_id must be the project's 32-character ID (letters and digits), not '../../../etc'
    """
    if not isinstance(value, str) or not value:
        raise ConfigError("project_id is required (32 letters/digits, per region)")
    if PROJECT_ID_SHAPE.fullmatch(value) is None:
        shown = repr(value) if len(value) <= 40 else f"{value[:32]!r}... ({len(value)} characters)"
        raise ConfigError(
            f"project_id must be the project's 32-character ID (letters and digits), not {shown}"
        )
    return value


#: A variable in a path, as a shell (and :class:`string.Template`) writes it: ``$NAME`` or
#: ``${NAME}``. Any other ``$`` is a literal character.
_VARIABLE = re.compile(r"\$(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|\{(?P<braced>[^}]*)\})")


def expand_path(path: P) -> P:
    """``path`` with ``~`` (the home folder) and environment variables (``$VAR``,
    ``${VAR}``) expanded, as a shell would: the one rule for every path argument of the
    library and the CLI (archive files, exports, datasets, reports, fleet and ID files),
    so ``JobArchive("~/rds-jobs.sqlite")`` never makes a folder named ``~``. Expanded
    once: ``~`` first, then each variable, whose value is kept as it is (a ``$`` or ``~``
    in it is literal). A ``$`` not followed by a name (``a$.csv``) is literal. A ``str``
    stays a ``str`` and a ``Path`` a ``Path``; ``-`` (stdin/stdout), ``:memory:`` and a
    URL (``postgresql://...``: its password may hold a ``$``) are returned untouched.

    Raises
    ------
    ConfigError
        Naming the path, when it names a variable that is not set or a user that does not
        exist (``~nobody/x``): never a folder named after either.

    Examples
    --------
    >>> import os
    >>> os.environ["RDS_JOBS_EXAMPLE_DIR"] = "/data/rds"
    >>> expand_path("$RDS_JOBS_EXAMPLE_DIR/jobs.sqlite"), expand_path(":memory:")
    ('/data/rds/jobs.sqlite', ':memory:')
    >>> del os.environ["RDS_JOBS_EXAMPLE_DIR"]
    >>> expand_path(Path("~/jobs.sqlite")) == Path.home() / "jobs.sqlite"
    True
    >>> expand_path("$RDS_JOBS_NO_SUCH_VARIABLE/jobs.sqlite")
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: path '$RDS_JOBS_NO_SUCH_VARIABLE/jobs.sqlite': environment variable RDS_JOBS_NO_SUCH_VARIABLE is not set
    """
    text = os.fspath(path)
    if text in ("-", ":memory:") or "://" in text:
        return path
    head, rest = "", text
    if text.startswith("~"):  # first, as a shell does: a '~' in a variable's value is literal
        first, sep, rest = text.partition(os.sep)
        home = os.path.expanduser(first)
        if home == first:
            raise ConfigError(f"path {text!r}: no user {first[1:]!r} for its {first!r}")
        head = home + sep

    def value(match: re.Match[str]) -> str:  # scanned in the text as written, once
        name = match.group("name") or match.group("braced")
        if name not in os.environ:
            raise ConfigError(f"path {text!r}: environment variable {name} is not set")
        return os.environ[name]

    expanded = head + _VARIABLE.sub(value, rest)
    return type(path)(expanded) if isinstance(path, Path) else expanded

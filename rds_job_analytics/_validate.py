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

import re
from collections.abc import Iterable
from typing import Literal, TypeVar, get_args

from .exceptions import ConfigError

__all__ = ["ERRORS_CHOICES", "PROJECT_ID_SHAPE", "Errors", "check_choice", "check_project_id"]

#: What a function does with a bad record or a failed ID.
Errors = Literal["warn", "raise", "ignore"]
ERRORS_CHOICES: tuple[str, ...] = get_args(Errors)

T = TypeVar("T")


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

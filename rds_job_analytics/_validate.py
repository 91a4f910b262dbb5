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

from collections.abc import Iterable
from typing import Literal, TypeVar, get_args

from .exceptions import ConfigError

__all__ = ["ERRORS_CHOICES", "Errors", "check_choice"]

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

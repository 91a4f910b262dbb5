"""The shipped sample history: ~5,000 raw responses over Aug-Nov 2026.

:data:`SAMPLE_START` and :data:`SAMPLE_END` are the one home of the sample's time window:
the generator (``synth``), the demo (``rds-jobs demo``) and the tests read them.

Examples
--------
>>> from rds_job_analytics import load_sample
>>> raw = load_sample(raw=True)
>>> "job" in raw[0]
True
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal, overload

import orjson
import pandas as pd

from .exceptions import ConfigError

__all__ = ["SAMPLE_END", "SAMPLE_START", "load_sample", "sample_path"]

_FILE = "sample_jobs.jsonl.gz"

#: Creation times of the sample's jobs lie in ``[SAMPLE_START, SAMPLE_END)`` (UTC).
SAMPLE_START = datetime(2026, 8, 1, tzinfo=UTC)
#: End of the sample's window: jobs created later than this do not exist in the sample.
SAMPLE_END = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)


def sample_path() -> Path:
    """Path of the sample file, in an installed wheel or in a source checkout.

    Examples
    --------
    >>> sample_path().name
    'sample_jobs.jsonl.gz'
    """
    packaged = resources.files("rds_job_analytics") / "_data" / _FILE
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / "data" / _FILE
    if checkout.is_file():
        return checkout
    raise ConfigError(
        f"sample data {_FILE!r} not found in the package or at {checkout}; "
        "run `make sample` in a checkout"
    )


def _read_lines() -> list[bytes]:
    with gzip.open(sample_path(), "rb") as fh:
        return [line for line in fh.read().split(b"\n") if line.strip()]


@overload
def load_sample(raw: Literal[False] = ...) -> pd.DataFrame: ...
@overload
def load_sample(raw: Literal[True]) -> list[dict[str, Any]]: ...


def load_sample(raw: bool = False) -> pd.DataFrame | list[dict[str, Any]]:
    """Load the sample job history.

    Parameters
    ----------
    raw : bool
        ``False`` (default): the normalized frame. ``True``: the raw API responses
        (``{"job": {...}}`` dicts), quirks included.

    Examples
    --------
    >>> df = load_sample()
    >>> len(df) >= 5000
    True
    """
    lines = _read_lines()
    if raw:
        return [orjson.loads(line) for line in lines]
    from .normalize import normalize_jobs

    return normalize_jobs(lines, errors="raise")

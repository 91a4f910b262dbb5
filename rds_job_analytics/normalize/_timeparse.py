"""Timestamps of the columnar path: the API's own layout read in numpy, the rest by pandas.

The task center writes ``YYYY-MM-DDTHH:MM:SS+hhmm`` (24 bytes). Those values are read
straight from the UTF-8 bytes of an arrow string array; every other spelling (``Z``,
``+08:00``, fractions, junk) goes to :func:`parse_iso_strings`, the one ISO-8601
parser both normalizer paths share, in one call per column.

Examples
--------
>>> import pyarrow as pa
>>> t = times(pa.array(["2026-10-01T08:00:00+0800", "2026-10-01T00:00:00Z", None]), 3)
>>> t.todo.tolist()  # the "Z" spelling is left to pandas
[False, True, False]
>>> times_of([t]).tolist()[:2]
[Timestamp('2026-10-01 00:00:00+0000', tz='UTC'), Timestamp('2026-10-01 00:00:00+0000', tz='UTC')]
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from ._arrowtext import chunks, per_chunk, string_parts
from .schema import TEXT

__all__ = ["Times", "parse_iso_strings", "times", "times_of"]

_NAT = np.iinfo(np.int64).min


def parse_iso_strings(strings: pd.Series) -> pd.Series:
    """ISO-8601 text (NA allowed) -> datetime64[ns, UTC]; anything else becomes NaT.

    Case does not matter (``2026-10-01t08:00:00z``). NaT, never an exception, for junk,
    for words pandas would read as the current time (``now``, ``today``: a timestamp
    must start with its four-digit year) and for times outside the ``ns`` range
    (1677-09-21 .. 2262-04-11, so ``9999-12-31T23:59:59+0000``, a common "never").

    Examples
    --------
    >>> parse_iso_strings(pd.Series([" 2026-01-01T08:00:00+08:00 ", "junk"])).tolist()
    [Timestamp('2026-01-01 00:00:00+0000', tz='UTC'), NaT]
    >>> parse_iso_strings(pd.Series(["2026-10-01t08:00:00z", "now", "9999-12-31T23:59:59+0000"])).tolist()
    [Timestamp('2026-10-01 08:00:00+0000', tz='UTC'), NaT, NaT]
    """
    text = strings.astype(TEXT).str.strip().str.upper()
    text = text.where(text.str.match(_YEAR_FIRST, na=False))
    try:
        parsed = _to_utc_ns(text)
    except (ValueError, TypeError, OverflowError, NotImplementedError):
        # a value pandas chokes on even with errors="coerce": one at a time, junk is NaT
        parsed = pd.Series([_one(v) for v in text], dtype=UTC_NS)
    return parsed.reset_index(drop=True)


#: A timestamp starts with its year: everything else (``now``, ``today``) is junk.
_YEAR_FIRST = r"[0-9]{4}"
UTC_NS = pd.DatetimeTZDtype("ns", "UTC")
_NS_MIN = pd.Timestamp.min.tz_localize("UTC")
_NS_MAX = pd.Timestamp.max.tz_localize("UTC")


def _to_utc_ns(text: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    if parsed.dt.unit != "ns":  # pandas chose a coarser unit: values may lie outside ns
        parsed = parsed.where((parsed >= _NS_MIN) & (parsed <= _NS_MAX))
        parsed = parsed.dt.as_unit("ns")
    return parsed


def _one(value: Any) -> pd.Timestamp:
    if value is None or value is pd.NA:
        return pd.NaT
    try:
        return _to_utc_ns(pd.Series([value], dtype=TEXT)).iloc[0]
    except (ValueError, TypeError, OverflowError, NotImplementedError):
        return pd.NaT


class Times(NamedTuple):
    """One block's timestamp column, half read."""

    ns: np.ndarray
    """Epoch ns of the values read in numpy (NaT elsewhere)."""
    todo: np.ndarray
    """Rows left for pandas: valid, non-empty values not in the API's own layout."""
    rest: pa.Array | pa.ChunkedArray | None
    """The text of those rows (None when there are none)."""


def times(arr: pa.Array | pa.ChunkedArray | None, n: int) -> Times:
    """Read the API's own layout of a text column in numpy; mark the rest for pandas.

    Raises TypeError for a column that is not text (the caller falls back).
    """
    if arr is None or pa.types.is_null(arr.type):
        return Times(np.full(n, _NAT, dtype=np.int64), np.zeros(n, bool), None)
    if not pa.types.is_string(arr.type):
        raise TypeError(f"non-text timestamp of type {arr.type}")
    ints, done = _api_times(arr)
    # Left for pandas: valid, non-empty values not read above ("" is NaT either way).
    todo = ~done & per_chunk(arr, lambda c: np.diff(string_parts(c)[0]) > 0)
    if arr.null_count:
        todo &= np.asarray(arr.is_valid())
    return Times(ints, todo, arr.filter(pa.array(todo)) if todo.any() else None)


def times_of(parts: list[Times]) -> pd.Series:
    """Per-block times -> one UTC column; the leftovers go through pandas in one call."""
    ints = np.concatenate([p.ns for p in parts])
    rest = np.flatnonzero(np.concatenate([p.todo for p in parts]))
    if len(rest):
        picked = pa.chunked_array(
            [c for p in parts if p.rest is not None for c in chunks(p.rest)], type=pa.string()
        )
        parsed = parse_iso_strings(pd.Series(pd.array(picked, dtype=TEXT)))
        ints[rest] = parsed.dt.tz_localize(None).to_numpy().view(np.int64)
    return pd.Series(ints.view("M8[ns]")).dt.tz_localize("UTC")


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _api_times(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Epoch ns of the values in the API's own ``YYYY-MM-DDTHH:MM:SS+hhmm`` layout.

    Returns (ns, mask): ``mask`` marks the values read here; they are exactly those
    whose every field is in range (a real date, hour <= 23, offset <= 14:59), so the
    shared pandas parser would read them the same. Everything else is left to it.
    """
    parts = [_api_times_1(c) for c in chunks(arr)]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _api_times_1(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    n = len(arr)
    offsets, data = string_parts(arr)
    ok = np.diff(offsets) == 24
    if arr.null_count:
        ok &= np.asarray(arr.is_valid())
    rows = np.flatnonzero(ok)
    ns = np.full(n, _NAT, dtype=np.int64)
    mask = np.zeros(n, dtype=bool)
    step = 1 << 16  # small blocks: temporaries stay in cache and in reused memory
    for lo in range(0, len(rows), step):
        part = rows[lo : lo + step]
        secs, good = _api_seconds(data, offsets[part])
        ns[part[good]] = secs[good] * 1_000_000_000
        mask[part[good]] = True
    return ns, mask


def _api_seconds(data: np.ndarray, st: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds and validity of the 24-byte values starting at ``st``."""
    byte = {k: data[st + k] for k in range(24)}
    digit = {}
    good = np.ones(len(st), dtype=bool)
    for k in (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23):
        digit[k] = byte[k] - np.uint8(48)  # wraps above 9 for anything below '0'
        good &= digit[k] <= 9
    for k, ch in ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")):
        good &= byte[k] == ord(ch)
    minus = byte[19] == ord("-")
    good &= minus | (byte[19] == ord("+"))

    def num(*ks: int) -> np.ndarray:
        out = digit[ks[0]].astype(np.int64)
        for k in ks[1:]:
            out = out * 10 + digit[k]
        return out

    year, month, day = num(0, 1, 2, 3), num(5, 6), num(8, 9)
    hour, minute, second = num(11, 12), num(14, 15), num(17, 18)
    off_h, off_m = num(20, 21), num(22, 23)
    good &= (year >= 1700) & (year <= 2200) & (month >= 1) & (month <= 12) & (day >= 1)
    good &= (hour <= 23) & (minute <= 59) & (second <= 59) & (off_h <= 14) & (off_m <= 59)
    month[~good] = 1
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    good &= day <= _DAYS_IN_MONTH[month] + ((month == 2) & leap)
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    offset = off_h * 3600 + off_m * 60
    offset[minus] *= -1
    return days * 86400 + hour * 3600 + minute * 60 + second - offset, good

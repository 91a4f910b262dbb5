"""Time: the one clock, UTC conversion, and calendar months. Every module reads the time here.

The clock is injectable: :func:`use_clock` swaps it for a block (tests move time forward
instead of sleeping), and functions that take ``now=`` keep taking it.

Examples
--------
>>> from datetime import UTC, datetime
>>> with use_clock(lambda: datetime(2026, 11, 3, tzinfo=UTC)):
...     utcnow().isoformat(), last_complete_month()
('2026-11-03T00:00:00+00:00', '2026-10')
>>> month_bounds("2026-10")
(Timestamp('2026-10-01 00:00:00+0000', tz='UTC'), Timestamp('2026-11-01 00:00:00+0000', tz='UTC'))
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from .exceptions import ConfigError

__all__ = [
    "Clock",
    "aware",
    "epoch_seconds",
    "last_complete_month",
    "month_bounds",
    "to_epoch_ms",
    "to_utc",
    "use_clock",
    "utcnow",
    "whole_months",
]

#: A clock: no argument, returns a tz-aware datetime.
Clock = Callable[[], datetime]


def _system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Clock = _system_clock
_clock_lock = threading.Lock()


def utcnow() -> datetime:
    """The current time, tz-aware UTC, from the one clock (see :func:`use_clock`).

    Examples
    --------
    >>> utcnow().tzinfo
    datetime.timezone.utc
    """
    return aware(_clock()).astimezone(UTC)


def epoch_seconds() -> float:
    """The one clock as seconds since the epoch (what leases and token expiry compare).

    Examples
    --------
    >>> with use_clock(lambda: datetime(1970, 1, 1, 0, 1, tzinfo=UTC)):
    ...     epoch_seconds()
    60.0
    """
    return utcnow().timestamp()


@contextmanager
def use_clock(clock: Clock | datetime) -> Iterator[None]:
    """Read the time from ``clock`` (a callable, or a fixed datetime) inside the block, in
    every thread; the previous clock comes back after it.

    Examples
    --------
    >>> with use_clock(datetime(2030, 1, 1, tzinfo=UTC)):
    ...     utcnow().year
    2030
    """
    global _clock
    fn: Clock = (lambda: clock) if isinstance(clock, datetime) else clock  # type: ignore[assignment]
    with _clock_lock:
        before, _clock = _clock, fn
    try:
        yield
    finally:
        with _clock_lock:
            _clock = before


def aware(when: datetime) -> datetime:
    """A datetime with a time zone: a naive one is taken as UTC.

    Examples
    --------
    >>> aware(datetime(2026, 1, 1)).tzinfo
    datetime.timezone.utc
    """
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def to_utc(value: Any) -> pd.Timestamp:
    """A datetime, date string or Timestamp as a tz-aware UTC Timestamp (naive = UTC).

    Examples
    --------
    >>> to_utc("2026-10-01 08:00+08:00")
    Timestamp('2026-10-01 00:00:00+0000', tz='UTC')
    """
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def to_epoch_ms(value: Any) -> int:
    """Milliseconds since the epoch (what the task-list API takes); numbers pass through.

    Examples
    --------
    >>> to_epoch_ms("2026-01-01")
    1767225600000
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return to_utc(value).as_unit("ns").value // 1_000_000


def month_bounds(month: Any, tz: str = "UTC") -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC ``[start, end)`` of a calendar month in time zone ``tz``.

    Parameters
    ----------
    month : str or pandas.Period
        ``"YYYY-MM"`` (or a monthly ``Period``).
    tz : str
        IANA time zone whose midnight delimits the month.

    Returns
    -------
    (pandas.Timestamp, pandas.Timestamp)
        Start and end of the month, tz-aware UTC.

    Raises
    ------
    ConfigError
        For a month not written ``YYYY-MM`` or an unknown time zone.

    Examples
    --------
    >>> month_bounds("2026-10", tz="Asia/Shanghai")[0]
    Timestamp('2026-09-30 16:00:00+0000', tz='UTC')
    """
    if isinstance(month, str) and not re.fullmatch(r"\d{4}-\d{2}", month.strip()):
        raise ConfigError(f"month must look like 'YYYY-MM', not {month!r}")
    try:
        period = pd.Period(month, freq="M")
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"month must look like 'YYYY-MM', not {month!r}") from exc
    try:
        start = pd.Timestamp(period.start_time).tz_localize(tz)
    except Exception as exc:  # pytz, zoneinfo and dateutil each raise their own error
        raise ConfigError(f"unknown time zone tz={tz!r}") from exc
    end = pd.Timestamp((period + 1).start_time).tz_localize(tz)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def whole_months(start: Any, end: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``[start, end)`` widened to whole UTC months (``None`` stays open).

    Examples
    --------
    >>> whole_months("2026-10-15", "2026-11-02")
    (Timestamp('2026-10-01 00:00:00+0000', tz='UTC'), Timestamp('2026-12-01 00:00:00+0000', tz='UTC'))
    """
    lo = hi = None
    if start is not None:
        lo = month_bounds(to_utc(start).tz_convert(None).to_period("M"))[0]
    if end is not None:
        e = to_utc(end)
        hi = month_bounds(e.tz_convert(None).to_period("M"))[0]
        if hi < e:
            hi = month_bounds(e.tz_convert(None).to_period("M"))[1]
    return lo, hi


def last_complete_month(now: Any = None) -> str:
    """The last calendar month (UTC) that has ended: ``"YYYY-MM"``.

    Examples
    --------
    >>> last_complete_month("2026-12-03")
    '2026-11'
    """
    ts = to_utc(utcnow() if now is None else now).tz_convert(None)
    return str(pd.Period(ts, freq="M") - 1)

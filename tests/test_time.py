"""``_time``: the one clock (injectable, seen by every thread), UTC conversion, months."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

from rds_job_analytics import ConfigError
from rds_job_analytics._time import (
    aware,
    epoch_seconds,
    last_complete_month,
    month_bounds,
    to_epoch_ms,
    to_utc,
    use_clock,
    utcnow,
    whole_months,
)


def test_the_injected_clock_is_seen_by_every_thread_and_restored():
    fixed = datetime(2030, 5, 17, 12, tzinfo=UTC)
    seen: list[datetime] = []
    with use_clock(fixed):
        worker = threading.Thread(target=lambda: seen.append(utcnow()))
        worker.start()
        worker.join()
        assert utcnow() == fixed and epoch_seconds() == fixed.timestamp()
    assert seen == [fixed]
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)  # the system clock again


def test_a_moving_clock_and_a_naive_one():
    ticks = iter([datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 0, 5)])
    with use_clock(lambda: next(ticks)):
        assert utcnow() == datetime(2026, 1, 1, tzinfo=UTC)  # naive is taken as UTC
        assert utcnow().second == 5
    assert aware(datetime(2026, 1, 1)).tzinfo is UTC


def test_an_offset_clock_reads_as_utc():
    east8 = timezone(timedelta(hours=8))
    with use_clock(datetime(2026, 10, 1, 8, tzinfo=east8)):
        assert utcnow() == datetime(2026, 10, 1, 0, tzinfo=UTC)
        assert last_complete_month() == "2026-09"


def test_utc_and_epoch_conversions():
    assert to_utc("2026-10-01 08:00+08:00") == pd.Timestamp("2026-10-01", tz="UTC")
    assert to_utc(datetime(2026, 10, 1)) == pd.Timestamp("2026-10-01", tz="UTC")
    assert to_epoch_ms("1970-01-01T00:00:01Z") == 1000
    assert to_epoch_ms(1234) == 1234


def test_month_bounds_in_a_time_zone_and_refusals():
    start, end = month_bounds("2026-03", tz="Europe/Paris")  # the clocks change on 29 March
    assert (start, end) == (
        pd.Timestamp("2026-02-28 23:00", tz="UTC"),
        pd.Timestamp("2026-03-31 22:00", tz="UTC"),
    )
    with pytest.raises(ConfigError, match="YYYY-MM"):
        month_bounds("2026-3")
    with pytest.raises(ConfigError, match="unknown time zone"):
        month_bounds("2026-03", tz="Mars/Olympus")


def test_whole_months_widen_an_open_window():
    assert whole_months("2026-10-01", "2026-11-01") == (
        pd.Timestamp("2026-10-01", tz="UTC"),
        pd.Timestamp("2026-11-01", tz="UTC"),
    )
    assert whole_months(None, "2026-11-01 00:00:01") == (None, pd.Timestamp("2026-12-01", tz="UTC"))

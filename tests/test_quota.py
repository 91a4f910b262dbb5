"""The one pacing rule (quota.py): PacedBucket's GCRA step for every bucket, the memory
one (TokenBucket) included; one rate check; the client takes its bucket when built."""

from __future__ import annotations

import math
import threading
import time

import pytest

import rds_job_analytics as rja
from rds_job_analytics import ConfigError, JobsClient, TokenAuth, TokenBucket
from rds_job_analytics._validate import check_rate
from rds_job_analytics.exceptions import Interrupted, QuotaCancelled
from rds_job_analytics.quota import (
    BucketChain,
    PacedBucket,
    SharedTokenBucket,
    auth_identity,
    bucket_path,
)

P = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("rate", [True, False, math.nan, math.inf, -math.inf, 0, -1.0, "1"])
def test_one_rate_check_refuses_what_is_no_rate(rate):
    with pytest.raises(ConfigError, match="rate_limit must be a finite number > 0"):
        check_rate(rate)


@pytest.mark.parametrize("make", ["paced", "memory", "file", "client"])
def test_a_bool_is_no_rate_for_any_bucket_nor_the_client(make, tmp_path):
    """rate_limit=True was 1 call/s for the file bucket (only the memory one said no)."""
    build = {
        "paced": lambda: PacedBucket(rate=True),
        "memory": lambda: TokenBucket(rate=True),
        "file": lambda: SharedTokenBucket(bucket_path("ak:AK", tmp_path), rate=True),
        "client": lambda: JobsClient(P, region="ap-southeast-1", auth=TokenAuth("t"),
                                     rate_limit=True),
    }[make]  # fmt: skip
    with pytest.raises(ConfigError, match="not True"):
        build()


def test_token_bucket_is_a_paced_bucket_wherever_it_is_named():
    from rds_job_analytics import api, quota

    assert issubclass(TokenBucket, PacedBucket)
    assert rja.TokenBucket is api.TokenBucket is quota.TokenBucket
    b = TokenBucket(rate=4.0, burst=2)
    assert (b.interval, b.tau) == (0.25, 0.25)


def test_the_memory_bucket_takes_the_one_gcra_step():
    """Its clock replaced: a burst of 2 at 1/s goes at once, then one a second, each slot
    reserved no further than max_wait ahead (the shared buckets' rule)."""
    clock = [100.0]
    b = TokenBucket(rate=1.0, burst=2, clock=lambda: clock[0])
    steps = [b._reserve() for _ in range(4)]
    assert steps == [(-1.0, True), (0.0, True), (1.0, True), (2.0, True)]
    clock[0] += 10.0
    assert b._reserve() == (-1.0, True)


def test_a_stop_event_ends_a_wait_at_once_and_cancel_refuses():
    b = TokenBucket(rate=0.01)  # a slot every 100 s
    assert b.acquire() == 0.0
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    b.acquire(stop=stop)  # would wait 100 s: the set event ends it at once
    assert time.monotonic() - started < 5
    b.cancel()
    with pytest.raises(QuotaCancelled):
        b.acquire(stop=threading.Event())


def test_a_chain_passes_the_stop_event_to_each_bucket(tmp_path):
    a = SharedTokenBucket(bucket_path("ak:A", tmp_path), rate=0.01)
    chain = BucketChain(a, TokenBucket(rate=0.01))
    chain.acquire()
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    chain.acquire(stop=stop)
    assert time.monotonic() - started < 5


def test_the_client_takes_its_bucket_when_built_and_interrupt_wakes_its_wait(tmp_path):
    shared = SharedTokenBucket(bucket_path("token:t", tmp_path), rate=0.01)
    c = JobsClient(P, region="ap-southeast-1", auth=TokenAuth("t"), bucket=shared)
    assert c.bucket is shared
    assert isinstance(JobsClient(P, region="ap-southeast-1", auth=TokenAuth("t")).bucket,
                      TokenBucket)  # fmt: skip
    shared.acquire()  # the next slot is 100 s away
    caught: list[BaseException] = []

    def call() -> None:
        try:
            c.get_job("j1")
        except BaseException as exc:
            caught.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    c.interrupt()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert len(caught) == 1 and isinstance(caught[0], Interrupted)
    assert c.calls == 0


def test_quota_imports_nothing_of_the_api_the_identity_is_the_auths():
    import ast
    from pathlib import Path

    from rds_job_analytics import AkSkAuth, PasswordAuth, quota

    tree = ast.parse(Path(quota.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m.startswith("api") or ".api" in m]
    assert auth_identity(TokenAuth("t")) == "token:t"
    assert auth_identity(PasswordAuth("alice", "pw", "acme")) == "user:acme/alice"
    assert auth_identity(object()) is None
    pytest.importorskip("huaweicloudsdkcore")
    assert auth_identity(AkSkAuth("AKEXAMPLE", "sk")) == "ak:AKEXAMPLE"


def test_token_bucket_paces_threads():
    import threading

    bucket = TokenBucket(rate=50.0)
    stamps = []
    lock = threading.Lock()

    def go():
        for _ in range(5):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    # 20 requests at 50/s: the schedule spaces them 20 ms apart (no two in the same slot)
    assert len(stamps) == 20
    assert stamps[-1] - stamps[0] >= 19 * 0.02 * 0.9


@pytest.mark.parametrize("make", ["paced", "file"])
def test_the_epoch_buckets_read_the_one_clock(make, tmp_path):
    """PacedBucket and the file bucket default to ``_time.epoch_seconds``: under
    ``use_clock`` their GCRA steps follow the injected time (the memory bucket keeps the
    monotonic clock: its state never leaves the process)."""
    from datetime import UTC, datetime

    from rds_job_analytics._time import epoch_seconds, use_clock

    now = [datetime(2031, 5, 1, tzinfo=UTC).timestamp()]
    with use_clock(lambda: datetime.fromtimestamp(now[0], UTC)):
        b = {
            "paced": lambda: PacedBucket(rate=1.0, burst=2),
            "file": lambda: SharedTokenBucket(bucket_path("ak:AK", tmp_path), rate=1.0, burst=2),
        }[make]()
        assert b._clock is epoch_seconds
        if make == "paced":  # no state of its own: the GCRA step at the injected time
            assert b._next(now[0] + 3.0, now[0], "t") == (now[0] + 4.0, 2.0, True)
            return
        assert [b._reserve() for _ in range(3)] == [(-1.0, True), (0.0, True), (1.0, True)]
        now[0] += 10.0  # the injected clock moved: the burst is back
        assert b._reserve() == (-1.0, True)

"""Quota and stop behaviour under hostile answers (issue 14, items 4, 12, 13 and 15).

``Retry-After: nan`` does not crash a worker; a refused login or a token the API keeps
refusing stops the batch after one attempt; Ctrl-C stops a batch whose workers sleep on
``Retry-After: 30`` at once, with what arrived archived; ``rate_limit`` must be a finite
positive number; a task list that ignores ``offset`` stops; an answer about another job is
refused.
"""

from __future__ import annotations

import gzip
import signal
import socket
import threading
import time
import tracemalloc
import warnings
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import orjson
import pandas as pd
import pytest
import responses
from responses import registries

import rds_job_analytics.api._client as client_module
from rds_job_analytics import (
    ApiError,
    AuthError,
    ConfigError,
    FetchWarning,
    JobArchive,
    JobsClient,
    PasswordAuth,
    ServerError,
    TokenAuth,
    fetch_jobs,
)
from rds_job_analytics.emulator import DEMO_DOMAIN, DEMO_USER, Emulator
from tests.loopback import Recorder, reply

P = "0123456789abcdef0123456789abcdef"
BASE = "https://rds.ap-southeast-1.myhuaweicloud.com"
JOBS = f"{BASE}/v3/{P}/jobs"
TASKS = f"{BASE}/v3/{P}/tasklist"
JOB = {"job": {"id": "j1", "name": "RestartMysqlInstance", "status": "Completed"}}


def client(**kw):
    kw.setdefault("auth", TokenAuth("t"))
    kw.setdefault("rate_limit", 1000.0)
    kw.setdefault("backoff", 0.001)
    return JobsClient(P, region="ap-southeast-1", **kw)


# -- item 4: Retry-After that is not a number of seconds ------------------------------------
@responses.activate(registry=registries.OrderedRegistry)
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-5", "1e999"])
def test_meaningless_retry_after_falls_back_to_the_backoff(monkeypatch, value):
    waits = []
    monkeypatch.setattr(client_module, "_wait", lambda event, s: waits.append(s) or False)
    responses.get(
        JOBS, status=429, headers={"Retry-After": value}, json={"error_code": "APIGW.0308"}
    )
    responses.get(JOBS, json=JOB)
    c = client(backoff=0.5, max_backoff=2.0)
    assert c.get_job("j1") == JOB
    assert len(waits) == 1 and 0 <= waits[0] <= 0.5  # the jittered backoff of attempt 0


@responses.activate
def test_retry_after_nan_on_the_final_answer_is_absent():
    responses.get(
        JOBS, status=429, headers={"Retry-After": "nan"}, json={"error_code": "APIGW.0308"}
    )
    with pytest.raises(ApiError) as info:
        client(max_retries=0).get_job("j1")
    assert info.value.retry_after is None


# -- item 12: authentication failures that cannot heal stop the batch -----------------------
IDS = [f"{i:032x}" for i in range(200)]


def test_a_wrong_password_costs_one_login_for_a_batch_of_200():
    with Emulator([], retention_days=None) as emu:
        auth = PasswordAuth(DEMO_USER, "wrong-password", DEMO_DOMAIN, iam_endpoint=emu.url)
        with emu.client(auth=auth, max_workers=8) as c:
            with pytest.warns(FetchWarning, match="200 auth_error"):
                df = fetch_jobs(c, IDS, progress=False)
            calls, interrupted = c.calls, c.interrupted
        counts = dict(emu.counts)
    assert counts.get("auth") == 1 and auth.token_requests == 1  # one login, not 200
    assert calls == 0 and counts.get("jobs") is None
    assert (df["fetch_status"] == "auth_error").all() and len(df) == 200
    assert df["fetch_error"].str.contains("IAM.0002").all()  # every row says why
    assert not df["fetch_error"].str.contains("wrong-password").any()
    assert not interrupted  # the client is usable again (for other credentials: a new auth)
    with pytest.raises(AuthError, match="not asked again"):  # and still asks IAM no more
        auth.headers("GET", "http://127.0.0.1:1", [], None, context=c.auth_context)
    assert auth.token_requests == 1


def test_a_token_the_api_keeps_refusing_stops_the_batch():
    with Emulator([], retention_days=None) as emu:
        with emu.client(auth=TokenAuth("revoked-token"), max_workers=4) as c:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FetchWarning)
                df = fetch_jobs(c, IDS[:60], progress=False, errors="ignore")
            calls = c.calls
    assert calls <= c.max_workers  # what was on the wire when the first 401 came back
    assert (df["fetch_status"] == "auth_error").all()
    stopped = df["fetch_error"].str.startswith("not asked: the batch stopped after HTTP 401")
    assert stopped.sum() >= 60 - c.max_workers


def test_a_missing_job_does_not_stop_the_batch():
    job = {"job": {"id": IDS[1], "status": "Completed", "created": "2026-11-01T08:00:00Z"}}
    with Emulator([job], retention_days=None) as emu, emu.client() as c:
        df = fetch_jobs(c, IDS[:3], progress=False, errors="ignore")
    assert df["fetch_status"].tolist() == ["not_found", "ok", "not_found"]


# -- item 13: Ctrl-C ------------------------------------------------------------------------
def slow_api(ok_ids: set[str]) -> Recorder:
    """Answers ``ok_ids`` at once and everything else with 429 ``Retry-After: 30``."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        jid = parse_qs(urlsplit(handler.path).query).get("id", [""])[0]
        if jid in ok_ids:
            body = {"job": {"id": jid, "status": "Completed", "created": "2026-11-01T08:00:00Z"}}
            reply(200, {"Content-Type": "application/json"}, orjson.dumps(body))(handler)
        else:
            body = {"error_code": "APIGW.0308", "error_msg": "throttled"}
            reply(429, {"Content-Type": "application/json", "Retry-After": "30"},
                  orjson.dumps(body))(handler)  # fmt: skip

    return Recorder(answer, protocol="HTTP/1.1")


@pytest.fixture
def sigint_raises():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


def test_ctrl_c_stops_workers_sleeping_on_retry_after_at_once(sigint_raises, monkeypatch):
    ok = {"a0", "a1"}
    ids = ["a0", "a1", *[f"b{i}" for i in range(20)]]
    api = slow_api(ok)
    archive = JobArchive(":memory:")
    main = threading.main_thread().ident
    c = JobsClient(P, endpoint=api.url, auth=TokenAuth("t"), rate_limit=1000.0, max_workers=4)
    waiting, lock, asleep = [0], threading.Lock(), threading.Event()
    real_wait = client_module._wait

    def counted_wait(event, seconds):  # the client's backoff sleep, counted: no guessing
        with lock:
            waiting[0] += 1
            if waiting[0] >= 4:
                asleep.set()
        try:
            return real_wait(event, seconds)
        finally:
            with lock:
                waiting[0] -= 1

    monkeypatch.setattr(client_module, "_wait", counted_wait)

    def press_ctrl_c():  # once every worker sleeps on a 429 (Retry-After: 30)
        asleep.wait(20)
        signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            fetch_jobs(c, ids, archive=archive, progress=False)
        elapsed = time.monotonic() - started
    finally:
        api.close()
    assert asleep.is_set()  # Ctrl-C came with 4 workers inside the client's backoff wait
    asked = len(api.seen)
    print(f"Ctrl-C with 4 workers on Retry-After: 30 returned after {elapsed:.2f} s")
    assert elapsed < 10  # not the 30 s of a Retry-After, let alone 5 retries of it
    assert asked <= 2 + 4  # no retry went out after Ctrl-C
    assert set(archive.statuses(P)) == ok  # what arrived is committed
    assert not c.interrupted  # the client can be used again


def test_an_interrupted_client_sends_nothing_until_resumed():
    with Emulator([], retention_days=None) as emu, emu.client() as c:
        c.interrupt()
        df = fetch_jobs(c, ["j1", "j2"], errors="ignore", progress=False)
        assert c.calls == 0 and (df["fetch_status"] == "error").all()
        assert df["fetch_error"].str.startswith("interrupted").all()
        c.resume()
        fetch_jobs(c, ["j1"], errors="ignore", progress=False)
        assert c.calls == 1


# -- item 15: pacing, paging and answers about another job ----------------------------------
@pytest.mark.parametrize("rate", [float("nan"), float("inf"), 0, -1.0, True])
def test_rate_limit_must_be_a_finite_positive_number(rate):
    with pytest.raises(ConfigError, match="rate_limit must be a finite number > 0"):
        client(rate_limit=rate)


@responses.activate
def test_a_task_list_that_ignores_offset_stops_with_a_clear_error():
    tasks = [{"id": f"t{i}", "status": "Completed"} for i in range(3)]
    calls = []

    def same_page(request):
        calls.append(request.url)
        if len(calls) > 50:  # before the fix the listing never ended
            raise AssertionError("still paging after 50 calls")
        return 200, {}, orjson.dumps({"total_count": 3, "tasks": tasks})

    responses.add_callback(responses.GET, TASKS, callback=same_page)
    got = []
    with pytest.raises(ApiError, match="ignores offset"):
        for t in client().list_tasks(limit=50):
            got.append(t["id"])
    assert got == ["t0", "t1", "t2"] and len(calls) == 2


@responses.activate
def test_an_answer_about_another_job_is_refused_and_not_archived():
    responses.get(JOBS, json={"job": {"id": "j2", "status": "Completed"}})
    with pytest.raises(ServerError, match="asked for job j1, the answer is job j2"):
        client().get_job("j1")
    archive = JobArchive(":memory:")
    df = fetch_jobs(client(), ["j1"], archive=archive, errors="ignore", progress=False)
    assert df["fetch_status"].tolist() == ["error"]
    assert "j1" in df["fetch_error"].iloc[0] and "j2" in df["fetch_error"].iloc[0]
    assert archive.statuses(P) == {}  # stored under neither ID


@responses.activate
def test_hex_case_is_the_same_job():
    jid = "31b8ae23-c687-4d80-b7b4-42a66c9bb886"
    responses.get(JOBS, json={"job": {"id": jid.upper(), "status": "Completed"}})
    assert client().get_job(jid)["job"]["id"] == jid.upper()


# -- issue 26 item 2: every attempt and every request has a total deadline ------------------
class RawServer:
    """A loopback socket server that answers every request with ``behaviour``:
    ``"trickle"`` sends a 200 header and then one byte every 50 ms (the read timeout
    never fires), ``"trickle-headers"`` the same inside a header, ``"silent"`` never
    sends anything."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.requests = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            conn.settimeout(2)
            while b"\r\n\r\n" not in data:
                got = conn.recv(4096)
                if not got:
                    return
                data += got
            self.requests += 1
            try:
                if self.behaviour == "trickle":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 100000\r\n\r\n")  # fmt: skip
                    while not self.stop.wait(0.05):
                        conn.sendall(b" ")
                elif self.behaviour == "trickle-headers":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    while not self.stop.wait(0.05):
                        conn.sendall(b"x")
                else:
                    self.stop.wait(5)
            except OSError:  # the client gave up and closed
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.mark.parametrize("behaviour", ["trickle", "trickle-headers", "silent"])
def test_a_trickling_or_silent_server_is_cut_off_by_the_deadlines(behaviour):
    """Issue 26.2: a byte every 50 ms restarts the read timeout forever; the attempt's
    deadline does not restart, and the call deadline bounds the retries together."""
    from rds_job_analytics import TransportError

    server = RawServer(behaviour)
    try:
        c = JobsClient(P, endpoint=server.url, auth=TokenAuth("t"), rate_limit=1000.0,
                       backoff=0.001, max_retries=5, deadline=0.25, call_deadline=0.6)  # fmt: skip
        start = time.monotonic()
        with pytest.raises(TransportError) as info:
            c.get_job("j1")
        took = time.monotonic() - start
    finally:
        server.close()
    assert took < 1.2, took  # 0.6 s of attempts, then the error
    assert 2 <= c.calls <= 3 and server.requests == c.calls  # not max_retries + 1 = 6
    assert "0.6 s call deadline" in str(info.value)
    assert "within the 0.25 s deadline" in str(info.value)


def test_deadlines_are_checked_and_documented():
    from rds_job_analytics.api._client import DEFAULT_CALL_DEADLINE, DEFAULT_DEADLINE

    c = client()
    assert (c.deadline, c.call_deadline) == (DEFAULT_DEADLINE, DEFAULT_CALL_DEADLINE)
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="deadline must be a finite number > 0"):
            client(deadline=bad)
        with pytest.raises(ConfigError, match="call_deadline must be a finite number > 0"):
            client(call_deadline=bad)


# -- issue 26 item 3: a decompressed body has a size limit -----------------------------------
def _gzip_bomb(decoded_mb: int) -> bytes:
    """A valid ``{"job": ...}`` whose name is ``decoded_mb`` MB of 'A', gzipped to ~1 KB
    a MB (gzip members, concatenated: one compressed MB repeated)."""
    mb = gzip.compress(b"A" * (1 << 20), 9)
    head = b'{"job": {"id": "j1", "status": "Completed", "name": "'
    return gzip.compress(head) + mb * decoded_mb + gzip.compress(b'"}}')


def bomb_api(body: bytes) -> Recorder:
    """Answers every GET with ``body`` as ``Content-Encoding: gzip`` (``seen`` counts them)."""
    gzipped = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    return Recorder(reply(200, gzipped, body), protocol="HTTP/1.1")


def test_a_gzip_bomb_is_refused_in_little_memory_not_retried_and_not_archived(tmp_path):
    """Issue 26.3: 132 KB of gzip that inflates to 128 MB. It is streamed and refused
    past MAX_BODY_BYTES (peak memory well under 100 MB), once (not retried), and nothing
    of it reaches the archive."""
    from rds_job_analytics.api._client import MAX_BODY_BYTES

    api = bomb_api(_gzip_bomb(128))
    try:
        c = JobsClient(P, endpoint=api.url, auth=TokenAuth("t"), rate_limit=1000.0,
                       backoff=0.001, max_retries=5)  # fmt: skip
        with JobArchive(tmp_path / "a.sqlite") as archive:
            tracemalloc.start()
            try:
                df = fetch_jobs(c, ["j1"], archive=archive, errors="ignore",
                                progress=False)  # fmt: skip
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            kept = archive.statuses(P)
    finally:
        api.close()
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB"
    assert len(api.seen) == 1  # refused at once, not inflated six times
    assert df["fetch_status"].tolist() == ["error"]
    assert f"over the {MAX_BODY_BYTES:,}-byte limit" in df["fetch_error"].iloc[0]
    assert kept == {}
    assert (tmp_path / "a.sqlite").stat().st_size < 2**20


@responses.activate
def test_a_body_declared_too_large_is_refused_before_it_is_read():
    from rds_job_analytics.exceptions import ResponseTooLarge

    responses.get(JOBS, body=b"{}" * 600, headers={"Content-Length": "1200"})
    with pytest.raises(ResponseTooLarge) as info:
        client(max_body=1000).get_job("j1")
    assert "1,200 bytes (Content-Length) is over the 1,000-byte limit" in str(info.value)
    assert info.value.job_id == "j1" and len(responses.calls) == 1


# -- issue 26 item 4: a task list that never ends is bounded ---------------------------------
def _endless(page_of):
    """A /tasklist callback answering ``page_of(offset)`` -> (tasks, total_count or None);
    its ``calls`` list counts the pages asked for (and stops a runaway test at 60)."""
    calls: list[int] = []

    def answer(request):
        offset = int(parse_qs(urlsplit(request.url).query)["offset"][0])
        calls.append(offset)
        if len(calls) > 60:  # before the fix the listing never ended
            raise AssertionError("still paging after 60 calls")
        tasks, total = page_of(offset)
        body = {"tasks": tasks} if total is None else {"total_count": total, "tasks": tasks}
        return 200, {}, orjson.dumps(body)

    answer.calls = calls
    return answer


def _task(jid, created="2026-11-01T08:00:00+0000"):
    return {"id": jid, "name": "RestartMysqlInstance", "status": "Completed",
            "create_time": created}  # fmt: skip


@responses.activate
@pytest.mark.parametrize(
    ("shape", "page_of", "calls", "reason"),
    [
        # integer IDs, the same page again and again (offset ignored)
        ("int-same", lambda o: ([_task(1), _task(2)], 2), 2, "only jobs already listed"),
        # integer IDs, one new a page, the rest known
        ("int-new", lambda o: ([_task(1), _task(1000 + o)], 2), 3, "more than total_count 2"),
        # no IDs at all
        ("no-ids", lambda o: ([{"name": "x"}, {"id": None}, {"id": " "}], 2), 1,
         "no usable job ID"),
        # string IDs, one new a page: bounded by total_count 120 (3 pages) + the margin
        ("one-new", lambda o: ([_task("a"), _task(f"n{o}")], 120), 5, "more than total_count 120"),
    ],
)  # fmt: skip
def test_a_task_list_that_would_page_forever_stops_with_its_reason(shape, page_of, calls, reason):
    answer = _endless(page_of)
    responses.add_callback(responses.GET, TASKS, callback=answer)
    with pytest.raises(ApiError, match=reason):
        list(client().list_task_pages(limit=50))
    assert len(answer.calls) == calls, answer.calls


@responses.activate
def test_a_task_list_without_total_count_stops_at_max_task_pages(monkeypatch):
    monkeypatch.setattr(client_module, "MAX_TASK_PAGES", 7)
    answer = _endless(lambda o: ([_task(f"n{o}")], None))
    responses.add_callback(responses.GET, TASKS, callback=answer)
    with pytest.raises(ApiError, match=r"no usable total_count .*at most 7"):
        list(client().list_task_pages(limit=50))
    assert len(answer.calls) == 7


@responses.activate
def test_a_task_list_ending_within_its_bound_is_read_whole():
    """total_count is a bound, not the stop: a list that grew by a page is read to its
    empty page; the stop is only for lists past the margin."""
    answer = _endless(lambda o: ([_task(f"n{o + i}") for i in range(50)] if o < 150 else [],
                                 100))  # fmt: skip
    responses.add_callback(responses.GET, TASKS, callback=answer)
    pages = list(client().list_task_pages(limit=50))
    assert [len(p) for p in pages] == [50, 50, 50] and len(answer.calls) == 4


@responses.activate
def test_sync_stops_an_endless_task_list_and_says_why():
    from rds_job_analytics import sync_jobs

    # created an hour ago: inside the sync's window, so no page ends the listing early
    recent = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    answer = _endless(lambda o: ([_task("a", recent), _task(f"n{o}", recent)], 120))
    responses.add_callback(responses.GET, TASKS, callback=answer)
    with JobArchive(":memory:") as archive, pytest.warns(FetchWarning, match="total_count 120"):
        res = sync_jobs(client(), archive, details="none", horizon=None, progress=False)
    assert len(answer.calls) == 5 and res.partial and "total_count 120" in res.partial

"""A local emulator of the task-center API (and IAM's token call) on 127.0.0.1.

It serves ``GET /v3/{project_id}/jobs?id=``, ``GET /v3/{project_id}/tasklist`` and
``POST /v3/auth/tokens``; checks tokens and AK/SK signatures (refusing a clock more
than 15 minutes off, like the gateway: 401 ``APIGW.0301``); answers unknown or expired
IDs like the real API (400 ``DBS.200543``); enforces a quota with 429 ``APIGW.0308``;
and injects faults on demand. Each response goes out in one write (no Nagle/delayed-ACK
stalls). The task list's records are the jobs' own data under its field names
(:func:`task_of`), quirks included; ``Emulator.counts`` counts the calls per endpoint.

Examples
--------
>>> from rds_job_analytics.emulator import Emulator
>>> with Emulator(retention_days=None) as emu:      # the sample data, a random port
...     client = emu.client()
...     job = client.get_job(emu.job_ids()[0])
>>> "job" in job
True
"""

from __future__ import annotations

import hmac
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import orjson
import pandas as pd

from ._validate import check_choice
from .auth import AkSkCredentials, sign_request
from .normalize import parse_job
from .schema import canonical_status, strip_job_id

__all__ = [
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "DEMO_PROJECT",
    "DEMO_TOKEN",
    "DEMO_USER",
    "FAULTS",
    "MAX_CLOCK_SKEW",
    "Emulator",
    "task_of",
]

DEMO_PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
DEMO_TOKEN = "emulator-token"
DEMO_USER, DEMO_PASSWORD, DEMO_DOMAIN = "analyst", "emulator-password", "demo"
FAULTS = ("500", "502", "503", "504", "429", "429-retry-after", "drop", "truncate", "html")
#: AK/SK signatures whose ``X-Sdk-Date`` is further than this from the emulator's clock
#: are refused, as the gateway does.
MAX_CLOCK_SKEW = timedelta(minutes=15)
_SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
#: Task-list filters compared after cleaning both sides; the others match exactly.
_TASK_FILTERS = {
    "instance_id": lambda v: str(v).strip(),
    "name": lambda v: str(v).strip(),
    "status": canonical_status,
    "id": strip_job_id,
    "order_id": str,
}
_AUTH_FAILED = "Incorrect IAM authentication information"
#: A job's task-list record: (creation time, the record as served, its keys stripped).
_TaskRow = tuple[pd.Timestamp | None, dict[str, Any], dict[str, Any]]
#: Job fields the task list repeats, under its own names (``progress``: sibling spelling).
_TASK_NAMES = {
    "id": "id",
    "name": "name",
    "status": "status",
    "created": "create_time",
    "ended": "end_time",
    "process": "process",
    "progress": "process",
    "fail_reason": "fail_reason",
    "instance_status": "instance_status",
    "order_id": "order_id",
}
#: What the task list says where the job record is silent.
_TASK_DEFAULTS = {"instance_status": "ACTIVE", "order_id": ""}


def task_of(job: dict[str, Any], job_id: str | None = None) -> dict[str, Any]:
    """The task-list record (``GET /tasklist``) the emulator serves for one job.

    Same id, name, status, times, progress, failure reason and instance as the job,
    under the task list's field names (``create_time``, ``end_time``, flat
    ``instance_id``/``instance_name``), values verbatim: the job's spelling of its status
    (``Complete``, ``" completed "``), stray spaces in names and IDs, and padded keys
    (a job's ``" status"`` gives the task a ``" status"``) stay, so the normalizer's
    task path meets the published quirks. ``instance_status`` and ``order_id`` come
    from the job record when it carries them, else ``"ACTIVE"`` and ``""``; a field the
    job lacks is ``None``.

    Parameters
    ----------
    job : dict
        The job object (the value of ``{"job": ...}``).
    job_id : str, optional
        The ID to serve when the job has none.

    Returns
    -------
    dict

    Examples
    --------
    >>> task_of({"id": "j1", "name": "RestartMysqlInstance", " status": "Complete",
    ...          "created": "2026-11-01T08:00:00+0800", "process": "",
    ...          "instance": {"id": "i1", "name": "db"}, "entities": {}})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'id': 'j1', 'name': 'RestartMysqlInstance', ' status': 'Complete',
     'create_time': '2026-11-01T08:00:00+0800', 'process': '', 'instance_id': 'i1',
     'instance_name': 'db', 'end_time': None, 'fail_reason': None,
     'instance_status': 'ACTIVE', 'order_id': ''}
    """
    task: dict[str, Any] = {}
    seen: set[str] = set()
    for key, value in job.items():
        name = str(key).strip()
        if name == "instance" and isinstance(value, dict):
            for ikey, ivalue in value.items():
                iname = str(ikey).strip()
                if iname in ("id", "name") and f"instance_{iname}" not in seen:
                    task[str(ikey).replace(iname, f"instance_{iname}")] = ivalue
                    seen.add(f"instance_{iname}")
            continue
        target = _TASK_NAMES.get(name)
        if target is None or target in seen:
            continue
        task[str(key).replace(name, target)] = value  # keeps the padding of the key
        seen.add(target)
    for target in ("id", "name", "status", "create_time", "end_time", "process", "fail_reason",
                   "instance_id", "instance_name", "instance_status", "order_id"):  # fmt: skip
        if target not in seen:
            task[target] = job_id if target == "id" else _TASK_DEFAULTS.get(target)
    return task


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one send on flush
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        self.send_response(status)
        ctype = "application/json" if not isinstance(body, bytes) else "text/html"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", f"emu-{random.getrandbits(48):012x}")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, msg: str, **headers: str) -> None:
        self._send(status, {"error_code": code, "error_msg": msg}, headers)

    def do_POST(self) -> None:
        emu = self.server.emu
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if urlsplit(self.path).path != "/v3/auth/tokens":
            return self._error(
                404, "APIGW.0101", "The API does not exist or has not been published"
            )
        try:
            user = orjson.loads(body)["auth"]["identity"]["password"]["user"]
            name, password, domain = user["name"], user["password"], user["domain"]["name"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return self._error(400, "IAM.0011", "Request parameter error")
        emu._count("auth")
        if emu.users.get((domain, name)) != password:
            return self._error(401, "IAM.0002", "The username or password is wrong")
        token = f"emu-{random.getrandbits(96):024x}"
        emu.tokens.add(token)
        expires = (datetime.now(UTC) + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        self._send(201, {"token": {"expires_at": expires}}, {"X-Subject-Token": token})

    def do_GET(self) -> None:
        emu = self.server.emu
        parts = urlsplit(self.path)
        segs = parts.path.strip("/").split("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if emu.latency:
            time.sleep(emu.latency)
        fault = emu._take_fault()
        if fault:
            return self._fault(fault)
        if len(segs) != 3 or segs[0] != "v3" or segs[2] not in ("jobs", "tasklist"):
            return self._error(
                404, "APIGW.0101", "The API does not exist or has not been published"
            )
        token = self.headers.get("X-Auth-Token")
        authz = self.headers.get("Authorization", "")
        if token not in emu.tokens:
            problem = emu._aksk_problem(authz, self, parts)
            if problem:
                return self._error(401, "APIGW.0301", problem)
        if segs[1] != emu.project_id:
            return self._error(403, "DBS.280056", "The token does not match the project")
        who = token or authz.split("Access=")[-1].split(",")[0]
        wait = emu._quota(who)
        if wait is not None:
            headers = {"Retry-After": str(max(1, round(wait)))} if emu.send_retry_after else {}
            emu._count("429")
            return self._error(
                429, "APIGW.0308", "The throttling threshold has been reached", **headers
            )
        emu._count(segs[2])
        if segs[2] == "jobs":
            return self._job(query)
        return self._tasklist(query)

    def _fault(self, fault: str) -> None:
        emu = self.server.emu
        emu._count(f"fault:{fault}")
        if fault in ("500", "502", "503", "504"):
            return self._error(
                int(fault), "DBS.200001" if fault == "500" else "APIGW.0500", "injected"
            )
        if fault == "429":
            return self._error(429, "APIGW.0308", "The throttling threshold has been reached")
        if fault == "429-retry-after":
            return self._error(429, "APIGW.0308", "throttled", **{"Retry-After": "1"})
        if fault == "html":
            return self._send(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
        if fault == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "400")
            self.end_headers()
            self.wfile.write(b'{"job": {"id": "trunc')
            self.wfile.flush()
        self.close_connection = True
        try:  # "drop": close without an answer
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _job(self, query: dict[str, str]) -> None:
        emu = self.server.emu
        jid = strip_job_id(query.get("id", ""))
        if not jid:
            return self._error(400, "DBS.280001", "Invalid parameter: id")
        item = emu.jobs.get(jid)
        if item is None or not emu._visible(item[1]):
            return self._error(400, "DBS.200543", "The job does not exist or has expired")
        self._send(200, item[0])

    def _tasklist(self, query: dict[str, str]) -> None:
        emu = self.server.emu
        try:
            offset = int(query.get("offset", 0))
            limit = int(query.get("limit", 10))
        except ValueError:
            return self._error(400, "DBS.280001", "Invalid parameter: offset/limit")
        if not 1 <= limit <= 50 or offset < 0:
            return self._error(400, "DBS.280001", "Invalid parameter: limit must be 1..50")
        st, et = query.get("start_time"), query.get("end_time")
        if (st is None) != (et is None):
            return self._error(400, "DBS.280001", "start_time and end_time go together")
        rows = emu._task_rows()
        if st is not None:
            lo = pd.Timestamp(int(st), unit="ms", tz="UTC")
            hi = pd.Timestamp(int(et), unit="ms", tz="UTC")
            rows = [r for r in rows if r[0] is not None and lo <= r[0] <= hi]
        for key, clean in _TASK_FILTERS.items():
            if query.get(key):
                want = clean(query[key])
                rows = [r for r in rows if r[2].get(key) is not None and clean(r[2][key]) == want]
        page = [r[1] for r in rows[offset : offset + limit]]
        names = sorted({str(r[2]["name"]).strip() for r in rows if r[2].get("name")})
        self._send(200, {"total_count": len(rows), "actions": names, "tasks": page})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emu: Emulator


class Emulator:
    """The task-center API on loopback, loaded with raw responses.

    Parameters
    ----------
    records : iterable, optional
        Raw responses (dicts or bytes); default the shipped sample.
    project_id : str
        The project the emulator answers for.
    tokens : iterable of str
        Tokens accepted as ``X-Auth-Token`` (the IAM call adds more).
    users : dict
        ``{(domain, user): password}`` accepted by ``POST /v3/auth/tokens``.
    aksk : dict
        ``{ak: sk}``: AK/SK-signed requests are accepted when the signature, recomputed
        with the official signer (``huaweicloudsdkcore``), matches.
    quota : int, optional
        Calls allowed per ``quota_window`` seconds per caller (None: no limit).
    send_retry_after : bool
        Whether 429s carry ``Retry-After``.
    latency : float
        Seconds added to every GET.
    now : datetime, optional
        The emulator's clock (default: real time): the retention window counts back
        from it, and AK/SK signatures whose ``X-Sdk-Date`` is more than
        :data:`MAX_CLOCK_SKEW` off it are refused (401 ``APIGW.0301``).
    retention_days : float, optional
        Jobs created earlier than ``now - retention_days`` answer ``DBS.200543``
        (None: keep everything).
    fault_rates : dict, optional
        ``{fault: probability}`` applied at random (seeded) to GETs; see ``FAULTS``.

    Attributes
    ----------
    counts : dict
        Calls answered, per endpoint: ``"jobs"`` (``GET /jobs?id=``), ``"tasklist"``
        (each task-list page, the final empty one too), ``"auth"`` (``POST
        /v3/auth/tokens``); throttled calls count under ``"429"`` and injected faults
        under ``"fault:<name>"`` instead, so a test or benchmark can check its call budget.

    Examples
    --------
    >>> job = {"job": {"id": "j1", "name": "RestartMysqlInstance", "status": "Complete",
    ...                "created": "2026-11-01T08:00:00+0800"}}
    >>> with Emulator([job], retention_days=None) as emu, emu.client(backoff=0.01) as client:
    ...     emu.inject("503")                       # the next GET fails, the client retries
    ...     body = client.get_job("j1")
    ...     tasks = list(client.list_tasks(status="Completed"))
    >>> body["job"]["status"], [t["id"] for t in tasks], emu.counts["fault:503"]
    ('Complete', ['j1'], 1)
    """

    def __init__(
        self,
        records: Iterable[Any] | None = None,
        *,
        project_id: str = DEMO_PROJECT,
        tokens: Iterable[str] = (DEMO_TOKEN,),
        users: dict[tuple[str, str], str] | None = None,
        aksk: dict[str, str] | None = None,
        quota: int | None = None,
        quota_window: float = 60.0,
        send_retry_after: bool = True,
        latency: float = 0.0,
        now: datetime | None = None,
        retention_days: float | None = 30,
        fault_rates: dict[str, float] | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if records is None:
            from .sample import load_sample

            records = load_sample(raw=True)
        self.project_id = project_id
        self.tokens = set(tokens)
        self.users = users if users is not None else {(DEMO_DOMAIN, DEMO_USER): DEMO_PASSWORD}
        self.aksk = dict(aksk or {})
        self.quota, self.quota_window = quota, quota_window
        self.send_retry_after = send_retry_after
        self.latency = latency
        self.now = now
        self.retention_days = retention_days
        self.fault_rates = dict(fault_rates or {})
        self._rng = random.Random(seed)
        self._faults: deque[str] = deque()
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.jobs: dict[str, tuple[Any, pd.Timestamp | None]] = {}
        self.load(records)
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- data ----------------------------------------------------------------------
    def load(self, records: Iterable[Any]) -> None:
        """Add raw responses (later ones replace earlier ones with the same ID).

        Examples
        --------
        >>> emu = Emulator([], retention_days=None)
        >>> emu.load([b'{"job": {"id": " j 1", "status": "Running"}}'])
        >>> emu.job_ids()
        ['j1']
        """
        for rec in records:
            obj = orjson.loads(rec) if isinstance(rec, bytes | str) else rec
            row = parse_job(obj)
            created = pd.to_datetime(row.created, utc=True, format="ISO8601", errors="coerce")
            self.jobs[row.job_id] = (obj, None if pd.isna(created) else created)
        self._tasks_cache: list[_TaskRow] | None = None

    def job_ids(self) -> list[str]:
        """IDs of the loaded jobs that are visible now (oldest first)."""
        items = sorted(self.jobs.items(), key=lambda kv: (kv[1][1] is None, kv[1][1]))
        return [k for k, (_, created) in items if self._visible(created)]

    def _visible(self, created: pd.Timestamp | None) -> bool:
        if self.retention_days is None:
            return True
        if created is None:
            return False
        now = pd.Timestamp(self._clock())
        return created >= now - pd.Timedelta(days=self.retention_days)

    def _clock(self) -> datetime:
        now = self.now or datetime.now(UTC)
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)

    def _task_rows(self) -> list[_TaskRow]:
        """The task list's records of the visible jobs, newest first (see :func:`task_of`)."""
        if self._tasks_cache is None:
            rows = []
            for jid, (obj, created) in self.jobs.items():
                task = task_of(obj.get("job", obj), jid)
                view = {str(k).strip(): v for k, v in task.items()}
                rows.append((created, task, view))
            rows.sort(key=lambda r: r[0] or pd.Timestamp.min.tz_localize("UTC"), reverse=True)
            self._tasks_cache = rows
        return [r for r in self._tasks_cache if self._visible(r[0])]

    # -- behaviour -------------------------------------------------------------------
    def inject(self, fault: str, times: int = 1) -> None:
        """Answer the next ``times`` GETs with ``fault`` (one of ``FAULTS``).

        Examples
        --------
        >>> Emulator([]).inject("teapot")
        Traceback (most recent call last):
        ...
        rds_job_analytics.exceptions.ConfigError: fault must be one of '500', ...; got 'teapot'
        """
        check_choice("fault", fault, FAULTS)
        with self._lock:
            self._faults.extend([fault] * times)

    def _take_fault(self) -> str | None:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            for fault, p in self.fault_rates.items():
                if self._rng.random() < p:
                    return fault
        return None

    def _quota(self, who: str) -> float | None:
        if self.quota is None:
            return None
        now = time.monotonic()
        with self._lock:
            q = self._calls.setdefault(who, deque())
            while q and q[0] <= now - self.quota_window:
                q.popleft()
            if len(q) >= self.quota:
                return q[0] + self.quota_window - now
            q.append(now)
        return None

    def _aksk_problem(self, authz: str, handler: _Handler, parts: Any) -> str | None:
        """None when the SDK-HMAC-SHA256 signature is good (re-signed with the official
        signer) and its ``X-Sdk-Date`` within :data:`MAX_CLOCK_SKEW`; else the 401 message."""
        if not authz.startswith("SDK-HMAC-SHA256") or not self.aksk:
            return _AUTH_FAILED
        fields = dict(
            item.strip().split("=", 1) for item in authz[len("SDK-HMAC-SHA256") :].split(",")
            if "=" in item
        )  # fmt: skip
        sk = self.aksk.get(fields.get("Access", ""))
        if sk is None or "SignedHeaders" not in fields or "Signature" not in fields:
            return _AUTH_FAILED
        names = fields["SignedHeaders"].split(";")
        if "x-sdk-date" not in names or any(handler.headers.get(n) is None for n in names):
            return _AUTH_FAILED
        try:
            signed_at = datetime.strptime(handler.headers["X-Sdk-Date"], _SDK_DATE_FORMAT)
        except ValueError:
            return f"{_AUTH_FAILED}: X-Sdk-Date must be {_SDK_DATE_FORMAT}"
        if abs(signed_at.replace(tzinfo=UTC) - self._clock()) > MAX_CLOCK_SKEW:
            return f"{_AUTH_FAILED}: X-Sdk-Date is more than 15 minutes off the server clock"
        url = f"http://{handler.headers.get('Host', '')}{parts.path}"
        query = parse_qsl(parts.query, keep_blank_values=True)
        try:
            signed = sign_request(
                AkSkCredentials(fields["Access"], sk), "GET", url, query,
                {n: handler.headers[n] for n in names},
            )  # fmt: skip
        except ImportError:  # huaweicloudsdkcore missing: nothing can be verified
            return _AUTH_FAILED
        expected = signed["Authorization"].split("Signature=")[-1]
        if not hmac.compare_digest(expected, fields["Signature"]):
            return _AUTH_FAILED
        return None

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    # -- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Emulator:
        """Start serving in a background thread."""
        self._server = _Server((self._host, self._port), _Handler)
        self._server.emu = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, **kwargs: Any) -> Any:
        """A :class:`JobsClient` for this emulator (token auth, fast pacing by default).

        Parameters
        ----------
        **kwargs
            Passed to :class:`~rds_job_analytics.JobsClient` (``auth``, ``rate_limit``,
            ``max_retries``...).

        Examples
        --------
        >>> with Emulator([]) as emu:
        ...     client = emu.client(max_retries=0)
        ...     same = client.endpoint == emu.url
        >>> same, client.max_retries
        (True, 0)
        """
        from .auth import TokenAuth
        from .client import JobsClient

        kwargs.setdefault("auth", TokenAuth(DEMO_TOKEN))
        kwargs.setdefault("rate_limit", 1000.0)
        return JobsClient(self.project_id, endpoint=self.url, **kwargs)

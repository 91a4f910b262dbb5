"""A local emulator of the task-center API (and IAM's token and project calls) on 127.0.0.1.

It serves ``GET /v3/{project_id}/jobs?id=``, ``GET /v3/{project_id}/tasklist``,
``POST /v3/auth/tokens`` and ``GET /v3/auth/projects`` for several accounts, regions and
projects on one port: a request goes to the project named in its path, and a client for
any region simply uses the emulator's URL as its endpoint. It checks tokens and AK/SK
signatures (refusing a clock more than 15 minutes off, like the gateway: 401
``APIGW.0301``) and that the caller's account owns the project (403 ``APIGW.0302``);
answers unknown or expired IDs like the real API (400 ``DBS.200543``); enforces a quota
per user, shared by that user's credentials across its projects, with 429
``APIGW.0308``; and injects faults on demand. Each response goes out in one write (no
Nagle/delayed-ACK stalls). The task list's records are the jobs' own data under its field
names (:func:`task_of`), quirks included; ``Emulator.counts`` counts the calls per
endpoint and ``Emulator.counts_by_user`` per user. :func:`demo_fleet` builds a small
estate of two accounts and three regions, with its fleet file.

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

import hashlib
import hmac
import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import orjson
import pandas as pd

from .._validate import check_choice
from ..api._auth import AkSkCredentials, sign_request
from ..exceptions import ConfigError
from ..normalize._records import parse_job
from ..normalize.schema import canonical_status, strip_job_id

__all__ = [
    "DEFAULT_ACCOUNT",
    "DEMO_AK",
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "DEMO_PROJECT",
    "DEMO_SK",
    "DEMO_TOKEN",
    "DEMO_USER",
    "FAULTS",
    "INSTANCE_STATUSES",
    "MAX_CLOCK_SKEW",
    "NOT_OWNER",
    "TASK_TIME_FILTERS",
    "DemoFleet",
    "Emulator",
    "demo_fleet",
    "task_of",
]

DEMO_PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
DEMO_TOKEN = "emulator-token"
DEMO_USER, DEMO_PASSWORD, DEMO_DOMAIN = "analyst", "emulator-password", "demo"
#: An AK/SK pair ``rds-jobs emulator`` accepts (signatures checked with the official signer).
DEMO_AK, DEMO_SK = "EMULATORDEMOACCESSKEY", "emulator-demo-secret-key"
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
#: The account that owns the constructor's project and credentials.
DEFAULT_ACCOUNT = "default"
#: The 403 a credential gets for a project its account does not own (or that does not
#: exist): the gateway's "not authorized" answer, ``(error_code, error_msg)``.
NOT_OWNER = ("APIGW.0302", "The IAM user is not authorized to access the API")
_NOT_FOUND_API = ("APIGW.0101", "The API does not exist or has not been published")
#: A job's task-list record: (creation time, the record as served, its keys stripped,
#: its creation and end times as epoch microseconds or None, for the time filter).
_TaskRow = tuple[pd.Timestamp | None, dict[str, Any], dict[str, Any], int | None, int | None]
#: How the task list's ``start_time``/``end_time`` filter reads (``Emulator(task_time_filter=)``):
#: ``"created"``, both bound the creation time; ``"literal"``, as the API page words it,
#: ``start_time`` bounds the creation time and ``end_time`` the task's end time (a task with
#: no end time, e.g. Running, is then outside every window).
TASK_TIME_FILTERS = ("created", "literal")
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
#: The instance statuses of the RDS API (``ListInstances``' ``status``, as the task list's
#: ``instance_status`` spells them), ``ACTIVE`` first: what :func:`task_of` serves.
INSTANCE_STATUSES = (
    "ACTIVE", "BUILD", "FAILED", "FROZEN", "MODIFYING", "REBOOTING", "RESTORING",
    "MODIFYING INSTANCE TYPE", "SWITCHOVER", "MIGRATING", "BACKING UP",
    "MODIFYING DATABASE PORT", "STORAGE FULL",
)  # fmt: skip


def _task_extras(job_id: str | None) -> dict[str, str]:
    """``instance_status`` and ``order_id`` of a job the record is silent about, a pure
    function of its ID (the same on every run): 7 in 10 ``ACTIVE``, the rest spread over
    the other :data:`INSTANCE_STATUSES`; 1 in 4 carries an order ID (a yearly/monthly
    instance's ``CS...``), the others ``""``."""
    h = int.from_bytes(hashlib.sha256(str(job_id or "").encode()).digest()[:8], "big")
    status = "ACTIVE" if h % 10 < 7 else INSTANCE_STATUSES[1 + (h // 10) % 12]
    order = f"CS{h % 10**12:012d}{(h >> 40) % 36**5:05X}"[:19] if (h >> 20) % 4 == 0 else ""
    return {"instance_status": status, "order_id": order}


def task_of(job: dict[str, Any], job_id: str | None = None) -> dict[str, Any]:
    """The task-list record (``GET /tasklist``) the emulator serves for one job.

    Same id, name, status, times, progress, failure reason and instance as the job,
    under the task list's field names (``create_time``, ``end_time``, flat
    ``instance_id``/``instance_name``), values verbatim: the job's spelling of its status
    (``Complete``, ``" completed "``), stray spaces in names and IDs, and padded keys
    (a job's ``" status"`` gives the task a ``" status"``) stay, so the normalizer's
    task path meets the published quirks. ``instance_status`` and ``order_id`` come
    from the job record when it carries them, else from the job's ID, the same on every
    run: mostly ``"ACTIVE"``, otherwise another of :data:`INSTANCE_STATUSES`; an order ID
    for about one job in four, else ``""``. A field the job lacks is ``None``.

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
    own_id = next((v for k, v in job.items() if str(k).strip() == "id"), None)
    extras = _task_extras(job_id if job_id is not None else strip_job_id(str(own_id or "")))
    for target in ("id", "name", "status", "create_time", "end_time", "process", "fail_reason",
                   "instance_id", "instance_name", "instance_status", "order_id"):  # fmt: skip
        if target not in seen:
            task[target] = job_id if target == "id" else extras.get(target)
    return task


@dataclass
class _Account:
    """One user of the emulator: the quota, the projects and the credentials it owns."""

    name: str
    domain: str
    user: str
    domain_id: str
    user_id: str


@dataclass
class _Project:
    """One project: its owner, region, IAM name and job history."""

    id: str
    account: str
    region: str
    name: str
    jobs: dict[str, tuple[Any, pd.Timestamp | None]] = field(default_factory=dict)
    tasks_cache: list[_TaskRow] | None = None


def _us(when: pd.Timestamp) -> int:
    """Epoch microseconds (years 1..9999 fit, unlike nanoseconds)."""
    return int(when.as_unit("us").asm8.view("i8"))


def _hex_id(*parts: str) -> str:
    """A stable 32-hex ID (IAM's shape for account, user and project IDs)."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one send on flush
    server: _Server
    project: _Project  # the request's, once its caller may read it

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
            return self._error(404, *_NOT_FOUND_API)
        try:
            auth = orjson.loads(body)["auth"]
            user = auth["identity"]["password"]["user"]
            name, password, domain = user["name"], user["password"], user["domain"]["name"]
            scope = auth.get("scope") or {}
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return self._error(400, "IAM.0011", "Request parameter error")
        emu._count("auth")
        if emu.users.get((domain, name)) != password:
            return self._error(401, "IAM.0002", "The username or password is wrong")
        account = emu._owner_user.get((domain, name), DEFAULT_ACCOUNT)
        emu._count("auth", account, total=False)  # counted above, now known as whose
        token = f"emu-{random.getrandbits(96):024x}"
        acct = emu.accounts[account]
        now = datetime.now(UTC)
        body_token: dict[str, Any] = {
            "expires_at": (now + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "issued_at": now.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "methods": ["password"],
            "user": {"id": acct.user_id, "name": name,
                     "domain": {"id": acct.domain_id, "name": domain}},
        }  # fmt: skip
        project_scope = scope.get("project") if isinstance(scope, dict) else None
        scoped: str | None = None
        if isinstance(project_scope, dict):
            proj = emu._project_by_scope(account, project_scope)
            scoped = proj.id if proj else str(project_scope.get("id") or "")
            body_token["project"] = {
                "id": scoped,
                "name": proj.name if proj else str(project_scope.get("name") or ""),
                "domain": {"id": acct.domain_id, "name": domain},
            }
        else:
            body_token["domain"] = {"id": acct.domain_id, "name": domain}
        with emu._lock:
            emu.tokens.add(token)
            emu._owner_token[token] = account
            emu._token_scope[token] = scoped
        self._send(201, {"token": body_token}, {"X-Subject-Token": token})

    def _caller(self, parts: Any) -> tuple[str | None, str | None, str | None]:
        """``(account, token scope, None)`` for good credentials, else ``(None, None, 401
        message)``. A token wins over a signature, as the gateway reads it first."""
        emu = self.server.emu
        token = self.headers.get("X-Auth-Token")
        if token is not None and token in emu.tokens:
            return emu._owner_token.get(token, DEFAULT_ACCOUNT), emu._token_scope.get(token), None
        authz = self.headers.get("Authorization", "")
        problem = emu._aksk_problem(authz, self, parts)
        if problem:
            return None, None, problem
        ak = authz.split("Access=")[-1].split(",")[0].strip()
        return emu._owner_ak.get(ak, DEFAULT_ACCOUNT), None, None

    def do_GET(self) -> None:
        emu = self.server.emu
        parts = urlsplit(self.path)
        if parts.path.rstrip("/") == "/v3/auth/projects":
            return self._auth_projects(parts)
        segs = parts.path.strip("/").split("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if emu.latency:
            time.sleep(emu.latency)
        fault = emu._take_fault()
        if fault:
            return self._fault(fault)
        if len(segs) != 3 or segs[0] != "v3" or segs[2] not in ("jobs", "tasklist"):
            return self._error(404, *_NOT_FOUND_API)
        account, scope, problem = self._caller(parts)
        if account is None:
            return self._error(401, "APIGW.0301", problem or _AUTH_FAILED)
        project = emu.projects.get(segs[1])
        if project is None or project.account != account:
            return self._error(403, *NOT_OWNER)
        if scope is not None and scope != project.id:
            return self._error(403, "DBS.280056", "The token does not match the project")
        wait = emu._admit(account)
        if wait is not None:
            headers = {"Retry-After": str(max(1, round(wait)))} if emu.send_retry_after else {}
            emu._count("429", account)
            return self._error(
                429, "APIGW.0308", "The throttling threshold has been reached", **headers
            )
        emu._count(segs[2], account)
        self.project = project  # what _job and _tasklist serve from
        if segs[2] == "jobs":
            return self._job(query)
        return self._tasklist(query)

    def _auth_projects(self, parts: Any) -> None:
        """IAM ``GET /v3/auth/projects`` (KeystoneListAuthProjects): the caller's projects."""
        emu = self.server.emu
        account, _, problem = self._caller(parts)
        if account is None:
            return self._error(401, "APIGW.0301", problem or _AUTH_FAILED)
        emu._count("projects", account)
        base = f"http://{self.headers.get('Host', '')}/v3"
        self._send(
            200,
            {
                "projects": [
                    {**emu._iam_project(p), "links": {"self": f"{base}/projects/{p.id}"}}
                    for p in sorted(emu.projects.values(), key=lambda p: p.name)
                    if p.account == account
                ],
                "links": {"self": f"{base}/auth/projects"},
            },
        )

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
        project = self.project
        jid = strip_job_id(query.get("id", ""))
        if not jid:
            return self._error(400, "DBS.280001", "Invalid parameter: id")
        item = project.jobs.get(jid)
        if item is None or not emu._visible(item[1]):
            return self._error(400, "DBS.200543", "The job does not exist or has expired")
        self._send(200, item[0])

    def _tasklist(self, query: dict[str, str]) -> None:
        emu = self.server.emu
        project = self.project
        try:
            offset = int(query.get("offset", 0))
            limit = int(query.get("limit", 10))
        except ValueError:
            return self._error(400, "DBS.280001", "Invalid parameter: offset/limit")
        if offset < 0:
            return self._error(400, "DBS.280001", "Invalid parameter: offset must be 0 or more")
        if not 1 <= limit <= 50:
            return self._error(400, "DBS.280001", "Invalid parameter: limit must be 1..50")
        st, et = query.get("start_time"), query.get("end_time")
        if (st is None) != (et is None):
            return self._error(400, "DBS.280001", "start_time and end_time go together")
        for name, value in (("start_time", st), ("end_time", et)):
            if value is not None and not _is_epoch_ms(value):
                return self._error(
                    400, "DBS.280001", f"Invalid parameter: {name} must be epoch milliseconds"
                )
        rows = emu._task_rows(project.id)
        if st is not None:
            lo = pd.Timestamp(int(st), unit="ms", tz="UTC")
            hi = pd.Timestamp(int(et), unit="ms", tz="UTC")
            rows = emu._in_window(rows, lo, hi)
        for key, clean in _TASK_FILTERS.items():
            if query.get(key):
                want = clean(query[key])
                rows = [r for r in rows if r[2].get(key) is not None and clean(r[2][key]) == want]
        page = [r[1] for r in rows[offset : offset + limit]]
        names = sorted({str(r[2]["name"]).strip() for r in rows if r[2].get("name")})
        self._send(200, {"total_count": len(rows), "actions": names, "tasks": page})


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shifted(record: dict[str, Any], days: int) -> dict[str, Any]:
    """A copy of a raw response whose ``created`` and ``ended`` are ``days`` later: only the
    date is rewritten, so the time, offset and spelling of each value stay as they were."""
    if not days:
        return record
    job = record.get("job", record)
    moved = {}
    for key, value in job.items():
        if str(key).strip() in ("created", "ended") and isinstance(value, str):
            value = _ISO_DATE.sub(
                lambda m: (date.fromisoformat(m.group()) + timedelta(days=days)).isoformat(),
                value,
                count=1,
            )
        moved[key] = value
    return {**record, "job": moved} if "job" in record else moved


def _is_epoch_ms(text: str) -> bool:
    """Whether a ``start_time``/``end_time`` is whole epoch milliseconds a timestamp can
    hold (``"1.5e12"``, ``"abc"`` or 10**20 are not: the API answers 400 ``DBS.280001``)."""
    if not text.isascii() or not text.lstrip("-").isdigit():
        return False
    try:
        pd.Timestamp(int(text), unit="ms", tz="UTC")
    except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
        return False
    return True


# How often the serving thread looks for stop(): stop() returns within this (the standard
# library's 0.5 s made every ``with Emulator()`` cost half a second on leaving).
_STOP_POLL = 0.02


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emu: Emulator


class Emulator:
    """The task-center API and IAM on loopback, for one project or a fleet of them.

    The constructor's ``project_id`` and ``records`` make the default project, owned by
    the :data:`DEFAULT_ACCOUNT` with the ``tokens``, ``users`` and ``aksk`` given here;
    :meth:`add_account` and :meth:`add_project` add more users and projects on the same
    port. A request goes to the project in its path; credentials of an account that does
    not own it get 403 :data:`NOT_OWNER` (``APIGW.0302``), as does an unknown project.

    Parameters
    ----------
    records : iterable, optional
        Raw responses (dicts or bytes) of the default project; default the shipped sample.
    project_id : str
        The default project's ID.
    region : str
        The default project's region (its IAM name).
    tokens : iterable of str
        Tokens accepted as ``X-Auth-Token`` for the default account (IAM adds more).
    users : dict
        ``{(domain, user): password}`` accepted by ``POST /v3/auth/tokens`` for the
        default account.
    aksk : dict
        ``{ak: sk}`` of the default account: AK/SK-signed requests are accepted when the
        signature, recomputed with the official signer (``huaweicloudsdkcore``), matches.
    quota : int, optional
        Calls allowed per ``quota_window`` seconds per user (None: no limit). One bucket
        per account, shared by its tokens, password-issued tokens and AK/SK across all of
        its projects, as the real quota is per user.
    send_retry_after : bool
        Whether 429s carry ``Retry-After``.
    latency : float
        Seconds added to every API GET.
    now : datetime, optional
        The emulator's clock (default: real time): the retention window counts back
        from it, and AK/SK signatures whose ``X-Sdk-Date`` is more than
        :data:`MAX_CLOCK_SKEW` off it are refused (401 ``APIGW.0301``).
    retention_days : float, optional
        Jobs created earlier than ``now - retention_days`` answer ``DBS.200543``
        (None: keep everything). With a retention and the shipped sample (no
        ``records``), the sample's ``created``/``ended`` dates are moved forward by whole
        days (:attr:`sample_shift_days`) so its newest job is less than a day older than
        ``now``: ``Emulator()`` serves its last 30 days on any date, and the same ones
        for the same injected ``now``. Without a retention the sample keeps its own dates.
    fault_rates : dict, optional
        ``{fault: probability}`` applied at random (seeded) to API GETs; see ``FAULTS``.
    task_time_filter : {"created", "literal"}
        How the task list's ``start_time``/``end_time`` filter reads (the API's wording
        and the SDK disagree): ``"created"`` (default), both bound the creation time;
        ``"literal"``, ``start_time`` bounds the creation time and ``end_time`` the task's
        end time, so a Running task (no end time) is in no window. See
        :data:`TASK_TIME_FILTERS`.

    Attributes
    ----------
    counts : dict
        Calls answered, per endpoint: ``"jobs"`` (``GET /jobs?id=``), ``"tasklist"``
        (each task-list page, the final empty one too), ``"auth"`` (``POST
        /v3/auth/tokens``), ``"projects"`` (``GET /v3/auth/projects``); throttled calls
        count under ``"429"`` and injected faults under ``"fault:<name>"`` instead, so a
        test or benchmark can check its call budget.
    counts_by_user : dict
        ``{account: {endpoint: calls}}``, the same keys for the calls whose credentials
        were accepted (429s included; faults and refused credentials are nobody's).
    accounts, projects : dict
        The registered users and projects, by name and by ID.

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

    Two accounts on one port:

    >>> from rds_job_analytics import AuthError, TokenAuth
    >>> emu = Emulator([], retention_days=None)
    >>> emu.add_account("ops", domain="acme", user="ops", token="ops-token")
    >>> emu.add_project("1" * 32, account="ops", region="cn-north-4", records=[job])
    >>> with emu, emu.client(project_id="1" * 32, auth=TokenAuth("ops-token")) as ops:
    ...     found = ops.get_job("j1")["job"]["id"]
    ...     try:                                    # the demo token is not ops's
    ...         emu.client(project_id="1" * 32, max_retries=0).get_job("j1")
    ...     except AuthError as exc:
    ...         refused = exc.error_code
    >>> found, refused, emu.counts_by_user["ops"]
    ('j1', 'APIGW.0302', {'jobs': 1})
    """

    def __init__(
        self,
        records: Iterable[Any] | None = None,
        *,
        project_id: str = DEMO_PROJECT,
        region: str = "ap-southeast-1",
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
        task_time_filter: str = "created",
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        #: Whole days the shipped sample was moved forward (see ``retention_days``).
        self.sample_shift_days = 0
        if records is None:
            from ..sample import SAMPLE_END, load_sample

            records = load_sample(raw=True)
            if retention_days is not None:  # else the sample ages out of the window
                clock = now or datetime.now(UTC)
                clock = clock if clock.tzinfo is not None else clock.replace(tzinfo=UTC)
                self.sample_shift_days = max(0, (clock - SAMPLE_END) // timedelta(days=1))
                records = [_shifted(r, self.sample_shift_days) for r in records]
        self.project_id = project_id
        #: Every accepted token (the default account's unless registered to another).
        self.tokens = set(tokens)
        #: Every ``(domain, user): password`` IAM accepts.
        self.users = users if users is not None else {(DEMO_DOMAIN, DEMO_USER): DEMO_PASSWORD}
        #: Every ``ak: sk`` whose signatures are accepted.
        self.aksk = dict(aksk or {})
        self._owner_token: dict[str, str] = {}
        self._owner_user: dict[tuple[str, str], str] = {}
        self._owner_ak: dict[str, str] = {}
        self._token_scope: dict[str, str | None] = {}
        self.quota, self.quota_window = quota, quota_window
        self.send_retry_after = send_retry_after
        self.latency = latency
        self.now = now
        self.retention_days = retention_days
        self.fault_rates = dict(fault_rates or {})
        check_choice("task_time_filter", task_time_filter, TASK_TIME_FILTERS)
        self.task_time_filter = task_time_filter
        self._rng = random.Random(seed)
        self._faults: deque[str] = deque()
        self._calls: dict[str, deque[float]] = {}
        self._answered: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.counts_by_user: dict[str, dict[str, int]] = {}
        self.accounts: dict[str, _Account] = {}
        self.projects: dict[str, _Project] = {}
        self._register(DEFAULT_ACCOUNT, DEMO_DOMAIN, DEMO_USER)
        self.add_project(project_id, account=DEFAULT_ACCOUNT, region=region)
        #: The default project's jobs: ``{job_id: (response, created)}``.
        self.jobs = self.projects[project_id].jobs
        self.load(records)
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- accounts and projects ---------------------------------------------------------
    def _register(self, name: str, domain: str, user: str) -> _Account:
        acct = _Account(
            name, domain, user, _hex_id("domain", domain), _hex_id("user", domain, user)
        )
        self.accounts[name] = acct
        return acct

    def add_account(
        self,
        name: str,
        *,
        domain: str,
        user: str,
        password: str | None = None,
        token: str | None = None,
        ak: str | None = None,
        sk: str | None = None,
    ) -> None:
        """Register a user (an account's IAM user) and the credentials that act as it.

        The quota is per user: one bucket shared by its ``token``, the tokens IAM issues
        for its ``password``, and its AK/SK, across all of its projects.

        Parameters
        ----------
        name : str
            The account's name here (the key of :attr:`counts_by_user`).
        domain, user : str
            Account (domain) name and IAM user name, as ``POST /v3/auth/tokens`` takes them.
        password : str, optional
            Accepted by ``POST /v3/auth/tokens`` for ``(domain, user)``.
        token : str, optional
            A ready token, valid for every project of the account.
        ak, sk : str, optional
            An access key and its secret (both or neither).

        Raises
        ------
        ConfigError
            A name, token, user or AK already registered; ``ak`` without ``sk``.

        Examples
        --------
        >>> emu = Emulator([])
        >>> emu.add_account("ops", domain="acme", user="ops", ak="AKOPS", sk="secret")
        >>> emu.add_account("ops", domain="acme", user="ops2")
        Traceback (most recent call last):
        ...
        rds_job_analytics.exceptions.ConfigError: account 'ops' is already registered
        """
        if name in self.accounts:
            raise ConfigError(f"account {name!r} is already registered")
        if (ak is None) != (sk is None):
            raise ConfigError(f"account {name!r}: ak and sk go together")
        if token is not None and token in self.tokens:
            raise ConfigError(f"account {name!r}: that token belongs to another account")
        if ak is not None and ak in self.aksk:
            raise ConfigError(f"account {name!r}: access key {ak[:4]}… belongs to another account")
        if password is not None and (domain, user) in self.users:
            raise ConfigError(f"account {name!r}: user {domain}/{user} is already registered")
        self._register(name, domain, user)
        if password is not None:
            self.users[(domain, user)] = password
            self._owner_user[(domain, user)] = name
        if token is not None:
            self.tokens.add(token)
            self._owner_token[token] = name
        if ak is not None and sk is not None:
            self.aksk[ak] = sk
            self._owner_ak[ak] = name

    def add_project(
        self,
        project_id: str,
        *,
        account: str,
        region: str,
        records: Iterable[Any] | None = None,
        name: str | None = None,
    ) -> None:
        """Serve a project of ``account`` in ``region``, loaded with ``records``.

        Parameters
        ----------
        project_id : str
            The ID in the API's paths (``/v3/{project_id}/jobs``).
        account : str
            Its owner (:meth:`add_account`); only that account's credentials reach it.
        region : str
            The region it lives in.
        records : iterable, optional
            Raw responses, as :meth:`load` takes them (default: none).
        name : str, optional
            Its IAM name; default the region (a region's own project). A sub-project is
            named ``{region}_xxx`` and IAM lists the region's project as its parent.

        Raises
        ------
        ConfigError
            An unknown account or a project ID already served.

        Examples
        --------
        >>> emu = Emulator([])
        >>> emu.add_project("1" * 32, account="default", region="cn-north-4")
        >>> emu.add_project("2" * 32, account="default", region="cn-north-4",
        ...                 name="cn-north-4_dr")
        >>> sorted(p.name for p in emu.projects.values())
        ['ap-southeast-1', 'cn-north-4', 'cn-north-4_dr']
        """
        if account not in self.accounts:
            known = ", ".join(sorted(self.accounts))
            raise ConfigError(f"unknown account {account!r} (registered: {known})")
        if project_id in self.projects:
            raise ConfigError(f"project {project_id} is already served")
        self.projects[project_id] = _Project(project_id, account, region, name or region)
        if records is not None:
            self.load(records, project_id=project_id)

    def _project_by_scope(self, account: str, scope: dict[str, Any]) -> _Project | None:
        """The project a token request's ``scope.project`` (``id`` or ``name``) names."""
        for p in self.projects.values():
            if p.account == account and (p.id == scope.get("id") or p.name == scope.get("name")):
                return p
        return self.projects.get(str(scope.get("id")))

    def _iam_project(self, project: _Project) -> dict[str, Any]:
        """IAM's record of a project: a sub-project's parent is its region's project;
        a region's own project's parent is the account (as IAM answers)."""
        acct = self.accounts[project.account]
        parent = acct.domain_id
        if "_" in project.name:
            base = project.name.split("_", 1)[0]
            for p in self.projects.values():
                if p.account == project.account and p.name == base:
                    parent = p.id
        return {
            "id": project.id, "name": project.name, "domain_id": acct.domain_id,
            "enabled": True, "is_domain": False, "parent_id": parent, "description": "",
        }  # fmt: skip

    # -- data ----------------------------------------------------------------------
    def load(self, records: Iterable[Any], *, project_id: str | None = None) -> None:
        """Add raw responses (later ones replace earlier ones with the same ID).

        Parameters
        ----------
        records : iterable
            Dicts, or JSON as bytes or str.
        project_id : str, optional
            The project they belong to; default the constructor's.

        Examples
        --------
        >>> emu = Emulator([], retention_days=None)
        >>> emu.load([b'{"job": {"id": " j 1", "status": "Running"}}'])
        >>> emu.job_ids()
        ['j1']
        """
        project = self.projects[project_id or self.project_id]
        parsed = []
        for rec in records:
            obj = orjson.loads(rec) if isinstance(rec, bytes | str) else rec
            parsed.append((obj, parse_job(obj)))
        # one conversion for the lot (5,000 one by one cost a quarter of a second); what it
        # cannot read (e.g. outside its nanosecond range) is tried again on its own
        times = pd.to_datetime([row.created for _, row in parsed], utc=True, format="ISO8601",
                               errors="coerce")  # fmt: skip
        for (obj, row), created in zip(parsed, times, strict=True):
            if pd.isna(created) and row.created is not None:
                created = pd.to_datetime(row.created, utc=True, format="ISO8601", errors="coerce")
            project.jobs[row.job_id] = (obj, None if pd.isna(created) else created)
        project.tasks_cache = None

    def job_ids(self, project_id: str | None = None) -> list[str]:
        """IDs of a project's loaded jobs that are visible now (oldest first).

        Parameters
        ----------
        project_id : str, optional
            Default the constructor's project.

        Examples
        --------
        >>> emu = Emulator([], retention_days=None)
        >>> emu.add_project("1" * 32, account="default", region="cn-north-4",
        ...                 records=[{"job": {"id": "j9", "status": "Running"}}])
        >>> emu.job_ids("1" * 32), emu.job_ids()
        (['j9'], [])
        """
        jobs = self.projects[project_id or self.project_id].jobs
        items = sorted(jobs.items(), key=lambda kv: (kv[1][1] is None, kv[1][1]))
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

    def _task_rows(self, project_id: str | None = None) -> list[_TaskRow]:
        """A project's task-list records of the visible jobs, newest first (see
        :func:`task_of`)."""
        project = self.projects[project_id or self.project_id]
        if project.tasks_cache is None:
            items = []
            for jid, (obj, created) in project.jobs.items():
                task = task_of(obj.get("job", obj), jid)
                items.append((created, task, {str(k).strip(): v for k, v in task.items()}))
            ends = pd.to_datetime(
                pd.Series([v if isinstance(v := i[2].get("end_time"), str) else None
                           for i in items], dtype=object),
                utc=True, format="ISO8601", errors="coerce",
            )  # fmt: skip
            rows: list[_TaskRow] = [
                (c, t, v, None if c is None else _us(c), None if pd.isna(e) else _us(e))
                for (c, t, v), e in zip(items, ends, strict=True)
            ]
            rows.sort(key=lambda r: r[0] or pd.Timestamp.min.tz_localize("UTC"), reverse=True)
            project.tasks_cache = rows
        if self.retention_days is None:
            return list(project.tasks_cache)
        oldest = _us(pd.Timestamp(self._clock()) - pd.Timedelta(days=self.retention_days))
        return [r for r in project.tasks_cache if r[3] is not None and r[3] >= oldest]

    def _in_window(
        self, rows: list[_TaskRow], lo: pd.Timestamp, hi: pd.Timestamp
    ) -> list[_TaskRow]:
        """The rows the task list's ``start_time=lo, end_time=hi`` selects, as
        :attr:`task_time_filter` reads it (integer comparisons: no Timestamp per row)."""
        lo_us, hi_us = _us(lo), _us(hi)
        if self.task_time_filter == "literal":
            return [r for r in rows if r[3] is not None and r[3] >= lo_us
                    and r[4] is not None and r[4] <= hi_us]  # fmt: skip
        return [r for r in rows if r[3] is not None and lo_us <= r[3] <= hi_us]

    # -- behaviour -------------------------------------------------------------------
    def inject(self, fault: str, times: int = 1) -> None:
        """Answer the next ``times`` API GETs with ``fault`` (one of ``FAULTS``).

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

    def _admit(self, user: str) -> float | None:
        """None when ``user`` may call now (its call time is recorded); else the seconds
        until its quota window has room."""
        now = time.monotonic()
        with self._lock:
            if self.quota is not None:
                q = self._calls.setdefault(user, deque())
                while q and q[0] <= now - self.quota_window:
                    q.popleft()
                if len(q) >= self.quota:
                    return q[0] + self.quota_window - now
                q.append(now)
            self._answered.setdefault(user, []).append(now)
        return None

    def calls_by_user(self, name: str) -> list[float]:
        """The :func:`time.monotonic` times of ``name``'s answered API GETs (jobs and
        task-list pages; 429s and faults are not answers), oldest first: a benchmark's
        highest rate in any quota window comes from these.

        Examples
        --------
        >>> Emulator([]).calls_by_user("default")
        []
        """
        with self._lock:
            return list(self._answered.get(name, ()))

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

    def _count(self, key: str, user: str | None = None, *, total: bool = True) -> None:
        """One more ``key`` call in :attr:`counts` (unless not ``total``) and, for a
        known caller, in its :attr:`counts_by_user`."""
        with self._lock:
            if total:
                self.counts[key] = self.counts.get(key, 0) + 1
            if user is not None:
                mine = self.counts_by_user.setdefault(user, {})
                mine[key] = mine.get(key, 0) + 1

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
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": _STOP_POLL}, daemon=True
        )
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
            ``max_retries``...); ``project_id`` defaults to the constructor's, ``auth``
            to the default account's :data:`DEMO_TOKEN`.

        Examples
        --------
        >>> with Emulator([]) as emu:
        ...     client = emu.client(max_retries=0)
        ...     same = client.endpoint == emu.url
        >>> same, client.max_retries
        (True, 0)
        """
        from ..api._auth import TokenAuth
        from ..api._client import JobsClient

        project_id = kwargs.pop("project_id", self.project_id)
        kwargs.setdefault("auth", TokenAuth(DEMO_TOKEN))
        kwargs.setdefault("rate_limit", 1000.0)
        return JobsClient(project_id, endpoint=self.url, **kwargs)


# -- the demo estate ---------------------------------------------------------------------
#: The demo estate: (account, region, jobs) per project, in fleet-file order. The accounts'
#: job totals are equal (450 each), so syncing them in parallel takes about half the time.
_DEMO_PROJECTS = (
    ("prod", "cn-north-4", 250),
    ("prod", "ap-southeast-1", 200),
    ("analytics", "eu-west-101", 450),
)
#: Environment variable -> the demo's credential (the emulator's own, nothing real).
_DEMO_ENV = {
    "RDS_JOBS_PROD_AK": "EMUPRODACCESSKEY0001",
    "RDS_JOBS_PROD_SK": "emulator-prod-secret-key",
    "RDS_JOBS_ANALYTICS_TOKEN": "emulator-analytics-token",
    "RDS_JOBS_ANALYTICS_USER": "analytics-reader",
    "RDS_JOBS_ANALYTICS_PASSWORD": "emulator-analytics-password",
    "RDS_JOBS_ANALYTICS_DOMAIN": "analytics-team",
}
#: Each account's credential source in the fleet file: (auth kind, {key: variable}).
_DEMO_AUTH = {
    "prod": ("aksk", {"ak": "RDS_JOBS_PROD_AK", "sk": "RDS_JOBS_PROD_SK"}),
    "analytics": ("token", {"token": "RDS_JOBS_ANALYTICS_TOKEN"}),
}


@dataclass
class DemoFleet:
    """A demo estate: an emulator (not started) serving two accounts and three regions.

    Attributes
    ----------
    emulator : Emulator
        Start it (``with demo.emulator as emu``) before using :meth:`fleet_toml`'s file.
    env : dict
        Environment variables holding the accounts' credentials (the emulator's own):
        ``RDS_JOBS_PROD_AK``/``_SK`` (account ``prod``, AK/SK), ``RDS_JOBS_ANALYTICS_TOKEN``
        (account ``analytics``) and ``RDS_JOBS_ANALYTICS_USER``/``_PASSWORD``/``_DOMAIN``
        (the same user by password).
    projects : tuple
        ``(account, region, project_id)`` per project, in the fleet file's order.

    Examples
    --------
    >>> demo = demo_fleet()
    >>> [(a, r) for a, r, _ in demo.projects]
    [('prod', 'cn-north-4'), ('prod', 'ap-southeast-1'), ('analytics', 'eu-west-101')]
    """

    emulator: Emulator
    env: dict[str, str]
    projects: tuple[tuple[str, str, str], ...]

    def __repr__(self) -> str:  # the env holds (demo) secrets: names only
        return f"DemoFleet(projects={len(self.projects)}, env=[{', '.join(sorted(self.env))}])"

    def fleet_toml(self, endpoint: str, *, rate_limit: float | None = None) -> str:
        """The fleet file of this estate, every project's endpoint set to ``endpoint``.

        Parameters
        ----------
        endpoint : str
            The emulator's URL (``demo.emulator.url`` once started).
        rate_limit : float, optional
            Calls per second written for each account (default: the fleet's 1.0).

        Returns
        -------
        str
            TOML naming environment variables of :attr:`env`, never a secret.

        Examples
        --------
        >>> import tomllib
        >>> demo = demo_fleet()
        >>> fleet = tomllib.loads(demo.fleet_toml("http://127.0.0.1:8080"))
        >>> fleet["accounts"]["prod"]["env"]
        {'ak': 'RDS_JOBS_PROD_AK', 'sk': 'RDS_JOBS_PROD_SK'}
        >>> fleet["accounts"]["analytics"]["projects"][0]["region"]
        'eu-west-101'
        """
        out = [
            "# rds-jobs fleet file: accounts, their credentials (names of environment "
            "variables, never secrets) and projects"
        ]
        for account, (kind, env) in _DEMO_AUTH.items():
            out += ["", f"[accounts.{account}]", f'auth = "{kind}"']
            if rate_limit is not None:
                out.append(f"rate_limit = {rate_limit:g}")
            out.append("env = { " + ", ".join(f'{k} = "{v}"' for k, v in env.items()) + " }")
            if account == "analytics":
                out.append(
                    '# or by password: auth = "password" and env = { user = '
                    '"RDS_JOBS_ANALYTICS_USER", password = "RDS_JOBS_ANALYTICS_PASSWORD", '
                    'domain = "RDS_JOBS_ANALYTICS_DOMAIN" }'
                )
            for owner, region, pid in self.projects:
                if owner == account:
                    out += [
                        "",
                        f"[[accounts.{account}.projects]]",
                        f'region = "{region}"',
                        f'project_id = "{pid}"',
                        f'name = "{region}"',
                        f'endpoint = "{endpoint}"',
                    ]
        return "\n".join(out) + "\n"


def demo_fleet(
    *,
    quota: int | None = None,
    quota_window: float = 60.0,
    latency: float = 0.0,
    seed: int = 0,
) -> DemoFleet:
    """A demo estate of two accounts and three regions on one emulator (not started).

    Account ``prod`` (AK/SK) has ``cn-north-4`` (250 jobs) and ``ap-southeast-1`` (200);
    account ``analytics`` (a token, or its user's password) has ``eu-west-101`` (450).
    Each project has its own synthetic history (:func:`~rds_job_analytics.synth.generate_jobs`
    with its own seed: distinct job and instance IDs) created in the shipped sample's
    window, and the emulator keeps every job (no retention), so a sync with
    ``--horizon-days 0`` reads them all. The quota is per account, across its projects.

    Parameters
    ----------
    quota : int, optional
        Calls per ``quota_window`` seconds per account (None: no limit).
    quota_window : float
        Seconds of the quota window (60 like the real API; less to compress time).
    latency : float
        Seconds added to every API GET.
    seed : int
        Changes every project's jobs and IDs.

    Returns
    -------
    DemoFleet

    Examples
    --------
    >>> demo = demo_fleet()
    >>> with demo.emulator as emu:
    ...     sizes = [len(emu.job_ids(pid)) for _, _, pid in demo.projects]
    >>> sizes
    [250, 200, 450]
    """
    from ..synth import generate_jobs

    emu = Emulator([], quota=quota, quota_window=quota_window, latency=latency,
                   retention_days=None, seed=seed)  # fmt: skip
    env = dict(_DEMO_ENV)
    emu.add_account("prod", domain="prod-team", user="prod-sync",
                    ak=env["RDS_JOBS_PROD_AK"], sk=env["RDS_JOBS_PROD_SK"])  # fmt: skip
    emu.add_account(
        "analytics", domain=env["RDS_JOBS_ANALYTICS_DOMAIN"], user=env["RDS_JOBS_ANALYTICS_USER"],
        password=env["RDS_JOBS_ANALYTICS_PASSWORD"], token=env["RDS_JOBS_ANALYTICS_TOKEN"],
    )  # fmt: skip
    projects = []
    for i, (account, region, n) in enumerate(_DEMO_PROJECTS):
        pid = _hex_id("demo-project", str(seed), account, region)
        jobs = generate_jobs(n, seed=seed * 1000 + 7 * (i + 1), n_instances=12 + 4 * i)
        emu.add_project(pid, account=account, region=region, records=jobs)
        projects.append((account, region, pid))
    return DemoFleet(emu, env, tuple(projects))

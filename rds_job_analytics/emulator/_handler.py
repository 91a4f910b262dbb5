"""The emulator's HTTP handler: IAM's token and project calls, the job and task-list GETs,
and the injected faults."""

from __future__ import annotations

import random
import socket
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pandas as pd

from .._time import utcnow
from ..normalize.schema import strip_job_id
from ._state import DEFAULT_ACCOUNT, _Project
from ._tasks import _TASK_FILTERS, _is_epoch_ms

if TYPE_CHECKING:
    from ._emulator import Emulator

FAULTS = ("500", "502", "503", "504", "429", "429-retry-after", "drop", "truncate", "html")
_AUTH_FAILED = "Incorrect IAM authentication information"
#: The 403 a credential gets for a project its account does not own (or that does not
#: exist): the gateway's "not authorized" answer, ``(error_code, error_msg)``.
NOT_OWNER = ("APIGW.0302", "The IAM user is not authorized to access the API")
_NOT_FOUND_API = ("APIGW.0101", "The API does not exist or has not been published")


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
        now = utcnow()
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


# library's 0.5 s made every ``with Emulator()`` cost half a second on leaving).
_STOP_POLL = 0.02


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emu: Emulator

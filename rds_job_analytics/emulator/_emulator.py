"""The :class:`Emulator`: accounts, projects and jobs, quota, faults, and its server's
lifecycle."""

from __future__ import annotations

import hmac
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pandas as pd

from .._time import utcnow
from .._validate import check_choice
from ..api import AkSkCredentials, sign_request
from ..exceptions import ConfigError
from ..normalize import parse_job
from ._handler import _AUTH_FAILED, _STOP_POLL, FAULTS, _Handler, _Server
from ._state import (
    DEFAULT_ACCOUNT,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_PROJECT,
    DEMO_TOKEN,
    DEMO_USER,
    _Account,
    _hex_id,
    _Project,
)
from ._tasks import TASK_TIME_FILTERS, _shifted, _TaskRow, _us, task_of

#: AK/SK signatures whose ``X-Sdk-Date`` is further than this from the emulator's clock
#: are refused, as the gateway does.
MAX_CLOCK_SKEW = timedelta(minutes=15)
_SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


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
                clock = now or utcnow()
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
        now = self.now or utcnow()
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

    @property
    def port(self) -> int:
        """The port: the one served on once started, else the one asked (0: any free port).

        Examples
        --------
        >>> emu = Emulator([], port=0)
        >>> emu.port
        0
        >>> with emu:
        ...     emu.url.endswith(f":{emu.port}") and emu.port > 0
        True
        """
        if self._server is not None:
            return int(self._server.server_address[1])
        return self._port

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
        from ..api import JobsClient, TokenAuth

        project_id = kwargs.pop("project_id", self.project_id)
        kwargs.setdefault("auth", TokenAuth(DEMO_TOKEN))
        kwargs.setdefault("rate_limit", 1000.0)
        return JobsClient(project_id, endpoint=self.url, **kwargs)

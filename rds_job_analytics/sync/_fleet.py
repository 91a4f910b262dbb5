"""The whole estate: several accounts, each with its regions and projects, in one archive.

Huawei Cloud gives every region its own project (sub-projects are ``{region}_xxx``) and
the quota is per user. A *fleet file* (TOML) lists the accounts, where each one's
credentials come from (names of environment variables, or a profile: never a secret),
and the projects to sync::

    [accounts.prod]
    auth = "aksk"                                 # aksk | token | password
    env = { ak = "RDS_JOBS_PROD_AK", sk = "RDS_JOBS_PROD_SK" }
    rate_limit = 0.9                              # optional: calls/s for the whole account

    [[accounts.prod.projects]]
    region = "cn-north-4"
    project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    endpoint = "https://rds.cn-north-4.myhuaweicloud.com"   # optional override

:func:`load_fleet` validates it (naming the bad key and its line) before any call;
:func:`sync_fleet` syncs every project into one archive: one quota bucket per account,
shared by its projects and by every process on the machine (:mod:`.quota`), one lease
per project (a second sync of it waits or skips), accounts in parallel, and one
project's failure reported while the others finish. :func:`discover_projects` asks
IAM which projects an account has, and :func:`fleet_toml` writes them as a fleet file
to review.

Examples
--------
>>> fleet = load_fleet('''
... [accounts.prod]
... auth = "token"
... env = { token = "PROD_TOKEN" }
... [[accounts.prod.projects]]
... region = "eu-west-101"
... project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
... ''')
>>> [(p.account, p.region, p.endpoint) for p in fleet.projects]
[('prod', 'eu-west-101', 'https://rds.eu-west-101.myhuaweicloud.eu')]
"""

from __future__ import annotations

import configparser
import json
import os
import re
import threading
import tomllib
import warnings
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_any
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .._validate import PROJECT_ID_SHAPE, expand_path
from ..api._auth import AkSkAuth, Auth, PasswordAuth, TokenAuth, check_endpoint
from ..api._client import DEFAULT_RATE_LIMIT, JobsClient, connect_failure_reason
from ..api.regions import REGION_DOMAINS, endpoint_for, iam_endpoint_for
from ..exceptions import ApiError, ConfigError, ProjectBusy, RdsJobError, TransportError
from ..normalize.schema import API_HORIZON
from ..quota import SharedTokenBucket, bucket_for, bucket_path, credential_identity
from ..store._archive import JobArchive
from ._sync import (
    DEFAULT_DETAIL_RULE,
    DetailRule,
    Details,
    FetchWarning,
    SyncResult,
    sync_jobs,
)

__all__ = [
    "AUTH_KINDS",
    "Account",
    "Fleet",
    "FleetProject",
    "FleetResult",
    "ProjectOutcome",
    "check_fleet",
    "discover_projects",
    "fleet_toml",
    "load_fleet",
    "sync_fleet",
]

#: Credential kinds -> the keys their ``env`` (or profile) names, required and optional.
AUTH_KINDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "aksk": (("ak", "sk"), ("security_token",)),
    "token": (("token",), ()),
    "password": (("user", "password", "domain"), ()),
}
_ACCOUNT_KEYS = {"auth", "env", "profile", "iam_endpoint", "rate_limit", "projects"}
_PROJECT_KEYS = {"region", "project_id", "name", "endpoint"}
#: Keys that would hold a secret: refused wherever they appear outside ``env``.
_SECRET_KEYS = re.compile(
    r"^(sk|ak|secret.*|.*_secret|password|passwd|token|security_token|access_key.*|"
    r"secret_key|authorization)$",
    re.IGNORECASE,
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def _looks_like_a_variable(name: str) -> bool:
    """A name, not a key: letters, digits and ``_``, and either an ``_`` or at most 12
    characters. An AK (20 letters and digits) or an SK (40) is refused, so the value that
    would be named in a "not set" message can never be a secret."""
    return bool(_ENV_NAME.match(name)) and ("_" in name or len(name) <= 12)


_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Values of the fleet file a message may quote: an environment variable named the usual
#: way (upper case, words joined by ``_``) and a region shaped like one. Anything else may
#: be a secret pasted in the wrong place: messages name its file, line and key instead.
_SHOWN_VARIABLE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_SHOWN_REGION = re.compile(r"^[a-z]{2}-[a-z]+-[0-9]{1,3}$")
_SHOWN_PROFILE = re.compile(r"^[A-Za-z][A-Za-z_-]{0,31}$")
#: Brackets a fleet file may nest (TOML arrays and inline tables); deeper is refused.
MAX_NESTING = 32


def _key_at(text: str, line: int | None) -> str:
    """``"table.key: "`` of the key written on (or last before) ``line``, or ``""``."""
    if line is None:
        return ""
    table, key = "", None
    for raw in text.splitlines()[:line]:
        raw = raw.strip()
        if m := re.match(r"^\[\[?\s*([^\]]+?)\s*\]", raw):
            table, key = _unquote(m.group(1)), None
        elif m := re.match(r"""^("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""", raw):
            key = _unquote(m.group(1))
    return ".".join(p for p in (table, key) if p) + ": " if key else ""


def _deepest_line(text: str) -> int | None:
    """The first line where brackets nest deeper than :data:`MAX_NESTING` (strings
    skipped roughly), for the error about a file too deeply nested to read."""
    depth, quote = 0, ""
    for n, line in enumerate(text.splitlines(), 1):
        for ch in line:
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "\"'":
                quote = ch
            elif ch == "#":
                break
            elif ch in "[{":
                depth += 1
                if depth > MAX_NESTING:
                    return n
            elif ch in "]}":
                depth -= 1
    return None


#: Where ``profile = "name"`` is read: a section of this INI file (keys as in ``env``).
CREDENTIALS_FILE_ENV = "RDS_JOBS_CREDENTIALS_FILE"
DEFAULT_CREDENTIALS_FILE = Path("~/.huaweicloud/credentials")


# -- the fleet file ------------------------------------------------------------------------
@dataclass(frozen=True)
class FleetProject:
    """One project to sync: its account, region, project ID and endpoint."""

    account: str
    region: str
    project_id: str
    endpoint: str
    name: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Account:
    """One account: where its credentials come from and its projects.

    ``env`` maps a credential key (``ak``, ``sk``, ``token``, ``user``...) to the name of
    the environment variable holding it; ``profile`` names a section of the
    credentials file instead.
    """

    name: str
    auth: str
    env: Mapping[str, str] = field(default_factory=dict)
    profile: str | None = None
    iam_endpoint: str | None = None
    rate_limit: float = DEFAULT_RATE_LIMIT
    projects: tuple[FleetProject, ...] = ()
    line: int | None = None  # of its credentials (env or profile)
    source: str = "<fleet>"

    def __repr__(self) -> str:
        return (
            f"Account(name={self.name!r}, auth={self.auth!r}, "
            f"projects={[p.project_id for p in self.projects]!r})"
        )

    def credentials(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The credential values, read now from the environment or the profile;
        :class:`ConfigError` naming the missing variable (never a value)."""
        env = os.environ if environ is None else environ
        required, optional = AUTH_KINDS[self.auth]
        if self.profile is not None:
            at = f" line {self.line}" if self.line else ""
            where = f"{self.source}{at}: accounts.{self.name}.profile"
            return _profile(where, self.profile, required, optional, env)
        out: dict[str, str] = {}
        for key in (*required, *optional):
            var = self.env.get(key)
            if var is None:
                continue
            value = env.get(var)
            if not value:
                if key in optional:
                    continue
                at = f" line {self.line}" if self.line else ""
                # a name not shaped like one may be a secret pasted there: not echoed
                shown = _SHOWN_VARIABLE.match(var)
                named = f"environment variable {var}" if shown else "the variable it names"
                raise ConfigError(
                    f"{self.source}{at}: accounts.{self.name}.env.{key}: {named} is not set"
                )
            out[key] = value
        return out

    def identity(self, creds: Mapping[str, str]) -> str:
        """What the API's quota is counted by (:func:`quota.credential_identity`)."""
        return credential_identity(self.auth, dict(creds))

    def make_auth(self, creds: Mapping[str, str]) -> Auth:
        """A fresh :class:`Auth` (a password token is project-scoped: one per project)."""
        if self.auth == "aksk":
            return AkSkAuth(creds["ak"], creds["sk"], creds.get("security_token"))
        if self.auth == "token":
            return TokenAuth(creds["token"])
        return PasswordAuth(
            creds["user"], creds["password"], creds["domain"], iam_endpoint=self.iam_endpoint
        )


@dataclass(frozen=True)
class Fleet:
    """A validated fleet file (see :func:`load_fleet`)."""

    accounts: tuple[Account, ...]
    source: str = "<fleet>"

    @property
    def projects(self) -> list[FleetProject]:
        """Every project of every account, in file order."""
        return [p for a in self.accounts for p in a.projects]

    def account(self, name: str) -> Account:
        """The account called ``name``; :class:`ConfigError` listing the names otherwise."""
        for a in self.accounts:
            if a.name == name:
                return a
        names = ", ".join(a.name for a in self.accounts) or "none"
        raise ConfigError(f"{self.source}: no account {name!r} (accounts: {names})")


class _Lines:
    """Line numbers of the keys of a TOML text (tomllib gives none): (table, index, key)."""

    def __init__(self, text: str) -> None:
        self.at: dict[tuple[str, int | None, str | None], int] = {}
        counts: dict[str, int] = {}
        table, index = "", None
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if m := re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", line):
                table = _unquote(m.group(1))
                index = counts[table] = counts.get(table, -1) + 1
                self.at.setdefault((table, index, None), n)
            elif m := re.match(r"^\[\s*([^\]]+?)\s*\]", line):
                table, index = _unquote(m.group(1)), None
                self.at.setdefault((table, None, None), n)
            elif m := re.match(r"""^("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""", line):
                self.at.setdefault((table, index, _unquote(m.group(1))), n)

    def of(self, table: str, index: int | None = None, key: str | None = None) -> int | None:
        return self.at.get((table, index, key)) or self.at.get((table, index, None))


def _unquote(dotted: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in dotted.split("."))


def load_fleet(source: str | Path, *, require_projects: bool = True) -> Fleet:
    """Read and validate a fleet file (a path, or the TOML text itself).

    Every problem is a :class:`ConfigError` naming the file, the line and the key, found
    before any call: a secret in the file (a key like ``sk``/``password``/``token``
    outside ``env``, or an ``env`` value that is no variable name), an unknown key,
    auth kind or region (a region outside :data:`regions.REGION_DOMAINS` needs an
    ``endpoint``), a project listed twice, a bad project ID. Credentials themselves are
    read later (:meth:`Account.credentials`).

    Parameters
    ----------
    source : str or Path
        A path to a ``.toml`` file, or TOML text (anything holding a newline).
    require_projects : bool
        Refuse an account without projects (what a sync needs); ``False`` for discovery,
        where a credentials-only ``[accounts.NAME]`` section is all there is yet.

    Returns
    -------
    Fleet

    Examples
    --------
    >>> load_fleet('''
    ... [accounts.prod]
    ... auth = "aksk"
    ... env = { ak = "PROD_AK" }
    ... sk = "dGhpcyBpcyBhIHNlY3JldA"
    ... ''')
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: <fleet> line 5: accounts.prod.sk: ...
    """
    if isinstance(source, Path) or "\n" not in str(source):
        path = expand_path(Path(source))  # ~ and $VARS, as every path argument
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"no fleet file at {str(path)!r}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read fleet file {str(path)!r}: {exc}") from None
        name = str(path)
    else:
        text, name = str(source), "<fleet>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    except RecursionError:
        data = None
    deep = _deepest_line(text)
    if data is None or deep is not None:
        at = f" line {deep}" if deep else ""
        raise ConfigError(
            f"{name}{at}: {_key_at(text, deep)}nested deeper than {MAX_NESTING} brackets: "
            "not a fleet file"
        )
    return _parse(data, _Lines(text), name, require_projects=require_projects)


def _parse(data: dict[str, Any], lines: _Lines, name: str, *, require_projects: bool) -> Fleet:
    def fail(line: int | None, where: str, msg: str) -> ConfigError:
        return ConfigError(f"{name}{f' line {line}' if line else ''}: {where}: {msg}")

    for key in data:
        if key != "accounts":
            raise fail(lines.of("", None, key), key, "unknown top-level key (only [accounts.NAME])")
    accounts_data = data.get("accounts")
    if not isinstance(accounts_data, dict) or not accounts_data:
        raise fail(None, "accounts", "no accounts: add an [accounts.NAME] table")
    accounts: list[Account] = []
    seen: dict[str, str] = {}
    for acct, body in accounts_data.items():
        table = f"accounts.{acct}"
        at = lines.of(table)
        if not _ACCOUNT_NAME.match(acct):
            raise fail(at, table, "account names are letters, digits, '_', '.', '-'")
        if not isinstance(body, dict):
            raise fail(at, table, "must be a table")
        for key, value in body.items():
            if key not in _ACCOUNT_KEYS:
                hint = (
                    "secrets never go in the fleet file: name the environment variable "
                    f'that holds it in env = {{ {key} = "VAR" }}'
                    if _SECRET_KEYS.match(key)
                    else f"unknown key (expected one of {', '.join(sorted(_ACCOUNT_KEYS))})"
                )
                raise fail(lines.of(table, None, key), f"{table}.{key}", hint)
            del value
        kind = body.get("auth")
        if not isinstance(kind, str) or kind not in AUTH_KINDS:  # the value is not echoed
            raise fail(lines.of(table, None, "auth"), f"{table}.auth",
                       f"must be one of {', '.join(AUTH_KINDS)}")  # fmt: skip
        env, profile = body.get("env"), body.get("profile")
        if (env is None) == (profile is None):
            raise fail(at, table, 'give exactly one of env = { ... } or profile = "NAME"')
        required, optional = AUTH_KINDS[kind]
        if env is not None:
            env_at = lines.of(table, None, "env")
            if not isinstance(env, dict):
                raise fail(env_at, f"{table}.env", "must be an inline table of variable names")
            for key, var in env.items():
                if key not in (*required, *optional):
                    raise fail(env_at, f"{table}.env.{key}",
                               f"{kind} credentials take {', '.join((*required, *optional))}")  # fmt: skip
                if not isinstance(var, str) or not _looks_like_a_variable(var):
                    raise fail(env_at, f"{table}.env.{key}",
                               "must name an environment variable (letters, digits, '_'), "
                               "not hold a value: secrets never go in the fleet file")  # fmt: skip
            missing = [k for k in required if k not in env]
            if missing:
                raise fail(env_at, f"{table}.env", f"{kind} needs {', '.join(missing)}")
        elif not isinstance(profile, str) or not profile.strip():
            raise fail(lines.of(table, None, "profile"), f"{table}.profile", "must be a name")
        iam = body.get("iam_endpoint")
        if iam is not None:
            try:  # the endpoint rule's home: https (plain http to loopback only), no user info
                check_endpoint(iam, name="iam_endpoint")
            except ConfigError as exc:
                raise fail(lines.of(table, None, "iam_endpoint"), f"{table}.iam_endpoint",
                           str(exc)) from None  # fmt: skip
        rate = body.get("rate_limit", DEFAULT_RATE_LIMIT)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate < 1e6:
            raise fail(lines.of(table, None, "rate_limit"), f"{table}.rate_limit",
                       "must be a number of calls per second > 0 and < 1000000")  # fmt: skip
        projects_data = body.get("projects", [])
        if not isinstance(projects_data, list):
            raise fail(at, f"{table}.projects", "must be [[" + table + ".projects]] tables")
        if not projects_data and require_projects:
            raise fail(at, f"{table}.projects", "no projects: add [[" + table + ".projects]]")
        projects = []
        for i, proj in enumerate(projects_data):
            ptable = f"{table}.projects"
            where = f"{ptable}[{i}]"
            pat = lines.of(ptable, i)
            if not isinstance(proj, dict):
                raise fail(pat, where, "must be a table")
            for key in proj:
                if key not in _PROJECT_KEYS:
                    hint = (
                        "secrets never go in the fleet file" if _SECRET_KEYS.match(key)
                        else f"unknown key (expected {', '.join(sorted(_PROJECT_KEYS))})"
                    )  # fmt: skip
                    raise fail(lines.of(ptable, i, key), f"{where}.{key}", hint)
            region, pid = proj.get("region"), proj.get("project_id")
            if not isinstance(region, str) or not region:
                raise fail(pat, f"{where}.region", 'required (e.g. "cn-north-4")')
            if not isinstance(pid, str) or not PROJECT_ID_SHAPE.fullmatch(pid):
                raise fail(lines.of(ptable, i, "project_id") or pat, f"{where}.project_id",
                           "must be the project's 32-character ID (hex digits)")  # fmt: skip
            endpoint = proj.get("endpoint")
            if endpoint is not None:
                try:
                    check_endpoint(endpoint, name="endpoint", allow_http=True)  # client: http
                except ConfigError as exc:
                    raise fail(lines.of(ptable, i, "endpoint"), f"{where}.endpoint",
                               str(exc)) from None  # fmt: skip
            if endpoint is None:
                if region not in REGION_DOMAINS:
                    # a value not shaped like a region may be a secret: not echoed
                    named = f" {region!r}" if _SHOWN_REGION.match(region) else ""
                    shown = f"unknown region{named}"
                    raise fail(lines.of(ptable, i, "region"), f"{where}.region",
                               f"{shown}: check the spelling, or give its "
                               "endpoint = \"https://...\"")  # fmt: skip
                endpoint = endpoint_for(region)
            line = lines.of(ptable, i, "project_id") or pat
            if pid in seen:
                raise fail(line, f"{where}.project_id",
                           f"project {pid} is listed twice (first at {seen[pid]})")  # fmt: skip
            seen[pid] = f"line {line}" if line else where
            projects.append(FleetProject(acct, region, pid, endpoint, proj.get("name"), line))
        accounts.append(
            Account(
                acct,
                kind,
                dict(env or {}),
                profile,
                iam,
                float(rate),
                tuple(projects),
                lines.of(table, None, "env" if env is not None else "profile") or at,
                name,
            )
        )
    return Fleet(tuple(accounts), name)


def _profile(
    where: str,
    profile: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    env: Mapping[str, str],
) -> dict[str, str]:
    path = Path(env.get(CREDENTIALS_FILE_ENV) or DEFAULT_CREDENTIALS_FILE).expanduser()
    # a name not shaped like one may be a secret pasted there: the key names it instead
    section_name = f"[{profile}]" if _SHOWN_PROFILE.match(profile) else "section"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as fh:
            parser.read_file(fh)
    except FileNotFoundError:
        raise ConfigError(
            f"{where}: no credentials file at {str(path)!r} "
            f"(set {CREDENTIALS_FILE_ENV} to use another)"
        ) from None
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise ConfigError(
            f"{where}: cannot read credentials file {str(path)!r}: {type(exc).__name__}"
        ) from None
    if not parser.has_section(profile):
        raise ConfigError(f"{where}: no profile {section_name} in {str(path)!r}")
    section = parser[profile]
    missing = [k for k in required if not section.get(k)]
    if missing:
        raise ConfigError(
            f"{where}: profile {section_name} in {str(path)!r} lacks {', '.join(missing)}"
        )
    return {k: section[k] for k in (*required, *optional) if section.get(k)}


# -- syncing the fleet -------------------------------------------------------------------
#: Characters of a project's note in the printed summary table.
NOTE_WIDTH = 60
Status = Literal["ok", "partial", "failed", "skipped"]


@dataclass
class ProjectOutcome:
    """What :func:`sync_fleet` did for one project."""

    account: str
    region: str
    project_id: str
    status: Status = "failed"
    listed: int = 0
    fetched: int = 0
    failed: int = 0
    calls: int = 0
    gaps: int = 0
    note: str = ""
    result: SyncResult | None = field(default=None, repr=False)
    stale_lease: bool = False
    """Skipped for a lease its holder stopped renewing (dead, on another machine): nobody
    synced the project (the CLI exits 1)."""


@dataclass
class FleetResult:
    """Every project's :class:`ProjectOutcome`, in fleet order.

    Examples
    --------
    >>> r = FleetResult([ProjectOutcome("prod", "cn-north-4", "p" * 32, "ok", 3, 1, 0, 2)])
    >>> r.complete, r.table()[["account", "status", "calls"]].values.tolist()
    (True, [['prod', 'ok', 2]])
    """

    outcomes: list[ProjectOutcome]

    @property
    def complete(self) -> bool:
        """Whether every project synced fully (skipped ones were synced by another run;
        not one skipped for a dead holder's lease)."""
        return all(
            o.status == "ok" or (o.status == "skipped" and not o.stale_lease) for o in self.outcomes
        )

    def table(self) -> pd.DataFrame:
        """One row per project: account, region, project_id, status, listed, fetched,
        failed, calls, gaps, note."""
        cols = ["account", "region", "project_id", "status", "listed", "fetched", "failed",
                "calls", "gaps", "note"]  # fmt: skip
        return pd.DataFrame([[getattr(o, c) for c in cols] for o in self.outcomes], columns=cols)

    def __str__(self) -> str:
        df = self.table()
        if df.empty:
            return "no projects"
        long = df["note"].str.len() > NOTE_WIDTH  # the whole note: the outcome (and stderr)
        df.loc[long, "note"] = df.loc[long, "note"].str.slice(0, NOTE_WIDTH - 3) + "..."
        return df.to_string(index=False)


def sync_fleet(
    fleet: Fleet | str | Path,
    archive: JobArchive,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    details: Details = "auto",
    detail_rule: DetailRule = DEFAULT_DETAIL_RULE,
    budget: int | None = None,
    horizon: timedelta | None = API_HORIZON,
    wait: float = 0.0,
    environ: Mapping[str, str] | None = None,
    quota_folder: str | Path | None = None,
    rate_limit: float | None = None,
    max_workers: int | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> FleetResult:
    """Sync every project of a fleet into one archive.

    Before any call every account's credentials are read (a missing variable is a
    :class:`ConfigError` naming it) and every client is built (bad endpoints or project
    IDs are refused). Then projects are synced with :func:`sync_jobs` in parallel
    threads: each account paces all of its projects through one
    bucket (the quota is per user): :func:`~rds_job_analytics.quota.bucket_for`, the
    machine's one in the user's state folder (and the database's too for a PostgreSQL
    archive), so other processes using the same account on this machine, whatever
    their archive, share it too; each project is claimed in the archive first,
    and one that another sync holds is ``skipped`` after ``wait`` seconds, saying who
    holds it. One project's failure (a refused credential, a region that is down) is
    reported in its outcome; the others finish.

    Parameters
    ----------
    fleet : Fleet, str or Path
        A :class:`Fleet` or a fleet file (see :func:`load_fleet`).
    archive : JobArchive
        Where everything goes; rows carry ``account``, ``project_id`` and ``region``.
    since, until, details, detail_rule, budget, horizon :
        As in :func:`sync_jobs`, for every project.
    wait : float
        Seconds to wait for a project another sync holds before skipping it.
    environ : mapping, optional
        Where credentials are read; default ``os.environ``.
    quota_folder : str or Path, optional
        A folder for the accounts' quota buckets instead of the machine's
        (:func:`~rds_job_analytics.quota.bucket_for`: the user's state folder, and the
        database too for a PostgreSQL archive, so every machine shares them).
    rate_limit : float, optional
        Calls per second for every account instead of the fleet file's (the emulator).
    max_workers : int, optional
        Projects synced at once (default: all, up to 8).
    client_options : mapping, optional
        More :class:`JobsClient` arguments (``max_workers``, ``max_retries``...).

    Returns
    -------
    FleetResult

    Examples
    --------
    >>> from rds_job_analytics.emulator import demo_fleet
    >>> demo = demo_fleet()
    >>> with demo.emulator as emu, JobArchive(":memory:") as archive:
    ...     fleet = load_fleet(demo.fleet_toml(emu.url))
    ...     result = sync_fleet(fleet, archive, horizon=None, environ=demo.env, rate_limit=200,
    ...                         since=datetime(2026, 8, 1), until=datetime(2026, 11, 15))
    ...     regions = sorted(archive.to_frame()["region"].unique())
    >>> result.complete, len(result.outcomes) == len(fleet.projects), len(regions) >= 3
    (True, True, True)
    """
    if not isinstance(fleet, Fleet):
        fleet = load_fleet(fleet)
    # Everything that can be wrong with the set-up, before any call and before any quota
    # file is made (a refusal touches nothing).
    clients = _clients(fleet, environ, client_options)
    buckets: list[Any] = []
    try:
        for acct in fleet.accounts:
            creds = acct.credentials(environ)
            rate = rate_limit if rate_limit is not None else acct.rate_limit
            bucket: Any = (
                SharedTokenBucket(bucket_path(acct.identity(creds), quota_folder), rate)
                if quota_folder is not None
                else bucket_for(archive, acct.identity(creds), rate)
            )
            buckets.append(bucket)
            for proj, client in clients:
                if proj.account == acct.name:
                    client.bucket = bucket  # one quota for all of the account's projects
    except BaseException:
        for _, c in clients:
            c.close()
        raise

    outcomes = {p.project_id: ProjectOutcome(p.account, p.region, p.project_id) for p, _ in clients}
    stop = threading.Event()

    def run(proj: FleetProject, client: JobsClient) -> None:
        out = outcomes[proj.project_id]
        if stop.is_set():
            out.status, out.note = "failed", "not started: interrupted"
            return
        try:
            res = sync_jobs(
                client, archive, since=since, until=until, details=details,
                detail_rule=detail_rule, budget=budget, horizon=horizon, errors="ignore",
                progress=False, account=proj.account, wait=wait,
            )  # fmt: skip
        except ProjectBusy as exc:
            out.status, out.note = "skipped", f"being synced by {exc.holder} since {exc.since}"
            if exc.stale_for is not None:  # not synced by anyone: a dead holder's lease
                out.stale_lease = True
                out.note += (f"; its lease was not renewed for {exc.stale_for:.0f} s (its "
                             f"holder looks dead): it runs out at {exc.expires}, rerun then")  # fmt: skip
            return
        except RdsJobError as exc:  # a lost lease, the archive gone...: what was committed
            out.status, out.note = "failed", f"{type(exc).__name__}: {exc}"
            out.listed, out.fetched = getattr(exc, "committed", (0, 0))  # counts, not zeros
            out.calls = client.calls
            return
        out.result = res
        out.listed, out.fetched, out.failed, out.calls = (
            res.listed, res.fetched, res.failed, res.calls,
        )  # fmt: skip
        if horizon is not None:
            cov = archive.coverage(proj.project_id, horizon_days=horizon / timedelta(days=1))
            out.gaps = len(cov.gaps)
        if res.partial and not res.listed:
            out.status, out.note = "failed", res.partial
        elif res.partial or res.failed or res.unreadable:
            out.status = "partial"
            out.note = res.partial or (
                f"{len(res.unreadable)} task-list record(s) unreadable, window not covered: "
                + "; ".join(res.unreadable)
                if res.unreadable
                else f"{res.failed} job(s) not fetched"
            )
        else:
            out.status = "ok"
        if out.gaps and out.status == "ok":
            out.note = f"{out.gaps} gap(s) in the API's horizon"

    n = max_workers or min(8, max(1, len(clients)))
    pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="fleet")
    quiet = warnings.catch_warnings()  # each project's warnings are its outcome's note
    quiet.__enter__()
    warnings.simplefilter("ignore", FetchWarning)
    try:
        pending: set[Future[None]] = {pool.submit(run, p, c) for p, c in clients}
        while pending:
            done, pending = wait_any(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                fut.result()  # a bug in run() surfaces; RdsJobErrors are outcomes
    except BaseException:  # Ctrl-C: start nothing new, stop every call; commits stay
        stop.set()
        for b in buckets:
            b.cancel()  # every worker's next call (or wait for one) fails at once
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        quiet.__exit__(None, None, None)
        for _, c in clients:
            c.close()
    return FleetResult([outcomes[p.project_id] for p, _ in clients])


def _clients(
    fleet: Fleet, environ: Mapping[str, str] | None, client_options: Mapping[str, Any] | None
) -> list[tuple[FleetProject, JobsClient]]:
    """Every project's client (credentials read, endpoints and options checked): no
    call, no file. :class:`ConfigError` naming the file, line and project otherwise."""
    options = {"max_workers": 4, **(client_options or {})}
    clients: list[tuple[FleetProject, JobsClient]] = []
    try:
        for acct in fleet.accounts:
            creds = acct.credentials(environ)
            for proj in acct.projects:
                try:
                    client = JobsClient(
                        proj.project_id, region=proj.region, endpoint=proj.endpoint,
                        auth=acct.make_auth(creds), **options,
                    )  # fmt: skip
                except ConfigError as exc:
                    at = f" line {proj.line}" if proj.line else ""
                    raise ConfigError(
                        f"{fleet.source}{at}: {proj.account}/{proj.region}: {exc}"
                    ) from None
                clients.append((proj, client))
    except BaseException:
        for _, c in clients:
            c.close()
        raise
    return clients


def check_fleet(
    fleet: Fleet,
    *,
    environ: Mapping[str, str] | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> None:
    """Everything :func:`sync_fleet` checks before its first call, without an archive:
    every credential is set and every project's client can be built (a plain-http
    endpoint, a bad option...). Nothing is called, opened or created; a problem is a
    :class:`ConfigError` naming the file, the line and the key. The CLI runs it before it
    opens the archive, so a refusal leaves no archive and no quota folder behind.

    Examples
    --------
    >>> fleet = load_fleet('''
    ... [accounts.prod]
    ... auth = "token"
    ... env = { token = "PROD_TOKEN" }
    ... [[accounts.prod.projects]]
    ... region = "cn-north-4"
    ... project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    ... endpoint = "http://rds.example"
    ... ''')
    >>> check_fleet(fleet, environ={"PROD_TOKEN": "t"})
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: <fleet> line 7: prod/cn-north-4: refusing plain http ...
    """
    for _, client in _clients(fleet, environ, client_options):
        client.close()


# -- discovery -------------------------------------------------------------------------
def discover_projects(
    account: Account,
    *,
    environ: Mapping[str, str] | None = None,
    iam_endpoint: str | None = None,
    timeout: tuple[float, float] = (5.0, 30.0),
) -> list[dict[str, Any]]:
    """The projects IAM lists for an account (``GET /v3/auth/projects``): one dict per
    enabled project with ``project_id``, ``name`` and ``region`` (the name before any
    ``_``). It only reads; nothing is synced.

    Parameters
    ----------
    account : Account
        Whose credentials to use (token, AK/SK, or a password: then a domain-scoped
        token is asked for first).
    environ : mapping, optional
        Where the credentials are read.
    iam_endpoint : str, optional
        IAM's base URL; default the account's ``iam_endpoint``, else the global IAM.

    Examples
    --------
    >>> from rds_job_analytics.emulator import demo_fleet
    >>> demo = demo_fleet()
    >>> with demo.emulator as emu:
    ...     acct = load_fleet(demo.fleet_toml(emu.url)).accounts[0]
    ...     found = discover_projects(acct, environ=demo.env, iam_endpoint=emu.url)
    >>> sorted(p["project_id"] for p in found) == sorted(p.project_id for p in acct.projects)
    True
    """
    import requests

    from ..api._auth import AuthContext

    creds = account.credentials(environ)
    base = check_endpoint(
        iam_endpoint or account.iam_endpoint or _default_iam(account), name="iam_endpoint"
    ).rstrip("/")  # the password and signatures go only to https, or to loopback
    url = f"{base}/v3/auth/projects"
    with requests.Session() as session:
        if account.auth == "password":
            token = _domain_token(session, base, creds, timeout)
            headers = {"X-Auth-Token": token}
        else:
            auth = account.make_auth(creds)
            ctx = AuthContext("", endpoint=base, custom_endpoint=True, session=session)
            headers = auth.headers("GET", url, [], None, context=ctx)  # sent as signed
        try:
            resp = session.get(url, headers=headers, timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            reason = connect_failure_reason(exc, base) or type(exc).__name__
            raise TransportError(f"IAM at {base} did not answer: {reason}") from None
    if resp.status_code != 200:
        raise ApiError.from_response(resp, default_msg="IAM refused to list the projects")
    try:
        listed = resp.json().get("projects", [])
    except (ValueError, AttributeError):
        raise ApiError(
            f"IAM at {base} answered {resp.status_code} but not with a project list "
            "(is it IAM? check --iam-endpoint)", status=resp.status_code,
        ) from None  # fmt: skip
    found = []
    for p in listed:
        name = str(p.get("name") or "")
        if not p.get("enabled", True) or not p.get("id"):
            continue
        found.append({"project_id": p["id"], "name": name, "region": name.split("_")[0]})
    return sorted(found, key=lambda p: (p["region"], p["name"]))


def _default_iam(account: Account) -> str:
    regions = {p.region for p in account.projects}
    return iam_endpoint_for(regions.pop()) if len(regions) == 1 else iam_endpoint_for("")


def _domain_token(session: Any, base: str, creds: Mapping[str, str], timeout: Any) -> str:
    from ..exceptions import AuthError

    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": creds["user"], "password": creds["password"],
        "domain": {"name": creds["domain"]}}}}, "scope": {"domain": {"name": creds["domain"]}}}}  # fmt: skip
    resp = session.post(f"{base}/v3/auth/tokens", json=body, timeout=timeout,
                        allow_redirects=False)  # fmt: skip
    token = resp.headers.get("X-Subject-Token")
    if resp.status_code != 201 or not token:
        raise AuthError.from_response(resp, default_msg="IAM refused the login")
    return token


def fleet_toml(account: Account, projects: list[dict[str, Any]]) -> str:
    """A fleet file for one account and the projects :func:`discover_projects` found,
    for the user to review: regions this package does not know are commented out.

    Examples
    --------
    >>> acct = Account("prod", "token", {"token": "PROD_TOKEN"})
    >>> print(fleet_toml(acct, [{"project_id": "a" * 32, "name": "cn-north-4",
    ...                          "region": "cn-north-4"}]))  # doctest: +ELLIPSIS
    # rds-jobs fleet file...
    [accounts.prod]
    auth = "token"
    env = { token = "PROD_TOKEN" }
    <BLANKLINE>
    [[accounts.prod.projects]]
    region = "cn-north-4"
    project_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    name = "cn-north-4"
    <BLANKLINE>
    """

    def q(value: object) -> str:  # a TOML basic string (JSON's escapes are TOML's)
        return json.dumps(str(value), ensure_ascii=False)

    out = [
        "# rds-jobs fleet file: review, then `rds-jobs sync --fleet FILE`. Credentials are",
        "# names of environment variables (or a profile), never secrets.",
        f"[accounts.{account.name}]",
        f'auth = "{account.auth}"',
    ]
    if account.profile is not None:
        out.append(f'profile = "{account.profile}"')
    else:
        out.append("env = { " + ", ".join(f'{k} = "{v}"' for k, v in account.env.items()) + " }")
    if account.iam_endpoint:
        out.append(f'iam_endpoint = "{account.iam_endpoint}"')
    if account.rate_limit != DEFAULT_RATE_LIMIT:
        out.append(f"rate_limit = {account.rate_limit}")
    out.append("")
    for p in projects:
        known = p["region"] in REGION_DOMAINS
        c = "" if known else "# "
        if not known:
            out.append(f'# unknown region {q(p["region"])}: add endpoint = "https://..." to use it')
        out += [
            f"{c}[[accounts.{account.name}.projects]]",
            f"{c}region = {q(p['region'])}",
            f"{c}project_id = {q(p['project_id'])}",
            f"{c}name = {q(p['name'])}",
        ]
        if p.get("endpoint"):
            out.append(f"{c}endpoint = {q(p['endpoint'])}")
        out.append("")
    return "\n".join(out)

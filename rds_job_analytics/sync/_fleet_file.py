"""The fleet file: several accounts, each with its regions and projects (TOML).

Huawei Cloud gives every region its own project (sub-projects are ``{region}_xxx``) and
the quota is per user. A *fleet file* lists the accounts, where each one's credentials
come from (names of environment variables, or a profile: never a secret), and the
projects to sync::

    [accounts.prod]
    auth = "aksk"                                 # aksk | token | password
    env = { ak = "RDS_JOBS_PROD_AK", sk = "RDS_JOBS_PROD_SK" }
    rate_limit = 0.9                              # optional: calls/s for the whole account

    [[accounts.prod.projects]]
    region = "cn-north-4"
    project_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    endpoint = "https://rds.cn-north-4.myhuaweicloud.com"   # optional override

:func:`load_fleet` validates it (naming the bad key and its line) before any call, one
parser per table (the file, an account, its ``env``, a project); credentials are read
later, from the environment or a profile of the credentials file
(:meth:`Account.credentials`). :func:`fleet_toml` writes a fleet file to review (what
discovery found). Syncing it is :mod:`._fleet`'s.

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
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._validate import PROJECT_ID_SHAPE, check_rate, expand_path
from ..api import AUTH_KINDS, DEFAULT_RATE_LIMIT, Auth, check_endpoint, make_auth
from ..api.regions import REGION_DOMAINS, endpoint_for
from ..exceptions import ConfigError
from ..quota import credential_identity

__all__ = [
    "AUTH_KINDS",
    "CREDENTIALS_FILE_ENV",
    "DEFAULT_CREDENTIALS_FILE",
    "MAX_NESTING",
    "Account",
    "Fleet",
    "FleetProject",
    "fleet_toml",
    "load_fleet",
]

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
        """What the API's quota is counted by (:func:`~rds_job_analytics.quota.credential_identity`)."""
        return credential_identity(self.auth, dict(creds))

    def make_auth(self, creds: Mapping[str, str]) -> Auth:
        """A fresh :class:`Auth` (a password token is project-scoped: one per project),
        from :func:`~rds_job_analytics.api.make_auth`."""
        return make_auth(self.auth, creds, iam_endpoint=self.iam_endpoint)


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
    auth kind or region (a region outside :data:`~rds_job_analytics.api.regions.REGION_DOMAINS` needs an
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


#: ``fail(line, where, message)``: the error naming the file, the line and the key.
_Fail = Callable[[int | None, str, str], ConfigError]


def _parse(data: dict[str, Any], lines: _Lines, name: str, *, require_projects: bool) -> Fleet:
    """The file's top table: only ``[accounts.NAME]`` tables, each one parsed by
    :func:`_parse_account`; a project ID is listed once in the whole file."""

    def fail(line: int | None, where: str, msg: str) -> ConfigError:
        return ConfigError(f"{name}{f' line {line}' if line else ''}: {where}: {msg}")

    for key in data:
        if key != "accounts":
            raise fail(lines.of("", None, key), key, "unknown top-level key (only [accounts.NAME])")
    accounts_data = data.get("accounts")
    if not isinstance(accounts_data, dict) or not accounts_data:
        raise fail(None, "accounts", "no accounts: add an [accounts.NAME] table")
    seen: dict[str, str] = {}
    accounts = [
        _parse_account(acct, body, lines, name, fail, seen, require_projects=require_projects)
        for acct, body in accounts_data.items()
    ]
    return Fleet(tuple(accounts), name)


def _parse_account(
    acct: str,
    body: object,
    lines: _Lines,
    name: str,
    fail: _Fail,
    seen: dict[str, str],
    *,
    require_projects: bool,
) -> Account:
    """One ``[accounts.NAME]`` table: its keys, auth kind, credentials (``env`` by
    :func:`_parse_env`, or a profile), IAM endpoint, rate and projects."""
    table = f"accounts.{acct}"
    at = lines.of(table)
    if not _ACCOUNT_NAME.match(acct):
        raise fail(at, table, "account names are letters, digits, '_', '.', '-'")
    if not isinstance(body, dict):
        raise fail(at, table, "must be a table")
    for key in body:
        if key not in _ACCOUNT_KEYS:
            hint = (
                "secrets never go in the fleet file: name the environment variable "
                f'that holds it in env = {{ {key} = "VAR" }}'
                if _SECRET_KEYS.match(key)
                else f"unknown key (expected one of {', '.join(sorted(_ACCOUNT_KEYS))})"
            )
            raise fail(lines.of(table, None, key), f"{table}.{key}", hint)
    kind = body.get("auth")
    if not isinstance(kind, str) or kind not in AUTH_KINDS:  # the value is not echoed
        raise fail(lines.of(table, None, "auth"), f"{table}.auth",
                   f"must be one of {', '.join(AUTH_KINDS)}")  # fmt: skip
    env, profile = body.get("env"), body.get("profile")
    if (env is None) == (profile is None):
        raise fail(at, table, 'give exactly one of env = { ... } or profile = "NAME"')
    if env is not None:
        _parse_env(env, kind, table, lines.of(table, None, "env"), fail)
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
    try:  # the rate rule's home, as for every bucket and the client; never echoed
        check_rate(rate, echo=False)
    except ConfigError as exc:
        raise fail(lines.of(table, None, "rate_limit"), f"{table}.rate_limit",
                   str(exc)) from None  # fmt: skip
    projects_data = body.get("projects", [])
    if not isinstance(projects_data, list):
        raise fail(at, f"{table}.projects", "must be [[" + table + ".projects]] tables")
    if not projects_data and require_projects:
        raise fail(at, f"{table}.projects", "no projects: add [[" + table + ".projects]]")
    projects = tuple(
        _parse_project(acct, i, proj, lines, fail, seen) for i, proj in enumerate(projects_data)
    )
    return Account(
        acct,
        kind,
        dict(env or {}),
        profile,
        iam,
        float(rate),
        projects,
        lines.of(table, None, "env" if env is not None else "profile") or at,
        name,
    )


def _parse_env(env: object, kind: str, table: str, env_at: int | None, fail: _Fail) -> None:
    """An account's ``env = { key = "VARIABLE" }``: the keys its kind takes, each naming
    a variable (never holding a value), the required ones all there."""
    required, optional = AUTH_KINDS[kind]
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


def _parse_project(
    acct: str, i: int, proj: object, lines: _Lines, fail: _Fail, seen: dict[str, str]
) -> FleetProject:
    """One ``[[accounts.NAME.projects]]`` table: its keys, region, project ID (listed once
    in the file: ``seen``) and endpoint (the region's when not given)."""
    ptable = f"accounts.{acct}.projects"
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
    else:
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
    return FleetProject(acct, region, pid, endpoint, proj.get("name"), line)


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

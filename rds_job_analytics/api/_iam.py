"""IAM, the one way: a password token (project or domain scope) and the project list.

:func:`iam_token` is the only place a password is posted. It never follows a redirect
(the password would go along) and keeps a :class:`LoginMemo`: a login IAM refused (a
4xx: wrong password, unknown user, locked account) is not asked again with the same
memo, so a batch never turns one wrong password into a login per job (and a lockout).
:class:`~rds_job_analytics.api.PasswordAuth` uses it with a memo of its own (project
scope); fleet discovery uses it with the process's memo for those credentials
(:func:`login_memo`, domain scope), then :func:`list_projects`.

Examples
--------
>>> from rds_job_analytics.emulator import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_USER, Emulator
>>> with Emulator([]) as emu:
...     token, expires = iam_token(iam_token_url(emu.url), DEMO_USER, DEMO_PASSWORD,
...                                DEMO_DOMAIN, scope="domain")
...     found = list_projects(emu.url, {"X-Auth-Token": token})
>>> bool(token), [p["region"] for p in found][:1]
(True, ['ap-southeast-1'])
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from .._time import epoch_seconds
from ..exceptions import ApiError, AuthError, ConfigError, TransportError, without_secrets
from ..quota import identity_hash
from ._errors import connect_failure_reason

__all__ = [
    "LoginMemo",
    "iam_projects_url",
    "iam_token",
    "iam_token_url",
    "list_projects",
    "login_memo",
]

#: Seconds a token lives when IAM's answer gives no readable ``expires_at`` (the
#: documented 24 h, minus a margin).
DEFAULT_TOKEN_LIFE = 23 * 3600


def iam_token_url(base: str) -> str:
    """IAM's token URL (``POST {iam}/v3/auth/tokens``) under an IAM base URL: the one
    home of the path, for password auth (project scope) and discovery (domain scope).

    Examples
    --------
    >>> iam_token_url("https://iam.myhuaweicloud.com/")
    'https://iam.myhuaweicloud.com/v3/auth/tokens'
    """
    return base.rstrip("/") + "/v3/auth/tokens"


def iam_projects_url(base: str) -> str:
    """IAM's project list URL (``GET {iam}/v3/auth/projects``) under an IAM base URL.

    Examples
    --------
    >>> iam_projects_url("http://127.0.0.1:8080")
    'http://127.0.0.1:8080/v3/auth/projects'
    """
    return base.rstrip("/") + "/v3/auth/projects"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL (no path, no user info).

    Examples
    --------
    >>> origin("https://user@iam.example:8443/v3/auth/tokens")
    'https://iam.example:8443'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _redirect_target(resp: Any) -> str:
    return urlsplit(resp.headers.get("Location") or "").hostname or "another location"


@dataclass
class LoginMemo:
    """What one set of password credentials has met at IAM: the final refusal (then no
    login is tried again) and the token requests sent.

    Examples
    --------
    >>> LoginMemo()
    LoginMemo(refused=None, requests=0)
    """

    refused: tuple[str, dict[str, object]] | None = None
    requests: int = 0

    def raise_if_refused(self) -> None:
        """The remembered refusal again (an :class:`AuthError`), without asking IAM."""
        if self.refused is not None:
            message, attrs = self.refused
            raise AuthError(message, **attrs)  # type: ignore[arg-type]


_MEMOS: dict[str, LoginMemo] = {}
_MEMOS_LOCK = threading.Lock()


def login_memo(url: str, username: str, domain: str, password: str) -> LoginMemo:
    """The process's :class:`LoginMemo` for these credentials at this IAM URL (keyed by
    a hash, never the secret): how discovery keeps one refusal for every later try.

    Examples
    --------
    >>> login_memo("https://iam.example", "u", "d", "p") is login_memo(
    ...     "https://iam.example", "u", "d", "p")
    True
    """
    key = identity_hash("\0".join((url, domain, username, password)))
    with _MEMOS_LOCK:
        return _MEMOS.setdefault(key, LoginMemo())


def _body(username: str, password: str, domain: str, scope: dict[str, Any]) -> dict[str, Any]:
    user = {"name": username, "password": password, "domain": {"name": domain}}
    identity = {"methods": ["password"], "password": {"user": user}}
    return {"auth": {"identity": identity, "scope": scope}}


def iam_token(
    url: str,
    username: str,
    password: str,
    domain: str,
    *,
    scope: Literal["project", "domain"] = "project",
    project_id: str | None = None,
    session: Any = None,
    timeout: float | tuple[float, float] = (5.0, 30.0),
    memo: LoginMemo | None = None,
) -> tuple[str, float]:
    """A token from IAM for a password: ``(token, expires_at)`` (epoch seconds).

    Parameters
    ----------
    url : str
        IAM's token URL (``{iam}/v3/auth/tokens``), already checked.
    username, password, domain : str
        The IAM user, its password and the account (domain) name.
    scope : {"project", "domain"}
        A token for ``project_id`` (the API's calls) or for the domain (listing projects).
    session : requests.Session, optional
        Session to post with (proxies, CA bundle); default a one-off request.
    timeout : float or (float, float)
        Connect and read timeouts, seconds.
    memo : LoginMemo, optional
        Where a final refusal is kept (and raised again without a request); default a
        fresh one.

    Raises
    ------
    AuthError
        The request failed, IAM answered a redirect (never followed: the password goes
        only to the IAM host named), or IAM refused the login (a 4xx other than 408/429
        is remembered in ``memo``: ``"not asked again"``).

    Examples
    --------
    >>> iam_token("https://iam.example/v3/auth/tokens", "u", "p", "d", scope="project")
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: a project-scoped IAM token needs project_id
    """
    if scope == "project":
        if not project_id:
            raise ConfigError("a project-scoped IAM token needs project_id")
        scoped: dict[str, Any] = {"project": {"id": project_id}}
    else:
        scoped = {"domain": {"name": domain}}
    memo = memo if memo is not None else LoginMemo()
    memo.raise_if_refused()  # IAM said no: asking again only risks a lockout
    if session is not None:
        post = session.post
    else:
        import requests

        post = requests.post
    try:
        resp = post(
            url, json=_body(username, password, domain, scoped), timeout=timeout,
            allow_redirects=False,
        )  # fmt: skip
    except Exception as exc:  # kept as the cause, without the body holding the password
        raise AuthError(
            f"IAM token request to {url} failed: {type(exc).__name__}"
        ) from without_secrets(exc)
    memo.requests += 1
    if 300 <= resp.status_code < 400:  # never followed: the password would go along
        raise AuthError(
            f"IAM at {origin(url)} answered HTTP {resp.status_code}, a redirect to "
            f"{_redirect_target(resp)!r}: not followed (the password goes only to the IAM "
            "host named)",
            status=resp.status_code,
        )
    token = resp.headers.get("X-Subject-Token")
    if resp.status_code != 201 or not token:
        err = AuthError.from_response(resp, default_msg="IAM refused the login")
        if 400 <= resp.status_code < 500 and resp.status_code not in (408, 429):
            memo.refused = (
                f"{err} (IAM refused this login; not asked again)",
                {"status": err.status, "error_code": err.error_code,
                 "error_msg": err.error_msg, "request_id": err.request_id},
            )  # fmt: skip
            memo.raise_if_refused()
        raise err
    expires = epoch_seconds() + DEFAULT_TOKEN_LIFE
    try:
        exp = resp.json()["token"]["expires_at"]
        expires = datetime.fromisoformat(exp.replace("Z", "+00:00")).timestamp()
    except (ValueError, KeyError, TypeError, AttributeError):
        pass  # no readable expiry: assume the documented 24 h, minus a margin
    return token, expires


def list_projects(
    base: str,
    headers: Mapping[str, str],
    *,
    session: Any = None,
    timeout: float | tuple[float, float] = (5.0, 30.0),
) -> list[dict[str, Any]]:
    """The enabled projects IAM at ``base`` lists (``GET /v3/auth/projects``), sorted by
    region and name: ``project_id``, ``name`` and ``region`` (the name before any ``_``).

    Raises
    ------
    TransportError
        IAM did not answer (the reason says why).
    ApiError
        IAM refused, redirected (never followed: the credentials go only to the IAM host
        named), or answered something that is no project list.

    Examples
    --------
    >>> list_projects("http://127.0.0.1:1", {})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.TransportError: IAM at http://127.0.0.1:1 did not answer: connection refused by 127.0.0.1:1
    """
    import requests

    url = iam_projects_url(base)
    get = session.get if session is not None else requests.get
    try:
        resp = get(url, headers=dict(headers), timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        reason = connect_failure_reason(exc, base) or type(exc).__name__
        raise TransportError(f"IAM at {base} did not answer: {reason}") from None
    if 300 <= resp.status_code < 400:
        raise ApiError(
            f"IAM at {origin(base)} answered HTTP {resp.status_code}, a redirect to "
            f"{_redirect_target(resp)!r}: not followed (credentials go only to the IAM host "
            "named)",
            status=resp.status_code,
        )
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

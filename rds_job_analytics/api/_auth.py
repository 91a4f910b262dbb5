"""Credentials: IAM token, IAM password (token fetched and refreshed), AK/SK signing.

An :class:`Auth` sees only the request it authenticates and a narrow
:class:`AuthContext` (project, region, endpoint, the session and timeout for IAM
calls), never the client; this module imports nothing of
:mod:`rds_job_analytics.api._client`. No secret ever appears in a ``repr``, a log line or an
exception message, and a password goes only to an IAM host the user named (or the
region's own IAM, or a loopback endpoint's own host).

Examples
--------
>>> from rds_job_analytics import TokenAuth
>>> TokenAuth("MIIsecret")
TokenAuth(token=***)
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .._time import epoch_seconds
from ..exceptions import ConfigError
from ..quota import credential_identity
from ._iam import LoginMemo, iam_token, iam_token_url, origin
from .regions import iam_endpoint_for

if TYPE_CHECKING:
    import requests

__all__ = [
    "AUTH_KINDS",
    "ENV_AK",
    "ENV_DOMAIN",
    "ENV_IAM_ENDPOINT",
    "ENV_NAMES",
    "ENV_PASSWORD",
    "ENV_PROJECT_ID",
    "ENV_SECURITY_TOKEN",
    "ENV_SK",
    "ENV_TOKEN",
    "ENV_USER",
    "AkSkAuth",
    "AkSkCredentials",
    "Auth",
    "AuthContext",
    "PasswordAuth",
    "TokenAuth",
    "auth_from_env",
    "check_endpoint",
    "credentials_from_env",
    "is_loopback",
    "make_auth",
    "sign_request",
]

ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_IAM_ENDPOINT = "HUAWEICLOUD_SDK_IAM_ENDPOINT"
ENV_TOKEN = "RDS_JOBS_TOKEN"
ENV_USER, ENV_PASSWORD, ENV_DOMAIN = "RDS_JOBS_USERNAME", "RDS_JOBS_PASSWORD", "RDS_JOBS_DOMAIN"

_AKSK_HINT = "AK/SK signing needs huaweicloudsdkcore: pip install 'rds-job-analytics[aksk]'"


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this machine (``localhost``, ``127.0.0.0/8``, ``::1``).

    The one home of the rule: plain http is allowed to such a host, and password auth
    with a custom loopback endpoint asks that host's own IAM (the emulator's).

    Parameters
    ----------
    host : str or None
        A host name or IP address, as :func:`urllib.parse.urlsplit` gives it.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost")
    (True, True, True)
    >>> is_loopback("rds.ap-southeast-1.myhuaweicloud.com"), is_loopback(None)
    (False, False)
    """
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: object, *, name: str = "endpoint", allow_http: bool = False) -> str:
    """An endpoint URL validated the way the HTTP stack (urllib3) will read it.

    The one home of the endpoint rule, for the API and IAM alike: an ``http(s)`` URL
    with a host; no user info (``user:pass@``) and no ``@`` or ``\\`` before the host
    (``urllib.parse`` and urllib3 disagree on such URLs: the host checked would not be
    the host asked); no query or fragment; plain ``http`` only to a loopback host
    (:func:`is_loopback`, as urllib3 reads it) or with ``allow_http``. Errors never
    echo the URL (it may hold a password).

    Parameters
    ----------
    url : str
        The base URL.
    name : str
        What the URL is, for the error (``"endpoint"``, ``"iam_endpoint"``).
    allow_http : bool
        Allow plain ``http://`` to a host that is not loopback.

    Returns
    -------
    str
        ``url`` without its trailing ``/``.

    Raises
    ------
    ConfigError
        Naming the problem, never the user info.

    Examples
    --------
    >>> check_endpoint("https://rds.ap-southeast-1.myhuaweicloud.com/")
    'https://rds.ap-southeast-1.myhuaweicloud.com'
    >>> check_endpoint("http://127.0.0.1:8080")
    'http://127.0.0.1:8080'
    >>> check_endpoint("http://example.com\\\\@127.0.0.1")
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: endpoint must not hold user info or '@'/'\\' before the host ...
    >>> check_endpoint("http://iam.example", name="iam_endpoint")
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: refusing plain http to 'iam.example' (iam_endpoint): ...
    """
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{name} must be an http(s) URL, not {type(url).__name__}")
    base = url.strip().rstrip("/")
    scheme, sep, rest = base.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        raise ConfigError(f"{name} must be an http(s) URL (https://host[:port])")
    authority = rest.split("/", 1)[0]
    if "@" in authority or "\\" in authority:
        raise ConfigError(
            f"{name} must not hold user info or '@'/'\\' before the host (credentials go "
            "in the auth, never in the URL); give https://host[:port][/path]"
        )
    if "?" in base or "#" in base:
        raise ConfigError(f"{name} must not hold a query or fragment ('?', '#')")
    try:
        parsed = parse_url(base)
    except LocationParseError:
        raise ConfigError(f"{name} is not a valid URL (https://host[:port])") from None
    split = urlsplit(base)
    host = parsed.host or ""
    try:
        split_host = split.hostname or ""
        split.port  # noqa: B018  (a bad port raises)
    except ValueError:
        raise ConfigError(f"{name} has an invalid port") from None
    if not host or parsed.auth or host.strip("[]").lower() != split_host.lower():
        raise ConfigError(f"{name} must be an http(s) URL with a host (https://host[:port])")
    if scheme.lower() == "http" and not allow_http and not is_loopback(host.strip("[]")):
        raise ConfigError(
            f"refusing plain http to {host!r} ({name}): credentials would travel "
            "unencrypted; use https or pass allow_http=True"
        )
    return base


@dataclass(frozen=True)
class AuthContext:
    """What an :class:`Auth` may know about the call it authenticates.

    :class:`~rds_job_analytics.JobsClient` builds one per request
    (:attr:`JobsClient.auth_context <rds_job_analytics.JobsClient.auth_context>`).

    Parameters
    ----------
    project_id : str
        The project the request is scoped to (token scope, ``X-Project-Id``).
    region : str, optional
        Gives IAM's regional endpoint when :class:`PasswordAuth` has none.
    session : requests.Session, optional
        Session for IAM calls (the client's, so proxies and CA bundle apply); default
        a one-off request.
    timeout : float or (float, float)
        Connect and read timeouts of IAM calls, seconds.
    endpoint : str, optional
        The API's base URL the request goes to.
    custom_endpoint : bool
        True when the user gave ``endpoint`` (a proxy, another cloud, the emulator)
        rather than a region it derives from; then :class:`PasswordAuth` does not
        guess an IAM host (it needs ``iam_endpoint``, or uses a loopback endpoint's own).
    allow_http : bool
        The client allows plain http to a remote host (``JobsClient(allow_http=True)``):
        then an ``http://`` IAM endpoint is allowed too; else only a loopback one.

    Examples
    --------
    >>> AuthContext("p" * 32, region="ap-southeast-1")
    AuthContext(project_id='pppppppppppppppppppppppppppppppp', region='ap-southeast-1', timeout=(5.0, 30.0), endpoint=None, custom_endpoint=False, allow_http=False)
    """

    project_id: str
    region: str | None = None
    session: requests.Session | None = field(default=None, repr=False, compare=False)
    timeout: float | tuple[float, float] = (5.0, 30.0)
    endpoint: str | None = None
    custom_endpoint: bool = False
    allow_http: bool = False


class Auth:
    """Base class: adds credentials to one request.

    Subclasses implement :meth:`headers` and, when credentials can be renewed,
    :meth:`refresh`. Neither sees the client: only the request and an
    :class:`AuthContext`.

    Examples
    --------
    >>> class StaticHeader(Auth):
    ...     def headers(self, method, url, params, body, *, context):
    ...         return {"X-Auth-Token": "t"}
    >>> StaticHeader().refresh(AuthContext("p" * 32))
    False
    """

    def check(self, context: AuthContext) -> None:
        """Raise :class:`ConfigError` when these credentials cannot serve ``context``.

        :class:`~rds_job_analytics.JobsClient` calls it when built, before any request;
        the default accepts everything.

        Parameters
        ----------
        context : AuthContext
            Project, region and endpoint of the client.

        Examples
        --------
        >>> TokenAuth("t").check(AuthContext("p", endpoint="https://proxy.example",
        ...                                  custom_endpoint=True)) is None
        True
        """

    def headers(
        self,
        method: str,
        url: str,
        params: Sequence[tuple[str, str]],
        body: bytes | None,
        *,
        context: AuthContext,
    ) -> dict[str, str]:
        """Headers that authenticate this request.

        Parameters
        ----------
        method, url : str
            HTTP method and URL without the query string.
        params : sequence of (str, str)
            The query parameters.
        body : bytes or None
            The request body.
        context : AuthContext
            Project, region, session and timeout of the call.

        Returns
        -------
        dict
            Header name -> value, added to the request.

        Examples
        --------
        >>> TokenAuth("t").headers("GET", "https://h/v3/p/jobs", [], None, context=AuthContext("p"))
        {'X-Auth-Token': 't'}
        """
        raise NotImplementedError

    def refresh(self, context: AuthContext) -> bool:
        """Called once on a 401; return True when a retry may now succeed.

        Examples
        --------
        >>> TokenAuth("t").refresh(AuthContext("p"))
        False
        """
        return False

    def quota_identity(self) -> str | None:
        """What the API counts these credentials' quota by
        (:func:`~rds_job_analytics.quota.credential_identity`: the AK, the IAM user or the
        token; only ever hashed), or None when unknown (then no shared bucket is used).

        Examples
        --------
        >>> TokenAuth("t").quota_identity(), PasswordAuth("alice", "pw", "acme").quota_identity()
        ('token:t', 'user:acme/alice')
        """
        return None


class TokenAuth(Auth):
    """A ready IAM token sent as ``X-Auth-Token``.

    Parameters
    ----------
    token : str
        The IAM token (a ``X-Subject-Token`` from IAM).

    Examples
    --------
    >>> TokenAuth("t").headers("GET", "https://h/v3/p/jobs", [], None, context=AuthContext("p"))
    {'X-Auth-Token': 't'}
    """

    def __init__(self, token: str) -> None:
        if not token or not isinstance(token, str):
            raise ConfigError("TokenAuth needs a non-empty token string")
        self._token = token

    def __repr__(self) -> str:
        return "TokenAuth(token=***)"

    def headers(self, method, url, params, body, *, context):  # type: ignore[override]
        return {"X-Auth-Token": self._token}

    def quota_identity(self) -> str:
        return credential_identity("token", {"token": self._token})


class PasswordAuth(Auth):
    """IAM user/password: fetches a project-scoped token and refreshes it before expiry.

    Parameters
    ----------
    username, password, domain : str
        IAM user, its password and the account (domain) name.
    iam_endpoint : str, optional
        Base URL of IAM; default the ``HUAWEICLOUD_SDK_IAM_ENDPOINT`` environment
        variable, else, for a client built from a region, that region's IAM
        (``https://iam.{region}.myhuaweicloud.com``; ``eu-west-101`` under
        ``myhuaweicloud.eu``, from :data:`~rds_job_analytics.api.regions.REGION_DOMAINS`).
        A client with a custom ``endpoint`` needs one (the password goes only to a host
        you named), except when that endpoint is loopback: then its own host is asked
        (the emulator serves IAM there). Checked by :func:`check_endpoint`: plain
        ``http`` only to a loopback host unless ``allow_http`` (here or on the client).
    refresh_margin : float
        Seconds before ``expires_at`` at which a new token is fetched.
    allow_http : bool
        Allow a plain ``http://`` IAM endpoint that is not loopback (the password
        would travel unencrypted).

    Raises
    ------
    ConfigError
        A missing field, or an ``iam_endpoint`` that is not an http(s) URL or holds user
        info; when the client is built (:meth:`check`), a plain-http remote IAM endpoint,
        or a custom non-loopback endpoint without ``iam_endpoint``.

    Notes
    -----
    A login IAM refuses (a 4xx: wrong password, unknown user, locked account) is
    final for this object: every later request raises the same :class:`AuthError`
    without asking IAM again, so a batch never turns one wrong password into a
    login attempt per job (and an account lockout). Build a new ``PasswordAuth`` to
    try other credentials. IAM redirects are never followed (the password would
    follow them).

    Examples
    --------
    >>> PasswordAuth("alice", "s3cret", "acme")
    PasswordAuth(username='alice', domain='acme', password=***)

    Where the password goes:

    >>> auth = PasswordAuth("alice", "s3cret", "acme")
    >>> auth.iam_url(AuthContext("p", region="ap-southeast-1"))
    'https://iam.ap-southeast-1.myhuaweicloud.com/v3/auth/tokens'
    >>> auth.iam_url(AuthContext("p", endpoint="http://127.0.0.1:8080", custom_endpoint=True))
    'http://127.0.0.1:8080/v3/auth/tokens'
    >>> auth.iam_url(AuthContext("p", endpoint="https://rds.proxy.example", custom_endpoint=True))
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: password auth with the custom endpoint ...

    Against the local emulator's IAM:

    >>> from rds_job_analytics.emulator import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_USER, Emulator
    >>> with Emulator([]) as emu:
    ...     auth = PasswordAuth(DEMO_USER, DEMO_PASSWORD, DEMO_DOMAIN, iam_endpoint=emu.url)
    ...     token = auth.headers("GET", emu.url, [], None, context=AuthContext("p" * 32))
    >>> sorted(token), auth.token_requests
    (['X-Auth-Token'], 1)
    """

    def __init__(
        self,
        username: str,
        password: str,
        domain: str,
        *,
        iam_endpoint: str | None = None,
        refresh_margin: float = 3600.0,
        allow_http: bool = False,
    ) -> None:
        for name, value in (("username", username), ("password", password), ("domain", domain)):
            if not value:
                raise ConfigError(f"PasswordAuth needs {name}")
        self.username = username
        self.domain = domain
        self._password = password
        self.iam_endpoint = iam_endpoint or os.environ.get(ENV_IAM_ENDPOINT) or None
        self.allow_http = allow_http
        self._check_iam_endpoint(structure_only=True)  # http is judged with the client's
        self.refresh_margin = refresh_margin
        self._token: str | None = None
        self._expires: float = 0.0
        self._lock = threading.Lock()
        self._memo = LoginMemo()  # a final IAM refusal, and the token requests sent

    @property
    def token_requests(self) -> int:
        """Token requests sent to IAM so far."""
        return self._memo.requests

    def quota_identity(self) -> str:
        return credential_identity("password", {"user": self.username, "domain": self.domain})

    def __repr__(self) -> str:
        return f"PasswordAuth(username={self.username!r}, domain={self.domain!r}, password=***)"

    def iam_url(self, context: AuthContext) -> str:
        """The IAM token URL this auth posts the password to, for a client's context.

        Parameters
        ----------
        context : AuthContext
            The client's region and endpoint.

        Returns
        -------
        str
            ``{iam}/v3/auth/tokens``.

        Raises
        ------
        ConfigError
            A custom, non-loopback endpoint and no ``iam_endpoint``: no IAM host is guessed.

        Examples
        --------
        >>> auth = PasswordAuth("alice", "s3cret", "acme", iam_endpoint="https://iam.example/")
        >>> auth.iam_url(AuthContext("p", endpoint="https://rds.example", custom_endpoint=True))
        'https://iam.example/v3/auth/tokens'
        """
        self._check_iam_endpoint(context.allow_http)  # it may have been set after construction
        base = self.iam_endpoint
        if not base and context.custom_endpoint and context.endpoint:
            host = urlsplit(context.endpoint).hostname
            if not is_loopback(host):
                raise ConfigError(
                    f"password auth with the custom endpoint {host!r} needs the IAM endpoint "
                    f"too: pass PasswordAuth(iam_endpoint=...) or set {ENV_IAM_ENDPOINT} "
                    "(the password is sent only to a host you name)"
                )
            base = origin(context.endpoint)  # the emulator serves IAM on its own host
        if not base:
            base = iam_endpoint_for(context.region or "", regional=True)
        return iam_token_url(base)

    def _fetch(self, context: AuthContext) -> None:
        self._memo.raise_if_refused()  # IAM said no: asking again only risks a lockout
        self._token, self._expires = iam_token(
            self.iam_url(context), self.username, self._password, self.domain,
            scope="project", project_id=context.project_id, session=context.session,
            timeout=context.timeout, memo=self._memo,
        )  # fmt: skip

    def _check_iam_endpoint(
        self, allow_http: bool = False, *, structure_only: bool = False
    ) -> None:
        if self.iam_endpoint:
            check_endpoint(
                self.iam_endpoint, name="iam_endpoint",
                allow_http=structure_only or allow_http or self.allow_http,
            )  # fmt: skip

    def check(self, context: AuthContext) -> None:
        self.iam_url(context)  # raises before any request when no IAM host may be asked

    def headers(self, method, url, params, body, *, context):  # type: ignore[override]
        with self._lock:
            if self._token is None or epoch_seconds() > self._expires - self.refresh_margin:
                self._fetch(context)
            return {"X-Auth-Token": self._token or ""}

    def refresh(self, context: AuthContext) -> bool:
        with self._lock:
            self._token = None
            self._fetch(context)
        return True


@dataclass(frozen=True)
class AkSkCredentials:
    """An access key and its secret, in the shape the official signer reads (``.ak``, ``.sk``).

    Parameters
    ----------
    ak : str
        Access key ID.
    sk : str
        Secret access key (never shown).

    Examples
    --------
    >>> AkSkCredentials("AKEXAMPLE", "secret")
    AkSkCredentials(ak='AKEX…', sk=***)
    """

    ak: str
    sk: str

    def __repr__(self) -> str:
        return f"AkSkCredentials(ak='{self.ak[:4]}…', sk=***)"


def sign_request(
    credentials: AkSkCredentials,
    method: str,
    url: str,
    params: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | str | None = None,
) -> dict[str, str]:
    """Sign one request with SDK-HMAC-SHA256 (``huaweicloudsdkcore``'s ``Signer``).

    The one place the package signs: :class:`AkSkAuth` uses it to send, the emulator
    to verify. ``X-Sdk-Date`` is taken from ``headers`` when present (so a signature
    can be recomputed), else the signer's clock sets it.

    Parameters
    ----------
    credentials : AkSkCredentials
        Access key and secret.
    method, url : str
        HTTP method and URL without the query string (scheme, host and path are signed).
    params : sequence of (str, str)
        Query parameters.
    headers : mapping
        Headers to sign (``Content-Type``, ``X-Project-Id``, ``X-Sdk-Date``...).
    body : bytes or str, optional
        Request body.

    Returns
    -------
    dict
        ``headers`` plus ``X-Sdk-Date``, ``Host`` and ``Authorization``.

    Examples
    --------
    >>> h = sign_request(AkSkCredentials("AKEXAMPLE", "secret"), "GET",  # doctest: +SKIP
    ...                  "https://rds.ap-southeast-1.myhuaweicloud.com/v3/p/jobs", [("id", "j1")],
    ...                  {"X-Sdk-Date": "20261130T120000Z"})
    >>> h["Authorization"][:50]  # doctest: +SKIP
    'SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=ho'
    """
    try:
        from huaweicloudsdkcore.sdk_request import SdkRequest
        from huaweicloudsdkcore.signer.signer import Signer
    except ImportError as exc:
        raise ImportError(_AKSK_HINT) from exc
    parts = urlsplit(url)
    req = SdkRequest(
        method=method, schema=parts.scheme, host=parts.netloc, resource_path=parts.path,
        query_params=list(params), header_params=dict(headers), body=body or "",
    )  # fmt: skip
    return dict(Signer(credentials).sign(req).header_params)


class AkSkAuth(Auth):
    """AK/SK request signing (SDK-HMAC-SHA256) with the official signer.

    Needs the optional extra: ``pip install 'rds-job-analytics[aksk]'``
    (``huaweicloudsdkcore``).

    Parameters
    ----------
    ak, sk : str
        Access key ID and secret access key.
    security_token : str, optional
        Sent as ``X-Security-Token`` with temporary credentials.

    Examples
    --------
    >>> AkSkAuth("AKEXAMPLE", "secret")  # doctest: +SKIP
    AkSkAuth(ak='AKEX'…, sk=***)
    """

    def __init__(self, ak: str, sk: str, security_token: str | None = None) -> None:
        if not ak or not sk:
            raise ConfigError("AkSkAuth needs both ak and sk")
        try:
            import huaweicloudsdkcore.signer.signer  # noqa: F401
        except ImportError as exc:
            raise ImportError(_AKSK_HINT) from exc
        self._credentials = AkSkCredentials(ak, sk)
        self.ak = ak
        self._security_token = security_token

    def __repr__(self) -> str:
        return f"AkSkAuth(ak={self.ak[:4]!r}…, sk=***)"

    def quota_identity(self) -> str:
        return credential_identity("aksk", {"ak": self.ak})

    def headers(self, method, url, params, body, *, context):  # type: ignore[override]
        hdrs = {"Content-Type": "application/json", "X-Project-Id": context.project_id}
        if self._security_token:
            hdrs["X-Security-Token"] = self._security_token
        out = sign_request(self._credentials, method, url, params, hdrs, body)
        out.pop("Host", None)
        return out


#: Credential kinds, in the order of precedence (AK/SK, then a token, then a password)
#: -> the keys each takes, required and optional.
AUTH_KINDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "aksk": (("ak", "sk"), ("security_token",)),
    "token": (("token",), ()),
    "password": (("user", "password", "domain"), ()),
}

#: The environment variable each credential key is read from when nothing else is named.
ENV_NAMES: Mapping[str, str] = {
    "ak": ENV_AK,
    "sk": ENV_SK,
    "security_token": ENV_SECURITY_TOKEN,
    "token": ENV_TOKEN,
    "user": ENV_USER,
    "password": ENV_PASSWORD,
    "domain": ENV_DOMAIN,
}


def credentials_from_env(
    environ: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, str]] | None:
    """The one credential precedence: the first kind of :data:`AUTH_KINDS` (AK/SK, then
    token, then password) whose variables (:data:`ENV_NAMES`) are all set, as ``(kind,
    {key: variable name})`` (its optional keys too when set); None when no set is
    complete. Names, never values: a fleet file may write them.

    Examples
    --------
    >>> credentials_from_env({"RDS_JOBS_TOKEN": "t", "RDS_JOBS_USERNAME": "alice"})
    ('token', {'token': 'RDS_JOBS_TOKEN'})
    >>> credentials_from_env({}) is None
    True
    """
    env = os.environ if environ is None else environ
    for kind, (required, optional) in AUTH_KINDS.items():
        if all(env.get(ENV_NAMES[k]) for k in required):
            keys = (*required, *(k for k in optional if env.get(ENV_NAMES[k])))
            return kind, {k: ENV_NAMES[k] for k in keys}
    return None


def make_auth(kind: str, creds: Mapping[str, str], *, iam_endpoint: str | None = None) -> Auth:
    """The :class:`Auth` of a credential ``kind`` (:data:`AUTH_KINDS`) from its values.

    Examples
    --------
    >>> make_auth("token", {"token": "t"})
    TokenAuth(token=***)
    >>> make_auth("password", {"user": "alice", "password": "pw", "domain": "acme"})
    PasswordAuth(username='alice', domain='acme', password=***)
    """
    if kind == "aksk":
        return AkSkAuth(creds["ak"], creds["sk"], creds.get("security_token") or None)
    if kind == "token":
        return TokenAuth(creds["token"])
    if kind == "password":
        return PasswordAuth(
            creds["user"], creds["password"], creds["domain"], iam_endpoint=iam_endpoint
        )
    raise ConfigError(f"auth must be one of {', '.join(AUTH_KINDS)}, not {kind!r}")


def auth_from_env(environ: Mapping[str, str] | None = None) -> Auth:
    """Credentials from the environment, in the order of :func:`credentials_from_env`.

    ``HUAWEICLOUD_SDK_AK``/``HUAWEICLOUD_SDK_SK`` (+ ``HUAWEICLOUD_SDK_SECURITY_TOKEN``)
    first, then ``RDS_JOBS_TOKEN``, then ``RDS_JOBS_USERNAME``/``RDS_JOBS_PASSWORD``/
    ``RDS_JOBS_DOMAIN`` (+ ``HUAWEICLOUD_SDK_IAM_ENDPOINT``).

    Parameters
    ----------
    environ : mapping, optional
        Where to read the variables; default ``os.environ``.

    Returns
    -------
    Auth

    Raises
    ------
    ConfigError
        When no set of variables is complete.

    Examples
    --------
    >>> auth_from_env({"RDS_JOBS_TOKEN": "t"})
    TokenAuth(token=***)
    >>> auth_from_env({"RDS_JOBS_USERNAME": "alice", "RDS_JOBS_PASSWORD": "pw",
    ...                "RDS_JOBS_DOMAIN": "acme"})
    PasswordAuth(username='alice', domain='acme', password=***)
    """
    env = os.environ if environ is None else environ
    found = credentials_from_env(env)
    if found is None:
        raise ConfigError(
            f"no credentials: pass auth=..., or set {ENV_AK}/{ENV_SK}, {ENV_TOKEN}, "
            f"or {ENV_USER}/{ENV_PASSWORD}/{ENV_DOMAIN}"
        )
    kind, names = found
    auth = make_auth(kind, {key: env[var] for key, var in names.items()})
    if isinstance(auth, PasswordAuth):
        auth.iam_endpoint = env.get(ENV_IAM_ENDPOINT) or None  # this mapping only
    return auth

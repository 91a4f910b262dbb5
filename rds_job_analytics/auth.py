"""Credentials: IAM token, IAM password (token fetched and refreshed), AK/SK signing.

No secret ever appears in a ``repr``, a log line or an exception message.

Examples
--------
>>> from rds_job_analytics import TokenAuth
>>> TokenAuth("MIIsecret")
TokenAuth(token=***)
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .exceptions import AuthError, ConfigError

if TYPE_CHECKING:
    import requests

__all__ = ["AkSkAuth", "Auth", "PasswordAuth", "TokenAuth", "auth_from_env"]

ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
ENV_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
ENV_IAM_ENDPOINT = "HUAWEICLOUD_SDK_IAM_ENDPOINT"
ENV_TOKEN = "RDS_JOBS_TOKEN"
ENV_USER, ENV_PASSWORD, ENV_DOMAIN = "RDS_JOBS_USERNAME", "RDS_JOBS_PASSWORD", "RDS_JOBS_DOMAIN"


class Auth:
    """Base class: adds credentials to one request."""

    def headers(
        self,
        method: str,
        url: str,
        params: list[tuple[str, str]],
        body: bytes | None,
        *,
        client: Any,
    ) -> dict[str, str]:
        """Headers that authenticate this request."""
        raise NotImplementedError

    def refresh(self, client: Any) -> bool:
        """Called once on a 401; return True when a retry may now succeed."""
        return False


class TokenAuth(Auth):
    """A ready IAM token sent as ``X-Auth-Token``.

    Examples
    --------
    >>> TokenAuth("t").headers("GET", "https://h/v3/p/jobs", [], None, client=None)
    {'X-Auth-Token': 't'}
    """

    def __init__(self, token: str) -> None:
        if not token or not isinstance(token, str):
            raise ConfigError("TokenAuth needs a non-empty token string")
        self._token = token

    def __repr__(self) -> str:
        return "TokenAuth(token=***)"

    def headers(self, method, url, params, body, *, client):  # type: ignore[override]
        return {"X-Auth-Token": self._token}


class PasswordAuth(Auth):
    """IAM user/password: fetches a project-scoped token and refreshes it before expiry.

    Parameters
    ----------
    username, password, domain : str
        IAM user, its password and the account (domain) name.
    iam_endpoint : str, optional
        Base URL of IAM; default ``https://iam.{region}.myhuaweicloud.com`` from the
        client's region, or the ``HUAWEICLOUD_SDK_IAM_ENDPOINT`` environment variable.
    refresh_margin : float
        Seconds before ``expires_at`` at which a new token is fetched.

    Examples
    --------
    >>> PasswordAuth("alice", "s3cret", "acme")
    PasswordAuth(username='alice', domain='acme', password=***)
    """

    def __init__(
        self,
        username: str,
        password: str,
        domain: str,
        *,
        iam_endpoint: str | None = None,
        refresh_margin: float = 3600.0,
    ) -> None:
        for name, value in (("username", username), ("password", password), ("domain", domain)):
            if not value:
                raise ConfigError(f"PasswordAuth needs {name}")
        self.username = username
        self.domain = domain
        self._password = password
        self.iam_endpoint = iam_endpoint or os.environ.get(ENV_IAM_ENDPOINT)
        self.refresh_margin = refresh_margin
        self._token: str | None = None
        self._expires: float = 0.0
        self._lock = threading.Lock()
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"PasswordAuth(username={self.username!r}, domain={self.domain!r}, password=***)"

    def _iam_url(self, client: Any) -> str:
        base = self.iam_endpoint
        if not base:
            region = getattr(client, "region", None)
            base = (
                f"https://iam.{region}.myhuaweicloud.com"
                if region
                else "https://iam.myhuaweicloud.com"
            )
        return base.rstrip("/") + "/v3/auth/tokens"

    def _fetch(self, client: Any) -> None:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.username,
                            "password": self._password,
                            "domain": {"name": self.domain},
                        }
                    },
                },
                "scope": {"project": {"id": client.project_id}},
            }
        }
        session: requests.Session = client.session
        url = self._iam_url(client)
        try:
            resp = session.post(url, json=body, timeout=client.timeout)
        except Exception as exc:  # requests' own errors: no secret in them, but keep it short
            raise AuthError(f"IAM token request to {url} failed: {type(exc).__name__}") from None
        self.token_requests += 1
        token = resp.headers.get("X-Subject-Token")
        if resp.status_code != 201 or not token:
            from .client import parse_error_body

            code, msg, rid = parse_error_body(resp)
            raise AuthError(
                status=resp.status_code, error_code=code, error_msg=msg or "IAM refused the login",
                request_id=rid,
            )  # fmt: skip
        expires = time.time() + 23 * 3600
        try:
            exp = resp.json()["token"]["expires_at"]
            expires = datetime.fromisoformat(exp.replace("Z", "+00:00")).timestamp()
        except Exception:
            pass
        self._token, self._expires = token, expires

    def headers(self, method, url, params, body, *, client):  # type: ignore[override]
        with self._lock:
            if self._token is None or time.time() > self._expires - self.refresh_margin:
                self._fetch(client)
            return {"X-Auth-Token": self._token or ""}

    def refresh(self, client: Any) -> bool:
        with self._lock:
            self._token = None
            self._fetch(client)
        return True


class _Credentials:
    def __init__(self, ak: str, sk: str) -> None:
        self.ak, self.sk = ak, sk


class AkSkAuth(Auth):
    """AK/SK request signing (SDK-HMAC-SHA256) with the official signer.

    Needs the optional extra: ``pip install 'rds-job-analytics[aksk]'``
    (``huaweicloudsdkcore``).

    Examples
    --------
    >>> AkSkAuth("AKEXAMPLE", "secret")  # doctest: +SKIP
    AkSkAuth(ak='AKEX…', sk=***)
    """

    def __init__(self, ak: str, sk: str, security_token: str | None = None) -> None:
        if not ak or not sk:
            raise ConfigError("AkSkAuth needs both ak and sk")
        try:
            from huaweicloudsdkcore.sdk_request import SdkRequest
            from huaweicloudsdkcore.signer.signer import Signer
        except ImportError:
            raise ImportError(
                "AK/SK signing needs huaweicloudsdkcore: pip install 'rds-job-analytics[aksk]'"
            ) from None
        self._request_cls = SdkRequest
        self._signer = Signer(_Credentials(ak, sk))
        self.ak = ak
        self._security_token = security_token

    def __repr__(self) -> str:
        return f"AkSkAuth(ak={self.ak[:4]!r}…, sk=***)"

    def headers(self, method, url, params, body, *, client):  # type: ignore[override]
        parts = urlsplit(url)
        hdrs = {"Content-Type": "application/json", "X-Project-Id": client.project_id}
        if self._security_token:
            hdrs["X-Security-Token"] = self._security_token
        req = self._request_cls(
            method=method,
            schema=parts.scheme,
            host=parts.netloc,
            resource_path=parts.path,
            query_params=list(params),
            header_params=hdrs,
            body=body or "",
        )
        signed = self._signer.sign(req)
        out = dict(signed.header_params)
        out.pop("Host", None)
        return out


def auth_from_env() -> Auth:
    """Credentials from the environment.

    ``HUAWEICLOUD_SDK_AK``/``HUAWEICLOUD_SDK_SK`` (+ ``HUAWEICLOUD_SDK_SECURITY_TOKEN``)
    first, then ``RDS_JOBS_TOKEN``, then ``RDS_JOBS_USERNAME``/``RDS_JOBS_PASSWORD``/
    ``RDS_JOBS_DOMAIN``.

    Examples
    --------
    >>> import os; os.environ["RDS_JOBS_TOKEN"] = "t"
    >>> auth_from_env()  # doctest: +SKIP
    TokenAuth(token=***)
    """
    env = os.environ
    if env.get(ENV_AK) and env.get(ENV_SK):
        return AkSkAuth(env[ENV_AK], env[ENV_SK], env.get(ENV_SECURITY_TOKEN) or None)
    if env.get(ENV_TOKEN):
        return TokenAuth(env[ENV_TOKEN])
    if env.get(ENV_USER) and env.get(ENV_PASSWORD) and env.get(ENV_DOMAIN):
        return PasswordAuth(env[ENV_USER], env[ENV_PASSWORD], env[ENV_DOMAIN])
    raise ConfigError(
        f"no credentials: pass auth=..., or set {ENV_AK}/{ENV_SK}, {ENV_TOKEN}, "
        f"or {ENV_USER}/{ENV_PASSWORD}/{ENV_DOMAIN}"
    )

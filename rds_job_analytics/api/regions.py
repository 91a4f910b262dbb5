"""Huawei Cloud regions and their RDS endpoints: the one home of the region -> host rule.

Every region has its own project (and project ID) and its own endpoint,
``https://rds.{region}.{domain}``; most regions live under ``myhuaweicloud.com``, the
European cloud's ``eu-west-101`` under ``myhuaweicloud.eu``. A region missing here is
refused (:func:`endpoint_for`) unless the caller names its endpoint: the fleet file's
per-project ``endpoint`` override, or ``JobsClient(endpoint=...)``.

Examples
--------
>>> endpoint_for("eu-west-101")
'https://rds.eu-west-101.myhuaweicloud.eu'
>>> region_of("https://rds.ap-southeast-1.myhuaweicloud.com")
'ap-southeast-1'
"""

from __future__ import annotations

import re
from types import MappingProxyType
from urllib.parse import urlsplit

from ..exceptions import ConfigError

__all__ = ["DEFAULT_DOMAIN", "REGION_DOMAINS", "endpoint_for", "iam_endpoint_for", "region_of"]

DEFAULT_DOMAIN = "myhuaweicloud.com"

#: Region -> the domain its endpoints live under (from the SDKs' region tables).
REGION_DOMAINS: MappingProxyType[str, str] = MappingProxyType(
    {
        **{
            r: DEFAULT_DOMAIN
            for r in (
                "af-south-1",
                "ap-southeast-1",
                "ap-southeast-2",
                "ap-southeast-3",
                "ap-southeast-4",
                "cn-east-2",
                "cn-east-3",
                "cn-north-1",
                "cn-north-2",
                "cn-north-4",
                "cn-north-9",
                "cn-south-1",
                "cn-south-4",
                "cn-southwest-2",
                "eu-west-0",
                "la-north-2",
                "la-south-2",
                "me-east-1",
                "na-mexico-1",
                "ru-northwest-2",
                "sa-brazil-1",
                "tr-west-1",
            )
        },
        "eu-west-101": "myhuaweicloud.eu",
    }
)

_RDS_HOST = re.compile(r"^rds\.([a-z]{2}-[a-z0-9]+-\d+)\.(myhuaweicloud\.(?:com|eu))$")


def endpoint_for(region: str) -> str:
    """The RDS endpoint of a known region; :class:`ConfigError` naming an unknown one.

    Examples
    --------
    >>> endpoint_for("cn-north-4")
    'https://rds.cn-north-4.myhuaweicloud.com'
    >>> endpoint_for("mars-north-1")
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.ConfigError: unknown region 'mars-north-1': ...
    """
    domain = REGION_DOMAINS.get(region)
    if domain is None:
        raise ConfigError(
            f"unknown region {region!r}: not one of the {len(REGION_DOMAINS)} known regions "
            "(rds_job_analytics.api.regions.REGION_DOMAINS); give its endpoint explicitly"
        )
    return f"https://rds.{region}.{domain}"


def iam_endpoint_for(region: str, *, regional: bool = False) -> str:
    """The IAM endpoint that serves a region's accounts: the global one of its cloud
    (``iam.myhuaweicloud.eu`` for the European cloud, ``iam.myhuaweicloud.com``
    elsewhere), or with ``regional=True`` the region's own (``iam.{region}.{domain}``,
    where password auth asks for a project-scoped token). The one home of the IAM host
    rule; an empty or unknown region gets the global ``.com`` IAM.

    Examples
    --------
    >>> iam_endpoint_for("eu-west-101"), iam_endpoint_for("cn-north-4")
    ('https://iam.myhuaweicloud.eu', 'https://iam.myhuaweicloud.com')
    >>> iam_endpoint_for("eu-west-101", regional=True)
    'https://iam.eu-west-101.myhuaweicloud.eu'
    >>> iam_endpoint_for("", regional=True)
    'https://iam.myhuaweicloud.com'
    """
    domain = REGION_DOMAINS.get(region, DEFAULT_DOMAIN)
    return f"https://iam.{region}.{domain}" if regional and region else f"https://iam.{domain}"


def region_of(endpoint: str) -> str | None:
    """The region an ``https://rds.{region}.{domain}`` endpoint serves; None for any other
    host (a proxy, the emulator).

    Examples
    --------
    >>> region_of("http://127.0.0.1:8080") is None
    True
    """
    host = (urlsplit(endpoint).hostname or "").lower()
    m = _RDS_HOST.match(host)
    return m.group(1) if m else None

"""The emulator's demo credentials and its accounts and projects (the records behind
every answer)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ._tasks import _TaskRow

DEMO_PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
DEMO_TOKEN = "emulator-token"
DEMO_USER, DEMO_PASSWORD, DEMO_DOMAIN = "analyst", "emulator-password", "demo"
#: An AK/SK pair ``rds-jobs emulator`` accepts (signatures checked with the official signer).
DEMO_AK, DEMO_SK = "EMULATORDEMOACCESSKEY", "emulator-demo-secret-key"
#: The account that owns the constructor's project and credentials.
DEFAULT_ACCOUNT = "default"


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


def _hex_id(*parts: str) -> str:
    """A stable 32-hex ID (IAM's shape for account, user and project IDs)."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]

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

from ._demo import DemoFleet, demo_fleet
from ._emulator import MAX_CLOCK_SKEW, Emulator
from ._handler import FAULTS, NOT_OWNER
from ._state import (
    DEFAULT_ACCOUNT,
    DEMO_AK,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_PROJECT,
    DEMO_SK,
    DEMO_TOKEN,
    DEMO_USER,
)
from ._tasks import INSTANCE_STATUSES, TASK_TIME_FILTERS, task_of

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

"""Shared by the API-client tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_iam_from_the_environment(monkeypatch):
    """No API test reads the machine's IAM endpoint (``HUAWEICLOUD_SDK_IAM_ENDPOINT``): a
    test that wants one sets it."""
    monkeypatch.delenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", raising=False)

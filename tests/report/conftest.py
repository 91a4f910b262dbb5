"""Shared by the report tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def october(sample_frame):
    """The sample's report of October 2026 (no coverage given), once per module."""
    from rds_job_analytics import monthly_report

    return monthly_report(sample_frame, "2026-10")

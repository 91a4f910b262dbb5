"""The shared argument checks: ``expand_path``, expanded once as a shell would."""

from __future__ import annotations

from pathlib import Path

import pytest

from rds_job_analytics._validate import MAX_RATE, check_rate, expand_path
from rds_job_analytics.exceptions import ConfigError


@pytest.fixture
def env(home_and_cwd, monkeypatch):
    for name in ("RDS_JOBS_A", "RDS_JOBS_B", "RDS_JOBS_UNSET"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_dollar_inside_a_variables_value_is_kept_literally(env):
    """A='$B' with B set: the value is used as it is, not expanded again, nor refused."""
    env.setenv("RDS_JOBS_A", "/data/$RDS_JOBS_B")
    env.setenv("RDS_JOBS_B", "other")
    assert expand_path("$RDS_JOBS_A/x") == "/data/$RDS_JOBS_B/x"
    env.delenv("RDS_JOBS_B")  # unset: still the value as it is, not "B is not set"
    assert expand_path(Path("${RDS_JOBS_A}/x")) == Path("/data/$RDS_JOBS_B/x")


def test_a_tilde_inside_a_variables_value_is_literal(env, tmp_path):
    env.setenv("RDS_JOBS_A", "~/x")
    assert expand_path("$RDS_JOBS_A/y") == "~/x/y"
    assert expand_path("~/$RDS_JOBS_A") == f"{tmp_path / 'home'}/~/x"


def test_unset_variables_and_unknown_users_are_named(env):
    with pytest.raises(ConfigError, match="environment variable RDS_JOBS_UNSET is not set"):
        expand_path("/a/${RDS_JOBS_UNSET}/x")
    with pytest.raises(ConfigError, match="no user 'rds-jobs-no-such-user'"):
        expand_path("~rds-jobs-no-such-user/x")


def test_a_dollar_that_names_no_variable_is_literal(env):
    assert expand_path("/a/price$.csv") == "/a/price$.csv"
    assert expand_path("/a/$-1.csv") == "/a/$-1.csv"


@pytest.mark.parametrize("rate", [MAX_RATE, MAX_RATE / 2, 1e-3, 1])
def test_rates_up_to_the_one_bound_pass(rate):
    assert check_rate(rate) == rate


@pytest.mark.parametrize("rate", [MAX_RATE * 1.000001, 2e6, 10**9])
def test_a_rate_over_the_bound_is_refused_by_check_rate(rate):
    with pytest.raises(ConfigError, match=r"rate_limit must be at most 1,000,000 requests/s"):
        check_rate(rate)

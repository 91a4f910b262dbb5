"""The fleet file (sync/_fleet_file.py): parsing and validation, one parser per table,
profiles, and the fleet file discovery writes (fleet_toml)."""

from __future__ import annotations

import tomllib

import pytest

from rds_job_analytics import ConfigError
from rds_job_analytics._validate import MAX_RATE, check_rate
from rds_job_analytics.sync._fleet_file import Account, fleet_toml, load_fleet
from tests.sync.test_fleet import P1, P2, P3, fleet_text


# -- the fleet file -------------------------------------------------------------------
def test_fleet_file_parses_with_regions_and_endpoints():
    text = fleet_text({P1: "http://127.0.0.1:1", P2: "http://127.0.0.1:2", P3: "http://x:3"})
    fleet = load_fleet(text)
    assert [a.name for a in fleet.accounts] == ["prod", "analytics"]
    assert [(p.account, p.region, p.project_id) for p in fleet.projects] == [
        ("prod", "cn-north-4", P1), ("prod", "ap-southeast-1", P2), ("analytics", "eu-west-101", P3)
    ]  # fmt: skip
    assert fleet.projects[0].line == 10  # the line of its project_id
    # without an override, the region's own endpoint (eu-west-101 is outside .com)
    bare = load_fleet(text.replace('endpoint = "http://x:3"', ""))
    assert bare.projects[2].endpoint == "https://rds.eu-west-101.myhuaweicloud.eu"


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda t: t.replace('rate_limit = 500\n', 'rate_limit = 500\nsk = "c2VjcmV0LXZhbHVl"\n', 1),
         "line 7: accounts.prod.sk: secrets never go in the fleet file"),
        (lambda t: t.replace('token = "T_PROD"', 'token = "eyJhbGciOi.J9.secret-token"'),
         "line 5: accounts.prod.env.token: must name an environment variable"),
        (lambda t: t.replace('token = "T_PROD"', 'token = "EMUPRODACCESSKEY0001"'),  # an AK
         "line 5: accounts.prod.env.token: must name an environment variable"),
        (lambda t: t.replace('region = "cn-north-4"\nproject_id = "1', 'region = "cn-nort-4"\nproject_id = "1')
         .replace('endpoint = "http://127.0.0.1:1"\n', "", 1),
         "line 9: accounts.prod.projects[0].region: unknown region 'cn-nort-4'"),
        (lambda t: t.replace(f'project_id = "{P3}"', f'project_id = "{P1}"'),
         f"line 25: accounts.analytics.projects[0].project_id: project {P1} is listed twice "
         "(first at line 10)"),
        (lambda t: t.replace('auth = "token"', 'auth = "oauth"', 1),
         "line 4: accounts.prod.auth: must be one of aksk, token, password"),
        (lambda t: t.replace(f'project_id = "{P2}"', 'project_id = "../../etc"'),
         "accounts.prod.projects[1].project_id: must be the project's 32-character ID"),
        (lambda t: t.replace('rate_limit = 500\n', 'rate_limt = 5\n', 1),
         "line 6: accounts.prod.rate_limt: unknown key"),
        (lambda t: t + "\n[accounts.analytics.extra]\n",
         "accounts.analytics.extra: unknown key"),
        (lambda t: t.replace('[[accounts.analytics.projects]]', '[[accounts.analytics.projects]]\npassword = "x"'),
         "accounts.analytics.projects[0].password: secrets never go in the fleet file"),
    ],
)  # fmt: skip
def test_fleet_file_errors_name_the_key_and_line(edit, needle):
    text = edit(fleet_text({P1: "http://127.0.0.1:1", P2: "http://127.0.0.1:2", P3: "http://x:3"}))
    with pytest.raises(ConfigError) as info:
        load_fleet(text)
    assert needle in str(info.value)
    for secret in ("c2VjcmV0LXZhbHVl", "secret-token", "EMUPRODACCESSKEY0001"):
        assert secret not in str(info.value)  # a secret in the file is never echoed


RATES = ["0.9", "500", "1000000", "1000000.5", "2e6", "1e9", "0", "-1", "true", "nan", "inf",
         '"5"']  # fmt: skip


@pytest.mark.parametrize("rate", RATES)
def test_fleet_rate_limit_follows_check_rate_and_names_file_line_and_key(rate, tmp_path):
    """One rate rule: the fleet file accepts a ``rate_limit`` exactly when ``check_rate``
    does (it once had its own bound, ``< 1e6``, while check_rate took 2e6), and a refused
    one names the file, the line and the key, never the value (it may be a pasted secret)."""
    value = tomllib.loads(f"r = {rate}")["r"]
    path = tmp_path / "fleet.toml"
    endpoints = {P1: "http://127.0.0.1:1", P2: "http://127.0.0.1:2", P3: "http://x:3"}
    text = fleet_text(endpoints).replace("rate_limit = 500\n", f"rate_limit = {rate}\n", 1)
    path.write_text(text)
    try:
        expected = check_rate(value, echo=False)
    except ConfigError as exc:
        with pytest.raises(ConfigError) as info:
            load_fleet(path)
        assert str(info.value) == f"{path} line 6: accounts.prod.rate_limit: {exc}"
    else:
        assert load_fleet(path).accounts[0].rate_limit == expected <= MAX_RATE


def test_fleet_file_errors_on_disk(tmp_path):
    with pytest.raises(ConfigError, match="no fleet file at"):
        load_fleet(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[accounts.prod\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_fleet(bad)


def test_a_fleet_file_path_expands_home_and_variables(home_and_cwd):
    home, _, var = home_and_cwd
    var.mkdir()
    text = fleet_text({P1: "http://127.0.0.1:1", P2: "http://127.0.0.1:2", P3: "http://x:3"})
    (home / "fleet.toml").write_text(text)
    (var / "fleet.toml").write_text(text)
    assert len(load_fleet("~/fleet.toml").projects) == 3
    assert len(load_fleet("$RDS_JOBS_TEST_DIR/fleet.toml").projects) == 3


def test_profile_credentials(tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text("[prod]\nak = AKEXAMPLE\nsk = s3cr3t\n")
    acct = Account("prod", "aksk", profile="prod")
    env = {"RDS_JOBS_CREDENTIALS_FILE": str(creds)}
    assert acct.credentials(env) == {"ak": "AKEXAMPLE", "sk": "s3cr3t"}
    with pytest.raises(ConfigError, match=r"no profile \[dev\]"):
        Account("prod", "aksk", profile="dev").credentials(env)
    creds.write_text("[prod]\nak = AKEXAMPLE\n")
    with pytest.raises(ConfigError, match="lacks sk") as info:
        acct.credentials(env)
    assert "AKEXAMPLE" not in str(info.value)


def test_fleet_toml_round_trips():
    acct = Account("prod", "aksk", {"ak": "PROD_AK", "sk": "PROD_SK"})
    found = [
        {"project_id": P1, "name": "cn-north-4", "region": "cn-north-4"},
        {"project_id": P2, "name": "cn-north-4_dev", "region": "cn-north-4"},
        {"project_id": P3, "name": "xx-moon-1", "region": "xx-moon-1"},
    ]
    text = fleet_toml(acct, found)
    fleet = load_fleet(text)
    assert [p.project_id for p in fleet.projects] == [P1, P2]  # unknown region commented out
    assert '# unknown region "xx-moon-1"' in text

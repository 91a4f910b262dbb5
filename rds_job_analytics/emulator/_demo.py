"""The demo estate: two accounts, three regions, one emulator, and its fleet file."""

from __future__ import annotations

from dataclasses import dataclass

from ._emulator import Emulator
from ._state import _hex_id

# -- the demo estate ---------------------------------------------------------------------
#: The demo estate: (account, region, jobs) per project, in fleet-file order. The accounts'
#: job totals are equal (450 each), so syncing them in parallel takes about half the time.
_DEMO_PROJECTS = (
    ("prod", "cn-north-4", 250),
    ("prod", "ap-southeast-1", 200),
    ("analytics", "eu-west-101", 450),
)
#: Environment variable -> the demo's credential (the emulator's own, nothing real).
_DEMO_ENV = {
    "RDS_JOBS_PROD_AK": "EMUPRODACCESSKEY0001",
    "RDS_JOBS_PROD_SK": "emulator-prod-secret-key",
    "RDS_JOBS_ANALYTICS_TOKEN": "emulator-analytics-token",
    "RDS_JOBS_ANALYTICS_USER": "analytics-reader",
    "RDS_JOBS_ANALYTICS_PASSWORD": "emulator-analytics-password",
    "RDS_JOBS_ANALYTICS_DOMAIN": "analytics-team",
}
#: Each account's credential source in the fleet file: (auth kind, {key: variable}).
_DEMO_AUTH = {
    "prod": ("aksk", {"ak": "RDS_JOBS_PROD_AK", "sk": "RDS_JOBS_PROD_SK"}),
    "analytics": ("token", {"token": "RDS_JOBS_ANALYTICS_TOKEN"}),
}


@dataclass
class DemoFleet:
    """A demo estate: an emulator (not started) serving two accounts and three regions.

    Attributes
    ----------
    emulator : Emulator
        Start it (``with demo.emulator as emu``) before using :meth:`fleet_toml`'s file.
    env : dict
        Environment variables holding the accounts' credentials (the emulator's own):
        ``RDS_JOBS_PROD_AK``/``_SK`` (account ``prod``, AK/SK), ``RDS_JOBS_ANALYTICS_TOKEN``
        (account ``analytics``) and ``RDS_JOBS_ANALYTICS_USER``/``_PASSWORD``/``_DOMAIN``
        (the same user by password).
    projects : tuple
        ``(account, region, project_id)`` per project, in the fleet file's order.

    Examples
    --------
    >>> demo = demo_fleet()
    >>> [(a, r) for a, r, _ in demo.projects]
    [('prod', 'cn-north-4'), ('prod', 'ap-southeast-1'), ('analytics', 'eu-west-101')]
    """

    emulator: Emulator
    env: dict[str, str]
    projects: tuple[tuple[str, str, str], ...]

    def __repr__(self) -> str:  # the env holds (demo) secrets: names only
        return f"DemoFleet(projects={len(self.projects)}, env=[{', '.join(sorted(self.env))}])"

    def fleet_toml(self, endpoint: str, *, rate_limit: float | None = None) -> str:
        """The fleet file of this estate, every project's endpoint set to ``endpoint``.

        Parameters
        ----------
        endpoint : str
            The emulator's URL (``demo.emulator.url`` once started).
        rate_limit : float, optional
            Calls per second written for each account (default: the fleet's 1.0).

        Returns
        -------
        str
            TOML naming environment variables of :attr:`env`, never a secret.

        Examples
        --------
        >>> import tomllib
        >>> demo = demo_fleet()
        >>> fleet = tomllib.loads(demo.fleet_toml("http://127.0.0.1:8080"))
        >>> fleet["accounts"]["prod"]["env"]
        {'ak': 'RDS_JOBS_PROD_AK', 'sk': 'RDS_JOBS_PROD_SK'}
        >>> fleet["accounts"]["analytics"]["projects"][0]["region"]
        'eu-west-101'
        """
        out = [
            "# rds-jobs fleet file: accounts, their credentials (names of environment "
            "variables, never secrets) and projects"
        ]
        for account, (kind, env) in _DEMO_AUTH.items():
            out += ["", f"[accounts.{account}]", f'auth = "{kind}"']
            if rate_limit is not None:
                out.append(f"rate_limit = {rate_limit:g}")
            out.append("env = { " + ", ".join(f'{k} = "{v}"' for k, v in env.items()) + " }")
            if account == "analytics":
                out.append(
                    '# or by password: auth = "password" and env = { user = '
                    '"RDS_JOBS_ANALYTICS_USER", password = "RDS_JOBS_ANALYTICS_PASSWORD", '
                    'domain = "RDS_JOBS_ANALYTICS_DOMAIN" }'
                )
            for owner, region, pid in self.projects:
                if owner == account:
                    out += [
                        "",
                        f"[[accounts.{account}.projects]]",
                        f'region = "{region}"',
                        f'project_id = "{pid}"',
                        f'name = "{region}"',
                        f'endpoint = "{endpoint}"',
                    ]
        return "\n".join(out) + "\n"


def demo_fleet(
    *,
    quota: int | None = None,
    quota_window: float = 60.0,
    latency: float = 0.0,
    seed: int = 0,
    port: int = 0,
) -> DemoFleet:
    """A demo estate of two accounts and three regions on one emulator (not started).

    Account ``prod`` (AK/SK) has ``cn-north-4`` (250 jobs) and ``ap-southeast-1`` (200);
    account ``analytics`` (a token, or its user's password) has ``eu-west-101`` (450).
    Each project has its own synthetic history (:func:`~rds_job_analytics.synth.generate_jobs`
    with its own seed: distinct job and instance IDs) created in the shipped sample's
    window, and the emulator keeps every job (no retention), so a sync with
    ``--horizon-days 0`` reads them all. The quota is per account, across its projects.

    Parameters
    ----------
    quota : int, optional
        Calls per ``quota_window`` seconds per account (None: no limit).
    quota_window : float
        Seconds of the quota window (60 like the real API; less to compress time).
    latency : float
        Seconds added to every API GET.
    seed : int
        Changes every project's jobs and IDs.
    port : int
        Port the emulator serves on once started (0: any free port).

    Returns
    -------
    DemoFleet

    Examples
    --------
    >>> demo = demo_fleet()
    >>> with demo.emulator as emu:
    ...     sizes = [len(emu.job_ids(pid)) for _, _, pid in demo.projects]
    >>> sizes
    [250, 200, 450]
    """
    from ..synth import generate_jobs

    emu = Emulator([], quota=quota, quota_window=quota_window, latency=latency,
                   retention_days=None, seed=seed, port=port)  # fmt: skip
    env = dict(_DEMO_ENV)
    emu.add_account("prod", domain="prod-team", user="prod-sync",
                    ak=env["RDS_JOBS_PROD_AK"], sk=env["RDS_JOBS_PROD_SK"])  # fmt: skip
    emu.add_account(
        "analytics", domain=env["RDS_JOBS_ANALYTICS_DOMAIN"], user=env["RDS_JOBS_ANALYTICS_USER"],
        password=env["RDS_JOBS_ANALYTICS_PASSWORD"], token=env["RDS_JOBS_ANALYTICS_TOKEN"],
    )  # fmt: skip
    projects = []
    for i, (account, region, n) in enumerate(_DEMO_PROJECTS):
        pid = _hex_id("demo-project", str(seed), account, region)
        jobs = generate_jobs(n, seed=seed * 1000 + 7 * (i + 1), n_instances=12 + 4 * i)
        emu.add_project(pid, account=account, region=region, records=jobs)
        projects.append((account, region, pid))
    return DemoFleet(emu, env, tuple(projects))

"""A cron ``rds-jobs sync`` pays only for what it uses: heavy modules load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "ipywidgets", "IPython", "jinja2")


def loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.split()


@pytest.mark.slow  # a cold interpreter in a subprocess (importing pandas): 1-3 s
def test_import_loads_no_plotting_widgets_or_report():
    assert loaded_after("import rds_job_analytics") == []


@pytest.mark.slow  # a cold interpreter in a subprocess (importing pandas): 1-3 s
def test_cli_help_loads_no_plotting_widgets_or_report():
    code = (
        "import contextlib, io\n"
        "from rds_job_analytics import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    cli.main(['--help'])"
    )
    assert loaded_after(code) == []


@pytest.mark.slow  # a cold interpreter importing pandas and a plotting/widget stack: 1-2 s each
@pytest.mark.parametrize(
    ("name", "module"),
    [("plot_timeline", "matplotlib"), ("explore", "ipywidgets"), ("monthly_report", "jinja2")],
)
def test_lazy_names_resolve_on_first_use(name, module):
    assert module in loaded_after(f"import rds_job_analytics as r\nr.{name}")


def test_lazy_names_are_listed_and_unknown_names_raise():
    import rds_job_analytics as r

    assert {"plot_timeline", "explore", "monthly_report", "Report"} <= set(dir(r))
    assert set(r.__all__) <= set(dir(r))
    with pytest.raises(AttributeError, match="no_such_name"):
        r.no_such_name  # noqa: B018


@pytest.mark.slow  # a cold interpreter in a subprocess (importing pandas): 1-3 s
def test_a_single_project_sync_loads_no_fleet_module():
    """The fleet's modules (TOML, credential profiles, the pool of projects) load when a
    fleet is used, not for ``import rds_job_analytics`` or a one-project sync's names."""
    probe = (
        "import sys\n"
        "import rds_job_analytics as rja\n"
        "rja.sync_jobs, rja.JobArchive, rja.JobsClient\n"
        "print(' '.join(m for m in ('rds_job_analytics.sync._fleet', "
        "'rds_job_analytics.sync._fleet_file', 'tomllib', 'configparser') if m in sys.modules))\n"
        "rja.load_fleet\n"
        "print('rds_job_analytics.sync._fleet_file' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["", "True"]

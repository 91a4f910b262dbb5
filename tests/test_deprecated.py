"""The old flat module paths (``rds_job_analytics.archive``, ``.fleet``...) for one release:
each imports with a DeprecationWarning a user sees (attributed to the user's line, so
Python's default filters show it), serves every name it did, star-imports, and passes a
patch through to the module that defines the name."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rds_job_analytics import _deprecated


def _run(tmp_path, code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "user_script.py"
    script.write_text(code)
    return subprocess.run(
        [sys.executable, *flags, str(script)], capture_output=True, text=True, timeout=120
    )


def test_old_module_paths_warn_and_still_resolve():
    code = (
        "import warnings, importlib, json\n"
        "warnings.simplefilter('always')\n"
        "out = {}\n"
        "for old, name in [('archive', 'JobArchive'), ('fleet', 'sync_fleet'),"
        " ('dataset', 'read_jobs'), ('client', 'JobsClient'), ('auth', 'TokenAuth'),"
        " ('fetch', 'sync_jobs'), ('schema', 'is_job_id'), ('regions', 'REGION_DOMAINS')]:\n"
        "    with warnings.catch_warnings(record=True) as caught:\n"
        "        warnings.simplefilter('always')\n"
        "        m = importlib.import_module('rds_job_analytics.' + old)\n"
        "        getattr(m, name)\n"
        "    out[old] = sorted({w.category.__name__ for w in caught})\n"
        "print(json.dumps(out))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    warned = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(warned) == {
        "archive",
        "fleet",
        "dataset",
        "client",
        "auth",
        "fetch",
        "schema",
        "regions",
    }
    assert all(v == ["DeprecationWarning"] for v in warned.values()), warned


def test_a_user_sees_the_warning_at_their_own_line_without_any_flag(tmp_path):
    """Default filters show a DeprecationWarning only when it is attributed to __main__:
    one attributed to importlib or the package would reach nobody."""
    out = _run(
        tmp_path,
        "import rds_job_analytics as rja\n"
        "from rds_job_analytics.fleet import load_fleet\n"
        "x = rja.archive.JobArchive\n"
        "import rds_job_analytics.client\n",
    )
    assert out.returncode == 0, out.stderr
    shown = [line for line in out.stderr.splitlines() if "DeprecationWarning" in line]
    assert [line.split(": DeprecationWarning")[0].rsplit("/", 1)[-1] for line in shown] == [
        "user_script.py:2",
        "user_script.py:3",
        "user_script.py:4",
    ]
    assert "use rds_job_analytics.sync" in shown[0] and "use rds_job_analytics.store" in shown[1]


@pytest.mark.slow
def test_a_star_import_binds_what_the_old_module_exported(tmp_path):
    out = _run(
        tmp_path,
        "import json, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from rds_job_analytics.archive import *\n"
        "from rds_job_analytics.fleet import *\n"
        "from rds_job_analytics.dataset import *\n"
        "print(json.dumps([n in globals() for n in "
        "('JobArchive', 'Coverage', 'load_fleet', 'sync_fleet', 'read_jobs', 'run_sql')]))\n",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [True] * 6


@pytest.mark.slow
def test_a_patch_through_an_old_path_reaches_the_home(tmp_path):
    out = _run(
        tmp_path,
        "import warnings\n"
        "warnings.simplefilter('ignore')\n"
        "import rds_job_analytics.client as old\n"
        "import rds_job_analytics.api._client as home\n"
        "old.DEFAULT_DEADLINE = 5.0\n"
        "print(home.DEFAULT_DEADLINE, old.DEFAULT_DEADLINE)\n",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["5.0", "5.0"]


def test_every_alias_names_a_public_new_home():
    import importlib

    for old, (new, homes) in _deprecated.ALIASES.items():
        assert importlib.import_module(new), old
        assert homes, old


@pytest.mark.slow
def test_a_name_that_moved_elsewhere_is_named_with_its_own_home(tmp_path):
    """``dataset`` became ``export``, but combine_failure_rates went to stats: the advice
    for that name is stats (following the module's advice alone would be an ImportError)."""
    out = _run(
        tmp_path,
        "from rds_job_analytics.dataset import combine_failure_rates, read_jobs\n"
        "from rds_job_analytics.archive import write_frame\n"
        "from rds_job_analytics.stats import combine_failure_rates as c2\n"
        "from rds_job_analytics.export import read_jobs as r2, write_frame as w2\n"
        "assert (combine_failure_rates, read_jobs, write_frame) == (c2, r2, w2)\n",
    )
    assert out.returncode == 0, out.stderr
    advice = [line for line in out.stderr.splitlines() if "DeprecationWarning" in line]
    assert any(
        "dataset.combine_failure_rates is deprecated: use rds_job_analytics.stats." in a
        for a in advice
    )
    assert any(
        "archive.write_frame is deprecated: use rds_job_analytics.export." in a for a in advice
    )
    assert not any("read_jobs is deprecated" in a for a in advice)  # export serves it

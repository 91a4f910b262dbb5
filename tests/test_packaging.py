"""The sample and the package work from a normal (non-editable) wheel install; ``make check``
and ``make test`` select the tests they say they do."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_wheel_ships_sample_and_load_sample_works(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(wheels), str(ROOT)],
        check=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rds_job_analytics/_data/sample_jobs.jsonl.gz" in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True,
    )  # fmt: skip
    code = (
        "import rds_job_analytics as r; "
        "print(r.__file__); print(len(r.load_sample())); print(r.sample.sample_path()); "
        "print(r.monthly_report(r.empty_jobs_frame(), '2026-10').title)"  # template shipped
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[0].startswith(str(target))
    assert int(out[1]) >= 5000
    assert out[2].startswith(str(target))
    assert out[3] == "RDS reliability report - October 2026"


def _recipes(makefile: str) -> dict[str, list[str]]:
    """Each Makefile target's recipe lines, with the comment lines just above the target."""
    out: dict[str, list[str]] = {}
    target, above = None, []
    for line in makefile.splitlines():
        if line.startswith("\t") and target:
            out[target].append(line.strip())
        elif m := re.match(r"([\w.-]+):(?!=)", line):
            target = m.group(1)
            out[target] = [*above]
            above = []
        else:
            target = None
            above = [*above, line] if line.startswith("#") else []
    return out


def test_make_check_skips_the_slow_tests_and_make_test_runs_them():
    """The fast loop is fast because it deselects what is marked slow: the marker is
    registered, a misspelt marker is an error (not a slow test run by make check), make
    check selects "not slow" and make test everything; the README and the Makefile give
    make check the same time."""
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in ini["markers"])
    assert "--strict-markers" in ini["addopts"].split()
    recipes = _recipes((ROOT / "Makefile").read_text())
    (check,) = [line for line in recipes["check"] if "-m pytest" in line]
    (everything,) = [line for line in recipes["test"] if "-m pytest" in line]
    assert '-m "not slow"' in check and " -m " not in everything.replace("-m pytest", "")
    said = re.search(r"about (\d+ s)", " ".join(recipes["check"]))
    readme = " ".join((ROOT / "README.md").read_text().split())
    fast_loop = readme[readme.index("`make check` is the fast loop") :][:400]
    assert said and f"about {said.group(1)}" in fast_loop

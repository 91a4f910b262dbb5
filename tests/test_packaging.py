"""The sample and the package work from a normal (non-editable) wheel install."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from .conftest import ROOT


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

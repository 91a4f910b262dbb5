"""The committed notebooks run headless and are committed clean.

The executing tests are marked slow (a kernel each). The kernel inherits this process's
environment; the explore notebook is run with ``MPLBACKEND=Agg`` set, as in CI or a shell
profile, where a notebook that relies on ipykernel's default inline backend shows no chart.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_clean(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name
    text = path.read_text().lower()
    for word in ("x-auth-token", "password=", "secret"):
        assert word not in text


@pytest.mark.slow
def test_explore_notebook_executes(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits it

    src = ROOT / "notebooks" / "explore_job_history.ipynb"
    shutil.copy(src, tmp_path / src.name)
    nb = nbformat.read(tmp_path / src.name, as_version=4)
    NotebookClient(  # raises CellExecutionError on the first cell that fails
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") for o in outputs)
    assert "5000 jobs" in text
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    styled = [h for h in html if ">Failure rate<" in h and ">Median (min)<" in h]
    assert styled and "others (25 job types)" in styled[0]  # the formatted at-a-glance table
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # every chart cell rendered its figure
    widgets = [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert widgets  # the explorer is displayed
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    widget_outputs = [
        o
        for model in state.values()
        if model["model_name"] == "OutputModel"
        for o in model["state"].get("outputs", [])
    ]
    assert [o for o in widget_outputs if "image/png" in o.get("data", {})]  # its chart


def _readme_report_command() -> str:
    """The README's one command that runs and exports the report notebook."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    (cmd,) = [b for b in blocks if "monthly_reliability_report.ipynb" in b and "papermill" in b]
    return cmd.strip()


def test_report_notebook_tells_the_readme_command_and_tags_it_away():
    nb = nbformat.read(ROOT / "notebooks" / "monthly_reliability_report.ipynb", as_version=4)
    first = nb.cells[0]
    assert _readme_report_command() in first.source  # one command, the same in both places
    assert "instructions" in first.metadata.get("tags", [])
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "print(" not in code  # nothing but the report reaches the page


def test_what_the_readme_command_writes_in_the_checkout_is_ignored_by_git():
    """Run from the checkout (as the README's other commands are), the papermill |
    nbconvert command writes its --output there: git must not offer it for a commit."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    (name,) = re.findall(r"--output (\S+)", _readme_report_command())
    for written in (f"{name}.html", "rds-reliability-2026-10.html", "emulator-fleet.toml"):
        done = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "--no-index",
                               written], capture_output=True)  # fmt: skip
        assert done.returncode == 0, f"{written} is not ignored by .gitignore"


def _archive_of_the_sample(path):
    """The sample in an archive whose sync windows cover Aug-Nov 2026 (no network)."""
    import rds_job_analytics as rja

    with rja.JobArchive(path) as archive:
        for record in rja.load_sample(raw=True):
            archive.put(record, project_id="p1", region="eu-west-101")
        archive.record_sync(
            "p1", "eu-west-101",
            datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC),
            listed=5000, fetched=5000, calls=1,
        )  # fmt: skip


class _Page(HTMLParser):
    """The visible text of an nbconvert page, and the report's HTML from its iframe."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.srcdocs: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "iframe":
            self.srcdocs.append(dict(attrs).get("srcdoc", ""))

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())


@pytest.mark.slow
def test_readme_command_runs_and_exports_a_managers_page(tmp_path):
    """The README's command, run as a user would (a shell, the venv's papermill and
    jupyter on PATH), on an archive: the page is the report alone."""
    _archive_of_the_sample(tmp_path / "jobs.sqlite")
    cmd = _readme_report_command()
    cmd = cmd.replace("notebooks/", f"{ROOT / 'notebooks'}/")
    cmd = cmd.replace("MONTH 2026-10", "MONTH 2026-09")
    cmd = cmd.replace("~/rds-jobs.sqlite", str(tmp_path / "jobs.sqlite"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MPLBACKEND", None)
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    html = (tmp_path / "reliability-2026-10.html").read_text()  # the --output name
    page = _Page()
    page.feed(html)
    text = " ".join(page.text)
    for absent in ("papermill", "Monthly RDS reliability report", "instructions", "saved",
                   "import rds_job_analytics", "monthly_report(", "Traceback", "Error"):  # fmt: skip
        assert absent not in text, absent
    (report,) = page.srcdocs  # the report, isolated in its iframe, is the page
    assert "RDS reliability report - September 2026" in report
    assert "may be incomplete" not in report  # the archive's sync windows cover the month
    assert "1,422" in report  # September's jobs in the sample

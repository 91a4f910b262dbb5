"""The committed notebooks run headless and are committed clean.

The executing tests are marked slow (a kernel each). The kernel inherits this process's
environment; the explore notebook is run with ``MPLBACKEND=Agg`` set, as in CI or a shell
profile, where a notebook that relies on ipykernel's default inline backend shows no chart.
"""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from .conftest import ROOT

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


@pytest.mark.slow
def test_report_notebook_runs_with_papermill_and_exports_without_input(tmp_path):
    import papermill as pm
    from nbconvert import HTMLExporter

    src = ROOT / "notebooks" / "monthly_reliability_report.ipynb"
    out = tmp_path / "executed.ipynb"
    report_path = tmp_path / "report.html"
    pm.execute_notebook(
        str(src), str(out), parameters={"MONTH": "2026-09", "REPORT_PATH": str(report_path)},
        cwd=str(tmp_path), progress_bar=False, kernel_name="python3",
    )  # fmt: skip
    assert "RDS reliability report - September 2026" in report_path.read_text()
    nb = nbformat.read(out, as_version=4)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb)
    assert "RDS reliability report - September 2026" in body
    assert "import rds_job_analytics" not in body  # input hidden
    assert "monthly_report(" not in body

"""(Re)write the committed notebooks, clean (no outputs): python scripts/make_notebooks.py"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent


def explore_notebook() -> nbformat.NotebookNode:
    md, code = new_markdown_cell, new_code_cell
    cells = [
        md(
            "# Exploring RDS job history\n\n"
            "Failure rates, durations, storage scale-ups and activity over time for the jobs "
            "in the RDS task center. Runs on the built-in sample by default; the next cell "
            "points it at your archive or a live project."
        ),
        code(
            "# Parameters (papermill can override them)\n"
            "ARCHIVE_PATH = None  # e.g. '~/rds-jobs.sqlite', an archive made by `rds-jobs sync`\n"
            "PROJECT_ID = None  # a live project: also set REGION, credentials come from the env\n"
            "REGION = None  # e.g. 'ap-southeast-1'\n"
            "START, END = None, None  # optional window on job creation, e.g. '2026-09-01'",
            metadata={"tags": ["parameters"]},
        ),
        code(
            "import matplotlib.pyplot as plt\n"
            "import rds_job_analytics as rja\n\n"
            "if ARCHIVE_PATH:\n"
            "    df = rja.JobArchive(ARCHIVE_PATH).to_frame(start=START, end=END)\n"
            "elif PROJECT_ID:\n"
            "    client = rja.JobsClient(PROJECT_ID, region=REGION)  # credentials from the environment\n"
            "    archive = rja.JobArchive('rds-jobs.sqlite')\n"
            "    print(rja.sync_jobs(client, archive))\n"
            "    df = archive.to_frame(start=START, end=END)\n"
            "else:\n"
            "    df = rja.filter_window(rja.load_sample(), START, END)\n"
            "print(f\"{len(df)} jobs, {df['job_name'].nunique()} job types, \"\n"
            "      f\"{df['created'].min():%Y-%m-%d} .. {df['created'].max():%Y-%m-%d}\")"
        ),
        md(
            "## The normalized frame\n\nOne row per job; timestamps are tz-aware UTC, "
            "durations in seconds, volume sizes in GB. Anything the schema does not name "
            "is kept in `extra`."
        ),
        code("df.head()"),
        md(
            "## Failure rates\n\nThe rate is over finished jobs (running ones excluded), with "
            "a 95% Wilson interval: wide intervals mean few jobs, so do not over-read them."
        ),
        code("rja.failure_rates(df).sort_values('failure_rate', ascending=False).head(10)"),
        code("rja.failure_rates(df, by=['engine', 'month'])"),
        code(
            "fig, ax = plt.subplots(figsize=(9, 10))\nrja.plot_failure_rates(df, ax=ax, min_jobs=20);"
        ),
        md(
            "## Durations\n\nMedian, p90 and p99 of finished jobs. The log axis keeps "
            "seconds-long EIP binds and hour-long restores on one chart."
        ),
        code("rja.duration_summary(df).sort_values('median_s', ascending=False).head(10)"),
        code("fig, ax = plt.subplots(figsize=(9, 7))\nrja.plot_durations(df, ax=ax);"),
        md("## Storage scale-ups"),
        code("rja.resize_summary(df, by='volume_type')"),
        code(
            "fig, axes = plt.subplots(1, 2, figsize=(14, 4.5))\n"
            "rja.plot_resize_deltas(df, ax=axes[0])\n"
            "rja.plot_resize_deltas(df, kind='hist', ax=axes[1]);"
        ),
        md("## Activity over time"),
        code("fig, ax = plt.subplots(figsize=(12, 4))\nrja.plot_timeline(df, freq='W', ax=ax);"),
        md(
            "## Explore interactively\n\nFilter by date, job type, engine, status and instance; "
            "the chart and the summary table follow."
        ),
        code("explorer = rja.explore(df)\nexplorer"),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def main() -> None:
    out = ROOT / "notebooks" / "explore_job_history.ipynb"
    out.parent.mkdir(exist_ok=True)
    nbformat.write(explore_notebook(), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

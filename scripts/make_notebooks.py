"""(Re)write the committed notebooks, clean (no outputs): python scripts/make_notebooks.py"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent


def _notebook(cells: list) -> nbformat.NotebookNode:
    for i, cell in enumerate(cells):  # stable ids: regenerating gives no diff
        cell["id"] = f"cell-{i:02d}"
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


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
            "START = None  # optional window on job creation, e.g. '2026-09-01'\n"
            "END = None",
            metadata={"tags": ["parameters"]},
        ),
        code(
            # the inline backend explicitly: a kernel inherits MPLBACKEND (e.g. Agg in CI or
            # a shell profile), and with any other backend no chart would show
            "%matplotlib inline\n"
            "import matplotlib.pyplot as plt\n"
            "import rds_job_analytics as rja\n\n"
            "if ARCHIVE_PATH:\n"
            "    df = rja.JobArchive.open(ARCHIVE_PATH).to_frame(start=START, end=END)\n"
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
            "## At a glance\n\nThe 15 job types with the most jobs and the rest in one row, "
            "formatted for reading (the explorer's table; `summary_table` gives the numbers)."
        ),
        code(
            "from rds_job_analytics.widgets import styled_table, summary_table\n\n"
            "styled_table(summary_table(df))"
        ),
        md(
            "## Failure rates\n\nThe rate is over finished jobs (running ones excluded), with "
            "a 95% Wilson interval: wide intervals mean few jobs, so do not over-read them. "
            "The worst offenders are ranked by the interval's lower bound, not the raw rate: "
            "2 failures in 4 jobs do not outrank 40 in 400."
        ),
        code("rja.failure_rates(df).sort_values('ci_low', ascending=False).head(10)"),
        code("rja.failure_rates(df, by='job_kind')  # the job type without its engine"),
        code("rja.failure_rates(df, by=['engine', 'month'])"),
        code(
            "fig, ax = plt.subplots(figsize=(9, 8))\n"
            "rja.plot_failure_rates(df, ax=ax, min_jobs=20, top=20);"
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
            "## Explore interactively\n\nFilter by date, job type, engine, status and instance "
            "(any part of a name or ID, applied on Enter), and by region and account when the "
            "data spans several; pick what the rows are (job type, job kind, engine...) and how "
            "many to show. The chart and the summary table follow."
        ),
        code("explorer = rja.explore(df)\nexplorer"),
    ]
    return _notebook(cells)


#: The tag of cells that explain how to run a notebook: the export leaves them out.
INSTRUCTIONS_TAG = "instructions"

#: The one command that runs the report notebook and exports the page (README, tests).
REPORT_COMMAND = (
    "papermill notebooks/monthly_reliability_report.ipynb - --no-progress-bar "
    "-p MONTH 2026-10 -p ARCHIVE_PATH ~/rds-jobs.sqlite \\\n"
    "  | jupyter nbconvert --stdin --to html --no-input "
    f"--TagRemovePreprocessor.remove_cell_tags={INSTRUCTIONS_TAG} "
    "--output reliability-2026-10"
)


def report_notebook() -> nbformat.NotebookNode:
    md, code = new_markdown_cell, new_code_cell
    cells = [
        md(
            "# Monthly RDS reliability report\n\n"
            "Builds the month's report from an archive (or the built-in sample). This cell "
            f"is tagged `{INSTRUCTIONS_TAG}` and left out of the export. Run and export in one "
            "command (papermill sets the parameters, nbconvert writes "
            "`reliability-2026-10.html` without the code):\n\n"
            f"```sh\n{REPORT_COMMAND}\n```\n\n"
            "`REPORT_PATH` also saves the standalone report file: it opens anywhere, offline.",
            metadata={"tags": [INSTRUCTIONS_TAG]},
        ),
        code(
            "# Parameters (papermill overrides these)\n"
            "MONTH = None  # 'YYYY-MM'; default: the last complete month in the data\n"
            "ARCHIVE_PATH = None  # an archive made by `rds-jobs sync`; default: the built-in sample\n"
            "TZ = 'UTC'  # time zone that delimits the month\n"
            "TARGET = None  # a failure-rate target, e.g. 0.02 for 2%\n"
            "REPORT_PATH = None  # where to save the standalone HTML report (optional)",
            metadata={"tags": ["parameters"]},
        ),
        code(
            "import pandas as pd\n"
            "import rds_job_analytics as rja\n"
            "from rds_job_analytics.report import data_window\n\n"
            "if ARCHIVE_PATH:\n"
            "    archive = rja.JobArchive.open(ARCHIVE_PATH)  # a mistyped path is an error\n"
            "    if MONTH is None:\n"
            "        MONTH = str(pd.Period(pd.Timestamp.now(tz=TZ).tz_localize(None), freq='M') - 1)\n"
            "    start, end = data_window(MONTH, TZ)  # the month and the 5 before it (the trend)\n    df = archive.to_frame(start=start, end=end)\n"
            "    coverage = archive.syncs()\n"
            "    end_times = archive.end_time_differences()  # the task list against each job's own\n"
            "else:\n"
            "    df, coverage, end_times = rja.load_sample(), None, None\n"
            "    if MONTH is None:  # the sample's last complete month\n"
            "        MONTH = str(pd.Period(df['created'].max().tz_localize(None), freq='M') - 1)\n"
            "report = rja.monthly_report(\n"
            "    df, MONTH, tz=TZ, coverage=coverage, target=TARGET, end_times=end_times\n"
            ")\n"
            "if REPORT_PATH:\n"
            "    report.save(REPORT_PATH)"
        ),
        code("report  # shown in an iframe: its styles stay inside it"),
    ]
    return _notebook(cells)


def main() -> None:
    folder = ROOT / "notebooks"
    folder.mkdir(exist_ok=True)
    for name, make in (
        ("explore_job_history", explore_notebook),
        ("monthly_reliability_report", report_notebook),
    ):
        out = folder / f"{name}.ipynb"
        nbformat.write(make(), out)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()

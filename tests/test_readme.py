"""Every ```python block of README.md runs, in order, in one namespace, as a reader would
paste them into one notebook: against the emulator on loopback, with HOME and the current
folder in a temporary directory (like the CLI examples: ``test_cli_errors``'s
``test_emulator_prints_a_command_that_works``).

What a reader supplies is supplied here, in the open:

- the names the README leaves to the reader (``token``, ``job_ids``) and their files
  (``jobs.jsonl`` in the current folder, an archive at ``~/rds-jobs.sqlite`` their syncs
  filled);
- :data:`PLACEHOLDERS`: text the reader replaces with their own (their project ID, their
  region's endpoint, their database URL), here the emulator's and a throwaway PostgreSQL's.
  Each must occur exactly once, so a README edit that drops or repeats one fails here.

A block that cannot run offline would start with :data:`NOT_RUN_MARK` (shown in the
README as a comment); :data:`NOT_RUN` counts them, and the test fails when the count
changes: none is skipped silently.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import matplotlib.pyplot as plt
import pytest

from rds_job_analytics import JobArchive, load_sample
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator, demo_fleet
from tests.conftest import ROOT, isolate_dlt

#: The first line of a README block the test does not run (none today).
NOT_RUN_MARK = "# not run by tests/test_readme.py:"
#: How many blocks carry it.
NOT_RUN = 0
#: Placeholders a reader fills in -> what this test fills in ({url}: the emulator's,
#: {pg}: a throwaway PostgreSQL database's).
PLACEHOLDERS = {
    '"your-32-char-project-id"': repr(DEMO_PROJECT),
    'region="ap-southeast-1",': 'endpoint="{url}",',
    '"postgresql://rdsjobs:SECRET@db.internal/rdsjobs"': '"{pg}"',
}


def python_blocks(text: str) -> list[str]:
    """Every fenced ```python block of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_python_blocks_are_all_found():
    """The extraction sees every opening fence (a ```python indented or spelled otherwise
    would escape the run below)."""
    text = (ROOT / "README.md").read_text()
    fences = re.findall(r"^\s*```\s*py(?:thon)?\b", text, flags=re.M | re.I)
    blocks = python_blocks(text)
    assert len(blocks) == len(fences) >= 7
    marked = [b for b in blocks if b.startswith(NOT_RUN_MARK)]
    assert len(marked) == NOT_RUN, [b.splitlines()[0] for b in marked]


@pytest.fixture
def reader(home_and_cwd, monkeypatch):
    """A reader's machine: HOME and the current folder in tmp_path, their own responses
    in jobs.jsonl, an archive their syncs filled at ~/rds-jobs.sqlite."""
    home, work, _ = home_and_cwd
    isolate_dlt(monkeypatch, home / "dlt")  # "Load with dlt": offline, nothing outside HOME
    raw = load_sample(raw=True)
    (work / "jobs.jsonl").write_text(
        "\n".join(json.dumps(r) for r in raw[:50]) + "\n{not json\n"  # one bad line
    )
    with JobArchive(home / "rds-jobs.sqlite") as archive:
        for record in raw:
            archive.put(record, project_id=DEMO_PROJECT, region="ap-southeast-1")
        archive.record_sync(
            DEMO_PROJECT, "ap-southeast-1",
            datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC),
            listed=len(raw), fetched=len(raw), calls=1,
        )  # fmt: skip
    return home, work


@pytest.mark.slow  # the whole README: an archive of the sample, PostgreSQL, dask, charts
def test_every_python_block_of_the_readme_runs_in_order(reader, pg_url):
    home, work = reader
    text = (ROOT / "README.md").read_text()
    for placeholder in PLACEHOLDERS:
        assert text.count(placeholder) == 1, placeholder
    blocks = [b for b in python_blocks(text) if not b.startswith(NOT_RUN_MARK)]
    with Emulator(retention_days=None) as emu:
        namespace = {
            "__name__": "__readme__",
            "token": DEMO_TOKEN,  # the reader's credentials and job IDs
            "job_ids": emu.job_ids()[:5],
        }
        for number, block in enumerate(blocks, 1):
            code = block
            for placeholder, value in PLACEHOLDERS.items():
                code = code.replace(placeholder, value.format(url=emu.url, pg=pg_url))
            try:
                exec(compile(code, f"README.md python block {number}", "exec"), namespace)
            except Exception as exc:  # name the block, not just the line inside it
                first = block.strip().splitlines()[0]
                raise AssertionError(f"README python block {number} ({first!r}) fails: "
                                     f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
        assert emu.counts.get("tasklist", 0) >= 1  # the fetching block reached the emulator
        assert emu.counts_by_user["default"].get("jobs", 0) <= len(namespace["job_ids"])
    # what the blocks promise, on what they left behind
    assert (work / "reliability-2026-10.html").is_file()  # rep.save(...)
    assert not (work / "~").exists() and (home / "rds-jobs.sqlite").is_file()
    assert namespace["rep"].month == "2026-10"
    assert list((work / "jobs-dataset").glob("account=*/region=*/month=*/part-0.parquet"))


@pytest.mark.slow  # the analysis block alone, on the sample
def test_the_readme_bar_chart_gives_each_row_its_room():
    """The block "Analysis and charts" draws 31 bars (30 job types and "others"): its figure is
    sized to them, as the report's are, not matplotlib's default 4.8 inches."""
    text = (ROOT / "README.md").read_text()
    (block,) = [b for b in python_blocks(text) if "plot_failure_rates" in b]
    namespace = {"__name__": "__readme__"}
    exec("import rds_job_analytics as rja\n" + block, namespace)
    (bars,) = [ax for f in map(plt.figure, plt.get_fignums()) for ax in f.axes
               if ax.get_xlabel() == "failure rate (finished jobs)"]  # fmt: skip
    rows = len(bars.get_yticklabels())
    assert rows == 31
    assert bars.figure.get_figheight() / rows >= 0.25  # inches a row: labels never overlap


def test_make_demo_is_described_as_what_it_syncs():
    """`make demo` runs `rds-jobs demo`: the demo estate, not the built-in sample."""
    text = (ROOT / "README.md").read_text()
    assert "rds-jobs demo" in (ROOT / "Makefile").read_text()
    demo = demo_fleet()
    jobs = sum(len(demo.emulator.job_ids(pid)) for _, _, pid in demo.projects)
    quick = text[text.index("## Quick start") : text.index("## First steps")]
    assert f"{jobs} synthetic" in quick and "on the built-in sample" not in quick
    assert f"{len({a for a, _, _ in demo.projects})} accounts" in " ".join(quick.split())

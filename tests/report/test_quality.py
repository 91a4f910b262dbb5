"""The report's data-quality text (report/_quality.py): coverage sentences, gaps and their
fate, the problems that make a month untrustworthy, the task-list end-time comparison. It
reads coverage through the store's pure names, never through an archive, and the time
through _time's one clock."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import rds_job_analytics as rja
from rds_job_analytics._time import month_bounds, use_clock
from rds_job_analytics.report import _quality
from rds_job_analytics.report._model import build_model

M0, M1 = month_bounds("2026-10")
DAY = pd.Timedelta(days=1)


def _syncs(*spans):
    return pd.DataFrame(
        {"window_start": [a for a, _ in spans], "window_end": [b for _, b in spans]}
    )


def test_the_report_depends_on_coverage_names_not_on_the_archive():
    folder = Path(_quality.__file__).parent
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert "_archive" not in (node.module or ""), path.name
                assert "JobArchive" not in {a.name for a in node.names}, path.name
            if isinstance(node, ast.Attribute) and node.attr == "now":  # no clock of its own
                assert ast.unparse(node.value) not in {"pd.Timestamp", "datetime"}, path.name


def test_gaps_are_listed_with_their_length_and_fate():
    syncs = _syncs((M0, M0 + 10 * DAY), (M0 + 20 * DAY, M1))
    lines = _quality.coverage_text(syncs, M0, M1, now=M1 + DAY)
    assert lines[0].startswith("Archive sync coverage: 68% of the month")
    assert lines[1] == (
        "Gap: 2026-10-11 00:00 .. 2026-10-21 00:00 UTC (10 d); sync before 2026-11-10 00:00 "
        "UTC to fill it."
    )
    old = _quality.coverage_text(syncs, M0, M1, now=M1 + 60 * DAY)
    assert "can no longer be synced" in old[1]


def test_every_project_must_cover_the_month():
    syncs = pd.concat(
        [
            _syncs((M0, M1)).assign(project_id="p1"),
            _syncs((M0, M0 + 3 * DAY)).assign(project_id="p2"),
        ]
    )
    assert _quality.covered_share(syncs, M0, M1) == pytest.approx(3 / 31)  # the least covered
    (problem,) = _quality.coverage_problems(syncs, M0, M1, "2026-10")
    assert problem.startswith("the archive (project p2) covers 3 of 31 days of 2026-10")
    assert _quality.covered_share(None, M0, M1) is None
    assert _quality.coverage_problems(_syncs(), M0, M1, "2026-10") == [
        "no sync of the archive covers any of 2026-10"
    ]


def test_without_now_the_gap_fate_reads_the_injected_clock():
    syncs = _syncs((M0, M0 + 10 * DAY))
    with use_clock(datetime(2026, 11, 2, tzinfo=UTC)):
        soon = _quality.coverage_text(syncs, M0, M1)
    with use_clock(datetime(2027, 3, 1, tzinfo=UTC)):
        late = _quality.coverage_text(syncs, M0, M1)
    assert "sync before" in soon[-1] and "can no longer be synced" in late[-1]


def test_the_model_is_generated_at_the_injected_clock():
    with use_clock(datetime(2026, 11, 3, 8, 30, tzinfo=UTC)):
        model = build_model(rja.empty_jobs_frame(), "2026-10", tz="Europe/Berlin")
    assert model.generated == "2026-11-03 09:30 Europe/Berlin"


def test_end_time_text_in_the_one_duration_rule():
    cur = pd.DataFrame(
        {"job_id": ["a", "b"], "source": ["task", "job"], "duration_s": [60.0, 30.0]}
    )
    diff = pd.DataFrame({"job_id": ["b"], "difference_s": [5400.0]})
    text, warnings = _quality.end_time_text(cur, diff)
    assert "a median of 1.5 h and 1.5 h at the 90th percentile" in text
    assert warnings and "(tolerance 1 min," in warnings[0]
    calm, none = _quality.end_time_text(cur, diff.assign(difference_s=30.0))
    assert "30 s" in calm and none == ()

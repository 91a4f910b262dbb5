"""write_frame's CSV: every time column in one format."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime

import pandas as pd

from rds_job_analytics import load_sample, write_frame
from rds_job_analytics.export._files import CSV_TIME_FORMAT
from tests.conftest import ROOT

ONE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+00:00")


def test_every_time_column_of_a_csv_has_one_format_with_milliseconds(tmp_path):
    """`created` has whole seconds only, `ended` some milliseconds: pandas alone writes the
    first without and the second with `.000`; a CSV reader must meet one format."""
    df = load_sample().head(50)
    df.loc[1, "ended"] = df.loc[1, "ended"] + pd.Timedelta(milliseconds=250)
    df.loc[2, "ended"] = pd.NaT
    df["checked"] = df["created"].dt.tz_convert("Asia/Shanghai")  # another zone: UTC out
    with open(write_frame(df, tmp_path / "jobs.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for col in ("created", "ended", "checked"):
        cells = [r[col] for r in rows if r[col]]
        assert cells and all(ONE_FORMAT.fullmatch(c) for c in cells), (col, cells[:3])
    assert rows[1]["ended"].endswith(".250+00:00") and rows[2]["ended"] == ""
    assert rows[0]["checked"] == rows[0]["created"]  # the same instant, written in UTC
    back = pd.read_csv(tmp_path / "jobs.csv", parse_dates=["created", "ended"])
    assert (back["created"] == df["created"]).all()  # read back to the same instants


def test_a_written_time_cell_reads_back_with_the_format_the_readme_names(tmp_path):
    """The README: cells are `2026-10-01 08:00:05.000+00:00`, read back with
    `rja.export.CSV_TIME_FORMAT` (strptime and pandas' format=); a naive column is UTC."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = "2026-10-01 08:00:05.000+00:00"
    assert f"`{example}`" in readme and "format=rja.export.CSV_TIME_FORMAT" in readme
    assert datetime.strptime(example, CSV_TIME_FORMAT) == datetime(2026, 10, 1, 8, 0, 5, tzinfo=UTC)
    df = load_sample().head(20)[["job_id", "created", "ended"]]
    df.loc[1, "ended"] = df.loc[1, "ended"] + pd.Timedelta(milliseconds=250)
    df["naive"] = df["created"].dt.tz_localize(None)
    back = pd.read_csv(write_frame(df, tmp_path / "jobs.csv"), dtype=str, keep_default_na=False)
    for col in ("created", "ended", "naive"):
        parsed = pd.to_datetime(back[col], format=CSV_TIME_FORMAT)
        assert (parsed == df["created" if col == "naive" else col].dt.floor("ms")).all(), col
        cell = back[col].iloc[1]
        assert datetime.strptime(cell, CSV_TIME_FORMAT) == parsed.iloc[1].to_pydatetime()
    assert back["ended"].iloc[1].endswith(".250+00:00")

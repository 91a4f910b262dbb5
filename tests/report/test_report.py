"""Monthly report: parsed with a real HTML parser, figures checked against the stats."""

from __future__ import annotations

import copy
import html
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pandas as pd
import pytest

import rds_job_analytics as rja
from rds_job_analytics import duration_summary, failure_rates, monthly_report, normalize_jobs
from rds_job_analytics._format import REPORT_TOP_ROWS
from rds_job_analytics.plots import format_seconds
from rds_job_analytics.report import SECTIONS, month_bounds
from rds_job_analytics.report._model import build_model

PAYLOAD = "<script>alert('x')</script>"


class Parsed(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.scripts = 0
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "script":
            self.scripts += 1

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table_with(self, column: str, first: str | None = None) -> dict[str, list[str]]:
        """The longest table with ``column`` (and ``first`` as its first header)."""
        found = [t for t in self.tables if t and column in t[0] and first in (None, t[0][0])]
        if not found:
            raise AssertionError(f"no table with column {column!r}")
        t = max(found, key=len)
        return {r[0]: r[1:] for r in t[1:] if r and r[0] and any(r[1:])}

    def ids(self):
        return {a.get("id") for _, a in self.tags if a.get("id")}

    def urls(self):
        return [a[k] for _, a in self.tags for k in ("src", "href") if a.get(k)]


@pytest.mark.slow
def test_every_section_present_and_self_contained(october):
    p = Parsed(october.html)
    assert {sid for sid, _ in SECTIONS} <= p.ids()
    for url in p.urls():
        assert url.startswith(("data:image/png;base64,", "data:image/svg+xml;base64,", "#")), url
    assert not re.search(r"https?://", october.html)
    assert p.scripts == 0
    assert sum(1 for t, a in p.tags if t == "img") == 5
    assert "<title>RDS reliability report - October 2026</title>" in october.html


@pytest.mark.slow
def test_headline_figures_match_stats(sample, october):
    start, end = month_bounds("2026-10")
    cur = rja.filter_window(sample, start, end)
    fr = failure_rates(cur, by=None).iloc[0]
    ds = duration_summary(cur, by=None).iloc[0]
    text = " ".join(Parsed(october.html).text)
    assert f"{len(cur):,}" in text
    assert f"{fr['failure_rate']:.1%}" in text
    assert f"95% CI {fr['ci_low']:.1%}-{fr['ci_high']:.1%}" in text
    assert format_seconds(ds["median_s"]) in text and format_seconds(ds["p90_s"]) in text
    prev = rja.filter_window(sample, *month_bounds("2026-09"))
    delta = f"{len(cur) - len(prev):+,} vs previous month"
    assert delta not in text  # no sync records: the month is not known whole, no "change"
    covered = pd.DataFrame({"project_id": ["p"], "window_start": [pd.Timestamp("2026-08-01", tz="UTC")],
                            "window_end": [pd.Timestamp("2026-11-15", tz="UTC")]})  # fmt: skip
    whole = rja.monthly_report(sample, "2026-10", coverage=covered)
    assert whole.problems == () and delta in " ".join(Parsed(whole.html).text)


@pytest.mark.slow
def test_per_type_tables_match_stats(sample, october):
    cur = rja.filter_window(sample, *month_bounds("2026-10"))
    fr = failure_rates(cur)
    p = Parsed(october.html)
    by_type = p.table_with(
        "Failure rate", "Job type"
    )  # Jobs, Finished, Failures, Failure rate, ...
    assert set(by_type) == set(fr.index)
    for name in fr.index:
        row = by_type[name]
        assert int(row[0].replace(",", "")) == fr.loc[name, "jobs"]
        assert int(row[2]) == fr.loc[name, "failed"]
        if pd.notna(fr.loc[name, "failure_rate"]):
            assert row[3] == f"{fr.loc[name, 'failure_rate']:.1%}"
    ds = duration_summary(cur)
    header = next(t[0] for t in p.tables if t and t[0][1] == "Finished jobs")
    assert header[2].startswith("Median (") and header[3].startswith("p90 (")
    unit = {"s": 1, "min": 60, "h": 3600, "d": 86400}[header[2][len("Median (") : -1]]
    dur = p.table_with("Finished jobs")
    for name in ds.index[ds["count"] > 0]:
        assert int(dur[name][0]) == ds.loc[name, "count"]
        assert float(dur[name][1].replace(",", "")) == pytest.approx(
            ds.loc[name, "median_s"] / unit, rel=0.01, abs=0.01
        )


def test_tables_have_human_headers_and_right_aligned_numbers(october):
    p = Parsed(october.html)
    headers = [c for t in p.tables for c in t[0]]
    for raw in ("failure_rate", "ci_low", "median_s", "job_name", "jobs"):
        assert raw not in headers
    assert {"Failure rate", "Job type", "Jobs", "95% interval"} <= set(headers)
    # no empty index-name row: every header row is the first row and has no blank cell
    assert all(all(t[0]) for t in p.tables)
    cells = [(t, a) for t, a in p.tags if t in ("td", "th")]
    assert any(a.get("class") == "n" for _, a in cells)
    # every number cell is right-aligned: a cell whose text is a number has class n
    numbers = re.findall(r'<td( class="n")?>([\d,.]+%?)</td>', october.html)
    assert numbers and all(cls for cls, _ in numbers)


@pytest.mark.slow
def test_durations_one_unit_per_column(sample):
    p = Parsed(monthly_report(sample, "2026-10").html)
    for t in p.tables:
        for i, head in enumerate(t[0]):
            if re.fullmatch(r"(Median|p90|p99|Longest|Duration) \((s|min|h|d)\)", head):
                assert all(re.fullmatch(r"[\d,.]*", r[i]) for r in t[1:]), (head, t[1:3])


@pytest.mark.slow
def test_untrusted_text_is_inert(sample):
    raw = rja.load_sample(raw=True)
    evil = []
    for i, rec in enumerate(raw[:300]):
        rec = copy.deepcopy(rec)
        job = rec["job"]
        job["created"] = f"2026-10-{1 + i % 28:02d}T10:00:00+0000"
        job["ended"] = f"2026-10-{1 + i % 28:02d}T10:05:00+0000"
        if i % 3 == 0:
            job["name"] = PAYLOAD
            job["status"] = "Failed"
            job["fail_reason"] = PAYLOAD + '"><img src=x onerror=alert(1)>'
            job["instance"] = {"id": "i", "name": PAYLOAD}
        evil.append(rec)
    html = monthly_report(normalize_jobs(evil), "2026-10").html
    p = Parsed(html)
    assert p.scripts == 0
    assert not [a for t, a in p.tags if t == "img" and a.get("src") == "x"]
    assert not any(k.startswith("on") for _, a in p.tags for k in a)
    assert "&lt;script&gt;" in html and PAYLOAD in "".join(p.text)


def test_month_with_no_jobs_still_renders(sample):
    rep = monthly_report(sample, "2025-01")
    p = Parsed(rep.html)
    assert {sid for sid, _ in SECTIONS} <= p.ids()
    assert "No jobs this month." in rep.html
    empty = monthly_report(rja.empty_jobs_frame(), "2026-10")
    assert "No failed jobs this month." in empty.html


@pytest.mark.slow
def test_running_at_month_end_and_quality(sample):
    rep = monthly_report(sample, "2026-10")
    start, end = month_bounds("2026-10")
    cur = rja.filter_window(sample, start, end)
    running = cur[cur["status"] == "Running"]
    assert len(running) > 0  # else the loop below checks nothing
    for jid in running["job_id"]:
        assert jid in rep.html
    assert "sync coverage: not known" in rep.html
    cov = pd.DataFrame({"window_start": [start], "window_end": [start + pd.Timedelta(days=10)]})
    rep2 = monthly_report(sample, "2026-10", coverage=cov)
    assert "1 gap(s)" in rep2.html and "2026-10-11 00:00" in rep2.html


def test_timezone_and_bad_month():
    s, e = month_bounds("2026-10", tz="Asia/Shanghai")
    assert s == pd.Timestamp("2026-09-30 16:00", tz="UTC")
    assert e == pd.Timestamp("2026-10-31 16:00", tz="UTC")
    with pytest.raises(rja.ConfigError, match="YYYY-MM"):
        month_bounds("October")


def test_save_and_repr(october, tmp_path):
    path = october.save(tmp_path / "r.html")
    assert path.read_text(encoding="utf-8") == october.html
    inline = october._repr_html_()
    assert inline.startswith("<iframe") and "srcdoc=" in inline
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', inline).group(1)) == october.html
    assert "<style" not in inline  # the page's styles live only inside the iframe
    assert "2026-10" in repr(october)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.slow
def test_report_renders_in_headless_chromium(october, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")
    page = october.save(tmp_path / "r.html")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2000",
         f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    from PIL import Image

    img = Image.open(shot).convert("L")
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # not a blank page
    dump = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile2'}",
         "--dump-dom", page.as_uri()],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    assert "RDS reliability report - October 2026" in dump


@pytest.mark.slow
@pytest.mark.parametrize("failing", [REPORT_TOP_ROWS + 1, REPORT_TOP_ROWS + 2])
def test_the_note_under_the_top_failures_counts_in_words_that_agree(sample, failing):
    """'1 more failing job type', '2 more failing job types': never '1 more ... types'."""
    start, end = month_bounds("2026-10")
    df = rja.filter_window(sample, start, end).copy()
    failed = df["status"] == "Failed"
    names = df["job_name"].astype(object)
    names[~failed] = "CreateInstance"
    names[failed] = [f"Kind{i % failing}" for i in range(int(failed.sum()))]
    df["job_name"] = pd.Categorical(names)
    words = " ".join(str(t.note) for t in build_model(df, "2026-10").tables.values())
    more = failing - REPORT_TOP_ROWS
    expected = f"{more} more failing job type{'s' if more > 1 else ''} in the full table"
    assert expected + " below." in words

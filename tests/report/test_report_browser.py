"""The report in headless Chromium: inline display changes nothing around it, the page
fits a 400 px phone without sideways scrolling, and 160 job types keep it short."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import rds_job_analytics as rja
from rds_job_analytics import monthly_report
from rds_job_analytics.synth import generate_jobs

pytestmark = pytest.mark.slow

#: Appended to a page: once loaded, its geometry is written into the DOM for --dump-dom.
PROBE = """<script>
window.addEventListener("load", () => {
  const de = document.documentElement;
  const cells = [...document.querySelectorAll("#frame td, #frame th")].map(e => {
    const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; });
  const f = document.getElementById("phone");
  const inner = f ? f.contentDocument.documentElement : null;
  const out = {scrollWidth: de.scrollWidth, clientWidth: de.clientWidth,
               scrollHeight: de.scrollHeight, cells: cells,
               phone: inner ? [inner.scrollWidth, inner.clientWidth] : null,
               bodyMargin: getComputedStyle(document.body).margin};
  const pre = document.createElement("pre"); pre.id = "probe";
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")


def _probe(html: str, tmp_path, name: str, width: int = 1280) -> dict:
    page = tmp_path / f"{name}.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dump = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--hide-scrollbars", "--virtual-time-budget=5000",
         f"--user-data-dir={tmp_path / ('profile-' + name)}", f"--window-size={width},2000",
         "--dump-dom", page.as_uri()],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    found = re.search(r'<pre id="probe">(.*?)</pre>', dump, re.S)
    assert found, dump[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def _notebook(*outputs: str) -> str:
    """A page shaped like a notebook export: outputs one after another."""
    body = "".join(f'<div class="output">{o}</div>' for o in outputs)
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"


def test_inline_report_leaves_a_dataframe_above_it_alone(october, tmp_path):
    frame = pd.DataFrame(
        {"job type with a long name": ["CreateMysqlReplicaInstance", "RESIZE_FLAVOR"],
         "failure rate": [0.025678, 0.5], "jobs": [12345, 7]}
    ).to_html()  # fmt: skip
    frame = frame.replace('<table border="1" class="dataframe">', '<table id="frame">')
    alone = _probe(_notebook(frame), tmp_path, "alone")
    together = _probe(_notebook(frame, october._repr_html_()), tmp_path, "together")
    assert alone["cells"] and together["cells"] == alone["cells"]
    assert together["bodyMargin"] == alone["bodyMargin"]
    # the check can fail: the page's own HTML pasted inline (what _repr_html_ used to
    # return) moves the frame
    leaky = _probe(_notebook(frame, october.html), tmp_path, "leaky")
    assert leaky["cells"] != alone["cells"]


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_400px_layout_has_no_sideways_scroll(tz, tmp_path):
    sample = rja.load_sample()
    two = sample.assign(region=pd.Categorical(np.where(np.arange(len(sample)) % 2, "a", "b")))
    rep = monthly_report(two, "2026-10", tz=tz, target=0.02)
    # headless Chromium's window is at least 500 px wide: a 400 px iframe is the phone
    phone = (f'<iframe id="phone" style="width:400px;height:3000px;border:0" '
             f'srcdoc="{html.escape(rep.html, quote=True)}"></iframe>')  # fmt: skip
    scroll, client = _probe(_notebook(phone), tmp_path, "phone")["phone"]
    assert client == 400
    assert scroll <= client, scroll


def test_160_job_types_keep_the_page_short(tmp_path):
    raw = generate_jobs(
        8000,
        start=pd.Timestamp("2026-09-01", tz="UTC").to_pydatetime(),
        end=pd.Timestamp("2026-11-01", tz="UTC").to_pydatetime(),
        seed=12,
    )
    df = rja.normalize_jobs(raw)
    rng = np.random.default_rng(1)
    df["job_name"] = pd.Categorical(
        [f"JobTypeNumber{k:03d}" for k in rng.integers(0, 160, len(df))]
    )
    rep = monthly_report(df, "2026-10")
    geo = _probe(rep.html, tmp_path, "many")
    assert geo["scrollHeight"] < 9000, geo["scrollHeight"]  # was 13,000 px
    assert geo["scrollWidth"] <= geo["clientWidth"]


def test_printed_page_one_carries_the_headline(october, tmp_path):
    """Printed (Chromium's print to PDF), page 1 holds the title, the summary and the
    headline cards: no blank first page."""
    if shutil.which("pdftotext") is None:
        pytest.skip("no pdftotext (poppler-utils; .ci/run installs it)")
    page = tmp_path / "report.html"
    page.write_text(october.html, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--no-pdf-header-footer",
         f"--user-data-dir={tmp_path / 'profile-print'}", f"--print-to-pdf={pdf}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                           check=True, capture_output=True, text=True).stdout  # fmt: skip
    words = first.split()
    assert "RDS reliability report" in " ".join(words[:10]), first[:300]
    assert "Headline" in first and "failure rate" in first
    assert len(words) > 60, first  # a page of content, not a title alone

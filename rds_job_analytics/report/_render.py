"""Render a report model as one self-contained HTML file, and the public entry point.

The jinja2 template ships in the package (``templates/report.html.j2``, autoescape on);
charts are embedded as SVG (text as paths, so they look the same in every viewer) or, for
charts with thousands of points, as PNG at twice the display resolution; tables are
written here with every cell escaped, human headers and right-aligned numbers. Nothing is
loaded from the network and untrusted text from the API stays inert.

Examples
--------
>>> [section_id for section_id, _ in SECTIONS][:3]
['headline', 'trend', 'failures']
"""

from __future__ import annotations

import base64
import html as _html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import matplotlib
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from .._format import PNG_DPI
from .._validate import expand_path
from ..store.coverage import Coverage
from ._model import ReportModel, Table, build_model

__all__ = ["SECTIONS", "Report", "monthly_report", "render_html"]

#: The report's sections in order: (HTML id, navigation label). A frame spanning several
#: regions or accounts adds ``("regions", "Regions")`` after the failure rates.
SECTIONS = [
    ("headline", "Headline"),
    ("trend", "Trend"),
    ("failures", "Failure rates"),
    ("durations", "Durations"),
    ("resizes", "Storage scale-ups"),
    ("reasons", "Failure reasons"),
    ("running", "Running"),
    ("timeline", "Activity"),
    ("quality", "Data quality"),
]

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

#: A chart with more points than this is embedded as 2x PNG (an SVG would grow too big).
MAX_SVG_POINTS = 3000
_RC = {"svg.fonttype": "path", "svg.hashsalt": "rds_job_analytics", "font.size": 10.5}


def _points(fig: Figure) -> int:
    """How many data points a figure draws (markers, line vertices, segments)."""
    n = 0
    for ax in fig.axes:
        for c in ax.collections:
            segs = getattr(c, "get_segments", None)
            n += len(segs()) if segs is not None else len(c.get_offsets())
        n += sum(len(line.get_xdata()) for line in ax.lines)
    return n


def _chart(fig: Figure) -> dict[str, Any]:
    """A figure as an ``<img>``'s ``src`` (a ``data:`` URI), ``width`` and ``height`` in
    CSS pixels: SVG when it is light, else PNG at :data:`PNG_DPI` shown at half size.
    White background either way, readable in dark viewers."""
    buf = io.BytesIO()
    with matplotlib.rc_context(_RC):
        if _points(fig) <= MAX_SVG_POINTS:
            fig.savefig(buf, format="svg", facecolor="white", bbox_inches="tight",
                        metadata={"Date": None})  # fmt: skip
            data = buf.getvalue()
            size = re.search(rb'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', data)
            w, h = (float(v) * 96 / 72 for v in size.groups()) if size else (None, None)
            mime = "image/svg+xml"
        else:
            fig.savefig(buf, format="png", dpi=PNG_DPI, facecolor="white", bbox_inches="tight")
            data = buf.getvalue()
            w, h = (int.from_bytes(data[i : i + 4], "big") / 2 for i in (16, 20))
            mime = "image/png"
    return {
        "src": f"data:{mime};base64," + base64.b64encode(data).decode(),
        "width": None if w is None else round(w),
        "height": None if h is None else round(h),
    }


def _is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def _cell(v: Any) -> str:
    """Default cell text: integers with thousands separators, floats to 3 figures."""
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    if isinstance(v, (float, np.floating)):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
    return str(v)


#: Columns of long unbroken tokens (job IDs), allowed to wrap anywhere.
_ID_COLUMNS = frozenset({"job_id", "example_ids"})


def _table(table: Table) -> Markup:
    """A table as escaped HTML: human headers, numbers right-aligned (class ``n``), no
    index row; its ``empty`` sentence when it has no rows, its ``note`` under it."""
    if table.frame.empty:
        return Markup('<p class="empty">') + table.empty + Markup("</p>")
    frame = table.frame
    numeric = [c in table.numeric or pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    cls = [Markup(' class="n"') if n else Markup(' class="id"') if col in _ID_COLUMNS else
           Markup("") for n, col in zip(numeric, frame.columns, strict=True)]  # fmt: skip
    out = [Markup('<div class="tbl"><table><thead><tr>')]
    out += [Markup("<th%s>%s</th>") % (c, table.headers.get(col, col))
            for c, col in zip(cls, frame.columns, strict=True)]  # fmt: skip
    out.append(Markup("</tr></thead><tbody>"))
    fmts = [table.formats.get(col, _cell) for col in frame.columns]
    for row in frame.itertuples(index=False):
        out.append(Markup("<tr>"))
        for v, fmt, c in zip(row, fmts, cls, strict=True):
            out.append(Markup("<td%s>%s</td>") % (c, "" if _is_missing(v) else fmt(v)))
        out.append(Markup("</tr>"))
    out.append(Markup("</tbody></table></div>"))
    if table.note:
        out.append(Markup('<p class="note">%s</p>') % table.note)
    return Markup("").join(out)


def render_html(model: ReportModel) -> str:
    """The report's HTML document.

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> from rds_job_analytics.report._model import build_model
    >>> "<title>RDS reliability report - October 2026</title>" in render_html(
    ...     build_model(rja.empty_jobs_frame(), "2026-10"))
    True
    """
    sections = list(SECTIONS)
    if model.breakdowns:
        sections.insert(3, ("regions", "Regions" if any(
            h == "By region" for h, _ in model.breakdowns) else "Accounts"))  # fmt: skip
    return _ENV.get_template("report.html.j2").render(
        version=_version(),
        r={
            "title": model.title,
            "tz": model.tz,
            "period_label": model.period_label,
            "generated": model.generated,
            "sections": sections,
            "cards": model.cards,
            "problems": model.problems,
            "summary": model.summary,
            "charts": {
                k: (None if fig is None else _chart(fig)) for k, fig in model.charts.items()
            },
            "resize_text": model.resize_text,
            "quality": model.quality,
            "quality_warnings": model.quality_warnings,
            "tables": {name: _table(t) for name, t in model.tables.items()},
            "n_types": len(model.tables["failures_by_type"].frame),
            "breakdowns": [(h, _table(t)) for h, t in model.breakdowns],
            "target": model.target,
        },
    )


@dataclass
class Report:
    """A rendered monthly report: ``html``, ``save(path)``, notebook display, and whether
    it can be trusted as complete.

    Attributes
    ----------
    month : str
        ``"YYYY-MM"``.
    title : str
        The page title.
    html : str
        The self-contained HTML document.
    figures : dict
        The matplotlib figures it embeds, by section id.
    problems : tuple of str
        Machine-readable verdict: empty when the report is trustworthy, else one line per
        reason it is not (the archive covers only part of the month, coverage is not known,
        the month has no jobs). The page's headline says the same in words; ``rds-jobs
        report`` exits 1 printing them.

    Displayed in Jupyter, the report sits in an ``<iframe srcdoc>``: its styles cannot
    reach the notebook (or an nbconvert export) and the notebook's cannot reach it.

    Examples
    --------
    >>> import tempfile
    >>> import rds_job_analytics as rja
    >>> rep = rja.monthly_report(rja.empty_jobs_frame(), "2026-10")
    >>> rep.problems[0]
    'no jobs in 2026-10'
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     rep.save(Path(folder) / "reliability-2026-10.html").read_text() == rep.html
    True
    """

    month: str
    title: str
    html: str
    figures: dict[str, Any] = field(default_factory=dict, repr=False)
    problems: tuple[str, ...] = ()

    def save(self, path: str | Path) -> Path:
        """Write the HTML file (UTF-8, missing folders created; ``~`` and environment
        variables expanded) and return its path."""
        path = expand_path(Path(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        """The page in an ``<iframe srcdoc>`` (styles isolated both ways, no scripts run
        inside it), grown to its content's height once loaded."""
        fit = "try{this.style.height=(this.contentDocument.documentElement.scrollHeight+4)+'px'}catch(e){}"
        return (
            f'<iframe class="rds-report" title="{_html.escape(self.title)}" '
            f'srcdoc="{_html.escape(self.html, quote=True)}" '
            'sandbox="allow-same-origin allow-popups" loading="lazy" '
            'style="width:100%;height:900px;border:1px solid #d9dee3;border-radius:6px" '
            f'onload="{fit}"></iframe>'
        )

    def __repr__(self) -> str:
        state = "complete" if not self.problems else f"{len(self.problems)} problem(s)"
        return (
            f"Report(month={self.month!r}, title={self.title!r}, {len(self.html):,} bytes, {state})"
        )


def monthly_report(
    df: pd.DataFrame,
    month: Any,
    *,
    tz: str = "UTC",
    title: str | None = None,
    coverage: pd.DataFrame | Coverage | None = None,
    target: float | None = None,
    end_times: pd.DataFrame | None = None,
) -> Report:
    """Build the monthly reliability report for ``month`` (``"YYYY-MM"``).

    The page opens with problems that make it untrustworthy (in words), a generated
    summary paragraph and headline cards; then the 6-month trend with regressions, worst
    offenders (ranked by failures and by the lower bound of the Wilson interval, never by
    raw rate), top failing instances, per-region / per-account tables when the month spans
    several, durations, scale-ups, failure reasons, jobs still running with their age,
    daily activity and data quality. Every time and daily bin is in ``tz``.

    Parameters
    ----------
    df : pandas.DataFrame
        A normalized job frame (any span; the month and the 5 before it are used: load
        :func:`~rds_job_analytics.report._model.data_window` for the full trend).
    month : str
        Calendar month, in time zone ``tz``.
    tz : str
        Time zone that delimits the month, its days and every time shown (IANA name).
    title : str, optional
        Default ``"RDS reliability report - <Month YYYY>"``.
    coverage : pandas.DataFrame or Coverage, optional
        ``JobArchive.syncs()`` (every project in it must cover the month) or
        ``JobArchive.coverage(project_id)``. The report says the month is covered only
        where the merged sync windows cover it and lists every gap, with whether the API
        (30 days of history) can still fill it. Without it, coverage is not known, and
        that is one of :attr:`Report.problems`.
    target : float, optional
        A failure-rate target (``0.02`` = 2%): drawn on the charts, with the share of the
        month's failure budget spent among the headline cards.
    end_times : pandas.DataFrame, optional
        :meth:`JobArchive.end_time_differences() <rds_job_analytics.JobArchive.end_time_differences>`:
        the data-quality section then states how the task list's end times (on which
        task-only durations rest) compare with per-job ones, the median and 90th
        percentile of the difference and how many jobs it rests on, and warns when the 90th
        percentile exceeds
        :data:`~rds_job_analytics.report._quality.END_TIME_TOLERANCE_S` (60 s).

    Returns
    -------
    Report
        The HTML, the figures it embeds (by section id) and ``problems``: empty when the
        report is trustworthy, else one line per reason (partial or unknown coverage, no
        jobs in the month).

    Raises
    ------
    ConfigError
        A month not written ``YYYY-MM``, an unknown time zone or a target outside [0, 1].

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> rep = monthly_report(rja.load_sample(), "2026-10", target=0.02)
    >>> rep.title
    'RDS reliability report - October 2026'
    >>> rep.problems
    ("the archive's coverage of 2026-10 is not known (no sync records were given)",)
    """
    model = build_model(
        df, month, tz=tz, title=title, coverage=coverage, target=target, end_times=end_times
    )
    figures = {k: fig for k, fig in model.charts.items() if fig is not None}
    return Report(
        month=model.month,
        title=model.title,
        html=render_html(model),
        figures=figures,
        problems=tuple(model.problems),
    )


def _version() -> str:
    from .._version import __version__

    return __version__

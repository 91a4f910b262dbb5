"""Render a report model as one self-contained HTML file, and the public entry point.

The jinja2 template ships in the package (``templates/report.html.j2``, autoescape on);
charts are embedded as base64 PNG and tables are written by pandas with escaping, so
nothing is loaded from the network and untrusted text from the API stays inert.

Examples
--------
>>> [section_id for section_id, _ in SECTIONS][:3]
['headline', 'failures', 'durations']
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from ..archive import Coverage
from ._model import ReportModel, Table, build_model

__all__ = ["SECTIONS", "Report", "monthly_report", "render_html"]

#: The report's sections in order: (HTML id, navigation label).
SECTIONS = [
    ("headline", "Headline"),
    ("failures", "Failure rates"),
    ("durations", "Durations"),
    ("resizes", "Storage scale-ups"),
    ("reasons", "Failure reasons"),
    ("running", "Running"),
    ("timeline", "Activity"),
    ("quality", "Data quality"),
]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rds_job_analytics", "report/templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _png(fig: Figure) -> str:
    """A figure as a ``data:`` URI of a PNG (white background, readable in dark viewers)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, facecolor="white", bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _table(table: Table) -> Markup:
    """A table as escaped HTML (its ``empty`` sentence when it has no rows)."""
    if table.frame.empty:
        return Markup('<p class="empty">') + table.empty + Markup("</p>")
    out = table.frame.copy()
    for col, fmt in table.formats.items():
        if col in out:
            out[col] = ["" if _is_missing(v) else fmt(v) for v in out[col]]
    return Markup(out.to_html(escape=True, border=0, na_rep="", index=True))


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
    return _ENV.get_template("report.html.j2").render(
        version=_version(),
        r={
            "title": model.title,
            "tz": model.tz,
            "period_label": model.period_label,
            "generated": model.generated,
            "sections": SECTIONS,
            "cards": model.cards,
            "charts": {k: (None if fig is None else _png(fig)) for k, fig in model.charts.items()},
            "resize_text": model.resize_text,
            "quality": model.quality,
            "tables": {name: _table(t) for name, t in model.tables.items()},
        },
    )


@dataclass
class Report:
    """A rendered monthly report: ``html``, ``save(path)``, notebook display.

    Examples
    --------
    >>> import tempfile
    >>> import rds_job_analytics as rja
    >>> rep = rja.monthly_report(rja.empty_jobs_frame(), "2026-10")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     rep.save(Path(folder) / "reliability-2026-10.html").read_text() == rep.html
    True
    """

    month: str
    title: str
    html: str
    figures: dict[str, Any] = field(default_factory=dict, repr=False)

    def save(self, path: str | Path) -> Path:
        """Write the HTML file (UTF-8, missing folders created) and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Report(month={self.month!r}, title={self.title!r}, {len(self.html):,} bytes)"


def monthly_report(
    df: pd.DataFrame,
    month: Any,
    *,
    tz: str = "UTC",
    title: str | None = None,
    coverage: pd.DataFrame | Coverage | None = None,
) -> Report:
    """Build the monthly reliability report for ``month`` (``"YYYY-MM"``).

    Parameters
    ----------
    df : pandas.DataFrame
        A normalized job frame (any span; the month and the previous one are used).
    month : str
        Calendar month, in time zone ``tz``.
    tz : str
        Time zone that delimits the month (IANA name).
    title : str, optional
        Default ``"RDS reliability report - <Month YYYY>"``.
    coverage : pandas.DataFrame or Coverage, optional
        ``JobArchive.syncs()`` (every project in it must cover the month) or
        ``JobArchive.coverage(project_id)``. The data-quality section says the month is
        covered only where the merged sync windows cover it, and lists every gap, with
        whether the API (30 days of history) can still fill it. Without it, coverage is
        reported as not known.

    Returns
    -------
    Report
        The HTML and the figures it embeds (by section id).

    Examples
    --------
    >>> import rds_job_analytics as rja
    >>> rep = monthly_report(rja.load_sample(), "2026-10")
    >>> rep.title
    'RDS reliability report - October 2026'
    """
    model = build_model(df, month, tz=tz, title=title, coverage=coverage)
    figures = {k: fig for k, fig in model.charts.items() if fig is not None}
    return Report(month=model.month, title=model.title, html=render_html(model), figures=figures)


def _version() -> str:
    from .. import __version__

    return __version__

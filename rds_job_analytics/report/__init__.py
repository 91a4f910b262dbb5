"""Monthly reliability report as one self-contained HTML file.

A report model is built from the statistics (``_model``: headline cards, tables, charts,
data-quality and coverage sentences), then rendered (``_render``): charts drawn on
explicit ``Figure`` objects are embedded as base64 PNG, and a jinja2 template shipped in
the package (autoescape on) writes the page. Nothing is loaded from the network; job
names, instance names and failure reasons are escaped as untrusted text.

Examples
--------
>>> import rds_job_analytics as rja
>>> rep = rja.monthly_report(rja.load_sample(), "2026-10")
>>> rep.html.startswith("<!DOCTYPE html>")
True
"""

from ._model import data_window, month_bounds
from ._render import SECTIONS, Report, monthly_report

__all__ = ["SECTIONS", "Report", "data_window", "month_bounds", "monthly_report"]

"""Presentation rules, one home each: duration units and text, human column headers, group
labels, the PNG resolution, and the default ``top`` / ``min_jobs``.

stats, plots, widgets and the report all show numbers through these names, so the same
seconds read the same everywhere (a ``1.5 min`` tick, a ``1.5`` in a ``Median (min)``
column) and a header is spelled once.

Examples
--------
>>> duration_text(90), duration_text(7200), duration_text(45)
('1.5 min', '2 h', '45 s')
>>> import pandas as pd
>>> duration_unit(pd.Series([80.0, 90.0, 200.0]))
('min', 60.0)
>>> HEADERS["failed"], group_label(float("nan")), group_label(("MySQL", "eu-west-0"))
('Failures', '(unknown)', 'MySQL / eu-west-0')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = [
    "DURATION_UNITS",
    "GROUP_NAMES",
    "HEADERS",
    "MINUTE_S",
    "MIN_JOBS",
    "PNG_DPI",
    "PNG_SCALE",
    "REPORT_TOP",
    "REPORT_TOP_ROWS",
    "TOP",
    "UNKNOWN_LABEL",
    "by_names",
    "by_words",
    "duration_number",
    "duration_text",
    "duration_unit",
    "group_label",
    "group_name",
    "group_noun",
    "interval_text",
]

#: Units a duration is shown in: (name, seconds), largest first. A value (and a column, by
#: its median) is shown in the largest unit it reaches.
DURATION_UNITS: tuple[tuple[str, float], ...] = (
    ("d", 86400.0),
    ("h", 3600.0),
    ("min", 60.0),
    ("s", 1.0),
)
#: Seconds in a minute, for a column whose name fixes its unit (``summarize``'s ``median_min``).
MINUTE_S = dict(DURATION_UNITS)["min"]

#: Default number of groups shown one by one by the plots and the explorer (table rows and
#: chart bars); the rest are summed up in one ``others`` row or bar.
TOP = 15
#: Job types the monthly report draws one by one in its failure-rate chart. Larger than
#: :data:`TOP` on purpose: the report is a page read whole once a month, not a view that
#: is refined by filtering.
REPORT_TOP = 25
#: Rows of the monthly report's top-N tables (worst offenders, instances; the list of jobs
#: still running shows twice as many).
REPORT_TOP_ROWS = 10
#: A group needs this many finished jobs to get a bar of its own in a failure-rate chart
#: (plots, explorer, report) or to be ranked or flagged as a regression in the report.
MIN_JOBS = 5

#: PNG resolution of every chart rendered to PNG: twice the 96 px/inch of a CSS pixel,
#: shown at half size (:data:`PNG_SCALE`), sharp on high-DPI screens.
PNG_DPI = 192
#: How many PNG pixels one CSS pixel shows.
PNG_SCALE = 2

#: How a missing group key is shown. Rows with no value in a ``by`` column (a job with no
#: engine, a row synced before the origin columns existed) are never dropped: they form a
#: group of their own, keyed ``NaN`` in the results (so ``isna`` finds it and pieces of a
#: frame combine), and the explorer, the plots and the report label it with this text.
UNKNOWN_LABEL = "(unknown)"

#: Human names of the group columns (singular, lower case): column -> name.
GROUP_NAMES: dict[str, str] = {
    "job_name": "job type",
    "job_kind": "job kind",
    "engine": "engine",
    "instance_type": "instance type",
    "region": "region",
    "account": "account",
    "project_id": "project",
}

#: Human column headers, one home for every table (explorer and report).
HEADERS: dict[str, str] = {
    "job_name": "Job type",
    "jobs": "Jobs",
    "completed": "Completed",
    "finished": "Finished",
    "failed": "Failures",
    "running": "Running",
    "failure_rate": "Failure rate",
    "ci": "95% interval",
    "synced": "Synced",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "previous_rate": "Previous month",
    "history_rate": "Earlier months",
    "count": "Finished jobs",
    "median_s": "Median",
    "p90_s": "p90",
    "p99_s": "p99",
    "max_s": "Longest",
    "duration_s": "Duration",
    "engine": "Engine",
    "region": "Region",
    "account": "Account",
    "project_id": "Project",
    "month": "Month",
    "instance": "Instance",
    "instance_id": "Instance ID",
    "job_types": "Failing job types",
    "reason": "Failure reason",
    "example_ids": "Example job IDs",
    "status": "Status",
    "status_now": "Status now",
    "job_id": "Job ID",
    "progress_pct": "Progress (%)",
    "age_days": "Running for (days)",
}


def duration_number(value: float) -> str:
    """A duration already in its unit, as text: three significant digits but at most two
    decimals (a fraction of a unit in a column), thousands separated, never an exponent.

    Examples
    --------
    >>> duration_number(1.5), duration_number(12.34), duration_number(1234.5)
    ('1.5', '12.3', '1,234')
    >>> duration_number(0.3667), duration_number(2.0)
    ('0.37', '2')
    """
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{round(value, 2):.3g}"


def duration_text(seconds: float, _pos: Any = None) -> str:
    """Readable duration: ``45 s``, ``12 min``, ``3.5 h``, ``2 d``.

    Also a matplotlib tick formatter (``FuncFormatter(duration_text)``).

    Parameters
    ----------
    seconds : float
        A duration in seconds; None, NaN or infinite gives ``""``.
    _pos : optional
        The tick position matplotlib passes; ignored.

    Returns
    -------
    str
        :func:`duration_number` in the largest unit of :data:`DURATION_UNITS` that
        ``seconds`` reaches.

    Examples
    --------
    >>> duration_text(90), duration_text(7200)
    ('1.5 min', '2 h')
    """
    if seconds is None or not math.isfinite(seconds):
        return ""
    unit, size = _unit_of(seconds)
    return f"{duration_number(seconds / size)} {unit}"


def _unit_of(seconds: float) -> tuple[str, float]:
    return next(((u, s) for u, s in DURATION_UNITS if seconds >= s), DURATION_UNITS[-1])


def duration_unit(seconds: pd.Series) -> tuple[str, float]:
    """The one unit a duration column is shown in: the unit :func:`duration_text` gives its
    median (seconds when it has no value).

    Examples
    --------
    >>> duration_unit(pd.Series([30.0, 4000.0, 5000.0]))
    ('h', 3600.0)
    """
    values = pd.Series(seconds, dtype="float64")
    return _unit_of(float(values.median()) if values.notna().any() else 0.0)


def interval_text(low: float, high: float) -> str:
    """A rate's interval as text (empty when it has none).

    Examples
    --------
    >>> interval_text(0.0215, 0.1118)
    '2.1% – 11.2%'
    """
    return "" if pd.isna(low) else f"{low:.1%} – {high:.1%}"


def by_names(by: str | Sequence[str] | None) -> list[str]:
    """The column names of a ``by=`` argument: one name or a list of names.

    Examples
    --------
    >>> by_names("engine"), by_names(["engine", "region"]), by_names(None)
    (['engine'], ['engine', 'region'], [])
    """
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def group_name(by: str | Sequence[str]) -> str:
    """Human name of a grouping (singular): ``"job type"``, ``"engine / region"``.

    Examples
    --------
    >>> group_name("job_name"), group_name(["engine", "month"])
    ('job type', 'engine / month')
    """
    return " / ".join(GROUP_NAMES.get(n, n.replace("_", " ")) for n in by_names(by))


def by_words(by: str | Sequence[str]) -> str:
    """A ``by=`` argument as words, the column names as they are (axis labels, titles).

    Examples
    --------
    >>> by_words("job_name"), by_words(["engine", "region"])
    ('job name', 'engine / region')
    """
    return " / ".join(n.replace("_", " ") for n in by_names(by))


def group_noun(by: str | Sequence[str], n: int = 2) -> str:
    """The groups of ``by`` counted ``n`` times: ``"1 job type"``'s noun, ``"job types"``.

    Examples
    --------
    >>> group_noun("job_name"), group_noun("engine", 1), group_noun("project_id")
    ('job types', 'engine', 'projects')
    """
    name = group_name(by)
    return name if n == 1 or name.endswith("s") else name + "s"


def group_label(key: Any, text: Any = str) -> str:
    """A group key as a label: :data:`UNKNOWN_LABEL` for a missing one, the parts of a
    several-column key joined by ``" / "``; ``text`` turns a value into text (the plots
    pass their matplotlib-literal escape).

    Examples
    --------
    >>> group_label(None), group_label(("a", float("nan")))
    ('(unknown)', 'a / (unknown)')
    """
    if isinstance(key, tuple):
        return " / ".join(group_label(k, text) for k in key)
    return UNKNOWN_LABEL if pd.isna(key) else text(key)

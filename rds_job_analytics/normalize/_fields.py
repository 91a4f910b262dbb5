"""The field table: every column of the normalized frame, where it comes from, how it is cleaned.

One entry per column drives :data:`~rds_job_analytics.JOB_SCHEMA`, the per-record
parser (``normalize.parse_job``), the columnar fast path (``_columnar``: the reader's
explicit schema and the column cleaning) and the README's schema table (a test
compares them). Adding an API field is one :class:`Field` here plus its test.

Kinds (how a value is read and cleaned, identically on both paths):

``id``        whitespace removed everywhere (:func:`~rds_job_analytics.normalize.schema.strip_job_id`); required
``text``      ``str.strip()``, empty -> missing
``compact``   every whitespace character removed, empty -> missing (IPs, endpoints)
``category``  ``clean(value)`` once per distinct value
``number``    ``clean(value)`` -> float (NaN when missing, ambiguous or unparseable)
``time``      ISO-8601 text -> UTC (the raw text is kept until the column is parsed)
``list``      a list of text (a lone string is a one-item list), each item stripped
``derived``   computed from other columns (no path)
``source``    ``job`` or ``task``: which layout the record had
``extra``     every key not in the table that carries a value
``origin``    where the row came from (account, project, region): not in the record,
              set by whoever fetched or archived it (:func:`~rds_job_analytics.normalize.schema.with_origin`)

Two record layouts are read: a job (``{"job": {...}}`` or the bare object, from
``GET /jobs``) through each field's ``paths``, and a task-list record (``GET
/tasklist``: flat, its own field names) through each field's ``task`` paths. A record
without ``job`` is a task-list record when it carries a value for a key only the task
list has and none for a key only a job has (:func:`is_task_record`).

Examples
--------
>>> FIELDS["progress_pct"].paths
(('process',), ('progress',))
>>> sorted(KNOWN_KEYS[("entities", "volume")])
['original_size', 'target_size', 'type']
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FIELDS",
    "JOB_ONLY_KEYS",
    "KNOWN_KEYS",
    "OBJECT_PATHS",
    "ORIGIN_COLUMNS",
    "ROW_COLUMNS",
    "SOURCE",
    "TASK_KEYS",
    "TASK_ONLY_KEYS",
    "Field",
    "clean_engine",
    "clean_instance_type",
    "compact",
    "is_task_record",
    "markdown_table",
    "no_whitespace",
    "number",
    "text",
]

KeyPath = tuple[str, ...]

TEXT = pd.StringDtype("pyarrow")
CATEGORY = "category"
UTC_TIME = pd.DatetimeTZDtype("ns", "UTC")
FLOAT = "float64"
OBJECT = "object"
#: The ``source`` column: which call a row's data came from.
SOURCE = pd.CategoricalDtype(["job", "task"])

#: The three statuses of the task center, in the order the ``status`` categories take.
RUNNING, COMPLETED, FAILED = "Running", "Completed", "Failed"
CANONICAL_STATUSES = (RUNNING, COMPLETED, FAILED)
#: Statuses after which a job never changes again.
TERMINAL_STATUSES = frozenset({COMPLETED, FAILED})

#: Spellings (compared stripped and case-folded) -> canonical status, symmetric for
#: success and failure. Anything else (``Pending``, ``Canceled``...) is kept verbatim.
STATUS_SPELLINGS = MappingProxyType(
    {
        "running": "Running",
        "completed": "Completed",
        "complete": "Completed",
        "success": "Completed",
        "succeeded": "Completed",
        "failed": "Failed",
        "fail": "Failed",
        "failure": "Failed",
    }
)


def canonical_status(value: Any) -> str | None:
    """A status as the frame spells it (see :data:`STATUS_SPELLINGS`); None when empty.

    Examples
    --------
    >>> canonical_status(" complete "), canonical_status("SUCCESS"), canonical_status("FAIL")
    ('Completed', 'Completed', 'Failed')
    >>> canonical_status("Pending")
    'Pending'
    """
    if value is None:
        return None
    value = str(value).strip()
    return STATUS_SPELLINGS.get(value.casefold(), value) or None


# -- value cleaners (the per-record path calls them per value, the columnar path once
#    per distinct value) ----------------------------------------------------------------
#: A number as the API may write it: plain (``40``, ``40.5``, ``.5``, ``-3``), with an
#: exponent (``1e3``), or grouped by thousands with commas (``1,024``, ``12,345.5``: a
#: lead of 1-3 digits, then groups of exactly 3); then an optional ``%`` or ``GB``
#: (any case); whitespace around each part. ASCII digits only. Anything else (``1,02``,
#: ``1.024,5``, ``40 MB``, ``abc5``, ``nan``) is not a number.
_NUMBER = re.compile(
    r"""\s*
    (?P<num>[-+]?
        (?: [0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?
          | (?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]+)?
        )
    )
    \s*(?:%|gb)?\s*""",
    re.IGNORECASE | re.VERBOSE,
)

#: Canonical spellings of the instance types (compared case-folded).
INSTANCE_TYPES = MappingProxyType({"single": "Single", "ha": "Ha", "replica": "Replica"})
#: Engine spellings (case-folded) -> canonical engine.
ENGINES = MappingProxyType(
    {
        "mysql": "MySQL",
        "postgresql": "PostgreSQL",
        "postgres": "PostgreSQL",
        "sqlserver": "SQLServer",
        "microsoft sql server": "SQLServer",
    }
)
#: Huawei RDS instance IDs end in an engine suffix: the engine's last fallback.
ENGINE_BY_ID_SUFFIX = MappingProxyType({"in01": "MySQL", "in03": "PostgreSQL", "in04": "SQLServer"})
#: Engine names inside job names (``RestartMysqlInstance``), keys of :data:`ENGINES`.
ENGINE_IN_NAME = re.compile(r"(mysql|postgres(?:ql)?|sqlserver)", re.IGNORECASE)


def text(value: Any) -> str | None:
    """``str.strip()``; empty or None -> None."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    return value.strip() or None


def no_whitespace(value: str) -> str:
    """Every whitespace character (``str.isspace``) removed: the one spelling of the rule
    that job IDs (:func:`~rds_job_analytics.normalize.schema.strip_job_id`), endpoints and IPs share."""
    return "".join(value.split())


def compact(value: Any) -> str | None:
    """Every whitespace character removed; empty or None -> None."""
    if value is None:
        return None
    return no_whitespace(str(value)) or None


def number(value: Any) -> float:
    """A number, or NaN when missing, ambiguous or not finite (rule: :data:`_NUMBER`).

    Examples
    --------
    >>> [number(v) for v in ("60", "60 % ", "1e3", "1,024", "100 GB", 40)]
    [60.0, 60.0, 1000.0, 1024.0, 100.0, 40.0]
    >>> [number(v) for v in ("1,02", "1.024,5", "abc5", "", None, "nan", "1e999")]
    [nan, nan, nan, nan, nan, nan, nan]
    """
    if value is None or value == "" or isinstance(value, bool):
        return np.nan
    if isinstance(value, int | float):
        try:
            out = float(value)
        except OverflowError:  # an int beyond float
            return np.nan
    else:
        m = _NUMBER.fullmatch(str(value))
        if m is None:
            return np.nan
        out = float(m["num"].replace(",", ""))
    return out if math.isfinite(out) else np.nan


def clean_instance_type(value: Any) -> str | None:
    """``single``/``HA``/``replica`` -> ``Single``/``Ha``/``Replica``; others stripped."""
    value = text(value)
    return INSTANCE_TYPES.get(value.casefold(), value) if value else None


def clean_engine(value: Any) -> str | None:
    """``mysql``/``postgres``/``Microsoft SQL Server`` -> ``MySQL``/``PostgreSQL``/``SQLServer``."""
    value = text(value)
    return ENGINES.get(value.casefold(), value) if value else None


# -- the table -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One column of the normalized frame.

    Attributes
    ----------
    column : str
        Column name.
    dtype : object
        pandas dtype of the column.
    kind : str
        How the value is read and cleaned (see the module docstring).
    paths : tuple of paths
        Where the value sits in the job object; later paths are older or sibling
        spellings, read when the earlier ones are missing (None, or ``""`` when
        ``empty_is_missing``).
    clean : callable, optional
        The value cleaner of ``category`` and ``number`` fields.
    doc : str
        The README's "from" text.
    empty_is_missing : bool
        ``""`` counts as missing when choosing among ``paths``.
    dtype_doc : str
        What an object column holds, for the README.
    task : tuple of paths
        Where the value sits in a task-list record (empty: the task list lacks it).
    """

    column: str
    dtype: Any
    kind: str
    paths: tuple[KeyPath, ...] = ()
    clean: Callable[[Any], Any] | None = None
    doc: str = ""
    empty_is_missing: bool = False
    dtype_doc: str = ""
    task: tuple[KeyPath, ...] = ()

    @property
    def dtype_name(self) -> str:
        """The dtype as the README's schema table names it."""
        name = (
            "string"
            if self.dtype is TEXT
            else "category"
            if self.dtype is SOURCE
            else str(self.dtype)
        )
        return f"{name}: {self.dtype_doc}" if self.dtype_doc else name


def _p(*dotted: str) -> tuple[KeyPath, ...]:
    return tuple(tuple(d.split(".")) for d in dotted)


# fmt: off
_TABLE = (
    Field("job_id", TEXT, "id", _p("id"), task=_p("id"), doc="id, all whitespace removed"),
    Field("job_name", CATEGORY, "category", _p("name"), text, "name, stripped",
          task=_p("name")),
    Field("status", CATEGORY, "category", _p("status"), canonical_status,
          "status: `Running`/`Completed`/`Failed` canonical through one table "
          "(case-insensitive, stripped; `Complete`/`Success`/`Succeeded` -> `Completed`, "
          "`Fail`/`Failure` -> `Failed`); others verbatim", task=_p("status")),
    Field("created", UTC_TIME, "time", _p("created"), task=_p("create_time"),
          doc="job.created / task create_time (`+0000`, `+08:00`, `Z`, fractions, any case: "
          "`2026-10-01t08:00:00z`), converted to UTC; NaT when missing, empty, not a time "
          "starting with its year (`now`, `today` are not the current time) or outside "
          "1677-09-21 .. 2262-04-11 (`9999-12-31T23:59:59+0000`)"),
    Field("ended", UTC_TIME, "time", _p("ended"), task=_p("end_time"),
          doc="job.ended / task end_time (the task list documents it as the planned end; "
          "the archive prefers a per-job `ended`), as created"),
    Field("duration_s", FLOAT, "derived",
          doc="ended - created of a Completed or Failed job; NaN while the job is not "
          "terminal (a Running job may carry `ended`), when either is missing, or ended < created"),
    Field("progress_pct", FLOAT, "number", _p("process", "progress"), number,
          'process (or job.progress): `"60"`, `"60%"`, `"60 % "`, `60`, `0` -> float; '
          "NaN when empty; the number rule: see volume_original_gb", empty_is_missing=True,
          task=_p("process")),
    Field("instance_id", TEXT, "text", _p("instance.id"), task=_p("instance_id"),
          doc="job.instance.id / task instance_id, stripped"),
    Field("instance_name", TEXT, "text", _p("instance.name"), task=_p("instance_name"),
          doc="job.instance.name / task instance_name, stripped"),
    Field("instance_type", CATEGORY, "category", _p("entities.instance.type"),
          clean_instance_type, "entities.instance.type; `Single`/`Ha`/`Replica` canonical case"),
    Field("engine", CATEGORY, "category", _p("entities.instance.datastore.type"), clean_engine,
          "entities.instance.datastore.type (`MySQL`/`PostgreSQL`/`SQLServer` canonical); "
          "when absent, inferred from the job name (`RestartMysqlInstance` -> MySQL), then "
          "from the instance ID's engine suffix (`in01` MySQL, `in03` PostgreSQL, `in04` "
          "SQLServer; other suffixes stay empty)"),
    Field("engine_version", CATEGORY, "category", _p("entities.instance.datastore.version"),
          text, "entities.instance.datastore.version"),
    Field("endpoint", TEXT, "compact", _p("entities.instance.endpoint"),
          doc='entities.instance.endpoint, all whitespace removed (`"192.168 .1 .203: 3306"`)'),
    Field("replica_of", TEXT, "text", _p("entities.instance.replica_of"),
          doc="entities.instance.replica_of, stripped"),
    Field("resource_ids", OBJECT, "list", _p("entities.resource_ids", "entities.resource_id"),
          doc="entities.resource_ids (or the older resource_id), items stripped",
          dtype_doc="list of str, or None"),
    Field("volume_type", CATEGORY, "category", _p("entities.volume.type"), text,
          "entities.volume.type"),
    Field("volume_original_gb", FLOAT, "number", _p("entities.volume.original_size"), number,
          "entities.volume.original_size (a string in GB). The number rule of every number "
          'column: plain (`"40"`, `"40.5"`), an exponent (`"1e3"` -> 1000.0) or thousands '
          'grouped by commas (`"1,024"` -> 1024.0: groups of exactly three), then an optional '
          '`%` or `GB`; anything else (`"1,02"`, `"1.024,5"`, `"40 MB"`, `"abc5"`, not finite) '
          "is NaN, never a number read from part of the text"),
    Field("volume_target_gb", FLOAT, "number", _p("entities.volume.target_size"), number,
          "entities.volume.target_size (a string in GB)"),
    Field("volume_delta_gb", FLOAT, "derived", doc="volume_target_gb - volume_original_gb"),
    Field("public_ip", TEXT, "compact", _p("entities.public_ip"),
          doc="entities.public_ip, all whitespace removed"),
    Field("switch_strategy", TEXT, "text", _p("entities.switch_strategy"),
          doc="entities.switch_strategy, stripped"),
    Field("fail_reason", TEXT, "text", _p("fail_reason"), task=_p("fail_reason"),
          doc="fail_reason, stripped"),
    Field("instance_status", CATEGORY, "category", clean=text, task=_p("instance_status"),
          doc="task instance_status (the task list only), stripped"),
    Field("order_id", TEXT, "text", task=_p("order_id"),
          doc="task order_id (the task list only), stripped"),
    Field("source", SOURCE, "source",
          doc="where the row's data came from: `job` (the per-job call, entities known) or "
          "`task` (a task-list record: entity columns empty)"),
    Field("extra", OBJECT, "extra",
          doc="every key not listed above that carries a value (JSON null is not kept), "
          "as dotted path -> value (`entities.flavor_ref`); None when nothing else was sent",
          dtype_doc="dict or None"),
    Field("account", CATEGORY, "origin",
          doc="the fleet account the row was fetched with (`sync_fleet`, `fetch_jobs(account=)`); "
          "empty when not given"),
    Field("project_id", CATEGORY, "origin",
          doc="the project the row was fetched from (the client's project; the archive's key)"),
    Field("region", CATEGORY, "origin",
          doc="the project's region (from the fleet file, or the endpoint's "
          "`rds.{region}.` host); empty when unknown"),
)
# fmt: on

#: Column -> :class:`Field`, in frame order.
FIELDS: MappingProxyType[str, Field] = MappingProxyType({f.column: f for f in _TABLE})

#: Columns that ``parse_job`` returns (read from the record: not derived), in order.
ROW_COLUMNS: tuple[str, ...] = tuple(
    f.column for f in _TABLE if f.kind not in ("derived", "origin")
)
#: The columns that say where a row came from, set after parsing (kind ``origin``).
ORIGIN_COLUMNS: tuple[str, ...] = tuple(f.column for f in _TABLE if f.kind == "origin")


def _known_keys(paths_of: Callable[[Field], tuple[KeyPath, ...]]) -> dict[KeyPath, frozenset[str]]:
    known: dict[KeyPath, set[str]] = {(): set()}
    for f in _TABLE:
        for path in paths_of(f):
            for i in range(len(path)):
                known.setdefault(path[:i], set()).add(path[i])
                if i < len(path) - 1:
                    known.setdefault(path[: i + 1], set())
    return {k: frozenset(v) for k, v in known.items()}


#: Object path (``()`` is the job) -> the keys the table reads there.
KNOWN_KEYS: MappingProxyType[KeyPath, frozenset[str]] = MappingProxyType(
    _known_keys(lambda f: f.paths)
)
#: Nested object paths, parents before children.
OBJECT_PATHS: tuple[KeyPath, ...] = tuple(sorted((p for p in KNOWN_KEYS if p), key=len))
#: The keys of a task-list record the table reads (it is flat).
TASK_KEYS: frozenset[str] = _known_keys(lambda f: f.task)[()]
#: Keys that tell the two layouts apart.
TASK_ONLY_KEYS: frozenset[str] = TASK_KEYS - KNOWN_KEYS[()]
JOB_ONLY_KEYS: frozenset[str] = KNOWN_KEYS[()] - TASK_KEYS


def is_task_record(obj: dict[str, Any]) -> bool:
    """Whether a record without ``job`` is a task-list record: it carries a value for a
    key only the task list has, and none for a key only a job has (keys stripped).

    Examples
    --------
    >>> is_task_record({"id": "t1", "create_time": "2026-10-01T00:00:00+0000"})
    True
    >>> is_task_record({"id": "j1", "created": "2026-10-01T00:00:00+0000"})
    False
    """
    keys = {k.strip() for k, v in obj.items() if v is not None and isinstance(k, str)}
    return bool(keys & TASK_ONLY_KEYS) and not keys & JOB_ONLY_KEYS


def markdown_table() -> str:
    """The README's schema table, one row per column (``scripts/schema_table.py`` writes it).

    Examples
    --------
    >>> markdown_table().splitlines()[2]
    '| job_id | id, all whitespace removed | string |'
    """
    rows = ["| column | from | dtype |", "|---|---|---|"]
    rows += [f"| {f.column} | {f.doc} | {f.dtype_name} |" for f in _TABLE]
    return "\n".join(rows)

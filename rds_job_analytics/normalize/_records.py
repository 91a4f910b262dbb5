"""Raw task-center responses -> the normalized job frame.

One pass over the records pulls every field into plain Python columns (decoding
``str``/``bytes`` with orjson); timestamps are then parsed column-wise by pandas'
ISO-8601 parser. Batches of 256 or more raw ``bytes`` take the columnar path in
``_columnar`` instead, which gives the same frame or hands over to this one. Both are
driven by the field table (``_fields``). Quirks from the published responses are
repaired on the way: stray spaces in keys, names, IDs, endpoints and IPs,
``Complete`` for ``Completed``, ``"60% "`` progress, sizes as strings, offsets other
than ``+0000``.

Examples
--------
>>> from rds_job_analytics import normalize_jobs
>>> df = normalize_jobs([{"job": {"id": "a b", "name": " Restart", "status": "complete",
...                               "created": "2024-01-01T08:00:00+0800",
...                               "ended": "2024-01-01T00:01:00Z"}}])
>>> df.loc[0, ["job_id", "job_name", "status"]].tolist()
['ab', 'Restart', 'Completed']
>>> float(df.loc[0, "duration_s"])
60.0
"""

from __future__ import annotations

import warnings
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import orjson
import pandas as pd

from .._validate import ERRORS_CHOICES, Errors, check_choice
from ..exceptions import InvalidRecordError, InvalidRecordWarning
from ._columnar import normalize_columnar
from ._fields import (
    ENGINE_BY_ID_SUFFIX,
    ENGINE_IN_NAME,
    ENGINES,
    FIELDS,
    KNOWN_KEYS,
    ORIGIN_COLUMNS,
    ROW_COLUMNS,
    SOURCE,
    TASK_KEYS,
    KeyPath,
    compact,
    is_task_record,
    text,
)
from ._memory import lean_memory
from ._timeparse import parse_iso_strings
from .schema import (
    CANONICAL_STATUSES,
    JOB_SCHEMA,
    TERMINAL_STATUSES,
    TEXT,
    empty_jobs_frame,
    strip_job_id,
)

__all__ = [
    "MAX_DEPTH",
    "JobRow",
    "encode_record",
    "frame_from_columns",
    "normalize_jobs",
    "parse_job",
]

#: One job as ``parse_job`` returns it: the frame's columns that are read from the
#: record (timestamps still raw text), in frame order, plus ``extra``.
JobRow = namedtuple("JobRow", ROW_COLUMNS)

_TOP_KEYS = frozenset({"job"})

#: Deepest nesting of objects and arrays a record may have (the record itself is level
#: 1): deeper ones cannot be written back as JSON (orjson's limit), so the archive, the
#: exports and the ``extra`` column could not hold them. Job records nest 5 levels.
MAX_DEPTH = 254


def encode_record(record: Any) -> bytes:
    """A raw response (a dict) as JSON bytes, or :class:`InvalidRecordError` (position -1)
    when it cannot be written: text with a lone surrogate (not valid Unicode), nesting
    deeper than :data:`MAX_DEPTH`. Values JSON has no type for are written as ``str()``.

    Examples
    --------
    >>> encode_record({"job": {"id": "j1"}})
    b'{"job":{"id":"j1"}}'
    >>> encode_record({"job": {"id": "j\\ud800"}})
    Traceback (most recent call last):
    ...
    rds_job_analytics.exceptions.InvalidRecordError: record -1: text that is not valid Unicode (a lone surrogate)
    """
    try:
        return orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError as exc:
        msg = str(exc)
        if "ecursion" in msg:
            reason = f"nested deeper than {MAX_DEPTH} levels"
        elif "surrogate" in msg:
            reason = "text that is not valid Unicode (a lone surrogate)"
        else:
            reason = f"not encodable as JSON ({msg})"
        raise InvalidRecordError(-1, reason) from None


def _clean_keys(obj: dict[str, Any]) -> dict[str, Any]:
    """Strip whitespace from keys; a clean key wins over a padded duplicate.

    The losing padded key is kept verbatim (so it ends up in ``extra``), never dropped.
    """
    out: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, value in obj.items():
        k = key.strip() if isinstance(key, str) else key
        if k in out:
            if k == key:  # the clean key arrives after a padded one: it wins
                out[origin[k]] = out[k]
                out[k] = value
                origin[k] = k
            else:
                out[key] = value
            continue
        out[k] = value
        origin[k] = key
    return out


def _sub(
    obj: Any, known: frozenset[str], prefix: str, extra: dict[str, Any]
) -> dict[str, Any] | None:
    """Validate a nested object: keys cleaned, unknown keys and wrong types go to extra."""
    if obj is None:
        return None
    if not isinstance(obj, dict):
        extra[prefix] = obj
        return None
    if not obj.keys() <= known:
        obj = _clean_keys(obj)
        for key in obj.keys() - known:
            if obj[key] is not None:
                extra[f"{prefix}.{key}" if prefix else key] = obj[key]
    return obj


def _list_of_text(value: Any, extra: dict[str, Any], where: str) -> list[str] | None:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [str(r).strip() for r in value]
    extra[where] = value
    return None


class _Layout(NamedTuple):
    """The field table compiled for one record layout (a job, or a task-list record)."""

    source: str
    root_keys: frozenset[str]
    objects: tuple[tuple[int, str, frozenset[str], str], ...]
    """Nested objects by index (0 is the record): (parent index, key, known keys, path)."""
    readers: tuple[tuple[str, tuple[tuple[int, str], ...], bool, Any, str], ...]
    """Per column: (kind, (object index, key) of each spelling, empty_is_missing,
    cleaner, dotted path of the first spelling)."""


_KIND_CLEANERS: dict[str, Callable[[Any], Any]] = {"text": text, "compact": compact}


def _layout(source: str, known: Mapping[KeyPath, frozenset[str]], paths_of: Any) -> _Layout:
    objects = tuple(sorted((p for p in known if p), key=len))
    index = {(): 0} | {p: i + 1 for i, p in enumerate(objects)}
    readers = tuple(
        (
            f.kind,
            tuple((index[path[:-1]], path[-1]) for path in paths_of(f)),
            f.empty_is_missing,
            f.clean or _KIND_CLEANERS.get(f.kind),
            ".".join(paths_of(f)[0]) if paths_of(f) else f.column,
        )
        for f in FIELDS.values()
        if f.kind not in ("derived", "extra", "origin")
    )
    objs = tuple((index[p[:-1]], p[-1], known[p], ".".join(p)) for p in objects)
    return _Layout(source, known[()], objs, readers)


_JOB = _layout("job", KNOWN_KEYS, lambda f: f.paths)
_TASK = _layout("task", {(): TASK_KEYS}, lambda f: f.task)


def parse_job(record: Any) -> JobRow:
    """Extract one job into a :data:`JobRow` (raw timestamps, everything else cleaned).

    Raises :class:`InvalidRecordError` (position -1) when the record is not a job, or
    cannot be written back as JSON (:func:`encode_record`: lone surrogates, nesting
    deeper than :data:`MAX_DEPTH`). Mostly internal; exposed for callers that want to
    validate a single record.

    Examples
    --------
    >>> row = parse_job({"job": {"id": " x 1", "status": "SUCCESS"}})
    >>> row.job_id, row.status
    ('x1', 'Completed')
    """
    if isinstance(record, bytes | bytearray | memoryview | str):
        raw = record
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidRecordError(-1, f"undecodable JSON ({exc})") from exc
        # JSON decodes up to 1,024 levels; more than MAX_DEPTH takes a [ and ] per level
        if len(raw) > 2 * MAX_DEPTH and _brackets(raw) > MAX_DEPTH:
            encode_record(record)
    elif isinstance(record, dict):  # not from JSON: it may hold what JSON cannot
        encode_record(record)
    if not isinstance(record, dict):
        raise InvalidRecordError(-1, f"not a JSON object but {type(record).__name__}")
    if not record.keys() <= _TOP_KEYS:
        record = _clean_keys(record)
    job = record.get("job")
    extra: dict[str, Any] = {}
    layout = _JOB
    if job is None:
        if "id" in record or " id" in record:
            job = record  # a bare job object, or a task-list record
            if is_task_record(record):
                layout = _TASK
        else:
            raise InvalidRecordError(-1, "no 'job' object")
    elif not isinstance(job, dict):
        raise InvalidRecordError(-1, f"'job' is {type(job).__name__}, not an object")
    else:
        for key in record.keys() - _TOP_KEYS:
            if record[key] is not None:
                extra[key] = record[key]
    job = _sub(job, layout.root_keys, "", extra)
    objects: list[dict[str, Any] | None] = [job]
    for parent, key, known, prefix in layout.objects:
        obj = objects[parent]
        objects.append(_sub(obj.get(key), known, prefix, extra) if obj else None)

    try:
        values = _read_values(layout, objects, extra)
    except RecursionError:  # str() of a value nested ~1,000 deep
        raise InvalidRecordError(-1, f"nested deeper than {MAX_DEPTH} levels") from None
    return JobRow(*values)


def _brackets(raw: bytes | bytearray | memoryview | str) -> int:
    """Opening brackets in raw JSON: at least its depth."""
    if isinstance(raw, str):
        return raw.count("{") + raw.count("[")
    if isinstance(raw, memoryview):
        raw = raw.tobytes()
    return raw.count(b"{") + raw.count(b"[")


def _read_values(
    layout: _Layout, objects: list[dict[str, Any] | None], extra: dict[str, Any]
) -> list[Any]:
    """Every column's cleaned value (timestamps raw), then ``extra``."""
    values: list[Any] = []
    for kind, spellings, empty_is_missing, clean, where in layout.readers:
        raw = None
        for index, key in spellings:
            obj = objects[index]
            if obj is not None:
                raw = obj.get(key)
                if raw is not None and not (empty_is_missing and raw == ""):
                    break
                raw = None
        if clean is not None:
            values.append(clean(raw))
        elif kind == "id":
            values.append(_job_id(raw))
        elif kind == "list":
            values.append(None if raw is None else _list_of_text(raw, extra, where))
        elif kind == "source":
            values.append(layout.source)
        else:  # time: parsed column-wise later
            values.append(raw)
    values.append(extra or None)
    return values


def _job_id(raw: Any) -> str:
    if raw is None or isinstance(raw, dict | list | bool):
        raise InvalidRecordError(-1, "job has no 'id'")
    job_id = strip_job_id(str(raw))
    if not job_id:
        raise InvalidRecordError(-1, "job has an empty 'id'")
    return job_id


def _parse_times(values: Any) -> pd.Series:
    """Column-wise ISO-8601 parse to UTC; non-strings and junk become NaT."""
    strs = [v if type(v) is str else None for v in values]
    return parse_iso_strings(pd.Series(pd.array(strs, dtype=TEXT)))


def _infer_engine(df: pd.DataFrame) -> None:
    """Fill a missing engine from the job name (``RestartMysqlInstance`` -> MySQL), then
    from the instance ID's engine suffix (``...in01`` -> MySQL); on category codes."""
    engine = df["engine"].array
    rows = np.flatnonzero(engine.codes == -1)
    if not len(rows):
        return
    names = df["job_name"].array
    by_name = {}  # job-name category -> engine
    for i, name in enumerate(names.categories):
        m = ENGINE_IN_NAME.search(name)
        if m:
            by_name[i] = ENGINES[m.group(1).lower()]
    named = np.zeros(len(names.categories) + 1, dtype=bool)  # the last slot: no name
    named[list(by_name)] = True
    still = rows[~named[names.codes[rows]]]
    suffixes = pd.Categorical(pd.Series(df["instance_id"].array[still]).str[-4:].str.lower())
    by_suffix = [ENGINE_BY_ID_SUFFIX.get(s) for s in suffixes.categories]
    found = {*by_name.values(), *by_suffix} - {None}
    if not found:
        return
    cats = sorted(set(engine.categories) | found)
    pos = {c: i for i, c in enumerate(cats)}
    old_to_new = np.array([pos[c] for c in engine.categories] + [-1], dtype=np.int64)
    codes = old_to_new[engine.codes]  # -1 stays -1 (the appended slot)
    name_codes = np.full(len(names.categories) + 1, -1, dtype=np.int64)
    for i, eng in by_name.items():
        name_codes[i] = pos[eng]
    codes[rows] = name_codes[names.codes[rows]]
    suffix_codes = np.array([pos[e] if e else -1 for e in by_suffix] + [-1], dtype=np.int64)
    codes[still] = suffix_codes[suffixes.codes]
    df["engine"] = pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))


def _build_frame(rows: list[JobRow]) -> pd.DataFrame:
    if not rows:
        return empty_jobs_frame()
    cols = dict(zip(ROW_COLUMNS, zip(*rows, strict=True), strict=True))
    data: dict[str, Any] = {}
    n = len(rows)
    for f in FIELDS.values():
        name, kind = f.column, f.kind
        if kind in ("derived", "origin"):
            continue
        if kind == "time":
            data[name] = _parse_times(cols[name])
        elif kind == "number":
            data[name] = np.array(cols[name], dtype="float64")
        elif kind in ("list", "extra"):
            col = np.empty(n, dtype=object)
            col[:] = cols[name]
            data[name] = col
        elif kind == "category":
            data[name] = pd.Categorical(cols[name])
        elif kind == "source":
            data[name] = pd.Categorical(cols[name], dtype=SOURCE)
        else:
            data[name] = pd.array(cols[name], dtype=f.dtype)
    return frame_from_columns(data)


def frame_from_columns(data: dict[str, Any]) -> pd.DataFrame:
    """Columns of the field table (as parsed) -> the normalized frame: the derived columns
    (durations, sizes), categories, origin columns, in schema order. The one finishing
    step of every path that builds a jobs frame (both normalizers, the archive, the
    dataset reader).

    Examples
    --------
    >>> from rds_job_analytics.normalize import JOB_SCHEMA, normalize_jobs
    >>> typed = normalize_jobs([{"job": {"id": "j1", "status": "Completed"}}])
    >>> again = frame_from_columns({c: typed[c] for c in JOB_SCHEMA})  # derived ones redone
    >>> list(again.columns) == list(JOB_SCHEMA), again["job_id"].tolist()
    (True, ['j1'])
    """
    df = pd.DataFrame(data)
    for name in ORIGIN_COLUMNS:  # set by the fetcher or the archive; unknown here
        if name not in df:
            df[name] = pd.Categorical([None] * len(df), categories=pd.Index([], dtype=object))
    for f in FIELDS.values():  # an all-missing category column: no categories
        name = f.column
        if f.dtype == "category" and name in df and len(df[name].cat.categories) == 0:
            df[name] = pd.Categorical([None] * len(df), categories=pd.Index([], dtype=object))
    status = df["status"]
    extra_cats = [c for c in status.cat.categories if c not in CANONICAL_STATUSES]
    df["status"] = status.cat.set_categories([*CANONICAL_STATUSES, *extra_cats])
    dur = pd.Series(_seconds_between(df["created"], df["ended"]), index=df.index)
    terminal = df["status"].isin(TERMINAL_STATUSES).to_numpy()
    df["duration_s"] = dur.where((dur >= 0) & terminal)
    df["volume_delta_gb"] = df["volume_target_gb"] - df["volume_original_gb"]
    _infer_engine(df)
    return df[list(JOB_SCHEMA)]


_NAT = np.iinfo(np.int64).min


def _seconds_between(start: pd.Series, end: pd.Series) -> np.ndarray:
    """``(end - start).dt.total_seconds()``, NaN where either is NaT; never overflowing.

    Two valid ``ns`` times more than 292 years apart overflow int64 nanoseconds: those
    few are computed from whole seconds and the nanosecond remainders instead.
    """
    e = np.asarray(end.array.asi8)
    s = np.asarray(start.array.asi8)
    with np.errstate(over="ignore"):
        diff = e - s  # wraps where it overflows
    out = diff / 1e9  # as pandas' total_seconds
    over = ((e ^ s) & (e ^ diff)) < 0  # signed overflow of the subtraction
    if over.any():
        es, er = np.divmod(e[over], 1_000_000_000)
        ss, sr = np.divmod(s[over], 1_000_000_000)
        out[over] = (es - ss) + (er - sr) / 1e9
    out[(e == _NAT) | (s == _NAT)] = np.nan
    return out


#: Inputs of at least this many raw ``bytes`` records try the columnar path first.
COLUMNAR_MIN_ROWS = 256


def _parse_all(records: list[Any], errors: str, skipped: list[dict[str, Any]]) -> list[JobRow]:
    """Every valid record parsed; invalid ones listed in ``skipped`` (or raised).

    Run it under :func:`lean_memory`: the loop allocates millions of small containers
    and no cycles, so the paused GC saves repeated full collections.
    """
    rows: list[JobRow] = []
    append = rows.append
    for pos, rec in enumerate(records):
        try:
            append(parse_job(rec))
        except InvalidRecordError as exc:
            if errors == "raise":
                raise InvalidRecordError(pos, exc.reason) from exc
            skipped.append({"position": pos, "reason": exc.reason})
    return rows


def normalize_jobs(records: Iterable[Any], *, errors: Errors = "warn") -> pd.DataFrame:
    """Normalize raw task-center responses into one frame (see ``JOB_SCHEMA``).

    Parameters
    ----------
    records : iterable
        API responses (``{"job": {...}}``), bare job objects, or their raw JSON as
        ``str``/``bytes``, in any mix.
    errors : {"warn", "raise", "ignore"}
        What to do with an invalid record (not an object, no ``job``, no ``id``,
        undecodable JSON). ``"warn"`` skips it and emits one
        :class:`~rds_job_analytics.InvalidRecordWarning` counting all skipped records;
        ``"raise"`` raises :class:`~rds_job_analytics.InvalidRecordError` naming the
        position and the reason; ``"ignore"`` skips silently. Either way the skipped
        records are listed in ``df.attrs["skipped_records"]``.

    Returns
    -------
    pandas.DataFrame
        One row per valid record, columns and dtypes exactly as ``JOB_SCHEMA``,
        also when there are no rows.

    Examples
    --------
    >>> df = normalize_jobs([b'{"job": {"id": "j1", "status": "Running", "process": "60% "}}'])
    >>> df.loc[0, "progress_pct"]
    np.float64(60.0)
    """
    check_choice("errors", errors, ERRORS_CHOICES)
    if isinstance(records, dict | str | bytes):
        records = [records]
    records = list(records)
    skipped: list[dict[str, Any]] = []
    df = None
    with lean_memory():
        if len(records) >= COLUMNAR_MIN_ROWS and all(type(r) is bytes for r in records):
            cols = normalize_columnar(records)
            if cols is not None:
                df = frame_from_columns(cols)
        if df is None:
            df = _build_frame(_parse_all(records, errors, skipped))
    df.attrs["skipped_records"] = skipped
    if skipped and errors == "warn":
        first = "; ".join(f"#{s['position']}: {s['reason']}" for s in skipped[:3])
        more = f" (+{len(skipped) - 3} more)" if len(skipped) > 3 else ""
        warnings.warn(
            f"skipped {len(skipped)} invalid record(s): {first}{more}",
            InvalidRecordWarning,
            stacklevel=2,
        )
    return df

"""Columnar fast path of :func:`normalize_jobs` for raw JSON bytes, driven by the field table.

The reader (``_jsonreader``) decodes the JSON into arrow blocks with the field table as
its explicit schema; each block's columns are cleaned here as the per-record path
would clean each value (``_arrowtext`` for text, ``_timeparse`` for timestamps; the
field's own cleaner once per *distinct* value of category and number columns); the
parts are put together once at the end (:func:`_assemble`).

Whenever the input holds something this path cannot reproduce exactly (a type
conflict, a non-string where text is expected, a nested unknown object, an invalid
record, a padded and a clean key both set...) it returns ``None`` and the caller uses
the per-record path, so both paths always give identical frames. Run it under
:func:`~rds_job_analytics.normalize._memory.lean_memory`.

Examples
--------
>>> blobs = [b'{"job": {"id": "a 1", "status": "complete", "process": "60 %"}}'] * 2
>>> cols = normalize_columnar(blobs)
>>> cols["job_id"].tolist(), cols["status"].tolist(), cols["progress_pct"].tolist()
(['a1', 'a1'], ['Completed', 'Completed'], [60.0, 60.0])
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._arrowtext import (
    chunks,
    per_chunk,
    python_fix,
    string_parts,
    strip_candidates,
    stripped_text,
    without_whitespace,
)
from ._fields import (
    FIELDS,
    JOB_ONLY_KEYS,
    KNOWN_KEYS,
    SOURCE,
    TASK_KEYS,
    TASK_ONLY_KEYS,
    KeyPath,
    is_task_record,
)
from ._jsonreader import read_blocks
from ._timeparse import times, times_of
from .schema import TEXT

__all__ = ["normalize_columnar"]


def normalize_columnar(blobs: list[bytes]) -> dict[str, Any] | None:
    """Columns (as the per-record path would build them) or None to fall back.

    Takes ``{"job": {...}}`` responses or bare job objects (the first blob decides; a
    batch that mixes them falls back). The reader decodes the next blocks on its
    helper thread while this thread cleans the blocks already decoded.
    """
    if not blobs:
        return None
    try:
        first = orjson.loads(blobs[0])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(first, dict):
        return None
    if "job" in first:
        mode = _WRAPPED_JOBS
    elif any(k.strip() == "id" for k in first):
        mode = _TASKS if is_task_record(first) else _BARE_JOBS
    else:
        return None
    parts = read_blocks(blobs, mode.schema, mode.wrap, lambda block: _clean_block(block, mode))
    return None if parts is None else _assemble(parts, len(blobs))


class _Fallback(Exception):
    """The fast path cannot guarantee a result identical to the per-record path."""


# -- the reader's schema and the layouts, from the table -------------------------------------
_LEAF_TYPES = {"list": pa.list_(pa.string())}


def _struct_fields(path: KeyPath) -> list[pa.Field]:
    """The documented keys of a job at ``path`` as arrow fields: text, lists, objects.

    No type inference for known fields, and timestamps stay text (arrow would infer its
    own timestamp type). A value of another type fails the read, which hands over to
    the per-record path. Unknown keys are inferred.
    """
    out = []
    for key in sorted(KNOWN_KEYS[path]):
        child = (*path, key)
        if child in KNOWN_KEYS:
            out.append(pa.field(key, pa.struct(_struct_fields(child))))
        else:
            kind = next(f.kind for f in FIELDS.values() if child in f.paths)
            out.append(pa.field(key, _LEAF_TYPES.get(kind, pa.string())))
    return out


class _Mode(NamedTuple):
    """How the blobs of a batch are laid out, and how their fields are read."""

    source: str
    schema: pa.Schema
    wrap: str | None
    known: dict[KeyPath, frozenset[str]]
    paths: dict[str, tuple[KeyPath, ...]]
    rows: str | None
    """Which rows must be of this layout: ``"task"``/``"job"`` (checked per row where
    the first blob decided a bare layout), None for ``{"job": ...}`` responses."""


def _job_mode(wrap: str | None) -> _Mode:
    fields = _struct_fields(())
    schema = pa.schema([pa.field("job", pa.struct(fields))] if wrap else fields)
    paths = {f.column: f.paths for f in FIELDS.values()}
    return _Mode("job", schema, wrap, dict(KNOWN_KEYS), paths, None if wrap else "job")


_WRAPPED_JOBS = _job_mode("job")
_BARE_JOBS = _job_mode(None)
_TASKS = _Mode(
    "task",
    pa.schema([pa.field(k, pa.string()) for k in sorted(TASK_KEYS)]),
    None,
    {(): TASK_KEYS},
    {f.column: f.task for f in FIELDS.values()},
    "task",
)


# -- one block -----------------------------------------------------------------------------
def _clean_block(job: pa.Array, mode: _Mode) -> dict[str, Any] | None:
    """The cleaned columns of one block; None when the fast path must give up."""
    try:
        return _columns(job, len(job), mode)
    except (_Fallback, TypeError, ValueError, pa.ArrowException):  # any surprise: fall back
        return None


def _check_layout(arr: pa.StructArray, rows: str) -> None:
    """Every row of a bare batch has the layout the first blob had (as ``is_task_record``
    decides per record), else the per-record path decides row by row."""
    has_task = np.zeros(len(arr), dtype=bool)
    has_job = np.zeros(len(arr), dtype=bool)
    for f, child in zip(arr.type, arr.flatten(), strict=True):
        name = f.name.strip()
        if name in TASK_ONLY_KEYS or name in JOB_ONLY_KEYS:
            target = has_task if name in TASK_ONLY_KEYS else has_job
            target |= np.asarray(child.is_valid(), dtype=bool)
    task = has_task & ~has_job
    if (rows == "task" and not task.all()) or (rows == "job" and task.any()):
        raise _Fallback("a batch mixing jobs and task-list records")


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_null(t)


_SCALAR_EXTRA = (pa.types.is_string, pa.types.is_int64, pa.types.is_boolean)


class _Struct:
    """A struct level: known children by stripped name, unknown ones into extras."""

    def __init__(
        self,
        arr: pa.Array,
        known: frozenset[str],
        prefix: str,
        extras: list[tuple[str, pa.Array]],
    ) -> None:
        self.fields: dict[str, pa.Array] = {}
        self.twins: dict[str, list[pa.Array]] = {}
        if pa.types.is_null(arr.type):
            return
        if not pa.types.is_struct(arr.type):
            raise _Fallback(f"{prefix or 'record'} is not an object")
        groups: dict[str, list[pa.Array]] = {}
        for f, child in zip(arr.type, arr.flatten(), strict=True):
            groups.setdefault(f.name.strip(), []).append(child)
        for name, children in groups.items():
            if len(children) > 1:  # a spelling that only ever held null adds nothing
                children = [c for c in children if not pa.types.is_null(c.type)] or children[:1]
            if len(children) > 1:  # "status" and " status": coalesce if never both set
                valid = sum(np.asarray(c.is_valid(), dtype=np.int8) for c in children)
                if (valid > 1).any():
                    raise _Fallback(f"duplicate key {name!r}")
                if name in known:
                    self.twins[name] = children  # merged where used: get()
                    continue
                if len({c.type for c in children}) > 1:
                    raise _Fallback(f"{name!r} spelled two ways with different shapes")
                child = pc.coalesce(*children)
            else:
                child = children[0]
            if name in known:
                self.fields[name] = child
            else:
                path = f"{prefix}.{name}" if prefix else name
                t = child.type
                ok = any(p(t) for p in _SCALAR_EXTRA) or (
                    pa.types.is_list(t) and pa.types.is_string(t.value_type)
                )
                if not ok:
                    raise _Fallback(f"unknown key {path!r} of type {t}")
                extras.append((path, child))

    def get(self, name: str) -> pa.Array | None:
        """The field, its spellings (``status``, `` status``; never both set) merged."""
        if name in self.twins:
            twins = self.twins.pop(name)
            live = [t for t in twins if t.null_count < len(t)] or twins[:1]
            if len({t.type for t in live}) > 1:
                raise _Fallback(f"{name!r} spelled two ways with different shapes")
            self.fields[name] = live[0] if len(live) == 1 else pc.coalesce(*live)
        return self.fields.get(name)


def _columns(job_arr: pa.Array, n: int, mode: _Mode) -> dict[str, Any]:
    if not pa.types.is_struct(job_arr.type) or job_arr.null_count:
        raise _Fallback("a record without a job object")
    if mode.rows is not None:
        _check_layout(job_arr, mode.rows)
    extras: list[tuple[str, pa.Array]] = []
    structs = {(): _Struct(job_arr, mode.known[()], "", extras)}
    for path in sorted((p for p in mode.known if p), key=len):
        arr = structs[path[:-1]].get(path[-1])
        structs[path] = _Struct(arr or pa.nulls(n), mode.known[path], ".".join(path), extras)
    out: dict[str, Any] = {}
    for f in FIELDS.values():
        clean = _BLOCK_CLEANERS.get(f.kind)
        if clean is not None:
            out[f.column] = clean(_read(structs, f, mode.paths[f.column]), n)
    out["source"] = np.full(n, SOURCE.categories.get_loc(mode.source), dtype=np.int8)
    out["extra"] = _extras(extras, n)
    return out


def _read(structs: dict[KeyPath, _Struct], f: Any, paths: tuple[KeyPath, ...]) -> pa.Array | None:
    """The field's value: its spellings at later paths fill where earlier ones are missing."""
    arrs = [structs[path[:-1]].get(path[-1]) for path in paths]
    if not arrs:
        return None
    if len(arrs) == 1:
        return arrs[0]
    live = [a for a in arrs if a is not None and a.null_count < len(a)]
    if f.kind == "list":
        for a in live:
            if not (pa.types.is_list(a.type) and pa.types.is_string(a.type.value_type)):
                raise _Fallback(f"{f.column} is not a list of text")
    if not live:
        return next((a for a in arrs if a is not None), None)
    if len(live) == 1:
        return live[0]
    if f.empty_is_missing:  # "" counts as missing: the next spelling fills it
        if not all(pa.types.is_string(a.type) for a in live):
            raise _Fallback(f"non-text {f.column}")
        out = live[0]
        for a in live[1:]:
            out = pc.if_else(pc.fill_null(pc.equal(out, ""), True), a, out)
        return out
    if len({a.type for a in live}) > 1:
        raise _Fallback(f"{f.column} spelled two ways with different shapes")
    return pc.coalesce(*live)


def _ids(arr: pa.Array | None, n: int) -> pa.Array:
    if arr is None or not pa.types.is_string(arr.type) or arr.null_count:
        raise _Fallback("missing or non-text id")
    ids = without_whitespace(arr)
    if per_chunk(ids, lambda c: np.diff(string_parts(c)[0]) == 0).any():
        raise _Fallback("empty id")
    return ids


def _compact(arr: pa.Array | None, n: int) -> pa.Array:
    if arr is None or pa.types.is_null(arr.type):
        return pa.nulls(n, pa.string())
    if not pa.types.is_string(arr.type):
        raise _Fallback(f"text field of type {arr.type}")
    return without_whitespace(arr, empty_to_null=True)


def _raw_text(arr: pa.Array | None, n: int) -> pa.Array:
    """A text field as one string array (all nulls when absent), cleaned at assembly."""
    if arr is None or pa.types.is_null(arr.type):
        return pa.nulls(n, pa.string())
    if not pa.types.is_string(arr.type):
        raise _Fallback(f"text field of type {arr.type}")
    return arr


def _lists(rids: pa.Array | None, n: int) -> np.ndarray:
    """Lists of text, items stripped, as Python lists in an object column."""
    out = np.full(n, None, dtype=object)
    if rids is None or pa.types.is_null(rids.type) or rids.null_count == n:
        return out
    if not (pa.types.is_list(rids.type) and pa.types.is_string(rids.type.value_type)):
        raise _Fallback("not a list of text")
    if pc.list_flatten(rids).null_count:
        raise _Fallback("null inside a list")
    valid = np.asarray(rids.is_valid())
    lists = rids.filter(pa.array(valid))
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    flat = lists.flatten()
    items = python_fix(flat, strip_candidates(flat), str.strip).to_pylist()
    offsets = lists.offsets.to_numpy()
    offsets = offsets - offsets[0]
    for i, (a, b) in zip(np.flatnonzero(valid), itertools.pairwise(offsets), strict=True):
        out[i] = items[a:b]
    return out


def _extras(extras: list[tuple[str, pa.Array]], n: int) -> np.ndarray:
    """Unknown keys as ``{dotted path: value}`` per row (None where there are none)."""
    out = np.full(n, None, dtype=object)
    for path, arr in extras:
        if pa.types.is_null(arr.type):
            continue
        valid = np.asarray(arr.is_valid())
        for i, v in zip(
            np.flatnonzero(valid), arr.filter(pa.array(valid)).to_pylist(), strict=True
        ):
            d = out[i]
            if d is None:
                d = out[i] = {}
            d[path] = v
    return out


#: kind -> the cleaning of one block (category and number values are cleaned once per
#: distinct value at assembly; derived and extra columns are not read per field).
_BLOCK_CLEANERS: dict[str, Callable[[pa.Array | None, int], Any]] = {
    "id": _ids,
    "text": stripped_text,
    "compact": _compact,
    "category": _raw_text,
    "number": _raw_text,
    "time": times,
    "list": _lists,
}


# -- all blocks ----------------------------------------------------------------------------
def _assemble(parts: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """Per-block parts -> the columns of all rows."""
    out: dict[str, Any] = {}
    for f in FIELDS.values():
        name, kind = f.column, f.kind
        if kind in ("derived", "origin"):
            continue
        if kind in ("list", "extra"):
            out[name] = np.concatenate([p[name] for p in parts])
        elif kind == "source":
            codes = np.concatenate([p[name] for p in parts])
            out[name] = pd.Categorical.from_codes(codes, dtype=SOURCE)
        elif kind == "time":
            out[name] = times_of([p[name] for p in parts])
        else:
            arr = pa.chunked_array([c for p in parts for c in chunks(p[name])], type=pa.string())
            if kind == "category":  # one dictionary over all blocks, cleaned once per value
                out[name] = _category(arr, n, f.clean)
            elif kind == "number":
                out[name] = _floats(arr, n, f.clean)
            else:
                out[name] = pd.array(arr, dtype=TEXT)
    return out


def _by_distinct(
    arr: pa.ChunkedArray, n: int, clean: Callable[[Any], Any]
) -> tuple[list, np.ndarray]:
    """Apply ``clean`` once per distinct value; returns (cleaned values, codes or -1)."""
    encoded = chunks(pc.dictionary_encode(arr))  # one dictionary shared by all chunks
    if not encoded:
        return [], np.full(n, -1, dtype=np.int64)
    codes = pa.chunked_array([c.indices for c in encoded], type=encoded[0].indices.type)
    codes = np.asarray(pc.fill_null(codes, -1).to_numpy(), dtype=np.int64)
    return [clean(v) for v in encoded[-1].dictionary.to_pylist()], codes


def _category(arr: pa.ChunkedArray, n: int, clean: Callable[[Any], Any]) -> pd.Categorical:
    values, codes = _by_distinct(arr, n, clean)
    cats = sorted({v for v in values if v is not None})
    pos = {c: i for i, c in enumerate(cats)}
    remap = np.array([pos.get(v, -1) if v is not None else -1 for v in values] + [-1])
    return pd.Categorical.from_codes(remap[codes], categories=cats)


def _floats(arr: pa.ChunkedArray, n: int, clean: Callable[[Any], float]) -> np.ndarray:
    values, codes = _by_distinct(arr, n, clean)
    table = np.array([*values, np.nan], dtype="float64")
    return table[codes]

"""Columnar fast path of :func:`normalize_jobs` for raw JSON bytes.

pyarrow's multi-threaded JSON reader decodes JSON Lines straight into columns; the
cleaning then runs column-wise (arrow compute for high-cardinality text, the
per-record cleaners applied once per *distinct* value for low-cardinality columns).
Whenever the input holds something this path cannot reproduce exactly (a type
conflict, a non-string where text is expected, a nested unknown object, an invalid
record...) it returns ``None`` and the caller uses the per-record path, so both
paths always give identical frames.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

__all__ = ["normalize_columnar"]

_SCALAR_EXTRA = (pa.types.is_string, pa.types.is_int64, pa.types.is_boolean)


# Timestamps stay text (arrow would infer its own timestamp type); the rest is inferred.
_EXPLICIT = pa.schema(
    [pa.field("job", pa.struct([pa.field("created", pa.string()), pa.field("ended", pa.string())]))]
)


class _Fallback(Exception):
    """The fast path cannot guarantee a result identical to the per-record path."""


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_null(t)


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
        if pa.types.is_null(arr.type):
            return
        if not pa.types.is_struct(arr.type):
            raise _Fallback(f"{prefix or 'record'} is not an object")
        groups: dict[str, list[pa.Array]] = {}
        for f, child in zip(arr.type, arr.flatten(), strict=True):
            groups.setdefault(f.name.strip(), []).append(child)
        for name, children in groups.items():
            if len(children) > 1:  # "status" and " status": coalesce if never both set
                valid = sum(np.asarray(c.is_valid(), dtype=np.int8) for c in children)
                if (valid > 1).any():
                    raise _Fallback(f"duplicate key {name!r}")
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
        return self.fields.get(name)


def _text_col(arr: pa.Array | None, n: int) -> pd.arrays.ArrowStringArray:
    """Strip, empty -> NA, as string[pyarrow]."""
    if arr is None or pa.types.is_null(arr.type):
        return pd.array([None] * n, dtype=pd.StringDtype("pyarrow"))
    if not pa.types.is_string(arr.type):
        raise _Fallback(f"text field of type {arr.type}")
    s = pc.utf8_trim_whitespace(arr)
    s = pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)
    return pd.array(s, dtype=pd.StringDtype("pyarrow"))


def _by_distinct(
    arr: pa.Array | None, n: int, clean: Callable[[Any], Any]
) -> tuple[list, np.ndarray]:
    """Apply ``clean`` once per distinct value; returns (cleaned values, codes or -1)."""
    if arr is None or pa.types.is_null(arr.type):
        return [], np.full(n, -1, dtype=np.int64)
    if not _is_text(arr.type):
        raise _Fallback(f"text field of type {arr.type}")
    enc = pc.dictionary_encode(arr)
    values = [clean(v) for v in enc.dictionary.to_pylist()]
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return values, codes


def _category(arr: pa.Array | None, n: int, clean: Callable[[Any], Any]) -> pd.Categorical:
    values, codes = _by_distinct(arr, n, clean)
    cats = sorted({v for v in values if v is not None})
    pos = {c: i for i, c in enumerate(cats)}
    remap = np.array([pos.get(v, -1) if v is not None else -1 for v in values] + [-1])
    return pd.Categorical.from_codes(remap[codes], categories=cats)


def _floats(arr: pa.Array | None, n: int, clean: Callable[[Any], float]) -> np.ndarray:
    values, codes = _by_distinct(arr, n, clean)
    table = np.array([*values, np.nan], dtype="float64")
    return table[codes]


def normalize_columnar(blobs: list[bytes], ctx: dict[str, Any]) -> dict[str, Any] | None:
    """Columns (as the per-record path would build them) or None to fall back.

    ``ctx`` carries the per-record cleaners so both paths share one definition.
    """
    n = len(blobs)
    buf = b"\n".join(blobs)
    if buf.count(b"\n") != n - 1:  # a record spanning lines is not JSON Lines
        return None
    try:
        table = pj.read_json(
            pa.py_buffer(buf),
            read_options=pj.ReadOptions(block_size=8 << 20),
            parse_options=pj.ParseOptions(
                explicit_schema=_EXPLICIT, unexpected_field_behavior="infer"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != n or table.schema.names != ["job"]:
        return None
    try:
        return _columns(table.column("job").combine_chunks(), n, ctx)
    except _Fallback:
        return None


def _columns(job_arr: pa.Array, n: int, ctx: dict[str, Any]) -> dict[str, Any]:
    if not pa.types.is_struct(job_arr.type) or job_arr.null_count:
        raise _Fallback("a record without a job object")
    extras: list[tuple[str, pa.Array]] = []
    job = _Struct(job_arr, ctx["job_keys"], "", extras)
    ids = job.get("id")
    if ids is None or not pa.types.is_string(ids.type) or ids.null_count:
        raise _Fallback("missing or non-text id")
    if not pc.all(pc.string_is_ascii(ids)).as_py():
        raise _Fallback("non-ASCII id")
    ids = pc.replace_substring_regex(ids, r"\s+", "")
    if not pc.all(pc.greater(pc.utf8_length(ids), 0)).as_py():
        raise _Fallback("empty id")

    inst = _Struct(job.get("instance") or pa.nulls(n), ctx["instance_keys"], "instance", extras)
    ent = _Struct(job.get("entities") or pa.nulls(n), ctx["entity_keys"], "entities", extras)
    einst = _Struct(
        ent.get("instance") or pa.nulls(n), ctx["einstance_keys"], "entities.instance", extras
    )
    ds = _Struct(
        einst.get("datastore") or pa.nulls(n),
        ctx["datastore_keys"],
        "entities.instance.datastore",
        extras,
    )
    vol = _Struct(ent.get("volume") or pa.nulls(n), ctx["volume_keys"], "entities.volume", extras)

    progress = job.get("process")
    alt = job.get("progress")
    if alt is not None:
        if progress is None:
            progress = alt
        else:
            if not (_is_text(progress.type) and _is_text(alt.type)):
                raise _Fallback("non-text progress")
            empty = pc.fill_null(pc.equal(progress, ""), True)
            progress = pc.if_else(empty, alt.cast(pa.string()), progress.cast(pa.string()))

    rids = ent.get("resource_ids")
    old = ent.get("resource_id")
    for r in (rids, old):
        if r is not None and not pa.types.is_null(r.type):
            if not (pa.types.is_list(r.type) and pa.types.is_string(r.type.value_type)):
                raise _Fallback("resource_ids is not a list of text")
            if r.flatten().null_count:
                raise _Fallback("null inside resource_ids")
    if rids is not None and old is not None:
        rids = pc.coalesce(rids, old.cast(rids.type)) if not pa.types.is_null(rids.type) else old
    rids = rids if rids is not None else old
    resource_ids = np.full(n, None, dtype=object)
    if rids is not None and not pa.types.is_null(rids.type) and rids.null_count < n:
        valid = np.asarray(rids.is_valid())
        idx = np.flatnonzero(valid)
        stripped = pc.utf8_trim_whitespace(rids.filter(pa.array(valid)).flatten())
        offsets = rids.filter(pa.array(valid)).offsets.to_numpy()
        offsets = offsets - offsets[0]
        items = stripped.to_pylist()
        for i, (a, b) in zip(idx, itertools.pairwise(offsets), strict=True):
            resource_ids[i] = items[a:b]

    extra = np.full(n, None, dtype=object)
    for path, arr in extras:
        if pa.types.is_null(arr.type):
            continue
        valid = np.asarray(arr.is_valid())
        for i, v in zip(
            np.flatnonzero(valid), arr.filter(pa.array(valid)).to_pylist(), strict=True
        ):
            d = extra[i]
            if d is None:
                d = extra[i] = {}
            d[path] = v

    text, num = ctx["text"], ctx["number"]
    return {
        "job_id": pd.array(ids, dtype=pd.StringDtype("pyarrow")),
        "job_name": _category(job.get("name"), n, text),
        "status": _category(job.get("status"), n, ctx["status"]),
        "created": _times(job.get("created"), n, ctx),
        "ended": _times(job.get("ended"), n, ctx),
        "progress_pct": _floats(progress, n, lambda v: num(v) if v else np.nan),
        "instance_id": _text_col(inst.get("id"), n),
        "instance_name": _text_col(inst.get("name"), n),
        "instance_type": _category(einst.get("type"), n, ctx["instance_type"]),
        "engine": _category(ds.get("type"), n, ctx["engine"]),
        "engine_version": _category(ds.get("version"), n, text),
        "endpoint": _text_col(einst.get("endpoint"), n),
        "replica_of": _text_col(einst.get("replica_of"), n),
        "resource_ids": resource_ids,
        "volume_type": _category(vol.get("type"), n, text),
        "volume_original_gb": _floats(vol.get("original_size"), n, num),
        "volume_target_gb": _floats(vol.get("target_size"), n, num),
        "public_ip": _text_col(ent.get("public_ip"), n),
        "switch_strategy": _text_col(ent.get("switch_strategy"), n),
        "fail_reason": _text_col(job.get("fail_reason"), n),
        "extra": extra,
    }


_STRICT_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$"


def _times(arr: pa.Array | None, n: int, ctx: dict[str, Any]) -> pd.Series:
    """The API's own format parsed by arrow; anything else by the shared pandas parser."""
    if arr is None or pa.types.is_null(arr.type):
        return ctx["parse_times"]([None] * n)
    if not pa.types.is_string(arr.type):
        raise _Fallback("non-text timestamp")
    s = pc.utf8_trim_whitespace(arr)
    strict = pc.fill_null(pc.match_substring_regex(s, _STRICT_TIME), False)
    fast = pc.strptime(
        pc.if_else(strict, s, pa.scalar(None, pa.string())),
        format="%Y-%m-%dT%H:%M:%S%z",
        unit="ns",
        error_is_null=True,
    )
    nat = np.iinfo(np.int64).min
    ints = pc.fill_null(fast.cast(pa.int64()), nat).to_numpy().copy()
    rest = np.flatnonzero(np.asarray(pc.and_(pc.is_valid(s), pc.is_null(fast))))
    if len(rest):
        sub = pd.Series(pd.array(s.take(pa.array(rest)), dtype=pd.StringDtype("pyarrow")))
        ints[rest] = ctx["parse_strings"](sub).dt.tz_localize(None).to_numpy().view(np.int64)
    return pd.Series(pd.DatetimeIndex(ints.view("M8[ns]")).tz_localize("UTC"))

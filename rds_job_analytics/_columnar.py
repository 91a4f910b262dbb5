"""Columnar fast path of :func:`normalize_jobs` for raw JSON bytes.

pyarrow's multi-threaded JSON reader decodes the JSON Lines straight into columns,
block by block, on its own threads, while this thread cleans the blocks already
decoded (one helper thread waits on the reader without holding the GIL). The
cleaning is column-wise: the API's own timestamp layout and the whitespace checks
run in numpy over the raw UTF-8 bytes; Python's ``str.strip``/``str.split`` are
applied only to the few values that can hold whitespace; the per-record cleaners run
once per *distinct* value of low-cardinality columns. The parts are put together once
at the end.

Whenever the input holds something this path cannot reproduce exactly (a type
conflict, a non-string where text is expected, a nested unknown object, an invalid
record, a padded and a clean key both set...) it returns ``None`` and the caller uses
the per-record path, so both paths always give identical frames. Run it under
:func:`lean_memory`.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

__all__ = ["normalize_columnar"]

_SCALAR_EXTRA = (pa.types.is_string, pa.types.is_int64, pa.types.is_boolean)


def _obj(*fields: pa.Field) -> pa.DataType:
    return pa.struct(list(fields))


def _text(*names: str) -> list[pa.Field]:
    return [pa.field(name, pa.string()) for name in names]


# The documented job as the reader's schema: no type inference for known fields, and
# timestamps stay text (arrow would infer its own timestamp type). A value of another
# type fails the read, which hands over to the per-record path. Unknown keys are inferred.
_EXPLICIT = pa.schema(
    [
        pa.field(
            "job",
            _obj(
                *_text("id", "name", "status", "created", "ended", "process", "progress"),
                *_text("fail_reason"),
                pa.field("instance", _obj(*_text("id", "name"))),
                pa.field(
                    "entities",
                    _obj(
                        pa.field(
                            "instance",
                            _obj(
                                *_text("endpoint", "type", "replica_of"),
                                pa.field("datastore", _obj(*_text("type", "version"))),
                            ),
                        ),
                        pa.field("resource_ids", pa.list_(pa.string())),
                        pa.field("volume", _obj(*_text("type", "original_size", "target_size"))),
                        *_text("public_ip", "switch_strategy"),
                    ),
                ),
            ),
        )
    ]
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
                    self.twins[name] = children  # merged where used: get() and text()
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

    def text(self, name: str, n: int) -> pa.Array:
        """A text field as one string array (all nulls when absent)."""
        arr = self.get(name)
        if arr is None or pa.types.is_null(arr.type):
            return pa.nulls(n, pa.string())
        if not pa.types.is_string(arr.type):
            raise _Fallback(f"text field {name!r} of type {arr.type}")
        return arr


def _string_parts(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data bytes) of a string array, as numpy views (no copy)."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = bufs[2]
    return offsets, (np.frombuffer(data, dtype=np.uint8) if data else np.zeros(1, np.uint8))


# UTF-8 bytes a whitespace character (str.isspace) can start or end with.
_WS_CHARS = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
_WS_FIRST = np.zeros(256, dtype=bool)
_WS_LAST = np.zeros(256, dtype=bool)
for _c in _WS_CHARS:
    _b = _c.encode()
    _WS_FIRST[_b[0]] = _WS_LAST[_b[-1]] = True


def _chunks(arr: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]


def _per_chunk(arr: pa.Array | pa.ChunkedArray, f: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """``f`` (one numpy value per row) over the chunks, concatenated."""
    parts = [f(c) for c in _chunks(arr)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _python_fix(
    arr: pa.Array | pa.ChunkedArray, mask: np.ndarray, fix: Callable[[str], str | None]
) -> pa.Array | pa.ChunkedArray:
    """Replace the masked values by ``fix(value)``, computed in Python (they are few)."""
    if not mask.any():
        return arr
    out, lo = [], 0
    for chunk in _chunks(arr):
        part = mask[lo : lo + len(chunk)]
        lo += len(chunk)
        if part.any():
            pmask = pa.array(part)
            fixed = pa.array([fix(v) for v in chunk.filter(pmask).to_pylist()], pa.string())
            chunk = pc.replace_with_mask(chunk, pmask, fixed)
        out.append(chunk)
    return pa.chunked_array(out, type=arr.type) if isinstance(arr, pa.ChunkedArray) else out[0]


def _strip_candidates(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Valid values that may need ``str.strip()`` or are empty (a superset, never fewer)."""
    return _per_chunk(arr, _strip_candidates_1)


def _strip_candidates_1(arr: pa.Array) -> np.ndarray:
    offsets, data = _string_parts(arr)
    starts, ends = offsets[:-1], offsets[1:]
    empty = ends == starts
    nonempty = ~empty
    cand = empty.copy()
    cand[nonempty] = _WS_FIRST[data[starts[nonempty]]] | _WS_LAST[data[ends[nonempty] - 1]]
    if arr.null_count:
        cand &= np.asarray(arr.is_valid())
    return cand


def _stripped(value: str) -> str | None:
    return value.strip() or None


def _text_col(arr: pa.Array | None, n: int) -> pa.Array:
    """``str.strip()``, empty -> null; only the values that can need it are touched."""
    if arr is None or pa.types.is_null(arr.type):
        return pa.nulls(n, pa.string())
    if not pa.types.is_string(arr.type):
        raise _Fallback(f"text field of type {arr.type}")
    return _python_fix(arr, _strip_candidates(arr), _stripped)


def _no_whitespace(value: str) -> str:
    return "".join(value.split())


def _clean_ids(ids: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """All whitespace removed (as ``"".join(id.split())``), computed where it can occur."""
    return _python_fix(ids, _per_chunk(ids, _odd_rows), _no_whitespace)


def _odd_rows(ids: pa.Array) -> np.ndarray:
    """Rows holding a byte <= 0x20 or >= 0x80: the only ones that can hold whitespace."""
    offsets, data = _string_parts(ids)
    rows = np.zeros(len(ids), dtype=bool)
    body = data[offsets[0] : offsets[-1]]
    odd = np.flatnonzero(body - np.uint8(0x21) >= np.uint8(0x5F))  # outside 0x21..0x7f
    if len(odd):
        rows[np.searchsorted(offsets, odd + offsets[0], side="right") - 1] = True
    return rows


def _by_distinct(
    arr: pa.Array | pa.ChunkedArray, n: int, clean: Callable[[Any], Any]
) -> tuple[list, np.ndarray]:
    """Apply ``clean`` once per distinct value; returns (cleaned values, codes or -1)."""
    if pa.types.is_null(arr.type):
        return [], np.full(n, -1, dtype=np.int64)
    if not _is_text(arr.type):
        raise _Fallback(f"text field of type {arr.type}")
    chunks = _chunks(pc.dictionary_encode(arr))  # one dictionary shared by all chunks
    if not chunks:
        return [], np.full(n, -1, dtype=np.int64)
    codes = pa.chunked_array([c.indices for c in chunks], type=chunks[0].indices.type)
    codes = np.asarray(pc.fill_null(codes, -1).to_numpy(), dtype=np.int64)
    return [clean(v) for v in chunks[-1].dictionary.to_pylist()], codes


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


def _jemalloc() -> pa.MemoryPool | None:
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - builds without jemalloc
        return None


try:  # numpy's switch for its huge-page advice (also NUMPY_MADVISE_HUGEPAGE=0)
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # pragma: no cover - other numpy layouts: leave numpy as it is
    _set_madvise_hugepage = None


_LEAN_LOCK = threading.Lock()
_lean_depth = 0
_lean_saved: tuple[Any, Any, bool] | None = None


@contextlib.contextmanager
def lean_memory() -> Iterator[None]:
    """Allocator settings for building a large frame; all restored on exit.

    Building a frame allocates a few hundred MB of fresh memory in large blocks and
    many small objects. Three defaults make that slow, measured on the benchmark
    machine (2 cores, transparent huge pages in ``madvise`` mode):

    * arrow's mimalloc pool hands memory back to the OS eagerly and refaults it: the
      JSON reader spent ~1 s in the kernel (jemalloc: 2.1 s -> 1.4 s for 1M records);
    * numpy advises huge pages for arrays >= 4 MB, and each huge-page fault was ~5x
      dearer per byte than small pages (``np.ones(50_000_000)``: 0.87 s -> 0.16 s);
    * the cyclic GC runs full collections while millions of objects are made, though
      no cycles are (the per-record path: 3-4x faster without).

    The settings are process-wide: the first of concurrent callers applies them and the
    last one restores them. Other threads meanwhile only see other allocation advice.
    """
    global _lean_depth, _lean_saved
    with _LEAN_LOCK:
        if _lean_depth == 0:
            pool = _jemalloc()
            _lean_saved = (
                pa.default_memory_pool() if pool is not None else None,
                _set_madvise_hugepage(False) if _set_madvise_hugepage else None,
                gc.isenabled(),
            )
            gc.disable()
            if pool is not None:
                pa.set_memory_pool(pool)
        _lean_depth += 1
    try:
        yield
    finally:
        with _LEAN_LOCK:
            _lean_depth -= 1
            if _lean_depth == 0 and _lean_saved is not None:
                old_pool, old_hp, gc_was_enabled = _lean_saved
                _lean_saved = None
                if old_pool is not None:
                    pa.set_memory_pool(old_pool)
                if old_hp is not None and _set_madvise_hugepage:
                    _set_madvise_hugepage(old_hp)
                if gc_was_enabled:
                    gc.enable()


def normalize_columnar(blobs: list[bytes], ctx: dict[str, Any]) -> dict[str, Any] | None:
    """Columns (as the per-record path would build them) or None to fall back.

    ``ctx`` carries the per-record cleaners so both paths share one definition.
    Run it under :func:`lean_memory` for speed. The reader decodes the next blocks
    on its threads while this thread cleans the blocks already decoded.
    """
    n = len(blobs)
    lens = np.fromiter(map(len, blobs), dtype=np.int64, count=n)
    if not n or (lens == 0).any():
        return None
    buf = b"\n".join(blobs)
    # The reader skips blank lines and takes values side by side on one line, so a
    # blob only maps to one row if it starts a JSON object and the row count is n.
    starts = np.cumsum(lens + 1) - (lens + 1)
    if not (np.frombuffer(buf, dtype=np.uint8)[starts] == ord("{")).all():
        return None
    options = {
        "read_options": pj.ReadOptions(block_size=_BLOCK_SIZE),
        "parse_options": pj.ParseOptions(
            explicit_schema=_EXPLICIT, unexpected_field_behavior="infer"
        ),
    }
    whole = pa.py_buffer(buf)
    parts: list[dict[str, Any]] = []
    done = 0  # rows cleaned so far
    while done < n:
        rest = whole.slice(int(starts[done]))
        if hasattr(pj, "open_json"):  # pyarrow >= 20
            grew = _stream_parts(rest, options, ctx, parts)
        else:
            grew = _table_parts(rest, options, ctx, parts)
        if grew is None:
            return None
        now = sum(len(p["job_id"]) for p in parts)
        if grew and now == done:  # not even its first block: the whole-table reader
            if _table_parts(rest, options, ctx, parts) is None:
                return None
            grew, now = False, sum(len(p["job_id"]) for p in parts)
        if (not grew and now != n) or now > n:  # rows and blobs do not pair up
            return None
        done = now
    return _assemble(parts, n, ctx)


_READ_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


def _stream_parts(
    buf: pa.Buffer, options: dict[str, Any], ctx: dict[str, Any], parts: list[dict[str, Any]]
) -> bool | None:
    """Clean blocks into ``parts`` as the streaming reader decodes them ahead.

    Returns False when all of ``buf`` is read, True when a block brought a key (or a
    type) the first block did not have, which ends a streaming reader: the caller
    starts a new one there. None: give up.
    """
    try:
        reader = pj.open_json(pa.BufferReader(buf), **options)
    except _READ_ERRORS:
        return None
    if reader.schema.names != ["job"]:
        return None
    try:
        with contextlib.closing(_prefetched(reader)) as batches:
            for batch in batches:
                if batch.num_rows and not _clean_into(parts, batch.column(0), ctx):
                    return None
    except _READ_ERRORS:
        return True
    return False


def _clean_into(parts: list[dict[str, Any]], job: pa.Array, ctx: dict[str, Any]) -> bool:
    """Append the cleaned columns of one block; False when the fast path must give up."""
    try:
        parts.append(_columns(job, len(job), ctx))
    except (_Fallback, pa.ArrowException):  # any surprise: the per-record path decides
        return False
    return True


def _table_parts(
    buf: pa.Buffer, options: dict[str, Any], ctx: dict[str, Any], parts: list[dict[str, Any]]
) -> bool | None:
    """The whole-table reader (its schema grows block by block), cleaned chunk-wise.

    Returns False when done, None to give up (the same contract as _stream_parts).
    """
    try:
        table = pj.read_json(buf, **options)
    except _READ_ERRORS:
        return None
    if table.schema.names != ["job"]:
        return None
    for chunk in table.column(0).chunks:
        if len(chunk) and not _clean_into(parts, chunk, ctx):
            return None
    return False


def _prefetched(reader: pj.JSONStreamingReader, depth: int = 2) -> Iterator[pa.RecordBatch]:
    """The reader's batches, decoded ahead on a helper thread (its errors re-raised here).

    Decoding waits in arrow without the GIL, so it overlaps the Python cleaning of
    earlier batches. Leaving the loop early stops the helper after its current batch.
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def pump() -> None:
        try:
            for batch in reader:
                if not put(("batch", batch)):
                    return
        except Exception as exc:  # handed over to the consumer
            put(("error", exc))
            return
        put(("end", None))

    helper = threading.Thread(target=pump, name="rds-jobs-json-reader", daemon=True)
    helper.start()
    try:
        while True:
            kind, item = box.get()
            if kind == "batch":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        helper.join()


#: Bytes per block of the JSON reader (blocks are decoded in parallel).
_BLOCK_SIZE = 8 << 20

_TEXT_COLUMNS = (
    "job_id",
    "instance_id",
    "instance_name",
    "endpoint",
    "replica_of",
    "public_ip",
    "switch_strategy",
    "fail_reason",
)


def _assemble(parts: list[dict[str, Any]], n: int, ctx: dict[str, Any]) -> dict[str, Any]:
    """Per-batch parts -> the columns of all rows."""
    text = pd.StringDtype("pyarrow")
    out: dict[str, Any] = {}
    for name in _TEXT_COLUMNS:
        chunks = [c for p in parts for c in _chunks(p[name])]
        out[name] = pd.array(pa.chunked_array(chunks, type=pa.string()), dtype=text)
    # Low-cardinality columns: one dictionary over all blocks, cleaned once per value.
    text, num = ctx["text"], ctx["number"]
    categories: dict[str, Callable[[Any], Any]] = {
        "job_name": text,
        "status": ctx["status"],
        "instance_type": ctx["instance_type"],
        "engine": ctx["engine"],
        "engine_version": text,
        "volume_type": text,
    }
    numbers: dict[str, Callable[[Any], float]] = {
        "progress_pct": lambda v: num(v) if v else np.nan,
        "volume_original_gb": num,
        "volume_target_gb": num,
    }
    for table, build in ((categories, _category), (numbers, _floats)):
        for name, clean in table.items():
            chunks = [c for p in parts for c in _chunks(p[name])]
            out[name] = build(pa.chunked_array(chunks, type=pa.string()), n, clean)
    out["resource_ids"] = np.concatenate([p["resource_ids"] for p in parts])
    out["extra"] = np.concatenate([p["extra"] for p in parts])
    for name in ("created", "ended"):
        out[name] = _times_of([p[name] for p in parts], ctx)
    return out


def _columns(job_arr: pa.Array, n: int, ctx: dict[str, Any]) -> dict[str, Any]:
    if not pa.types.is_struct(job_arr.type) or job_arr.null_count:
        raise _Fallback("a record without a job object")
    extras: list[tuple[str, pa.Array]] = []
    job = _Struct(job_arr, ctx["job_keys"], "", extras)
    ids = job.get("id")
    if ids is None or not pa.types.is_string(ids.type) or ids.null_count:
        raise _Fallback("missing or non-text id")
    ids = _clean_ids(ids)
    if ids.null_count or _per_chunk(ids, lambda c: np.diff(_string_parts(c)[0]) == 0).any():
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
    if alt is not None and alt.null_count == len(alt):
        alt = None
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
            if pc.list_flatten(r).null_count:
                raise _Fallback("null inside resource_ids")
    if rids is not None and old is not None:
        rids = pc.coalesce(rids, old.cast(rids.type)) if not pa.types.is_null(rids.type) else old
    rids = rids if rids is not None else old
    resource_ids = np.full(n, None, dtype=object)
    if rids is not None and not pa.types.is_null(rids.type) and rids.null_count < n:
        valid = np.asarray(rids.is_valid())
        idx = np.flatnonzero(valid)
        lists = rids.filter(pa.array(valid))
        if isinstance(lists, pa.ChunkedArray):
            lists = lists.combine_chunks()
        flat = lists.flatten()
        items = _python_fix(flat, _strip_candidates(flat), str.strip).to_pylist()
        offsets = lists.offsets.to_numpy()
        offsets = offsets - offsets[0]
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

    return {
        "job_id": ids,
        "job_name": job.text("name", n),
        "status": job.text("status", n),
        "created": _times(job.get("created"), n),
        "ended": _times(job.get("ended"), n),
        "progress_pct": progress if progress is not None else pa.nulls(n, pa.string()),
        "instance_id": _text_col(inst.get("id"), n),
        "instance_name": _text_col(inst.get("name"), n),
        "instance_type": einst.text("type", n),
        "engine": ds.text("type", n),
        "engine_version": ds.text("version", n),
        "endpoint": _text_col(einst.get("endpoint"), n),
        "replica_of": _text_col(einst.get("replica_of"), n),
        "resource_ids": resource_ids,
        "volume_type": vol.text("type", n),
        "volume_original_gb": vol.text("original_size", n),
        "volume_target_gb": vol.text("target_size", n),
        "public_ip": _text_col(ent.get("public_ip"), n),
        "switch_strategy": _text_col(ent.get("switch_strategy"), n),
        "fail_reason": _text_col(job.get("fail_reason"), n),
        "extra": extra,
    }


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _api_times(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Epoch ns of the values in the API's own ``YYYY-MM-DDTHH:MM:SS+hhmm`` layout.

    Returns (ns, mask): ``mask`` marks the values read here; they are exactly those
    whose every field is in range (a real date, hour <= 23, offset <= 14:59), so the
    shared pandas parser would read them the same. Everything else is left to it.
    """
    parts = [_api_times_1(c) for c in _chunks(arr)]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _api_times_1(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    n = len(arr)
    offsets, data = _string_parts(arr)
    ok = np.diff(offsets) == 24
    if arr.null_count:
        ok &= np.asarray(arr.is_valid())
    rows = np.flatnonzero(ok)
    ns = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    mask = np.zeros(n, dtype=bool)
    step = 1 << 16  # small blocks: temporaries stay in cache and in reused memory
    for lo in range(0, len(rows), step):
        part = rows[lo : lo + step]
        secs, good = _api_seconds(data, offsets[part])
        ns[part[good]] = secs[good] * 1_000_000_000
        mask[part[good]] = True
    return ns, mask


def _api_seconds(data: np.ndarray, st: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds and validity of the 24-byte values starting at ``st``."""
    byte = {k: data[st + k] for k in range(24)}
    digit = {}
    good = np.ones(len(st), dtype=bool)
    for k in (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23):
        digit[k] = byte[k] - np.uint8(48)  # wraps above 9 for anything below '0'
        good &= digit[k] <= 9
    for k, ch in ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")):
        good &= byte[k] == ord(ch)
    minus = byte[19] == ord("-")
    good &= minus | (byte[19] == ord("+"))

    def num(*ks: int) -> np.ndarray:
        out = digit[ks[0]].astype(np.int64)
        for k in ks[1:]:
            out = out * 10 + digit[k]
        return out

    year, month, day = num(0, 1, 2, 3), num(5, 6), num(8, 9)
    hour, minute, second = num(11, 12), num(14, 15), num(17, 18)
    off_h, off_m = num(20, 21), num(22, 23)
    good &= (year >= 1700) & (year <= 2200) & (month >= 1) & (month <= 12) & (day >= 1)
    good &= (hour <= 23) & (minute <= 59) & (second <= 59) & (off_h <= 14) & (off_m <= 59)
    month[~good] = 1
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    good &= day <= _DAYS_IN_MONTH[month] + ((month == 2) & leap)
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    offset = off_h * 3600 + off_m * 60
    offset[minus] *= -1
    return days * 86400 + hour * 3600 + minute * 60 + second - offset, good


Times = tuple[np.ndarray, np.ndarray, pa.Array | pa.ChunkedArray | None]


def _times(arr: pa.Array | None, n: int) -> Times:
    """(epoch ns, rows left for pandas, their text): the API's own layout read in numpy."""
    if arr is None or pa.types.is_null(arr.type):
        return np.full(n, np.iinfo(np.int64).min, dtype=np.int64), np.zeros(n, bool), None
    if not pa.types.is_string(arr.type):
        raise _Fallback("non-text timestamp")
    ints, done = _api_times(arr)
    # Left for pandas: valid, non-empty values not read above ("" is NaT either way).
    todo = ~done & _per_chunk(arr, lambda c: np.diff(_string_parts(c)[0]) > 0)
    if arr.null_count:
        todo &= np.asarray(arr.is_valid())
    return ints, todo, (arr.filter(pa.array(todo)) if todo.any() else None)


def _times_of(parts: list[Times], ctx: dict[str, Any]) -> pd.Series:
    """Per-batch times -> one UTC column; the leftovers go through pandas in one call."""
    ints = np.concatenate([p[0] for p in parts])
    todo = np.concatenate([p[1] for p in parts])
    rest = np.flatnonzero(todo)
    if len(rest):
        chunks = [c for p in parts if p[2] is not None for c in _chunks(p[2])]
        picked = pa.chunked_array(chunks, type=pa.string())
        sub = pd.Series(pd.array(picked, dtype=pd.StringDtype("pyarrow")))
        ints[rest] = ctx["parse_strings"](sub).dt.tz_localize(None).to_numpy().view(np.int64)
    return pd.Series(ints.view("M8[ns]")).dt.tz_localize("UTC")

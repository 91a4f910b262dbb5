"""Text cleaning on arrow string arrays, exactly as ``str.strip``/``str.split`` would.

Python's string methods run only on the few values that can need them: the
candidates are found in numpy over the raw UTF-8 bytes (a value can only need
stripping if its first or last byte can start or end a whitespace character; an ID
can only hold whitespace if it has a byte outside 0x21..0x7f).

Examples
--------
>>> import pyarrow as pa
>>> stripped_text(pa.array([" a ", "b", "", None]), 4).to_pylist()
['a', 'b', None, None]
>>> without_whitespace(pa.array(["31 b8 - c6", "x"])).to_pylist()
['31b8-c6', 'x']
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._fields import no_whitespace

__all__ = [
    "WHITESPACE",
    "chunks",
    "per_chunk",
    "python_fix",
    "string_parts",
    "strip_candidates",
    "stripped_text",
    "without_whitespace",
]

#: Every character ``str.isspace()`` holds true for (a test compares it with a full scan
#: of the code points, so a new Unicode version cannot slip by).
WHITESPACE = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# UTF-8 bytes a whitespace character can start or end with.
_WS_FIRST = np.zeros(256, dtype=bool)
_WS_LAST = np.zeros(256, dtype=bool)
for _b in (c.encode() for c in WHITESPACE):
    _WS_FIRST[_b[0]] = _WS_LAST[_b[-1]] = True


def chunks(arr: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    """The chunks of a chunked array, or the array itself as one chunk."""
    return arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]


def per_chunk(arr: pa.Array | pa.ChunkedArray, f: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """``f`` (one numpy value per row) over the chunks, concatenated."""
    parts = [f(c) for c in chunks(arr)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def string_parts(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data bytes) of a string array, as numpy views (no copy)."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = bufs[2]
    return offsets, (np.frombuffer(data, dtype=np.uint8) if data else np.zeros(1, np.uint8))


def python_fix(
    arr: pa.Array | pa.ChunkedArray, mask: np.ndarray, fix: Callable[[str], str | None]
) -> pa.Array | pa.ChunkedArray:
    """Replace the masked values by ``fix(value)``, computed in Python (they are few)."""
    if not mask.any():
        return arr
    out, lo = [], 0
    for chunk in chunks(arr):
        part = mask[lo : lo + len(chunk)]
        lo += len(chunk)
        if part.any():
            pmask = pa.array(part)
            fixed = pa.array([fix(v) for v in chunk.filter(pmask).to_pylist()], pa.string())
            chunk = pc.replace_with_mask(chunk, pmask, fixed)
        out.append(chunk)
    return pa.chunked_array(out, type=arr.type) if isinstance(arr, pa.ChunkedArray) else out[0]


def strip_candidates(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Valid values that may need ``str.strip()`` or are empty (a superset, never fewer)."""
    return per_chunk(arr, _strip_candidates_1)


def _strip_candidates_1(arr: pa.Array) -> np.ndarray:
    offsets, data = string_parts(arr)
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


def stripped_text(arr: pa.Array | pa.ChunkedArray | None, n: int) -> pa.Array | pa.ChunkedArray:
    """``str.strip()``, empty -> null; only the values that can need it are touched.

    Raises TypeError for a column that is not text (the caller falls back).
    """
    if arr is None or pa.types.is_null(arr.type):
        return pa.nulls(n, pa.string())
    if not pa.types.is_string(arr.type):
        raise TypeError(f"text field of type {arr.type}")
    return python_fix(arr, strip_candidates(arr), _stripped)


def _odd_rows(arr: pa.Array) -> np.ndarray:
    """Rows holding a byte <= 0x20 or >= 0x80: the only ones that can hold whitespace."""
    offsets, data = string_parts(arr)
    rows = np.zeros(len(arr), dtype=bool)
    body = data[offsets[0] : offsets[-1]]
    odd = np.flatnonzero(body - np.uint8(0x21) >= np.uint8(0x5F))  # outside 0x21..0x7f
    if len(odd):
        rows[np.searchsorted(offsets, odd + offsets[0], side="right") - 1] = True
    return rows


def without_whitespace(
    arr: pa.Array | pa.ChunkedArray, *, empty_to_null: bool = False
) -> pa.Array | pa.ChunkedArray:
    """Every whitespace character removed (``"".join(v.split())``), computed only where
    whitespace can occur; with ``empty_to_null``, values left empty become null."""
    mask = per_chunk(arr, _odd_rows)
    if empty_to_null:
        mask |= per_chunk(arr, _empty_rows)
    return python_fix(arr, mask, _joined_or_none if empty_to_null else _joined)


def _empty_rows(arr: pa.Array) -> np.ndarray:
    empty = np.diff(string_parts(arr)[0]) == 0
    return empty & np.asarray(arr.is_valid()) if arr.null_count else empty


def _joined(value: str) -> str:
    return no_whitespace(value)


def _joined_or_none(value: str) -> str | None:
    return no_whitespace(value) or None

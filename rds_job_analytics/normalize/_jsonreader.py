"""The columnar path's JSON reader: blobs -> arrow blocks, decoded ahead on a helper thread.

pyarrow's streaming reader (``open_json``) decodes one block at a time on a helper
thread that waits inside arrow without the GIL, while the caller's ``clean`` runs on
the blocks already decoded: the reader uses one core and the cleaning the other.

Examples
--------
>>> import pyarrow as pa
>>> schema = pa.schema([pa.field("job", pa.struct([pa.field("id", pa.string())]))])
>>> parts = read_blocks([b'{"job": {"id": "a"}}', b'{"job": {"id": "b"}}'], schema, "job",
...                     lambda block: block.field("id").to_pylist())
>>> parts
[['a', 'b']]
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

__all__ = ["read_blocks"]

#: Bytes per block of the JSON reader.
BLOCK_SIZE = 8 << 20

#: Blobs that may nest deeper than this go to the per-record path. The reader recurses
#: per nesting level on its threads' stacks: a value nested ~7,000 deep overflows an
#: 8 MB stack and the process dies (no exception to catch). Job records nest 5 levels,
#: and anything nested deeper than 6 falls back anyway (an unknown object), so this
#: only has to be far below the crash. Only blobs longer than it are scanned (none of
#: the sample's, which are 620 bytes at most).
MAX_READER_DEPTH = 1024

_READ_ERRORS = (
    pa.ArrowInvalid,
    pa.ArrowNotImplementedError,
    pa.ArrowTypeError,
    UnicodeDecodeError,
)

Clean = Callable[[pa.StructArray], Any]


def read_blocks(
    blobs: list[bytes], schema: pa.Schema, wrap: str | None, clean: Clean
) -> list[Any] | None:
    """``clean(block)`` for every block of rows, in order, one row per blob; or None.

    Parameters
    ----------
    blobs : list of bytes
        One JSON object each (compact or pretty-printed).
    schema : pyarrow.Schema
        The reader's explicit schema; keys outside it are inferred.
    wrap : str or None
        The one top-level key every row has (``"job"``): the block is that column.
        None: the rows themselves are the objects (bare jobs).
    clean : callable
        Takes a block (a struct array), returns its part (anything with ``len``), or
        None to give up.

    Returns None whenever the rows cannot be paired with the blobs exactly, a block
    cannot be read, or ``clean`` gave up: the caller then uses the per-record path.
    """
    n = len(blobs)
    lens = np.fromiter(map(len, blobs), dtype=np.int64, count=n)
    if not n or (lens == 0).any():
        return None
    if _may_nest_deeper(blobs, lens, MAX_READER_DEPTH):
        return None
    buf = b"\n".join(blobs)
    if not _valid_utf8(buf):  # the reader copies invalid UTF-8 into its strings
        return None
    # The reader skips blank lines and takes values side by side on one line, so a
    # blob only maps to one row if it starts a JSON object and the row count is n.
    starts = np.cumsum(lens + 1) - (lens + 1)
    if not (np.frombuffer(buf, dtype=np.uint8)[starts] == ord("{")).all():
        return None
    # Pretty-printed blobs hold newlines inside objects: blocks must then be cut at
    # object ends, not at the last newline (valid JSON has no raw newline in a string).
    # A batch comes from one producer, so its ends tell (counting every newline costs
    # 10% of the run); a pretty blob in a compact-looking batch fails the read of its
    # block and the batch falls back, never a wrong row.
    pretty = b"\n" in blobs[0] or b"\n" in blobs[-1]
    options = {
        "read_options": pj.ReadOptions(block_size=BLOCK_SIZE),
        "parse_options": pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="infer", newlines_in_values=pretty
        ),
    }
    reader = _Reader(options, wrap, clean)
    whole = pa.py_buffer(buf)
    done = 0  # rows cleaned so far
    while done < n:
        rest = whole.slice(int(starts[done]))
        grew = reader.stream(rest) if hasattr(pj, "open_json") else reader.table(rest)
        if grew is None:
            return None
        if grew and reader.rows == done:  # not even its first block: the whole-table reader
            if reader.table(rest) is None:
                return None
            grew = False
        if (not grew and reader.rows != n) or reader.rows > n:  # rows and blobs do not pair up
            return None
        done = reader.rows
    return reader.parts


def _may_nest_deeper(blobs: list[bytes], lens: np.ndarray, limit: int) -> bool:
    """Whether a blob may nest deeper than ``limit``: it has more opening brackets.

    Only blobs longer than ``limit`` bytes can (an array of ``limit`` levels takes that
    many ``[``), so a batch of short records costs one comparison per blob.
    """
    for i in np.flatnonzero(lens > limit):
        b = blobs[i]
        if b.count(b"{") + b.count(b"[") > limit:
            return True
    return False


def _valid_utf8(buf: bytes) -> bool:
    """Whether ``buf`` is valid UTF-8 (no surrogates, no overlong forms), checked by
    arrow without a copy (~45 ms for 360 MB)."""
    offsets = pa.py_buffer(np.array([0, len(buf)], dtype=np.int64).tobytes())
    whole = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(buf)])
    try:
        whole.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


class _Reader:
    """Cleaned parts so far, and the two ways of reading more."""

    def __init__(self, options: dict[str, Any], wrap: str | None, clean: Clean) -> None:
        self.options, self.wrap, self.clean = options, wrap, clean
        self.parts: list[Any] = []
        self.rows = 0

    def _names_ok(self, schema: pa.Schema) -> bool:
        return self.wrap is None or schema.names == [self.wrap]

    def _take(self, block: pa.StructArray) -> bool:
        part = self.clean(block)
        if part is None:
            return False
        self.parts.append(part)
        self.rows += len(block)
        return True

    def _block(self, batch: pa.RecordBatch) -> pa.StructArray:
        return batch.column(0) if self.wrap is not None else batch.to_struct_array()

    def stream(self, buf: pa.Buffer) -> bool | None:
        """Clean blocks as the streaming reader decodes them ahead.

        Returns False when all of ``buf`` is read, True when a block brought a key (or
        a type) the first block did not have, which ends a streaming reader: the
        caller starts a new one there. None: give up.
        """
        try:
            reader = pj.open_json(pa.BufferReader(buf), **self.options)
        except _READ_ERRORS:
            return None
        if not self._names_ok(reader.schema):
            return None
        try:
            with contextlib.closing(_prefetched(reader)) as batches:
                for batch in batches:
                    if batch.num_rows and not self._take(self._block(batch)):
                        return None
        except _READ_ERRORS:
            return True
        return False

    def table(self, buf: pa.Buffer) -> bool | None:
        """The whole-table reader (its schema grows block by block), cleaned chunk-wise.

        Returns False when done, None to give up (the same contract as :meth:`stream`).
        """
        try:
            table = pj.read_json(buf, **self.options)
        except _READ_ERRORS:
            return None
        if not self._names_ok(table.schema):
            return None
        for batch in table.to_batches():
            if batch.num_rows and not self._take(self._block(batch)):
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

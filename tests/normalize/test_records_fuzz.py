"""Property-based fuzzing of both normalizer paths (issue #14).

Random job records (types, sizes, nesting, timestamp layouts) and mutated sample
records, written as JSON bytes in several ways (ASCII escapes, pretty-printed) and
then damaged at the byte level (invalid UTF-8, lone surrogate escapes, truncation,
deep nesting), are put into a batch large enough for the columnar path. Checked:
``normalize_jobs(errors="warn")`` never raises; one row per record that ``parse_job``
accepts; the same frame, skipped records and warnings from both paths; the frame is
sound (schema dtypes, ``repr``, CSV and Parquet).

The default run is bounded (``FUZZ_EXAMPLES``, 20 per test: ``make check`` runs it); the
``slow`` runs (``make test``) take 2,000 random batches and 300 batches of mutated sample
records. A long run by hand: ``FUZZ_EXAMPLES=20000 pytest tests/normalize/test_records_fuzz.py
-k default -p no:randomly --hypothesis-seed=1``.
"""

from __future__ import annotations

import io
import json
import os
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import rds_job_analytics.normalize._records as norm
from rds_job_analytics import JOB_SCHEMA, InvalidRecordError, InvalidRecordWarning, parse_job
from rds_job_analytics.sample import _read_lines

SAMPLE = _read_lines()
BATCH = norm.COLUMNAR_MIN_ROWS  # filler plus the fuzzed records: the columnar path's size

# -- values --------------------------------------------------------------------------------
WHITESPACE = st.sampled_from([" ", "\t", "\u3000", "\xa0", "\n", ""])
texts = st.text(max_size=10)
padded = st.builds(lambda a, t, b: a + t + b, WHITESPACE, texts, WHITESPACE)


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    """ISO-ish times, in range or not, in the API's layout and others, and words."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["now", "today", "NOW", "", " ", "NaT", "junk", "1e3"]))
    year = draw(st.sampled_from([1, 1677, 1678, 1700, 1969, 2026, 2200, 2262, 2263, 9999]))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    hour, minute, second = (
        draw(st.integers(0, 25)),
        draw(st.integers(0, 61)),
        draw(st.integers(0, 61)),
    )
    sep = draw(st.sampled_from(["T", "t", " "]))
    frac = draw(st.sampled_from(["", ".5", ".123456", ".123456789"]))
    offset = draw(
        st.sampled_from(["+0000", "+0800", "-0530", "+08:00", "Z", "z", "", "+2400", "+1500"])
    )
    pad = draw(st.sampled_from(["", " "]))
    return f"{pad}{year:04d}-{month:02d}-{day:02d}{sep}{hour:02d}:{minute:02d}:{second:02d}{frac}{offset}{pad}"


sizes = st.one_of(
    st.sampled_from(["1e3", "1,024", "40", "40 GB", "60%", "60 % ", "1,02", "1.024,5", "abc5", "nan", "-0"]),
    st.from_regex(r"[ ]?[-+]?[0-9,.eE]{1,8}[ %GBgb]{0,3}", fullmatch=True),
)  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),  # NaN and infinities are written as JSON that is not JSON
    texts,
    padded,
    timestamps(),
    sizes,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=6,
)
ids = st.one_of(
    st.text("0123456789abcdef", min_size=32, max_size=32),
    st.builds(
        lambda a, b: a + " " + b, st.text("0123456789abcdef-", min_size=1, max_size=8), texts
    ),
    st.just(""),
    st.just(" "),
    st.none(),
    st.integers(),
)


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The field's own kind of value, or anything."""
    return st.one_of(strategy, strategy, values)


def objects(**optional: st.SearchStrategy) -> st.SearchStrategy:
    """An object with any subset of these keys, or anything in its place."""
    return maybe(st.fixed_dictionaries({}, optional=optional))


volume = objects(type=maybe(padded), original_size=maybe(sizes), target_size=maybe(sizes))
datastore = objects(type=maybe(padded), version=maybe(padded))
entity_instance = objects(type=maybe(padded), endpoint=maybe(padded), datastore=datastore)
entities = objects(
    volume=volume,
    instance=entity_instance,
    resource_ids=maybe(st.lists(padded, max_size=3)),
    resource_id=maybe(st.lists(padded, max_size=3)),
    public_ip=maybe(padded),
    flavor_ref=values,
)
job_objects = st.fixed_dictionaries(
    {"id": ids},
    optional={
        "name": maybe(padded),
        "status": maybe(st.sampled_from(["Running", "Completed", "complete", "FAILED", "Pending"])),
        " status": maybe(st.sampled_from(["Running", "Failed"])),
        "created": maybe(timestamps()),
        "ended": maybe(timestamps()),
        "process": maybe(sizes),
        "progress": maybe(sizes),
        "fail_reason": maybe(padded),
        "instance": objects(id=maybe(padded), name=maybe(padded)),
        "entities": entities,
        "unknown": values,
    },
)
task_objects = st.fixed_dictionaries(
    {"id": ids, "create_time": maybe(timestamps())},
    optional={
        "name": maybe(padded),
        "status": maybe(st.sampled_from(["Running", "Completed", "Failed"])),
        "end_time": maybe(timestamps()),
        "process": maybe(sizes),
        "instance_id": maybe(padded),
        "instance_status": maybe(padded),
        "order_id": maybe(padded),
    },
)


@st.composite
def mutated_samples(draw: st.DrawFn) -> dict:
    """A real sample record with some fields replaced (keeps the fast path in play)."""
    record = json.loads(draw(st.sampled_from(SAMPLE)))
    job = record["job"]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([("created",), ("ended",), ("name",), ("status",), ("process",),
                                     ("fail_reason",), ("instance", "name"), ("id",),
                                     ("entities", "volume", "original_size")]))  # fmt: skip
        value = draw(st.one_of(timestamps(), sizes, padded, values))
        target = job
        for key in path[:-1]:
            target = target.setdefault(key, {}) if isinstance(target.get(key), dict | None) else {}
        target[path[-1]] = value
    return record


@st.composite
def records(draw: st.DrawFn) -> object:
    kind = draw(st.sampled_from(["wrapped", "wrapped", "bare", "task", "sample", "sample"]))
    if kind == "sample":
        return draw(mutated_samples())
    if kind == "task":
        return draw(task_objects)
    job = draw(job_objects)
    return {"job": job} if kind == "wrapped" else job


# -- bytes ---------------------------------------------------------------------------------
BAD_BYTES = [b"\xff", b"\xc3", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\x1f"]


@st.composite
def blobs(draw: st.DrawFn) -> bytes:
    """A record written as JSON one of several ways, perhaps damaged."""
    record = draw(records())
    raw = json.dumps(
        record,
        ensure_ascii=draw(st.booleans()),
        indent=draw(st.sampled_from([None, None, None, 2])),
    ).encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(["none"] * 6 + ["byte", "escape", "truncate", "deep", "lines"]))
    quotes = [i for i, b in enumerate(raw) if b == ord('"')]
    at = draw(st.sampled_from(quotes)) + 1 if quotes else len(raw) // 2
    if damage == "byte":
        raw = raw[:at] + draw(st.sampled_from(BAD_BYTES)) + raw[at:]
    elif damage == "escape":
        raw = (
            raw[:at] + draw(st.sampled_from([b"\\ud800", b"\\udfff", b"\\ud83d\\ude00"])) + raw[at:]
        )
    elif damage == "truncate":
        raw = raw[: draw(st.integers(1, max(1, len(raw) - 1)))]
    elif damage == "deep":
        depth = draw(st.sampled_from([5, 60, norm.MAX_DEPTH - 3, norm.MAX_DEPTH, 300, 1100]))
        deep = b'"deep": ' + b"[" * depth + b"1" + b"]" * depth + b", "
        brace = raw.rfind(b"{")
        raw = raw[: brace + 1] + deep + raw[brace + 1 :] if brace >= 0 else raw
    elif damage == "lines":
        raw = raw.replace(b", ", b",\n", 1)
    return raw


# -- the property --------------------------------------------------------------------------
def _normalize(batch: list[bytes], *, per_record: bool) -> tuple[pd.DataFrame, list[str]]:
    old, columnar = norm.COLUMNAR_MIN_ROWS, norm.normalize_columnar

    def spy(blobs: list[bytes]) -> object:
        cols = columnar(blobs)
        event("columnar path" if cols is not None else "columnar path fell back")
        return cols

    norm.COLUMNAR_MIN_ROWS = 10**9 if per_record else old
    norm.normalize_columnar = spy
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = norm.normalize_jobs(batch, errors="warn")
    finally:
        norm.COLUMNAR_MIN_ROWS, norm.normalize_columnar = old, columnar
    return df, [str(w.message) for w in caught if issubclass(w.category, InvalidRecordWarning)]


def _accepted(raw: bytes) -> bool:
    try:
        parse_job(raw)
    except InvalidRecordError:
        return False
    return True


def check_batch(fuzzed: list[bytes], positions: list[int]) -> None:
    batch = list(SAMPLE[: BATCH - len(fuzzed)])
    for raw, pos in zip(fuzzed, positions, strict=True):
        batch.insert(pos % (len(batch) + 1), raw)
    fast, fast_warned = _normalize(batch, per_record=False)
    slow, slow_warned = _normalize(batch, per_record=True)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs["skipped_records"] == slow.attrs["skipped_records"]
    assert fast_warned == slow_warned
    assert len(fast) == sum(map(_accepted, batch))
    assert {c: str(t) for c, t in fast.dtypes.items()} == {c: str(t) for c, t in JOB_SCHEMA.items()}
    repr(fast)
    plain = fast.drop(columns=["extra", "resource_ids"])
    plain.to_csv(io.StringIO())
    plain.to_parquet(io.BytesIO())


batches = st.lists(blobs(), min_size=1, max_size=6)
places = st.lists(st.integers(0, BATCH), min_size=6, max_size=6)
_FUZZ = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
# make check's share (about 0.1 s an example); the slow tests below run the long ones
DEFAULT_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))


@settings(max_examples=DEFAULT_EXAMPLES, **_FUZZ)
@given(fuzzed=batches, positions=places)
def test_fuzzed_batches_default(fuzzed, positions):
    check_batch(fuzzed, positions[: len(fuzzed)])


@settings(max_examples=DEFAULT_EXAMPLES, **_FUZZ)
@given(fuzzed=st.lists(mutated_samples().map(lambda r: json.dumps(r).encode()), min_size=1,
                       max_size=6), positions=places)  # fmt: skip
def test_fuzzed_sample_records_default(fuzzed, positions):
    """Mostly valid records: the fast path itself has to match, not only its fallback."""
    check_batch(fuzzed, positions[: len(fuzzed)])


@pytest.mark.slow
@settings(max_examples=2000, **_FUZZ)
@given(fuzzed=batches, positions=places)
def test_fuzzed_batches_long(fuzzed, positions):
    check_batch(fuzzed, positions[: len(fuzzed)])


@pytest.mark.slow
@settings(max_examples=300, **_FUZZ)
@given(fuzzed=st.lists(mutated_samples().map(lambda r: json.dumps(r).encode()), min_size=1,
                       max_size=6), positions=places)  # fmt: skip
def test_fuzzed_sample_records_long(fuzzed, positions):
    """The mostly valid records of the default test, at length (make test)."""
    check_batch(fuzzed, positions[: len(fuzzed)])

"""The columnar fast path gives exactly the per-record path's frame, or falls back."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rds_job_analytics import normalize_jobs
from rds_job_analytics.normalize._columnar import normalize_columnar
from rds_job_analytics.normalize._records import _build_frame, _parse_all, frame_from_columns
from rds_job_analytics.sample import _read_lines
from tests.conftest import EXAMPLES


def per_record(blobs):
    return _build_frame(_parse_all(blobs, "raise", []))


def columnar(blobs):
    cols = normalize_columnar(blobs)
    assert cols is not None, "fast path fell back"
    return frame_from_columns(cols)


def sample_lines():
    return _read_lines()


def test_sample_identical_on_both_paths():
    blobs = sample_lines()
    pd.testing.assert_frame_equal(columnar(blobs), per_record(blobs))


def test_golden_examples_identical_on_both_paths():
    blobs = [
        json.dumps(json.loads(p.read_text())).encode() for p in sorted(EXAMPLES.glob("*.json"))
    ]
    pd.testing.assert_frame_equal(columnar(blobs), per_record(blobs))
    assert columnar(blobs)["job_id"].nunique() == 1  # the spaced IDs are repaired


def test_normalize_jobs_uses_fast_path_for_many_bytes(monkeypatch):
    calls = []
    import rds_job_analytics.normalize._records as norm

    real = norm.normalize_columnar
    monkeypatch.setattr(norm, "normalize_columnar", lambda b: calls.append(1) or real(b))
    blobs = sample_lines()[:300]
    df = normalize_jobs(blobs)
    assert calls == [1]
    pd.testing.assert_frame_equal(df, per_record(blobs))


@pytest.mark.parametrize(
    "odd",
    [
        b'{"job": {"id": "z", "process": 35}}',  # number where text is expected
        b'{"job": {"id": "z", "entities": {"volume": "big"}}}',  # type conflict
        b'{"job": {"id": "z", "entities": {"nested": {"a": 1}}}}',  # unknown object
        b'{"job": {"id": "z", "status": "Failed", " status": "Running"}}',  # both keys
        b'{"job": {"id": "z", " entities": {"volume": {"type": "SSD"}}}}',  # shapes differ
        b'{"job": {"id": "z", " created": "2026-08-01T00:00:00+0000"}}',  # read as a time
        b'{"job": {"id": "z", "entities": {"resource_id": "one"}}}',  # str, not list
    ],
)
def test_odd_records_fall_back_and_match(odd):
    blobs = [*sample_lines()[:300], odd]
    assert normalize_columnar(blobs) is None
    pd.testing.assert_frame_equal(normalize_jobs(blobs, errors="raise"), per_record(blobs))


def test_invalid_record_in_fast_batch_still_reported():
    blobs = [*sample_lines()[:300], b"{broken", b"[1, 2]"]
    with pytest.warns(UserWarning, match="skipped 2 invalid"):
        df = normalize_jobs(blobs)
    assert len(df) == 300
    assert [s["position"] for s in df.attrs["skipped_records"]] == [300, 301]


def test_padded_and_clean_key_both_kept():
    df = normalize_jobs([{"job": {"id": "z", " status": "Running", "status": "Failed"}}])
    assert df.loc[0, "status"] == "Failed"
    assert df.loc[0, "extra"] == {" status": "Running"}


@pytest.mark.parametrize(
    "odd",
    [
        # whitespace str.split()/str.strip() know and arrow's trimming does not
        b'{"job": {"id": "z\\u00a0y\\u3000", "name": "\\u001fRestart\\u0085"}}',
        b'{"job": {"id": "a\\u000bb\\u001cc", "instance": {"id": "\\u2028i1 ", "name": "  "}}}',
        b'{"job": {"id": "\\u00e9t\\u00e9", "fail_reason": "\\u00e9chec\\u00a0"}}',
        # in the API's layout but not a real time: the pandas parser decides (NaT)
        b'{"job": {"id": "t1", "created": "2026-02-30T00:00:00+0000"}}',
        b'{"job": {"id": "t2", "created": "2026-08-01T23:59:60+0000"}}',
        b'{"job": {"id": "t3", "created": "2026-08-01T24:00:00+0000"}}',
        b'{"job": {"id": "t4", "created": "2026-08-01T00:00:00+9900"}}',
        b'{"job": {"id": "t5", "created": "2024-02-29T12:00:00-0530", "ended": "2024-2-29T12:00:00Z"}}',
        b'{"job": {"id": "t6", "created": " 2026-08-01T00:00:00+0800", "ended": "2026-08-01T00:00:00+1500"}}',
    ],
)
def test_fast_path_reads_odd_text_exactly(odd):
    blobs = [*sample_lines()[:300], odd]
    pd.testing.assert_frame_equal(columnar(blobs), per_record(blobs))


def test_api_times_agree_with_pandas_on_every_field_range():
    import random

    import numpy as np
    import pyarrow as pa

    from rds_job_analytics.normalize._timeparse import _api_times, parse_iso_strings

    rng = random.Random(7)
    vals = [
        f"{rng.randint(1690, 2210):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}T"
        f"{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}:{rng.randint(0, 60):02d}"
        f"{rng.choice('+-')}{rng.randint(0, 15):02d}{rng.choice([0, 30, 45, 59, 60]):02d}"
        for _ in range(20_000)
    ]
    ns, done = _api_times(pa.array(vals))
    ref = parse_iso_strings(pd.Series(vals, dtype="string[pyarrow]"))
    ref_ns = ref.dt.tz_localize(None).to_numpy().view(np.int64)
    assert done.sum() > 5_000  # most valid values take the fast road
    np.testing.assert_array_equal(ns[done], ref_ns[done])
    assert ref[done].notna().all()


def test_many_reader_blocks_give_the_same_frame(monkeypatch):
    # Small blocks: the reader returns many chunks, and the quirks land in different ones.
    import rds_job_analytics.normalize._jsonreader as jr

    monkeypatch.setattr(jr, "BLOCK_SIZE", 1 << 16)
    blobs = sample_lines()
    odd = [
        b'{"job": {"id": "x 1\\u3000", "name": " Restart\\u0085", "status": " complete "}}',
        b'{"job": {"id": "x2", "created": "2026-02-30T00:00:00+0000", "ended": ""}}',
    ]
    blobs = [*blobs[:2500], odd[0], *blobs[2500:], odd[1]]
    table = jr.pj.read_json(
        jr.pa.py_buffer(b"\n".join(blobs)),
        read_options=jr.pj.ReadOptions(block_size=jr.BLOCK_SIZE),
    )
    assert table.column("job").num_chunks > 10
    pd.testing.assert_frame_equal(columnar(blobs), per_record(blobs))


@pytest.mark.parametrize(
    "odd",
    [
        [b'{"job": {"id": "a"}} {"job": {"id": "b"}}', b""],  # two in one blob + an empty one
        [b'{"job": {"id": "a"}}\n{"job": {"id": "b"}}', b"  "],  # a newline + a blank one
        [b' {"job": {"id": "a"}}'],  # leading whitespace: valid JSON, not taken by the reader
    ],
)
def test_blobs_that_would_misalign_rows_fall_back(odd):
    blobs = [*sample_lines()[:300], *odd]
    assert normalize_columnar(blobs) is None
    pd.testing.assert_frame_equal(normalize_jobs(blobs, errors="ignore"), per_record_ok(blobs))


def per_record_ok(blobs):
    return _build_frame(_parse_all(blobs, "ignore", []))


def test_lean_memory_restores_every_setting():
    import gc

    import pyarrow as pa

    from rds_job_analytics.normalize import _memory as col

    hp = col._set_madvise_hugepage
    hp_before = hp(True) if hp else None
    if hp:
        hp(hp_before)
    pool_before = pa.default_memory_pool().backend_name
    gc.enable()
    with col.lean_memory():
        assert not gc.isenabled()
        if hp:
            assert hp(False) is False  # advice off inside
    assert gc.isenabled()
    assert pa.default_memory_pool().backend_name == pool_before
    if hp:
        now = hp(hp_before)
        assert now is hp_before
    gc.disable()
    try:
        with col.lean_memory():
            pass
        assert not gc.isenabled()  # a caller's disabled GC stays disabled
    finally:
        gc.enable()


def _spy(monkeypatch, name):
    """Count calls of ``_columnar._columns`` or of the reader's ``stream``/``table``."""
    import rds_job_analytics.normalize._columnar as col
    import rds_job_analytics.normalize._jsonreader as jr

    target = col if name == "_columns" else jr._Reader
    calls = []
    real = getattr(target, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, spy)
    return calls


def test_streaming_reader_cleans_many_batches(monkeypatch):
    import rds_job_analytics.normalize._jsonreader as jr

    monkeypatch.setattr(jr, "BLOCK_SIZE", 1 << 16)
    batches = _spy(monkeypatch, "_columns")
    table_path = _spy(monkeypatch, "table")
    blobs = sample_lines()
    # every key the first block must know: lines holding the rarer ones go first
    first = [b for b in blobs if b'" status"' in b or b'"resource_id"' in b][:5]
    blobs = first + [b for b in blobs if b not in first]
    pd.testing.assert_frame_equal(columnar(blobs), per_record(blobs))
    assert not table_path and len(batches) > 20


def test_key_first_seen_in_a_later_block_restarts_the_stream_there(monkeypatch):
    import rds_job_analytics.normalize._jsonreader as jr

    monkeypatch.setattr(jr, "BLOCK_SIZE", 1 << 16)
    starts = _spy(monkeypatch, "stream")
    table_path = _spy(monkeypatch, "table")
    batches = _spy(monkeypatch, "_columns")
    blobs = sample_lines()[:2000]
    first = [b for b in blobs if b'" status"' in b or b'"resource_id"' in b][:5]
    blobs = first + [b for b in blobs if b not in first]
    blobs += [b'{"job": {"id": "late", "region": "eu-west-0"}}', *sample_lines()[2000:2600]]
    df = columnar(blobs)
    pd.testing.assert_frame_equal(df, per_record(blobs))
    assert df["extra"].iloc[2000] == {"region": "eu-west-0"}
    assert len(starts) == 2 and not table_path  # one restart, at the block with the key
    n_blocks = len(batches)
    assert n_blocks <= 2600 // 150 + 3  # no block was cleaned twice


def test_first_block_the_stream_cannot_read_goes_to_the_table_reader(monkeypatch):
    import rds_job_analytics.normalize._jsonreader as col

    # Only the streaming reader fails (as on a first block it cannot type): the
    # whole-table reader then reads the rest.
    class Reader:
        schema = col.pa.schema([col.pa.field("job", col.pa.struct([]))])

        def __iter__(self):
            raise col.pa.ArrowInvalid("cannot stream this block")

    monkeypatch.setattr(col.pj, "open_json", lambda *a, **k: Reader())
    table_path = _spy(monkeypatch, "table")
    blobs = sample_lines()[:1000]
    pd.testing.assert_frame_equal(columnar(blobs), per_record(blobs))
    assert table_path == ["table"]


def test_a_failing_batch_stops_the_reader_thread(monkeypatch):
    import threading

    import rds_job_analytics.normalize._jsonreader as jr

    monkeypatch.setattr(jr, "BLOCK_SIZE", 1 << 16)
    blobs = [*sample_lines()[:3000]]
    blobs[1500] = b'{"job": {"id": "z", "status": "Failed", " status": "Running"}}'
    before = {t.name for t in threading.enumerate()}
    assert normalize_columnar(blobs) is None  # both spellings set: slow path
    assert "rds-jobs-json-reader" not in {t.name for t in threading.enumerate()} - before


def test_lean_memory_from_overlapping_threads_restores_once():
    import gc
    import threading

    import pyarrow as pa

    from rds_job_analytics.normalize import _memory as col

    pool_before = pa.default_memory_pool().backend_name
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with col.lean_memory():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with col.lean_memory():
            second_in.set()
            first_out.wait(5)
            assert not gc.isenabled()  # still lean: the other caller left first

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert gc.isenabled()
    assert pa.default_memory_pool().backend_name == pool_before


def test_without_the_streaming_reader_the_table_reader_is_used(monkeypatch):
    import rds_job_analytics.normalize._jsonreader as col

    monkeypatch.delattr(col.pj, "open_json")
    table_path = _spy(monkeypatch, "table")
    blobs = sample_lines()[:1000]
    pd.testing.assert_frame_equal(columnar(blobs), per_record(blobs))
    assert table_path == ["table"]


WS = ["", " ", "\t", "\u3000", "\u00a0", "\x1c", "\u2028", "\u0085"]


def _quirky_job(rng, i):
    """A job with random spec quirks, all of kinds the fast path must read exactly."""

    def pad(text):
        return rng.choice(WS) + text + rng.choice(WS)

    def when():
        y, mo, d = rng.randint(2024, 2026), rng.randint(1, 12), rng.randint(1, 31)
        h, mi, s = rng.randint(0, 24), rng.randint(0, 59), rng.randint(0, 60)
        return rng.choice(
            [
                f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}+0000",
                f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{rng.choice('+-')}0{rng.randint(0, 9)}30",
                f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{rng.randint(0, 999):03d}Z",
                f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}+08:00",
                pad(f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}+0000"),
                "",
                "garbage",
            ]
        )

    job = {"id": pad(f"{i:08x}") if rng.random() < 0.9 else f"{i:04x} {rng.choice(WS)}x"}
    optional = {
        "name": lambda: pad(rng.choice(["RestartMysqlInstance", "CreatePostgresqlInstance", "x"])),
        "status": lambda: pad(
            rng.choice(["Running", "completed", "Complete", "FAILED", "odd", ""])
        ),
        "created": when,
        "ended": when,
        "process": lambda: rng.choice(["", "60", "60%", " 60 % ", "abc", "12.5"]),
        "fail_reason": lambda: rng.choice([None, "", pad("Disk full."), "\u00e9chec"]),
        "instance": lambda: {"id": pad("inst"), "name": rng.choice([None, pad("db-1")])},
        "entities": lambda: {
            "instance": {
                "type": pad(rng.choice(["ha", "Single", "REPLICA", "other"])),
                "datastore": {"type": rng.choice(["mysql", "PostgreSQL", "sqlserver", ""])},
            },
            "volume": {"type": "ULTRAHIGH", "original_size": "100", "target_size": pad("150")},
            "resource_ids": [pad("r1"), "r2"],
            "flavor_ref": pad("rds.mysql.x"),
        },
    }
    for key, make in optional.items():
        if rng.random() < 0.8:
            # (a padded object or timestamp key is inferred with another type: slow path)
            padded = rng.random() < 0.03 and key not in ("instance", "entities", "created", "ended")
            name = " " + key if padded else key  # the published padded key
            job[name] = make()
    return {"job": job}


# two seeds in make check, all eight in make test
@pytest.mark.parametrize(
    "seed", [0, 1, *(pytest.param(seed, marks=pytest.mark.slow) for seed in range(2, 8))]
)
def test_random_quirks_read_the_same_on_both_paths(monkeypatch, seed):
    import random

    import orjson

    import rds_job_analytics.normalize._jsonreader as jr

    # tiny blocks: many restarts of the stream as padded keys first show up late
    monkeypatch.setattr(jr, "BLOCK_SIZE", [1 << 13, 1 << 15, 8 << 20][seed % 3])
    rng = random.Random(seed)
    blobs = [orjson.dumps(_quirky_job(rng, i)) for i in range(2500)]
    fast = normalize_columnar(blobs)
    slow = per_record(blobs)
    assert fast is not None, "every quirk here is one the fast path reads itself"
    pd.testing.assert_frame_equal(frame_from_columns(fast), slow)
    pd.testing.assert_frame_equal(normalize_jobs(blobs, errors="raise"), slow)

"""Hostile input to the normalizer (issue #14, items 1-4 and 16): no batch is lost to one
bad value, and both paths (per-record and columnar) give the same frame and warnings."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

import rds_job_analytics.normalize._records as norm
from rds_job_analytics import (
    InvalidRecordError,
    InvalidRecordWarning,
    JobArchive,
    fetch_jobs,
    normalize_jobs,
    parse_job,
    sync_jobs,
)
from rds_job_analytics.emulator import Emulator
from rds_job_analytics.normalize._columnar import normalize_columnar
from rds_job_analytics.normalize._records import encode_record
from rds_job_analytics.sample import _read_lines

FILLER = _read_lines()[: norm.COLUMNAR_MIN_ROWS - 1]  # one odd record makes a fast batch


def job(job_id: str = "0" * 31 + "1", **fields) -> dict:
    return {"job": {"id": job_id, "name": "RestartMysqlInstance", "status": "Completed"} | fields}


def blob(record: dict) -> bytes:
    return json.dumps(record).encode()


def run(blobs: list, *, per_record: bool, monkeypatch) -> tuple[pd.DataFrame, list[str]]:
    """normalize_jobs(errors="warn") on one path: (frame, warning texts)."""
    with monkeypatch.context() as m:
        if per_record:
            m.setattr(norm, "COLUMNAR_MIN_ROWS", 10**9)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = normalize_jobs(blobs, errors="warn")
    return df, [str(w.message) for w in caught if issubclass(w.category, InvalidRecordWarning)]


def both_paths(blobs: list, monkeypatch) -> tuple[pd.DataFrame, list[str]]:
    """The frame and warnings, asserted identical on both paths."""
    fast, fast_warned = run(blobs, per_record=False, monkeypatch=monkeypatch)
    slow, slow_warned = run(blobs, per_record=True, monkeypatch=monkeypatch)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs["skipped_records"] == slow.attrs["skipped_records"]
    assert fast_warned == slow_warned
    return fast, fast_warned


# -- item 1: times outside pandas' ns range ---------------------------------------------
OUT_OF_RANGE = [
    "9999-12-31T23:59:59+0000",  # a common "never"
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "1677-09-21T00:12:43Z",  # just before the first ns timestamp
    "2262-04-11T23:47:17Z",  # just after the last one
    "9999-12-31T23:59:59.999999999+0000",
]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["created", "ended"])
def test_out_of_range_time_is_nat_on_both_paths(value, field, monkeypatch):
    other = "ended" if field == "created" else "created"
    record = job(**{field: value, other: "2026-10-01T08:00:00+0000"})
    blobs = [*FILLER, blob(record)]
    assert normalize_columnar(blobs) is not None  # the fast path reads it itself
    df, warned = both_paths(blobs, monkeypatch)
    last = df.iloc[-1]
    assert pd.isna(last[field]) and last[other] == pd.Timestamp("2026-10-01T08:00:00Z")
    assert np.isnan(last["duration_s"])
    assert len(df) == len(blobs) and not warned
    assert df[field].dtype == "datetime64[ns, UTC]"
    # a lone dict takes the per-record path too
    assert pd.isna(normalize_jobs([record]).loc[0, field])


def test_out_of_range_task_list_time_is_nat():
    task = {"id": "t1", "name": "x", "status": "Running", "create_time": "9999-12-31T23:59:59+0000"}
    assert pd.isna(normalize_jobs([task]).loc[0, "created"])


def test_times_300_years_apart_give_a_duration_not_an_overflow(monkeypatch):
    record = job(created="1700-01-01T00:00:00Z", ended="2200-01-01T00:00:00.5Z")
    df, _ = both_paths([*FILLER, blob(record)], monkeypatch)
    exact = (datetime(2200, 1, 1, tzinfo=UTC) - datetime(1700, 1, 1, tzinfo=UTC)).total_seconds()
    assert df["duration_s"].iloc[-1] == exact + 0.5
    reverse = job(created="2200-01-01T00:00:00Z", ended="1700-01-01T00:00:00Z")
    assert np.isnan(normalize_jobs([reverse]).loc[0, "duration_s"])  # ended < created


def test_durations_in_range_unchanged(monkeypatch):
    df, _ = both_paths(FILLER, monkeypatch)
    expected = (df["ended"] - df["created"]).dt.total_seconds()
    terminal = df["status"].isin(["Completed", "Failed"])
    expected = expected.where((expected >= 0) & terminal)
    pd.testing.assert_series_equal(df["duration_s"], expected, check_names=False)


def _never_ending_jobs() -> list[dict]:
    def one(i: int, created: str, ended: str) -> dict:
        rec = job(f"{i:032x}", created=created, ended=ended)
        rec["job"]["instance"] = {"id": "6f721b66afa3a666ff303140c424feb3in01", "name": "db"}
        return rec

    return [
        one(1, "2026-10-01T08:00:00+0000", "9999-12-31T23:59:59+0000"),
        one(2, "0001-01-01T00:00:00Z", "2026-10-01T08:00:00+0000"),
        one(3, "1700-01-01T00:00:00Z", "2026-10-01T08:00:00+0000"),
        one(4, "2026-10-01T08:00:00+0000", "2026-10-01T09:00:00+0000"),
    ]


def test_fetch_jobs_keeps_every_job_with_an_out_of_range_time():
    records = _never_ending_jobs()
    with Emulator(records, retention_days=None) as emu:
        df = fetch_jobs(emu.client(), [r["job"]["id"] for r in records])
    assert df["job_id"].tolist() == [r["job"]["id"] for r in records]
    assert df["ended"].isna().tolist() == [True, False, False, False]
    assert df["created"].isna().tolist() == [False, True, False, False]
    assert df["duration_s"].iloc[3] == 3600.0


def test_sync_jobs_records_the_sync_despite_an_out_of_range_time():
    records = _never_ending_jobs()
    with Emulator(records, retention_days=None) as emu, JobArchive(":memory:") as arc:
        sync_jobs(emu.client(), arc, since=datetime(2026, 9, 1, tzinfo=UTC),
                  until=datetime(2026, 11, 1, tzinfo=UTC), horizon=None)  # fmt: skip
        frame = arc.to_frame()
        assert len(arc.syncs()) == 1
    assert set(frame["job_id"]) >= {r["job"]["id"] for r in records if r["job"]["id"][-1] in "14"}


# -- item 2: invalid UTF-8 in a fast batch ------------------------------------------------
def _with_bytes(field_path: str, raw: bytes) -> bytes:
    """A job blob whose ``field_path`` string holds ``raw`` bytes verbatim."""
    *parents, leaf = field_path.split(".")
    inner = b'"' + leaf.encode() + b'": "x' + raw + b'y"'
    for p in reversed(parents):
        inner = b'"' + p.encode() + b'": {' + inner + b"}"
    if field_path != "id":
        inner = b'"id": "' + b"9" * 32 + b'", ' + inner
    return b'{"job": {"status": "Failed", ' + inner + b"}}"


BAD_UTF8 = [
    b"\xff",  # never valid
    b"\xc3",  # a truncated two-byte sequence
    b"\xc0\x80",  # overlong NUL
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\\ud800",  # a lone surrogate escape
    b"\\udc00",
]


@pytest.mark.parametrize("raw", BAD_UTF8)
@pytest.mark.parametrize(
    "where", ["id", "name", "instance.name", "fail_reason", "flavor", "entities.volume.type"]
)
def test_invalid_utf8_in_a_fast_batch_is_skipped_like_the_per_record_path(
    where, raw, monkeypatch, tmp_path
):
    bad = _with_bytes(where, raw)
    blobs = [*FILLER[:150], bad, *FILLER[150:], b'{"job": {"id": "ok", "name": "x\xc3\xa9"}}']
    df, warned = both_paths(blobs, monkeypatch)
    assert len(df) == len(blobs) - 1
    assert [s["position"] for s in df.attrs["skipped_records"]] == [150]
    assert "undecodable JSON" in df.attrs["skipped_records"][0]["reason"]
    assert len(warned) == 1 and warned[0].startswith("skipped 1 invalid record(s): #150")
    assert df["job_name"].iloc[-1] == "x\u00e9"  # valid UTF-8 still read as such
    # the frame is sound: it prints, writes CSV and Parquet, and reads back
    repr(df)
    df.drop(columns=["extra", "resource_ids"]).to_csv(tmp_path / "jobs.csv")
    df.drop(columns=["extra", "resource_ids"]).to_parquet(tmp_path / "jobs.parquet")
    back = pd.read_parquet(tmp_path / "jobs.parquet")
    assert back["job_id"].tolist() == df["job_id"].tolist()


def test_invalid_utf8_in_a_key_is_skipped(monkeypatch):
    bad = b'{"job": {"id": "k1", "na\xffme": "x"}}'
    df, warned = both_paths([*FILLER, bad], monkeypatch)
    assert len(df) == len(FILLER) and len(warned) == 1


def test_valid_surrogate_pair_escape_is_read_on_both_paths(monkeypatch):
    emoji = b'{"job": {"id": "e1", "name": "up \\ud83d\\ude00", "fail_reason": "\\u00e9"}}'
    df, warned = both_paths([*FILLER, emoji], monkeypatch)
    assert df["job_name"].iloc[-1] == "up \U0001f600" and df["fail_reason"].iloc[-1] == "\u00e9"
    assert not warned


# -- item 3: deep nesting never reaches the JSON reader -----------------------------------
def _deep(depth: int, kind: str = "{") -> bytes:
    opened, closed = (b'{"a":', b"}") if kind == "{" else (b"[", b"]")
    return b'{"job": {"id": "d1", "x": ' + opened * depth + b"1" + closed * depth + b"}}"


@pytest.mark.slow  # a cold interpreter in a subprocess (importing pandas): 1-3 s
@pytest.mark.parametrize(
    "deep",
    [
        "b'{\"job\": {\"id\": \"d1\", \"x\": ' + b'{\"a\":' * 7000 + b'1' + b'}' * 7000 + b'}}'",
        "b'{\"job\": {\"id\": \"d2\", \"x\": ' + b'[' * 9000 + b']' * 9000 + b'}}'",
    ],
    ids=["objects", "arrays"],
)
def test_deep_line_among_normal_ones_does_not_kill_the_process(deep):
    """~7,000 levels segfaulted pyarrow's reader; run in a child so a regression cannot
    take pytest down with it."""
    code = (
        "import warnings\n"
        "from rds_job_analytics import normalize_jobs\n"
        "from rds_job_analytics.sample import _read_lines\n"
        f"deep = {deep}\n"
        "lines = _read_lines()\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    df = normalize_jobs([*lines[:100], deep, *lines[100:255]])\n"
        "print(len(df), df.attrs['skipped_records'][0]['position'], len(w))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.split() == ["255", "100", "1"]  # skipped (orjson's depth limit)


@pytest.mark.parametrize("kind", ["{", "["])
def test_nesting_beyond_the_reader_limit_takes_the_per_record_path(kind, monkeypatch):
    from rds_job_analytics.normalize._jsonreader import MAX_READER_DEPTH

    deep = _deep(MAX_READER_DEPTH + 1, kind)  # safe for the reader, but over the guard
    blobs = [*FILLER, deep]
    assert normalize_columnar(blobs) is None
    df, _ = both_paths(blobs, monkeypatch)
    assert len(df) == len(FILLER)  # too deep to be a job record (see item 4)


def test_a_long_record_with_few_brackets_keeps_the_fast_path():
    long = blob(job("7" * 32, fail_reason="x" * 5000))
    assert normalize_columnar([*FILLER, long]) is not None


# -- item 4: dicts JSON cannot hold -------------------------------------------------------
def _nest(levels: int) -> object:
    value: object = "v"
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "record",
    [
        job("a\ud800"),
        job(name="Restart\udfff"),
        job(fail_reason="disk \ud800 full"),
        job(instance={"id": "i1", "name": "db\ud800"}),
        job(flavor="x\ud800"),  # an unknown key: would sit in ``extra``
        job(**{"odd\ud800": "x"}),  # a key
    ],
    ids=["id", "name", "fail_reason", "instance.name", "extra value", "key"],
)
def test_lone_surrogate_in_a_dict_is_an_invalid_record(record, tmp_path):
    with pytest.raises(InvalidRecordError, match="lone surrogate"):
        parse_job(record)
    with pytest.warns(InvalidRecordWarning, match="skipped 1 invalid record.*#1: text that is"):
        df = normalize_jobs([job("g1"), record, job("g2")])
    assert df["job_id"].tolist() == ["g1", "g2"]
    df.drop(columns=["extra", "resource_ids"]).to_parquet(tmp_path / "jobs.parquet")
    with pytest.raises(InvalidRecordError, match="record 1: text that is not valid Unicode"):
        normalize_jobs([job("g1"), record], errors="raise")


def test_a_dict_nested_900_deep_is_an_invalid_record_naming_the_depth():
    record = job(x=_nest(900))
    with pytest.raises(InvalidRecordError, match=f"nested deeper than {norm.MAX_DEPTH} levels"):
        parse_job(record)
    with pytest.raises(InvalidRecordError, match="nested deeper"):
        encode_record(record)
    with pytest.warns(InvalidRecordWarning, match="nested deeper than 254 levels"):
        assert len(normalize_jobs([record, job("g1")])) == 1


@pytest.mark.parametrize("where", ["x", "status", "resource_ids"])
def test_the_depth_limit_is_the_same_for_every_input_form(where):
    """record (1) + job (2) + MAX_DEPTH - 2 levels is the deepest record allowed."""
    for levels, ok in ((norm.MAX_DEPTH - 2, True), (norm.MAX_DEPTH - 1, False)):
        record = job(**{where: _nest(levels)})
        raw = json.dumps(record)
        for form in (record, raw, raw.encode(), bytearray(raw.encode()), memoryview(raw.encode())):
            if ok:
                parse_job(form)
            else:
                with pytest.raises(InvalidRecordError, match="nested deeper"):
                    parse_job(form)


def test_json_nested_past_orjsons_limit_is_undecodable():
    raw = b'{"job": {"id": "a", "x": ' + b"[" * 1100 + b"]" * 1100 + b"}}"
    with pytest.raises(InvalidRecordError, match="undecodable JSON"):
        parse_job(raw)


def test_values_json_has_no_type_for_are_still_read():
    from decimal import Decimal

    record = job(entities={"volume": {"original_size": Decimal("40")}}, **{"when": datetime.now()})
    row = normalize_jobs([record]).iloc[0]
    assert row["volume_original_gb"] == 40.0 and "when" in row["extra"]
    assert encode_record({"job": {"id": "j", 1: Decimal("1.5")}}) == b'{"job":{"id":"j","1":"1.5"}}'


# -- item 16: values that were silently wrong ---------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1e3", 1000.0),
        ("2.5E2", 250.0),
        ("1,024", 1024.0),
        ("12,345,678.5", 12345678.5),
        (" 1,024 GB ", 1024.0),
        ("100GB", 100.0),
        ("60 % ", 60.0),
        ("40", 40.0),
        ("1,02", None),  # not grouped by three: ambiguous
        ("1,0245", None),
        ("1.024,5", None),  # a decimal comma
        ("1,024e3", None),
        ("40 MB", None),  # another unit
        ("abc5", None),
        ("5-6", None),
        ("nan", None),
        ("inf", None),
        ("1e999", None),  # not finite
        ("\u0661\u0662", None),  # digits, but not ASCII ones
    ],
)
def test_sizes_follow_the_number_rule_on_both_paths(raw, expected, monkeypatch):
    record = job("5" * 32, entities={"volume": {"original_size": raw, "target_size": "2,048"}})
    df, _ = both_paths([*FILLER, blob(record)], monkeypatch)
    got = df["volume_original_gb"].iloc[-1]
    assert np.isnan(got) if expected is None else got == expected
    assert df["volume_target_gb"].iloc[-1] == 2048.0
    assert normalize_jobs([record])["volume_original_gb"].equals(
        df["volume_original_gb"].tail(1).reset_index(drop=True)
    )


@pytest.mark.parametrize("word", ["now", "today", "NOW", " Today ", "tomorrow", "yesterday"])
def test_words_are_not_the_current_time(word, monkeypatch):
    record = job(created=word, ended=word)
    df, _ = both_paths([*FILLER, blob(record)], monkeypatch)
    assert df[["created", "ended"]].iloc[-1].isna().all()
    assert normalize_jobs([record])[["created", "ended"]].iloc[0].isna().all()


@pytest.mark.parametrize(
    "value",
    ["2026-10-01t08:00:00z", "2026-10-01t16:00:00+08:00", "2026-10-01t08:00:00.000z",
     "2026-10-01t08:00:00+0000", "2026-10-01T08:00:00z"],
)  # fmt: skip
def test_lower_case_t_and_z_parse(value, monkeypatch):
    record = job(created=value, ended="2026-10-01T09:00:00+0000")
    df, _ = both_paths([*FILLER, blob(record)], monkeypatch)
    assert df["created"].iloc[-1] == pd.Timestamp("2026-10-01T08:00:00Z")
    assert df["duration_s"].iloc[-1] == 3600.0

"""fetch_jobs against the emulator over loopback HTTP: faults, the archive it reuses, refresh,
progress, secrets kept out of logs, the argument order."""

from __future__ import annotations

import logging
import sqlite3
import threading

import pandas as pd
import pytest

from rds_job_analytics import (
    JOB_SCHEMA,
    FetchError,
    FetchWarning,
    JobArchive,
    fetch_jobs,
    load_sample,
)
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator
from rds_job_analytics.export import write_frame
from rds_job_analytics.normalize.schema import TERMINAL_STATUSES


def fast_client(emu, **kw):
    kw.setdefault("backoff", 0.001)
    kw.setdefault("max_workers", 8)
    return emu.client(**kw)


@pytest.mark.slow
def test_batch_with_faults_ends_with_every_id_accounted_for(tmp_path):
    rates = {"503": 0.05, "429": 0.05, "drop": 0.03, "truncate": 0.03, "html": 0.03}
    with Emulator(retention_days=None, fault_rates=rates, seed=7) as emu:
        ids = [*emu.job_ids()[:300], "00000000-dead-beef-0000-000000000000", "   "]
        arc = JobArchive(tmp_path / "a.sqlite")
        with pytest.warns(FetchWarning, match="2 of 302"):
            df = fetch_jobs(fast_client(emu, max_retries=8), ids, archive=arc)
        assert sum(v for k, v in emu.counts.items() if k.startswith("fault:")) > 30
    assert len(df) == 302  # the blank one is reported as an error row
    assert list(df.columns) == [*JOB_SCHEMA, "fetch_status", "fetch_error"]
    assert (df["fetch_status"] == "ok").sum() == 300
    bad = df[df["fetch_status"] != "ok"].set_index("job_id")
    assert bad.loc["00000000-dead-beef-0000-000000000000", "fetch_status"] == "not_found"
    assert "DBS.200543" in bad.loc["00000000-dead-beef-0000-000000000000", "fetch_error"]
    assert bad.loc["'   '", "fetch_status"] == "error"
    assert len(arc) == 300
    sample = load_sample().set_index("job_id")
    ok = df[df["fetch_status"] == "ok"].set_index("job_id")
    pd.testing.assert_series_equal(
        ok["status"], sample.loc[ok.index, "status"], check_categorical=False
    )


def test_errors_raise_carries_partial_frame(emu):
    ids = [emu.job_ids()[0], "missing-id"]
    with pytest.raises(FetchError) as info:
        fetch_jobs(fast_client(emu), ids, errors="raise")
    assert info.value.frame["fetch_status"].tolist() == ["ok", "not_found"]
    assert info.value.failures["job_id"].tolist() == ["missing-id"]


def test_interrupted_batch_rerun_fetches_no_archived_terminal_job(emu, tmp_path):
    ids = emu.job_ids()[:120]
    path = tmp_path / "a.sqlite"
    arc = JobArchive(path)
    client = fast_client(emu, max_workers=4)
    real = client.get_job
    n = {"calls": 0}
    lock = threading.Lock()

    def dying(jid):
        with lock:
            n["calls"] += 1
            if n["calls"] > 50:
                raise KeyboardInterrupt  # the user hits Ctrl-C mid-batch
        return real(jid)

    client.get_job = dying
    with pytest.raises(KeyboardInterrupt):
        fetch_jobs(client, ids, archive=arc, errors="ignore")
    arc.close()
    archived = JobArchive(path).statuses(DEMO_PROJECT)
    assert 30 <= len(archived) <= 50  # what arrived before Ctrl-C was committed
    client2 = fast_client(emu)
    df = fetch_jobs(client2, ids, archive=JobArchive(path))
    terminal = [j for j, s in archived.items() if s in TERMINAL_STATUSES]
    assert terminal  # else the rerun's call count proves nothing
    assert client2.calls == len(ids) - len(terminal)
    assert (df["fetch_status"] == "ok").all()


def test_archive_never_downgrades_and_holds_no_secret(emu, tmp_path):
    path = tmp_path / "a.sqlite"
    arc = JobArchive(path)
    df = fetch_jobs(fast_client(emu), emu.job_ids()[:20], archive=arc)
    assert len(df) == 20
    jid = df.loc[df["status"].isin(TERMINAL_STATUSES), "job_id"].iloc[0]
    before = arc.statuses(DEMO_PROJECT)[jid]
    raw_before = arc.raw(DEMO_PROJECT, [jid])[jid]
    assert before in TERMINAL_STATUSES
    assert arc.put({"job": {"id": jid, "status": "Running"}}, project_id=DEMO_PROJECT) is False
    assert arc.statuses(DEMO_PROJECT)[jid] == before  # the terminal status stays
    assert arc.raw(DEMO_PROJECT, [jid])[jid] == raw_before
    arc.close()
    for f in tmp_path.iterdir():
        assert DEMO_TOKEN.encode() not in f.read_bytes()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_to_frame_window_and_export(emu, tmp_path):
    arc = JobArchive(tmp_path / "a.sqlite")
    fetch_jobs(fast_client(emu), emu.job_ids()[:200], archive=arc)
    full = arc.to_frame()
    assert list(full.columns) == list(JOB_SCHEMA)
    assert set(full["project_id"]) == {emu.project_id}
    mid = full["created"].sort_values().iloc[100]
    part = arc.to_frame(start=mid)
    assert len(part) == (full["created"] >= mid).sum()
    empty = arc.to_frame(start="2000-01-01", end="2000-01-02")
    assert len(empty) == 0 and list(empty.columns) == list(full.columns)
    pq = write_frame(arc.to_frame(), tmp_path / "jobs.parquet")
    back = pd.read_parquet(pq)
    assert len(back) == 200 and back["created"].dt.tz is not None
    csv = write_frame(arc.to_frame(), tmp_path / "jobs.csv")
    assert len(pd.read_csv(csv)) == 200


def test_no_secret_in_logs_during_a_batch(emu, caplog):
    caplog.set_level(logging.DEBUG)
    fetch_jobs(fast_client(emu), emu.job_ids()[:10])
    assert DEMO_TOKEN not in caplog.text


def test_progress_bar_when_asked_and_quiet_by_default(emu, capsys):
    fetch_jobs(fast_client(emu), emu.job_ids()[:5], progress=True)
    assert "jobs: 100%" in capsys.readouterr().err
    fetch_jobs(fast_client(emu), emu.job_ids()[5:10])  # not a terminal here: quiet
    assert "jobs:" not in capsys.readouterr().err


def test_refresh_modes(emu, tmp_path):
    arc = JobArchive(tmp_path / "a.sqlite")
    ids = emu.job_ids()[:10]
    fetch_jobs(fast_client(emu), ids, archive=arc)
    jid = ids[1]
    # make one archived job look Running (as if fetched mid-flight)
    arc._db.execute("UPDATE jobs SET status='Running', terminal=0 WHERE job_id=?", (jid,))
    for mode, expected_calls in (("none", 0), ("running", 1), ("all", 10)):
        c = fast_client(emu)
        df = fetch_jobs(c, ids, archive=arc, refresh=mode)
        assert c.calls == expected_calls, mode
        assert (df["fetch_status"] == "ok").all()
        arc._db.execute("UPDATE jobs SET status='Running', terminal=0 WHERE job_id=?", (jid,))
    with pytest.raises(ValueError, match="refresh must be"):
        fetch_jobs(fast_client(emu), ids, refresh="sometimes")


# -- the argument order: the client first, as in sync_jobs ---------------------------------
def test_the_old_argument_order_warns_and_gives_the_same_frame(emu):
    ids = emu.job_ids()[:3]
    new = fetch_jobs(fast_client(emu), ids)
    with pytest.warns(DeprecationWarning, match=r"fetch_jobs\(client, job_ids\)") as caught:
        old = fetch_jobs(ids, client=fast_client(emu))
    assert caught[0].filename == __file__  # the warning points at the caller
    pd.testing.assert_frame_equal(old, new)
    named = fetch_jobs(client=fast_client(emu), job_ids=ids)  # by name: no warning
    pd.testing.assert_frame_equal(named, new)


def test_fetch_jobs_refuses_a_missing_or_doubled_argument(emu):
    client = fast_client(emu)
    with pytest.raises(TypeError, match="needs a client and job IDs"):
        fetch_jobs(client)
    with pytest.raises(TypeError, match="twice"):
        fetch_jobs(client, ["j1"], client=client)
    with pytest.raises(TypeError, match="unexpected keyword argument 'ids'"):
        fetch_jobs(client, ids=["j1"])

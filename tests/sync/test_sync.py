"""Task-list-first sync: every job of a window for the list calls plus the details that pay."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from rds_job_analytics import (
    ConfigError,
    FetchWarning,
    JobArchive,
    ServerError,
    normalize_jobs,
    sync_jobs,
)
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator
from rds_job_analytics.normalize.schema import TERMINAL_STATUSES
from rds_job_analytics.sample import SAMPLE_END, SAMPLE_START, _read_lines
from rds_job_analytics.sync._sync import DEFAULT_DETAIL_RULE, DetailRule
from tests.emulator.test_tasks import AROUND, WINDOW

UNTIL = SAMPLE_END + timedelta(hours=1)


def client_of(emu, **kw):
    return emu.client(backoff=0.001, max_workers=8, rate_limit=10_000, **kw)


@pytest.fixture(scope="module")
def sample_jobs():
    return normalize_jobs(_read_lines())


def backfill(emu, arc, **kw):
    with client_of(emu) as client:
        return sync_jobs(client, arc, since=SAMPLE_START, until=UNTIL, horizon=None,
                         progress=False, **kw)  # fmt: skip


@pytest.mark.slow
def test_auto_backfill_archives_every_job_for_list_calls_plus_scale_ups(sample_jobs):
    volume = sample_jobs["volume_delta_gb"].notna()
    with Emulator(retention_days=None) as emu:
        arc = JobArchive(":memory:")
        res = backfill(emu, arc)
        pages, details = emu.counts["tasklist"], emu.counts.get("jobs", 0)
    assert res.listed == 5000 and res.failed == 0
    assert details == res.fetched == int(volume.sum())  # one call per storage scale-up only
    assert pages == 5000 // 50 + 1  # 50 a page, then the empty page
    assert res.calls == pages + details
    assert (pages + details) / 5000 < 0.13  # against 1.02 calls per job with details="all"
    df = arc.to_frame().sort_values("job_id", ignore_index=True)
    want = sample_jobs.sort_values("job_id", ignore_index=True)
    assert len(df) == 5000
    for column in ("job_id", "job_name", "status", "created", "ended", "instance_id", "engine",
                   "fail_reason", "volume_delta_gb", "duration_s"):  # fmt: skip
        pd.testing.assert_series_equal(df[column], want[column], check_categorical=False)
    assert (df.loc[df["volume_delta_gb"].notna(), "source"] == "job").all()


def test_incremental_sync_spends_list_calls_only_and_follows_running_jobs():
    records = [json.loads(b) for b in _read_lines()[:400]]
    running = next(r for r in records if r["job"].get("status") == "Running"
                   or r["job"].get(" status") == "Running")  # fmt: skip
    with Emulator(records, retention_days=None) as emu:
        arc = JobArchive(":memory:")
        backfill(emu, arc)
        jid = running["job"]["id"].replace(" ", "")
        assert arc.to_frame().set_index("job_id").loc[jid, "status"] == "Running"
        done = {**running["job"], "status": "Completed", "ended": "2026-11-14T00:00:00+0000"}
        done.pop(" status", None)
        emu.load([{"job": done}])
        before = dict(emu.counts)
        second = backfill(emu, arc)
        assert emu.counts.get("jobs", 0) == before.get("jobs", 0)  # no per-job call at all
        assert second.calls == emu.counts["tasklist"] - before["tasklist"] == 400 // 50 + 1
    row = arc.to_frame().set_index("job_id").loc[jid]
    assert row["status"] == "Completed" and row["ended"] == pd.Timestamp("2026-11-14", tz=UTC)


@pytest.mark.slow  # the whole sample, synced twice
def test_budget_caps_a_run_and_the_next_run_fetches_the_rest_newest_first(sample_jobs):
    with Emulator(retention_days=None) as emu:
        arc = JobArchive(":memory:")
        first = backfill(emu, arc, budget=100)
        assert first.fetched == 100
        fetched = arc.to_frame().query("source == 'job'")
        newest = sample_jobs[sample_jobs["volume_delta_gb"].notna()].nlargest(100, "created")
        assert set(fetched["job_id"]) == set(newest["job_id"])
        second = backfill(emu, arc)
    assert second.fetched == int(sample_jobs["volume_delta_gb"].notna().sum()) - 100
    assert arc.to_frame()["volume_delta_gb"].notna().sum() == second.fetched + 100


def test_details_all_and_none():
    records = [json.loads(b) for b in _read_lines()[:300]]
    with Emulator(records, retention_days=None) as emu:
        backfill(emu, JobArchive(":memory:"), details="none")
        assert emu.counts.get("jobs", 0) == 0
        backfill(emu, JobArchive(":memory:"), details="all")
        assert emu.counts.get("jobs", 0) == 300


def test_a_user_rule_extends_the_default():
    rule = DetailRule((*DEFAULT_DETAIL_RULE.patterns, "BindEIP"))
    assert rule.wants("MysqlBindEIP") and rule.wants("MysqlEnlargeVolume")
    assert not rule.wants("RestartMysqlInstance") and not rule.wants(None)
    assert DetailRule(default=True).wants("AnythingNew")
    records = [json.loads(b) for b in _read_lines()[:600]]
    wanted = sum(rule.wants(r["job"]["name"].strip()) for r in records)
    volume = sum(DEFAULT_DETAIL_RULE.wants(r["job"]["name"].strip()) for r in records)
    with Emulator(records, retention_days=None) as emu:
        backfill(emu, JobArchive(":memory:"), detail_rule=rule)
        assert emu.counts.get("jobs", 0) == wanted > volume


def test_the_window_never_reaches_past_the_horizon():
    now = datetime.now(UTC)
    jobs = [{"job": {"id": f"j{i}", "status": "Completed", "name": "Restart",
                     "created": (now - timedelta(days=d)).isoformat()}}
            for i, d in enumerate([1, 10, 45])]  # fmt: skip
    with Emulator(jobs) as emu, client_of(emu) as client:  # the API keeps 30 days
        arc = JobArchive(":memory:")
        res = sync_jobs(client, arc, since=now - timedelta(days=90), progress=False)
    assert res.window_start >= now - timedelta(days=30, minutes=1)
    assert arc.syncs()["window_start"].min() >= (now - timedelta(days=30, minutes=1))
    assert res.listed == 2


def test_a_failing_task_list_page_records_a_partial_window_and_keeps_the_pages():
    records = [json.loads(b) for b in _read_lines()[:200]]
    with Emulator(records, retention_days=None) as emu, client_of(emu) as client:
        arc = JobArchive(":memory:")
        real = client.list_task_pages

        def two_pages_then_down(*a, **k):
            pages = real(*a, **k)
            yield next(pages)
            yield next(pages)
            raise ServerError(status=503, error_msg="down")

        client.list_task_pages = two_pages_then_down
        with pytest.warns(FetchWarning, match="recorded only"):
            res = sync_jobs(client, arc, since=SAMPLE_START, until=UNTIL, horizon=None,
                            details="none", progress=False)  # fmt: skip
        assert res.listed == 100 and len(arc.to_frame()) == 100  # both pages kept
        oldest = arc.to_frame()["created"].min()
        # covered: just after the oldest job listed (one of its twins may sit on the lost page)
        assert oldest < res.window_start <= oldest + timedelta(milliseconds=1)
        assert res.window_start > SAMPLE_START.replace(tzinfo=UTC) and res.partial
        client.list_task_pages = real
        with warnings.catch_warnings():
            warnings.simplefilter("error", FetchWarning)
            rerun = sync_jobs(client, arc, since=SAMPLE_START, until=UNTIL, horizon=None,
                              details="none", progress=False)  # fmt: skip
    assert rerun.listed == 200 and len(arc.to_frame()) == 200


def test_bad_arguments_cost_no_call():
    with Emulator([], retention_days=None) as emu, client_of(emu) as client:
        with pytest.raises(ConfigError, match="details"):
            sync_jobs(client, JobArchive(":memory:"), details="some")
        with pytest.raises(ConfigError, match="budget"):
            sync_jobs(client, JobArchive(":memory:"), budget=-1)
        assert client.calls == 0


@pytest.mark.slow
def test_details_all_after_auto_fetches_the_task_only_jobs_newest_first_within_budget():
    records = [json.loads(b) for b in _read_lines()[:300]]
    with Emulator(records, retention_days=None) as emu:
        arc = JobArchive(":memory:")
        backfill(emu, arc, details="none")
        first = backfill(emu, arc, details="all", budget=50)
        fetched = set(arc.to_frame().query("source == 'job'")["job_id"])
        newest = normalize_jobs([json.dumps(r) for r in records]).nlargest(50, "created")
        assert first.fetched == 50 and fetched == set(newest["job_id"])
        second = backfill(emu, arc, details="all")  # what the budget left out
    assert second.fetched >= 250
    assert (arc.to_frame()["source"] == "job").all()


def test_a_future_until_is_not_recorded_as_covered():
    now = datetime.now(UTC)
    jobs = [{"job": {"id": "j1", "status": "Completed", "created": now.isoformat()}}]
    with Emulator(jobs) as emu, client_of(emu) as client:
        arc = JobArchive(":memory:")
        res = sync_jobs(client, arc, until=now + timedelta(days=5), progress=False)
        assert res.window_end <= datetime.now(UTC)
        again = sync_jobs(client, arc, progress=False)  # the next cron run still works
    assert again.listed == 1


def test_a_failure_seen_by_the_task_list_brings_its_reason():
    from rds_job_analytics.emulator import task_of

    job = {"job": {"id": "j1", "name": "MysqlEnlargeVolume", "status": "Running",
                   "created": "2026-10-01T00:00:00+0000"}}  # fmt: skip
    arc = JobArchive(":memory:")
    arc.put(job, project_id="p")
    failed = {**job["job"], "status": "Failed", "fail_reason": "disk full",
              "ended": "2026-10-01T00:03:00+0000"}  # fmt: skip
    arc.put_tasks([task_of(failed)], project_id="p")
    row = arc.to_frame().iloc[0]
    assert (row["status"], row["fail_reason"], row["duration_s"]) == ("Failed", "disk full", 180.0)


def test_a_task_list_that_came_unordered_claims_no_window_on_failure():
    records = [json.loads(b) for b in _read_lines()[:200]]
    with Emulator(records, retention_days=None) as emu, client_of(emu) as client:
        arc = JobArchive(":memory:")
        real = client.list_task_pages

        def oldest_first_then_down(*a, **k):
            pages = list(real(*a, **k))
            yield pages[-1]  # the oldest page first
            yield pages[0]
            raise ServerError(status=503, error_msg="down")

        client.list_task_pages = oldest_first_then_down
        with pytest.warns(FetchWarning):
            res = sync_jobs(client, arc, since=SAMPLE_START, until=UNTIL, horizon=None,
                            details="none", progress=False)  # fmt: skip
    assert res.partial and "ServerError" in str(res)
    assert arc.syncs().empty and res.listed > 0  # pages kept, no coverage claimed


def test_cli_sync_exits_2_when_the_task_list_fails_from_the_start(monkeypatch, capsys):
    from rds_job_analytics import cli
    from rds_job_analytics.api._client import JobsClient
    from rds_job_analytics.emulator import DEMO_PROJECT

    def down(self, *a, **k):
        raise ServerError(status=503, error_msg="down")
        yield  # pragma: no cover

    monkeypatch.setattr(JobsClient, "list_task_pages", down)
    monkeypatch.setenv("RDS_JOBS_TOKEN", DEMO_TOKEN)
    with Emulator([], retention_days=None) as emu, warnings.catch_warnings():
        warnings.simplefilter("ignore", FetchWarning)
        code = cli.main(["sync", "--archive", ":memory:", "--endpoint", emu.url,
                         "--project-id", DEMO_PROJECT, "--horizon-days", "0"])  # fmt: skip
    assert code == 2  # nothing listed, nothing fetched: a failure, not a partial success
    assert "task list incomplete" in capsys.readouterr().out


# -- the task list's time semantics: a job created in the window is found either way --------
@pytest.mark.parametrize("reading", ["created", "literal"])
def test_sync_finds_every_job_created_in_the_window_whatever_its_end_under_both_readings(
    reading,
):
    since, until = (datetime.fromisoformat(t) for t in WINDOW)
    arc = JobArchive(":memory:")
    with Emulator(AROUND, retention_days=None, task_time_filter=reading) as emu:
        with client_of(emu) as client:
            res = sync_jobs(client, arc, since=since, until=until, horizon=None,
                            details="none", progress=False)  # fmt: skip
    assert res.listed == 3 and res.unreadable == () and res.partial is None
    df = arc.to_frame().set_index("job_id")
    assert sorted(df.index) == ["ends-after", "inside", "running"]  # created in the window
    assert df.loc["running", "status"] == "Running"
    assert df.loc["ends-after", "ended"] == pd.Timestamp("2026-11-21T01:00:00Z")
    assert [(w.start, w.end) for w in arc.coverage("0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                                                   now=until).windows] == [
        (pd.Timestamp(since), pd.Timestamp(until))
    ]  # fmt: skip


def test_sync_reads_the_list_down_to_since_and_no_further():
    """Newest first, no time filter: the pages older than ``since`` are not asked for."""
    records = [json.loads(b) for b in _read_lines()[:600]]
    created = normalize_jobs(records)["created"]
    since = created.sort_values().iloc[-130].to_pydatetime()  # 130 jobs are this new
    with Emulator(records, retention_days=None) as emu, client_of(emu) as client:
        arc = JobArchive(":memory:")
        res = sync_jobs(client, arc, since=since, until=UNTIL, horizon=None, details="none",
                        progress=False)  # fmt: skip
        pages = emu.counts["tasklist"]
    assert res.listed == 130 == len(arc.to_frame())
    assert pages == 130 // 50 + 1  # the page that crosses `since` is the last asked for


def test_a_task_list_not_newest_first_is_read_whole_rather_than_miss_a_job(monkeypatch):
    records = [json.loads(b) for b in _read_lines()[:300]]
    shown = Emulator._task_rows
    monkeypatch.setattr(Emulator, "_task_rows", lambda self, p=None: shown(self, p)[::-1])
    created = normalize_jobs(records)["created"]
    since = created.sort_values().iloc[150].to_pydatetime()  # half the jobs are older
    with Emulator(records, retention_days=None) as emu, client_of(emu) as client:
        arc = JobArchive(":memory:")
        res = sync_jobs(client, arc, since=since, until=UNTIL, horizon=None, details="none",
                        progress=False)  # fmt: skip
        pages = emu.counts["tasklist"]
    assert res.listed == int((created >= pd.Timestamp(since)).sum()) == 150
    assert pages == 300 // 50 + 1  # oldest first: every page, then the empty one


def test_the_result_says_when_the_horizon_moved_since():
    """The CLI's note comes from here (one home of the clamp): (asked, used), the window
    starting where it was used; None when since lies inside the horizon or there is none."""
    now = datetime.now(UTC)
    with Emulator([]) as emu, client_of(emu) as client:
        arc = JobArchive(":memory:")
        asked = now - timedelta(days=45)
        res = sync_jobs(client, arc, since=asked, horizon=timedelta(days=30), progress=False)
        assert res.clamped_since is not None and res.clamped_since[0] == asked
        used = res.clamped_since[1]
        assert used == res.window_start and now - timedelta(days=30) <= used < now
        res = sync_jobs(client, arc, since=now - timedelta(days=10), progress=False)
        assert res.clamped_since is None
        res = sync_jobs(client, arc, since=asked, horizon=None, progress=False)
        assert res.clamped_since is None and res.window_start == asked


@pytest.mark.slow
def test_sync_result_says_what_its_frame_holds_and_frame_still_reads_it():
    with Emulator(retention_days=None) as emu:
        res = backfill(emu, JobArchive(":memory:"), details="none")
    assert list(res.detail_jobs.columns)[-2:] == ["fetch_status", "fetch_error"]
    with pytest.warns(DeprecationWarning, match="SyncResult.detail_jobs"):
        assert res.frame is res.detail_jobs


def test_the_old_fetch_path_still_reaches_what_moved_to_sync():
    import importlib

    with warnings.catch_warnings():  # the alias warns (tested with the alias table)
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("rds_job_analytics.fetch")
    from rds_job_analytics.sync import _fetch, _sync

    assert old.sync_jobs is _sync.sync_jobs and old.SyncResult is _sync.SyncResult
    assert old.fetch_jobs is _fetch.fetch_jobs and old.DetailRule is _sync.DetailRule
    assert old._default_since is _sync.default_since


def fast_client(emu, **kw):
    kw.setdefault("backoff", 0.001)
    kw.setdefault("max_workers", 8)
    return emu.client(**kw)


@pytest.mark.slow  # the whole sample: 5,000 detail calls
def test_sync_then_incremental_sync_spends_only_list_and_running_calls(tmp_path):
    with Emulator(retention_days=None) as emu:
        client = fast_client(emu)
        arc = JobArchive(tmp_path / "a.sqlite")
        until = SAMPLE_END + timedelta(hours=1)
        first = sync_jobs(client, arc, since=SAMPLE_START, until=until, details="all",
                          horizon=None, progress=False)  # fmt: skip
        assert first.listed == 5000 and first.failed == 0 and len(arc) == 5000
        list_calls = -(-5000 // 50) + 1
        assert first.calls == list_calls + 5000
        second = sync_jobs(client, arc, since=SAMPLE_START, until=until, details="all",
                           horizon=None, progress=False)  # fmt: skip
        running = sum(1 for s in arc.statuses(DEMO_PROJECT).values() if s not in TERMINAL_STATUSES)
        assert second.calls == list_calls + running
        assert len(arc.syncs(DEMO_PROJECT)) == 2


def test_sync_rejects_a_bad_errors_value_before_any_call(emu):
    client = fast_client(emu)
    with pytest.raises(ValueError, match="errors must be one of 'warn', 'raise', 'ignore'"):
        sync_jobs(client, JobArchive(":memory:"), errors="loud")
    assert client.calls == 0

"""No gaps, or a loud warning: JobArchive.coverage, the report's coverage sentences and
``rds-jobs sync``'s gap lines and exit code, against the emulator over loopback."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

from rds_job_analytics import ConfigError, JobArchive, _format, monthly_report, sync_jobs
from rds_job_analytics.cli import main
from rds_job_analytics.emulator import DEMO_PROJECT, DEMO_TOKEN, Emulator
from rds_job_analytics.report import month_bounds
from rds_job_analytics.store.coverage import Coverage, Window, find_gaps, merge_windows

NOW = pd.Timestamp("2026-11-30 12:00", tz="UTC")


def ts(text):
    return pd.Timestamp(text, tz="UTC")


def record(arc, start, end, project="p"):
    arc.record_sync(project, None, start, end, listed=0, fetched=0, calls=1)


@pytest.mark.parametrize("seconds", [45.0, 80.0, 5400.0, 6 * 3600.0, 200_000.0, 11 * 86400.0])
def test_coverage_lines_write_lengths_as_the_report_does(seconds):
    """A gap, a lost window and the time not synced yet read as ``_format.duration_text``
    reads them (80 s is '1.33 min', 200,000 s '2.31 d'), so ``rds-jobs sync`` and the
    report describe the same gap in the same words."""
    end = NOW - pd.Timedelta(days=1)
    w = Window(end - pd.Timedelta(seconds=seconds), end)
    h0 = NOW - pd.Timedelta(days=30)
    text = _format.duration_text(seconds)
    gap, pending = Coverage("p", h0, NOW, (), (w,), pending=w).lines()[1:]
    assert f"({text}) not synced" in gap
    assert f"({text}; no gap" in pending
    lost = Coverage("p", h0, NOW, (), (), lost=w).lines()[1]
    assert f"({text}): the last sync" in lost


# -- JobArchive.coverage -----------------------------------------------------------------
def test_coverage_merges_partial_windows_and_finds_the_gaps_in_the_horizon(archive):
    arc = archive
    for start, end in [
        ("2026-11-20", "2026-11-25"),  # out of order
        ("2026-09-01", "2026-09-10"),  # long before the horizon: kept as history
        ("2026-10-25", "2026-11-05"),  # straddles the horizon's start
        ("2026-11-04", "2026-11-08"),  # overlaps the one before
        ("2026-11-08", "2026-11-10"),  # touches it
        ("2026-11-15", "2026-11-15"),  # empty: covers nothing
        ("2026-11-24", "2026-11-26"),
    ]:
        record(arc, datetime.fromisoformat(start), datetime.fromisoformat(end))
    record(arc, datetime(2026, 11, 1), datetime(2026, 11, 30), project="other")
    cov = arc.coverage("p", now=NOW)
    assert isinstance(cov, Coverage)
    assert (cov.horizon_start, cov.horizon_end) == (ts("2026-10-31 12:00"), NOW)
    assert cov.windows == (
        Window(ts("2026-09-01"), ts("2026-09-10")),
        Window(ts("2026-10-25"), ts("2026-11-10")),
        Window(ts("2026-11-20"), ts("2026-11-26")),
    )
    assert cov.gaps == (Window(ts("2026-11-10"), ts("2026-11-20")),)
    assert cov.pending == Window(ts("2026-11-26"), NOW)  # after the last sync: no gap
    assert not cov.complete
    assert cov.lost_at(cov.gaps[0]) == ts("2026-12-10")
    assert cov.at_risk() == []
    frame = cov.to_frame()
    assert frame["kind"].tolist() == ["window"] * 3 + ["gap", "pending"]
    assert frame["lost_at"].isna().tolist() == [True] * 3 + [False] * 2
    assert len(arc.syncs("p")) == 7  # the runs themselves stay as recorded


def test_time_after_the_last_sync_is_not_synced_yet_never_a_gap(archive):
    record(archive, NOW - pd.Timedelta(days=40), NOW - pd.Timedelta(seconds=63))
    cov = archive.coverage("p", now=NOW)
    assert cov.gaps == () and cov.complete
    assert cov.pending == Window(NOW - pd.Timedelta(seconds=63), NOW)
    assert cov.lines() == [
        "coverage of the API's 30-day horizon 2026-10-31 12:00 .. 2026-11-30 12:00 UTC: no gap",
        "not synced yet: since 2026-11-30 11:58 UTC (1.05 min; no gap, the next sync lists it)",
    ]
    assert cov.at_risk() == []


def test_not_synced_yet_for_weeks_is_at_risk_though_no_gap(archive):
    """The last sync ended 28 days ago: nothing there is a gap, but its oldest jobs
    leave the horizon within 3 days, so a sync must say so."""
    edge = NOW - pd.Timedelta(days=28)
    record(archive, NOW - pd.Timedelta(days=35), edge)
    cov = archive.coverage("p", now=NOW)
    assert cov.gaps == () and cov.pending == Window(edge, NOW)
    assert cov.at_risk() == [cov.pending]
    stale = archive.coverage("p", now=NOW + pd.Timedelta(days=10))  # older than the horizon
    assert stale.gaps == () and stale.pending == Window(stale.horizon_start, stale.horizon_end)


def test_an_archive_abandoned_past_the_horizon_says_what_is_lost(archive):
    """The last sync ended 41 days ago: the jobs created between its end and the
    horizon's start (11 days) can no longer be listed; coverage is not complete."""
    end = NOW - pd.Timedelta(days=41)
    record(archive, NOW - pd.Timedelta(days=45), end)
    cov = archive.coverage("p", now=NOW)
    assert not cov.complete
    assert cov.lost == Window(end, cov.horizon_start) and cov.lost.length == pd.Timedelta(days=11)
    assert cov.lines() == [
        "coverage of the API's 30-day horizon 2026-10-31 12:00 .. 2026-11-30 12:00 UTC: no gap;"
        " jobs lost before it",
        "lost 2026-10-20 12:00 .. 2026-10-31 12:00 UTC (11 d): the last sync ended before"
        " the horizon's start; jobs created then can no longer be listed",
        "not synced yet: since 2026-10-31 12:00 UTC (30 d; no gap, the next sync lists it)",
    ]
    assert "lost" in cov.to_frame()["kind"].tolist()
    fresh = archive.coverage("p", now=end + pd.Timedelta(days=29))  # still inside: nothing lost
    assert fresh.lost is None and fresh.complete


def test_coverage_right_after_sync_jobs_shows_no_gap(archive):
    now = pd.Timestamp.now(tz="UTC").floor("s")
    with Emulator(recent_jobs(now, [0.5, 2, 8, 29]), retention_days=30) as emu:
        with emu.client() as client:
            res = sync_jobs(client, archive, progress=False)
    assert res.listed == 4
    cov = archive.coverage(DEMO_PROJECT)  # a moment later, on the real clock
    assert cov.gaps == () and cov.complete, str(cov)
    assert cov.pending is not None and cov.pending.start == pd.Timestamp(res.window_end)
    assert "gap(s)" not in str(cov)


def test_coverage_naive_is_utc_and_offsets_are_converted(archive):
    arc = archive
    shanghai = datetime(2026, 11, 2, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    record(arc, datetime(2026, 10, 31, 12, 0), shanghai)  # naive = UTC; +08:00 -> 16:00 UTC
    record(arc, "2026-11-01T08:00:00+00:00", "2026-11-30T12:00:00Z")
    cov = arc.coverage("p", now=datetime(2026, 11, 30, 12, 0))  # naive now = UTC
    assert cov.complete and cov.gaps == ()
    assert cov.windows == (Window(ts("2026-10-31 12:00"), NOW),)
    assert arc.syncs("p")["window_end"].iloc[0] == ts("2026-11-01 16:00")
    assert arc.last_sync_end("p") == NOW.to_pydatetime()


def test_coverage_of_a_project_never_synced_is_one_gap_being_lost_now(archive):
    arc = archive
    cov = arc.coverage("p", now=NOW)
    assert cov.windows == ()
    assert cov.gaps == (Window(NOW - pd.Timedelta(days=30), NOW),)
    assert cov.at_risk() == list(cov.gaps) and cov.lost_at(cov.gaps[0]) == NOW
    assert "lost from 2026-11-30 12:00 UTC (now)" in str(cov)
    assert arc.coverage("p", now=NOW, horizon_days=7).horizon == pd.Timedelta(days=7)
    with pytest.raises(ConfigError, match="horizon_days"):
        arc.coverage("p", horizon_days=0)
    with pytest.raises(ConfigError, match="ends before it starts"):
        record(arc, datetime(2026, 11, 2), datetime(2026, 11, 1))


@pytest.mark.parametrize(("edge_days_ago", "at_risk"), [(28, True), (27, True), (26.9, False)])
def test_a_gap_is_at_risk_when_its_older_edge_leaves_the_horizon_within_3_days(
    edge_days_ago, at_risk
):
    arc = JobArchive(":memory:")
    edge = NOW - pd.Timedelta(days=edge_days_ago)
    record(arc, NOW - pd.Timedelta(days=31), edge)
    record(arc, NOW - pd.Timedelta(days=1), NOW)
    cov = arc.coverage("p", now=NOW)
    gap = Window(edge, NOW - pd.Timedelta(days=1))
    assert cov.gaps == (gap,)
    assert cov.lost_at(gap) == edge + pd.Timedelta(days=30)
    assert cov.at_risk() == ([gap] if at_risk else [])


def test_coverage_survives_reopening_the_archive(archive_url):
    path = archive_url
    with JobArchive(path) as arc:
        record(arc, NOW - pd.Timedelta(days=30), NOW - pd.Timedelta(days=10))
    with JobArchive(path) as arc:
        record(arc, NOW - pd.Timedelta(days=12), NOW)
        assert arc.coverage("p", now=NOW).complete


def test_window_helpers_drop_empty_and_reversed_windows():
    assert merge_windows([("2026-11-02", "2026-11-01"), ("2026-11-03", "2026-11-03")]) == []
    assert merge_windows([(pd.NaT, "2026-11-01")]) == []
    assert find_gaps([], "2026-11-01", "2026-11-02") == [Window(ts("2026-11-01"), ts("2026-11-02"))]


# -- the report ----------------------------------------------------------------------------
def quality(html):
    section = html.split('<section id="quality">')[1].split("</section>")[0]
    return re.findall(r"<li>(.*?)</li>", section, re.S)


def syncs(*spans, project=None):
    frame = pd.DataFrame(
        {"window_start": [ts(a) for a, _ in spans], "window_end": [ts(b) for _, b in spans]}
    )
    if project is not None:
        frame["project_id"] = project
    return frame


@pytest.mark.slow
def test_report_claims_the_whole_month_only_when_merged_windows_cover_it(sample):
    pieces = [("2026-09-20", "2026-10-10"), ("2026-10-09", "2026-10-20"),
              ("2026-10-20", "2026-11-02")]  # fmt: skip
    covered = quality(monthly_report(sample, "2026-10", coverage=syncs(*pieces)).html)
    assert "Archive sync coverage: the whole month is covered by recorded syncs." in covered
    holes = [("2026-09-20", "2026-10-10"), ("2026-10-11", "2026-10-20"),
             ("2026-10-20", "2026-10-31 18:00")]  # fmt: skip
    items = quality(monthly_report(sample, "2026-10", coverage=syncs(*holes)).html)
    assert not any("whole month is covered" in i for i in items)
    assert any("2 gap(s) with no recorded sync" in i for i in items)
    gaps = [i for i in items if i.startswith("Gap:")]
    assert len(gaps) == 2
    assert "2026-10-10 00:00 .. 2026-10-11 00:00 UTC (1 d)" in gaps[0]
    assert "2026-10-31 18:00 .. 2026-11-01 00:00 UTC (6 h)" in gaps[1]
    assert "can no longer be synced" in gaps[0]  # it left the API's horizon on 2026-11-10


@pytest.mark.slow
def test_report_month_covered_for_one_project_is_not_covered_for_all(sample):
    both = pd.concat([
        syncs(("2026-09-01", "2026-11-05"), project="a"),
        syncs(("2026-10-05", "2026-11-05"), project="b"),
    ])  # fmt: skip
    items = quality(monthly_report(sample, "2026-10", coverage=both).html)
    assert "Archive sync coverage of project a: the whole month is covered by recorded syncs." in (
        items
    )
    assert any(i.startswith("Archive sync coverage of project b: 87% of the month") for i in items)
    assert any(
        i.startswith("Gap of project b: 2026-10-01 00:00 .. 2026-10-05 00:00") for i in items
    )
    assert not any(i.startswith("Archive sync coverage: the whole month") for i in items)


@pytest.mark.slow
def test_report_takes_a_coverage_object_and_lists_gaps_up_to_a_limit(sample):
    arc = JobArchive(":memory:")
    start, _ = month_bounds("2026-10")
    for day in range(31):  # 25 gaps of 6 h, then 6 days covered to the end
        s = start + pd.Timedelta(days=day)
        record(arc, s, s + pd.Timedelta(hours=18 if day < 25 else 24))
    items = quality(monthly_report(sample, "2026-10", coverage=arc.coverage("p")).html)
    assert any("25 gap(s) with no recorded sync" in i for i in items)
    assert sum(i.startswith("Gap:") for i in items) == 20
    assert "... and 5 more gap(s) not listed here." in items
    nothing = quality(monthly_report(sample, "2026-08", coverage=arc.coverage("p")).html)
    assert any("no recorded sync covers any of this month" in i for i in nothing)


# -- the horizon, end to end (needs sync_jobs to clamp `since` to the API's horizon) ----------
def recent_jobs(now, days_ago):
    return [
        {"job": {"id": f"j{i}", "name": "RestartMysqlInstance", "status": "Completed",
                 "created": f"{now - pd.Timedelta(days=d):%Y-%m-%dT%H:%M:%S}+0000",
                 "ended": f"{now - pd.Timedelta(days=d, minutes=-2):%Y-%m-%dT%H:%M:%S}+0000"}}
        for i, d in enumerate(days_ago)
    ]  # fmt: skip


def test_sync_from_before_the_horizon_covers_only_the_horizon_and_the_report_says_so(tmp_path):
    now = pd.Timestamp.now(tz="UTC").floor("s")
    month = pd.Period((now - pd.Timedelta(days=62)).tz_localize(None), "M")  # ended >30 days ago
    month_start, month_end = month_bounds(month)
    assert month_end < now - pd.Timedelta(days=30)
    since = month_start.to_pydatetime()  # at least 60 days ago: older than the API answers for
    records = recent_jobs(now, [1, 5, 20, 45, 50, 70])  # the last three have expired
    arc = JobArchive(tmp_path / "a.sqlite")
    before = datetime.now(UTC)
    with Emulator(records, retention_days=30) as emu, emu.client() as client:
        res = sync_jobs(client, arc, since=since, progress=False)
    assert res.listed == 3
    horizon_then = before - timedelta(days=30)
    assert res.window_start >= horizon_then
    cov = arc.coverage(DEMO_PROJECT)
    assert cov.windows and all(w.start >= horizon_then for w in cov.windows)
    assert min(arc.syncs(DEMO_PROJECT)["window_start"]) >= horizon_then
    for coverage in (arc.syncs(), cov):
        html = monthly_report(arc.to_frame(), str(month), coverage=coverage).html
        items = quality(html)
        assert "the whole month is covered" not in html
        assert any("no recorded sync covers any of this month" in i for i in items), items


# -- rds-jobs sync ---------------------------------------------------------------------------
@pytest.fixture
def live(monkeypatch):
    """An emulator on the real clock with jobs of the last 30 days, and a CLI runner."""
    monkeypatch.setenv("RDS_JOBS_TOKEN", DEMO_TOKEN)
    now = pd.Timestamp.now(tz="UTC").floor("s")
    with Emulator(recent_jobs(now, [0.5, 2, 8, 15, 25, 29]), retention_days=30) as emu:
        yield emu, now


def run_sync(capsys, emu, db, *extra):
    """Exit code, the output from the coverage summary on (after the sync's own lines),
    and stderr."""
    code = main(["sync", "--archive", str(db), "--endpoint", emu.url, "--project-id",
                 DEMO_PROJECT, "--rate-limit", "1000", *extra])  # fmt: skip
    out = capsys.readouterr()
    lines = out.out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("coverage of the API's"))
    assert any(line.startswith("sync ") for line in lines[:first]), lines
    return code, lines[first:], out.err


def iso(when):
    return f"{when:%Y-%m-%dT%H:%M}"


def test_cli_sync_of_the_whole_horizon_reports_no_gap(live, archive_url, capsys):
    emu, _ = live
    code, out, err = run_sync(capsys, emu, archive_url)
    assert code == 0, err
    assert out[0].startswith("coverage of the API's 30-day horizon ") and out[0].endswith("no gap")
    assert len(out) == 1 and "sync now or lose it" not in err
    with JobArchive(archive_url) as arc:
        assert len(arc.to_frame()) == 6


def test_cli_sync_names_the_gap_it_is_losing_and_exits_1_until_rerun(live, tmp_path, capsys):
    emu, now = live
    db = tmp_path / "a.sqlite"
    since = now - pd.Timedelta(days=10)
    code, out, err = run_sync(capsys, emu, db, "--since", iso(since))
    assert code == 1
    assert out[0].endswith(": 1 gap(s)")
    assert re.fullmatch(rf"gap .* \.\. {since:%Y-%m-%d %H:%M} UTC \(20 d\) not synced; "
                        r"lost from .* UTC \(now\)", out[1])  # fmt: skip
    warning = re.search(r"sync now or lose it: gap (.*) starts leaving the API's horizon on "
                        r"(\S+ \S+) UTC \(now\); rerun with --since (\S+)", err)  # fmt: skip
    assert warning, err
    assert warning.group(1).endswith(f"{since:%Y-%m-%d %H:%M} UTC")
    code, out, err = run_sync(capsys, emu, db, "--since", warning.group(3))
    assert code == 0, err
    assert out[0].endswith("no gap") and "sync now or lose it" not in err


@pytest.mark.parametrize(("edge_days_ago", "code"), [(28, 1), (26, 0), (20, 0)])
def test_cli_sync_exits_1_only_when_a_gap_leaves_the_horizon_within_3_days(
    live, tmp_path, capsys, edge_days_ago, code
):
    emu, now = live
    db = tmp_path / "a.sqlite"
    edge = (now - pd.Timedelta(days=edge_days_ago)).floor("min")
    with JobArchive(db) as arc:  # an earlier sync that stopped at `edge`
        record(arc, now - pd.Timedelta(days=31), edge, project=DEMO_PROJECT)
    got, out, err = run_sync(capsys, emu, db, "--since", iso(now - pd.Timedelta(days=1)))
    assert got == code, err
    lost = edge + pd.Timedelta(days=30)
    assert out[0].endswith(": 1 gap(s)")
    assert out[1].startswith(f"gap {edge:%Y-%m-%d %H:%M} .. ")
    assert out[1].endswith(f"not synced; lost from {lost:%Y-%m-%d %H:%M} UTC")
    if code:
        assert f"sync now or lose it: gap {edge:%Y-%m-%d %H:%M} .. " in err
        assert f"horizon on {lost:%Y-%m-%d %H:%M} UTC; rerun with --since {iso(edge)}" in err
    else:
        assert "sync now or lose it" not in err


def test_cli_sync_with_until_shows_what_it_left_after_the_window(live, tmp_path, capsys):
    emu, now = live
    until = now - pd.Timedelta(days=3)
    code, out, err = run_sync(capsys, emu, tmp_path / "a.sqlite", "--until", iso(until))
    assert code == 0, err
    assert out[0].endswith(": no gap")  # what lies after the window is not synced yet
    assert out[1].startswith(f"not synced yet: since {until:%Y-%m-%d %H:%M} UTC (3 d")
    assert len(out) == 2


def test_cli_sync_help_explains_the_gap_warning(capsys):
    with pytest.raises(SystemExit) as info:
        main(["sync", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "within 3 days (sync now or lose it" in text and "64 usage error" in text


def test_rerun_after_a_failed_task_list_page_fills_the_partial_window(monkeypatch):
    """A page failing after retries leaves a partial window and a gap; the next default
    run lists the gap again (needs sync_jobs' default `since` to start at the gap)."""
    from rds_job_analytics.emulator import _handler as emulator_module

    now = pd.Timestamp.now(tz="UTC").floor("s")
    served = emulator_module._Handler._tasklist
    pages = {"n": 0}

    def second_page_fails(handler, query):
        pages["n"] += 1
        if pages["n"] == 2:
            return handler._error(503, "APIGW.0500", "injected")
        return served(handler, query)

    monkeypatch.setattr(emulator_module._Handler, "_tasklist", second_page_fails)
    arc = JobArchive(":memory:")
    hours = [3 * i + 1 for i in range(120)]  # 120 jobs over the last 15 days
    with Emulator(recent_jobs(now, [h / 24 for h in hours]), retention_days=30) as emu:
        client = emu.client(max_retries=0)
        with pytest.warns(UserWarning, match="rerun"):
            first = sync_jobs(client, arc, progress=False)
        assert first.listed == 50 and len(arc.to_frame()) == 50  # what was listed is kept
        cov = arc.coverage(DEMO_PROJECT)
        assert [g.end for g in cov.gaps if g.start < first.window_end] == [first.window_start]
        again = sync_jobs(client, arc, progress=False)
    assert len(arc.to_frame()) == 120 and again.listed >= 70
    cov = arc.coverage(DEMO_PROJECT)
    assert [g for g in cov.gaps if g.start < again.window_end] == []


# -- task-list records that cannot be read count against coverage --------------------------
@pytest.mark.parametrize("shape", ["job_id", "nulls"])
def test_unreadable_task_records_leave_the_window_unclaimed_until_a_rerun_reads_them(
    archive, corrupt_tasks, shape
):
    from rds_job_analytics.sync._fetch import FetchWarning

    now = pd.Timestamp.now(tz="UTC").floor("s")
    with Emulator(recent_jobs(now, [2, 5]), retention_days=30) as emu, emu.client() as client:
        first = sync_jobs(client, archive, progress=False)  # complete: claimed up to its end
        newer = recent_jobs(now, [0.0005])[0]  # inside the default overlap
        newer["job"]["id"] = "new1"
        emu.load([newer])
        corrupt_tasks["new1"] = shape
        with pytest.warns(FetchWarning, match=r"1 record\(s\) could not be read .*'new1'"):
            bad = sync_jobs(client, archive, progress=False)
        assert len(bad.unreadable) == 1 and "'new1'" in bad.unreadable[0], bad.unreadable
        assert "unreadable, window not recorded as covered" in str(bad)
        assert "new1" not in set(archive.to_frame()["job_id"])
        cov = archive.coverage(DEMO_PROJECT)
        assert cov.windows[-1].end == pd.Timestamp(first.window_end)  # nothing more claimed
        assert cov.pending.start == pd.Timestamp(first.window_end)
        del corrupt_tasks["new1"]  # the service mends: the next default run lists it again
        again = sync_jobs(client, archive, progress=False)
    assert again.unreadable == () and again.window_start < newer_created(newer)
    assert "new1" in set(archive.to_frame()["job_id"])
    assert archive.coverage(DEMO_PROJECT).windows[-1].end == pd.Timestamp(again.window_end)


def newer_created(record):
    return pd.Timestamp(record["job"]["created"]).to_pydatetime()


@pytest.mark.parametrize("shape", ["job_id", "nulls"])
def test_cli_sync_exits_1_naming_unreadable_task_records(live, tmp_path, capsys, corrupt_tasks,
                                                         shape):  # fmt: skip
    emu, _ = live
    corrupt_tasks["j1"] = shape
    code = main(["sync", "--archive", str(tmp_path / "a.sqlite"), "--endpoint", emu.url,
                 "--project-id", DEMO_PROJECT, "--rate-limit", "1000"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 1, out.err
    assert "1 task-list record(s) unreadable" in out.out
    assert re.search(r"unreadable record page 1 record #\d \(id 'j1'\): no ", out.err), out.err
    assert "not recorded as covered" in out.err
    with JobArchive(tmp_path / "a.sqlite") as arc:
        assert arc.syncs(DEMO_PROJECT).empty or arc.coverage(DEMO_PROJECT).windows == ()
        assert len(arc.to_frame()) == 5


def test_cli_sync_warns_when_what_is_not_synced_yet_starts_leaving_the_horizon(
    live, tmp_path, capsys
):
    emu, now = live
    until = (now - pd.Timedelta(days=28)).floor("min")
    code, out, err = run_sync(capsys, emu, tmp_path / "a.sqlite", "--until", iso(until))
    assert code == 1, err
    assert out[0].endswith(": no gap") and out[1].startswith(
        f"not synced yet: since {until:%Y-%m-%d %H:%M}"
    )
    assert f"sync now or lose it: not synced yet {until:%Y-%m-%d %H:%M} .. " in err


def test_an_unreadable_record_created_outside_the_window_does_not_count_against_it(
    archive, corrupt_tasks
):
    now = pd.Timestamp.now(tz="UTC").floor("s")
    corrupt_tasks["j2"] = "job_id"  # created 20 days ago, before the window: not its business
    with Emulator(recent_jobs(now, [2, 5, 20]), retention_days=30) as emu, emu.client() as client:
        res = sync_jobs(client, archive, since=(now - pd.Timedelta(days=10)).to_pydatetime(),
                        progress=False)  # fmt: skip
    assert res.unreadable == () and res.listed == 2
    assert archive.coverage(DEMO_PROJECT).windows[-1].start == pd.Timestamp(res.window_start)

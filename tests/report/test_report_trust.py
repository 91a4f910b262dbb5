"""Monthly report: a verdict it can be trusted by (Report.problems), the manager's page,
per-region sections, time zones, literal chart text and readable charts."""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import num2date

import rds_job_analytics as rja
from rds_job_analytics import monthly_report, normalize_jobs
from rds_job_analytics._format import MIN_JOBS
from rds_job_analytics.normalize.schema import FAILED, RUNNING, with_origin
from rds_job_analytics.report import data_window, month_bounds
from rds_job_analytics.synth import generate_jobs
from tests.report.test_report import Parsed


def _syncs(*spans):
    return pd.DataFrame(
        {
            "window_start": [pd.Timestamp(a, tz="UTC") for a, _ in spans],
            "window_end": [pd.Timestamp(b, tz="UTC") for _, b in spans],
        }
    )


FULL = _syncs(("2026-07-01", "2026-12-01"))


def _headline(html: str) -> str:
    return html[html.index('<section id="headline">') : html.index('<section id="trend">')]


@pytest.mark.slow
def test_partial_coverage_is_a_problem_said_in_the_headline(sample):
    rep = monthly_report(sample, "2026-10", coverage=_syncs(("2026-10-01", "2026-10-04")))
    assert len(rep.problems) == 1
    assert rep.problems[0].startswith("the archive covers 3 of 31 days of 2026-10")
    head = _headline(rep.html)
    assert "may be incomplete" in head and "covers 3 of 31 days of 2026-10" in head
    assert "archive coverage" in head and "10%" in head
    assert "problem" in repr(rep)
    # a partial month is compared with nothing: no "vs previous month", no "down N points"
    assert "vs previous month" not in head and "points from" not in rep.html
    assert "vs previous month" in _headline(monthly_report(sample, "2026-10", coverage=FULL).html)


@pytest.mark.slow
def test_a_small_budget_is_not_rounded_into_a_contradiction(sample):
    import re

    rep = monthly_report(sample, "2026-10", coverage=FULL, target=0.002)
    allowed = re.search(r"failures of ([\d.,]+) allowed", rep.html).group(1)
    assert "." in allowed  # e.g. "0.5 allowed", never a rounded "1 allowed"


@pytest.mark.slow
def test_full_coverage_with_jobs_is_trustworthy(sample):
    rep = monthly_report(sample, "2026-10", coverage=FULL)
    assert rep.problems == ()
    assert "may be incomplete" not in rep.html
    assert "complete" in repr(rep)


@pytest.mark.slow
def test_unknown_coverage_and_empty_month_are_problems(sample):
    assert "not known" in monthly_report(sample, "2026-10").problems[0]
    empty = monthly_report(sample, "2025-01", coverage=_syncs(("2024-12-01", "2025-03-01")))
    assert empty.problems == ("no jobs in 2025-01",)
    head = _headline(empty.html)
    assert "no jobs in 2025-01" in head and "No jobs were recorded in January 2025." in head
    none = monthly_report(rja.empty_jobs_frame(), "2026-10", coverage=_syncs())
    assert none.problems == ("no jobs in 2026-10", "no sync of the archive covers any of 2026-10")


@pytest.mark.slow
def test_each_project_must_cover_the_month(sample):
    cov = pd.concat(
        [
            FULL.assign(project_id="p1"),
            _syncs(("2026-10-01", "2026-10-16")).assign(project_id="p2"),
        ]
    )
    rep = monthly_report(sample, "2026-10", coverage=cov)
    assert len(rep.problems) == 1 and "(project p2) covers 15 of 31 days" in rep.problems[0]


@pytest.mark.slow
def test_summary_trend_and_cards(sample):
    rep = monthly_report(sample, "2026-10", coverage=FULL, target=0.02)
    p = Parsed(rep.html)
    text = " ".join(p.text)
    cur = rja.filter_window(sample, *month_bounds("2026-10"))
    fr = rja.failure_rates(cur, by=None).iloc[0]
    summary = re.search(r'<p class="summary">(.*?)</p>', rep.html, re.S).group(1)
    assert f"{len(cur):,} jobs were created in October 2026" in summary
    assert f"a failure rate of {fr['failure_rate']:.1%}" in summary
    assert "over the 2.0% target" in summary
    # budget card: failures against what the target allows
    allowed = 0.02 * fr["finished"]
    assert f"{fr['failed'] / allowed:.0%} spent" in text
    running = cur[(cur["status"] == RUNNING) & cur["ended"].isna()]
    assert "still running" in text and f"{len(running):,}" in text
    # up to 6 months, oldest first, with the month's row matching the stats; the sample
    # starts in August: the months before it are no data, not "0 jobs", so they are left out
    trend = p.table_with("Failures", "Month")
    assert list(trend) == ["August 2026", "September 2026", "October 2026"]
    assert trend["October 2026"][0] == f"{len(cur):,}"
    assert "May 2026" not in " ".join(p.text)
    # the target is drawn: a dashed line at 2% on the failure chart
    ax = rep.figures["failures"].axes[0]
    assert any(list(line.get_xdata()) == [0.02, 0.02] for line in ax.lines)


@pytest.mark.slow
def test_worst_offenders_by_failures_and_by_lower_bound(sample):
    rep = monthly_report(sample, "2026-10", coverage=FULL)
    cur = rja.filter_window(sample, *month_bounds("2026-10"))
    fr = rja.failure_rates(cur)
    fr = fr[fr["failed"] > 0]
    p = Parsed(rep.html)
    tables = [t for t in p.tables if t and t[0][:2] == ["Job type", "Jobs"]]
    by_failures, by_bound = ([r[0] for r in t[1:]] for t in tables[:2])
    assert by_failures == list(fr.sort_values(["failed", "ci_low"], ascending=False).index[:10])
    enough = fr[fr["finished"] >= MIN_JOBS]  # a handful of jobs is not ranked by its bound
    assert by_bound == list(enough.sort_values(["ci_low", "failed"], ascending=False).index[:10])
    assert by_bound != list(fr.sort_values("failure_rate", ascending=False).index[:10])
    inst = p.table_with("Failing job types", "Instance")
    counts = [int(v[0]) for v in inst.values()]
    assert counts == sorted(counts, reverse=True) and len(inst) == 10


@pytest.mark.slow
def test_regression_flagged(sample):
    df = sample.copy()
    start, end = month_bounds("2026-10")
    hit = (df["job_name"] == "BackupDbMysqlInInstance") & (df["created"] >= start)
    hit &= df["created"] < end
    df.loc[hit[hit].index[::3], "status"] = FAILED
    rep = monthly_report(df, "2026-10", coverage=FULL)
    p = Parsed(rep.html)
    reg = p.table_with("Earlier 5 months", "Job type")
    assert "BackupDbMysqlInInstance" in reg
    assert "failed significantly more often" in rep.html
    calm = Parsed(monthly_report(sample, "2026-10", coverage=FULL).html)
    with pytest.raises(AssertionError):
        calm.table_with("Earlier 5 months", "Job type")


@pytest.mark.slow
def test_stuck_jobs_have_their_age(sample):
    rep = monthly_report(sample, "2026-10", tz="Europe/Berlin")
    cur = rja.filter_window(sample, *month_bounds("2026-10", "Europe/Berlin"))
    running = cur[(cur["status"] == RUNNING) & cur["ended"].isna()]
    assert len(running)
    as_of = max(sample["created"].max(), sample["ended"].max())
    table = next(t for t in Parsed(rep.html).tables if t and "Running for (days)" in t[0])
    col = table[0].index("Running for (days)")
    ages = [float(r[col]) for r in table[1:]]
    assert ages == sorted(ages, reverse=True)  # oldest first
    want = sorted(((as_of - running["created"]) / pd.Timedelta(days=1)).round(1), reverse=True)
    assert ages[: len(want)] == pytest.approx(want, abs=0.11)
    assert "Created (Europe/Berlin)" in table[0]


@pytest.mark.slow
def test_regions_section_only_when_several(sample):
    one = with_origin(sample.copy(), region="cn-north-4", account="acme")
    assert 'id="regions"' not in monthly_report(one, "2026-10").html
    two = sample.copy()
    two["region"] = pd.Categorical(
        np.where(np.arange(len(two)) % 2, "cn-north-4", "ap-southeast-1")
    )
    two["account"] = pd.Categorical(["acme"] * len(two))
    rep = monthly_report(two, "2026-10")
    p = Parsed(rep.html)
    assert "regions" in p.ids() and "By region" in rep.html and "By account" not in rep.html
    cur = rja.filter_window(two, *month_bounds("2026-10"))
    by_region = p.table_with("Failure rate", "Region")
    assert set(by_region) == {"cn-north-4", "ap-southeast-1"}
    assert sum(int(v[0].replace(",", "")) for v in by_region.values()) == len(cur)
    # the headline stays estate-wide
    assert f'<div class="v">{len(cur):,}</div><div class="l">jobs</div>' in rep.html
    two["account"] = pd.Categorical(np.where(np.arange(len(two)) % 3, "acme", "umbrella"))
    assert "By account" in monthly_report(two, "2026-10").html


@pytest.mark.slow
def test_berlin_month_has_no_bar_outside_the_month(sample):
    start, _end = month_bounds("2026-10", "Europe/Berlin")
    # jobs on Sep 30 after 22:00 UTC are October in Berlin: the old UTC bins drew them on Sep 30
    assert (
        (sample["created"] >= start) & (sample["created"] < start + pd.Timedelta(hours=2))
    ).any()
    rep = monthly_report(sample, "2026-10", tz="Europe/Berlin")
    ax = rep.figures["timeline"].axes[0]
    days = {num2date(p.get_x()).date() for p in ax.patches if p.get_height() > 0}
    assert min(days) == pd.Timestamp("2026-10-01").date()
    assert max(days) == pd.Timestamp("2026-10-31").date()
    assert ax.get_xlabel() == "date (Europe/Berlin)"
    assert "00:00 Europe/Berlin" in rep.html and "Created (Europe/Berlin)" in rep.html


@pytest.mark.slow
def test_dollar_signs_in_api_text_are_drawn_literally(sample):
    df = sample.copy()
    oct_ = rja.filter_window(df, *month_bounds("2026-10")).index
    names = df["job_name"].astype(object)
    names.loc[oct_[:200]] = "$5 and $6"
    names.loc[oct_[200:500]] = "$\\nocommand$"  # invalid mathtext: raised before
    df["job_name"] = pd.Categorical(names)
    status = df["status"].astype(object)
    status.loc[oct_[500:510]] = "$Odd$"
    df["status"] = pd.Categorical(status)
    rep = monthly_report(df, "2026-10")
    assert "$5 and $6" in rep.html
    drawn = []
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        for fig in rep.figures.values():
            buf = io.StringIO()
            fig.savefig(buf, format="svg")
            drawn.append(buf.getvalue())
    svg = re.sub(r"<!--.*?-->", "", "".join(drawn), flags=re.S)  # text as drawn, not comments
    assert ">$5 and $6<" in svg and ">$Odd$<" in svg
    assert ">$\\nocommand$<" in svg


def _overlaps(boxes):
    """Pairs of text boxes that overlap (more than half a pixel each way)."""
    return [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5
    ]


@pytest.fixture(scope="module")
def many_types():
    raw = generate_jobs(
        12_000,
        start=pd.Timestamp("2026-08-01", tz="UTC").to_pydatetime(),
        end=pd.Timestamp("2026-11-01", tz="UTC").to_pydatetime(),
        seed=11,
    )
    df = normalize_jobs(raw)
    rng = np.random.default_rng(4)
    df["job_name"] = pd.Categorical(
        [f"JobTypeNumber{k:03d}" for k in rng.integers(0, 160, len(df))]
    )
    return df


@pytest.mark.slow
def test_160_job_types_tick_labels_do_not_overlap(many_types):
    cur = rja.filter_window(many_types, *month_bounds("2026-10"))
    assert cur["job_name"].nunique() == 160
    rep = monthly_report(many_types, "2026-10", coverage=FULL)
    checked = 0
    for key, fig in rep.figures.items():
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                labels = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
                boxes = [t.get_window_extent(renderer) for t in labels]
                assert not _overlaps(boxes), (key, [t.get_text() for t in labels])
                checked += len(boxes)
        # every label stays inside the figure
        fig_box = fig.bbox
        for ax in fig.axes:
            for t in ax.get_yticklabels():
                if t.get_text():
                    assert t.get_window_extent(renderer).x0 >= fig_box.x0 - 1, key
    assert checked > 40
    fail = rep.figures["failures"]
    labels = [t.get_text() for t in fail.axes[0].get_yticklabels()]
    assert len(labels) == 26 and labels[0].startswith("others (1")
    assert fail.get_size_inches()[1] < 10  # not a 160-row chart
    assert "top 15 of 160" in rep.figures["durations"].axes[0].get_title()


def test_data_window_spans_the_trend():
    start, end = data_window("2026-10", "Europe/Berlin")
    assert start == month_bounds("2026-05", "Europe/Berlin")[0]
    assert end == month_bounds("2026-10", "Europe/Berlin")[1]


@pytest.mark.slow
def test_the_trend_says_how_much_of_each_month_was_synced(sample):
    """A month the syncs left out is not a dip: the trend table says how much of each
    month the archive holds, and a partly synced previous month is compared with nothing."""
    holey = _syncs(("2026-08-01", "2026-08-20"), ("2026-10-01", "2026-11-02"))
    rep = monthly_report(sample, "2026-10", coverage=holey)
    assert rep.problems == ()  # October itself is whole
    trend = Parsed(rep.html).table_with("Synced", "Month")
    assert [trend[m][-1] for m in ("August 2026", "September 2026", "October 2026")] == [
        "61%", "0%", "100%"
    ]  # fmt: skip
    assert "vs previous month" not in rep.html and "points from September" not in rep.html
    whole = monthly_report(sample, "2026-10", coverage=FULL)
    assert "vs previous month" in whole.html


# -- task-only durations against per-job end times --------------------------------------------
def _quality_section(html: str) -> str:
    section = html[html.index('<section id="quality">') :]
    return " ".join(section[: section.index("</section>")].split())


def _archive_with_end_offsets(offsets_s, task_only=3, path=":memory:"):
    """An archive of October jobs: each with a per-job response ended 5 min after creation
    and a task-list record whose end_time is ``offset`` seconds later; ``task_only`` more
    jobs known from the task list alone."""
    arc = rja.JobArchive(path)
    t0 = pd.Timestamp("2026-10-05T08:00:00Z")
    tasks = []
    for i, offset in enumerate(offsets_s):
        created, ended = t0 + pd.Timedelta(hours=i), t0 + pd.Timedelta(hours=i, minutes=5)
        arc.put({"job": {"id": f"j{i}", "name": "RestartMysqlInstance", "status": "Completed",
                         "created": created.isoformat(), "ended": ended.isoformat()}},
                project_id="p")  # fmt: skip
        tasks.append({"id": f"j{i}", "name": "RestartMysqlInstance", "status": "Completed",
                      "create_time": created.isoformat(),
                      "end_time": (ended + pd.Timedelta(seconds=offset)).isoformat()})  # fmt: skip
    for i in range(task_only):
        created = t0 + pd.Timedelta(days=3, hours=i)
        tasks.append({"id": f"t{i}", "name": "RestartMysqlInstance", "status": "Completed",
                      "create_time": created.isoformat(),
                      "end_time": (created + pd.Timedelta(minutes=2)).isoformat()})  # fmt: skip
    arc.put_tasks(tasks, project_id="p")
    return arc


def test_quality_section_states_how_task_end_times_compare_and_stays_calm_when_they_agree():
    arc = _archive_with_end_offsets([0, 0, 10, 20, 30, -5, 0, 15])
    rep = monthly_report(arc.to_frame(), "2026-10", coverage=FULL,
                         end_times=arc.end_time_differences())  # fmt: skip
    text = _quality_section(rep.html)
    assert "Task-list end times: 3 of 11 job durations this month rest on the task list" in text
    assert (
        "On the 8 job(s) with both a per-job and a task-list end, they differ by a median "
        "of 7.5 s and 23 s at the 90th percentile (task end later on 4, earlier on 1)"
    ) in text
    assert "disagree" not in text and 'class="warn"' not in text
    assert rep.problems == ()


def test_quality_section_warns_when_task_end_times_disagree():
    from rds_job_analytics.report._quality import END_TIME_TOLERANCE_S

    arc = _archive_with_end_offsets([0] * 6 + [3600] * 2)
    rep = monthly_report(arc.to_frame(), "2026-10", coverage=FULL,
                         end_times=arc.end_time_differences())  # fmt: skip
    text = _quality_section(rep.html)
    assert END_TIME_TOLERANCE_S == 60
    assert 'class="warn" role="alert"><strong>Durations may be off:' in text
    assert (
        "Task-list end times disagree with per-job end times: 1 h at the 90th percentile "
        "(tolerance 1 min, on 8 job(s)); the 3 task-only duration(s)"
    ) in text
    assert "a median of 0 s and 1 h at the 90th percentile" in text
    without = _quality_section(monthly_report(arc.to_frame(), "2026-10", coverage=FULL).html)
    assert "Not compared with per-job end times" in without and "disagree" not in without


def test_cli_report_compares_task_end_times_from_the_archive(tmp_path, capsys):
    from rds_job_analytics.cli import main

    db = tmp_path / "a.sqlite"
    _archive_with_end_offsets([0] * 6 + [3600] * 2, path=db).close()
    out = tmp_path / "r.html"
    main(["report", "--archive", str(db), "--month", "2026-10", "-o", str(out)])
    capsys.readouterr()
    text = _quality_section(out.read_text(encoding="utf-8"))
    assert "Task-list end times disagree with per-job end times: 1 h" in text

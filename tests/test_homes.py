"""One home per rule in the presentation layer: statuses from the schema, choices through
``check_choice``, ``summarize`` in stats, ``write_frame`` in export, the sample's window in
sample.py, the report as model then rendering, shared parameter docs, and imports that a
cron ``rds-jobs sync`` does not pay for."""

from __future__ import annotations

import ast
import functools
import inspect
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pandas as pd
import pytest
from matplotlib.figure import Figure

import rds_job_analytics as rja
from rds_job_analytics import _format, cli, export, plots, stats, synth, widgets
from rds_job_analytics import sample as sample_module
from rds_job_analytics._format import TOP
from rds_job_analytics.normalize.schema import CANONICAL_STATUSES
from rds_job_analytics.report import _charts, _model, _quality, _render, monthly_report
from rds_job_analytics.store import _archive as archive

PACKAGE = Path(rja.__file__).parent
PRESENTATION = [
    PACKAGE / "stats.py",
    PACKAGE / "plots.py",
    PACKAGE / "widgets.py",
    *sorted((PACKAGE / "cli").glob("*.py")),
    *sorted((PACKAGE / "report").glob("*.py")),
]


@functools.cache
def _tree(path: Path) -> ast.Module:
    """A file's syntax tree, parsed once for all the scans below (read-only)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module, except docstrings and the report's section titles
    (prose: the "Running" section lists the jobs still running)."""
    tree = _tree(path)
    prose = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                prose.add(id(body[0].value))
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "SECTIONS" for t in node.targets
        ):
            prose.update(id(n) for n in ast.walk(node.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in prose
    ]


@pytest.mark.parametrize("path", PRESENTATION, ids=lambda p: p.name)
def test_statuses_are_spelled_only_in_the_schema(path):
    literal = [(line, s) for line, s in _code_strings(path) if s in CANONICAL_STATUSES]
    assert not literal, f"{path.name}: status literals {literal}; use the schema constants"


def test_status_names_come_from_the_schema():
    assert (stats.RUNNING, stats.COMPLETED, stats.FAILED) == ("Running", "Completed", "Failed")
    assert set(plots.STATUS_COLORS) == set(CANONICAL_STATUSES)


@pytest.mark.parametrize(
    ("call", "param", "allowed"),
    [
        (lambda df: rja.plot_timeline(df, freq="M"), "freq", ["'D'", "'W'"]),
        (lambda df: rja.plot_resize_deltas(df, kind="box"), "kind", ["'dumbbell'", "'hist'"]),
    ],
)
def test_choices_name_the_parameter_and_the_allowed_values(sample, call, param, allowed):
    with pytest.raises(rja.ConfigError, match=param) as info:
        call(sample)
    assert all(a in str(info.value) for a in allowed)


def test_plots_group_by_derived_keys_like_the_stats(sample):
    ax = rja.plot_durations(sample, by="month")
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(
        rja.duration_summary(sample, by="month").index
    )


def test_summarize_lives_in_stats_and_agrees_with_failure_rates(sample):
    assert cli.summarize is stats.summarize
    s = stats.summarize(sample)
    fr = rja.failure_rates(sample)
    assert s["jobs"].is_monotonic_decreasing
    assert s.loc[fr.index, "failed"].tolist() == fr["failed"].tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_frame_round_trips_json_columns(sample, tmp_path, suffix):
    df = sample.head(20)
    path = export.write_frame(df, tmp_path / "sub" / f"jobs{suffix}")
    back = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    assert len(back) == len(df) and list(back.columns) == list(df.columns)
    has_ids = df["resource_ids"].map(lambda v: isinstance(v, list))
    assert has_ids.any()
    got = [orjson.loads(v) for v in back.loc[has_ids.to_numpy(), "resource_ids"]]
    assert got == df.loc[has_ids, "resource_ids"].tolist()
    assert isinstance(df["resource_ids"].iloc[int(has_ids.to_numpy().argmax())], list)  # input kept


def test_write_frame_refuses_other_suffixes_and_has_one_home(tmp_path):
    with pytest.raises(rja.ConfigError, match=r"\.parquet or \.csv"):
        export.write_frame(rja.empty_jobs_frame(), tmp_path / "jobs.xlsx")
    import warnings

    with warnings.catch_warnings():  # the old archive module (an alias) serves export's
        warnings.simplefilter("ignore", DeprecationWarning)
        from rds_job_analytics.archive import write_frame
    assert write_frame is export.write_frame


def test_archive_export_writes_through_write_frame(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(export, "write_frame", lambda df, path: calls.append((len(df), path)))
    with archive.JobArchive(":memory:") as arc:
        arc.put({"job": {"id": "j1", "status": "Completed"}}, project_id="p")
        with pytest.warns(DeprecationWarning, match=r"rja\.export\.write_frame"):
            arc.export(tmp_path / "x.csv")
    assert calls == [(1, tmp_path / "x.csv")]


def test_sample_window_has_one_home(sample):
    assert (
        synth.SAMPLE_START is sample_module.SAMPLE_START
        and synth.SAMPLE_END is sample_module.SAMPLE_END
    )
    defaults = inspect.signature(synth.generate_jobs).parameters
    assert defaults["start"].default is sample_module.SAMPLE_START
    assert defaults["end"].default is sample_module.SAMPLE_END
    created = sample["created"].dropna()
    assert created.min() >= sample_module.SAMPLE_START and created.max() < sample_module.SAMPLE_END


@pytest.mark.slow
def test_report_is_a_model_then_its_rendering(sample):
    model = _model.build_model(sample, "2026-10")
    assert list(model.charts) == list(_model.CHART_KEYS)
    assert all(isinstance(fig, Figure) for fig in model.charts.values())
    cur = rja.filter_window(sample, *rja.month_bounds("2026-10"))
    assert model.cards[0] == _model.Card("jobs", f"{len(cur):,}", model.cards[0].delta)
    assert model.tables["failures_by_type"].frame["jobs"].sum() == len(cur)
    stamp = re.compile(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC")
    rep = monthly_report(sample, "2026-10")
    assert stamp.sub("", _render.render_html(model)) == stamp.sub("", rep.html)
    # the renderer shows what the model holds, nothing it computes itself
    model.cards[0] = _model.Card("jobs", "12,345,678")
    model.charts = dict.fromkeys(_model.CHART_KEYS)
    html = _render.render_html(model)
    assert "12,345,678" in html and "<img" not in html


def test_chart_sizes_have_one_home_in_plots(sample, monkeypatch):
    """The report's bar and box charts are sized by the plots module's named constants
    (public, documented in the README), not by bare numbers of its own."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for name in ("ROW_INCHES", "MARGIN_INCHES", "BOX_ROW_INCHES", "BOX_MARGIN_INCHES"):
        assert name in plots.__all__ and name in readme, name
    monkeypatch.setattr(plots, "BOX_ROW_INCHES", 1.0, raising=False)
    monkeypatch.setattr(_charts, "BOX_ROW_INCHES", 1.0)
    model = _model.build_model(sample, "2026-10")
    cur = rja.filter_window(sample, *rja.month_bounds("2026-10"))
    n = min(TOP, int(cur.loc[cur["duration_s"] > 0, "job_name"].nunique()))
    height = model.charts["durations"].get_size_inches()[1]
    assert height == pytest.approx(
        plots.height_for_rows(n, per_row=1.0, margin=plots.BOX_MARGIN_INCHES)
    )


def _public(module, prefix=""):
    return [
        getattr(module, name)
        for name in module.__all__
        if name.startswith(prefix) and inspect.isfunction(getattr(module, name))
    ]


@pytest.mark.parametrize(
    "func",
    [*_public(stats), *_public(plots)],
    ids=lambda f: f.__name__,
)
def test_public_stats_and_plots_document_every_parameter(func):
    doc = inspect.getdoc(func)
    assert "Parameters\n----------\n" in doc and "Examples\n--------\n" in doc
    for name, param in inspect.signature(func).parameters.items():
        entry = f"**{name}" if param.kind is param.VAR_KEYWORD else f"{name} :"
        assert f"\n{entry}" in doc, f"{func.__name__}: {name} not documented"


def test_shared_parameters_read_the_same_everywhere():
    funcs = [*_public(stats), *_public(plots)]
    for name in ("start", "end", "ax"):
        users = [f for f in funcs if name in inspect.signature(f).parameters]
        assert len(users) >= 4, name
        for f in users:
            assert stats._PARAM_DOCS[name] in inspect.getdoc(f), (f.__name__, name)


@pytest.mark.slow  # a cold interpreter in a subprocess (importing pandas): 1-3 s
def test_cron_paths_import_no_plotting_widgets_or_templates():
    code = (
        "import sys; import rds_job_analytics, rds_job_analytics.cli, rds_job_analytics.stats, "
        "rds_job_analytics.store._archive, rds_job_analytics.export._files, rds_job_analytics.sample; "
        "print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'matplotlib', 'ipywidgets', 'IPython', 'jinja2'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


# -- presentation: one home (_format) for durations, headers, labels, DPI, TOP, MIN_JOBS ---

SECONDS = [0.5, 45.0, 90.0, 754.0, 7200.0, 3 * 86400.0 + 1, 2_000 * 86400.0]


@pytest.mark.parametrize("seconds", SECONDS)
def test_the_same_seconds_read_the_same_in_report_explorer_and_plots(seconds):
    """A duration is ``<number> <unit>`` by one rule: the plots' tick text, the explorer's
    cell under its unit header, the report's cell under its unit header."""
    text = _format.duration_text(seconds)
    assert plots.format_seconds(seconds) == text  # plots' ticks and the report's cards
    assert _quality.duration_text(seconds) == text  # the report's gaps and end-time text
    # the explorer: a column whose values are all `seconds` is shown in their unit
    t = pd.DataFrame(
        {"jobs": [1, 1], "failed": [0, 0], "running": [0, 0], "failure_rate": [0.0, 0.0],
         "ci_low": [0.0, 0.0], "ci_high": [0.5, 0.5], "median_s": [seconds] * 2,
         "p90_s": [seconds] * 2},
        index=["a", "b"],
    )  # fmt: skip
    shown = widgets.styled_table(t)
    html = shown.to_html()
    unit = _format.duration_unit(t["median_s"])[0]
    assert f"Median ({unit})" in html
    cell = re.search(r'<td id="T_\w+_row0_col6"[^>]*>([^<]*)</td>', html).group(1).strip()
    assert f"{cell} {unit}" == text
    # the report: the same column through its duration formats
    fmts, heads = _model._duration_cols(t, {"median_s": "Median"})
    assert heads["median_s"] == f"Median ({unit})"
    assert f"{fmts['median_s'](seconds)} {unit}" == text


def test_duration_units_are_written_once():
    """No presentation module keeps a unit table or a unit rule of its own."""
    for path in [*PRESENTATION, PACKAGE / "report" / "_charts.py"]:
        if path.parent.name == "cli":
            continue  # the CLI's call sites move to _format at the lead's merge
        units = [(line, s) for line, s in _code_strings(path) if s in {"min", "h", "d"}]
        assert not units, f"{path.name}: duration units {units}; use _format"
        names = {n.id for n in ast.walk(_tree(path)) if isinstance(n, ast.Name)}
        assert not names & {"_UNITS", "_unit", "_num"}, path.name


_UNIT_SUFFIX = re.compile(r"^ ?(s|sec|seconds|min|minutes|h|hours|d|days)\b")


def _unit_rules(path: Path) -> list[str]:
    """Functions of a module that write a number in two or more duration units: a rule
    that picks the unit (``f"{x:.0f} s"`` in one branch, ``f"{x / 60:.0f} min"`` in another)."""
    found = []
    for fn in ast.walk(_tree(path)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        units = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.JoinedStr):
                for a, b in zip(node.values, node.values[1:], strict=False):
                    if isinstance(a, ast.FormattedValue) and isinstance(b, ast.Constant):
                        if m := _UNIT_SUFFIX.match(str(b.value)):
                            units.add(m.group(1))
        if len(units) > 1:
            found.append(f"{path.relative_to(PACKAGE)}:{fn.lineno} {fn.name} {sorted(units)}")
    return found


def test_no_module_but_format_picks_a_duration_unit():
    """The package chooses a duration's unit in one place, ``_format.duration_text``:
    no other function writes the same kind of number in two units (the coverage lines of
    ``rds-jobs sync`` once had their own rule: 80 s as '80 s', not '1.33 min')."""
    rules = [
        r for p in sorted(PACKAGE.rglob("*.py")) if p.name != "_format.py" for r in _unit_rules(p)
    ]
    assert not rules, f"duration unit rules outside _format: {rules}"
    assert _unit_rules(PACKAGE / "_format.py") == []  # _format picks from DURATION_UNITS


_WALL_CLOCKS = {("time", "time"), ("time", "time_ns"), ("datetime", "now"),
                ("datetime", "utcnow"), ("Timestamp", "now"), ("Timestamp", "utcnow")}  # fmt: skip


def test_only_time_reads_the_wall_clock():
    """One clock (``_time.utcnow``/``epoch_seconds``, which ``use_clock`` replaces): no
    other module reads the wall clock, nor takes ``time.time`` as a default (token expiry,
    Retry-After dates and the epoch buckets once did). ``time.monotonic`` for waits and
    deadlines is no wall clock and stays."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_time.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
                owner = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
                if (owner, node.attr) in _WALL_CLOCKS:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {owner}.{node.attr}")
    assert not found, f"wall clocks outside _time: {found}"


def test_month_bounds_are_computed_only_in_time():
    """A month's start or end comes from ``_time.month_bounds`` (the CLI's demo once took
    ``pd.Period(month).start_time`` by hand); a week's start for a chart's label is no
    month bound and stays."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_time.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Attribute) and node.attr in {"start_time", "end_time"}:
                inner = ast.unparse(node.value)
                if "Period(" in inner or "to_period('M')" in inner:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {ast.unparse(node)}")
    assert not found, f"month bounds outside _time.month_bounds: {found}"


def test_no_test_sleeps_to_let_time_pass():
    """Tests wait on an event or a condition, or move the one clock (``_time.use_clock``):
    a ``time.sleep`` guesses how long a loaded 2-core machine takes, and flakes (the
    Ctrl-C test once slept 0.2 s for its workers to be asleep)."""
    found = []
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        tree = _tree(path)
        from_time = {
            a.asname or a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module == "time"
            for a in n.names
        }  # fmt: skip
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr == "sleep"
                    and isinstance(f.value, ast.Name) and f.value.id == "time") or (
                    isinstance(f, ast.Name) and f.id == "sleep" and "sleep" in from_time):  # fmt: skip
                found.append(f"{path.name}:{node.lineno}")
    assert not found, f"tests that sleep: {found}"


def test_headers_and_group_labels_have_one_home():
    assert _model._HEADERS is _format.HEADERS
    assert _format.HEADERS["failed"] == "Failures"  # one spelling, explorer and report
    assert (_format.HEADERS["running"], _format.HEADERS["completed"]) == (
        stats.RUNNING,
        stats.COMPLETED,
    )
    assert stats.UNKNOWN_LABEL is _format.UNKNOWN_LABEL
    assert widgets.GROUPS == {v: k for k, v in _format.GROUP_NAMES.items()}
    for path in [*PRESENTATION, PACKAGE / "report" / "_charts.py"]:
        if path.parent.name == "cli":
            continue
        spelled = [
            (line, s)
            for line, s in _code_strings(path)
            if s in {"Failures", "Failed jobs", "(unknown)", "Job type", "95% interval"}
        ]
        assert not spelled, f"{path.name}: {spelled}; use _format.HEADERS / UNKNOWN_LABEL"


def test_png_dpi_is_one_constant(sample):
    """Every PNG (the explorer's chart, the report's dense charts) at _format.PNG_DPI."""
    for path in [*PRESENTATION, PACKAGE / "report" / "_charts.py"]:
        tree = _tree(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "dpi":
                assert isinstance(node.value, ast.Name) and node.value.id == "PNG_DPI", path.name
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
                assert not [t for t in targets if "DPI" in t], (path.name, targets)
    assert _render.PNG_DPI is _format.PNG_DPI and widgets.PNG_DPI is _format.PNG_DPI


def _default(func, name):
    return inspect.signature(func).parameters[name].default


def test_top_and_min_jobs_are_named_once():
    """One default ``top`` for the plots and the explorer, one ``min_jobs``; the report's
    own number of chart rows is a second name that says what it is."""
    from rds_job_analytics import widgets as w

    for func in (plots.plot_durations, plots.plot_failure_rates, w.summary_table, w.explore):
        assert _default(func, "top") == _format.TOP, func.__name__
    assert _default(w.JobExplorer.__init__, "top") == _format.TOP
    assert _default(plots.plot_failure_rates, "min_jobs") == _format.MIN_JOBS
    assert w.MIN_JOBS is _format.MIN_JOBS and _model.MIN_JOBS is _format.MIN_JOBS
    assert _format.REPORT_TOP != _format.TOP  # two meanings, two names
    for path in [*PRESENTATION, PACKAGE / "report" / "_charts.py"]:
        tree = _tree(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                assert not [n for n in names if "TOP" in n or "MIN_JOBS" in n], (path.name, names)
            if isinstance(node, ast.arguments):  # no literal default for top / min_jobs
                args = node.args[len(node.args) - len(node.defaults) :] + node.kwonlyargs
                defaults = node.defaults + node.kw_defaults
                for arg, value in zip(args, defaults, strict=True):
                    if arg.arg in {"top", "min_jobs"}:
                        assert not isinstance(value, ast.Constant) or value.value is None, (
                            path.name,
                            arg.arg,
                        )


def test_stats_and_plots_take_the_frame_first_under_one_name():
    funcs = [f for f in [*_public(stats), *_public(plots)] if f.__name__ != "fill_doc"]
    frame_first = [
        f for f in funcs if next(iter(inspect.signature(f).parameters), None) in {"df", "data"}
    ]
    assert {f.__name__ for f in frame_first} >= {
        "failure_rates", "duration_summary", "resize_summary", "summarize", "filter_window",
        "group_keys", "plot_durations", "plot_failure_rates", "plot_resize_deltas",
        "plot_timeline",
    }  # fmt: skip
    assert {next(iter(inspect.signature(f).parameters)) for f in frame_first} == {"df"}


def test_no_private_name_crosses_from_stats_or_plots():
    for path in [PACKAGE / "plots.py", PACKAGE / "widgets.py", *(PACKAGE / "report").glob("*.py")]:
        tree = _tree(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] in {
                "stats",
                "plots",
            }:
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, (path.name, private)

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "data" / "spec_examples"
SHARED_EXAMPLES = ROOT.parent / "shared" / "spec" / "examples"


@pytest.fixture
def example():
    def load(name: str) -> dict:
        return json.loads((EXAMPLES / f"{name}.json").read_text())

    return load


@pytest.fixture
def home_and_cwd(tmp_path, monkeypatch):
    """HOME and a variable (``RDS_JOBS_TEST_DIR``) pointed into tmp_path, an unset one
    (``RDS_JOBS_TEST_UNSET``), and an empty current folder: ``(home, cwd, var)``."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("RDS_JOBS_TEST_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("RDS_JOBS_TEST_UNSET", raising=False)
    monkeypatch.chdir(cwd)
    return home, cwd, tmp_path / "var"


# -- the shipped sample ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def sample_frame():
    """``rja.load_sample()``, loaded once per session and shared: never change it. Tests
    take :func:`sample`; module-scoped fixtures build on this one (and copy it to change)."""
    import rds_job_analytics as rja

    return rja.load_sample()


@pytest.fixture
def sample(sample_frame):
    """The shipped sample frame (``rja.load_sample()``): this test's own copy (copy on
    write: free until written), so no test sees another's changes."""
    return sample_frame.copy()


@pytest.fixture(scope="module")
def raw_sample():
    """The sample's raw API responses (``rja.load_sample(raw=True)``), once per module."""
    import rds_job_analytics as rja

    return rja.load_sample(raw=True)


@pytest.fixture(scope="module")
def emu():
    """One emulator per module, keeping every job (``retention_days=None``)."""
    from rds_job_analytics.emulator import Emulator

    with Emulator(retention_days=None) as e:
        yield e


def flip_a_bit(file: Path) -> None:
    """One bit flipped in the middle of ``file`` (a damaged dataset part)."""
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x10
    file.write_bytes(bytes(data))


@pytest.fixture(autouse=True)
def _state_dir(tmp_path_factory, monkeypatch):
    """Every test's own user state folder (the machine's quota buckets live there):
    nothing is written under ~/.local/state, and no test paces another's calls."""
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("RDS_JOBS_STATE_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# -- archive backends: the same tests on SQLite and on a throwaway PostgreSQL ----------------
@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server of this test session (``tests/pg.py``): initdb in a temporary
    folder, loopback, a free port; stopped and deleted at the end. Skips only where no
    PostgreSQL is installed, and never on CI (``.ci/run`` installs it)."""
    from tests import pg

    bindir = pg.binaries()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("CI: no PostgreSQL binaries (.ci/run installs Debian's postgresql)")
        pytest.skip("PostgreSQL backend not tested: no initdb/pg_ctl (apt-get install postgresql)")
    server = pg.Server(bindir)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a new, empty database on the session's server (dropped afterwards)."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request, tmp_path):
    """Where an archive lives, once per backend: a SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "archive.sqlite")
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def archive(archive_url):
    """A new, empty :class:`JobArchive` on each backend."""
    from rds_job_analytics import JobArchive

    with JobArchive(archive_url) as arc:
        yield arc


# -- a filled archive on each backend: filled once per module, each test its own copy ---------
@pytest.hookimpl(tryfirst=True)  # before -m selects on the marks
def pytest_collection_modifyitems(items):
    """The PostgreSQL twin of every two-backend test (``archive_url``) is marked slow:
    ``make check``, the fast local loop, runs each of them once, on SQLite; ``make test``
    (and CI) runs both backends. A PostgreSQL case costs a database made and dropped (and,
    on ``filled_archive``, one copied from the module's filled one): a second or more."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("archive_url") == "postgresql":
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def archive_fill():
    """What :func:`filled_archive` holds: a test module overrides this fixture with its
    ``fill(arc)`` function."""
    pytest.fail("filled_archive needs an archive_fill fixture: the module's fill(arc)")


@pytest.fixture(scope="module")
def _filled_templates():
    """This module's filled archive per backend (``{"sqlite": path, "postgresql": url}``),
    made on first use; the PostgreSQL one dropped at the end of the module."""
    made: dict[str, object] = {}
    yield made
    if "postgresql" in made:
        made["server"].drop_database(made["postgresql"])  # type: ignore[attr-defined]


@pytest.fixture
def filled_archive(archive_url, archive_fill, _filled_templates, tmp_path_factory, request):
    """An open :class:`JobArchive` holding what the module's ``archive_fill`` puts in, on
    each backend of ``archive_url`` (the two-backend fixture above): filled once per module
    and backend (thousands of committed puts), and copied into this test's own archive (a
    SQLite backup, a PostgreSQL ``TEMPLATE`` copy), so no test sees another's writes."""
    import sqlite3

    from rds_job_analytics import JobArchive

    made = _filled_templates
    if "://" not in archive_url:
        if "sqlite" not in made:
            path = tmp_path_factory.mktemp("filled") / "jobs.sqlite"
            with JobArchive(path) as arc:
                archive_fill(arc)
            made["sqlite"] = path
        src, dst = sqlite3.connect(made["sqlite"]), sqlite3.connect(archive_url)
        src.backup(dst)  # a copy of the whole database, whatever its journal holds
        src.close()
        dst.close()
    else:
        server = request.getfixturevalue("pg_server")
        if "postgresql" not in made:
            template = server.create_database()
            made["postgresql"], made["server"] = template, server
            with JobArchive(template) as arc:
                archive_fill(arc)
        server.copy_database(made["postgresql"], archive_url)
    with JobArchive(archive_url) as arc:
        yield arc


# -- task-list records the emulator's own jobs cannot make ------------------------------------
#: Shapes of a task-list record that cannot be archived: a sibling service's (``job_id``
#: instead of ``id``), and an RDS record whose fields other than id/name/status are null.
UNREADABLE_SHAPES = {
    "job_id": lambda t: {("job_id" if k == "id" else k): v for k, v in t.items()},
    "nulls": lambda t: {k: (v if k in ("id", "name", "status") else None) for k, v in t.items()},
}


@pytest.fixture
def corrupt_tasks(monkeypatch):
    """``{job_id: shape}``: the emulator's task list serves those jobs' records in that
    shape (see :data:`UNREADABLE_SHAPES`) for as long as they are in the dict."""
    from rds_job_analytics.emulator import _handler as emulator_module

    corrupt: dict[str, str] = {}
    send = emulator_module._Handler._send

    def bent(handler, status, body, headers=None):
        if status == 200 and isinstance(body, dict) and "tasks" in body and corrupt:
            tasks = [UNREADABLE_SHAPES[corrupt[t["id"]]](t) if t.get("id") in corrupt else t
                     for t in body["tasks"]]  # fmt: skip
            body = {**body, "tasks": tasks}
        return send(handler, status, body, headers)

    monkeypatch.setattr(emulator_module._Handler, "_send", bent)
    return corrupt


# -- dlt (tests/test_dlt.py, README "Load with dlt") --------------------------------------
def isolate_dlt(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Every folder dlt writes or reads (pipelines, its global folder with its anonymous
    ID: ``/var/dlt`` for root even with telemetry off, global config) under ``folder``,
    and no telemetry."""
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("DLT_DATA_DIR", str(folder / "data"))
    from dlt.common.runtime import run_context  # the [dlt] extra is in the test extras

    monkeypatch.setattr(run_context, "global_dir", lambda: str(folder / "global"))

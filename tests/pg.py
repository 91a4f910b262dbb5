"""A throwaway PostgreSQL server for the tests and benchmarks: ``initdb`` in a temporary
folder, ``pg_ctl start`` on loopback at a free port, stopped and deleted at the end.

Root may not run the server (``initdb`` refuses): as root it runs as the ``postgres``
system user (Debian's package creates it) through ``runuser``. The superuser
``rdsjobs`` has a password (scram) over TCP, so a wrong password is refused as on a
real server.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

USER = "rdsjobs"
PASSWORD = "s3cret-Pa55"


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (newest Debian version first), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name), reverse=True)  # fmt: skip
    for c in [*found, "/usr/local/bin/initdb", shutil.which("initdb") or ""]:
        if c and os.access(c, os.X_OK) and os.access(Path(c).parent / "pg_ctl", os.X_OK):
            return Path(c).parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A running throwaway server; :meth:`url` of a fresh database, :meth:`stop`."""

    def __init__(self, bindir: Path, *, fsync: bool = False) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="rdsjobs-pg-"))
        self.data = self.folder / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise RuntimeError("running as root without runuser: cannot start PostgreSQL")
            self._as = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.folder, "postgres")
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            shutil.chown(pwfile, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
                  "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        pwfile.unlink()
        for attempt in range(5):
            self.port = _free_port()
            opts = (f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
                    f" -c fsync={'on' if fsync else 'off'} -c max_connections=200")  # fmt: skip
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"),
                          "-o", opts, "-w", "-t", "60", "start")  # fmt: skip
                break
            except RuntimeError:
                if attempt == 4:
                    raise

    def _run(self, tool: str, *args: str) -> None:
        proc = subprocess.run([*self._as, str(self.bindir / tool), *args],
                              capture_output=True, text=True, cwd=self.folder)  # fmt: skip
        if proc.returncode:
            log = self.folder / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed: {proc.stdout}{proc.stderr}{tail}")

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        """``postgresql://rdsjobs:PASSWORD@127.0.0.1:PORT/database``."""
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def _psql_admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, *, icu_locale: str | None = None) -> str:
        """A new empty database (sorting text by ``icu_locale``, e.g. ``en-US``, as many
        real servers do); returns its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        how = (f" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}'"
               if icu_locale else "")  # fmt: skip
        self._psql_admin(f'CREATE DATABASE "{name}"{how}')
        return self.url(name)

    def copy_database(self, source: str, target: str) -> None:
        """The database of ``target`` (dropped first) made again as a copy of ``source``'s
        (``CREATE DATABASE ... TEMPLATE``: a file copy; nothing may be connected to it)."""
        name, template = target.rsplit("/", 1)[1], source.rsplit("/", 1)[1]
        self.drop_database(target)
        self._psql_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url`` (its connections are ended first)."""
        name = url.rsplit("/", 1)[1]
        self._psql_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server (fast) and delete its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        except RuntimeError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start again (connections are cut)."""
        self.pause()
        self.resume()

    def pause(self) -> None:
        """Stop the server but keep its data: the database is down."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def resume(self) -> None:
        """Start a paused server again at the same port."""
        opts = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"),
                  "-o", opts, "-w", "-t", "60", "start")  # fmt: skip

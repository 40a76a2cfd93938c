"""A throwaway PostgreSQL server from Debian's packaged binaries.

``start_postgres(workdir) -> (url, stop)``: initdb into ``workdir`` (owned by the
``postgres`` user when we run as root, since the server refuses to run as root),
listen on 127.0.0.1 on a free port, create a database, return its SQLAlchemy URL.
:func:`launch_postgres` returns the :class:`Postgres` itself, which can be stopped and
started again on the same port with its data (the fault tests take the order DB away).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.paths import Missing
from harness.ports import free_port

DB_USER = "shop"
DB_NAME = "shop_test"


class PostgresUnavailable(Missing):
    """The server could not be started; the message carries its log."""


def pg_bin_dir() -> Path:
    """Newest ``/usr/lib/postgresql/<v>/bin`` (or ``SHOP_PG_BIN``)."""
    override = os.environ.get("SHOP_PG_BIN")
    if override:
        return Path(override)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if found:
        return Path(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable("no PostgreSQL binaries: install the postgresql package (make system-deps)")


def as_owner(cmd: list[str], owner: str | None) -> list[str]:
    """``cmd`` run as ``owner`` (through runuser) when one is given."""
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


@dataclass
class Postgres:
    """A server whose data lives in ``workdir``; stop and start it again on the same port."""

    workdir: Path
    port: int
    owner: str | None
    up: bool = False

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the default test database."""
        return f"postgresql+psycopg2://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def _run(self, cmd: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(as_owner(cmd, self.owner), capture_output=True, text=True, check=False)

    def _reachable(self) -> None:
        """Let the ``postgres`` user reach the data dir: another pytest session may have reset
        ``/tmp/pytest-of-<user>`` to 0700 since the server was created."""
        if self.owner is None:
            return
        for parent in self.workdir.parents:
            if str(parent) in ("/", "/tmp"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)

    def start(self) -> None:
        """Start the server (again) on its port and data directory; no-op while it is up."""
        if self.up:
            return
        self._reachable()
        logfile = self.workdir / "postgres.log"
        opts = (
            f"-h 127.0.0.1 -p {self.port} -k {self.workdir} -c fsync=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        pg_ctl = str(pg_bin_dir() / "pg_ctl")
        done = self._run([pg_ctl, "-D", str(self.workdir / "data"), "-l", str(logfile), "-o", opts,
                          "-w", "-t", "30", "start"])  # fmt: skip
        if done.returncode != 0:
            log = logfile.read_text() if logfile.exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {done.stderr or done.stdout}\n{log}")
        self.up = True

    def stop(self) -> None:
        """Fast shutdown; :meth:`start` brings it back with the same data."""
        if self.up:
            self._reachable()
            self._run(
                [str(pg_bin_dir() / "pg_ctl"), "-D", str(self.workdir / "data"), "-m", "fast", "-w", "stop"]
            )
            self.up = False


def launch_postgres(workdir: str | os.PathLike[str], port: int | None = None) -> Postgres:
    """initdb into ``workdir``, start the server, create :data:`DB_NAME`; the running server."""
    bindir = pg_bin_dir()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    owner: str | None = None
    if os.geteuid() == 0:
        owner = "postgres"
        entry = pwd.getpwnam(owner)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
    server = Postgres(workdir, port or free_port(), owner)
    server._reachable()
    done = server._run([str(bindir / "initdb"), "-D", str(workdir / "data"), "-U", DB_USER, "--auth=trust",
                        "-E", "UTF8", "--no-locale", "--no-sync"])  # fmt: skip
    if done.returncode != 0:
        raise PostgresUnavailable(f"initdb failed: {done.stderr or done.stdout}")
    server.start()
    done = server._run(
        [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", DB_USER, DB_NAME]
    )
    if done.returncode != 0:
        server.stop()
        raise PostgresUnavailable(f"createdb failed: {done.stderr}")
    return server


def start_postgres(
    workdir: str | os.PathLike[str], port: int | None = None
) -> tuple[str, Callable[[], None]]:
    """Start a server with its data in ``workdir``; returns (url, stop)."""
    server = launch_postgres(workdir, port)
    return server.url, server.stop


def create_database(url: str, name: str, template: str | None = None) -> str:
    """Create database ``name`` (a copy of ``template`` if given) on the server of ``url``; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    finally:
        engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    import tempfile
    import time

    with tempfile.TemporaryDirectory(prefix="shop-pg-") as tmp:
        pg = launch_postgres(tmp)
        print(pg.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            pg.stop()

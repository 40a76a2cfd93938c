"""Start a throwaway PostgreSQL server from Debian's packaged binaries.

``start_postgres(workdir) -> (url, stop)``: initdb into ``workdir`` (owned by the
``postgres`` user when we run as root, since the server refuses to run as root),
listen on 127.0.0.1 on a free port, create a database, return its SQLAlchemy URL.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from ops.local_services.ports import free_port

DB_USER = "shop"
DB_NAME = "shop_test"


class PostgresUnavailable(RuntimeError):
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
    raise PostgresUnavailable("no PostgreSQL binaries: install the postgresql package")


def as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


def start_postgres(
    workdir: str | os.PathLike[str], port: int | None = None
) -> tuple[str, Callable[[], None]]:
    """Start a server with its data in ``workdir``; returns (url, stop)."""
    bindir = pg_bin_dir()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    datadir, logfile = workdir / "data", workdir / "postgres.log"
    owner: str | None = None
    if os.geteuid() == 0:
        owner = "postgres"
        entry = pwd.getpwnam(owner)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
        # the postgres user must be able to reach workdir through its parents
        for parent in workdir.parents:
            if str(parent) in ("/", "/tmp"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
    port = port or free_port()

    def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(as_owner(cmd, owner), capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]

    done = run([str(bindir / "initdb"), "-D", str(datadir), "-U", DB_USER, "--auth=trust", "-E", "UTF8",
                "--no-locale", "--no-sync"])  # fmt: skip
    if done.returncode != 0:
        raise PostgresUnavailable(f"initdb failed: {done.stderr or done.stdout}")
    opts = f"-h 127.0.0.1 -p {port} -k {workdir} -c fsync=off -c full_page_writes=off -c max_connections=200"
    done = run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-l",
            str(logfile),
            "-o",
            opts,
            "-w",
            "-t",
            "30",
            "start",
        ]
    )
    if done.returncode != 0:
        log = logfile.read_text() if logfile.exists() else ""
        raise PostgresUnavailable(f"pg_ctl start failed: {done.stderr or done.stdout}\n{log}")

    def stop() -> None:
        run([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop"])

    done = run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, DB_NAME])
    if done.returncode != 0:
        stop()
        raise PostgresUnavailable(f"createdb failed: {done.stderr}")
    return f"postgresql+psycopg2://{DB_USER}@127.0.0.1:{port}/{DB_NAME}", stop


def create_database(url: str, name: str) -> str:
    """Create database ``name`` on the server of ``url``; returns the new database's URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    import tempfile
    import time

    with tempfile.TemporaryDirectory(prefix="shop-pg-") as tmp:
        url, stop_pg = start_postgres(tmp)
        print(url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            stop_pg()

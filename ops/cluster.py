"""Start the assistant as a small cluster on loopback, without Docker.

PostgreSQL (order DB + tracker store) and Redis (lock store) come from
``tests/support``; then one action server and any number of Rasa replicas that share
them, each configured only through the environment variables ``endpoints.yml`` reads —
exactly as the compose file configures the containers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests
from sqlalchemy.engine import make_url

from ops.local_services.ports import free_port
from ops.local_services.postgres import as_owner, create_database, pg_bin_dir, start_postgres
from ops.local_services.redis import start_redis
from shop.secrets import SECRETS, generate

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "current.tar.gz"


def base_env() -> Dict[str, str]:
    """``config/defaults.env``, fresh secrets, then the current environment (what ``make run`` sees).

    Every name in :data:`shop.secrets.SECRETS` gets a random value for this cluster unless the
    environment sets it, as ``make run`` generates them into ``var/secrets.env``.
    """
    env: Dict[str, str] = {}
    for line in (ROOT / "config" / "defaults.env").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    env.update({name: generate() for name in SECRETS})
    env.update(os.environ)
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }
    )
    return env


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    """Poll ``url`` until it answers 200; fail early if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f}s")


@dataclass
class Service:
    """One child process, restartable on the same port."""

    name: str
    argv: List[str]
    env: Dict[str, str]
    port: int
    health_url: str
    log_path: Path
    start_timeout: float
    proc: Optional[subprocess.Popen] = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_http(self.health_url, self.start_timeout, self.proc)

    def stop(self, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Postgres:
    """A throwaway server that can be stopped and started again with its data."""

    workdir: Path
    url: str
    stop_fn: Callable[[], None]
    up: bool = True

    @property
    def port(self) -> int:
        return int(make_url(self.url).port or 5432)

    def _reachable(self) -> None:
        """Let the ``postgres`` user reach the data dir again: another pytest session may
        have reset ``/tmp/pytest-of-<user>`` to 0700 since the server was created."""
        if os.geteuid() != 0:
            return
        for parent in self.workdir.parents:
            if str(parent) in ("/", "/tmp"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)

    def stop(self) -> None:
        if self.up:
            self._reachable()
            self.stop_fn()
            self.up = False

    def start(self) -> None:
        """Start again on the same port and data directory."""
        if self.up:
            return
        self._reachable()
        owner = "postgres" if os.geteuid() == 0 else None
        opts = f"-h 127.0.0.1 -p {self.port} -k {self.workdir} -c fsync=off -c max_connections=200"
        done = subprocess.run(
            as_owner(
                [
                    str(pg_bin_dir() / "pg_ctl"),
                    "-D",
                    str(self.workdir / "data"),
                    "-l",
                    str(self.workdir / "postgres.log"),
                    "-o",
                    opts,
                    "-w",
                    "-t",
                    "30",
                    "start",
                ],
                owner,
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr or done.stdout}")
        self.up = True


@dataclass
class Cluster:
    """PostgreSQL + Redis + one action server + N Rasa replicas on 127.0.0.1."""

    workdir: Path
    env: Dict[str, str]
    token: str
    postgres: Optional[Postgres] = None
    redis_stop: Optional[Callable[[], None]] = None
    actions: Optional[Service] = None
    replicas: List[Service] = field(default_factory=list)

    @property
    def rasa_urls(self) -> List[str]:
        return [f"http://127.0.0.1:{r.port}" for r in self.replicas]

    @property
    def shop_db_url(self) -> str:
        return self.env["SHOP_DB_URL"]

    def logs(self) -> List[Path]:
        return sorted(self.workdir.glob("*.log"))

    def stop(self) -> None:
        for replica in self.replicas:
            replica.stop()
        if self.actions is not None:
            self.actions.stop()
        if self.redis_stop is not None:
            self.redis_stop()
            self.redis_stop = None
        if self.postgres is not None:
            self.postgres.stop()


def action_service(workdir: Path, env: Dict[str, str], port: int) -> Service:
    return Service(
        name="actions",
        # Loopback only, obeys only calls with SHOP_ACTION_TOKEN (from ``env``).
        argv=[str(VENV_BIN / "python"), "-m", "actions.server", "--port", str(port)],
        env=env,
        port=port,
        health_url=f"http://127.0.0.1:{port}/health",
        log_path=workdir / "actions.log",
        start_timeout=120,
    )


def rasa_service(workdir: Path, env: Dict[str, str], port: int, token: str, index: int) -> Service:
    return Service(
        name=f"rasa-{index}",
        argv=[
            str(VENV_BIN / "rasa"),
            "run",
            "--enable-api",
            "--auth-token",
            token,
            "--port",
            str(port),
            "--model",
            str(MODEL),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
        ],
        env=env,
        port=port,
        health_url=f"http://127.0.0.1:{port}/status?token={token}",
        log_path=workdir / f"rasa-{index}.log",
        start_timeout=float(os.environ.get("SHOP_RASA_START_TIMEOUT", "600")),
    )


def _run(argv: List[str], env: Dict[str, str]) -> None:
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def start_cluster(
    workdir: Optional[Path] = None,
    replicas: int = 2,
    extra_env: Optional[Dict[str, str]] = None,
    prepare_env: Optional[Callable[[Dict[str, str]], None]] = None,
) -> Cluster:
    """Start everything; on failure stop what was started and re-raise.

    ``prepare_env``, if given, is called with the environment once the order DB is migrated
    and seeded and before the action server starts, and may add to it (e.g.
    ``tests.e2e.stack.prepare_catalog_index`` for the recommendation actions).
    """
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make model` first")
    workdir = Path(workdir or tempfile.mkdtemp(prefix="shop-cluster-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = base_env()
    cluster = Cluster(workdir=workdir, env=env, token=env["RASA_API_TOKEN"])
    try:
        pg_url, pg_stop = start_postgres(workdir / "pg")
        cluster.postgres = Postgres(workdir / "pg", pg_url, pg_stop)
        redis_url, cluster.redis_stop = start_redis(workdir / "redis")
        shop_url = create_database(pg_url, "shop")
        create_database(pg_url, "tracker")
        pg, redis_parts = make_url(pg_url), redis_url.removeprefix("redis://").split("/")[0]
        action_port = free_port()
        env.update(
            {
                "SHOP_DB_URL": shop_url,
                "TRACKER_DIALECT": "postgresql",
                "TRACKER_HOST": str(pg.host),
                "TRACKER_PORT": str(pg.port),
                "TRACKER_DB": "tracker",
                "TRACKER_USER": str(pg.username),
                "TRACKER_PASSWORD": "",
                "LOCK_STORE_TYPE": "redis",
                "REDIS_HOST": redis_parts.split(":")[0],
                "REDIS_PORT": redis_parts.split(":")[1],
                "REDIS_LOCK_DB": "1",
                "SHOP_RATE_LIMIT_REDIS_URL": f"{redis_url.rsplit('/', 1)[0]}/2",
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
            }
        )
        env.update(extra_env or {})
        cluster.token = env["RASA_API_TOKEN"]
        py = str(VENV_BIN / "python")
        _run([py, "-m", "shop.db.migrate"], env)
        _run([py, "-m", "shop.seed.demo", "--if-empty"], env)
        if prepare_env is not None:
            prepare_env(env)
        cluster.actions = action_service(workdir, env, action_port)
        cluster.actions.start()
        for index in range(replicas):
            replica = rasa_service(workdir, env, free_port(), cluster.token, index)
            cluster.replicas.append(replica)
        # Start the replicas side by side: loading a model takes a while.
        for replica in cluster.replicas:
            log = open(replica.log_path, "ab")  # noqa: SIM115
            replica.proc = subprocess.Popen(
                replica.argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            log.close()
        for replica in cluster.replicas:
            wait_http(replica.health_url, replica.start_timeout, replica.proc)
    except BaseException:
        cluster.stop()
        raise
    return cluster

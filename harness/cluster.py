"""Start the assistant as a small cluster on loopback, without Docker.

PostgreSQL (order DB + tracker store) and Redis (lock store, lookup rate limits) from
:mod:`harness.postgres` and :mod:`harness.redis`; then one action server of
``action_processes`` processes (``ACTION_SERVER_SANIC_WORKERS``, sharing its port and the
limits in Redis) and any number of Rasa replicas that share them, each configured only
through the environment variables ``endpoints.yml`` reads - exactly as the compose file
configures the containers.

PostgreSQL's data directory lives in a folder of its own under the system temp dir, not in
``workdir``: as root the server runs as ``postgres``, and any pytest session starting on the
machine resets ``/tmp/pytest-of-<user>`` to 0700, after which a server with its data in
there aborts at its next checkpoint ("could not stat data directory: Permission denied").
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy.engine import make_url

from harness.env import default_env
from harness.paths import ROOT, VENV_BIN, require_model
from harness.ports import free_port
from harness.postgres import Postgres, create_database, launch_postgres
from harness.processes import Service
from harness.redis import start_redis
from harness.stack import actions_service, rasa_service


@dataclass
class Cluster:
    """PostgreSQL + Redis + one action server (of one or more processes) + N Rasa replicas on 127.0.0.1."""

    workdir: Path
    env: Dict[str, str]
    token: str
    postgres: Optional[Postgres] = None
    postgres_dir: Optional[Path] = None
    redis_stop: Optional[Callable[[], None]] = None
    actions: Optional[Service] = None
    replicas: List[Service] = field(default_factory=list)

    @property
    def action_processes(self) -> List[int]:
        """The pids of the processes that serve action calls (the forked ones, if several)."""
        if self.actions is None or self.actions.proc is None:
            return []
        pid = self.actions.proc.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        forked = [int(p) for p in children.read_text().split()] if children.exists() else []
        return forked or [pid]

    @property
    def rasa_urls(self) -> List[str]:
        """Each replica's base URL, in start order."""
        return [f"http://127.0.0.1:{r.port}" for r in self.replicas]

    @property
    def shop_db_url(self) -> str:
        """The order DB's URL (PostgreSQL)."""
        return self.env["SHOP_DB_URL"]

    def logs(self) -> List[Path]:
        """Every log file of the cluster's processes."""
        return sorted(self.workdir.glob("*.log"))

    def stop(self) -> None:
        """Stop the replicas, the action server, Redis and PostgreSQL."""
        for replica in self.replicas:
            replica.stop()
        if self.actions is not None:
            forked = [pid for pid in self.action_processes if pid != getattr(self.actions.proc, "pid", None)]
            self.actions.stop()  # Sanic's parent stops its forked processes on SIGTERM ...
            for pid in forked:  # ... and none may outlive it holding the port
                with contextlib.suppress(OSError):
                    if b"actions.server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        os.kill(pid, signal.SIGKILL)
        if self.redis_stop is not None:
            self.redis_stop()
            self.redis_stop = None
        if self.postgres is not None:
            self.postgres.stop()
        if self.postgres_dir is not None:
            shutil.rmtree(self.postgres_dir, ignore_errors=True)
            self.postgres_dir = None


def _run(argv: List[str], env: Dict[str, str]) -> None:
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def start_cluster(
    workdir: Optional[Path] = None,
    replicas: int = 2,
    extra_env: Optional[Dict[str, str]] = None,
    prepare_env: Optional[Callable[[Dict[str, str]], None]] = None,
    action_processes: int = 1,
) -> Cluster:
    """Start everything; on failure stop what was started and re-raise.

    ``prepare_env``, if given, is called with the environment once the order DB is migrated
    and seeded and before the action server starts, and may add to it (e.g.
    :func:`harness.stack.prepare_catalog_index` for the recommendation actions).
    """
    require_model()
    workdir = Path(workdir or tempfile.mkdtemp(prefix="shop-cluster-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = default_env()
    cluster = Cluster(workdir=workdir, env=env, token=env["RASA_API_TOKEN"])
    try:
        # Outside pytest's temp root (see the module docstring); removed by Cluster.stop.
        cluster.postgres_dir = Path(tempfile.mkdtemp(prefix="shop-cluster-pg-"))
        cluster.postgres = launch_postgres(cluster.postgres_dir / "pg")
        pg_url = cluster.postgres.url
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
                "ACTION_SERVER_SANIC_WORKERS": str(action_processes),
            }
        )
        env.update(extra_env or {})
        cluster.token = env["RASA_API_TOKEN"]
        py = str(VENV_BIN / "python")
        _run([py, "-m", "shop.db.migrate"], env)
        _run([py, "-m", "shop.seed.demo", "--if-empty"], env)
        if prepare_env is not None:
            prepare_env(env)
        cluster.actions = actions_service(workdir, env, action_port)
        cluster.replicas = [
            rasa_service(workdir, env, free_port(), cluster.token, f"rasa-{index}")
            for index in range(replicas)
        ]
        # Start every process side by side (loading a model takes a while), then wait for each.
        for service in [cluster.actions, *cluster.replicas]:
            service.spawn()
        for service in [cluster.actions, *cluster.replicas]:
            service.wait()
    except BaseException:
        cluster.stop()
        raise
    return cluster

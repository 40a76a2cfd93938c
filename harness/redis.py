"""Start a throwaway Redis server: ``start_redis(workdir) -> (url, stop)``."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from harness.paths import Missing
from harness.ports import free_port, wait_for_port


class RedisUnavailable(Missing):
    """redis-server is missing or did not start; the message says which."""


def start_redis(workdir: str | os.PathLike[str], port: int | None = None) -> tuple[str, Callable[[], None]]:
    """redis-server on 127.0.0.1 with persistence off; returns (``redis://`` url, stop)."""
    server = shutil.which("redis-server")
    if server is None:
        raise RedisUnavailable("redis-server not found: install the redis-server package")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = open(workdir / "redis.log", "wb")  # noqa: SIM115 - closed by stop()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()

    if not wait_for_port(port):
        stop()
        raise RedisUnavailable((workdir / "redis.log").read_text(errors="replace"))
    return f"redis://127.0.0.1:{port}/0", stop

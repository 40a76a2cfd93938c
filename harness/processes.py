"""Child processes of the harness: start one, wait until it serves, stop it; wait on a condition.

Nothing here sleeps for a fixed time: every wait polls a condition until a deadline and
fails with what it waited for.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, TypeVar

import requests

from harness.paths import ROOT

T = TypeVar("T")


def wait_until(
    check: Callable[[], T], timeout: float = 30.0, what: str = "condition", interval: float = 0.1
) -> T:
    """Poll ``check`` until it returns something truthy (returned); TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(interval)


def answers_200(url: str) -> bool:
    """True if a GET of ``url`` answers 200 now (a connection error is False)."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    """Poll ``url`` until it answers 200; fail at once if ``proc`` exited (e.g. refused a secret)."""

    def up() -> bool:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process serving {url} exited with {proc.returncode}")
        return answers_200(url)

    wait_until(up, timeout, f"{url} answering 200", interval=0.3)


def stop_process(proc: subprocess.Popen, kill: bool = False, timeout: float = 20) -> None:
    """SIGTERM (or SIGKILL) ``proc`` and reap it; SIGKILL if it has not exited after ``timeout``."""
    stop_processes([proc], kill=kill, timeout=timeout)


def stop_processes(procs: List[subprocess.Popen], kill: bool = False, timeout: float = 20) -> None:
    """SIGTERM (or SIGKILL) every process at once, then reap each; SIGKILL any left after ``timeout``.

    Side by side, a stack's servers stop in the time of the slowest, not the sum.
    """
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def spawn(argv: List[str], env: Dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``argv`` in the project root with output appended to ``log_path``."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@dataclass
class Service:
    """One server process, restartable on the same port: its command, health URL and log."""

    name: str
    argv: List[str]
    env: Dict[str, str]
    port: int
    health_url: str
    log_path: Path
    start_timeout: float
    proc: Optional[subprocess.Popen] = None

    def spawn(self) -> None:
        """Start the process without waiting for it (see :meth:`wait`); starts run side by side."""
        self.proc = spawn(self.argv, self.env, self.log_path)

    def wait(self) -> None:
        """Wait until the health URL answers 200; fail at once if the process exited."""
        wait_http(self.health_url, self.start_timeout, self.proc)

    def start(self) -> None:
        """Start and wait until it serves."""
        self.spawn()
        self.wait()

    def stop(self, kill: bool = False) -> None:
        """Stop it (SIGTERM, or SIGKILL for a crash); :meth:`start` brings it back on the same port."""
        if self.proc is not None:
            stop_process(self.proc, kill=kill)
        self.proc = None

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self.proc is not None and self.proc.poll() is None


@contextmanager
def serving(
    argv: List[str], env: Dict[str, str], health_url: str, log_path: Path, timeout: float = 60
) -> Iterator[subprocess.Popen]:
    """Run ``argv`` while the ``with`` block runs, entered once ``health_url`` answers 200."""
    proc = spawn(argv, env, log_path)
    try:
        wait_http(health_url, timeout, proc)
        yield proc
    finally:
        stop_process(proc, timeout=15)

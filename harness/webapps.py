"""The storefront (``python -m web``) and the review console (``python -m console``) as processes.

Each runs on a free loopback port until the ``with`` block ends; the block is entered once
``/health`` answers. ``python`` picks the virtualenv: ``.venv-web`` as ``make run`` starts
them (:data:`harness.paths.WEB_PYTHON`), or the tests' own interpreter.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

from harness.ports import free_port
from harness.processes import serving

#: The module of each app and the prefix of its HOST / PORT variables.
APPS = {"web": "STOREFRONT", "console": "CONSOLE"}


@dataclass(frozen=True)
class WebApp:
    """A running web app: where it answers and its process id (to read its memory)."""

    url: str
    port: int
    pid: int


@contextmanager
def web_app(
    module: str, env: Dict[str, str], log_path: Path, python: Optional[str] = None, timeout: float = 60
) -> Iterator[WebApp]:
    """``python -m <module>`` (``web`` or ``console``) on a free port with ``env``; stopped on exit."""
    prefix = APPS[module]
    port = free_port()
    env = {**env, f"{prefix}_HOST": "127.0.0.1", f"{prefix}_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    argv = [python or sys.executable, "-m", module]
    with serving(argv, env, f"{url}/health", log_path, timeout) as proc:
        yield WebApp(url, port, proc.pid)


@contextmanager
def storefront(env: Dict[str, str], log_path: Path, python: Optional[str] = None) -> Iterator[WebApp]:
    """The demo storefront with the chat widget (see :func:`web_app`)."""
    with web_app("web", env, log_path, python) as app:
        yield app


@contextmanager
def console(env: Dict[str, str], log_path: Path, python: Optional[str] = None) -> Iterator[WebApp]:
    """The support team's review console (see :func:`web_app`)."""
    with web_app("console", env, log_path, python) as app:
        yield app

"""Debian's nginx, found on this machine: ``nginx -t`` checks the compose file's config."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from harness.paths import Missing

SBIN = Path("/usr/sbin/nginx")


def nginx_path() -> str:
    """The nginx executable (``PATH`` or /usr/sbin), or :class:`Missing` saying how to install it."""
    found = shutil.which("nginx") or (str(SBIN) if SBIN.exists() else None)
    if found is None:
        raise Missing("nginx not installed: `make system-deps` installs nginx-light")
    return found


def check_config(conf: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``conf`` with its pid file and error log under ``workdir`` (no root needed)."""
    conf = conf.replace("events {", f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\nevents {{", 1)
    path = workdir / "nginx.conf"
    path.write_text(conf)
    return subprocess.run(
        [nginx_path(), "-t", "-c", str(path), "-p", str(workdir)], capture_output=True, text=True, check=False
    )

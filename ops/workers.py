"""How many Rasa server processes (Sanic workers) to start: ``python -m ops.workers`` prints it.

Rasa (``rasa run``) forks ``SANIC_WORKERS`` processes from one parent; they share the
listening socket (the kernel hands each new connection to one of them) and each loads its
own agent (a model's worth of memory per worker). NLU and policies run on each worker's
event loop, so one process uses about one core; more workers use more cores.

``scripts/run.sh`` and the Rasa container's entrypoint start Rasa with the number printed
here. It is ``SANIC_WORKERS``, where 0 means one per usable core (at most :data:`MAX_AUTO`:
each worker holds a model), but 1 when several processes would be wrong:

* the lock store is in memory (per process: two workers could answer one conversation at
  once; Rasa itself refuses and runs one worker);
* the Telegram channel long-polls ``getUpdates`` (every worker would poll: Telegram lets one
  poller in at a time, the others get 409 and updates may be answered twice).

Test stacks (``harness``) start ``rasa run`` directly: Rasa reads ``SANIC_WORKERS=0`` from
config/defaults.env as 1 (it takes a value below 1 as its default), so tests stay on one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from shop import settings as shop_settings
from shop.threads import rasa_thread_env

__all__ = [
    "MAX_AUTO",
    "effective_workers",
    "serving_workers",
    "usable_cores",
]

#: Workers started for ``SANIC_WORKERS=0`` on a machine with many cores.
MAX_AUTO = 4
TELEGRAM_CHANNEL = "channels.telegram.TelegramInput"
IN_MEMORY_LOCKS = ("", "in_memory")


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _telegram_polls(credentials: Optional[Path], env: Optional[Mapping[str, str]]) -> bool:
    """Whether credentials.yml enables Telegram with a token in polling mode."""
    if credentials is None or not credentials.is_file():
        return False
    import yaml  # type: ignore[import-untyped]

    from channels.telegram_config import TelegramConfig

    loaded = yaml.safe_load(credentials.read_text(encoding="utf-8")) or {}
    if TELEGRAM_CHANNEL not in loaded:
        return False
    block: Dict[str, Any] = loaded.get(TELEGRAM_CHANNEL) or {}
    config = TelegramConfig.from_credentials(block, env)
    return config.enabled and config.mode == "polling"


def effective_workers(
    env: Optional[Mapping[str, str]] = None,
    credentials: Optional[Path] = Path("credentials.yml"),
    cores: Optional[int] = None,
) -> Tuple[int, List[str]]:
    """The number of workers to start, and why it is less than asked (empty when it isn't)."""
    asked = shop_settings.value("SANIC_WORKERS", env)
    wanted = asked or min(cores or usable_cores(), MAX_AUTO)
    reasons: List[str] = []
    if wanted > 1:
        if shop_settings.value("LOCK_STORE_TYPE", env).strip() in IN_MEMORY_LOCKS:
            reasons.append("the in-memory lock store is per process")
        if _telegram_polls(credentials, env):
            reasons.append("Telegram polling allows one poller (set TELEGRAM_WEBHOOK_URL)")
    return (1 if reasons else wanted), reasons


def _listening_inodes(pid: int) -> Set[str]:
    """Inodes of the TCP sockets in LISTEN state in ``pid``'s network namespace."""
    inodes: Set[str] = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if path.is_file():
            for line in path.read_text().splitlines()[1:]:
                cols = line.split()
                if len(cols) > 9 and cols[3] == "0A":
                    inodes.add(cols[9])
    return inodes


def _watches_a_listener(pid: int, listening: Set[str]) -> bool:
    """Whether ``pid``'s event loop (an epoll set) watches one of the ``listening`` sockets."""
    fds = Path(f"/proc/{pid}/fd")
    sockets, epolls = set(), []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in listening:
            sockets.add(fd.name)
        elif target == "anon_inode:[eventpoll]":
            epolls.append(fd.name)
    for epoll in epolls:
        try:
            info = Path(f"/proc/{pid}/fdinfo/{epoll}").read_text()
        except OSError:
            continue
        watched = {line.split()[1] for line in info.splitlines() if line.startswith("tfd:")}
        if watched & sockets:
            return True
    return False


def serving_workers(parent: int) -> List[int]:
    """The Rasa processes under ``parent`` that accept connections (Linux ``/proc``).

    A worker takes connections from the shared socket only once it has loaded the model
    (Rasa loads it before the server starts), so this tells a loading worker from a serving
    one; Rasa's own "up and running" line is not logged at the default level. With one
    worker the parent itself serves.
    """
    try:
        children = [
            int(pid)
            for task in Path(f"/proc/{parent}/task").iterdir()
            for pid in (task / "children").read_text().split()
        ]
        listening = _listening_inodes(parent)
        return [pid for pid in (children or [parent]) if _watches_a_listener(pid, listening)]
    except (FileNotFoundError, ProcessLookupError):
        return []


def main(argv: Optional[List[str]] = None) -> int:
    """Print the worker count (why it is 1 despite ``SANIC_WORKERS`` on stderr).

    ``--tf-env``: print ``export`` lines for :func:`shop.threads.rasa_thread_env`.
    ``--serving PID``: print how many of Rasa's workers under PID accept connections.
    """
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--tf-env"]:  # `eval "$(python -m ops.workers --tf-env)"` before rasa run
        for name, threads in rasa_thread_env().items():
            print(f"export {name}={threads}")
        return 0
    if args[:1] == ["--serving"] and len(args) == 2:
        print(len(serving_workers(int(args[1]))))
        return 0
    credentials = Path(args[0]) if args else Path("credentials.yml")
    count, reasons = effective_workers(credentials=credentials)
    for reason in reasons:
        print(f"one Rasa worker: {reason}", file=sys.stderr)
    print(count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

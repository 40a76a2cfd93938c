"""The real assistant for end-to-end tests and benchmarks: action server + Rasa on loopback.

Each stack gets its own SQLite order DB (migrated and seeded with the demo shop) and its own
SQLite tracker store, so tests see exactly what a shopper would, with nothing mocked.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import requests

from harness.env import default_env
from harness.paths import ROOT, VENV_BIN, require_model
from harness.ports import free_port
from harness.processes import Service, stop_processes
from shop.threads import rasa_thread_env

#: Seconds Rasa may take to load the model on a busy 2-core machine.
RASA_START_TIMEOUT = float(os.environ.get("SHOP_RASA_START_TIMEOUT", "600"))


def actions_argv(port: int) -> List[str]:
    """``python -m actions.server`` on ``port`` (loopback, obeys only ``SHOP_ACTION_TOKEN``)."""
    return [str(VENV_BIN / "python"), "-m", "actions.server", "--port", str(port)]


def rasa_argv(port: int, token: str) -> List[str]:
    """``rasa run`` with the HTTP API behind ``token``, the trained model and the repo's yml files."""
    return [
        str(VENV_BIN / "rasa"),
        "run",
        "--enable-api",
        f"--auth-token={token}",  # one word: a random token may start with "-"
        "--port",
        str(port),
        "--model",
        str(require_model()),
        "--endpoints",
        "endpoints.yml",
        "--credentials",
        "credentials.yml",
    ]


def actions_service(workdir: Path, env: Dict[str, str], port: int) -> Service:
    """The action server as a restartable :class:`Service` logging to ``workdir/actions.log``."""
    return Service("actions", actions_argv(port), env, port, f"http://127.0.0.1:{port}/health",
                   workdir / "actions.log", 120)  # fmt: skip


def rasa_service(workdir: Path, env: Dict[str, str], port: int, token: str, name: str = "rasa") -> Service:
    """A Rasa server as a restartable :class:`Service` logging to ``workdir/<name>.log``."""
    env = {**env, **rasa_thread_env(env)}  # as scripts/run.sh starts it
    return Service(name, rasa_argv(port, token), env, port, f"http://127.0.0.1:{port}/status?token={token}",
                   workdir / f"{name}.log", RASA_START_TIMEOUT)  # fmt: skip


@dataclass
class Stack:
    """A running assistant and how to talk to it."""

    workdir: Path
    env: Dict[str, str]
    rasa_port: int = 0
    action_port: int = 0
    # Rasa's HTTP API token: the install's RASA_API_TOKEN (see ``__post_init__``).
    token: str = ""
    services: Dict[str, Service] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.token = self.token or self.env.get("RASA_API_TOKEN") or uuid.uuid4().hex

    @property
    def action_token(self) -> str:
        """``SHOP_ACTION_TOKEN``: what Rasa sends the action server (``?token=``)."""
        return self.env["SHOP_ACTION_TOKEN"]

    @property
    def action_url(self) -> str:
        """The action server's base URL."""
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def db_url(self) -> str:
        """The order DB's SQLAlchemy URL."""
        return self.env["SHOP_DB_URL"]

    @property
    def rasa_url(self) -> str:
        """Rasa's base URL (REST webhook, socket.io, HTTP API)."""
        return f"http://127.0.0.1:{self.rasa_port}"

    def say(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """One shopper turn over the REST channel (conversation ``rest:<sender>``); the bot's messages."""
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        resp = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        resp.raise_for_status()
        return list(resp.json())

    def tracker(self, sender: str, channel: Optional[str] = "rest") -> Dict[str, Any]:
        """The stored conversation ``<channel>:<sender>``; ``channel=None``: ``sender`` is the
        whole conversation id (``socketio:…``, ``telegram:…``)."""
        conversation = f"{channel}:{sender}" if channel else sender
        resp = requests.get(
            f"{self.rasa_url}/conversations/{quote(conversation, safe=':@+=')}/tracker",
            params={"token": self.token},
            timeout=30,
        )
        resp.raise_for_status()
        return dict(resp.json())

    def start_actions(self) -> None:
        """Start (or restart) the action server on its port and wait until it serves."""
        self.action_port = self.action_port or free_port()
        self._start(actions_service(self.workdir, self.env, self.action_port))

    def start_rasa(self) -> None:
        """Start (or restart) Rasa on its port and wait until the model is loaded."""
        self.rasa_port = self.rasa_port or free_port()
        self._start(rasa_service(self.workdir, self.env, self.rasa_port, self.token))

    def _start(self, service: Service) -> None:
        self.services[service.name] = service
        service.start()

    def start_both(self) -> None:
        """Start the action server and Rasa side by side (Rasa needs no action server to load)."""
        self.action_port = self.action_port or free_port()
        self.rasa_port = self.rasa_port or free_port()
        both = [
            actions_service(self.workdir, self.env, self.action_port),
            rasa_service(self.workdir, self.env, self.rasa_port, self.token),
        ]
        for service in both:
            self.services[service.name] = service
            service.spawn()
        for service in both:
            service.wait()

    def stop_role(self, role: str, kill: bool = False) -> None:
        """Stop only the action server (``"actions"``) or Rasa (``"rasa"``), e.g. to test faults.

        ``start_actions()`` / ``start_rasa()`` bring it back on the same port.
        """
        service = self.services.pop(role, None)
        if service is not None:
            service.stop(kill=kill)

    def logs(self) -> List[Path]:
        """The stack's log files (one per process)."""
        return sorted(self.workdir.glob("*.log"))

    def stop(self) -> None:
        """Stop Rasa and the action server together (SIGTERM to both, then wait)."""
        procs = [service.proc for service in self.services.values() if service.proc is not None]
        self.services.clear()
        stop_processes(procs)


def prepare_shop_db(env: Dict[str, str]) -> None:
    """Migrate and seed the demo shop through the project's own commands."""
    py = str(VENV_BIN / "python")
    subprocess.run([py, "-m", "shop.db.migrate"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [py, "-m", "shop.seed.demo", "--if-empty"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


TEST_INDEX_DIR = ROOT / "var" / "test_catalog_index"
TEST_SPACY_DIR = ROOT / "var" / "test_spacy_catalog"


def catalog_dirs(env: Dict[str, str]) -> None:
    """Set ``CATALOG_INDEX_DIR`` / ``SPACY_CATALOG_DIR`` to the test folders unless ``env`` has them."""
    env["CATALOG_INDEX_DIR"] = env.get("CATALOG_INDEX_DIR") or str(TEST_INDEX_DIR)
    env["SPACY_CATALOG_DIR"] = env.get("SPACY_CATALOG_DIR") or str(TEST_SPACY_DIR)


def prepare_catalog_index(env: Dict[str, str]) -> None:
    """Point the actions at a catalog index built from the stack's (seeded) DB.

    The demo seed is deterministic, so one folder under var/ serves every test session:
    ``catalog_index.build`` checks the fingerprint and returns at once when it matches (the
    first build encodes 2,000 products, minutes on 2 cores). A dev index built from the same
    catalog is copied in first, so even that first build is usually free.
    """
    catalog_dirs(env)
    index_dir, spacy_dir = Path(env["CATALOG_INDEX_DIR"]), Path(env["SPACY_CATALOG_DIR"])
    dev_dirs = {index_dir: ROOT / "var" / "catalog_index", spacy_dir: ROOT / "var" / "spacy_catalog"}
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    # Stacks of parallel test workers share the folders: one builds, the others then find it fresh.
    with open(index_dir.parent / f".{index_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for target, dev in dev_dirs.items():
            if not target.exists() and dev.exists():
                shutil.copytree(dev, target)
        subprocess.run(
            [str(VENV_BIN / "python"), "-m", "catalog_index.build", "--url", env["SHOP_DB_URL"]]
            + ["--out", str(index_dir), "--spacy-out", str(spacy_dir)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def stack_env(workdir: Path, extra_env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment of a stack in ``workdir``: SQLite order DB and tracker store there."""
    env = default_env()
    env.update(
        {
            "SHOP_DB_URL": f"sqlite:///{workdir / 'shop.db'}",
            "TRACKER_DIALECT": "sqlite",
            "TRACKER_DB": str(workdir / "tracker.db"),
            # Every test shopper comes from 127.0.0.1: no per-source lookup limit here.
            "SHOP_LOOKUP_RATE_PER_SOURCE": "0",
            # ...nor per-source failure / handoff limits; tests of those use 127.0.0.2+.
            "SHOP_LOOKUP_EXEMPT_SOURCES": "127.0.0.1",
        }
    )
    env.update(extra_env or {})
    return env


def start_stack(workdir: Path, extra_env: Optional[Dict[str, str]] = None) -> Stack:
    """Start Rasa, migrate + seed the order DB and build the catalog index while it loads the
    model (it reads neither), then start the action server; return once both serve.

    ``extra_env`` wins over the defaults (e.g. a PostgreSQL ``SHOP_DB_URL``). On failure
    whatever was started is stopped again before the error propagates.
    """
    require_model()
    stack = Stack(workdir=workdir, env=stack_env(workdir, extra_env))
    stack.action_port, stack.rasa_port = free_port(), free_port()
    stack.env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{stack.action_port}/webhook"
    catalog_dirs(stack.env)  # Rasa's environment is then the same as on a restart
    rasa = rasa_service(stack.workdir, stack.env, stack.rasa_port, stack.token)
    try:
        stack.services["rasa"] = rasa
        rasa.spawn()
        prepare_shop_db(stack.env)
        prepare_catalog_index(stack.env)
        actions = actions_service(stack.workdir, stack.env, stack.action_port)
        stack.services["actions"] = actions
        actions.spawn()
        actions.wait()
        rasa.wait()
    except BaseException:
        stack.stop()
        raise
    return stack

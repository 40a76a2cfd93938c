"""Starts the real assistant for end-to-end tests: action server + Rasa server on loopback.

Each stack gets its own SQLite order DB (migrated and seeded with the demo shop) and its own
SQLite tracker store, so tests see exactly what a shopper would, with nothing mocked.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import requests

from shop.secrets import SECRETS, generate

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "current.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@functools.cache
def stack_secrets() -> Dict[str, str]:
    """A fresh random value for every secret (shop.secrets.SECRETS), made once per test process.

    Every process of every stack this test process starts shares them, as one install would.
    """
    return {name: generate() for name in SECRETS}


def default_env() -> Dict[str, str]:
    """config/defaults.env overlaid by the test secrets, then by the current environment."""
    env: Dict[str, str] = {}
    for line in (ROOT / "config" / "defaults.env").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    env.update(stack_secrets())
    env.update(os.environ)
    env.update({"TF_CPP_MIN_LOG_LEVEL": "2", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"})
    return env


@dataclass
class Stack:
    """A running assistant and how to talk to it."""

    workdir: Path
    env: Dict[str, str]
    rasa_port: int = 0
    action_port: int = 0
    # Rasa's HTTP API token: the install's RASA_API_TOKEN (see ``__post_init__``).
    token: str = ""
    procs: List[subprocess.Popen] = field(default_factory=list)
    roles: Dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.token = self.token or self.env.get("RASA_API_TOKEN") or uuid.uuid4().hex

    @property
    def action_token(self) -> str:
        """``SHOP_ACTION_TOKEN``: what Rasa sends the action server (``?token=``)."""
        return self.env["SHOP_ACTION_TOKEN"]

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def db_url(self) -> str:
        return self.env["SHOP_DB_URL"]

    @property
    def rasa_url(self) -> str:
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
        self.action_port = self.action_port or free_port()
        log = open(self.workdir / "actions.log", "ab")
        self._track(
            "actions",
            subprocess.Popen(
                [str(VENV_BIN / "python"), "-m", "actions.server", "--port", str(self.action_port)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
        )
        _wait_http(f"{self.action_url}/health", 90, self.roles["actions"])

    def start_rasa(self) -> None:
        self.rasa_port = self.rasa_port or free_port()
        log = open(self.workdir / "rasa.log", "ab")
        self._track(
            "rasa",
            subprocess.Popen(
                [
                    str(VENV_BIN / "rasa"),
                    "run",
                    "--enable-api",
                    "--auth-token",
                    self.token,
                    "--port",
                    str(self.rasa_port),
                    "--model",
                    str(MODEL),
                    "--endpoints",
                    "endpoints.yml",
                    "--credentials",
                    "credentials.yml",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
        )
        _wait_http(f"{self.rasa_url}/status?token={self.token}", 600, self.roles["rasa"])

    def _track(self, role: str, proc: subprocess.Popen) -> None:
        self.procs.append(proc)
        self.roles[role] = proc

    def stop_role(self, role: str, kill: bool = False) -> None:
        """Stop only the action server (``"actions"``) or Rasa (``"rasa"``), e.g. to test faults.

        ``start_actions()`` / ``start_rasa()`` bring it back on the same port.
        """
        proc = self.roles.pop(role, None)
        if proc is None:
            return
        if kill:
            proc.kill()
        else:
            proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self.procs.remove(proc)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()
        self.roles.clear()


def prepare_shop_db(env: Dict[str, str]) -> None:
    """Migrate and seed the demo shop through the project's own commands."""
    py = str(VENV_BIN / "python")
    subprocess.run([py, "-m", "shop.db.migrate"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [py, "-m", "shop.seed.demo", "--if-empty"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


TEST_INDEX_DIR = ROOT / "var" / "test_catalog_index"
TEST_SPACY_DIR = ROOT / "var" / "test_spacy_catalog"


def prepare_catalog_index(env: Dict[str, str]) -> None:
    """Point the actions at a catalog index built from the stack's (seeded) DB.

    The demo seed is deterministic, so one folder under var/ serves every test session:
    ``catalog_index.build`` checks the fingerprint and returns at once when it matches (the
    first build encodes 2,000 products, minutes on 2 cores). A dev index built from the same
    catalog is copied in first, so even that first build is usually free.
    """
    index_dir = Path(env.get("CATALOG_INDEX_DIR") or TEST_INDEX_DIR)
    spacy_dir = Path(env.get("SPACY_CATALOG_DIR") or TEST_SPACY_DIR)
    dev_dirs = {index_dir: ROOT / "var" / "catalog_index", spacy_dir: ROOT / "var" / "spacy_catalog"}
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
    env["CATALOG_INDEX_DIR"] = str(index_dir)
    env["SPACY_CATALOG_DIR"] = str(spacy_dir)


def start_stack(workdir: Path, extra_env: Optional[Dict[str, str]] = None) -> Stack:
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make model` first")
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
    stack = Stack(workdir=workdir, env=env)
    stack.action_port = free_port()
    stack.env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{stack.action_port}/webhook"
    prepare_shop_db(stack.env)
    prepare_catalog_index(stack.env)
    try:
        stack.start_actions()
        stack.start_rasa()
    except Exception:
        stack.stop()
        raise
    return stack


def _wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    """Poll ``url`` until it answers 200; fail at once if ``proc`` exited (e.g. refused a secret)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process serving {url} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f}s")

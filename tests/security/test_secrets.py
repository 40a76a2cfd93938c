"""No secret that ships with the project works, and no process starts on a weak one.

* A chat identity token signed with any value the repository holds (or held at b76a697:
  ``dev-only-change-me``) in a REST message's ``metadata.identity_token`` lists no orders
  on the running ``stack``, whose secrets are random per test process.
* Every entry point (action server, Rasa, storefront, console) refuses to start with
  ``SHOP_ENV=production`` and a missing, known or short secret, naming the variable.
* The Makefile lets the environment win over config/defaults.env; ``var/secrets.env`` is
  generated once (mode 0600) and reused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import stat
import subprocess
from functools import cache
from pathlib import Path
from typing import Dict, List

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from harness.env import default_env
from harness.paths import ROOT, VENV_BIN, WEB_PYTHON
from harness.ports import free_port
from harness.processes import serving
from harness.stack import Stack, actions_argv, rasa_argv
from shop.db.models import Customer
from shop.secrets import KNOWN_DEVELOPMENT_SECRETS, SECRETS, InsecureSecret, check, ensure_file
from shop.seed.demo import DEMO_ORDERS
from shop.signed_identity import sign
from tests.e2e.helpers import text_of

OLD_MAIN = "b76a697"
NUMBER, EMAIL = DEMO_ORDERS["shipped"]
# As the order list writes them ("#104587"); the bot's prompt quotes 104523 as an example.
THEIR_ORDERS = sorted({f"#{n}" for n, e in DEMO_ORDERS.values() if e == EMAIL})

_NAME = r"[A-Za-z_]*(?:SECRET|secret|TOKEN|token)[A-Za-z_]*"
# NAME = "value" / "NAME": "value" / NAME=value (env files)
_LITERAL = re.compile(r"""["']?\b(""" + _NAME + r""")["']?[ \t]*[:=][ \t]*["']([\w:.-]{4,200})["']""")
_ENV_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?(" + _NAME + r")=([^\s'\"#]{1,200})[ \t]*$", re.M)
_SCANNED = {".py", ".yml", ".yaml", ".env", ".example", ".sh", ".md", ".js", ".html", ".cfg", ".toml"}


@cache
def shipped_values() -> List[str]:
    """Every value the repo gives a secret-like name, now or in the old main's defaults."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    texts = []
    for name in files.stdout.split():
        path = ROOT / name
        if path.is_file() and (path.suffix in _SCANNED or path.name == "Makefile"):
            texts.append(path.read_text(errors="ignore"))
    old = subprocess.run(
        ["git", "show", f"{OLD_MAIN}:config/defaults.env"], cwd=ROOT, capture_output=True, text=True
    )
    texts.append(old.stdout)
    found = set(KNOWN_DEVELOPMENT_SECRETS) | {"dev-only-change-me"}
    for text in texts:
        for pattern in (_LITERAL, _ENV_LINE):
            found.update(m.group(2) for m in pattern.finditer(text))
    return sorted(found)


def test_scan_finds_the_values_the_project_shipped() -> None:
    values = shipped_values()
    assert "dev-only-change-me" in values  # config/defaults.env at b76a697
    assert "test-secret" in values  # tests/web/test_signed_identity.py


def _env_file(path: Path) -> Dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if "=" in line and not line.startswith("#")]
    return {key.strip(): value.strip() for key, value in (line.split("=", 1) for line in lines)}


def test_no_secret_has_a_value_in_the_shipped_defaults() -> None:
    assert set(_env_file(ROOT / "config" / "defaults.env")) & set(SECRETS) == set()
    example = _env_file(ROOT / "docker" / ".env.example")
    for name in SECRETS:
        with pytest.raises(InsecureSecret, match=name):
            check(name, example.get(name), {"SHOP_ENV": "production"})


def _customer_id(shop_db: sessionmaker) -> int:
    with shop_db() as s:
        return int(s.scalar(select(Customer.id).where(Customer.email == EMAIL)))


def _v1_token(customer_id: int, secret: str) -> str:
    """The old format (no audience) the project signed before."""
    payload = f"v1:{customer_id}:9999999999".encode()
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return ".".join(base64.urlsafe_b64encode(raw).rstrip(b"=").decode() for raw in (payload, mac))


def _lists_orders(stack: Stack, sender: str, token: str) -> str:
    return text_of(stack.say(sender, "show me my recent orders", metadata={"identity_token": token}))


def test_real_secret_lists_orders(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    """The control: signed with the stack's own secret, the same message lists them."""
    reply = _lists_orders(stack, sender, sign(_customer_id(shop_db), stack.env["SHOP_IDENTITY_SECRET"]))
    assert f"#{NUMBER}" in reply


def test_forged_token_with_every_shipped_value_lists_nothing(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    customer_id = _customer_id(shop_db)
    leaked = []
    for index, value in enumerate(shipped_values()):
        for kind, token in (
            ("chat", sign(customer_id, value)),
            ("cookie", sign(customer_id, value, audience="cookie")),
            ("v1", _v1_token(customer_id, value)),
        ):
            reply = _lists_orders(stack, f"{sender}-{index}-{kind}", token)
            if "Your recent orders" in reply or any(number in reply for number in THEIR_ORDERS):
                leaked.append((value, kind))
    assert leaked == []


def test_storefront_cookie_token_is_not_a_chat_token(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    """A cookie token, even under the chat key, names nobody to the bot."""
    cookie = sign(_customer_id(shop_db), stack.env["SHOP_IDENTITY_SECRET"], audience="cookie")
    reply = _lists_orders(stack, sender, cookie)
    assert "Your recent orders" not in reply and not any(number in reply for number in THEIR_ORDERS)


# -- start-up refusals ---------------------------------------------------------------------

WEAK = {"missing": None, "known": "dev-only-change-me", "short": "k3Vq9-rAnd0m-but-short"}


ENTRY_POINTS = {
    "actions": actions_argv,
    "rasa": (lambda port: rasa_argv(port, "unused-here-the-env-token-is-checked")),
    "storefront": (lambda port: [str(WEB_PYTHON), "-m", "web"]),
    "console": (lambda port: [str(WEB_PYTHON), "-m", "console"]),
}
REQUIRED = {
    "actions": ("SHOP_ACTION_TOKEN", "SHOP_IDENTITY_SECRET"),
    "rasa": ("SHOP_SESSION_SECRET", "SHOP_ACTION_TOKEN", "RASA_API_TOKEN"),
    "storefront": ("SHOP_IDENTITY_SECRET", "SHOP_COOKIE_SECRET"),
    "console": ("CONSOLE_SECRET",),
}
CASES = [
    pytest.param(process, name, weak, id=f"{process}-{name}-{weak}")
    for process, names in REQUIRED.items()
    for name in names
    # Rasa takes a while to import: one weakness per variable, all three across them.
    for weak in (WEAK if process != "rasa" else [list(WEAK)[names.index(name) % len(WEAK)]])
]


def _production_env(tmp_path: Path, port: int) -> Dict[str, str]:
    env = default_env()
    env.update(
        {
            "SHOP_ENV": "production",
            "SHOP_DB_URL": f"sqlite:///{tmp_path / 'shop.db'}",
            "TRACKER_DIALECT": "sqlite",
            "TRACKER_DB": str(tmp_path / "tracker.db"),
            "STOREFRONT_HOST": "127.0.0.1",
            "STOREFRONT_PORT": str(port),
            "CONSOLE_HOST": "127.0.0.1",
            "CONSOLE_PORT": str(port),
            "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
        }
    )
    return env


@pytest.mark.parametrize(("process", "name", "weak"), CASES)
def test_process_refuses_to_start_with_a_weak_secret(
    tmp_path: Path, process: str, name: str, weak: str
) -> None:
    port = free_port()
    env = _production_env(tmp_path, port)
    value = WEAK[weak]
    if value is None:
        env.pop(name, None)
    else:
        env[name] = value
    try:
        done = subprocess.run(
            ENTRY_POINTS[process](port), cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{process} started (or hung) with {weak} {name} in production")
    output = done.stdout + done.stderr
    assert done.returncode != 0, f"{process} exited 0 with {weak} {name}"
    assert name in output, output[-2000:]
    if value is not None:
        assert value not in output  # the message names the variable, never its value


def test_action_server_starts_with_good_secrets_in_production(tmp_path: Path) -> None:
    """The control for the refusals: the same environment with its random secrets serves."""
    import requests

    port = free_port()
    env = _production_env(tmp_path, port)
    with serving(actions_argv(port), env, f"http://127.0.0.1:{port}/health", tmp_path / "actions.log", 90):
        assert requests.post(f"http://127.0.0.1:{port}/webhook", json={}, timeout=10).status_code == 401


# -- the Makefile and var/secrets.env ---------------------------------------------------------


def _make_print(name: str, env: Dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", f"print-{name}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_environment_wins_over_the_makefile_defaults() -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("ACTION_PORT", "MAKEFLAGS", "MAKELEVEL")}
    assert _make_print("ACTION_PORT", base) == "5055"  # config/defaults.env
    assert _make_print("ACTION_PORT", {**base, "ACTION_PORT": "6123"}) == "6123"
    # a secret the operator exports reaches the recipes untouched
    assert _make_print("SHOP_IDENTITY_SECRET", {**base, "SHOP_IDENTITY_SECRET": "operator-value"}) == (
        "operator-value"
    )
    # and none is given one by the defaults
    clean = {k: v for k, v in base.items() if k not in SECRETS}
    for name in SECRETS:
        assert _make_print(name, clean) == "", name


def test_secrets_file_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.env"
    first = ensure_file(path)
    assert set(first) == set(SECRETS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for name, value in first.items():
        check(name, value, {"SHOP_ENV": "production"})  # long, random, not a known value
    assert len(set(first.values())) == len(first)  # one value per secret
    content = path.read_text()
    assert ensure_file(path) == first and path.read_text() == content


def test_secrets_file_keeps_an_old_installs_api_token(tmp_path: Path) -> None:
    (tmp_path / "rasa_api_token").write_text("an-old-install-token-of-32-bytes-or-more\n")
    values = ensure_file(tmp_path / "secrets.env")
    assert values["RASA_API_TOKEN"] == "an-old-install-token-of-32-bytes-or-more"


def test_ensure_exports_only_what_the_environment_does_not_set(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env["SHOP_COOKIE_SECRET"] = "set-by-the-operator-and-long-enough-to-pass"
    done = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "shop.secrets", "ensure", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    exported = dict(re.findall(r"^export (\w+)=(\S+)$", done.stdout, re.M))
    assert set(exported) == set(SECRETS) - {"SHOP_COOKIE_SECRET"}
    again = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "shop.secrets", "ensure", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert again.stdout == done.stdout  # the same values on every run


def test_make_run_loads_the_secrets_file() -> None:
    script = (ROOT / "scripts" / "run.sh").read_text()
    assert "-m shop.secrets ensure var/secrets.env" in script
    assert "-m actions.server" in script and "rasa_sdk --actions" not in script

"""Helpers for the real-browser tests: Debian's Chromium, the storefront and a stand-in Rasa.

Each server runs as a subprocess on a free loopback port; tests wait for URLs and
selectors, never for fixed delays.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.env import default_env
from harness.paths import ROOT
from harness.ports import free_port
from harness.processes import wait_http
from harness.stack import Stack, start_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts"
VENDOR_JS = ROOT / "web" / "static" / "vendor" / "socket.io.min.js"

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def require_assets() -> None:
    if not VENDOR_JS.exists():
        raise RuntimeError(f"{VENDOR_JS} is missing: run `make web-assets` first")


@contextmanager
def process(args: list[str], env: dict[str, str], health_url: str, log: Path) -> Iterator[None]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(health_url, 60)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def storefront(workdir: Path, db_url: str, rasa_url: str, secret: str) -> Iterator[str]:
    """``python -m web`` on a free port; yields its base URL."""
    port = free_port()
    env = default_env()
    env.update(
        {
            "SHOP_DB_URL": db_url,
            "RASA_PUBLIC_URL": rasa_url,
            "STOREFRONT_PORT": str(port),
            "STOREFRONT_HOST": "127.0.0.1",
            "SHOP_IDENTITY_SECRET": secret,
        }
    )
    url = f"http://127.0.0.1:{port}"
    with process([sys.executable, "-m", "web"], env, f"{url}/health", workdir / "storefront.log"):
        yield url


@contextmanager
def echo_rasa(workdir: Path) -> Iterator[str]:
    """tests/web/socketio_echo.py (the project's socket.io channel, no model); yields its URL."""
    port = free_port()
    env = default_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    url = f"http://127.0.0.1:{port}"
    script = str(ROOT / "tests" / "web" / "socketio_echo.py")
    with process([sys.executable, script, str(port)], env, f"{url}/health", workdir / "echo.log"):
        yield url


@dataclass(frozen=True)
class StorefrontStack:
    """The real assistant (tests/e2e/stack.py) with the storefront in front of it."""

    stack: Stack
    url: str  # the storefront's base URL


@contextmanager
def storefront_stack(workdir: Path, secret: str) -> Iterator[StorefrontStack]:
    """The trained assistant and ``python -m web``, both trusting ``secret`` for signed
    identities; stops both on exit."""
    require_assets()
    stack = start_stack(workdir, {"SHOP_IDENTITY_SECRET": secret})
    try:
        with storefront(stack.workdir, stack.db_url, stack.rasa_url, secret) as url:
            yield StorefrontStack(stack, url)
    finally:
        stack.stop()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, launched through Playwright; closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# --- the storefront widget, driven through Playwright's sync API ---------------------------------


def shot(page: Page, name: str) -> Path:
    """A screenshot of ``page`` in test-artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def open_chat(page: Page) -> str:
    """Open the storefront's chat widget; returns the Rasa session id once it is confirmed."""
    from playwright.sync_api import expect

    page.click(".shopchat-launcher")
    expect(page.locator(".shopchat[data-session]")).to_have_count(1)
    return page.get_attribute(".shopchat", "data-session") or ""


def type_message(page: Page, text: str) -> None:
    """Type ``text`` into the widget and send it, without waiting for an answer."""
    page.fill(".shopchat-input", text)
    page.press(".shopchat-input", "Enter")


def say(page: Page, text: str) -> None:
    """Send ``text`` and wait until the bot answered it (the typing indicator went away)."""
    from playwright.sync_api import expect

    bots = page.locator(".shopchat-bot").count()
    type_message(page, text)
    expect(page.locator(".shopchat-bot")).not_to_have_count(bots)
    expect(page.locator(".shopchat-typing")).to_be_hidden()

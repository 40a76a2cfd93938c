"""Helpers for the real-browser tests: the storefront, a stand-in Rasa, the widget in Chromium.

Processes, Chromium and the assistant come from :mod:`harness`; each server runs as a
subprocess on a free loopback port, and tests wait for URLs and selectors, never for fixed
delays.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.chromium import CHROMIUM_ARGS, chromium, chromium_path
from harness.env import default_env
from harness.paths import ROOT, VENDOR_JS, require_web_assets
from harness.ports import free_port
from harness.processes import serving
from harness.stack import Stack
from harness.webapps import storefront as storefront_app

__all__ = ["CHROMIUM_ARGS", "VENDOR_JS", "chromium", "chromium_path", "process", "storefront"]

ARTIFACTS = ROOT / "test-artifacts"

if TYPE_CHECKING:
    from playwright.sync_api import Page


def require_assets() -> None:
    """The widget's socket.io client is in web/static/vendor, or a failure naming `make web-assets`."""
    require_web_assets()


@contextmanager
def process(args: list[str], env: dict[str, str], health_url: str, log: Path) -> Iterator[None]:
    """Run ``args`` while the block runs, entered once ``health_url`` answers 200."""
    with serving(args, env, health_url, log):
        yield


@contextmanager
def storefront(workdir: Path, db_url: str, rasa_url: str, secret: str) -> Iterator[str]:
    """``python -m web`` on a free port; yields its base URL."""
    env = default_env()
    env.update({"SHOP_DB_URL": db_url, "RASA_PUBLIC_URL": rasa_url, "SHOP_IDENTITY_SECRET": secret})
    with storefront_app(env, workdir / "storefront.log", sys.executable) as app:
        yield app.url


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


@contextmanager
def echo_site(workdir: Path, secret: str) -> Iterator[str]:
    """A small seeded shop, the stand-in Rasa and the storefront in ``workdir``; yields the shop URL."""
    from shop.db.migrate import upgrade
    from shop.db.session import make_engine
    from shop.seed.demo import SeedSize, seed_database

    url = f"sqlite:///{workdir / 'shop.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_database(engine, size=SeedSize.small())
    engine.dispose()
    with echo_rasa(workdir) as rasa_url, storefront(workdir, url, rasa_url, secret) as shop_url:
        yield shop_url


@dataclass(frozen=True)
class StorefrontStack:
    """The real assistant (:mod:`harness.stack`) with the storefront in front of it."""

    stack: Stack
    url: str  # the storefront's base URL

    @property
    def secret(self) -> str:
        """The identity key both trust (``SHOP_IDENTITY_SECRET``), to sign test identities."""
        return self.stack.env["SHOP_IDENTITY_SECRET"]


@contextmanager
def storefront_in_front_of(stack: Stack) -> Iterator[StorefrontStack]:
    """``python -m web`` on ``stack``'s order DB and Rasa, trusting its identity key."""
    require_assets()
    with storefront(stack.workdir, stack.db_url, stack.rasa_url, stack.env["SHOP_IDENTITY_SECRET"]) as url:
        yield StorefrontStack(stack, url)


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

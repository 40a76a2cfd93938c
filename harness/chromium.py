"""The Chromium the browser tests drive through Playwright: found on this machine, not assumed.

``CHROMIUM`` (or the older ``CHROMIUM_PATH``) names the executable; otherwise the first of
``chromium``, ``chromium-browser``, ``google-chrome`` on ``PATH`` (Debian's package installs
``/usr/bin/chromium``; ``make system-deps`` installs it). None found is :class:`Missing`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

from harness.paths import Missing

if TYPE_CHECKING:
    from playwright.async_api import Browser as AsyncBrowser
    from playwright.sync_api import Browser

NAMES = ("chromium", "chromium-browser", "google-chrome")
#: Flags for a headless run as root in a container, with nothing phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    """The Chromium executable to launch, or :class:`Missing` saying how to install one."""
    for variable in ("CHROMIUM", "CHROMIUM_PATH"):
        named = os.environ.get(variable)
        if named:
            found = shutil.which(named)
            if found is None:
                raise Missing(f"{variable}={named} is not an executable")
            return found
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise Missing(f"no Chromium on PATH (looked for {', '.join(NAMES)}): `make system-deps` installs it")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Chromium launched headless through Playwright's sync API; closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@asynccontextmanager
async def async_chromium() -> AsyncIterator[AsyncBrowser]:
    """Chromium launched headless through Playwright's async API (for aiohttp test servers)."""
    from playwright.async_api import async_playwright

    executable = chromium_path()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()

"""Where things are: the project root, the virtualenvs' interpreters, the trained model."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The assistant's virtualenv (Rasa, rasa-sdk): the one running the tests.
VENV_BIN = Path(sys.executable).parent
#: The web apps' virtualenv (a maintained aiohttp; docs/production.md).
WEB_PYTHON = Path(os.environ.get("SHOP_WEB_PYTHON") or ROOT / ".venv-web" / "bin" / "python")
#: The trained model the stacks serve: ``models/current.tar.gz`` (``make model``), or the one
#: ``SHOP_TEST_MODEL`` names (to try a model trained elsewhere without replacing it).
MODEL = Path(os.environ.get("SHOP_TEST_MODEL") or ROOT / "models" / "current.tar.gz")
VENDOR_JS = ROOT / "web" / "static" / "vendor" / "socket.io.min.js"


class Missing(RuntimeError):
    """Something the tests run for real is not installed or not built: a failure, not a skip."""


def require_model() -> Path:
    """The trained model, or :class:`Missing` naming the command that builds it."""
    if not MODEL.exists():
        raise Missing(f"{MODEL} is missing: `make model` trains it (`make test` does first)")
    return MODEL


def require_web_assets() -> Path:
    """The widget's socket.io client, or :class:`Missing` naming the command that copies it."""
    if not VENDOR_JS.exists():
        raise Missing(f"{VENDOR_JS} is missing: run `make web-assets` first")
    return VENDOR_JS


def require_web_python() -> Path:
    """``.venv-web``'s interpreter, or :class:`Missing` naming the command that builds it."""
    if not WEB_PYTHON.exists():
        raise Missing(f"{WEB_PYTHON} is missing: `make install` builds .venv-web")
    return WEB_PYTHON

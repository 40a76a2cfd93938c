"""Where the catalog index and the spaCy pipeline live: a setting, or a folder under ``var/``."""

from __future__ import annotations

from pathlib import Path

from shop import settings
from shop.config import PROJECT_ROOT

__all__ = ["var_folder"]


def var_folder(setting: str, name: str) -> Path:
    """The folder the setting ``setting`` names, or ``var/<name>`` under the project root if blank."""
    raw = str(settings.value(setting)).strip()
    return Path(raw) if raw else PROJECT_ROOT / "var" / name

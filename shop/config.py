"""Settings read from environment variables, each with a documented default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def default_db_url() -> str:
    """``SHOP_DB_URL``, or SQLite ``var/shop.db`` under the project root."""
    url = os.environ.get("SHOP_DB_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'shop.db'}"


@dataclass(frozen=True)
class Settings:
    """Business rules a shop may tune without touching code."""

    return_window_days: int = 30
    lookup_max_failures: int = 3
    lookup_lock_minutes: int = 15
    recent_orders_limit: int = 5

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            return_window_days=_int("SHOP_RETURN_WINDOW_DAYS", cls.return_window_days),
            lookup_max_failures=_int("SHOP_LOOKUP_MAX_FAILURES", cls.lookup_max_failures),
            lookup_lock_minutes=_int("SHOP_LOOKUP_LOCK_MINUTES", cls.lookup_lock_minutes),
            recent_orders_limit=_int("SHOP_RECENT_ORDERS_LIMIT", cls.recent_orders_limit),
        )

"""Settings read from environment variables, each with a documented default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _words(name: str) -> tuple[str, ...]:
    """A comma-separated list; blank entries dropped."""
    return tuple(w.strip() for w in os.environ.get(name, "").split(",") if w.strip())


def default_db_url() -> str:
    """``SHOP_DB_URL``, or SQLite ``var/shop.db`` under the project root."""
    url = os.environ.get("SHOP_DB_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'shop.db'}"


@dataclass(frozen=True)
class Settings:
    """Business rules a shop may tune without touching code.

    Identity checks (order number + email): a failed check counts against its
    conversation, its order number, its email (hashed) and its client address (the
    channel's ``source``); any of them reaching its limit inside ``lookup_lock_minutes``
    locks checks for that key until its oldest counted failure leaves the window. ``0``
    disables one limit. The per-source limit is higher because shoppers share addresses
    (NAT, offices); ``lookup_exempt_sources`` lists sources never counted per source
    (test clients, health checks — never a proxy shoppers come through).
    """

    return_window_days: int = 30
    lookup_max_failures: int = 3  # per conversation
    lookup_max_failures_per_order: int = 3
    lookup_max_failures_per_email: int = 3
    lookup_max_failures_per_source: int = 20
    lookup_lock_minutes: int = 15
    lookup_exempt_sources: tuple[str, ...] = ()
    recent_orders_limit: int = 5
    # A proven identity (customer_id / verified_order slots) holds this long at most.
    identity_proof_minutes: int = 30
    # Handoff requests a conversation / a client address may open per window.
    handoff_max_per_conversation: int = 3
    handoff_max_per_source: int = 10
    handoff_window_minutes: int = 60

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            return_window_days=_int("SHOP_RETURN_WINDOW_DAYS", cls.return_window_days),
            lookup_max_failures=_int("SHOP_LOOKUP_MAX_FAILURES", cls.lookup_max_failures),
            lookup_max_failures_per_order=_int(
                "SHOP_LOOKUP_MAX_FAILURES_PER_ORDER", cls.lookup_max_failures_per_order
            ),
            lookup_max_failures_per_email=_int(
                "SHOP_LOOKUP_MAX_FAILURES_PER_EMAIL", cls.lookup_max_failures_per_email
            ),
            lookup_max_failures_per_source=_int(
                "SHOP_LOOKUP_MAX_FAILURES_PER_SOURCE", cls.lookup_max_failures_per_source
            ),
            lookup_lock_minutes=_int("SHOP_LOOKUP_LOCK_MINUTES", cls.lookup_lock_minutes),
            lookup_exempt_sources=_words("SHOP_LOOKUP_EXEMPT_SOURCES"),
            recent_orders_limit=_int("SHOP_RECENT_ORDERS_LIMIT", cls.recent_orders_limit),
            identity_proof_minutes=_int("SHOP_IDENTITY_PROOF_MINUTES", cls.identity_proof_minutes),
            handoff_max_per_conversation=_int(
                "SHOP_HANDOFF_MAX_PER_CONVERSATION", cls.handoff_max_per_conversation
            ),
            handoff_max_per_source=_int("SHOP_HANDOFF_MAX_PER_SOURCE", cls.handoff_max_per_source),
            handoff_window_minutes=_int("SHOP_HANDOFF_WINDOW_MINUTES", cls.handoff_window_minutes),
        )

"""The business rules the order, return, identity and hand-off services share.

Values come from :mod:`shop.settings` (one reader of the environment, every default there).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shop import settings as shop_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_DEFAULTS = shop_settings.ShopSettings


def default_db_url() -> str:
    """``SHOP_DB_URL``, or SQLite ``var/shop.db`` under the project root."""
    url: str = shop_settings.value("SHOP_DB_URL")
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

    return_window_days: int = _DEFAULTS.return_window_days
    lookup_max_failures: int = _DEFAULTS.lookup_max_failures  # per conversation
    lookup_max_failures_per_order: int = _DEFAULTS.lookup_max_failures_per_order
    lookup_max_failures_per_email: int = _DEFAULTS.lookup_max_failures_per_email
    lookup_max_failures_per_source: int = _DEFAULTS.lookup_max_failures_per_source
    lookup_lock_minutes: int = _DEFAULTS.lookup_lock_minutes
    lookup_exempt_sources: tuple[str, ...] = _DEFAULTS.lookup_exempt_sources
    recent_orders_limit: int = _DEFAULTS.recent_orders_limit
    # A proven identity (customer_id / verified_order slots) holds this long at most.
    identity_proof_minutes: int = _DEFAULTS.identity_proof_minutes
    # Handoff requests a conversation / a client address may open per window.
    handoff_max_per_conversation: int = _DEFAULTS.handoff_max_per_conversation
    handoff_max_per_source: int = _DEFAULTS.handoff_max_per_source
    handoff_window_minutes: int = _DEFAULTS.handoff_window_minutes

    @classmethod
    def from_env(cls) -> Settings:
        """The business rules from :mod:`shop.settings` (``SHOP_*``)."""
        st = shop_settings.load()
        return cls(**{name: getattr(st, name) for name in cls.__dataclass_fields__})

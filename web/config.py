"""Storefront settings from the environment, each with a documented default."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from shop.config import default_db_url
from shop.signed_identity import secret_from_env

log = logging.getLogger(__name__)

DEV_SECRET = "dev-only-change-me"


@dataclass(frozen=True)
class StoreConfig:
    #: ``SHOP_DB_URL``: the order database (products, customers, carts).
    db_url: str
    #: ``RASA_PUBLIC_URL``: where browsers reach Rasa's socket.io (default http://localhost:5005).
    rasa_url: str
    #: ``SHOP_IDENTITY_SECRET``: HMAC key shared with the action server.
    identity_secret: str
    #: ``STOREFRONT_HOST`` / ``STOREFRONT_PORT``: where the storefront listens.
    host: str = "0.0.0.0"
    port: int = 8080
    #: Lifetime of the identity token put into each page (seconds).
    identity_ttl_s: int = 3600
    #: Serve cookies with ``Secure`` (set ``STOREFRONT_SECURE_COOKIES=1`` behind HTTPS).
    secure_cookies: bool = False

    @classmethod
    def from_env(cls) -> StoreConfig:
        secret = secret_from_env()
        if secret is None:
            log.warning("SHOP_IDENTITY_SECRET is not set; using the development secret")
            secret = DEV_SECRET
        return cls(
            db_url=default_db_url(),
            rasa_url=os.environ.get("RASA_PUBLIC_URL", "").strip() or "http://localhost:5005",
            identity_secret=secret,
            host=os.environ.get("STOREFRONT_HOST", "").strip() or "0.0.0.0",
            port=int(os.environ.get("STOREFRONT_PORT", "").strip() or 8080),
            identity_ttl_s=int(os.environ.get("STOREFRONT_IDENTITY_TTL_S", "").strip() or 3600),
            secure_cookies=os.environ.get("STOREFRONT_SECURE_COOKIES", "").strip() in ("1", "true", "yes"),
        )

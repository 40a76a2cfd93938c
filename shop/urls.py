"""Where a product's page and picture live on the storefront: the one place these URLs are built.

The storefront's routes (web/routes.py) serve exactly these paths, and the chat's carousels,
the widget and Telegram link them. Paths are relative (``/product/JKT-000089``) unless the
``STOREFRONT_PUBLIC_URL`` setting names where shoppers reach the storefront
(``https://shop.example.com``); then they are absolute, which Telegram needs to fetch a photo.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote

__all__ = ["PRODUCT_PATH", "IMAGE_PATH", "absolute", "image_url", "product_url", "public_base"]

#: aiohttp route patterns of the two pages (web/routes.py registers these).
PRODUCT_PATH = "/product/{sku}"
IMAGE_PATH = "/img/{sku}.svg"


def public_base(env: Mapping[str, str] | None = None) -> str:
    """``STOREFRONT_PUBLIC_URL`` without a trailing slash, or "" when unset (relative links)."""
    env = os.environ if env is None else env
    return env.get("STOREFRONT_PUBLIC_URL", "").strip().rstrip("/")


def absolute(path: str, env: Mapping[str, str] | None = None) -> str:
    """A storefront path made absolute under the public base; full URLs and "" pass unchanged."""
    if not path or path.startswith(("http://", "https://")) or not path.startswith("/"):
        return path
    return public_base(env) + path


def _sku(sku: str) -> str:
    return quote(str(sku), safe="")


def product_url(sku: str, env: Mapping[str, str] | None = None) -> str:
    """The product's storefront page: ``/product/<sku>`` (absolute under the public base if set)."""
    return absolute(PRODUCT_PATH.format(sku=_sku(sku)), env)


def image_url(sku: str, env: Mapping[str, str] | None = None) -> str:
    """The product's picture: ``/img/<sku>.svg`` (absolute under the public base if set)."""
    return absolute(IMAGE_PATH.format(sku=_sku(sku)), env)

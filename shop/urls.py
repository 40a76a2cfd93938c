"""Where a product's page and picture live on the storefront: the one place these URLs are built.

The storefront's routes (web/routes.py) serve exactly these paths, and the chat's carousels,
the widget and Telegram link them. Paths are relative (``/product/JKT-000089``) unless the
``STOREFRONT_PUBLIC_URL`` setting names where shoppers reach the storefront
(``https://shop.example.com``); then they are absolute, which Telegram needs to fetch a photo.

:func:`safe_next` is the other half: the one check that a redirect target a client sent
(``?next=``, a form field) is a path on this site, used by the storefront and the console.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, unquote, urlsplit

from shop import settings as shop_settings

__all__ = [
    "PRODUCT_PATH",
    "IMAGE_PATH",
    "MAX_NEXT_CHARS",
    "absolute",
    "has_control_chars",
    "image_url",
    "product_url",
    "public_base",
    "safe_next",
]

#: aiohttp route patterns of the two pages (web/routes.py registers these).
PRODUCT_PATH = "/product/{sku}"
IMAGE_PATH = "/img/{sku}.svg"


def public_base(env: Mapping[str, str] | None = None) -> str:
    """``STOREFRONT_PUBLIC_URL`` without a trailing slash, or "" when unset (relative links)."""
    return str(shop_settings.value("STOREFRONT_PUBLIC_URL", env)).rstrip("/")


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


#: the longest redirect target :func:`safe_next` accepts
MAX_NEXT_CHARS = 500
# Control characters (C0, DEL, C1): browsers strip some of them from URLs, so "/\t/evil.com"
# would become "//evil.com"; PostgreSQL refuses NUL in text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A redirect target: printable ASCII only (the site's own paths are percent-encoded).
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


def has_control_chars(value: str) -> bool:
    """True if ``value`` holds a control character (browsers and PostgreSQL mangle those)."""
    return _CONTROL.search(value) is not None


def _is_local_path(value: str) -> bool:
    if not _PRINTABLE_ASCII.fullmatch(value) or "\\" in value:
        return False
    if not value.startswith("/") or value.startswith("//"):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next(raw: object, default: str = "/") -> str:
    """``raw`` if it is a path on this site (``/cart?x=1``), else ``default``.

    Refused: anything not a string or longer than :data:`MAX_NEXT_CHARS`; any control
    character, space, non-ASCII character or backslash (browsers read ``/\\evil.com`` and
    ``/\\t/evil.com`` as ``//evil.com``); ``//host`` and ``scheme:`` forms; and a path hiding
    any of these behind percent-encoding (``/%2F%2Fevil.com``, ``/%5Cevil.com``, ``/%09/x``).
    """
    if not isinstance(raw, str) or not raw or len(raw) > MAX_NEXT_CHARS or not _is_local_path(raw):
        return default
    path = raw.split("?", 1)[0].split("#", 1)[0]
    for _ in range(3):  # a twice-encoded "//" is refused too
        step = unquote(path)
        if step == path:
            return raw
        if has_control_chars(step) or "\\" in step or step.startswith("//"):
            return default
        path = step
    return default

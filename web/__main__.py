"""``python -m web``: serve the storefront on ``STOREFRONT_PORT`` (default 8080).

Refuses to start (exit status 78, like every entry point, with a message naming the variable)
without its secrets ``SHOP_IDENTITY_SECRET`` and ``SHOP_COOKIE_SECRET``.
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from shop.secrets import InsecureSecret
from web.app import create_app
from web.config import StoreConfig


def main() -> None:
    """Run the storefront until stopped; exit 78 when a required secret is missing or weak."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = StoreConfig.from_env()
    except (InsecureSecret, ValueError) as refused:
        print(f"storefront refuses to start: {refused}", file=sys.stderr)
        raise SystemExit(78) from None
    web.run_app(create_app(config), host=config.host, port=config.port, access_log=None)


if __name__ == "__main__":
    main()

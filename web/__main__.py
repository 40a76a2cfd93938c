"""``python -m web``: serve the storefront on ``STOREFRONT_PORT`` (default 8080)."""

from __future__ import annotations

import logging

from aiohttp import web

from web.app import create_app
from web.config import StoreConfig


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = StoreConfig.from_env()
    web.run_app(create_app(config), host=config.host, port=config.port, access_log=None)


if __name__ == "__main__":
    main()

"""``python -m console``: serve the review console on CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:8081)."""

from __future__ import annotations

import logging

from aiohttp import web

from console.app import build_app
from console.config import ConsoleSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = ConsoleSettings.from_env()
    web.run_app(build_app(settings), host=settings.host, port=settings.port, access_log=None)


if __name__ == "__main__":
    main()

"""``python -m console``: serve the review console on CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:8081).

Refuses to start (exit status 2, the reason on stderr) without a usable CONSOLE_SECRET.
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from console.app import build_app
from console.config import ConsoleSettings
from shop.secrets import InsecureSecret


def main() -> int:
    """Serve until stopped; 2 when the settings are refused."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = ConsoleSettings.from_env()
        app = build_app(settings)
    except InsecureSecret as exc:
        print(f"console: not starting: {exc}", file=sys.stderr)
        return 2
    web.run_app(app, host=settings.host, port=settings.port, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

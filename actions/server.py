"""The action server: rasa_sdk's own app, obeying only Rasa, with every action off the event loop.

Usage::

    python -m actions.server            # ACTION_HOST (127.0.0.1), ACTION_PORT (5055)

* Every route except ``/health`` needs the token Rasa sends as the ``token`` query parameter
  (``action_endpoint.token`` in endpoints.yml, from ``SHOP_ACTION_TOKEN``): none is 401, a
  wrong one 403, decided before the action executor sees the call.
* Each action call runs in one of ``ACTION_WORKERS`` (8) threads, each with its own event
  loop, so a slow database call in one conversation never stalls another; what a call
  returns or raises is exactly rasa_sdk's.
* Idle connections stay open :data:`KEEP_ALIVE_SECONDS` (Sanic's default is 5 s), far longer
  than Rasa keeps an idle pooled connection (ops/action_client.py), so Rasa never sends a call
  on a connection this server has just closed, even when its event loop answers late.
* ``/health`` answers 503 while the process still loads the catalog index and encoder
  (``CATALOG_WARM_UP``, ~10 s): health checks hold shoppers back until it is warm.
* It refuses to start without usable ``SHOP_ACTION_TOKEN`` and ``SHOP_IDENTITY_SECRET``
  (:func:`shop.secrets.require`), naming the variable.
* ``ACTION_SERVER_SANIC_WORKERS`` (rasa_sdk's variable, default 1) processes share the port,
  each with its own threads, database pool and GIL: one process is one core's worth of
  actions. Sanic forks them from this one, so the actions package is imported in each
  process after the fork (:meth:`ThreadedActionExecutor.register_package` defers it),
  never in the parent: the catalog warm-up thread it starts and the connections it opens
  must not be shared across a fork. Every limit the actions keep is in the database, except
  the per-minute lookup counters, which are in memory unless ``SHOP_RATE_LIMIT_REDIS_URL``
  is set: with several processes and no Redis each would allow the whole limit, so the
  server refuses to start (:func:`shared_state_problem`).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any, Dict, List, Optional, Union

from rasa_sdk import endpoint, utils
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from shop import settings as shop_settings
from shop.secrets import refuse_to_start

__all__ = [
    "ThreadedActionExecutor",
    "create_app",
    "main",
    "shared_state_problem",
    "REQUIRED_SECRETS",
    "OPEN_PATHS",
]

logger = logging.getLogger(__name__)

#: What this process checks at start: Rasa's token, and the key of chat identity tokens.
REQUIRED_SECRETS = ("SHOP_ACTION_TOKEN", "SHOP_IDENTITY_SECRET")
#: Routes anyone on the network may call (the health check holds no data).
HEALTH_PATH = "/health"
OPEN_PATHS = frozenset({HEALTH_PATH})
TOKEN_PARAM = "token"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5055
DEFAULT_WORKERS = 8
#: Seconds an idle connection from Rasa stays open (Rasa gives up its own after 10 s).
KEEP_ALIVE_SECONDS = 60


class ThreadedActionExecutor(ActionExecutor):
    """rasa_sdk's executor whose :meth:`run` happens in a bounded pool of worker threads.

    Each worker keeps one event loop for its lifetime, so async actions (and anything they
    cache per loop) work as they do on the server's loop.
    """

    def __init__(self, workers: int = DEFAULT_WORKERS, defer_imports: bool = False) -> None:
        super().__init__()
        if workers < 1:
            raise ValueError("ACTION_WORKERS must be at least 1")
        self.workers = workers
        self._pool: Optional[ThreadPoolExecutor] = None
        self._local = threading.local()
        self._deferred: Optional[List[Union[str, ModuleType]]] = [] if defer_imports else None

    def register_package(self, package: Union[str, ModuleType]) -> None:
        """rasa_sdk's registration, or, while imports are deferred, a note to do it later."""
        if self._deferred is not None:
            self._deferred.append(package)
            return
        super().register_package(package)

    def register_deferred(self) -> None:
        """Import and register the packages noted so far (in the serving process)."""
        packages, self._deferred = self._deferred or [], None
        for package in packages:
            super().register_package(package)

    def _run_here(self, action_call: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
        return loop.run_until_complete(ActionExecutor.run(self, action_call))  # type: ignore[arg-type]

    async def run(self, action_call: Any) -> Optional[Dict[str, Any]]:
        """Run the action on a worker thread so a slow one never blocks the event loop."""
        # Created on first use, in the serving process (Sanic may fork workers after create_app).
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="action")
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._run_here, action_call)


def not_ready(path: str) -> Optional[HTTPResponse]:
    """``/health`` is 503 while this process still loads the catalog (actions.services): a
    deployment's health check, like the test harness, sends no shopper here until it is warm."""
    from actions import services  # after the fork, in the serving process

    if path == HEALTH_PATH and services.catalog_warming():
        return response.json({"status": "warming up"}, status=503)
    return None


def _token_guard(token: str) -> Callable[[Request], Awaitable[Optional[HTTPResponse]]]:
    expected = token.encode("utf-8")

    async def guard(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return not_ready(request.path)
        given = request.args.get(TOKEN_PARAM)
        if not given:
            return response.json({"error": "missing token"}, status=401)
        if not hmac.compare_digest(given.encode("utf-8"), expected):
            logger.warning("event=action_call_refused reason=wrong_token path=%s", request.path)
            return response.json({"error": "wrong token"}, status=403)
        return None

    return guard


def create_app(package: str, token: str, workers: int = DEFAULT_WORKERS, processes: int = 1) -> Sanic:
    """rasa_sdk's app for ``package`` with the token guard and the threaded executor.

    With ``processes`` > 1 the package is imported when each forked process starts serving.
    """
    if not token:
        raise ValueError("the action server needs a token")
    executor = ThreadedActionExecutor(workers, defer_imports=processes > 1)
    original = endpoint.ActionExecutor
    endpoint.ActionExecutor = lambda: executor  # type: ignore[misc,assignment]
    try:
        # No CORS: browsers have no business here.
        app = endpoint.create_app(package, cors_origins=None)
    finally:
        endpoint.ActionExecutor = original  # type: ignore[misc]

    async def import_actions(_app: Sanic, _loop: Any) -> None:
        executor.register_deferred()

    app.register_listener(import_actions, "before_server_start")
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_SECONDS
    # Runs before any other middleware, so nothing else sees a refused call.
    app.request_middleware.appendleft(_token_guard(token))  # type: ignore[attr-defined]
    return app


def shared_state_problem(processes: int, st: Optional[shop_settings.ShopSettings] = None) -> Optional[str]:
    """Why ``processes`` action-server processes would not share the shop's limits, or None."""
    st = st or shop_settings.load()
    limited = st.lookup_rate_per_conversation > 0 or st.lookup_rate_per_source > 0
    if processes > 1 and limited and not st.rate_limit_redis_url:
        return (
            f"ACTION_SERVER_SANIC_WORKERS={processes} processes would each count order lookups "
            "in memory (each allowing the whole SHOP_LOOKUP_RATE_* limit): set "
            "SHOP_RATE_LIMIT_REDIS_URL, or run one process"
        )
    return None


def _arguments() -> argparse.ArgumentParser:
    st = shop_settings.load()
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default="actions", help="package of the actions (default: actions)")
    parser.add_argument("--host", default=st.action_host or DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=st.action_port or DEFAULT_PORT)
    parser.add_argument("--workers", type=int, default=st.action_workers or DEFAULT_WORKERS)
    utils.add_logging_level_option_arguments(parser)
    return parser


def main(argv: Optional[list] = None) -> None:
    """Start the action server on loopback (``python -m actions.server``)."""
    args = _arguments().parse_args(argv)
    secrets = refuse_to_start(REQUIRED_SECRETS, "the action server")
    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    processes = utils.number_of_sanic_workers()  # ACTION_SERVER_SANIC_WORKERS
    problem = shared_state_problem(processes)
    if problem:
        print(f"the action server refuses to start: {problem}", file=sys.stderr)
        raise SystemExit(78)
    app = create_app(args.actions, secrets["SHOP_ACTION_TOKEN"], args.workers, processes)
    from rasa_sdk.plugin import plugin_manager

    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    logger.info(
        "Action server on http://%s:%s (%d process(es) x %d worker threads)",
        args.host,
        args.port,
        processes,
        args.workers,
    )
    # No access log: its request lines would carry the token.
    app.run(args.host, args.port, workers=processes, access_log=False)


if __name__ == "__main__":
    main()

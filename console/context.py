"""What the console's modules share: the app keys, the route record and request helpers.

``console.app`` builds the app and ``console.routes`` collects the handlers of the
``console.views`` modules; all of them import this module, and it imports none of them,
so no module imports the one that imports it (no cycle).
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.engine import Engine

from console.auth import Accounts, Session
from console.config import ConsoleSettings
from console.handoff import HandoffDesk
from console.ingest import Ingestor, IngestResult
from console.login_limits import LoginLimiter
from console.training import TrainingIndex

HERE = Path(__file__).resolve().parent
COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SETTINGS = web.AppKey("settings", ConsoleSettings)
CONSOLE_DB: web.AppKey[Engine] = web.AppKey("console_db", Engine)
TRACKER_DB: web.AppKey[Engine] = web.AppKey("tracker_db", Engine)
ACCOUNTS = web.AppKey("accounts", Accounts)
TRAINING = web.AppKey("training", TrainingIndex)
INGESTOR = web.AppKey("ingestor", Ingestor)
INGEST_LOCK = web.AppKey("ingest_lock", asyncio.Lock)
DESK = web.AppKey("desk", HandoffDesk)
LOGIN_LIMITER = web.AppKey("login_limiter", LoginLimiter)
INGEST_TASK = web.AppKey("ingest_task", asyncio.Task)
#: the Content-Security-Policy header of every response (``console.app.content_security_policy``)
CSP = web.AppKey("csp", str)


@dataclass(frozen=True)
class Route:
    """One URL: what serves it and the permission it needs (checked by ``console.app``)."""

    method: str
    path: str
    handler: Handler
    permission: str | None  # None: public; "session": any logged-in user
    name: str


async def run_ingest(app: web.Application) -> IngestResult:
    """One ingestion run; concurrent callers wait for the run in progress instead of racing it."""
    async with app[INGEST_LOCK]:
        return await asyncio.to_thread(app[INGESTOR].run)


def current(request: web.Request) -> Session:
    """The logged-in session (401 without one; routes that need none never call this)."""
    session = request.get("session")
    if session is None:
        raise web.HTTPUnauthorized()
    return session  # type: ignore[no-any-return]


def client_address(request: web.Request) -> str:
    """The client's address: the connection's, or with ``trusted_proxy_hops`` = N the N-th
    X-Forwarded-For entry from the right (the one our own proxy appended). A header that is
    absent, too short or not an address falls back to the connection's address."""
    remote = request.remote or ""
    hops = request.app[SETTINGS].trusted_proxy_hops
    if hops <= 0:
        return remote
    chain = [p.strip() for h in request.headers.getall("X-Forwarded-For", []) for p in h.split(",")]
    chain = [p for p in chain if p]
    if len(chain) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(chain[-hops]))
    except ValueError:
        return remote


def is_api(request: web.Request) -> bool:
    """JSON clients get status codes and JSON errors, never login redirects or HTML."""
    return request.path.startswith("/api/")


def new_login_csrf() -> str:
    """A fresh CSRF token for the login form (there is no session to hold one yet)."""
    return secrets.token_urlsafe(24)


def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    """A page with what every template needs: the user, the CSRF token, ``can()`` and the path."""
    session: Session | None = request.get("session")
    base = {
        "user": session.user if session else None,
        "csrf": session.csrf_token if session else "",
        "can": (lambda p: bool(session and session.user.can(p))),
        "path": request.path,
    }
    return aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)

"""The aiohttp application: the factory, the middlewares (security headers, permissions,
CSRF, audit) and the background ingestion timer. The routes are ``console.routes``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy.engine import Engine

from console import db, languages
from console.auth import Accounts, audit, csrf_ok
from console.config import ConsoleSettings, redacted
from console.context import (  # the shared keys and helpers; re-exported for callers of app
    ACCOUNTS,
    CONSOLE_DB,
    COOKIE,
    CSP,
    DESK,
    HERE,
    INGEST_LOCK,
    INGEST_TASK,
    INGESTOR,
    LOGIN_LIMITER,
    SETTINGS,
    TRACKER_DB,
    TRAINING,
    Handler,
    client_address,
    is_api,
    run_ingest,
)
from console.handoff import make_desk
from console.ingest import Ingestor
from console.login_limits import LoginLimiter
from console.routes import ROUTE_BY_NAME, ROUTES
from console.training import TrainingIndex
from shop.clock import format_datetime
from shop.db.session import make_engine
from shop.secrets import check as check_secret

logger = logging.getLogger(__name__)


async def _ingest_timer(app: web.Application) -> None:
    interval = app[SETTINGS].ingest_interval
    while True:
        try:
            await run_ingest(app)
        except Exception:  # noqa: BLE001 - keep the timer alive; the next run retries
            logger.exception("ingestion failed")
        await asyncio.sleep(interval)


async def _start_timer(app: web.Application) -> None:
    if app[SETTINGS].ingest_interval > 0:
        app[INGEST_TASK] = asyncio.create_task(_ingest_timer(app))


async def _stop(app: web.Application) -> None:
    task = app.get(INGEST_TASK)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    app[CONSOLE_DB].dispose()
    app[TRACKER_DB].dispose()
    app[DESK].shop_engine.dispose()


def content_security_policy(storefront_url: str) -> str:
    """Scripts, styles and forms from the console only; pictures also from the storefront
    (the product cards of a carousel show its ``/img/`` pictures)."""
    parts = urlsplit(storefront_url)
    storefront = (
        f" {parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
    )
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{storefront}; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CSP, nosniff, same-origin referrers and no caching on every response, errors too."""
    policy = request.app[CSP]
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _headers(exc, policy)
        raise
    _headers(response, policy)
    return response


def _headers(response: web.StreamResponse, policy: str) -> None:
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def access_control(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Session lookup, permission check, CSRF check on every POST, audit of every POST."""
    route = request.match_info.route
    spec = ROUTE_BY_NAME.get(route.name or "") if route is not None and route.name else None
    permission = spec.permission if spec is not None else "session"
    if request.path.startswith("/static/"):
        permission = None
    app = request.app
    token = request.cookies.get(COOKIE)
    session = await asyncio.to_thread(app[ACCOUNTS].session, token) if token else None
    request["session"] = session
    if permission is not None:
        if session is None:
            if is_api(request) or request.method != "GET":
                raise web.HTTPUnauthorized(text="login required")
            # raw_path: still percent-encoded, as ``safe_next`` expects a path on this site
            raise web.HTTPFound("/login?next=" + quote(request.raw_path, safe=""))
        if permission != "session" and not session.user.can(permission):
            await asyncio.to_thread(
                audit,
                app[CONSOLE_DB],
                session.user.username,
                spec.name if spec else "?",
                request.path,
                "denied",
                None,
                client_address(request),
            )
            raise web.HTTPForbidden(text="your role may not do this")
    if request.method == "POST":
        await _check_origin(request)
        if spec is None or spec.name != "login":
            form = await request.post()
            given = request.headers.get("X-CSRF-Token") or str(form.get("csrf_token", ""))
            if session is None or not csrf_ok(session.csrf_token, given):
                raise web.HTTPForbidden(text="missing or wrong CSRF token")
    if request.method != "POST" or spec is None or spec.name == "login":
        return await handler(request)
    outcome = "ok"
    try:
        response = await handler(request)
        outcome = "ok" if response.status < 400 else f"http {response.status}"
        return response
    except web.HTTPException as exc:
        outcome = "ok" if exc.status < 400 else f"http {exc.status}"
        raise
    except Exception:
        outcome = "error"
        raise
    finally:
        assert session is not None
        await asyncio.to_thread(
            audit,
            app[CONSOLE_DB],
            session.user.username,
            spec.name,
            "/".join(f"{k}={v}" for k, v in sorted(request.match_info.items())),
            outcome,
            request.get("audit_detail"),
            client_address(request),
        )


async def _check_origin(request: web.Request) -> None:
    """Browsers send Origin on POST; one from another site is refused outright."""
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(text="cross-site request refused")


def build_app(settings: ConsoleSettings, console_engine: Engine | None = None) -> web.Application:
    """The console app; schema is created or upgraded here (see ``console.db.ensure_schema``).

    Refuses (``shop.secrets.InsecureSecret``, naming CONSOLE_SECRET) to build without a usable
    ``settings.secret``.
    """
    check_secret("CONSOLE_SECRET", settings.secret)

    app = web.Application(middlewares=[security_headers, access_control], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[CONSOLE_DB] = console_engine or make_engine(settings.console_db_url)
    db.ensure_schema(app[CONSOLE_DB])
    app[TRACKER_DB] = make_engine(settings.tracker_url)
    app[ACCOUNTS] = Accounts(app[CONSOLE_DB], settings.session_hours, settings.secret)
    app[TRAINING] = TrainingIndex(settings.nlu_dir, settings.domain_file, exclude=settings.export_file)
    app[INGESTOR] = Ingestor(app[CONSOLE_DB], app[TRACKER_DB], app[TRAINING], languages=settings.languages)
    app[INGEST_LOCK] = asyncio.Lock()
    app[LOGIN_LIMITER] = LoginLimiter(app[CONSOLE_DB], settings.secret, settings.login_limits)
    app[DESK] = make_desk(settings, app[CONSOLE_DB])
    app[CSP] = content_security_policy(settings.storefront_url)
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html", "svg"], default=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["q"] = lambda s: quote(str(s), safe="")
    env.filters["pct"] = lambda v: "-" if v is None else f"{100 * v:.1f}%"
    env.filters["conf"] = lambda v: "-" if v is None else f"{v:.2f}"
    env.filters["when"] = _when
    env.filters["language"] = languages.label
    for spec in ROUTES:
        app.router.add_route(spec.method, spec.path, spec.handler, name=spec.name)
    app.router.add_static("/static/", HERE / "static", name="static")
    app.on_startup.append(_start_timer)  # type: ignore[arg-type]
    app.on_cleanup.append(_stop)  # type: ignore[arg-type]
    logger.info(
        "console db=%s tracker=%s rasa=%s",
        redacted(settings.console_db_url),
        redacted(settings.tracker_url),
        settings.rasa_url,
    )
    return app


def _when(value: Any) -> str:
    """A stored time as staff read it (``shop.clock``: UTC, whole seconds); "" for none."""
    return format_datetime(value) if value else ""

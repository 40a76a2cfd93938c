"""Signing in and out, the landing redirect, and the unauthenticated health and favicon."""

from __future__ import annotations

import asyncio
import math

from aiohttp import web

from console.auth import AuthError, audit, csrf_ok
from console.context import (
    ACCOUNTS,
    CONSOLE_DB,
    COOKIE,
    LOGIN_CSRF_COOKIE,
    LOGIN_LIMITER,
    SETTINGS,
    Route,
    client_address,
    current,
    new_login_csrf,
    render,
)
from console.views.common import form
from shop.urls import safe_next

__all__ = ["ROUTES"]


async def login_page(request: web.Request) -> web.Response:
    """The login form, with a CSRF token in a cookie scoped to /login."""
    if request.get("session") is not None:
        raise web.HTTPFound("/conversations")
    # Kept while the cookie lives: a second tab (or the browser's favicon request) must not
    # invalidate the form already shown.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": safe_next(request.query.get("next", ""), ""), "error": ""},
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/login")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Check the password under the login limits; a session cookie and back to ``next``."""
    posted = await form(request)
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), posted.get("csrf_token")):
        raise web.HTTPForbidden(text="missing or wrong CSRF token")
    username = posted.get("username", "").strip()[:100]
    address = client_address(request)
    limiter = request.app[LOGIN_LIMITER]
    engine = request.app[CONSOLE_DB]
    # Checked before the password, so a right password during a lock is refused too.
    wait = await asyncio.to_thread(limiter.retry_after, address, username)
    if wait:
        return _locked(request, posted, wait, "")
    try:
        token, session = await asyncio.to_thread(
            request.app[ACCOUNTS].login, username, posted.get("password", "")
        )
    except AuthError:
        locked = await asyncio.to_thread(limiter.failed, address, username)
        outcome = "locked" if locked else "failed"
        await asyncio.to_thread(audit, engine, username, "login", "", outcome, None, address)
        if locked:
            return _locked(request, posted, locked, "Wrong username or password. ")
        return _login_error(request, posted, "Wrong username or password.", 401)
    await asyncio.to_thread(limiter.succeeded, username)
    await asyncio.to_thread(audit, engine, username, "login", "", "ok", None, address)
    response = web.HTTPFound(safe_next(posted.get("next", ""), "/conversations"))
    settings = request.app[SETTINGS]
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=settings.cookie_secure,
        max_age=int(settings.session_hours * 3600),
        path="/",
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    raise response


def _locked(request: web.Request, posted: dict[str, str], seconds: int, prefix: str) -> web.Response:
    """429 with Retry-After, saying when to try again (same words for any username)."""
    minutes = max(1, math.ceil(seconds / 60))
    when = f"{minutes} minute{'s' if minutes != 1 else ''}"
    response = _login_error(request, posted, f"{prefix}Too many failed attempts: try again in {when}.", 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _login_error(request: web.Request, posted: dict[str, str], message: str, status: int) -> web.Response:
    token = new_login_csrf()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": safe_next(posted.get("next", ""), ""), "error": message},
        status=status,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/login")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session on the server and drop its cookie."""
    await asyncio.to_thread(request.app[ACCOUNTS].logout, request.cookies.get(COOKIE))
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def index(request: web.Request) -> web.StreamResponse:
    """The landing page: the conversation list for those who may read it."""
    user = current(request).user
    raise web.HTTPFound("/conversations" if user.can("conversations.view") else "/login")


async def health(request: web.Request) -> web.Response:
    """For process supervisors and the tests' start-up wait; says nothing else."""
    return web.json_response({"status": "ok"})


async def favicon(request: web.Request) -> web.Response:
    """No icon, and no login redirect for the browser's automatic request."""
    return web.Response(status=204)


ROUTES: list[Route] = [
    Route("GET", "/health", health, None, "health"),
    Route("GET", "/favicon.ico", favicon, None, "favicon"),
    Route("GET", "/login", login_page, None, "login_page"),
    Route("POST", "/login", login, None, "login"),
    Route("POST", "/logout", logout, "session", "logout"),
    Route("GET", "/", index, "session", "index"),
]

"""Browser sessions: an opaque id cookie, a signed cookie for the signed-in customer, CSRF.

* ``shop_sid``: a random id (the anonymous cart's key, and what CSRF tokens are bound to).
* ``shop_customer``: a :mod:`shop.signed_identity` token signed with ``SHOP_COOKIE_SECRET``
  (audience ``cookie``), so the server keeps no session table. It is a different key (and
  audience) from the chat identity tokens signed with ``SHOP_IDENTITY_SECRET``: neither kind of
  token is accepted as the other.
* CSRF: every state-changing request carries ``csrf_token`` =
  ``HMAC-SHA256(SHOP_COOKIE_SECRET, "csrf:" + shop_sid)``; :func:`csrf_middleware` answers
  anything else with a 403 page before the view runs.

All cookies are ``HttpOnly`` and ``SameSite=Lax``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web

from shop import signed_identity
from web.keys import CONFIG

__all__ = [
    "SID_COOKIE",
    "CUSTOMER_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "COOKIE_AUDIENCE",
    "CHAT_AUDIENCE",
    "session_middleware",
    "csrf_middleware",
    "csrf_token",
    "sign_cookie",
    "verify_cookie",
    "sign_chat",
    "signed_in_customer",
    "set_signed_in",
]

log = logging.getLogger(__name__)

SID_COOKIE = "shop_sid"
CUSTOMER_COOKIE = "shop_customer"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SIGNED_IN_TTL_S = 7 * 24 * 3600
SID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE_AUDIENCE = signed_identity.COOKIE
CHAT_AUDIENCE = signed_identity.CHAT

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sign_cookie(customer_id: int, secret: str, ttl_s: int = SIGNED_IN_TTL_S) -> str:
    """The ``shop_customer`` cookie value: customer ``customer_id``, audience ``cookie``."""
    return signed_identity.sign(customer_id, secret, ttl_s=ttl_s, audience=COOKIE_AUDIENCE)


def verify_cookie(token: object, secret: str) -> int | None:
    """The customer id of a valid ``shop_customer`` cookie token, else None."""
    return signed_identity.verify(token, secret, audience=COOKIE_AUDIENCE)


def sign_chat(customer_id: int, secret: str, ttl_s: int) -> str:
    """The chat identity token for the widget (audience ``chat``, checked by the action server)."""
    return signed_identity.sign(customer_id, secret, ttl_s=ttl_s, audience=CHAT_AUDIENCE)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every browser a session id cookie on its first visit."""
    sid = request.cookies.get(SID_COOKIE, "")
    fresh = not SID_PATTERN.match(sid)
    if fresh:
        sid = secrets.token_urlsafe(18)
    request["sid"] = sid
    request["sid_fresh"] = fresh
    try:
        response = await handler(request)
    except web.HTTPException as error:
        # Redirects and error pages raised by a view still hand out the session cookie.
        if fresh:
            _set_sid(request, error, sid)
        raise
    if fresh:
        _set_sid(request, response, sid)
    return response


def csrf_token(request: web.Request) -> str:
    """This browser session's CSRF token (the same on every page of the session)."""
    key = request.app[CONFIG].cookie_secret.encode("utf-8")
    mac = hmac.new(key, f"csrf:{request['sid']}".encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


async def _sent_token(request: web.Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()  # cached: the view's request.post() reads the same form
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a state-changing request whose CSRF token is missing or not this session's."""
    if request.method in SAFE_METHODS or request.match_info.http_exception is not None:
        return await handler(request)  # reads, and 404/405 for unknown routes, need no token
    sent = "" if request["sid_fresh"] else await _sent_token(request)
    if not sent or not hmac.compare_digest(sent.encode("utf-8", "replace"), csrf_token(request).encode()):
        log.warning("event=csrf_refused path=%s", request.path)
        return csrf_refused(request)
    return await handler(request)


def csrf_refused(request: web.Request) -> web.Response:
    """The 403 page for a form that did not come from this session: nothing was changed."""
    response = aiohttp_jinja2.render_template(
        "refused.html",
        request,
        {
            "title": "This form has expired",
            "message": "The form you sent did not come from this page of the shop, or your session "
            "changed since it was shown. Nothing was changed. Go back, reload the page and try again.",
        },
        status=403,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _set_sid(request: web.Request, response: web.StreamResponse, sid: str) -> None:
    secure = request.app[CONFIG].secure_cookies
    response.set_cookie(SID_COOKIE, sid, httponly=True, samesite="Lax", secure=secure, path="/")


def signed_in_customer(request: web.Request) -> int | None:
    """The customer id a valid ``shop_customer`` cookie names (not yet checked to exist)."""
    raw = request.cookies.get(CUSTOMER_COOKIE)
    if raw is None:
        return None
    return verify_cookie(raw, request.app[CONFIG].cookie_secret)


def set_signed_in(request: web.Request, response: web.StreamResponse, customer_id: int | None) -> None:
    """Sign ``response``'s browser in as ``customer_id`` (a signed cookie), or out for None."""
    config = request.app[CONFIG]
    if customer_id is None:
        response.del_cookie(CUSTOMER_COOKIE, path="/")
        return
    response.set_cookie(
        CUSTOMER_COOKIE,
        sign_cookie(customer_id, config.cookie_secret),
        httponly=True,
        samesite="Lax",
        secure=config.secure_cookies,
        path="/",
        max_age=SIGNED_IN_TTL_S,
    )

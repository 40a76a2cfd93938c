"""Browser sessions: an opaque id cookie, and a signed cookie for the signed-in customer.

The signed-in customer is carried as a :mod:`shop.signed_identity` token, so the server
keeps no session table; the cart itself lives in the database, keyed by either.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from shop.signed_identity import sign, verify
from web.keys import CONFIG

SID_COOKIE = "shop_sid"
CUSTOMER_COOKIE = "shop_customer"
SIGNED_IN_TTL_S = 7 * 24 * 3600
SID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every browser a session id cookie on its first visit."""
    sid = request.cookies.get(SID_COOKIE, "")
    fresh = not SID_PATTERN.match(sid)
    if fresh:
        sid = secrets.token_urlsafe(18)
    request["sid"] = sid
    response = await handler(request)
    if fresh:
        _set_sid(request, response, sid)
    return response


def _set_sid(request: web.Request, response: web.StreamResponse, sid: str) -> None:
    secure = request.app[CONFIG].secure_cookies
    response.set_cookie(SID_COOKIE, sid, httponly=True, samesite="Lax", secure=secure, path="/")


def signed_in_customer(request: web.Request) -> int | None:
    return verify(request.cookies.get(CUSTOMER_COOKIE), request.app[CONFIG].identity_secret)


def set_signed_in(request: web.Request, response: web.StreamResponse, customer_id: int | None) -> None:
    config = request.app[CONFIG]
    if customer_id is None:
        response.del_cookie(CUSTOMER_COOKIE, path="/")
        return
    token = sign(customer_id, config.identity_secret, ttl_s=SIGNED_IN_TTL_S)
    response.set_cookie(
        CUSTOMER_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=config.secure_cookies,
        path="/",
        max_age=SIGNED_IN_TTL_S,
    )

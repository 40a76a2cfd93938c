"""Request helpers the console's view modules share: form and path values made safe, error
responses, masking, redirects back, and the audited transcript read."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

from aiohttp import web

from console import conversations
from console.auth import audit
from console.context import CONSOLE_DB, SETTINGS, TRACKER_DB, client_address, current, is_api, render
from console.inputs import clean, row_id
from shop.urls import safe_next

__all__ = [
    "SENDER_MAX_CHARS",
    "bad",
    "conversation_url",
    "dumps",
    "form",
    "masked",
    "path_id",
    "path_sender",
    "read_transcript",
    "redirect_back",
]

#: the longest sender id the tracker store holds (Rasa's events.sender_id is VARCHAR(255))
SENDER_MAX_CHARS = 255


async def form(request: web.Request) -> dict[str, str]:
    """The posted form as text a database accepts (no NUL, no lone surrogates)."""
    data = await request.post()
    return {clean(k): clean(str(v)) for k, v in data.items()}


def path_id(request: web.Request, name: str) -> int:
    """The numeric id in the URL; 404 when it cannot be a row's (too large)."""
    value = row_id(request.match_info[name])
    if value is None:
        raise web.HTTPNotFound(text="no such item")
    return value


def path_sender(request: web.Request) -> str:
    """The sender id in the URL; 404 when no conversation can have it."""
    raw = request.match_info["sender_id"]
    if len(raw) > SENDER_MAX_CHARS or clean(raw) != raw:
        raise web.HTTPNotFound(text="No such conversation.")
    return raw


def bad(request: web.Request, message: str, status: int = 400) -> web.Response:
    """A refusal the client can read: JSON for the API, the error page for a browser."""
    if is_api(request):
        return web.json_response({"error": message}, status=status)
    return render(request, "error.html", {"message": message}, status=status)


def masked(request: web.Request) -> bool:
    """Whether this user sees emails masked (every role without ``emails.clear``)."""
    return not current(request).user.can("emails.clear")


def dumps(obj: Any) -> str:
    """JSON for API responses; dates and other values become their text."""
    return json.dumps(obj, default=str)


def conversation_url(sender: str) -> str:
    """The transcript page of a conversation."""
    return "/conversations/" + quote(sender, safe="")


async def redirect_back(request: web.Request, default: str) -> web.StreamResponse:
    """Back to the form's ``next`` if it is a path on this site, else to ``default``."""
    posted = await form(request)
    raise web.HTTPFound(safe_next(posted.get("next", ""), default))


async def read_transcript(
    request: web.Request, sender: str, after: int = 0, **audit_detail: Any
) -> list[dict[str, Any]]:
    """The transcript as this role may see it; every read that returns events is audited
    (``conversation.view``: who, when, which conversation, from where, and how)."""
    items = await asyncio.to_thread(
        conversations.transcript,
        request.app[TRACKER_DB],
        sender,
        masked(request),
        after,
        request.app[SETTINGS].storefront_url,
    )
    if items or not after:
        detail = {**audit_detail, "events": len(items)}
        if after:
            detail["after"] = after
        await asyncio.to_thread(
            audit,
            request.app[CONSOLE_DB],
            current(request).user.username,
            "conversation.view",
            sender,
            "ok",
            detail,
            client_address(request),
        )
    return items

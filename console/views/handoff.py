"""The agents' handoff queue and chat: take a conversation, reply, hand it back to the bot."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from aiohttp import web

from console import conversations
from console.context import CONSOLE_DB, DESK, Route, current, render
from console.handoff import NotYours, QueueEntry
from console.privacy import mask_text
from console.rasa_client import RasaUnavailable
from console.views.common import bad, dumps, form, masked, path_id, read_transcript
from shop.handoff import HandoffNotFound

__all__ = ["REPLY_MAX_CHARS", "ROUTES"]

REPLY_MAX_CHARS = 2000

#: what the desk raises when a request cannot be worked on (see :func:`_refused`)
DESK_ERRORS = (HandoffNotFound, NotYours, RasaUnavailable)


def _refused(request: web.Request, exc: Exception, undelivered: str) -> web.Response:
    """404 for no such request, 409 for someone else's, 502 (``undelivered``) when Rasa is down."""
    if isinstance(exc, HandoffNotFound):
        return bad(request, "No such handoff request.", 404)
    if isinstance(exc, NotYours):
        return bad(request, str(exc), 409)
    return bad(request, f"{undelivered}: {exc}", 502)


def _entry(e: QueueEntry, mask: bool) -> dict[str, Any]:
    d = asdict(e)
    if mask:
        d["reason"] = mask_text(d["reason"])
    return d


def _chat_url(request_id: int) -> str:
    return f"/handoff/{request_id}"


async def handoff_page(request: web.Request) -> web.Response:
    """The queue: taken requests, open ones oldest first, chats that kept falling back."""
    entries = await asyncio.to_thread(request.app[DESK].queue)
    mask = masked(request)
    return render(request, "handoff.html", {"entries": [_entry(e, mask) for e in entries]})


async def api_handoff(request: web.Request) -> web.Response:
    """The queue as JSON."""
    entries = await asyncio.to_thread(request.app[DESK].queue)
    mask = masked(request)
    return web.json_response({"queue": [_entry(e, mask) for e in entries]}, dumps=dumps)


async def handoff_chat(request: web.Request) -> web.Response:
    """One request's chat: the live transcript, the reply box, hand back."""
    request_id = path_id(request, "request_id")
    try:
        info = await asyncio.to_thread(request.app[DESK].request, request_id)
    except HandoffNotFound:
        return bad(request, "No such handoff request.", 404)
    items = await read_transcript(request, info.sender_id, via="handoff", request_id=request_id)
    reason = mask_text(info.reason) if masked(request) else info.reason
    language = await asyncio.to_thread(request.app[DESK].language_of, info.sender_id)
    context = {"h": info, "reason": reason, "items": items, "language": language}
    return render(request, "handoff_chat.html", context)


async def handoff_take(request: web.Request) -> web.StreamResponse:
    """Take a request: the bot pauses and the shopper is told who joined."""
    user = current(request).user
    request_id = path_id(request, "request_id")
    try:
        await request.app[DESK].take(request_id, user.username, user.display_name)
    except DESK_ERRORS as exc:
        return _refused(request, exc, "Taken, but the shopper could not be told")
    raise web.HTTPFound(_chat_url(request_id))


async def handoff_take_fallback(request: web.Request) -> web.StreamResponse:
    """Take a conversation that kept falling back (a request is opened for it first)."""
    user = current(request).user
    posted = await form(request)
    sender = posted.get("sender_id", "")
    request["audit_detail"] = {"sender_id": sender}
    engine = request.app[CONSOLE_DB]
    try:
        summary = await asyncio.to_thread(conversations.get_summary, engine, sender)
        desk = request.app[DESK]
        info = await desk.take_fallback(sender, summary["channel"], user.username, user.display_name)
    except conversations.NotFound:
        return bad(request, "No such conversation.", 404)
    except DESK_ERRORS as exc:
        return _refused(request, exc, "The shopper could not be told")
    raise web.HTTPFound(_chat_url(info.id))


async def handoff_reply(request: web.Request) -> web.StreamResponse:
    """Send the agent's reply to the shopper (JSON for the chat page's script)."""
    user = current(request).user
    request_id = path_id(request, "request_id")
    posted = await form(request)
    text = " ".join(posted.get("text", "").split("\x00")).strip()
    if not text or len(text) > REPLY_MAX_CHARS:
        return bad(request, f"A reply is 1-{REPLY_MAX_CHARS} characters.")
    request["audit_detail"] = {"chars": len(text)}
    try:
        await request.app[DESK].reply(
            request_id, user.username, user.display_name, text, user.role == "admin"
        )
    except DESK_ERRORS as exc:
        return _refused(request, exc, "Not delivered")
    if request.headers.get("X-CSRF-Token"):
        return web.json_response({"sent": True})
    raise web.HTTPFound(_chat_url(request_id))


async def handoff_release(request: web.Request) -> web.StreamResponse:
    """Hand the conversation back to the bot and close the request."""
    user = current(request).user
    request_id = path_id(request, "request_id")
    try:
        await request.app[DESK].release(request_id, user.username, user.display_name, user.role == "admin")
    except DESK_ERRORS as exc:
        return _refused(request, exc, "Not handed back")
    raise web.HTTPFound("/handoff")


REQUEST = "/handoff/{request_id:\\d+}"

ROUTES: list[Route] = [
    Route("GET", "/handoff", handoff_page, "handoff.work", "handoff"),
    Route("GET", REQUEST, handoff_chat, "handoff.work", "handoff.chat"),
    Route("POST", f"{REQUEST}/take", handoff_take, "handoff.work", "handoff.take"),
    Route("POST", "/handoff/fallback/take", handoff_take_fallback, "handoff.work", "handoff.take_fallback"),
    Route("POST", f"{REQUEST}/reply", handoff_reply, "handoff.work", "handoff.reply"),
    Route("POST", f"{REQUEST}/release", handoff_release, "handoff.work", "handoff.release"),
    Route("GET", "/api/handoff", api_handoff, "handoff.work", "api.handoff"),
]

"""The conversation list and a transcript, with review status, tags, flags and saved filters."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from aiohttp import web

from console import conversations
from console.context import CONSOLE_DB, SETTINGS, Route, current, render
from console.inputs import number, row_id
from console.privacy import mask_value
from console.views.common import (
    bad,
    conversation_url,
    dumps,
    form,
    masked,
    path_id,
    path_sender,
    read_transcript,
    redirect_back,
)

__all__ = ["ROUTES", "S"]

#: the sender id part of a conversation's URL
S = r"{sender_id:[^/]+}"


async def _list(request: web.Request) -> tuple[conversations.ConversationFilter, list[dict[str, Any]], bool]:
    flt = conversations.ConversationFilter.from_query(request.query)
    settings = request.app[SETTINGS]
    rows, more = await asyncio.to_thread(
        conversations.list_conversations, request.app[CONSOLE_DB], flt, settings.page_size, masked(request)
    )
    if masked(request):
        for row in rows:
            row["slots"] = mask_value(row["slots"])
    return flt, rows, more


async def conversations_page(request: web.Request) -> web.Response:
    """The filtered list, with the values each filter can take and the user's saved filters."""
    flt, rows, more = await _list(request)
    engine = request.app[CONSOLE_DB]

    def options() -> dict[str, Any]:
        return {
            "intents": conversations.facet_values(engine, "intent"),
            "actions": conversations.facet_values(engine, "action"),
            "entities": conversations.facet_values(engine, "entity"),
            "channels": conversations.channels(engine),
            "languages": conversations.languages(engine, request.app[SETTINGS].languages),
            "tags": conversations.all_tags(engine),
            "saved": conversations.saved_filters_for(engine, current(request).user.id),
        }

    return render(
        request,
        "conversations.html",
        {
            "flt": flt,
            "flt_fields": {k: v for k, v in asdict(flt).items() if v and k != "page"},
            "rows": rows,
            "more": more,
            **await asyncio.to_thread(options),
        },
    )


async def api_conversations(request: web.Request) -> web.Response:
    """The same list as JSON, a page at a time."""
    flt, rows, more = await _list(request)
    return web.json_response(
        {"filter": asdict(flt), "conversations": rows, "next_page": flt.page + 1 if more else None},
        dumps=dumps,
    )


async def transcript_page(request: web.Request) -> web.Response:
    """One conversation: its summary, tools to annotate it, and every event."""
    sender = path_sender(request)
    engine = request.app[CONSOLE_DB]
    try:
        summary = await asyncio.to_thread(conversations.get_summary, engine, sender)
    except conversations.NotFound:
        return bad(request, "No such conversation.", 404)
    items = await read_transcript(request, sender, via="page")
    if masked(request):
        summary["slots"] = mask_value(summary["slots"])
    return render(request, "transcript.html", {"c": summary, "items": items, "sender": sender})


async def api_events(request: web.Request) -> web.Response:
    """Events after ``?after=<id>``: what the live handoff chat polls."""
    sender = path_sender(request)
    after = number(request.query.get("after", "0"), 0, 0, 2**63 - 1)
    items = await read_transcript(request, sender, after, via="api")
    return web.json_response({"events": items})


async def review_post(request: web.Request) -> web.StreamResponse:
    """Mark the conversation unread, reviewed or saved for later."""
    sender = path_sender(request)
    posted = await form(request)
    status = posted.get("status", "")
    request["audit_detail"] = {"status": status}
    try:
        await asyncio.to_thread(conversations.set_review, request.app[CONSOLE_DB], sender, status)
    except ValueError:
        return bad(request, "Unknown review status.")
    except conversations.NotFound:
        return bad(request, "No such conversation.", 404)
    return await redirect_back(request, conversation_url(sender))


async def tag_add(request: web.Request) -> web.StreamResponse:
    """Tag the conversation (tags are filters in the list)."""
    sender = path_sender(request)
    posted = await form(request)
    try:
        tag = conversations.clean_tag(posted.get("tag", ""))
        request["audit_detail"] = {"tag": tag}
        await asyncio.to_thread(
            conversations.add_tag, request.app[CONSOLE_DB], sender, tag, current(request).user.username
        )
    except conversations.NotFound:
        return bad(request, "No such conversation.", 404)
    except ValueError as exc:
        return bad(request, str(exc))
    return await redirect_back(request, conversation_url(sender))


async def tag_remove(request: web.Request) -> web.StreamResponse:
    """Remove a tag from the conversation."""
    sender = path_sender(request)
    posted = await form(request)
    request["audit_detail"] = {"tag": posted.get("tag", "")[:60]}
    await asyncio.to_thread(conversations.remove_tag, request.app[CONSOLE_DB], sender, posted.get("tag", ""))
    return await redirect_back(request, conversation_url(sender))


async def flag_post(request: web.Request) -> web.StreamResponse:
    """Flag one message with a note, or unflag it."""
    sender = path_sender(request)
    posted = await form(request)
    event_id = row_id(posted.get("event_id", ""))
    if event_id is None:
        return bad(request, "Which message?")
    flagged = await asyncio.to_thread(
        conversations.toggle_flag,
        request.app[CONSOLE_DB],
        sender,
        event_id,
        posted.get("note", ""),
        current(request).user.username,
    )
    request["audit_detail"] = {"event_id": event_id, "flagged": flagged}
    return await redirect_back(request, conversation_url(sender))


async def filter_save(request: web.Request) -> web.StreamResponse:
    """Save the current filters under a name, for this user."""
    posted = await form(request)
    flt = conversations.ConversationFilter.from_query(posted)
    try:
        await asyncio.to_thread(
            conversations.save_filter,
            request.app[CONSOLE_DB],
            current(request).user.id,
            posted.get("name", ""),
            flt,
        )
    except ValueError as exc:
        return bad(request, str(exc))
    raise web.HTTPFound("/conversations?" + flt.query_string())


async def filter_delete(request: web.Request) -> web.StreamResponse:
    """Delete one of this user's saved filters (another user's is left alone)."""
    await asyncio.to_thread(
        conversations.delete_filter,
        request.app[CONSOLE_DB],
        current(request).user.id,
        path_id(request, "filter_id"),
    )
    raise web.HTTPFound("/conversations")


ROUTES: list[Route] = [
    Route("GET", "/conversations", conversations_page, "conversations.view", "conversations"),
    Route("GET", f"/conversations/{S}", transcript_page, "conversations.view", "transcript"),
    Route("POST", f"/conversations/{S}/review", review_post, "conversations.annotate", "conversation.review"),
    Route("POST", f"/conversations/{S}/tags", tag_add, "conversations.annotate", "conversation.tag"),
    Route(
        "POST", f"/conversations/{S}/tags/delete", tag_remove, "conversations.annotate", "conversation.untag"
    ),
    Route("POST", f"/conversations/{S}/flag", flag_post, "conversations.annotate", "conversation.flag"),
    Route("POST", "/filters", filter_save, "conversations.view", "filter.save"),
    Route("POST", "/filters/{filter_id:\\d+}/delete", filter_delete, "conversations.view", "filter.delete"),
    Route("GET", "/api/conversations", api_conversations, "conversations.view", "api.conversations"),
    Route("GET", f"/api/conversations/{S}/events", api_events, "conversations.view", "api.events"),
]

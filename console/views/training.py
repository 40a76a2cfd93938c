"""Turning reviewed conversations into training data: the NLU export and test stories."""

from __future__ import annotations

import asyncio

from aiohttp import web

from console import conversations, nlu, stories
from console.context import CONSOLE_DB, SETTINGS, TRACKER_DB, TRAINING, Route, current, is_api, render
from console.views.common import bad, conversation_url, path_sender
from console.views.conversations import S

__all__ = ["ROUTES"]


async def nlu_export(request: web.Request) -> web.StreamResponse:
    """Write the approved inbox examples to the export file (never into data/nlu itself)."""
    app = request.app
    path = app[SETTINGS].export_file
    training = await asyncio.to_thread(app[TRAINING].get)
    n = await asyncio.to_thread(nlu.export, app[CONSOLE_DB], path, training, current(request).user.username)
    request["audit_detail"] = {"examples": n, "path": str(path)}
    if is_api(request):
        return web.json_response({"examples": n, "path": str(path)})
    return render(request, "done.html", {"message": f"Exported {n} examples to {path}", "back": "/nlu"})


async def story_post(request: web.Request) -> web.StreamResponse:
    """Save the conversation as a test story (emails pseudonymised, approved labels applied)."""
    sender = path_sender(request)
    app = request.app
    settings = app[SETTINGS]

    def save() -> str:
        training = app[TRAINING].get()
        labels = nlu.approved_labels(app[CONSOLE_DB])
        path = stories.save_story(app[TRACKER_DB], sender, settings.stories_dir, training, labels)
        return str(path)

    try:
        path = await asyncio.to_thread(save)
    except conversations.NotFound:
        return bad(request, "No such conversation.", 404)
    except stories.StoryError as exc:
        return bad(request, str(exc))
    request["audit_detail"] = {"path": path}
    message = f"Saved as test story {path}"
    return render(request, "done.html", {"message": message, "back": conversation_url(sender)})


ROUTES: list[Route] = [
    Route("POST", f"/conversations/{S}/story", story_post, "stories.save", "conversation.story"),
    Route("POST", "/nlu/export", nlu_export, "nlu.export", "nlu.export"),
    Route("POST", "/api/nlu/export", nlu_export, "nlu.export", "api.nlu.export"),
]

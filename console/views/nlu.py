"""The NLU inbox: user messages not in the training data, to confirm, correct, annotate or dismiss."""

from __future__ import annotations

import asyncio

from aiohttp import web

from console import nlu
from console.context import CONSOLE_DB, SETTINGS, TRAINING, Handler, Route, current, render
from console.inputs import number
from console.languages import ENTITY, code_or_blank
from console.privacy import mask_text, mask_value
from console.views.common import bad, form, masked, path_id, redirect_back

__all__ = ["ROUTES"]


async def nlu_page(request: web.Request) -> web.Response:
    """One page of the inbox in one status, with the intents and entities to choose from."""
    status = request.query.get("status", "new")
    page = request.query.get("page", "1")
    engine = request.app[CONSOLE_DB]
    page_no = number(page, 1, 1, 100_000)
    language = code_or_blank(request.query.get("language", ""))
    rows, more = await asyncio.to_thread(nlu.list_inbox, engine, status, page_no, language=language)
    counts = await asyncio.to_thread(nlu.counts, engine)
    training = await asyncio.to_thread(request.app[TRAINING].get)
    if masked(request):
        for row in rows:
            row["text"] = mask_text(row["text"])
            row["entities"] = mask_value(row["entities"])
    return render(
        request,
        "nlu.html",
        {
            "rows": rows,
            "more": more,
            "status": status if status in nlu.STATUSES else "new",
            "page": page_no,
            "counts": counts,
            "intents": training.intents,
            # the NLU's language entity is the message's language, never a span to mark
            "entities": [e for e in training.entities if e != ENTITY],
            "language": language,
            "languages": request.app[SETTINGS].languages,
            "export_file": str(request.app[SETTINGS].export_file),
        },
    )


async def _review(request: web.Request, action: str) -> web.StreamResponse:
    item_id = path_id(request, "item_id")
    posted = await form(request)
    engine = request.app[CONSOLE_DB]
    user = current(request).user.username
    request["audit_detail"] = {k: posted[k][:100] for k in ("intent", "entity") if k in posted}
    training = await asyncio.to_thread(request.app[TRAINING].get)
    try:
        if action == "confirm":
            await asyncio.to_thread(nlu.confirm, engine, item_id, user, training)
        elif action == "correct":
            await asyncio.to_thread(nlu.correct, engine, item_id, posted.get("intent", ""), user, training)
        elif action == "dismiss":
            await asyncio.to_thread(nlu.dismiss, engine, item_id, user)
        elif action == "entity":
            fragment, entity = posted.get("fragment", ""), posted.get("entity", "")
            await asyncio.to_thread(nlu.add_entity, engine, item_id, fragment, entity, user, training)
        elif action == "clear":
            await asyncio.to_thread(nlu.clear_entities, engine, item_id, user)
    except nlu.InboxNotFound:
        return bad(request, "No such message.", 404)
    except nlu.InboxError as exc:
        return bad(request, str(exc))
    return await redirect_back(request, "/nlu")


def _reviewer(action: str) -> Handler:
    """The handler of one review action (confirm, correct, dismiss, entity, clear)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await _review(request, action)

    handler.__name__ = handler.__qualname__ = f"nlu_{action}"
    return handler


ITEM = "/nlu/{item_id:\\d+}"

ROUTES: list[Route] = [
    Route("GET", "/nlu", nlu_page, "nlu.review", "nlu"),
    Route("POST", f"{ITEM}/confirm", _reviewer("confirm"), "nlu.review", "nlu.confirm"),
    Route("POST", f"{ITEM}/correct", _reviewer("correct"), "nlu.review", "nlu.correct"),
    Route("POST", f"{ITEM}/dismiss", _reviewer("dismiss"), "nlu.review", "nlu.dismiss"),
    Route("POST", f"{ITEM}/entity", _reviewer("entity"), "nlu.review", "nlu.entity"),
    Route("POST", f"{ITEM}/entities/clear", _reviewer("clear"), "nlu.review", "nlu.entities_clear"),
]

"""Request handlers. Each is small: read the request, call one service in a thread, render."""

from __future__ import annotations

import asyncio
import math
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.engine import Engine

from console import analytics, conversations, db, nlu, stories
from console.auth import ROLES, AuthError, UserExists, audit, csrf_ok
from console.config import ConsoleSettings
from console.context import (
    ACCOUNTS,
    CONSOLE_DB,
    COOKIE,
    DESK,
    LOGIN_CSRF_COOKIE,
    LOGIN_LIMITER,
    SETTINGS,
    TRACKER_DB,
    TRAINING,
    Route,
    client_address,
    current,
    new_login_csrf,
    render,
    run_ingest,
)
from console.handoff import HandoffDesk, NotYours
from console.inputs import clean, number, row_id, safe_next
from console.privacy import mask_text, mask_value
from console.rasa_client import RasaClient, RasaUnavailable
from shop.handoff import HandoffNotFound, HandoffService

REPLY_MAX_CHARS = 2000


def make_desk(settings: ConsoleSettings, console_engine: Engine) -> HandoffDesk:
    from shop.db.session import make_engine, make_sessionmaker

    shop_engine = make_engine(settings.shop_db_url)
    return HandoffDesk(
        HandoffService(make_sessionmaker(shop_engine)),
        shop_engine,
        console_engine,
        RasaClient(settings.rasa_url, settings.rasa_token),
        settings.fallback_queue_threshold,
    )


def desk(request: web.Request) -> HandoffDesk:
    value = request.app[DESK]
    assert isinstance(value, HandoffDesk)
    return value


def masked(request: web.Request) -> bool:
    return not current(request).user.can("emails.clear")


_safe_next = safe_next

#: the longest sender id the tracker store holds (Rasa's events.sender_id is VARCHAR(255))
SENDER_MAX_CHARS = 255


async def _form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {clean(k): clean(str(v)) for k, v in data.items()}


def _id(request: web.Request, name: str) -> int:
    """The numeric id in the URL; 404 when it cannot be a row's (too large)."""
    value = row_id(request.match_info[name])
    if value is None:
        raise web.HTTPNotFound(text="no such item")
    return value


def _sender(request: web.Request) -> str:
    """The sender id in the URL; 404 when no conversation can have it."""
    raw = request.match_info["sender_id"]
    if len(raw) > SENDER_MAX_CHARS or clean(raw) != raw:
        raise web.HTTPNotFound(text="No such conversation.")
    return raw


def _bad(request: web.Request, message: str, status: int = 400) -> web.Response:
    if request.path.startswith("/api/"):
        return web.json_response({"error": message}, status=status)
    return render(request, "error.html", {"message": message}, status=status)


# --- login ---------------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    if request.get("session") is not None:
        raise web.HTTPFound("/conversations")
    # Kept while the cookie lives: a second tab (or the browser's favicon request) must not
    # invalidate the form already shown.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": _safe_next(request.query.get("next", ""), ""), "error": ""},
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/login")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf_token")):
        raise web.HTTPForbidden(text="missing or wrong CSRF token")
    username = form.get("username", "").strip()[:100]
    address = client_address(request)
    limiter = request.app[LOGIN_LIMITER]
    engine = request.app[CONSOLE_DB]
    # Checked before the password, so a right password during a lock is refused too.
    wait = await asyncio.to_thread(limiter.retry_after, address, username)
    if wait:
        return _locked(request, form, wait, "")
    try:
        token, session = await asyncio.to_thread(
            request.app[ACCOUNTS].login, username, form.get("password", "")
        )
    except AuthError:
        locked = await asyncio.to_thread(limiter.failed, address, username)
        outcome = "locked" if locked else "failed"
        await asyncio.to_thread(audit, engine, username, "login", "", outcome, None, address)
        if locked:
            return _locked(request, form, locked, "Wrong username or password. ")
        return _login_error(request, form, "Wrong username or password.", 401)
    await asyncio.to_thread(limiter.succeeded, username)
    await asyncio.to_thread(audit, engine, username, "login", "", "ok", None, address)
    response = web.HTTPFound(_safe_next(form.get("next", ""), "/conversations"))
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


def _locked(request: web.Request, form: dict[str, str], seconds: int, prefix: str) -> web.Response:
    """429 with Retry-After, saying when to try again (same words for any username)."""
    minutes = max(1, math.ceil(seconds / 60))
    when = f"{minutes} minute{'s' if minutes != 1 else ''}"
    response = _login_error(request, form, f"{prefix}Too many failed attempts: try again in {when}.", 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _login_error(request: web.Request, form: dict[str, str], message: str, status: int) -> web.Response:
    token = new_login_csrf()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": _safe_next(form.get("next", ""), ""), "error": message},
        status=status,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/login")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    await asyncio.to_thread(request.app[ACCOUNTS].logout, request.cookies.get(COOKIE))
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def index(request: web.Request) -> web.StreamResponse:
    user = current(request).user
    raise web.HTTPFound("/conversations" if user.can("conversations.view") else "/login")


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


# --- conversations ---------------------------------------------------------------------------


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
    flt, rows, more = await _list(request)
    engine = request.app[CONSOLE_DB]

    def options() -> dict[str, Any]:
        return {
            "intents": conversations.facet_values(engine, "intent"),
            "actions": conversations.facet_values(engine, "action"),
            "entities": conversations.facet_values(engine, "entity"),
            "channels": conversations.channels(engine),
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
    flt, rows, more = await _list(request)
    return web.json_response(
        {"filter": asdict(flt), "conversations": rows, "next_page": flt.page + 1 if more else None},
        dumps=_dumps,
    )


def _dumps(obj: Any) -> str:
    import json

    return json.dumps(obj, default=str)


async def _transcript(
    request: web.Request, sender: str, after: int = 0, **audit_detail: Any
) -> list[dict[str, Any]]:
    """The transcript as this role may see it; every read that returns events is audited
    (``conversation.view``: who, when, which conversation, from where, and how)."""
    items = await asyncio.to_thread(
        conversations.transcript, request.app[TRACKER_DB], sender, masked(request), after
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


async def transcript_page(request: web.Request) -> web.Response:
    sender = _sender(request)
    engine = request.app[CONSOLE_DB]
    try:
        summary = await asyncio.to_thread(conversations.get_summary, engine, sender)
    except conversations.NotFound:
        return _bad(request, "No such conversation.", 404)
    items = await _transcript(request, sender, via="page")
    if masked(request):
        summary["slots"] = mask_value(summary["slots"])
    return render(request, "transcript.html", {"c": summary, "items": items, "sender": sender})


async def api_events(request: web.Request) -> web.Response:
    sender = _sender(request)
    after = number(request.query.get("after", "0"), 0, 0, 2**63 - 1)
    items = await _transcript(request, sender, after, via="api")
    return web.json_response({"events": items})


async def _redirect_back(request: web.Request, default: str) -> web.StreamResponse:
    form = await _form(request)
    raise web.HTTPFound(_safe_next(form.get("next", ""), default))


def _conv_url(sender: str) -> str:
    return "/conversations/" + quote(sender, safe="")


async def review_post(request: web.Request) -> web.StreamResponse:
    sender = _sender(request)
    form = await _form(request)
    status = form.get("status", "")
    request["audit_detail"] = {"status": status}
    try:
        await asyncio.to_thread(conversations.set_review, request.app[CONSOLE_DB], sender, status)
    except ValueError:
        return _bad(request, "Unknown review status.")
    except conversations.NotFound:
        return _bad(request, "No such conversation.", 404)
    return await _redirect_back(request, _conv_url(sender))


async def tag_add(request: web.Request) -> web.StreamResponse:
    sender = _sender(request)
    form = await _form(request)
    try:
        tag = conversations.clean_tag(form.get("tag", ""))
        request["audit_detail"] = {"tag": tag}
        await asyncio.to_thread(
            conversations.add_tag, request.app[CONSOLE_DB], sender, tag, current(request).user.username
        )
    except conversations.NotFound:
        return _bad(request, "No such conversation.", 404)
    except ValueError as exc:
        return _bad(request, str(exc))
    return await _redirect_back(request, _conv_url(sender))


async def tag_remove(request: web.Request) -> web.StreamResponse:
    sender = _sender(request)
    form = await _form(request)
    request["audit_detail"] = {"tag": form.get("tag", "")[:60]}
    await asyncio.to_thread(conversations.remove_tag, request.app[CONSOLE_DB], sender, form.get("tag", ""))
    return await _redirect_back(request, _conv_url(sender))


async def flag_post(request: web.Request) -> web.StreamResponse:
    sender = _sender(request)
    form = await _form(request)
    event_id = row_id(form.get("event_id", ""))
    if event_id is None:
        return _bad(request, "Which message?")
    flagged = await asyncio.to_thread(
        conversations.toggle_flag,
        request.app[CONSOLE_DB],
        sender,
        event_id,
        form.get("note", ""),
        current(request).user.username,
    )
    request["audit_detail"] = {"event_id": event_id, "flagged": flagged}
    return await _redirect_back(request, _conv_url(sender))


async def story_post(request: web.Request) -> web.StreamResponse:
    sender = _sender(request)
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
        return _bad(request, "No such conversation.", 404)
    except stories.StoryError as exc:
        return _bad(request, str(exc))
    request["audit_detail"] = {"path": path}
    return render(request, "done.html", {"message": f"Saved as test story {path}", "back": _conv_url(sender)})


async def filter_save(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    flt = conversations.ConversationFilter.from_query(form)
    try:
        await asyncio.to_thread(
            conversations.save_filter,
            request.app[CONSOLE_DB],
            current(request).user.id,
            form.get("name", ""),
            flt,
        )
    except ValueError as exc:
        return _bad(request, str(exc))
    raise web.HTTPFound("/conversations?" + flt.query_string())


async def filter_delete(request: web.Request) -> web.StreamResponse:
    await asyncio.to_thread(
        conversations.delete_filter,
        request.app[CONSOLE_DB],
        current(request).user.id,
        _id(request, "filter_id"),
    )
    raise web.HTTPFound("/conversations")


# --- NLU inbox -------------------------------------------------------------------------------


async def nlu_page(request: web.Request) -> web.Response:
    status = request.query.get("status", "new")
    page = request.query.get("page", "1")
    engine = request.app[CONSOLE_DB]
    page_no = number(page, 1, 1, 100_000)
    rows, more = await asyncio.to_thread(nlu.list_inbox, engine, status, page_no)
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
            "entities": training.entities,
            "export_file": str(request.app[SETTINGS].export_file),
        },
    )


async def _nlu_action(request: web.Request, action: str) -> web.StreamResponse:
    item_id = _id(request, "item_id")
    form = await _form(request)
    engine = request.app[CONSOLE_DB]
    user = current(request).user.username
    request["audit_detail"] = {k: form[k][:100] for k in ("intent", "entity") if k in form}
    training = await asyncio.to_thread(request.app[TRAINING].get)
    try:
        if action == "confirm":
            await asyncio.to_thread(nlu.confirm, engine, item_id, user, training)
        elif action == "correct":
            await asyncio.to_thread(nlu.correct, engine, item_id, form.get("intent", ""), user, training)
        elif action == "dismiss":
            await asyncio.to_thread(nlu.dismiss, engine, item_id, user)
        elif action == "entity":
            await asyncio.to_thread(
                nlu.add_entity,
                engine,
                item_id,
                form.get("fragment", ""),
                form.get("entity", ""),
                user,
                training,
            )
        elif action == "clear":
            await asyncio.to_thread(nlu.clear_entities, engine, item_id, user)
    except nlu.InboxNotFound:
        return _bad(request, "No such message.", 404)
    except nlu.InboxError as exc:
        return _bad(request, str(exc))
    return await _redirect_back(request, "/nlu")


async def nlu_confirm(request: web.Request) -> web.StreamResponse:
    return await _nlu_action(request, "confirm")


async def nlu_correct(request: web.Request) -> web.StreamResponse:
    return await _nlu_action(request, "correct")


async def nlu_dismiss(request: web.Request) -> web.StreamResponse:
    return await _nlu_action(request, "dismiss")


async def nlu_entity(request: web.Request) -> web.StreamResponse:
    return await _nlu_action(request, "entity")


async def nlu_clear(request: web.Request) -> web.StreamResponse:
    return await _nlu_action(request, "clear")


async def nlu_export(request: web.Request) -> web.StreamResponse:
    app = request.app
    path = app[SETTINGS].export_file
    training = await asyncio.to_thread(app[TRAINING].get)
    n = await asyncio.to_thread(nlu.export, app[CONSOLE_DB], path, training, current(request).user.username)
    request["audit_detail"] = {"examples": n, "path": str(path)}
    if request.path.startswith("/api/"):
        return web.json_response({"examples": n, "path": str(path)})
    return render(request, "done.html", {"message": f"Exported {n} examples to {path}", "back": "/nlu"})


# --- handoff ---------------------------------------------------------------------------------


def _entry(e: Any, mask: bool) -> dict[str, Any]:
    d = asdict(e)
    if mask:
        d["reason"] = mask_text(d["reason"])
    return d


async def handoff_page(request: web.Request) -> web.Response:
    entries = await asyncio.to_thread(desk(request).queue)
    mask = masked(request)
    return render(request, "handoff.html", {"entries": [_entry(e, mask) for e in entries]})


async def api_handoff(request: web.Request) -> web.Response:
    entries = await asyncio.to_thread(desk(request).queue)
    mask = masked(request)
    return web.json_response({"queue": [_entry(e, mask) for e in entries]}, dumps=_dumps)


async def handoff_chat(request: web.Request) -> web.Response:
    request_id = _id(request, "request_id")
    try:
        info = await asyncio.to_thread(desk(request).request, request_id)
    except HandoffNotFound:
        return _bad(request, "No such handoff request.", 404)
    items = await _transcript(request, info.sender_id, via="handoff", request_id=request_id)
    reason = mask_text(info.reason) if masked(request) else info.reason
    return render(request, "handoff_chat.html", {"h": info, "reason": reason, "items": items})


def _chat_url(request_id: int) -> str:
    return f"/handoff/{request_id}"


async def handoff_take(request: web.Request) -> web.StreamResponse:
    user = current(request).user
    request_id = _id(request, "request_id")
    try:
        await desk(request).take(request_id, user.username, user.display_name)
    except HandoffNotFound:
        return _bad(request, "No such handoff request.", 404)
    except NotYours as exc:
        return _bad(request, str(exc), 409)
    except RasaUnavailable as exc:
        return _bad(request, f"Taken, but the shopper could not be told: {exc}", 502)
    raise web.HTTPFound(_chat_url(request_id))


async def handoff_take_fallback(request: web.Request) -> web.StreamResponse:
    user = current(request).user
    form = await _form(request)
    sender = form.get("sender_id", "")
    request["audit_detail"] = {"sender_id": sender}
    engine = request.app[CONSOLE_DB]
    try:
        summary = await asyncio.to_thread(conversations.get_summary, engine, sender)
        info = await desk(request).take_fallback(sender, summary["channel"], user.username, user.display_name)
    except conversations.NotFound:
        return _bad(request, "No such conversation.", 404)
    except NotYours as exc:
        return _bad(request, str(exc), 409)
    except RasaUnavailable as exc:
        return _bad(request, f"The shopper could not be told: {exc}", 502)
    raise web.HTTPFound(_chat_url(info.id))


async def handoff_reply(request: web.Request) -> web.StreamResponse:
    user = current(request).user
    request_id = _id(request, "request_id")
    form = await _form(request)
    text = " ".join(form.get("text", "").split("\x00")).strip()
    if not text or len(text) > REPLY_MAX_CHARS:
        return _bad(request, f"A reply is 1-{REPLY_MAX_CHARS} characters.")
    request["audit_detail"] = {"chars": len(text)}
    try:
        await desk(request).reply(request_id, user.username, user.display_name, text, user.role == "admin")
    except HandoffNotFound:
        return _bad(request, "No such handoff request.", 404)
    except NotYours as exc:
        return _bad(request, str(exc), 409)
    except RasaUnavailable as exc:
        return _bad(request, f"Not delivered: {exc}", 502)
    if request.headers.get("X-CSRF-Token"):
        return web.json_response({"sent": True})
    raise web.HTTPFound(_chat_url(request_id))


async def handoff_release(request: web.Request) -> web.StreamResponse:
    user = current(request).user
    request_id = _id(request, "request_id")
    try:
        await desk(request).release(request_id, user.username, user.display_name, user.role == "admin")
    except HandoffNotFound:
        return _bad(request, "No such handoff request.", 404)
    except NotYours as exc:
        return _bad(request, str(exc), 409)
    except RasaUnavailable as exc:
        return _bad(request, f"Not handed back: {exc}", 502)
    raise web.HTTPFound("/handoff")


# --- analytics, ingestion, admin ---------------------------------------------------------------


def _days(request: web.Request) -> int:
    raw = request.query.get("days", "30")
    return number(raw, 30, 1, 366)


async def analytics_page(request: web.Request) -> web.Response:
    figures = await asyncio.to_thread(analytics.summary, request.app[CONSOLE_DB], _days(request))
    return render(request, "analytics.html", {"f": figures, "charts": analytics.charts(figures)})


async def api_analytics(request: web.Request) -> web.Response:
    figures = await asyncio.to_thread(analytics.summary, request.app[CONSOLE_DB], _days(request))
    return web.json_response(figures, dumps=_dumps)


async def ingest_post(request: web.Request) -> web.StreamResponse:
    result = await run_ingest(request.app)
    request["audit_detail"] = asdict(result)
    if request.path.startswith("/api/"):
        return web.json_response(asdict(result))
    return render(
        request,
        "done.html",
        {
            "message": f"Read {result.events} new events ({result.conversations} conversations, "
            f"{result.inbox_added} new inbox messages).",
            "back": "/conversations",
        },
    )


async def users_page(request: web.Request) -> web.Response:
    users = await asyncio.to_thread(request.app[ACCOUNTS].list_users)
    return render(request, "users.html", {"users": users, "roles": ROLES})


async def user_create(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    request["audit_detail"] = {"username": form.get("username", "")[:100], "role": form.get("role", "")}
    try:
        await asyncio.to_thread(
            request.app[ACCOUNTS].create_user,
            form.get("username", ""),
            form.get("password", ""),
            form.get("role", ""),
            form.get("display_name") or None,
        )
    except UserExists:
        return _bad(request, "That username is taken.", 409)
    except ValueError as exc:
        return _bad(request, str(exc))
    raise web.HTTPFound("/admin/users")


async def user_active(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    user_id = _id(request, "user_id")
    if user_id == current(request).user.id:
        return _bad(request, "You cannot disable yourself.")
    active = form.get("active") == "1"
    request["audit_detail"] = {"active": active}
    await asyncio.to_thread(request.app[ACCOUNTS].set_active, user_id, active)
    raise web.HTTPFound("/admin/users")


async def audit_page(request: web.Request) -> web.Response:
    def rows() -> list[dict[str, Any]]:
        a = db.audit_log.c
        with request.app[CONSOLE_DB].connect() as conn:
            return [
                dict(r._mapping) for r in conn.execute(select(db.audit_log).order_by(a.id.desc()).limit(300))
            ]

    return render(request, "audit.html", {"rows": await asyncio.to_thread(rows)})


S = r"{sender_id:[^/]+}"

ROUTES: list[Route] = [
    Route("GET", "/health", health, None, "health"),
    Route("GET", "/favicon.ico", favicon, None, "favicon"),
    Route("GET", "/login", login_page, None, "login_page"),
    Route("POST", "/login", login, None, "login"),
    Route("POST", "/logout", logout, "session", "logout"),
    Route("GET", "/", index, "session", "index"),
    Route("GET", "/conversations", conversations_page, "conversations.view", "conversations"),
    Route("GET", f"/conversations/{S}", transcript_page, "conversations.view", "transcript"),
    Route("POST", f"/conversations/{S}/review", review_post, "conversations.annotate", "conversation.review"),
    Route("POST", f"/conversations/{S}/tags", tag_add, "conversations.annotate", "conversation.tag"),
    Route(
        "POST", f"/conversations/{S}/tags/delete", tag_remove, "conversations.annotate", "conversation.untag"
    ),
    Route("POST", f"/conversations/{S}/flag", flag_post, "conversations.annotate", "conversation.flag"),
    Route("POST", f"/conversations/{S}/story", story_post, "stories.save", "conversation.story"),
    Route("POST", "/filters", filter_save, "conversations.view", "filter.save"),
    Route("POST", "/filters/{filter_id:\\d+}/delete", filter_delete, "conversations.view", "filter.delete"),
    Route("GET", "/nlu", nlu_page, "nlu.review", "nlu"),
    Route("POST", "/nlu/{item_id:\\d+}/confirm", nlu_confirm, "nlu.review", "nlu.confirm"),
    Route("POST", "/nlu/{item_id:\\d+}/correct", nlu_correct, "nlu.review", "nlu.correct"),
    Route("POST", "/nlu/{item_id:\\d+}/dismiss", nlu_dismiss, "nlu.review", "nlu.dismiss"),
    Route("POST", "/nlu/{item_id:\\d+}/entity", nlu_entity, "nlu.review", "nlu.entity"),
    Route("POST", "/nlu/{item_id:\\d+}/entities/clear", nlu_clear, "nlu.review", "nlu.entities_clear"),
    Route("POST", "/nlu/export", nlu_export, "nlu.export", "nlu.export"),
    Route("GET", "/handoff", handoff_page, "handoff.work", "handoff"),
    Route("GET", "/handoff/{request_id:\\d+}", handoff_chat, "handoff.work", "handoff.chat"),
    Route("POST", "/handoff/{request_id:\\d+}/take", handoff_take, "handoff.work", "handoff.take"),
    Route("POST", "/handoff/fallback/take", handoff_take_fallback, "handoff.work", "handoff.take_fallback"),
    Route("POST", "/handoff/{request_id:\\d+}/reply", handoff_reply, "handoff.work", "handoff.reply"),
    Route("POST", "/handoff/{request_id:\\d+}/release", handoff_release, "handoff.work", "handoff.release"),
    Route("GET", "/analytics", analytics_page, "analytics.view", "analytics"),
    Route("POST", "/ingest", ingest_post, "ingest.run", "ingest"),
    Route("GET", "/admin/users", users_page, "users.manage", "users"),
    Route("POST", "/admin/users", user_create, "users.manage", "user.create"),
    Route("POST", "/admin/users/{user_id:\\d+}/active", user_active, "users.manage", "user.active"),
    Route("GET", "/admin/audit", audit_page, "audit.view", "audit"),
    Route("GET", "/api/conversations", api_conversations, "conversations.view", "api.conversations"),
    Route("GET", f"/api/conversations/{S}/events", api_events, "conversations.view", "api.events"),
    Route("GET", "/api/handoff", api_handoff, "handoff.work", "api.handoff"),
    Route("GET", "/api/analytics", api_analytics, "analytics.view", "api.analytics"),
    Route("POST", "/api/ingest", ingest_post, "ingest.run", "api.ingest"),
    Route("POST", "/api/nlu/export", nlu_export, "nlu.export", "api.nlu.export"),
]

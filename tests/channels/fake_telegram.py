"""A stand-in for the Telegram Bot API on loopback, for python-telegram-bot's ``base_url``.

It runs an aiohttp server in its own thread (so it keeps answering while a test blocks, e.g.
waiting for Rasa to start), records every call, and serves ``getUpdates`` from a queue the
test fills. Tests synchronise on :meth:`FakeTelegram.wait_for`, never on sleeps.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Shop", "username": "shop_test_bot"}
USER_ID = 777000111
#: The secret token Telegram echoes in its webhook header, in every test here.
SECRET = "s3cret-Token_1"
WEBHOOK_URL = "https://shop.example/webhooks/telegram/webhook"


@dataclass
class Call:
    method: str
    params: Dict[str, Any]


#: Parameters PTB sends JSON-encoded; strings (text, caption, URLs, ids) travel as they are.
_JSON_PARAMS = {"chat_id", "reply_markup", "allowed_updates", "offset", "timeout", "limit", "show_alert"}


def _decode(form: Dict[str, str]) -> Dict[str, Any]:
    return {key: json.loads(value) if key in _JSON_PARAMS else value for key, value in form.items()}


class FakeTelegram:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: List[Call] = []
        self.failing_photo_urls: set = set()
        self._cond = threading.Condition()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None
        self._updates: List[Dict[str, Any]] = []
        self._update_event: Optional[asyncio.Event] = None
        self._next_update_id = 1000
        self._next_message_id = 1
        self._closing = False
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTelegram:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise TimeoutError("fake Telegram did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._runner is None:
            return
        self._loop.call_soon_threadsafe(self._release_waiters)
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _release_waiters(self) -> None:
        self._closing = True
        if self._update_event is not None:
            self._update_event.set()

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._update_event = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        loop.run_forever()
        loop.close()

    # --- what tests use ------------------------------------------------------------

    def wait_for(
        self, predicate: Callable[[List[Call]], bool], timeout: float = 30.0, what: str = "calls"
    ) -> List[Call]:
        """Block until ``predicate(calls)`` holds; the calls so far on timeout, as an error."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(list(self.calls)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"waited {timeout}s for {what}; got {self.calls!r}")
                self._cond.wait(left)
            return list(self.calls)

    def wait_for_count(self, method: str, count: int, timeout: float = 30.0) -> List[Call]:
        self.wait_for(lambda calls: sum(c.method == method for c in calls) >= count, timeout, method)
        return self.of(method)

    def of(self, method: str) -> List[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        with self._cond:
            self.calls.clear()

    def queue_update(self, update: Dict[str, Any]) -> Dict[str, Any]:
        """Make ``update`` (given an update_id here) the next thing getUpdates returns."""
        assert self._loop is not None
        update = dict(update, update_id=self.new_update_id())

        def put() -> None:
            self._updates.append(update)
            assert self._update_event is not None
            self._update_event.set()

        self._loop.call_soon_threadsafe(put)
        return update

    def new_update_id(self) -> int:
        with self._cond:
            self._next_update_id += 1
            return self._next_update_id

    # --- the Bot API ---------------------------------------------------------------

    def _record(self, method: str, params: Dict[str, Any]) -> None:
        with self._cond:
            self.calls.append(Call(method, params))
            self._cond.notify_all()

    def _message(self, params: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
        with self._cond:
            self._next_message_id += 1
            message_id = self._next_message_id
        chat_id = params.get("chat_id")
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            **extra,
        }

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = _decode(dict(await request.post()))
        if method == "getUpdates":
            return await self._get_updates(params)
        self._record(method, params)
        if method == "getMe":
            return self._ok(BOT_USER)
        if method == "sendMessage":
            return self._ok(self._message(params, text=params.get("text", "")))
        if method == "sendPhoto":
            if params.get("photo") in self.failing_photo_urls:
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: wrong file identifier"},
                    status=400,
                )
            photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
            return self._ok(self._message(params, photo=photo, caption=params.get("caption")))
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook", "sendChatAction"):
            return self._ok(True)
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _get_updates(self, params: Dict[str, Any]) -> web.Response:
        assert self._update_event is not None
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and not self._closing:
            self._update_event.clear()
            try:
                await asyncio.wait_for(self._update_event.wait(), float(params.get("timeout") or 0))
            except asyncio.TimeoutError:
                pass
        self._record("getUpdates", params)
        return self._ok(list(self._updates))

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})


# --- updates as Telegram sends them ------------------------------------------------------


def _chat(chat_id: int, chat_type: str = "private") -> Dict[str, Any]:
    return {"id": chat_id, "type": chat_type, "first_name": "Ada"}


def _user(user_id: int = USER_ID, language_code: Optional[str] = "en") -> Dict[str, Any]:
    """A Telegram user; ``language_code`` is their app's language (None: Telegram sent none)."""
    user: Dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Ada"}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def message_update(
    chat_id: int = USER_ID, chat_type: str = "private", language_code: Optional[str] = "en", **content: Any
) -> Dict[str, Any]:
    message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": _chat(chat_id, chat_type),
        "from": _user(chat_id if chat_type == "private" else USER_ID, language_code),
        **content,
    }
    return {"message": message}


def text_update(
    text: str, chat_id: int = USER_ID, chat_type: str = "private", language_code: Optional[str] = "en"
) -> Dict[str, Any]:
    return message_update(chat_id, chat_type, language_code, text=text)


def sticker_update(chat_id: int = USER_ID, language_code: Optional[str] = "en") -> Dict[str, Any]:
    sticker = {
        "file_id": "s1",
        "file_unique_id": "su1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    return message_update(chat_id, language_code=language_code, sticker=sticker)


def voice_update(chat_id: int = USER_ID) -> Dict[str, Any]:
    return message_update(chat_id, voice={"file_id": "v1", "file_unique_id": "vu1", "duration": 3})


def callback_update(
    data: str, chat_id: int = USER_ID, query_id: str = "cbq-1", language_code: Optional[str] = "en"
) -> Dict[str, Any]:
    message = {
        "message_id": 5,
        "date": int(time.time()),
        "chat": _chat(chat_id),
        "from": BOT_USER,
        "text": "?",
    }
    return {
        "callback_query": {
            "id": query_id,
            "from": _user(chat_id, language_code),
            "chat_instance": "ci-1",
            "message": message,
            "data": data,
        }
    }


def rasa_env(fake: FakeTelegram, mode: str) -> Dict[str, str]:
    """The TELEGRAM_* variables that point a real Rasa's channel (credentials.yml) at ``fake``.

    ``webhook``: registers WEBHOOK_URL with SECRET at start-up; ``polling``: long-polls
    getUpdates (5 s at a time). Nothing else of the install changes.
    """
    env = {"TELEGRAM_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url, "TELEGRAM_MODE": mode}
    if mode == "webhook":
        env.update({"TELEGRAM_SECRET_TOKEN": SECRET, "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL})
    else:
        env["TELEGRAM_POLL_TIMEOUT"] = "5"
    return env

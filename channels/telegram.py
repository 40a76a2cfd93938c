"""Telegram as a Rasa input channel, on python-telegram-bot 22.

Enable it in ``credentials.yml`` with an empty block (``channels.telegram.TelegramInput:``);
the settings (TELEGRAM_* variables, or keys in the block) are read and checked by
:mod:`channels.telegram_config`.

Webhook mode: Telegram POSTs updates to ``/webhooks/telegram/webhook`` carrying the secret in
``X-Telegram-Bot-Api-Secret-Token``; anything else gets 403. Polling mode: a background task
started with the server long-polls ``getUpdates`` (for running locally without a public URL).
Both feed the same :meth:`TelegramInput.handle_update`. See docs/channels-telegram.md.

A chat's conversation in Rasa is ``telegram:<chat id>`` and its ``metadata["source"]`` is the
same string (ops/input_guard.py), so no REST sender or socket.io session can open it; a text
over the message cap (Telegram itself allows 4,096 characters) gets the polite limit reply
without reaching NLU.

The user's ``language_code`` (``zh-hans`` -> ``zh``, ``en-GB`` -> ``en``, when the shop has
that language) goes to Rasa as ``metadata["language"]``, the hint the website widget sends
too, and picks the language of the channel's own words (channels/telegram_texts.py).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, Message, Update
from telegram.constants import ChatAction
from telegram.error import InvalidToken, RetryAfter, TelegramError

from channels.telegram_config import TelegramConfig
from channels.telegram_keyboard import CallbackPayloads
from channels.telegram_output import TelegramOutput
from channels.telegram_texts import TEXTS, language_hint, texts
from ops import input_guard

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
# The channel's own words in English (every language's: channels/telegram_texts.py).
HELP_TEXT = TEXTS["en"]["help"]
NOT_TEXT_TEXT = TEXTS["en"]["not_text"]
PRIVATE_ONLY_TEXT = TEXTS["en"]["private_only"]
RESTARTED_TEXT = TEXTS["en"]["restarted"]
EXPIRED_BUTTON_TEXT = TEXTS["en"]["expired_button"]

#: Message parts we cannot read: they get NOT_TEXT_TEXT instead of going to Rasa.
_NON_TEXT = (
    "sticker",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "photo",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)


class _Recent:
    """A bounded set of recently seen update ids: Telegram re-sends an update it thinks failed."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def add(self, update_id: int) -> bool:
        """True the first time ``update_id`` is seen."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


async def _cancel(task: asyncio.Task[None], attempts: int = 20, grace: float = 0.5) -> None:
    """Cancel ``task`` and wait for it, cancelling again while it keeps running.

    With anyio 4 on Python 3.10, a cancellation landing just as httpx starts reading a
    response can be swallowed, leaving getUpdates waiting; a second cancel ends it.
    """
    while not task.done() and attempts > 0:
        task.cancel()
        await asyncio.wait({task}, timeout=grace)
        attempts -= 1


def parse_command(text: str) -> Tuple[Optional[str], str]:
    """``"/start@ShopBot ref42"`` -> ``("start", "ref42")``; plain text -> ``(None, text)``."""
    if not text.startswith("/"):
        return None, text
    head, _, rest = text[1:].partition(" ")
    command = head.split("@", 1)[0].lower()
    return (command or None), rest.strip()


class TelegramInput(InputChannel):
    """Receives Telegram updates (webhook or polling) and hands text to Rasa."""

    @classmethod
    def name(cls) -> str:
        """``telegram``: the webhook path and the prefix of its conversation ids."""
        return "telegram"

    @classmethod
    def from_credentials(
        cls, credentials: Optional[Dict[str, Any]], environ: Optional[Mapping[str, str]] = None
    ) -> TelegramInput:
        """The channel from credentials.yml's block and TELEGRAM_* (checked; bad values stop Rasa)."""
        return cls(TelegramConfig.from_credentials(credentials, environ))

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self.payloads = CallbackPayloads()
        self._recent = _Recent()
        self._bot: Optional[Bot] = None
        self._tasks: List[asyncio.Task[None]] = []

    @property
    def bot(self) -> Bot:
        """Created on first use, inside the server's event loop."""
        if self._bot is None:
            base = self.config.api_base_url
            self._bot = Bot(self.config.token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
        return self._bot

    def get_output_channel(self) -> Optional[TelegramOutput]:
        """Output for messages outside a turn (an agent's replies); none while disabled."""
        if not self.config.enabled:
            return None
        return TelegramOutput(self.bot, self.payloads, language=self.config.default_language)

    def _hint(self, update: Update) -> Optional[str]:
        """The shop language the sender's Telegram app is set to, if it is one (else None)."""
        user = update.effective_user
        return language_hint(user.language_code if user else None, self.config.languages)

    def _output(self, language: Optional[str]) -> TelegramOutput:
        return TelegramOutput(self.bot, self.payloads, language=language or self.config.default_language)

    def secret_ok(self, given: Optional[str]) -> bool:
        """Whether a webhook call carries our secret (constant-time); never without a secret."""
        expected = self.config.secret_token
        if not expected:
            return False
        return hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))

    # --- updates -----------------------------------------------------------------------

    async def handle_update(self, update: Update, on_new_message: OnNewMessage) -> None:
        """Answer one update. Never raises: a failing update must not stop polling."""
        if not self._recent.add(update.update_id):
            logger.debug("telegram update %s seen before; skipped", update.update_id)
            return
        try:
            if update.callback_query is not None:
                await self._handle_callback(update, on_new_message)
            elif update.message is not None:
                await self._handle_message(update, update.message, on_new_message)
        except Exception:
            logger.exception("telegram update %s failed", update.update_id)

    async def _handle_message(self, update: Update, msg: Message, on_new_message: OnNewMessage) -> None:
        hint = self._hint(update)
        out = self._output(hint)
        words = texts(hint or self.config.default_language)
        chat_id = str(msg.chat.id)
        if msg.chat.type != "private":
            if msg.text and parse_command(msg.text.strip())[0] in ("start", "help"):
                await out.send_text_message(chat_id, words["private_only"])
            return
        if msg.text is None:
            if any(getattr(msg, part, None) for part in _NON_TEXT):
                await out.send_text_message(chat_id, words["not_text"])
            return
        text = msg.text.strip()
        command, argument = parse_command(text)
        metadata = self._metadata(update, msg, hint)
        if command == "help":
            await out.send_text_message(chat_id, words["help"])
            return
        if command == "start":
            if argument:
                metadata["telegram"]["start_parameter"] = argument
            text = "/greet"
        elif command == "restart":
            text = "/restart"
        elif text.startswith("/"):
            # A typed "/intent{...}" would bypass NLU and set entities at will; only buttons may.
            text = text.lstrip("/").strip()
            if not text:
                return
        await self._to_rasa(text, out, chat_id, metadata, on_new_message)
        if command == "restart" and out.sent == 0:
            await out.send_text_message(chat_id, words["restarted"])

    async def _handle_callback(self, update: Update, on_new_message: OnNewMessage) -> None:
        query = update.callback_query
        assert query is not None
        payload = self.payloads.decode(query.data) if isinstance(query.data, str) else None
        hint = self._hint(update)
        expired = texts(hint or self.config.default_language)["expired_button"]
        try:
            await self.bot.answer_callback_query(query.id, text=None if payload else expired)
        except TelegramError as exc:
            logger.warning("telegram answerCallbackQuery failed: %s", exc)
        message = query.message
        chat = message.chat if message is not None else None
        if not payload or (chat is not None and chat.type != "private"):
            return
        chat_id = str(chat.id if chat is not None else query.from_user.id)
        metadata = self._metadata(update, None, hint)
        metadata["telegram"]["button"] = True
        out = self._output(hint)
        await self._to_rasa(payload, out, chat_id, metadata, on_new_message)

    async def _to_rasa(
        self,
        text: str,
        out: TelegramOutput,
        chat_id: str,
        metadata: Dict[str, Any],
        on_new_message: OnNewMessage,
    ) -> None:
        try:
            await self.bot.send_chat_action(int(chat_id), ChatAction.TYPING)
        except TelegramError as exc:
            logger.debug("telegram sendChatAction failed: %s", exc)
        conversation = input_guard.conversation_id(self.name(), chat_id)
        metadata = input_guard.with_source(metadata, conversation)
        await on_new_message(
            UserMessage(text, out, sender_id=conversation, input_channel=self.name(), metadata=metadata)
        )

    @staticmethod
    def _metadata(update: Update, msg: Optional[Message], language: Optional[str] = None) -> Dict[str, Any]:
        user = update.effective_user
        chat = update.effective_chat
        info: Dict[str, Any] = {"update_id": update.update_id}
        if chat is not None:
            info["chat_id"] = chat.id
        if msg is not None:
            info["message_id"] = msg.message_id
        if user is not None:
            info.update(user_id=user.id, first_name=user.first_name, language_code=user.language_code)
        metadata: Dict[str, Any] = {"telegram": info}
        if language:
            metadata["language"] = language  # the session-start hint, as the widget sends it
        return metadata

    # --- polling -------------------------------------------------------------------------

    async def poll(self, on_new_message: OnNewMessage) -> None:
        """Long-poll getUpdates until cancelled, backing off while Telegram is unreachable."""
        bot = self.bot
        offset: Optional[int] = None
        delay = 1.0
        ready = False
        while True:
            try:
                if not ready:
                    await bot.initialize()
                    await bot.delete_webhook()
                    ready = True
                    logger.info("telegram polling started as @%s", bot.username)
                updates = await bot.get_updates(
                    offset=offset, timeout=self.config.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
                delay = 1.0
            except InvalidToken:
                logger.error("telegram rejected the bot token; polling stopped")
                return
            except RetryAfter as exc:
                wait = exc.retry_after
                await asyncio.sleep(wait if isinstance(wait, int | float) else wait.total_seconds())
                continue
            except TelegramError as exc:
                logger.warning("telegram getUpdates failed (%s); retrying in %.0fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            for update in updates:
                offset = update.update_id + 1
                await self.handle_update(update, on_new_message)

    async def register_webhook(self) -> None:
        """Tell Telegram where to send updates (webhook mode with a webhook_url)."""
        try:
            await self.bot.initialize()
            await self.bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.secret_token,
                allowed_updates=ALLOWED_UPDATES,
            )
            logger.info("telegram webhook registered for @%s", self.bot.username)
        except TelegramError as exc:
            logger.error("telegram setWebhook failed: %s", exc)

    async def start(self, on_new_message: OnNewMessage) -> None:
        """With the server: start polling, or register the webhook URL, in the background."""
        if not self.config.enabled:
            logger.info("telegram channel disabled: no token configured")
            return
        if self.config.mode == "polling":
            self._tasks.append(asyncio.create_task(self.poll(on_new_message)))
        elif self.config.webhook_url:
            self._tasks.append(asyncio.create_task(self.register_webhook()))

    async def stop(self) -> None:
        """Before the server stops: end the background tasks and close the bot's HTTP client."""
        for task in self._tasks:
            await _cancel(task)
            if not task.done():
                logger.warning("telegram background task did not stop; abandoning it")
            elif not task.cancelled() and task.exception() is not None:
                logger.error("telegram background task failed", exc_info=task.exception())
        self._tasks.clear()
        if self._bot is not None:
            try:
                await self._bot.shutdown()
            except Exception:
                logger.exception("telegram bot shutdown failed")

    # --- HTTP ------------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """``/webhooks/telegram/`` (health) and ``/webhook`` (secret-checked updates), bounded input."""
        on_new_message = input_guard.guarded(on_new_message)
        bp = Blueprint(f"telegram_{id(self)}", __name__)

        @bp.listener("after_server_start")
        async def _start(app: Any, loop: Any) -> None:
            await self.start(on_new_message)

        @bp.listener("before_server_stop")
        async def _stop(app: Any, loop: Any) -> None:
            await self.stop()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            status = {"status": "ok" if self.config.enabled else "disabled", "mode": self.config.mode}
            return response.json(status)

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.config.enabled:
                return response.json({"error": "telegram channel disabled"}, status=503)
            if not self.secret_ok(request.headers.get(SECRET_HEADER)):
                return response.json({"error": "forbidden"}, status=403)
            try:
                data = request.json
                update = Update.de_json(data, self.bot) if isinstance(data, dict) else None
            except Exception:
                update = None
            if update is None:
                return response.json({"error": "not a Telegram update"}, status=400)
            await self.handle_update(update, on_new_message)
            return response.json({"ok": True})

        return bp

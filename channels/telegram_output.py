"""Sending the bot's answers to a Telegram chat."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar, Union

from rasa.core.channels.channel import OutputChannel
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from channels.telegram_format import (
    product_caption,
    split_text,
    summarize_json,
    to_html,
)
from channels.telegram_keyboard import CallbackPayloads, inline_keyboard
from channels.telegram_texts import texts

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Longest flood-control pause we wait out before giving up on one message.
MAX_RETRY_AFTER = 30.0


def chat_id_of(recipient_id: str) -> Union[int, str]:
    """Rasa's sender id ``telegram:<chat id>`` (or a bare chat id) -> the number Telegram wants."""
    chat = recipient_id.removeprefix("telegram:")
    try:
        return int(chat)
    except ValueError:
        return chat


class TelegramOutput(OutputChannel):
    """Rasa responses as Telegram messages: HTML text, inline keyboards, photos.

    ``sent`` counts the messages delivered, so the input channel can tell whether Rasa said
    anything (e.g. to confirm a ``/restart``). A failed send is logged and skipped: a shopper
    who blocked the bot must not break the conversation's bookkeeping in Rasa.
    """

    def __init__(
        self, bot: Bot, payloads: CallbackPayloads, currency: str = "USD", language: Optional[str] = None
    ) -> None:
        self.bot = bot
        self.payloads = payloads
        self.currency = currency
        #: the language of the channel's own words (a card's button), see channels/telegram_texts.py
        self.words = texts(language)
        self.sent = 0

    @classmethod
    def name(cls) -> str:
        """``telegram``, as Rasa names the output channel."""
        return "telegram"

    async def _call(self, what: str, send: Callable[[], Awaitable[T]]) -> Optional[T]:
        for attempt in range(2):
            try:
                result = await send()
                self.sent += 1
                return result
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                if attempt or seconds > MAX_RETRY_AFTER:
                    logger.warning("telegram %s dropped: flood control asks for %ss", what, seconds)
                    return None
                await asyncio.sleep(seconds)
            except Forbidden:
                logger.info("telegram %s not delivered: the user blocked the bot", what)
                return None
            except TelegramError as exc:
                logger.warning("telegram %s failed: %s", what, exc)
                return None
        return None

    async def _send_text(
        self, recipient_id: str, text: str, reply_markup: Optional[InlineKeyboardMarkup] = None
    ) -> None:
        parts = split_text(text) or (["Please choose:"] if reply_markup else [])
        chat_id = chat_id_of(recipient_id)
        for index, part in enumerate(parts):
            markup = reply_markup if index == len(parts) - 1 else None
            await self._call(
                "sendMessage",
                partial(
                    self.bot.send_message,
                    chat_id,
                    to_html(part),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                ),
            )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Text as HTML parse mode, split into Telegram-sized messages."""
        await self._send_text(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Buttons as an inline keyboard under the last part; payloads kept server-side."""
        markup = inline_keyboard(buttons, self.payloads) if buttons else None
        await self._send_text(recipient_id, text or "Please choose:", markup)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Quick replies look like buttons here."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """A photo by URL (a broken one falls back to a link, see ``_send_photo``)."""
        await self._send_photo(recipient_id, image, caption=None, markup=None)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        """Attachments are named in text: the bot sends none Telegram could not show as text."""
        await self._send_text(recipient_id, f"Attachment: {attachment}")

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """A carousel as one photo card per product; any other payload as readable text."""
        if json_message.get("type") == "carousel" and isinstance(json_message.get("products"), list):
            currency = str(json_message.get("currency") or self.currency)
            for product in json_message["products"]:
                if isinstance(product, dict):
                    await self._send_product(recipient_id, product, currency)
            return
        await self._send_text(recipient_id, summarize_json(json_message))

    async def _send_product(self, recipient_id: str, product: Dict[str, Any], currency: str) -> None:
        caption = product_caption(product, currency)
        payload = product.get("payload")
        if not payload and product.get("sku"):
            payload = f'/recommend_product{{"product":"{product["sku"]}"}}'
        markup = None
        if payload:
            data = self.payloads.encode(str(payload))
            button = InlineKeyboardButton(self.words["more_like"], callback_data=data)
            markup = InlineKeyboardMarkup([[button]])
        image = product.get("image") or product.get("image_url")
        if isinstance(image, str) and image.startswith(("http://", "https://")):
            await self._send_photo(recipient_id, image, caption, markup)
        else:
            await self._call(
                "sendMessage",
                lambda: self.bot.send_message(
                    chat_id_of(recipient_id), caption, parse_mode=ParseMode.HTML, reply_markup=markup
                ),
            )

    async def _send_photo(
        self,
        recipient_id: str,
        image: str,
        caption: Optional[str],
        markup: Optional[InlineKeyboardMarkup],
    ) -> None:
        """sendPhoto; when Telegram cannot fetch the image, the caption (or link) as text."""
        chat_id = chat_id_of(recipient_id)
        try:
            await self.bot.send_photo(
                chat_id, image, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
            )
            self.sent += 1
            return
        except BadRequest as exc:
            logger.info("telegram sendPhoto refused (%s); sending text instead", exc)
        except TelegramError as exc:
            logger.warning("telegram sendPhoto failed: %s", exc)
            return
        text = caption or to_html(image)
        await self._call(
            "sendMessage",
            lambda: self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup),
        )

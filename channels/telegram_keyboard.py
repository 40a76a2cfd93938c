"""Rasa buttons as Telegram inline keyboards, and getting the payload back from a press.

Telegram limits ``callback_data`` to 64 bytes, while a Rasa payload such as
``/recommend_product{"product":"..."}`` can be longer. Such payloads travel as a short id
(``~`` + 16 url-safe characters, derived from the payload) kept in a bounded in-memory map.
The map is per process: after a restart, or once ``max_entries`` newer long payloads pushed
an id out, pressing that old button answers "expired" instead of guessing.
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

CALLBACK_DATA_LIMIT = 64
#: Buttons whose titles are all at most this long go two to a row.
SHORT_TITLE = 20
_ID_PREFIX = "~"


class CallbackPayloads:
    """Maps Rasa payloads to ``callback_data`` and back."""

    def __init__(self, max_entries: int = 5000) -> None:
        self.max_entries = max_entries
        self._long: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        """``payload`` itself when it fits, else a short id remembered for :meth:`decode`."""
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(_ID_PREFIX):
            return payload
        digest = hashlib.blake2b(payload.encode("utf-8"), digest_size=12).digest()
        key = _ID_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")
        self._long[key] = payload
        self._long.move_to_end(key)
        while len(self._long) > self.max_entries:
            self._long.popitem(last=False)
        return key

    def decode(self, data: str) -> Optional[str]:
        """The payload behind ``data``; ``None`` when a short id is no longer known."""
        if not data.startswith(_ID_PREFIX):
            return data
        return self._long.get(data)

    def __len__(self) -> int:
        return len(self._long)


def _button(button: Dict[str, Any], payloads: CallbackPayloads) -> InlineKeyboardButton:
    title = str(button.get("title") or button.get("payload") or "…")
    url = button.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return InlineKeyboardButton(title, url=url)
    payload = str(button.get("payload") or title)
    return InlineKeyboardButton(title, callback_data=payloads.encode(payload))


def keyboard_rows(titles: Sequence[str]) -> List[List[int]]:
    """Indexes of ``titles`` grouped into rows: pairs when every title is short, else one per row."""
    per_row = 2 if titles and all(len(t) <= SHORT_TITLE for t in titles) else 1
    return [list(range(i, min(i + per_row, len(titles)))) for i in range(0, len(titles), per_row)]


def inline_keyboard(buttons: Sequence[Dict[str, Any]], payloads: CallbackPayloads) -> InlineKeyboardMarkup:
    """Rasa ``buttons`` (``title``/``payload``, or ``url`` for links) as an inline keyboard."""
    made = [_button(b, payloads) for b in buttons]
    rows = keyboard_rows([b.text for b in made])
    return InlineKeyboardMarkup([[made[i] for i in row] for row in rows])

"""The conversation's language, read from the tracker in one place for every action.

The ``language`` slot (categorical, one of ``SHOP_LANGUAGES``) is set per message by the
NLU's language detection and at session start from the channel's hint
(:mod:`actions.session`). Unset, or a value the shop does not speak (an old tracker, a
forged event), means the shop's default: the first of ``SHOP_LANGUAGES``.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker

from actions import services

__all__ = ["LANGUAGE_SLOT", "language", "last_language", "shop_language"]

LANGUAGE_SLOT = "language"


def shop_language(value: Any) -> Optional[str]:
    """``value`` when it is exactly one of the shop's language codes, else None."""
    languages = services.languages()
    return value if isinstance(value, str) and value in languages else None


def language(tracker: Tracker) -> str:
    """The language to answer ``tracker``'s shopper in (``en``, ``zh``).

    The slot unset in a session that had a language means Rasa rewound the turn that set it
    (the two-stage fallback takes back the unclear message and feeds the clarification in
    again): the session's last language still holds (:func:`last_language`).
    """
    return shop_language(tracker.get_slot(LANGUAGE_SLOT)) or last_language(tracker) or services.languages()[0]


def last_language(tracker: Tracker) -> Optional[str]:
    """The last shop language the slot was set to in this session, rewound turns included."""
    for event in reversed(tracker.events or []):
        kind = event.get("event")
        if kind in ("session_started", "restart"):
            return None
        if kind == "slot" and event.get("name") == LANGUAGE_SLOT:
            found = shop_language(event.get("value"))
            if found is not None:
                return found
    return None

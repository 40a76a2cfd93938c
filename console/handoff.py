"""The handoff queue: shoppers who asked for a person (the shop's ``handoff_requests``) and
conversations where the bot fell back repeatedly; agents take, reply and hand back.

The queue shows each conversation's language (as ingested, console.languages), so an agent
who reads Chinese can take the Chinese chats; the join and leave notices the shopper reads
are in that language."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from console import db
from console.config import ConsoleSettings
from console.rasa_client import RasaClient
from shop.clock import naive_utc
from shop.db.models import HandoffRequest
from shop.db.session import make_engine, make_sessionmaker
from shop.handoff import HandoffInfo, HandoffNotFound, HandoffService

FALLBACK_WINDOW = timedelta(hours=24)


class NotYours(PermissionError):
    """The request is taken by another agent (or not taken at all)."""


@dataclass(frozen=True)
class QueueEntry:
    """One line of the queue: a shopper's request for a person or a chat that kept failing."""

    kind: str  # "request" or "fallback"
    sender_id: str
    channel: str
    reason: str
    status: str
    created_at: Any
    request_id: int | None = None
    taken_by: str | None = None
    #: the conversation's language (None: not ingested yet)
    language: str | None = None


_JOINED = {
    "en": "{name} from our support team has joined the chat.",
    "zh": "客服{name}已加入聊天。",
}
_LEFT = {
    "en": "{name} has left the chat. You're back with the shop's assistant - ask me anything.",
    "zh": "{name}已离开聊天。接下来由购物助手继续为您服务，有问题随时问我。",
}


def join_message(name: str, language: str | None = "en") -> str:
    """What the shopper reads when an agent takes the chat (the widget tests match it)."""
    return _JOINED.get(language or "en", _JOINED["en"]).format(name=name)


def leave_message(name: str, language: str | None = "en") -> str:
    """What the shopper reads when the agent hands the chat back to the bot."""
    return _LEFT.get(language or "en", _LEFT["en"]).format(name=name)


class HandoffDesk:
    """The agents' side of a handoff: the queue, taking, replying and handing back."""

    def __init__(
        self,
        service: HandoffService,
        shop_engine: Engine,
        console_engine: Engine,
        rasa: RasaClient,
        fallback_threshold: int = 2,
        default_language: str = "en",
    ) -> None:
        self.service = service
        self.shop_engine = shop_engine
        self.console_engine = console_engine
        self.rasa = rasa
        self.fallback_threshold = fallback_threshold
        #: the shop's default language: the notices' for a conversation not ingested yet
        self.default_language = default_language

    def languages(self, senders: list[str]) -> dict[str, str]:
        """The ingested conversations' languages, by sender id."""
        c = db.conversations.c
        if not senders:
            return {}
        with self.console_engine.connect() as conn:
            rows = conn.execute(select(c.sender_id, c.language).where(c.sender_id.in_(senders[:500]))).all()
        return {r.sender_id: r.language for r in rows if r.language}

    def language_of(self, sender_id: str) -> str:
        """The conversation's language, else the shop's default."""
        return self.languages([sender_id]).get(sender_id, self.default_language)

    def queue(self) -> list[QueueEntry]:
        """Taken requests first, then open ones oldest first, then repeated-fallback chats."""
        h = HandoffRequest.__table__.c
        with self.shop_engine.connect() as conn:
            active = conn.execute(
                select(HandoffRequest.__table__)
                .where(h.status.in_(("open", "taken")))
                .order_by(h.status.desc(), h.created_at, h.id)
            ).all()
        spoken = self.languages([r.sender_id for r in active])
        entries = [
            QueueEntry(
                "request",
                r.sender_id,
                r.channel,
                r.reason,
                r.status,
                r.created_at,
                r.id,
                r.taken_by,
                spoken.get(r.sender_id),
            )
            for r in active
        ]
        waiting = {e.sender_id for e in entries}
        c = db.conversations.c
        with self.console_engine.connect() as conn:
            rows = conn.execute(
                select(c.sender_id, c.channel, c.fallback_count, c.last_at, c.language)
                .where(
                    c.fallback_count >= self.fallback_threshold,
                    c.handoff == False,  # noqa: E712 - SQL expression
                    c.paused == False,  # noqa: E712
                    c.last_at >= naive_utc() - FALLBACK_WINDOW,
                )
                .order_by(c.last_at.desc())
                .limit(50)
            ).all()
        for r in rows:
            if r.sender_id not in waiting:
                entries.append(
                    QueueEntry(
                        "fallback",
                        r.sender_id,
                        r.channel or "unknown",
                        f"the assistant did not understand {r.fallback_count} times",
                        "open",
                        r.last_at,
                        language=r.language,
                    )
                )
        return entries

    def request(self, request_id: int) -> HandoffInfo:
        """One handoff request as stored (``HandoffNotFound`` if there is none)."""
        with self.shop_engine.connect() as conn:
            row = conn.execute(
                select(HandoffRequest.__table__).where(HandoffRequest.__table__.c.id == request_id)
            ).first()
        if row is None:
            raise HandoffNotFound(request_id)
        return HandoffInfo(
            row.id, row.sender_id, row.channel, row.reason, row.status, row.created_at, False, row.taken_by
        )

    async def take(self, request_id: int, agent: str, display_name: str) -> HandoffInfo:
        """Claim the request for ``agent``, pause the bot and tell the shopper a person joined."""
        info = await asyncio.to_thread(self.service.take, request_id, agent)
        if info.taken_by != agent or info.status != "taken":
            raise NotYours(f"request #{request_id} is {info.status} by {info.taken_by or 'nobody'}")
        # The bot paused itself when it queued the request; pausing again is harmless and
        # covers repeated-fallback chats, where nothing paused it.
        language = await asyncio.to_thread(self.language_of, info.sender_id)
        await self.rasa.append_events(
            info.sender_id,
            [
                {"event": "pause"},
                {
                    "event": "bot",
                    "text": join_message(display_name, language),
                    "metadata": {"agent": display_name, "handoff": "joined"},
                },
            ],
        )
        return info

    async def take_fallback(self, sender_id: str, channel: str, agent: str, display_name: str) -> HandoffInfo:
        """Open a request for a chat that kept falling back, then take it."""
        info = await asyncio.to_thread(
            self.service.request, sender_id, channel, "repeated fallbacks (taken from the console)"
        )
        return await self.take(info.id, agent, display_name)

    def _mine(self, request_id: int, agent: str, is_admin: bool) -> HandoffInfo:
        info = self.request(request_id)
        if info.status != "taken" or (info.taken_by != agent and not is_admin):
            raise NotYours(f"request #{request_id} is not yours")
        return info

    async def reply(
        self, request_id: int, agent: str, display_name: str, text: str, is_admin: bool = False
    ) -> None:
        """Send the agent's words to the shopper (only the agent who took it, or an admin)."""
        info = await asyncio.to_thread(self._mine, request_id, agent, is_admin)
        await self.rasa.say(info.sender_id, text, display_name)

    async def release(
        self, request_id: int, agent: str, display_name: str, is_admin: bool = False
    ) -> HandoffInfo:
        """Say goodbye, hand the conversation back to the bot and close the request.

        ``action_listen`` after ``resume``: Rasa stops predicting as soon as an action pauses
        the conversation, so ``action_handoff`` is never followed by one, and without it the
        shopper's next message matches no rule (the bot fell back and queued a new handoff).
        """
        info = await asyncio.to_thread(self._mine, request_id, agent, is_admin)
        language = await asyncio.to_thread(self.language_of, info.sender_id)
        await self.rasa.append_events(
            info.sender_id,
            [
                {
                    "event": "bot",
                    "text": leave_message(display_name, language),
                    "metadata": {"agent": display_name, "handoff": "left"},
                },
                {"event": "resume"},
                {"event": "action", "name": "action_listen"},
            ],
        )
        return await asyncio.to_thread(self.service.close, request_id)


def make_desk(settings: ConsoleSettings, console_engine: Engine) -> HandoffDesk:
    """The desk the console app serves: the shop's handoff requests and the Rasa HTTP API."""
    shop_engine = make_engine(settings.shop_db_url)
    return HandoffDesk(
        HandoffService(make_sessionmaker(shop_engine)),
        shop_engine,
        console_engine,
        RasaClient(settings.rasa_url, settings.rasa_token),
        settings.fallback_queue_threshold,
        settings.languages[0] if settings.languages else "en",
    )

"""Admission control for Rasa turns: a crowd waits at the door, not inside an action call.

Rasa runs every turn of a server process on one event loop and starts each one as soon as
its request arrives. Under a crowd (200 shoppers in flight on two replicas, issue 13) that
loop holds hundreds of half-done turns: each turn's NLU and policies run on the loop, so a
turn that has sent its action call gets the answer back only after every other turn's
pending work has run. Measured (``benchmarks/bench_scaleout.py``, hooks on every process):
the action server answered within 6 s, yet Rasa's 15 s ``ACTION_TIMEOUT_SECONDS`` fired on
``validate_order_status_form`` because the loop read the answer too late, and the shopper
was told "can't look that up right now" in the middle of a form.

:func:`install` wraps ``Agent.handle_message`` (every channel's way in: REST, socket.io,
Telegram) so that at most ``RASA_MAX_CONCURRENT_TURNS`` turns run at once per server
process; the others wait, in arrival order, *before* they take the conversation's lock,
read the tracker or call an action. A waiting turn is honest latency; nothing it does is
timed yet. A conversation's own turns wait for each other before the door, so one client
flooding one conversation holds one place, not all of them. ``0`` turns the door off
(Rasa's own behaviour).

The limit is per event loop, so each Sanic worker (``SANIC_WORKERS``) and each replica has
its own door: capacity grows with processes, as the loops do.

**Fair between clients** (stop 22, ``tests/e2e/test_flood.py``). A client is the address its
channel wrote in ``metadata["source"]`` (REST and socket.io: the client address, behind nginx
the ``X-Forwarded-For`` hop Sanic trusts; Telegram: the chat), else the conversation:

* waiting turns get places **round robin by client**, not in arrival order: one client
  opening forty conversations at once (REST lets it choose sender ids) took every place and
  the shopper after it was answered after all forty (39 of 40 with the turn worker alone);
  now the shopper takes the first place that frees. With one client (a benchmark, every
  shopper behind one NAT) it is the arrival order of before;
* the turn's steps on the worker thread are shared by client the same way
  (:data:`ops.turn_worker.CLIENT`, set here for the turn);
* one conversation's **burst** is bounded: beyond :data:`MAX_WAITING_PER_CONVERSATION`
  turns waiting behind its running one, a message is answered at once with
  :func:`shop.limits.busy_text` ("I'm still answering your earlier messages ..."), without NLU, the lock
  or the tracker (not stored as a turn; logged as ``event=turn_refused``). A person never has
  ten unanswered messages in one chat; a script that floods one conversation (REST, or a
  socket.io tab, whose messages nginx cannot count) holds a bounded line, not an unbounded one.

No per-client refusal: a client's extra turns only wait (its own), so a crowd behind one
address (an office, a carrier NAT, the benchmarks) is slowed only when it competes with
other clients, and then shares the process as one client. Rates per address are nginx's job
(``limit_req`` on ``/webhooks/``, docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, Optional, Tuple

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

from ops import turn_worker
from shop import settings as shop_settings
from shop.language import written_language
from shop.limits import busy_text

__all__ = [
    "MAX_WAITING_PER_CONVERSATION",
    "SETTING",
    "Door",
    "install",
    "limit",
    "source_of",
    "uninstall",
]

logger = logging.getLogger(__name__)

#: The setting that bounds concurrent turns per Rasa server process (0: no bound).
SETTING = "RASA_MAX_CONCURRENT_TURNS"
_MARK = "_shop_admission"
_ORIGINAL = "_shop_admission_original"


def limit() -> int:
    """Turns one Rasa server process runs at once (``RASA_MAX_CONCURRENT_TURNS``)."""
    value = int(shop_settings.value(SETTING))
    if value < 0:
        raise ValueError(f"{SETTING} must be 0 (no limit) or more")
    return value


#: Turns of one conversation that may wait behind its running one; more are answered at once.
MAX_WAITING_PER_CONVERSATION = 10


@dataclass
class _Source:
    """One client's turns at a door: inside it, waiting for a place, and when it last got one."""

    waiting: Deque[asyncio.Future[None]] = field(default_factory=deque)
    inside: int = 0
    served: int = -1  # the door's grant count when this source last got a place


class _LoopDoor:
    """One event loop's free places, the clients with turns at the door, and each
    conversation's line while it has a turn in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.free = size
        self.grants = 0
        #: source -> its turns at the door; an entry lives while one is inside or waiting.
        self.sources: Dict[str, _Source] = {}
        #: conversation -> (its line, turns of it in flight); an entry lives while one does.
        self.lines: Dict[str, Tuple[asyncio.Lock, int]] = {}

    def _grant(self, source: _Source) -> None:
        source.inside += 1
        source.served = self.grants
        self.grants += 1

    async def take_place(self, key: str) -> None:
        """A place now if one is free and nobody waits, else when it is ``key``'s turn."""
        source = self.sources.setdefault(key, _Source())
        if self.free > 0 and not any(s.waiting for s in self.sources.values()):
            self.free -= 1
            self._grant(source)
            return
        granted: asyncio.Future[None] = self.loop.create_future()
        source.waiting.append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.give_place_back(key)  # handed over just as the turn was cancelled
            else:
                source.waiting.remove(granted)
                self._drop_if_idle(key)
            raise

    def give_place_back(self, key: str) -> None:
        """``key``'s turn leaves: its place goes to the oldest waiting turn of the waiting
        source served longest ago (round robin by source), else it is free again."""
        self.sources[key].inside -= 1
        self._drop_if_idle(key)
        while True:
            candidates = [(k, s.served) for k, s in self.sources.items() if s.waiting]
            if not candidates:
                self.free += 1
                return
            next_key = turn_worker.least_recently_served(candidates)
            source = self.sources[next_key]
            granted = source.waiting.popleft()
            if not granted.done():
                self._grant(source)
                granted.set_result(None)
                return
            self._drop_if_idle(next_key)

    def _drop_if_idle(self, key: str) -> None:
        source = self.sources.get(key)
        if source is not None and not source.inside and not source.waiting:
            del self.sources[key]


class Door:
    """At most ``size`` turns at once per event loop; waiting turns get places source by source.

    A conversation's turns queue for each other *before* the door: Rasa runs them one
    at a time anyway (its conversation lock), so a second turn inside the door would only
    hold a place while it waits for the first. Without this line one client sending many
    messages to one conversation at once (a flood, or a script retrying) could take every
    place and stall every other shopper; with it, that client holds one place.

    Turns waiting for a place are served **round robin by source** (the client address the
    channel put in ``metadata["source"]``, else the conversation): when a place frees, the
    waiting source that got a place longest ago gets it, for its oldest waiting turn. One client opening many
    conversations at once (REST lets it choose sender ids) therefore gets one place per
    rotation, like any other client, instead of every place in arrival order; with a single
    source this is the plain arrival order of before.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a door lets at least one turn through")
        self.size = size
        self._doors: Dict[int, _LoopDoor] = {}

    def _here(self) -> _LoopDoor:
        """The running loop's places, made on first use (futures belong to one loop)."""
        loop = asyncio.get_running_loop()
        door = self._doors.get(id(loop))
        if door is None or door.loop is not loop:
            door = self._doors[id(loop)] = _LoopDoor(loop, self.size)
        return door

    def in_line(self) -> int:
        """Conversations with a turn in flight on the running loop (in line or through the door)."""
        return len(self._here().lines)

    def crowded(self, conversation: str) -> bool:
        """Whether ``conversation`` already has :data:`MAX_WAITING_PER_CONVERSATION` turns
        waiting behind its running one (a new message of it is then answered at once)."""
        _, in_flight = self._here().lines.get(conversation) or (None, 0)
        return in_flight > MAX_WAITING_PER_CONVERSATION

    @asynccontextmanager
    async def enter(self, conversation: str, source: Optional[str] = None) -> AsyncIterator[None]:
        """Wait behind ``conversation``'s earlier turns, then for a place in ``source``'s
        turn (default: the conversation's own); hold both inside."""
        door = self._here()
        line, waiting = door.lines.get(conversation) or (asyncio.Lock(), 0)
        door.lines[conversation] = (line, waiting + 1)
        try:
            async with line:
                key = source or conversation
                await door.take_place(key)
                try:
                    yield
                finally:
                    door.give_place_back(key)
        finally:
            line, waiting = door.lines[conversation]
            if waiting <= 1:
                del door.lines[conversation]
            else:
                door.lines[conversation] = (line, waiting - 1)


def source_of(message: UserMessage) -> Optional[str]:
    """The client a message came from, as its channel wrote it (``metadata["source"]``)."""
    metadata = message.metadata if isinstance(message.metadata, dict) else {}
    source = metadata.get("source")
    return source if isinstance(source, str) and source else None


def install(size: Optional[int] = None) -> Optional[Door]:
    """Put ``Agent.handle_message`` behind a :class:`Door` of ``size`` (default: :func:`limit`).

    Idempotent (a second call keeps the first door); ``0`` installs nothing and returns None.
    """
    current = getattr(Agent.handle_message, _MARK, None)
    if current is not None:
        return current  # type: ignore[no-any-return]
    size = limit() if size is None else size
    if size == 0:
        return None
    door = Door(size)
    original = Agent.handle_message

    async def admitted(self: Agent, message: UserMessage) -> Any:
        conversation = message.sender_id or ""
        if door.crowded(conversation):
            logger.info(
                "event=turn_refused reason=conversation_busy waiting=%d", MAX_WAITING_PER_CONVERSATION
            )
            if message.output_channel is not None:
                await message.output_channel.send_response(
                    conversation, {"text": busy_text(written_language(message.text))}
                )
            return None
        client = source_of(message) or conversation
        token = turn_worker.CLIENT.set(client)  # the turn's steps share the worker by client too
        try:
            async with door.enter(conversation, client):
                return await original(self, message)
        finally:
            turn_worker.CLIENT.reset(token)

    admitted.__doc__ = original.__doc__
    setattr(admitted, _MARK, door)
    setattr(admitted, _ORIGINAL, original)
    Agent.handle_message = admitted  # type: ignore[method-assign]
    logger.info("event=admission_installed max_concurrent_turns=%d", size)
    return door


def uninstall() -> None:
    """Take the door away again (tests)."""
    original = getattr(Agent.handle_message, _ORIGINAL, None)
    if original is not None:
        Agent.handle_message = original  # type: ignore[method-assign]

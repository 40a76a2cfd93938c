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
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Dict, Optional, Tuple

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

from shop import settings as shop_settings

__all__ = ["SETTING", "Door", "install", "limit", "uninstall"]

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


class _LoopDoor:
    """One event loop's places, and the line of each conversation that has a turn in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.places = asyncio.Semaphore(size)
        #: conversation -> (its line, turns of it in flight); an entry lives while one does.
        self.lines: Dict[str, Tuple[asyncio.Lock, int]] = {}


class Door:
    """At most ``size`` conversations' turns at once per event loop; the rest queue in arrival order.

    A conversation's turns also queue for each other *before* the door: Rasa runs them one
    at a time anyway (its conversation lock), so a second turn inside the door would only
    hold a place while it waits for the first. Without this line one client sending many
    messages to one conversation at once (a flood, or a script retrying) could take every
    place and stall every other shopper; with it, that client holds one place.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a door lets at least one turn through")
        self.size = size
        self._doors: Dict[int, _LoopDoor] = {}

    def _here(self) -> _LoopDoor:
        """The running loop's places, made on first use (a semaphore belongs to one loop)."""
        loop = asyncio.get_running_loop()
        door = self._doors.get(id(loop))
        if door is None or door.loop is not loop:
            door = self._doors[id(loop)] = _LoopDoor(loop, self.size)
        return door

    def in_line(self) -> int:
        """Conversations with a turn in flight on the running loop (in line or through the door)."""
        return len(self._here().lines)

    @asynccontextmanager
    async def enter(self, conversation: str) -> AsyncIterator[None]:
        """Wait behind ``conversation``'s earlier turns, then for a place; hold both inside."""
        door = self._here()
        line, waiting = door.lines.get(conversation) or (asyncio.Lock(), 0)
        door.lines[conversation] = (line, waiting + 1)
        try:
            async with line, door.places:
                yield
        finally:
            line, waiting = door.lines[conversation]
            if waiting <= 1:
                del door.lines[conversation]
            else:
                door.lines[conversation] = (line, waiting - 1)


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
        async with door.enter(message.sender_id or ""):
            return await original(self, message)

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

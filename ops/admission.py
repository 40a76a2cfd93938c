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
timed yet. ``0`` turns the door off (Rasa's own behaviour).

The limit is per event loop, so each Sanic worker (``SANIC_WORKERS``) and each replica has
its own door: capacity grows with processes, as the loops do.
"""

from __future__ import annotations

import asyncio
import logging
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


class Door:
    """At most ``size`` holders at once per event loop; the rest queue in arrival order."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a door lets at least one turn through")
        self.size = size
        self._gates: Dict[int, Tuple[asyncio.AbstractEventLoop, asyncio.Semaphore]] = {}

    def gate(self) -> asyncio.Semaphore:
        """The running loop's semaphore, made on first use (a semaphore belongs to one loop)."""
        loop = asyncio.get_running_loop()
        held = self._gates.get(id(loop))
        if held is None or held[0] is not loop:
            held = (loop, asyncio.Semaphore(self.size))
            self._gates[id(loop)] = held
        return held[1]


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
        async with door.gate():
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

"""A channel mounted the way Rasa mounts it, on a real Sanic server on loopback.

Rasa's own ``rasa.core.channels.channel.register`` adds the channel's blueprint under
``/webhooks/``; the server runs its real start/stop listeners. Only the agent is a stand-in.
"""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from rasa.core.channels.channel import InputChannel, register
from sanic import Sanic

from harness.ports import free_port

# Lets Sanic start several apps in one process (it rewrites its protocol class per start).
Sanic.test_mode = True


@asynccontextmanager
async def channel_server(channel: InputChannel, agent: Any, name: str = "channel_test") -> AsyncIterator[str]:
    """Serve ``channel`` with ``agent`` as ``app.ctx.agent``; yields the base URL, then stops it."""
    app = Sanic(f"{name}_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()

"""Warnings a running Rasa server would print once per shopper, about code that is not ours.

Sanic 21's websocket code (the socket.io channel's transport) passes coroutines to
``asyncio.wait``, which Python 3.10 deprecates: the warning is printed for every websocket
connection, so a server's log fills with one identical two-line warning per widget
visitor and the lines an operator needs are lost among them. Nothing here can change that
code (Rasa 3.6 pins Sanic 21) and the call works on 3.10, so exactly that warning from
exactly that module is ignored; every other warning still shows.
"""

from __future__ import annotations

import warnings

#: (message regex, module regex) of each silenced DeprecationWarning.
SILENCED = (
    (
        r"The explicit passing of coroutine objects to asyncio\.wait\(\) is deprecated",
        r"sanic\.server\.websockets\.impl",
    ),
)


def install() -> None:
    """Add the filters (idempotent: ``warnings.filterwarnings`` replaces an equal filter)."""
    for message, module in SILENCED:
        warnings.filterwarnings("ignore", message=message, category=DeprecationWarning, module=module)

"""Keep the loaded model out of Python's full garbage collections in the Rasa server.

After the model is loaded a Rasa process holds millions of long-lived objects (TensorFlow
graphs, spaCy, the domain). Every full (generation 2) collection walks all of them: under a
40-shopper crowd one took 1.7 s, during which the event loop, and so every conversation,
stood still (docs/performance.md). ``gc.freeze()`` once the server has started moves what is
alive then into a permanent generation the collector skips; objects made later are collected
as before. The cost is that frozen objects that die later are never reclaimed, which is fine
for what lives as long as the process (the model). Attached by ops/resilience.py to the REST
channel, which every Rasa server of this assistant loads.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from sanic import Blueprint

logger = logging.getLogger(__name__)


def freeze_long_lived() -> int:
    """Collect once, then freeze everything still alive; the number of objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def attach(bp: Blueprint) -> None:
    """Freeze once the server has started (Rasa loads the model before that, per process)."""

    @bp.listener("after_server_start")
    async def _freeze(app: Any, loop: Any) -> None:
        logger.info("event=gc_freeze objects=%d", freeze_long_lived())

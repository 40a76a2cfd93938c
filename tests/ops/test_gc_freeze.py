"""ops.gc_freeze: the Rasa server freezes what is alive once it has started."""

from __future__ import annotations

import gc

from sanic import Blueprint

from ops import gc_freeze
from ops.resilience import ResilientRestInput


def test_freeze_moves_live_objects_out_of_collections() -> None:
    try:
        frozen = gc_freeze.freeze_long_lived()
        assert frozen > 0
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_rest_channel_freezes_after_the_server_started() -> None:
    async def on_new_message(message: object) -> None:
        return None

    bp = ResilientRestInput().blueprint(on_new_message)  # type: ignore[arg-type]
    events = [future.event for future in bp._future_listeners]
    assert "after_server_start" in events
    assert isinstance(bp, Blueprint)

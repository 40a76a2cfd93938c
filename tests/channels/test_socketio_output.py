"""The widget's socket.io output: texts split like Rasa's, an agent's name and handoff kept."""

from __future__ import annotations

from typing import Any

from channels.socketio_web import WebSocketIOOutput


class RecordingServer:
    """Stands in for python-socketio's AsyncServer: records what would be emitted."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str | None]] = []

    async def emit(self, event: str, data: Any, room: str | None = None, **_: Any) -> None:
        self.emitted.append((event, data, room))


async def test_agent_name_and_handoff_reach_the_widget() -> None:
    sio = RecordingServer()
    out = WebSocketIOOutput(sio, "bot_uttered")
    await out.send_response(
        "s1", {"text": "Ada from our support team has joined the chat.", "agent": "Ada", "handoff": "joined"}
    )
    assert sio.emitted == [
        (
            "bot_uttered",
            {"text": "Ada from our support team has joined the chat.", "agent": "Ada", "handoff": "joined"},
            "s1",
        )
    ]


async def test_bot_texts_stay_plain_and_split_on_blank_lines() -> None:
    sio = RecordingServer()
    out = WebSocketIOOutput(sio, "bot_uttered")
    await out.send_response("s1", {"text": "one\n\ntwo", "timestamp": 1.0, "agent": {"not": "a name"}})
    assert [d for _, d, _ in sio.emitted] == [{"text": "one"}, {"text": "two"}]


async def test_custom_payloads_are_wrapped() -> None:
    sio = RecordingServer()
    out = WebSocketIOOutput(sio, "bot_uttered")
    await out.send_response("s1", {"custom": {"type": "carousel", "products": [{"sku": "A"}]}})
    carousel = {"type": "carousel", "products": [{"sku": "A"}]}
    assert sio.emitted == [("bot_uttered", {"custom": carousel}, "s1")]

"""ops.warm_up: every Rasa server process parses one message per shop language before shoppers do."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Dict, List

import pytest

from harness.stack import Stack
from ops import warm_up
from ops.resilience import ResilientRestInput
from shop import settings as shop_settings

WARM = re.compile(r"event=warm_up en=(\d+\.\d+)s zh=(\d+\.\d+)s")


class RecordingAgent:
    """Just what warm_up reads of a Rasa Agent: whether it is ready and its parse."""

    def __init__(self, ready: bool = True) -> None:
        self.ready = ready
        self.parsed: List[str] = []

    def is_ready(self) -> bool:
        return self.ready

    async def parse_message(self, text: str) -> Dict[str, Any]:
        self.parsed.append(text)
        return {"text": text}


def test_the_running_assistant_warmed_up_each_language_before_freezing(stack: Stack) -> None:
    log = (stack.workdir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    warmed = [m.start() for m in WARM.finditer(log)]
    frozen = [m.start() for m in re.finditer(r"event=gc_freeze", log)]
    assert warmed, "no event=warm_up en=..s zh=..s line in the Rasa server's log"
    assert frozen and len(warmed) == len(frozen), (warmed, frozen)
    assert all(w < f for w, f in zip(warmed, frozen, strict=True)), "the freeze ran before the warm-up"
    assert "event=warm_up_failed" not in log


def test_every_shop_language_has_a_warm_up_text() -> None:
    assert set(shop_settings.load({}).shop_languages) <= set(warm_up.TEXTS)


def test_parses_one_text_per_language_in_order() -> None:
    agent = RecordingAgent()
    took = asyncio.run(warm_up.warm_up(agent, ["zh", "en"]))
    assert agent.parsed == [warm_up.TEXTS["zh"], warm_up.TEXTS["en"]]
    assert list(took) == ["zh", "en"]


def test_an_agent_without_a_model_is_left_alone() -> None:
    agent = RecordingAgent(ready=False)
    assert asyncio.run(warm_up.warm_up(agent, ["en"])) == {}
    assert agent.parsed == []
    assert asyncio.run(warm_up.warm_up(None, ["en"])) == {}


def test_a_language_without_a_text_is_named_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    agent = RecordingAgent()
    with caplog.at_level(logging.WARNING, logger="ops.warm_up"):
        took = asyncio.run(warm_up.warm_up(agent, ["de", "en"]))
    assert list(took) == ["en"]
    assert "event=warm_up_skipped language=de" in caplog.text


def test_the_rest_channel_warms_up_before_it_freezes() -> None:
    async def on_new_message(message: object) -> None:
        return None

    bp = ResilientRestInput().blueprint(on_new_message)  # type: ignore[arg-type]
    started = [f.listener.__qualname__ for f in bp._future_listeners if f.event == "after_server_start"]
    order = [name.rsplit(".", 1)[-1] for name in started]  # attach.<locals>._warm, ..._freeze
    assert order.index("_warm") < order.index("_freeze"), order

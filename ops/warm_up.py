"""Each Rasa server process parses one message per shop language before shoppers arrive.

Loading the model leaves work for the first message of each kind: jieba reads its
dictionary on the first Han text, TensorFlow and the featurizers trace or allocate on the
first parse. Measured after ``make run`` on 2 cores with two Sanic workers, each worker's
first English parse took 0.6-0.75 s and its first Chinese parse 1.1-1.3 s, against about
0.05 s for the next ones: the first shoppers after every start, restart or new replica paid
it. The warm-up runs in ``after_server_start``, before :mod:`ops.gc_freeze` (listeners of one
event run in the order they were attached), so what it loads is frozen with the model too.
Parsing only: no tracker is created, nothing reaches the tracker store or the console.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Optional, Sequence

from sanic import Blueprint

from shop import settings as shop_settings

logger = logging.getLogger(__name__)

#: One message per language that goes through every NLU component: words, an order number, an email.
TEXTS: Dict[str, str] = {
    "en": "hi, where is my order 104523? my email is alex@example.com",
    "zh": "你好，我的订单104523到哪了？邮箱是alex@example.com",
}


async def warm_up(agent: Any, languages: Sequence[str]) -> Dict[str, float]:
    """Parse :data:`TEXTS` of ``languages`` with ``agent``; seconds per language parsed."""
    took: Dict[str, float] = {}
    if agent is None or not agent.is_ready():
        return took
    for language in languages:
        text = TEXTS.get(language)
        if text is None:  # a shop language without a warm-up text: its first shopper pays
            logger.warning("event=warm_up_skipped language=%s reason=no_text", language)
            continue
        started = time.perf_counter()
        await agent.parse_message(text)
        took[language] = time.perf_counter() - started
    return took


def attach(bp: Blueprint, languages: Optional[Sequence[str]] = None) -> None:
    """Warm up once the server has started (the model is loaded then, in every worker)."""

    @bp.listener("after_server_start")
    async def _warm(app: Any, loop: Any) -> None:
        wanted = languages or shop_settings.load().shop_languages
        try:
            took = await warm_up(getattr(app.ctx, "agent", None), wanted)
        except Exception:  # a failed warm-up must not stop the server: shoppers pay it instead
            logger.exception("event=warm_up_failed")
            return
        figures = " ".join(f"{lang}={seconds:.2f}s" for lang, seconds in took.items())
        logger.info("event=warm_up %s", figures or "none")

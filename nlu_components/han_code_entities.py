"""Order numbers, e-mails, coupon codes and amounts inside Chinese text, by their shape.

In English the CRF finds these at 0.97-1.00 (5-fold CV): words around them are spaced and
seen thousands of times. In Chinese they come glued to Han characters (订单号618204怎么还没发货,
我的订单#402716查不到, 预算¥400左右, $80以下的背包, 用SAVE10这个券) and the CRF, trained on far
fewer Chinese contexts, misses some (tests/nlu/test_chinese_parse.py listed them). Their shape
decides them: a six-digit number, an address with ``@``, a currency sign or unit next to a
number, an upper-case code next to 券/码. ``BilingualTokenizer`` already cuts them out as whole
tokens; this adds the entity when no other extractor put one on that span.

Only messages with Han characters are read (English keeps exactly the CRF's entities), and an
entity is added only where none overlaps it, so the CRF's own findings (and their values)
always win. Nothing is trained. Value conventions follow the training data: ``order_id`` is
the six digits (a ``#`` before them is inside the span, as annotated), ``amount`` is the text
as written (``¥400``, ``200块``, ``100美元``).
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Tuple

import regex
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from nlu_components.bilingual_tokenizer import HAN

#: A money unit written after the number (the shapes of data/nlu/zh/entities.yml's amount_shape).
UNIT = r"(?:块钱|块|元|美元|美金|刀|rmb|RMB|usd|USD)"
AMOUNT = regex.compile(
    r"(?<![0-9A-Za-z.])(?:[¥￥$]\s?\d+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?\s?" + UNIT + r")(?![0-9])"
)
#: Six digits, not part of a longer number, an RMA, a postcode (邮编) or an amount.
ORDER_ID = regex.compile(
    r"(?<![0-9A-Za-z.¥￥$-])(?<![Rr][Mm][Aa]-?)(?<!邮编[:：]?\s?)#?(\d{6})(?![0-9.])(?!\s?" + UNIT + ")"
)
EMAIL = regex.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
#: Upper-case letters and digits (4-16, one letter at least), as CONTRACT.md defines coupon_code.
COUPON = regex.compile(r"(?<![A-Za-z0-9@._-])(?=[A-Z0-9]*[A-Z])[A-Z0-9]{4,16}(?![A-Za-z0-9@._-])")
#: A coupon is read only when the message talks about one.
COUPON_CONTEXT = regex.compile(r"券|码|优惠|折扣|兑换|code", regex.IGNORECASE)
#: Upper-case words that are not codes shoppers quote.
NOT_COUPONS = frozenset({"RMB", "USD", "CNY", "NFC", "USB", "LED", "WIFI", "HDMI", "IPHONE"})


def _coupon_like(code: str) -> bool:
    """A shopper's code: has a digit or is six letters at least, and is not an RMA number."""
    if code in NOT_COUPONS or regex.fullmatch(r"RMA\d{6}", code):
        return False
    return any(c.isdigit() for c in code) or len(code) >= 6


def shaped_entities(text: str) -> Iterator[Tuple[str, str, int, int]]:
    """``(entity, value, start, end)`` of every shape in ``text``, amounts before order ids."""
    for match in AMOUNT.finditer(text):
        yield "amount", match.group(), match.start(), match.end()
    for match in EMAIL.finditer(text):
        yield "email", match.group(), match.start(), match.end()
    for match in ORDER_ID.finditer(text):
        yield "order_id", match.group(1), match.start(), match.end()
    if COUPON_CONTEXT.search(text):
        for match in COUPON.finditer(text):
            if _coupon_like(match.group()):
                yield "coupon_code", match.group(), match.start(), match.end()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class HanCodeEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds order_id / email / coupon_code / amount entities the CRF missed in Chinese text."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """``entities``: which of the shapes to add (all four by default)."""
        return {"entities": ["order_id", "email", "coupon_code", "amount"]}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> HanCodeEntityExtractor:
        """The extractor; nothing to load."""
        return cls({**cls.get_default_config(), **config})

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = config
        self.wanted = frozenset(config.get("entities") or ())

    def entities_for(self, text: str, existing: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """The shaped entities of ``text`` that overlap none of ``existing`` (nor each other)."""
        if not HAN.search(text):
            return []
        taken = [
            (int(e[ENTITY_ATTRIBUTE_START]), int(e[ENTITY_ATTRIBUTE_END]))
            for e in existing
            if e.get(ENTITY_ATTRIBUTE_TYPE) != "language"
            and e.get(ENTITY_ATTRIBUTE_START) is not None
            and e.get(ENTITY_ATTRIBUTE_END) is not None
        ]
        added = []
        for entity, value, start, end in shaped_entities(text):
            if entity not in self.wanted or any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            added.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: entity,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    EXTRACTOR: self.name,
                }
            )
        return added

    def process(self, messages: List[Message]) -> List[Message]:
        """Appends the missing shaped entities to each Chinese message."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            existing = list(message.get(ENTITIES, []))
            added = self.entities_for(text, existing)
            if added:
                message.set(ENTITIES, existing + added, add_to_output=True)
        return messages

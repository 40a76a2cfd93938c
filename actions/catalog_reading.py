"""Reading a shopper's product message: their words, the entities, and what they ask for.

English and Chinese words are read alike (``_ZH_*``: the same questions as shoppers type
them in Chinese); English is checked first, so an English message reads as it always did.

Which question (``question_kind``) or which kind of recommendation (``recommend_mode``) is read
from the words here; :mod:`actions.catalog` then makes one catalog or recommender call.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from rasa_sdk import Tracker

__all__ = [
    "MAX_TEXT",
    "anchor_name",
    "entity_values",
    "latest_text",
    "name_words",
    "question_kind",
    "recommend_mode",
]

MAX_TEXT = 500

_COMPARE = re.compile(r"\b(compare|comparison|difference|differ|versus|vs\.?|better)\b", re.I)
_STOCK = re.compile(r"\b(stock|stok|available|availability|sold out|left|have .* in|restock)", re.I)
_SIZES = re.compile(r"\b(sizes?|fit|true to size)\b", re.I)
_COLORS = re.compile(r"\b(colou?rs?)\b", re.I)
_PRICE = re.compile(r"\b(price|prise|cost|how much|on sale|sale|discount|cheap)", re.I)
_SPECS_WORDS = r"specs?|material|made of|fabric|waterproof|washable|weight|heavy|details?|tell me"
_SPECS = re.compile(rf"\b({_SPECS_WORDS}|about|describe|description|rating|good)\b", re.I)
_PAIRS = r"goes? (well )?with|go with|pairs? (well )?with|match(es)? with"
_GOES_WITH = re.compile(rf"\b({_PAIRS}|also bought|bought together|complete the look|accessor)", re.I)
_SIMILAR = re.compile(r"\b(like|similar|alternatives?|instead of|more like)\b", re.I)
_PERSONAL = re.compile(r"\b(for me|my (taste|style|orders|history)|personal|based on what i)\b", re.I)
# The same questions in Chinese (no word boundaries in Han text; the shopper's own words).
_ZH_STOCK = re.compile("库存|有货|有没有货|现货|缺货|卖完|售罄|还有吗|补货|到货")
_ZH_SIZES = re.compile("尺码|尺寸|码数|大小|几码|合身|偏大|偏小")
_ZH_COLORS = re.compile("颜色|顏色|配色|什么色")
_ZH_PRICE = re.compile("价格|价钱|多少钱|几块|贵不贵|便宜|打折|折扣|优惠")
_ZH_SPECS = re.compile("材质|面料|材料|防水|透气|重量|多重|详情|参数|规格|介绍|评分|评价|怎么样|好不好")
_ZH_GOES_WITH = re.compile("搭配|配什么|一起买|配套|配件")
_ZH_SIMILAR = re.compile("类似|相似|差不多|同款|替代|像这")
_ZH_PERSONAL = re.compile("适合我|给我推荐|为我推荐|我的喜好|我的风格|根据我")
_PRONOUNS = frozenset({"", "one", "it", "this", "that", "this one", "that one", "these", "those"})
_ANCHOR = re.compile(
    r"\b(?:more like|similar to|alternatives? to|instead of|goes? (?:well )?with|go with|"
    r"pairs? (?:well )?with|match(?:es)? with|like)\s+(?:the|my|this|that|a|an|your)?\s*"
    r"(?P<name>.+?)(?:\s+(?:but|in|under|below|for|from|not)\b.*|[?.!,]|$)",
    re.I,
)


def latest_text(tracker: Tracker) -> str:
    """The shopper's words (empty for a button payload such as ``/recommend_product{...}``)."""
    text = (tracker.latest_message.get("text") or "").strip()
    return "" if text.startswith("/") else text[:MAX_TEXT]


#: Entities whose words are never part of a product's name.
_NOT_NAME_ENTITIES = frozenset({"size", "color", "amount", "coupon_code", "order_id", "email"})


def name_words(tracker: Tracker) -> str:
    """The shopper's words without sizes, colours, prices and codes: what may name a product.

    "is the nimbus in stock in size 9?" -> "is the nimbus in stock in ?", so a name the NLU
    did not tag is still looked up by its own words.
    """
    raw = tracker.latest_message.get("text") or ""
    if raw.strip().startswith("/"):
        return ""
    spans = sorted(
        (int(e["start"]), int(e["end"]))
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") in _NOT_NAME_ENTITIES
        and isinstance(e.get("start"), int)
        and isinstance(e.get("end"), int)
    )
    merged: List[List[int]] = []
    for start, end in spans:  # two extractors may tag overlapping spans
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        raw = raw[:start] + " " + raw[end:]
    return " ".join(raw.split())[:MAX_TEXT]


def entity_values(tracker: Tracker, name: str) -> List[str]:
    """The distinct values of entity ``name`` in the latest message, in the order found."""
    seen: Dict[str, None] = {}
    for e in tracker.latest_message.get("entities") or []:
        value = e.get("value")
        if e.get("entity") == name and isinstance(value, str) and value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)


def question_kind(text: str, products: int) -> str:
    """compare / stock / sizes / colors / price / specs / overview."""
    if products >= 2 or (_COMPARE.search(text) and products >= 2):
        return "compare"
    if _STOCK.search(text) or _ZH_STOCK.search(text):
        return "stock"
    if _COLORS.search(text) or _ZH_COLORS.search(text):
        return "colors"
    if _SIZES.search(text) or _ZH_SIZES.search(text):
        return "sizes"
    if _PRICE.search(text) or _ZH_PRICE.search(text):
        return "price"
    if _SPECS.search(text) or _ZH_SPECS.search(text):
        return "specs"
    return "overview"


def recommend_mode(text: str, has_product: bool, from_button: bool) -> str:
    """similar / goes_with / personal / search."""
    if from_button and has_product:
        return "similar"
    if _GOES_WITH.search(text) or (has_product and _ZH_GOES_WITH.search(text)):
        return "goes_with"
    if _PERSONAL.search(text) or _ZH_PERSONAL.search(text):
        return "personal"
    if _SIMILAR.search(text) and (has_product or _ANCHOR.search(text)):
        return "similar"
    if has_product and _ZH_SIMILAR.search(text):
        return "similar"
    return "search"


def anchor_name(text: str) -> Optional[str]:
    """The product a "more like X" / "goes with X" names, None for a pronoun ("like this one")."""
    m = _ANCHOR.search(text)
    name = m.group("name").strip() if m else ""
    return None if name.lower() in _PRONOUNS else name or None

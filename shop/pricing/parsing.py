"""What a shopper's words say to pricing: a coupon code, a product name, a size or colour.

The NLU finds entities; these fill in what it missed, from the text itself (``use code
save 10`` -> ``save 10``; ``add the summit fleece jacket in M to my cart`` -> ``summit
fleece jacket``). Nothing here is validated or looked up: codes are normalised and
products resolved by the callers. Product and option matching reads the first 200 characters.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

from shop.catalog_i18n import COLOR_ZH

__all__ = [
    "NOT_CODES",
    "chinese_option_in_text",
    "code_in_text",
    "option_in_text",
    "product_in_text",
    "quantity_in_text",
    "words_in",
]

#: Words after "code"/"apply" that are not a code ("apply my coupon").
NOT_CODES = frozenset(
    "a an the my this that it its your our coupon coupons code codes promo voucher discount "
    "please pls for on to me one some any work works working worked not is isn't doesn't won't "
    "didn't does did do at in of".split()
)
# A lookahead, so "use code X" is seen both after "use" and after "code".
_CODE_AFTER = re.compile(
    r"(?=\b(?:code|coupon|cupon|voucher|promo|apply|aply|use|redeem|try|with)\s+"
    r"(?P<code>[^\s?!.,;:]+(?:\s+\d+(?![^\s?!.,;:]))?))",
    re.IGNORECASE,
)


def code_in_text(text: str, entity: Optional[str] = None) -> Optional[str]:
    """The code a shopper typed: the NLU's ``coupon_code`` entity, completed from the text.

    ``use code save 10`` gives ``save 10`` (normalised later to ``SAVE10``) even when the
    entity stopped at ``save``; with no entity the word after "code"/"apply"/"use" is
    taken; a bare one-word message is taken whole. Nothing is validated here.
    """
    text = text or ""
    if entity:
        entity = str(entity)
        found = re.search(re.escape(entity) + r"\s+(\d+)\b", text, re.IGNORECASE)
        return f"{entity} {found.group(1)}" if found else entity
    for match in _CODE_AFTER.finditer(text):
        candidate = match.group("code")
        if candidate.lower() not in NOT_CODES:
            return candidate
    words = text.split()
    if len(words) == 1 and not words[0].startswith("/"):
        return words[0].strip("?!.,")
    return None


_ADD_WORDS = re.compile(
    r"^\s*(?:please\s+|can you\s+|could you\s+)*(?:add|put)\s+(?:\d+\s+|an?\s+|the\s+|one\s+)*"
    r"|\s+(?:to|in|into)\s+(?:my|the)\s+(?:shopping\s+)?(?:cart|basket|bag)\b.*$"
    r"|\s+(?:in|size)\s+\S+(?:\s+\S+)?\s*$",
    re.IGNORECASE,
)

#: The same in Chinese: 把 … 加入购物车, a size as ``M码`` / ``尺码 M``, a trailing 的.
_ADD_WORDS_ZH = re.compile(
    r"^\s*(?:请|麻烦)?\s*(?:帮我|给我|我要|我想)?\s*(?:把|将)\s*"
    r"|\s*(?:加入|加到|加进|放进|放入|添加到|添加进)\s*(?:我的)?\s*购物车.*$"
    r"|\s*的?\s*(?:尺码|尺寸)?\s*[A-Za-z0-9.]+\s*码\s*的?\s*$"
    r"|\s*(?:尺码|尺寸)\s*[A-Za-z0-9.]+\s*$"
    r"|\s*的\s*$"
)

#: A colour the catalog knows in Chinese at the end of the name (``… 藏青色的``).
_COLOR_WORDS_ZH = re.compile(
    r"\s*(?:"
    + "|".join(sorted({re.escape(a) for v in COLOR_ZH.values() for a in v.split()}, key=len, reverse=True))
    + r")\s*的?\s*$"
)


def product_in_text(text: str) -> Optional[str]:
    """``add the summit fleece jacket in M to my cart`` -> ``summit fleece jacket``;
    ``把 Summit 羽绒夹克 M码加入购物车`` -> ``Summit 羽绒夹克``."""
    name = text[:200]
    for _ in range(3):
        name = _COLOR_WORDS_ZH.sub("", _ADD_WORDS_ZH.sub("", _ADD_WORDS.sub("", name)))
    return name.strip(" ?!.,？！。，") or None


def option_in_text(text: str, options: Sequence[str], after: bool = False) -> Optional[str]:
    """One of ``options`` named in ``text`` (sizes only right after "in"/"size", or as
    ``M码`` / ``尺码 M``)."""
    lowered = text[:200].lower()
    for option in sorted(options, key=len, reverse=True):
        o = re.escape(option.lower())
        pattern = (
            rf"\b(?:in|size)\s+{o}\b|(?:尺码|尺寸)\s*{o}(?![a-z0-9])|(?<![a-z0-9]){o}\s*码"
            if after
            else rf"\b{o}\b"
        )
        if re.search(pattern, lowered):
            return option
    return None


def chinese_option_in_text(text: str, options: Sequence[str]) -> Optional[str]:
    """One of the colour ``options`` named in Chinese (``黑色``, ``海军蓝``: the catalog's
    aliases, :data:`shop.catalog_i18n.COLOR_ZH`); the longest alias wins."""
    head = text[:200]
    found = [
        (len(alias), option)
        for option in options
        for alias in COLOR_ZH.get(option.strip().lower(), "").split()
        if alias in head
    ]
    return max(found)[1] if found else None


def words_in(query: str, name: str) -> bool:
    """Every meaningful word of ``query`` appears in ``name`` ("the fleece" -> "Summit Fleece")."""
    words = [w for w in re.findall(r"[a-z0-9]+", query.lower()) if w not in NOT_CODES]
    name_words = set(re.findall(r"[a-z0-9]+", name.lower()))
    return bool(words) and all(w in name_words for w in words)


_QUANTITY_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_ADD_COUNT = re.compile(r"\b(?:add|put)\s+(\d{1,3}|one|two|three|four|five)\b", re.IGNORECASE)


def quantity_in_text(text: str) -> int:
    """``add 2 ...`` / ``add two ...``: a small leading count, else one (the cart checks it)."""
    found = _ADD_COUNT.search(text[:200])
    if not found:
        return 1
    word = found.group(1).lower()
    return _QUANTITY_WORDS.get(word) or int(word)

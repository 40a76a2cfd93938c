"""A Chinese shopper's query in the catalog's English words, so the English index can answer it.

The catalog index embeds English product texts with all-MiniLM-L6-v2, which reads no
Chinese (a Chinese query finds 6% of what its English twin finds). Instead of a second,
multilingual encoder (multilingual-e5-small, two vectors per product: English recall@10
0.93 and Chinese 0.90, but ~0.2 CPU-s per vector, minutes per fresh index, and 400 MB more
per action server; benchmarks/bench_crosslingual.py), a Chinese query is rewritten before
it is parsed and encoded, and the index stays as it was:

1. **Constraints** in Chinese become the English phrases :func:`shop.catalog_query.parse_query`
   reads: ``100美元以下`` -> ``under $100``, ``50到80块`` -> ``between $50 and $80``,
   ``M码`` / ``尺码M`` / ``大号`` -> ``size M`` / ``size M`` / ``size L``, ``不要黑色`` ->
   ``not black``. Amounts are in the shop's currency whatever the sign (元, 块, ¥, 美元, 刀, $):
   the filter compares numbers, it does not convert.
2. **Words** are matched longest first against the glossary of :mod:`shop.catalog_i18n`
   read backwards (every Chinese synonym -> one English catalog word; a synonym listed
   under several words takes one of those that list it first), plus a few shopper words the
   catalog texts never use (冬天, 小孩, 真皮...) and derived forms (可折叠 -> 折叠, 黑色 -> 黑,
   一千 -> 1000, 两人 -> 2-person). Latin runs (Nimbus, SPF30, type-c) are kept as they are;
   Chinese the glossary does not know (的, 有没有, 推荐) is dropped.
3. ``extra`` pairs (a merchant's ``name_zh`` -> the product's English name) join the glossary,
   so a Chinese name from the import finds its product.

Pure functions over data, deterministic, microseconds per query; nothing is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from shop.catalog_i18n import (
    CATEGORY_ZH,
    COLOR_ZH,
    MATERIAL_ZH,
    WORD_ZH,
    WORD_ZH_BY_CATEGORY,
)

__all__ = ["QUERY_ZH", "glossary", "has_han", "name_aliases", "to_catalog_english"]

HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

#: Shopper words the catalog's own texts never use, so the glossary has no synonym for them.
QUERY_ZH: dict[str, str] = {
    "羽绒服": "down jacket",
    "衣服": "clothing",
    "上衣": "top",
    "鞋": "shoes",
    "袜": "sock",
    "裤": "pants",
    "杯": "cup",
    "鞋子": "shoes",
    "靴子": "boots",
    "靴": "boots",
    "包": "bag",
    "背包": "backpack",
    "冬天": "winter",
    "冬季": "winter",
    "夏天": "summer",
    "夏季": "summer",
    "下雨": "rain",
    "雨天": "rain",
    "小孩": "kids",
    "孩子": "kids",
    "儿童": "kids",
    "宝宝": "kids",
    "男士": "men's",
    "女士": "women's",
    "旅游": "travel",
    "出差": "travel",
    "一家人": "family",
    "全家": "family",
    "羊毛": "wool",
    "真皮": "leather",
    "皮质": "leather",
    "皮革": "leather",
    "数据线": "cable",
    "灯": "lamp",
    "锅": "pan",
    "杯子": "cup",
    "礼物": "gift",
    "轻量": "lightweight",
    "咖啡": "coffee",
    "更便宜": "cheaper",
    "便宜点": "cheaper",
    "便宜一点": "cheaper",
    "便宜些": "cheaper",
}

#: Chinese numerals as shoppers write counts (一千片, 两人, 四人).
_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "双": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = re.compile("[零一二两三四五六七八九十百千]+(?=片|人|件|双|个|升)")
_PERSONS = re.compile(r"(\d{1,2})\s*人")

_CUR = r"(?:美元|美金|刀|元|块钱|块|usd|\$|¥|￥)"
_N = r"(\d{1,9}(?:\.\d{1,2})?)"
_PRE = rf"(?:{_CUR}\s*)?"
_POST = rf"(?:\s*{_CUR})?"
_RANGE = re.compile(rf"{_PRE}{_N}{_POST}\s*(?:到|至|-|~|～|—)\s*{_PRE}{_N}{_POST}(?:之间)?", re.I)
_UNDER_AFTER = re.compile(rf"{_PRE}{_N}{_POST}\s*(?:以下|以内|之内|内)", re.I)
_UNDER_BEFORE = re.compile(
    rf"(?:低于|少于|不超过|不到|不高于|最多|小于|便宜于|预算(?:是|为|在)?)\s*{_PRE}{_N}{_POST}", re.I
)
_OVER_AFTER = re.compile(rf"{_PRE}{_N}{_POST}\s*(?:以上|起)", re.I)
_OVER_BEFORE = re.compile(rf"(?:高于|超过|多于|至少|大于)\s*{_PRE}{_N}{_POST}", re.I)
_AROUND = re.compile(rf"(?:(?:大概|大约|差不多)\s*{_PRE}{_N}{_POST}|{_PRE}{_N}{_POST}\s*左右)", re.I)
_SIZES = r"XXXL|XXL|XL|XS|S|M|L|xxxl|xxl|xl|xs|s|m|l"
_SIZE_AFTER = re.compile(rf"(?<![A-Za-z])({_SIZES}|\d{{1,2}}(?:\.5)?)\s*(?:码|号)(?!码)")
_SIZE_BEFORE = re.compile(
    rf"(?:尺码|尺寸|码数|码子|穿)\s*(?:是|为|要|[:：])?\s*({_SIZES}|\d{{1,2}}(?:\.5)?)(?![A-Za-z\d])"
)
_SIZE_WORDS = {
    "加大号": "XL",
    "加大码": "XL",
    "大号": "L",
    "大码": "L",
    "中号": "M",
    "中码": "M",
    "小号": "S",
    "小码": "S",
}
_NEGATION = r"(?:不要|不想要|除了|不含|别要|别给我|非)"


def has_han(text: str | None) -> bool:
    """Whether ``text`` has a Han character (the sign it needs this module)."""
    return bool(text) and HAN.search(text or "") is not None


_Entry = tuple[int, tuple[bool, bool, int], int, str]


def _add(table: dict[str, _Entry], zh: str, en: str, rank: int, pos: int) -> None:
    """Keep, per synonym, the English word that lists it earliest (``pos``), then the
    preferred word (:func:`_preference`), then the best table (``rank``)."""
    key = zh.lower()
    if not HAN.search(key):
        return  # a Latin synonym (LED, oversize) is English already
    entry = (pos, _preference(en), rank, en)
    if key not in table or entry < table[key]:
        table[key] = entry


@lru_cache(maxsize=1)
def glossary() -> dict[str, str]:
    """Chinese synonym (lower case) -> English catalog words, built once from catalog_i18n."""
    table: dict[str, _Entry] = {}
    sources: list[Mapping[str, str]] = [WORD_ZH, CATEGORY_ZH, MATERIAL_ZH, COLOR_ZH]
    for rank, source in enumerate(sources):
        for en, values in source.items():
            for pos, zh in enumerate(values.split()):
                _add(table, zh, en, rank, pos)
                if zh.startswith("可") and len(zh) > 2:
                    _add(table, zh[1:], en, rank, pos + 1)  # 可折叠 -> 折叠
                if source is COLOR_ZH and len(zh) == 2 and zh.endswith("色"):
                    _add(table, zh[0], en, rank, pos + 1)  # 黑色 -> 黑
    # A word's meaning in one category only counts where no table gives it generally.
    for local in WORD_ZH_BY_CATEGORY.values():
        for en, values in local.items():
            for pos, zh in enumerate(values.split()):
                _add(table, zh, en, len(sources), pos + 10)  # after every general meaning
    out = {zh: entry[3] for zh, entry in table.items()}
    out.update(QUERY_ZH)
    return out


def _preference(en: str) -> tuple[bool, bool, int]:
    """Of the words listing a synonym equally early, one is kept: a category's name first,
    as English shoppers write it (``跑步鞋`` -> ``running shoes``, ``T恤`` -> ``t-shirts``,
    which the English parser takes as the category, as it does for the English query), then
    a category's singular, then the shortest (``袜子`` -> ``socks``, never ``sock 3-pack``).
    """
    return (en not in CATEGORY_ZH, f"{en}s" not in CATEGORY_ZH, len(en))


_HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def name_aliases(products: Iterable[tuple[str, str, str]]) -> tuple[tuple[str, str], ...]:
    """``(name_zh, name, brand)`` -> ``(chinese words, english name)`` pairs for ``extra``.

    Each run of two or more Han characters of a Chinese name stands for the English name
    without its brand (``Acme 神奇小工具`` -> ``神奇小工具``: ``Widget``). A run several
    products share keeps the first product's name. A run the glossary reads in full (the
    demo's names, made from it) is left to the glossary: as an alias it would point a
    common word such as 超轻帐篷 at one product's name.
    """
    out: dict[str, str] = {}
    table, longest = _matcher(())
    for name_zh, name, brand in products:
        english = name
        if brand and name.lower().startswith(brand.lower()):
            english = name[len(brand) :].strip() or name
        if not _unread((name_zh or "").lower(), table, longest):
            continue
        for run in _HAN_RUN.findall(name_zh or ""):
            out.setdefault(run, english)
    return tuple(out.items())


def _unread(text: str, table: Mapping[str, str], longest: int) -> bool:
    """Whether the glossary leaves a Han character of ``text`` unread (the name says more)."""
    i = 0
    while i < len(text):
        n = next((n for n in range(min(longest, len(text) - i), 0, -1) if text[i : i + n] in table), 0)
        if n == 0 and HAN.match(text, i):
            return True
        i += max(n, 1)
    return False


def _numeral(text: str) -> int:
    """一千 -> 1000, 五百 -> 500, 十二 -> 12, 两 -> 2 (small counts only)."""
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (digit or 1) * _UNITS[ch]
            digit = 0
    return total + digit


def _constraints(text: str) -> str:
    """Chinese price, size and colour-exclusion phrases as parse_query's English ones."""
    text = _NUMERAL.sub(lambda m: str(_numeral(m.group(0))), text)
    text = _PERSONS.sub(lambda m: f" {m.group(1)}-person ", text)
    text = _AROUND.sub(lambda m: f" around ${m.group(1) or m.group(2)} ", text)
    text = _RANGE.sub(lambda m: f" between ${m.group(1)} and ${m.group(2)} ", text)
    text = _UNDER_AFTER.sub(lambda m: f" under ${m.group(1)} ", text)
    text = _UNDER_BEFORE.sub(lambda m: f" under ${m.group(1)} ", text)
    text = _OVER_AFTER.sub(lambda m: f" over ${m.group(1)} ", text)
    text = _OVER_BEFORE.sub(lambda m: f" over ${m.group(1)} ", text)
    text = _SIZE_AFTER.sub(lambda m: f" size {m.group(1).upper()} ", text)
    text = _SIZE_BEFORE.sub(lambda m: f" size {m.group(1).upper()} ", text)
    for word, size in _SIZE_WORDS.items():
        text = text.replace(word, f" size {size} ")
    return _negated_colours(text)


@lru_cache(maxsize=1)
def _colour_forms() -> tuple[re.Pattern[str], dict[str, str]]:
    forms: dict[str, str] = {}
    for en, values in COLOR_ZH.items():
        for zh in values.split():
            forms.setdefault(zh, en)
            if len(zh) == 2 and zh.endswith("色"):
                forms.setdefault(zh[0], en)
    alt = "|".join(sorted(map(re.escape, forms), key=len, reverse=True))
    one = rf"(?:{alt})(?:的)?"
    joiner = r"\s*(?:、|,|，|和|或|或者|跟|/)\s*"
    pattern = re.compile(rf"{_NEGATION}\s*(?:的)?(?:颜色)?\s*({one}(?:{joiner}{one})*)")
    return pattern, forms


def _negated_colours(text: str) -> str:
    pattern, forms = _colour_forms()
    alt = "|".join(sorted(map(re.escape, forms), key=len, reverse=True))

    def repl(m: re.Match[str]) -> str:
        colours = [forms[c] for c in re.findall(alt, m.group(1))]
        return " not " + " or ".join(dict.fromkeys(colours)) + " "

    return pattern.sub(repl, text)


@lru_cache(maxsize=8)
def _matcher(extra: tuple[tuple[str, str], ...]) -> tuple[dict[str, str], int]:
    table = dict(glossary())
    for zh, en in extra:
        key = zh.strip().lower()
        if key and HAN.search(key):
            table.setdefault(key, en)  # the glossary's own words keep their meaning
    return table, max(map(len, table), default=1)


def _word_char(c: str) -> bool:
    """An ASCII letter or digit: a Latin key must not start or end inside a Latin word."""
    return len(c) == 1 and c.isascii() and c.isalnum()


_LATIN = re.compile(r"[A-Za-z0-9$][A-Za-z0-9$.'+/\-]*")


def to_catalog_english(text: str, extra: Iterable[tuple[str, str]] = ()) -> str:
    """``下雨天穿的防水外套，100美元以下，不要黑色`` -> ``rain waterproof jackets under $100 not black``.

    ``extra`` adds ``(chinese, english)`` pairs (the catalog's own ``name_zh`` values), matched
    like the glossary. Text without Han characters is returned unchanged.
    """
    if not has_han(text):
        return text
    table, longest = _matcher(tuple(extra))
    text = _constraints(text)
    lowered = text.lower()
    out: list[str] = []
    i = 0
    while i < len(text):
        hit = None
        if HAN.match(text, i) or (_word_char(text[i]) and not _word_char(text[i - 1 : i])):
            for n in range(min(longest, len(text) - i), 0, -1):
                key = lowered[i : i + n]
                if key in table and not (_word_char(key[-1]) and _word_char(lowered[i + n : i + n + 1])):
                    hit = key
                    break
        if hit is not None:
            out.append(table[hit])
            i += len(hit)
            continue
        latin = _LATIN.match(text, i)
        if latin:
            out.append(latin.group(0))
            i = latin.end()
            continue
        i += 1  # Chinese the glossary does not know, punctuation, spaces
    return " ".join(out)

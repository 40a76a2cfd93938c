"""Turn a shopper's free text into a search text plus filters.

"waterproof jacket under $80 in M, not black" ->
``ParsedQuery(text="waterproof jacket", filters=Filters(max_price=80.00, size="M",
exclude_colors=("black",)))``. Never raises on odd input: a negative or absurd price is
ignored with a note, min > max is swapped, and the message and number of constraints are
bounded so a 500-constraint message costs no more than a normal one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Iterable

from shop.catalog_zh import has_han, to_catalog_english
from shop.money import quantize

CENT = Decimal("0.01")
MAX_MESSAGE_CHARS = 500
MAX_EXCLUDED_COLORS = 8
MAX_PRICE = Decimal("1000000")

DEFAULT_COLORS: tuple[str, ...] = (
    "black",
    "white",
    "grey",
    "gray",
    "red",
    "blue",
    "navy",
    "green",
    "olive",
    "yellow",
    "orange",
    "pink",
    "purple",
    "brown",
    "beige",
    "tan",
    "khaki",
    "silver",
    "gold",
    "teal",
    "burgundy",
    "maroon",
    "cream",
    "charcoal",
    "turquoise",
    "lavender",
    "coral",
    "ivory",
)
LETTER_SIZES: tuple[str, ...] = ("XXXL", "XXL", "XL", "XS", "S", "M", "L")
SIZE_WORDS: dict[str, str] = {
    "extra small": "XS",
    "extra large": "XL",
    "x-large": "XL",
    "xx-large": "XXL",
    "small": "S",
    "medium": "M",
    "large": "L",
}


def canonical_size(value: str | None) -> str | None:
    """A size as the catalog writes it: "size m" / "in medium" / "xl" -> "M" / "M" / "XL"."""
    if not value:
        return None
    words = " ".join(value.split()).lower()
    for prefix in ("in ", "size ", "a ", "an "):
        if words.startswith(prefix):
            words = words[len(prefix) :]
    words = words.removeprefix("size ").strip()
    if not words or words == "size":
        return None
    return SIZE_WORDS.get(words, words.upper())


@dataclass(frozen=True)
class Filters:
    """Constraints on recommended products; in-stock is always required, so not a field."""

    min_price: Decimal | None = None
    max_price: Decimal | None = None
    size: str | None = None
    color: str | None = None
    exclude_colors: tuple[str, ...] = ()
    category: str | None = None

    def is_empty(self) -> bool:
        """Whether no constraint is set (in stock still applies)."""
        return self == Filters()


@dataclass(frozen=True)
class ParsedQuery:
    """A message split into the words to search for, the filters, and notes for the shopper."""

    text: str
    filters: Filters = field(default_factory=Filters)
    notes: tuple[str, ...] = ()
    #: "cheaper"/"less expensive" without an amount: cap at the anchor product's price.
    cheaper: bool = False


_NUM = r"-?\s*\$?\s*-?\s*\d{1,12}(?:[.,]\d{1,2})?(?:\s*k(?![a-z]))?(?!\w)"
_AMT = rf"(?P<{{name}}>\$\s*{_NUM}|{_NUM}\s*(?:\$|dollars?|usd|bucks)?)"


def _amt(name: str) -> str:
    return _AMT.replace("{name}", name)


_BETWEEN = re.compile(rf"\b(?:between|from)\s+{_amt('a')}\s*(?:and|to|-)\s*{_amt('b')}", re.I)
_RANGE = re.compile(rf"(?P<a>\$\s*\d{{1,9}}(?:\.\d{{1,2}})?)\s*(?:-|to)\s*{_amt('b')}", re.I)
_AT_MOST = r"under|below|less\s+than|cheaper\s+than|up\s+to|no\s+more\s+than|not\s+more\s+than|at\s+most"
_AT_MOST += r"|max(?:imum)?|within|budget(?:\s+(?:of|is))?|for\s+less\s+than"
_MAX = re.compile(rf"(?:\b(?:{_AT_MOST})|<|<=)\s*{_amt('a')}", re.I)
_MIN = re.compile(
    rf"(?:\b(?:over|above|more\s+than|at\s+least|min(?:imum)?|starting\s+at)|>|>=)\s*{_amt('a')}", re.I
)
_AROUND = re.compile(rf"(?:\b(?:around|about|approximately|roughly)|~)\s*{_amt('a')}", re.I)
_BARE_MONEY = re.compile(r"(?:\$\s*-?\s*\d[\d.,]*|-?\s*\d[\d.,]*\s*(?:dollars?|usd|bucks)\b)", re.I)
_SIZE_NAMES = r"extra\s+small|extra\s+large|small|medium|large"
#: "size m", "size 9.5", "size medium" (any case).
_SIZE_EXPLICIT = re.compile(
    rf"\b(?:in\s+)?size\s+(?P<s>xxxl|xxl|xl|xs|s|m|l|\d{{1,2}}(?:\.5)?|{_SIZE_NAMES})\b", re.I
)
#: "in M", "in xl", "in a medium": single letters only in capitals ("in s" is not a size).
_SIZE_IN = re.compile(
    rf"\bin\s+(?:an?\s+)?(?P<s>XXXL|XXL|XL|XS|S|M|L|xxxl|xxl|xl|xs|x-large|xx-large|{_SIZE_NAMES})\b"
)
_SIZE_BARE = re.compile(r"(?<![\w'’-])(?P<s>XXXL|XXL|XL|XS|S|M|L)(?![\w'’-])")


def _parse_amount(raw: str) -> Decimal | None | str:
    """Decimal amount, or an error word ("negative", "invalid")."""
    s = raw.lower().replace("dollars", "").replace("dollar", "").replace("usd", "")
    s = s.replace("bucks", "").replace("$", "").replace(" ", "")
    mult = Decimal(1)
    if s.endswith("k"):
        mult, s = Decimal(1000), s[:-1]
    if s.startswith("-"):
        return "negative"
    if "," in s and "." not in s and len(s.split(",")[-1]) == 2:
        s = s.replace(",", ".")
    s = s.replace(",", "")
    try:
        value = Decimal(s) * mult
    except InvalidOperation:
        return "invalid"
    if not value.is_finite() or value > MAX_PRICE:
        return "invalid"
    return quantize(value)


def _norm_color(c: str) -> str:
    c = c.lower()
    return "grey" if c == "gray" else c


def parse_query(
    message: str | None,
    colors: Iterable[str] = (),
    categories: Iterable[str] = (),
    aliases: Iterable[tuple[str, str]] = (),
) -> ParsedQuery:
    """Split ``message`` into search text and :class:`Filters`.

    ``colors`` and ``categories`` extend the vocabularies (pass the catalog's own). A
    message with Han characters is first put in the catalog's English words
    (:func:`shop.catalog_zh.to_catalog_english`, with ``aliases``: Chinese names -> English
    names), so ``100美元以下的黑色跑鞋`` parses as ``black running shoes under $100`` does.
    """
    notes: list[str] = []
    text = (message or "").replace("\n", " ")
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS]
        notes.append(f"only the first {MAX_MESSAGE_CHARS} characters were read")
    if has_han(text):
        text = to_catalog_english(text, aliases)
        if len(text) > MAX_MESSAGE_CHARS:  # English words are longer than the Chinese ones
            text = text[:MAX_MESSAGE_CHARS].rsplit(" ", 1)[0]
    mins: list[Decimal] = []
    maxs: list[Decimal] = []
    bad_price = False

    def take(raw: str) -> Decimal | None:
        nonlocal bad_price
        v = _parse_amount(raw)
        if isinstance(v, str):
            bad_price = True
            return None
        return v

    def cut(m: re.Match[str]) -> str:
        return " "

    def between(m: re.Match[str]) -> str:
        a, b = take(m.group("a")), take(m.group("b"))
        if a is not None and b is not None:
            mins.append(min(a, b))
            maxs.append(max(a, b))
        return " "

    def upper(m: re.Match[str]) -> str:
        a = take(m.group("a"))
        if a is not None:
            maxs.append(a)
        return " "

    def lower(m: re.Match[str]) -> str:
        a = take(m.group("a"))
        if a is not None:
            mins.append(a)
        return " "

    def around(m: re.Match[str]) -> str:
        a = take(m.group("a"))
        if a is not None:
            mins.append(quantize(a * Decimal("0.8")))
            maxs.append(quantize(a * Decimal("1.2")))
        return " "

    text = _BETWEEN.sub(between, text)
    text = _RANGE.sub(between, text)
    text = _MAX.sub(upper, text)
    text = _MIN.sub(lower, text)
    text = _AROUND.sub(around, text)

    def bare(m: re.Match[str]) -> str:
        # A price with no "under"/"over": "a $50 gift" reads as a budget.
        a = take(m.group(0))
        if a is not None:
            maxs.append(a)
        return " "

    text = _BARE_MONEY.sub(bare, text)
    if bad_price:
        notes.append("ignored a price that was negative or not a number")

    min_price = max(mins) if mins else None
    max_price = min(maxs) if maxs else None
    if min_price is not None and max_price is not None and min_price > max_price:
        min_price, max_price = max_price, min_price
        notes.append("the price bounds were the wrong way round; swapped them")
    if max_price is not None and max_price <= 0:
        max_price = None
        notes.append("ignored a maximum price of zero")

    sizes: list[str] = []

    def size(m: re.Match[str]) -> str:
        found = canonical_size(m.group("s"))
        if found:
            sizes.append(found)
        return " "

    text = _SIZE_EXPLICIT.sub(size, text)
    text = _SIZE_IN.sub(size, text)
    text = _SIZE_BARE.sub(size, text)

    vocab = {_norm_color(c) for c in DEFAULT_COLORS}
    vocab |= {_norm_color(c) for c in colors if c and len(c) <= 30}
    alternation = "|".join(sorted((re.escape(c) for c in vocab | {"gray"}), key=len, reverse=True))
    neg = re.compile(
        rf"\b(?:not|no|except|excluding|without|avoid|anything\s+but|but\s+not|nothing)\s+(?:in\s+)?"
        rf"(?P<c>(?:{alternation})(?:\s*(?:,|/|or|and|nor)\s*(?:{alternation}))*)\b",
        re.I,
    )
    excluded: list[str] = []

    def negate(m: re.Match[str]) -> str:
        for c in re.findall(alternation, m.group("c"), re.I):
            c = _norm_color(c)
            if c not in excluded:
                excluded.append(c)
        return " "

    text = neg.sub(negate, text)
    if len(excluded) > MAX_EXCLUDED_COLORS:
        notes.append(f"kept only the first {MAX_EXCLUDED_COLORS} excluded colours")
        excluded = excluded[:MAX_EXCLUDED_COLORS]
    wanted = [_norm_color(c) for c in re.findall(rf"\b(?:{alternation})\b", text, re.I)]
    wanted = [c for c in wanted if c not in excluded]
    color = wanted[0] if wanted else None
    if color:
        text = re.sub(rf"\b(?:in\s+)?{re.escape(color)}\b", " ", text, count=1, flags=re.I)

    category = None
    lowered = f" {text.lower()} "
    for cat in sorted({c for c in categories if c}, key=len, reverse=True):
        forms = {cat.lower(), cat.lower().rstrip("s"), cat.lower() + "s"}
        if any(re.search(rf"\b{re.escape(f)}\b", lowered) for f in forms if f):
            category = cat
            break

    cheaper = bool(re.search(r"\b(?:cheaper|less\s+expensive|lower\s+price|budget)\b", text, re.I))
    if cheaper:
        text = re.sub(r"\b(?:but\s+)?(?:cheaper|less\s+expensive)\b", " ", text, flags=re.I)
    text = re.sub(r"[,;!?]+|\.(?!\d)", " ", text)
    text = re.sub(r"\b(?:and|or|in|but)\s*$", " ", text.strip(), flags=re.I)
    text = " ".join(text.split())
    filters = Filters(
        min_price=min_price,
        max_price=max_price,
        size=sizes[0] if sizes else None,
        color=color,
        exclude_colors=tuple(excluded),
        category=category,
    )
    return ParsedQuery(text=text, filters=filters, notes=tuple(notes), cheaper=cheaper)


def with_filters(base: Filters, **changes: object) -> Filters:
    """``base`` with some fields replaced (e.g. slots from the tracker)."""
    return replace(base, **changes)  # type: ignore[arg-type]

"""Every sentence the assistant's actions say, per language, in one message catalogue.

A catalogue (:mod:`shop.messages.en`, :mod:`shop.messages.zh`) maps a key to a
``str.format`` template; :func:`text` fills it. Both catalogues have the same keys and the
same ``{placeholders}`` (``tests/shop/test_messages.py`` checks). Amounts, days and counts
put into a template are formatted here for the language's Babel locale
(:func:`shop.language.locale_for`: en -> en_US, zh -> zh_Hans_CN), so a sentence and the
money in it never disagree on the language: ``$59.99`` / ``US$59.99``, ``Tue 4 Jun 2024`` /
``2024年6月4日周二``.

A language without a catalogue (a shop that enables ``de``) is answered in English
(:data:`FALLBACK`), with English formats, rather than with a mixture.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping, Optional

from babel.numbers import format_decimal

from shop.clock import format_local_date
from shop.language import locale_for
from shop.messages import en, zh
from shop.money import DEFAULT_CURRENCY, MoneyInput, format_money

__all__ = [
    "CATALOGUES",
    "FALLBACK",
    "FORMAT_ONLY",
    "catalogue_language",
    "date_text",
    "day",
    "join",
    "locale",
    "money",
    "number",
    "plural",
    "text",
    "variants",
]

FALLBACK = "en"

#: Language code -> its catalogue (key -> template).
CATALOGUES: Mapping[str, Mapping[str, str]] = {"en": en.MESSAGES, "zh": zh.MESSAGES}

#: Keys whose templates are layout only (separators, ``{name} ({variant})``, a bullet): the
#: only ones a non-English catalogue may write without words of its language (and then
#: without any Latin letters outside the placeholders).
FORMAT_ONLY = frozenset(k for k in en.MESSAGES if k.startswith("fmt.")) | {
    "tracking.scan_place",
    "product.label",
    "product.label_variant",
    "product.called",
    "compare.row",
    "recommend.filters",
    "recommend.heading",
    "carousel.line",
    "cart.line",
    "cart.discount",
    "cart.discount_label",
    "cart.variant",
    "coupon.where_item",
    "deals.line",
    "deals.titled_line",
}


def catalogue_language(lang: Optional[str]) -> str:
    """``lang`` when it has a catalogue, else :data:`FALLBACK`."""
    return lang if lang is not None and lang in CATALOGUES else FALLBACK


def locale(lang: Optional[str]) -> str:
    """The Babel locale the language's catalogue is formatted with (en_US, zh_Hans_CN)."""
    return locale_for(catalogue_language(lang))


def text(key: str, lang: Optional[str], **params: Any) -> str:
    """The template ``key`` in ``lang`` (English when ``lang`` has none), filled with ``params``.

    Raises KeyError for a key no catalogue has: a typo must fail a test, not reach a shopper.
    """
    template = CATALOGUES[catalogue_language(lang)].get(key)
    if template is None:
        template = CATALOGUES[FALLBACK][key]
    return template.format(**params) if params else template.format()


def plural(key: str, count: int, lang: Optional[str], **params: Any) -> str:
    """``key.one`` for a count of 1, else ``key.other``; ``{n}`` is the count (locale digits)."""
    return text(f"{key}.{'one' if count == 1 else 'other'}", lang, n=number(count, lang), **params)


def variants(key: str) -> tuple[str, ...]:
    """The template ``key`` in every catalogue: how to recognise it whatever the language."""
    return tuple(dict.fromkeys(c[key] for c in CATALOGUES.values() if key in c))


def join(kind: str, items: Any, lang: Optional[str]) -> str:
    """``items`` joined by the language's separator ``fmt.<kind>`` (``list``: ``; `` / ``；``).

    Sentences in a language that writes them without spaces still get one after a part
    that ends in Latin script (a product description from the catalog, in English).
    """
    sep = text(f"fmt.{kind}", lang)
    parts = [str(i) for i in items]
    if kind != "sentence" or sep:
        return sep.join(parts)
    out = ""
    for part in parts:
        out += (" " if out and out[-1].isascii() and not out[-1].isspace() else "") + part
    return out


def money(amount: MoneyInput, lang: Optional[str], currency: str = DEFAULT_CURRENCY) -> str:
    """An amount in ``currency`` as the language writes it: ``$1,234.50``, ``US$1,234.50``."""
    return format_money(amount, currency, locale(lang))


def day(value: Optional[date | datetime], lang: Optional[str]) -> str:
    """An order, delivery or scan day with its weekday; ``day.unknown`` when not known yet."""
    if value is None:
        return text("day.unknown", lang)
    return format_local_date(value, locale(lang), weekday=True)


def date_text(value: date | datetime, lang: Optional[str]) -> str:
    """A date in a sentence: ``4 June 2024``, ``2024年6月4日``."""
    return format_local_date(value, locale(lang))


def number(value: int | Decimal, lang: Optional[str]) -> str:
    """A count or rating as the locale writes numbers (``1,200``; ``4.5``)."""
    return str(format_decimal(value, locale=locale(lang)))

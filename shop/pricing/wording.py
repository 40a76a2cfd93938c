"""How an offer is put in words: ``10% off Outdoor``, ``$5.00 off when you spend $50.00``.

The engine labels each discount with these, and the deals list and a code's terms reuse
them, so a shopper reads the same description in the cart, in ``ask_discounts`` and at
checkout. Every phrase is a template of the message catalogue (``shop.messages``, keys
``offer.*``) in the shopper's language; amounts and dates are formatted for its locale
(English: :func:`shop.money.format_money` / :func:`shop.clock.format_date`, as before).
Category names are the catalog's, in Chinese through :data:`shop.catalog_i18n.CATEGORY_ZH`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

from shop import messages as m
from shop.catalog_i18n import CATEGORY_ZH
from shop.clock import format_date
from shop.money import MoneyInput, format_money, to_decimal
from shop.pricing.allocation import clamp_percent
from shop.pricing.model import Coupon, CouponKind, Promotion, PromotionKind, Scope

__all__ = [
    "category_name",
    "describe_coupon",
    "describe_promotion",
    "describe_scope",
    "format_percent",
    "free_shipping_over",
    "money_in",
    "scope_text_in",
    "until",
]


def format_percent(percent: MoneyInput) -> str:
    """``10`` -> ``10%``, ``12.5`` -> ``12.5%`` (no trailing zeros, no rounding)."""
    p = to_decimal(percent)
    text = format(p.normalize(), "f") if p != p.to_integral_value() else str(int(p))
    return f"{text}%"


def money_in(amount: MoneyInput, currency: str, lang: str = "en") -> str:
    """An amount as ``lang`` writes it; English exactly as :func:`format_money` does."""
    return format_money(amount, currency) if lang == "en" else m.money(amount, lang, currency)


def until(ends_at: Optional[datetime], lang: str = "en") -> str:
    """``, until 12 June 2024`` (``，有效期至 2024年6月12日``), or "" without an end."""
    if ends_at is None:
        return ""
    day = format_date(ends_at) if lang == "en" else m.date_text(ends_at, lang)
    return m.text("offer.until", lang, day=day)


def category_name(category: str, lang: str = "en") -> str:
    """A category as ``lang`` names it: the catalog's word, its first Chinese alias for zh."""
    if lang == "zh":
        aliases = CATEGORY_ZH.get(category.strip().lower(), "").split()
        if aliases:
            return aliases[0]
    return category


def describe_scope(scope: Scope, lang: str = "en") -> str:
    """``Outdoor``, ``Outdoor and Shoes``, ``selected items`` or ``everything`` in ``lang``."""
    if lang == "en":
        return scope.describe()
    if scope.include_products:
        return m.text("offer.scope.selected", lang)
    if scope.include_categories:
        return m.join("comma", (category_name(c, lang) for c in sorted(scope.include_categories)), lang)
    if scope.exclude_products or scope.exclude_categories:
        return m.text("offer.scope.eligible", lang)
    return m.text("offer.scope.everything", lang)


def free_shipping_over(threshold: MoneyInput, currency: str, lang: str = "en") -> str:
    """``free shipping on orders over $75.00``: the shop's own shipping waiver."""
    return m.text("offer.free_shipping_over", lang, threshold=money_in(threshold, currency, lang))


def describe_promotion(p: Promotion, currency: str, lang: str = "en") -> str:
    """What an automatic promotion takes off, in a few words."""
    scope = describe_scope(p.scope, lang)
    if p.kind is PromotionKind.PERCENTAGE:
        return m.text("offer.percent_off", lang, percent=format_percent(clamp_percent(p.value)), scope=scope)
    if p.kind is PromotionKind.BUY_X_GET_Y:
        return m.text("offer.buy_get", lang, buy=p.buy_quantity, get=p.get_quantity, scope=scope)
    if p.kind is PromotionKind.FIXED:
        return m.text("offer.fixed_off", lang, amount=money_in(p.value, currency, lang), scope=scope)
    if p.kind is PromotionKind.SPEND_THRESHOLD:
        amount = money_in(p.value, currency, lang)
        threshold = money_in(p.min_subtotal or Decimal(0), currency, lang)
        if scope == m.text("offer.scope.everything", lang):
            return m.text("offer.spend_off", lang, amount=amount, threshold=threshold)
        return m.text("offer.spend_off_on", lang, amount=amount, threshold=threshold, scope=scope)
    return m.text("offer.free_shipping", lang)


def describe_coupon(c: Coupon, currency: str, lang: str = "en") -> str:
    """What a coupon takes off, in a few words (its conditions are the sentence's job)."""
    if c.kind is CouponKind.PERCENTAGE:
        return m.text(
            "offer.percent_off",
            lang,
            percent=format_percent(clamp_percent(c.value)),
            scope=describe_scope(c.scope, lang),
        )
    if c.kind is CouponKind.FIXED:
        return m.text(
            "offer.fixed_off",
            lang,
            amount=money_in(c.value, currency, lang),
            scope=describe_scope(c.scope, lang),
        )
    return m.text("offer.free_shipping", lang)


def scope_text_in(text: str, lang: str = "en") -> str:
    """A :meth:`Scope.describe` text (``Outdoor and Shoes``, ``everything``) said in ``lang``.

    A refusal keeps the English text in its parameters (an interface); this words it again.
    """
    if lang == "en":
        return text
    fixed = {"everything": "everything", "selected items": "selected", "eligible items": "eligible"}
    if text in fixed:
        return m.text(f"offer.scope.{fixed[text]}", lang)
    head, _, last = text.rpartition(" and ")
    names = [*head.split(", "), last] if head else [text]
    return m.join("comma", (category_name(n, lang) for n in names), lang)

"""What the assistant says about codes, deals and the cart, in the shopper's language.

The sentences of :mod:`shop.pricing.replies`, from the message catalogue (``shop.messages``),
with money in the language's locale. A refused code is said from its reason and parameters
(:class:`shop.pricing.model.Rejection`), so its words follow the language too; the English
catalogue says exactly what the rejection's own ``message`` says (tests compare them).
Discount descriptions, offer sentences and a code's terms are ``shop.pricing``'s own
(:mod:`shop.pricing.wording`), asked for in the shopper's language.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional

from shop import messages as m
from shop.catalog_rows import display_name
from shop.money import DEFAULT_CURRENCY
from shop.pricing.carts import MAX_LINE_QUANTITY
from shop.pricing.chat import CartChange, CodeResult
from shop.pricing.model import Quote, Rejection
from shop.pricing.offers import OfferView, coupon_sentence
from shop.pricing.wording import scope_text_in

__all__ = ["change_text", "code_result_text", "offers_text", "quote_text", "rejection_text"]

#: Refusal reasons the catalogue words as ``coupon.rejected.<reason>``.
REJECTION_REASONS = (
    "unknown_code",
    "inactive",
    "not_started",
    "expired",
    "limit_reached",
    "already_used_by_customer",
    "sign_in_required",
    "first_order_only",
    "min_subtotal_not_met",
    "min_quantity_not_met",
    "no_eligible_items",
    "not_combinable",
    "too_many_attempts",
)


def _day(raw: Any, lang: str) -> str:
    value = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    return m.date_text(value, lang)


def rejection_text(r: Rejection, lang: str = "en", currency: str = DEFAULT_CURRENCY) -> str:
    """Why a code was refused, from its reason and parameters; its own message if unknown."""
    if r.reason not in REJECTION_REASONS:
        return r.message
    p: Mapping[str, Any] = r.params
    key = f"coupon.rejected.{r.reason}"
    try:
        if r.reason in ("not_started", "expired"):
            field = "starts_at" if r.reason == "not_started" else "expired_at"
            return m.text(key, lang, code=r.code, day=_day(p[field], lang))
        if r.reason == "already_used_by_customer":
            return m.text(key, lang, code=r.code, times=m.plural("times", int(p["limit"]), lang))
        if r.reason == "min_subtotal_not_met":
            minimum = m.money(Decimal(str(p["min_subtotal"])), lang, currency)
            missing = m.money(Decimal(str(p["missing"])), lang, currency)
            return m.text(key, lang, code=r.code, minimum=minimum, missing=missing)
        if r.reason == "min_quantity_not_met":
            more = m.plural("more_items", int(p["missing"]), lang)
            return m.text(key, lang, code=r.code, minimum=m.number(int(p["min_quantity"]), lang), more=more)
        if r.reason == "no_eligible_items":
            return m.text(key, lang, code=r.code, applies_to=scope_text_in(str(p["applies_to"]), lang))
        if r.reason == "not_combinable":
            return m.text(key, lang, code=r.code, kept=p["kept"])
        if r.reason == "too_many_attempts":
            return m.text(key, lang, wait=m.plural("minutes", int(p["retry_after_minutes"]), lang))
        return m.text(key, lang, code=r.code)
    except (KeyError, TypeError, ValueError):  # parameters not as documented: its own words
        return r.message


def quote_text(
    q: Quote,
    labels: Optional[Dict[str, str]] = None,
    lang: str = "en",
    names: Optional[Dict[str, str]] = None,
) -> str:
    """The lines of a priced cart, every discount explained, then the totals.

    ``names``: ``sku -> name`` in ``lang`` (:meth:`PricingChat.display_names`); else the line's.
    """
    cur = q.currency
    rows = []
    for line in q.lines:
        variant = (labels or {}).get(line.line.sku, "")
        shown = (names or {}).get(line.line.sku, line.line.name)
        name = m.text("fmt.with_variant", lang, name=shown, variant=variant) if variant else shown
        price = m.money(line.base, lang, cur)
        rows.append(
            m.text("cart.line", lang, quantity=m.number(line.line.quantity, lang), name=name, price=price)
        )
    rows += [m.text("cart.discount", lang, text=text) for text in _explain(q, lang)]
    shipping = m.text("cart.free", lang) if q.shipping_total == 0 else m.money(q.shipping_total, lang, cur)
    totals = m.text("cart.subtotal", lang, amount=m.money(q.subtotal, lang, cur))
    if q.discount_total:
        totals += m.text("cart.discounts", lang, amount=m.money(q.discount_total, lang, cur))
    totals += m.text("cart.shipping", lang, amount=shipping)
    if q.tax:
        totals += m.text("cart.tax", lang, amount=m.money(q.tax, lang, cur))
    totals += m.text("cart.total", lang, amount=m.money(q.total, lang, cur))
    return "\n".join(rows + [totals])


def _explain(q: Quote, lang: str) -> List[str]:
    """:meth:`Quote.explain` in ``lang``: ``SAVE10: -$5.00, 10% off Outdoor`` per discount."""
    if lang == "en":
        return q.explain()
    return [
        m.text(
            "cart.discount_label",
            lang,
            name=m.text("offer.free_shipping_name", lang) if d.source == "shipping" else d.name,
            amount=m.money(d.amount, lang, d.currency),
            what=d.description_in(lang),
        )
        for d in q.discounts
        if d.amount > 0 or d.source == "coupon"
    ]


def code_result_text(
    result: CodeResult,
    labels: Optional[Dict[str, str]] = None,
    lang: str = "en",
    names: Optional[Dict[str, str]] = None,
) -> str:
    """The answer to a code: why it was refused, its terms, or what it saves on the cart."""
    if result.status in ("throttled", "rejected"):
        assert result.rejection is not None
        currency = result.quote.currency if result.quote is not None else DEFAULT_CURRENCY
        return rejection_text(result.rejection, lang, currency)
    if result.status == "terms":
        terms = result.terms
        if result.coupon is not None and lang != "en":
            currency = result.quote.currency if result.quote is not None else DEFAULT_CURRENCY
            terms = coupon_sentence(result.coupon, currency, lang)
        return m.text("coupon.terms", lang, terms=terms)
    assert result.quote is not None and result.before is not None
    q, before = result.quote, result.before
    where = (
        m.text("coupon.where_item", lang, name=result.item_names[0])
        if result.item_names
        else m.text("coupon.where_cart", lang)
    )
    saved = before.total - q.total
    if saved <= 0:
        return m.text(
            "coupon.no_saving",
            lang,
            code=result.code,
            where=where,
            explained=m.join("list", _explain(q, lang), lang),
            total=m.money(q.total, lang, q.currency),
        )
    head = m.text(
        "coupon.works",
        lang,
        code=result.code,
        where=where,
        total=m.money(q.total, lang, q.currency),
        before=m.money(before.total, lang, q.currency),
        saved=m.money(saved, lang, q.currency),
    )
    return head + "\n" + quote_text(q, labels, lang, names)


def offers_text(offers: List[OfferView], verified: bool, lang: str = "en") -> str:
    """The deals list: personal offers first, then what runs for everyone."""
    personal = [o for o in offers if o.personal]
    public = [o for o in offers if not o.personal]
    parts = []
    if personal:
        parts.append(m.text("deals.personal", lang, offers="\n".join(_offer_line(o, lang) for o in personal)))
    if public:
        parts.append(m.text("deals.public", lang, offers="\n".join(_offer_line(o, lang) for o in public)))
    if not parts:
        parts.append(m.text("deals.none", lang))
    if not verified:
        parts.append(m.text("deals.verify_for_personal", lang))
    return "\n\n".join(parts)


def _offer_line(o: OfferView, lang: str) -> str:
    title, sentence = o.in_language(lang)
    if sentence.startswith(title):
        return m.text("deals.line", lang, sentence=sentence)
    return m.text("deals.titled_line", lang, title=title, sentence=sentence)


def change_text(
    change: CartChange,
    labels: Optional[Dict[str, str]] = None,
    lang: str = "en",
    names: Optional[Dict[str, str]] = None,
) -> str:
    """What happened to the cart, or the question that settles what the shopper meant."""
    if change.status == "added":
        variant = m.text("cart.variant", lang, variant=change.variant) if change.variant else ""
        assert change.summary is not None
        added = m.text(
            "cart.added",
            lang,
            quantity=m.number(change.quantity, lang),
            name=display_name(change, lang),
            variant=variant,
        )
        return added + "\n" + quote_text(change.summary, labels, lang, names)
    if change.status == "removed":
        assert change.summary is not None
        rest = (
            quote_text(change.summary, labels, lang, names)
            if change.summary.lines
            else m.text("cart.empty_now", lang)
        )
        return m.text("cart.removed", lang, name=change.name, rest=rest)
    if change.status == "ambiguous":
        return m.text("cart.which_one", lang, candidates=m.join("list", change.candidates, lang))
    if change.status == "pick_variant":
        options = []
        if change.sizes:
            options.append(m.text("product.sizes_list", lang, sizes=m.join("comma", change.sizes, lang)))
        if change.colors:
            options.append(m.text("product.colors_list", lang, colors=m.join("comma", change.colors, lang)))
        example = " ".join(x for x in (change.sizes[:1] + change.colors[:1]))
        return m.text(
            "cart.pick_variant",
            lang,
            name=display_name(change, lang),
            options=m.join("and", options, lang),
            example=example,
        )
    if change.status == "no_such_variant":
        return m.text(
            "cart.no_such_variant",
            lang,
            name=display_name(change, lang),
            sizes=m.join("comma", change.sizes, lang) or "-",
            colors=m.join("comma", change.colors, lang) or "-",
        )
    if change.status == "not_in_cart":
        return m.text("cart.not_in_cart", lang, name=display_name(change, lang))
    if change.status == "bad_quantity":
        return m.text("cart.bad_quantity", lang, most=m.number(MAX_LINE_QUANTITY, lang))
    return m.text("cart.product_not_found", lang)

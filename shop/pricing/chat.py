"""What the assistant asks of pricing, one call per shopper turn: no Rasa here.

:class:`PricingChat` puts the cart, the code throttle and the catalog together:

- :meth:`PricingChat.try_code` checks a code (throttled per conversation) against the
  shopper's cart, the named items, or - with nothing to price - the code's own terms;
- :meth:`PricingChat.add` / :meth:`remove` / :meth:`summary` keep the conversation's cart;
- :meth:`PricingChat.promotion_price` is the hook :class:`shop.catalog.CatalogService`
  takes, so a price question shows the running promotion.

Which cart: a verified customer's own (the conversation's cart is handed over on
verification, see :meth:`PricingService.get_or_create_cart`), else the conversation's.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional, Sequence

from sqlalchemy.orm import sessionmaker

from shop.catalog_rows import display_name
from shop.clock import naive_utc
from shop.pricing.checks import check_terms
from shop.pricing.codes import MAX_RAW_LENGTH, display_code, normalize_code
from shop.pricing.engine import quote
from shop.pricing.errors import InvalidQuantity, UnknownProduct
from shop.pricing.model import CartView, Coupon, Offers, Promotion, PromotionKind, Quote, Rejection
from shop.pricing.offers import OfferView, coupon_sentence
from shop.pricing.parsing import chinese_option_in_text, option_in_text, product_in_text, words_in
from shop.pricing.rejections import Reason, reject
from shop.pricing.service import PricingService
from shop.pricing.throttle import CodeAttemptThrottle

if TYPE_CHECKING:  # pragma: no cover
    from shop.catalog import CatalogService, Match, ProductFacts, VariantStock

#: Promotions a single item's price reflects (order-level ones depend on the whole cart).
LINE_KINDS = (PromotionKind.PERCENTAGE, PromotionKind.BUY_X_GET_Y)
PROMOTIONS_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class CodeResult:
    """The answer to one code.

    ``status``: ``throttled`` (not checked), ``rejected`` (``rejection`` says why; an
    unknown code is one of these), ``applied`` (``quote`` priced with it) or ``terms``
    (nothing to price: ``terms`` says what the code does).
    """

    status: str
    code: str
    rejection: Optional[Rejection] = None
    quote: Optional[Quote] = None
    before: Optional[Quote] = None
    terms: Optional[str] = None
    item_names: tuple[str, ...] = ()
    #: The code whose ``terms`` these are, to word them in another language.
    coupon: Optional[Coupon] = None


@dataclass(frozen=True)
class CartChange:
    """``status``: ``added``, ``removed``, ``not_found``, ``ambiguous`` (see ``candidates``),
    ``pick_variant`` (see ``sizes``/``colors``), ``no_such_variant``, ``not_in_cart``,
    ``bad_quantity``."""

    status: str
    name: str = ""
    variant: str = ""
    quantity: int = 0
    candidates: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    summary: Optional[Quote] = None
    #: The product's Chinese name, "" when none (:func:`shop.catalog_rows.display_name`).
    name_zh: str = ""


@dataclass
class _PromoCache:
    loaded_at: float = 0.0
    promotions: tuple[Promotion, ...] = ()
    lock: threading.Lock = field(default_factory=threading.Lock)


class PricingChat:
    """Pricing for one shopper turn: carts, codes (throttled) and deals, no Rasa."""

    def __init__(
        self,
        sessions: sessionmaker,
        service: PricingService,
        throttle: CodeAttemptThrottle,
        catalog: Optional[CatalogService] = None,
    ) -> None:
        self._sessions = sessions
        self.service = service
        self.throttle = throttle
        self.catalog = catalog
        self._promos = _PromoCache()

    # -- carts ----------------------------------------------------------------------------

    def cart_id(self, sender_id: str, customer_id: Optional[int]) -> int:
        """The customer's cart when verified, else the conversation's."""
        return self.service.get_or_create_cart(customer_id=customer_id, sender_id=sender_id)

    def summary(
        self, sender_id: str, customer_id: Optional[int], now: datetime, codes: Sequence[str] = ()
    ) -> Quote:
        """The cart priced now: promotions, the codes already accepted, shipping, total."""
        return self.service.quote_cart(self.cart_id(sender_id, customer_id), codes, customer_id, now)

    def add(
        self,
        sender_id: str,
        customer_id: Optional[int],
        product: Optional[str],
        now: datetime,
        *,
        size: Optional[str] = None,
        color: Optional[str] = None,
        quantity: int = 1,
        text: str = "",
    ) -> CartChange:
        """Put a named product (the variant by size/colour) into the cart.

        ``text`` (the shopper's words) fills in what the NLU missed: the product name
        around "add ... to my cart", a size after "in"/"size", a colour the product has.
        """
        product = product or product_in_text(text)
        found = self._resolve(product, text)
        if isinstance(found, CartChange):
            return found
        facts = self._facts(found.product_id)
        if facts is None:
            return CartChange("not_found")
        sku, label = facts.sku, ""
        variants = [v for v in facts.variants if v.size or v.color]
        text_size = option_in_text(text, facts.sizes, after=True)
        text_color = option_in_text(text, facts.colors) or chinese_option_in_text(text, facts.colors)
        if not any(_fits(v, size, color) for v in variants):
            size, color = None, None  # the NLU's pick fits no variant: trust the words instead
        size, color = size or text_size, color or text_color
        if variants:
            chosen = _pick_variant(variants, size, color)
            if chosen is None:
                fitting = [v for v in variants if _fits(v, size, color)]
                if not fitting:
                    return CartChange(
                        "no_such_variant",
                        name=facts.name,
                        name_zh=facts.name_zh,
                        sizes=facts.sizes,
                        colors=facts.colors,
                    )
                sizes = tuple(dict.fromkeys(v.size for v in fitting if v.size))
                colors = tuple(dict.fromkeys(v.color for v in fitting if v.color))
                return CartChange(
                    "pick_variant", name=facts.name, name_zh=facts.name_zh, sizes=sizes, colors=colors
                )
            sku, label = chosen.sku, ", ".join(x for x in (chosen.size, chosen.color) if x)
        try:
            line = self.service.items_view([(sku, quantity)]).lines[0]
            cart = self.cart_id(sender_id, customer_id)
            self.service.add_item(cart, line.product_id, quantity, variant_id=line.variant_id, now=now)
        except InvalidQuantity:
            return CartChange("bad_quantity", name=facts.name, name_zh=facts.name_zh)
        except UnknownProduct:
            return CartChange("not_found")
        return CartChange(
            "added",
            name=facts.name,
            name_zh=facts.name_zh,
            variant=label,
            quantity=quantity,
            summary=self.service.quote_cart(cart, (), customer_id, now),
        )

    def remove(
        self, sender_id: str, customer_id: Optional[int], product: Optional[str], now: datetime
    ) -> CartChange:
        """Take every line of a named product out of the cart."""
        cart = self.cart_id(sender_id, customer_id)
        view = self.service.cart_view(cart)
        if not product:
            return CartChange("not_found")
        matching = [line for line in view.lines if words_in(product, line.name)]
        if not matching and self.catalog is not None:
            res = self.catalog.resolve(product)
            ids = {res.product.product_id} if res.product else {c.product_id for c in res.candidates}
            matching = [line for line in view.lines if line.product_id in ids]
        if not matching:
            return CartChange("not_in_cart", name=product[:60])
        for line in matching:
            self.service.remove_item(cart, line.product_id, variant_id=line.variant_id, now=now)
        return CartChange(
            "removed",
            name=matching[0].name,
            quantity=sum(line.quantity for line in matching),
            summary=self.service.quote_cart(cart, (), customer_id, now),
        )

    def display_names(self, q: Quote, lang: str) -> dict[str, str]:
        """``sku -> name`` of a quote's lines as ``lang`` shows them (empty for English)."""
        names: dict[str, str] = {}
        if self.catalog is None or lang == "en":
            return names
        for pid in {ql.line.product_id for ql in q.lines}:
            facts = self.catalog.get(pid)
            if facts is not None:
                shown = display_name(facts, lang)
                names.update({ql.line.sku: shown for ql in q.lines if ql.line.product_id == pid})
        return names

    def variant_labels(self, q: Quote) -> dict[str, str]:
        """``sku -> "M, Black"`` for the variant lines of a quote (for display)."""
        labels: dict[str, str] = {}
        if self.catalog is None:
            return labels
        for pid in {ql.line.product_id for ql in q.lines if ql.line.variant_id is not None}:
            facts = self.catalog.get(pid)
            for v in facts.variants if facts else ():
                labels[v.sku] = ", ".join(x for x in (v.size, v.color) if x)
        return labels

    # -- codes ----------------------------------------------------------------------------

    def try_code(
        self,
        sender_id: str,
        customer_id: Optional[int],
        raw_code: str,
        now: datetime,
        *,
        product: Optional[str] = None,
    ) -> CodeResult:
        """Check ``raw_code`` for this shopper: on the named product, else on their cart,
        else (empty cart) against the code's own terms. Unknown codes count towards the
        conversation's throttle; nothing else does."""
        shown = display_code(raw_code)
        status = self.throttle.check(sender_id, now)
        if not status.allowed:
            return CodeResult("throttled", shown, rejection=status.rejection(now))
        names: tuple[str, ...] = ()
        if product:
            found = self._resolve(product)
            # An unclear product name prices the cart instead.
            if not isinstance(found, CartChange):
                names = (found.name,)
                before = self.service.quote_items([(found.sku, 1)], (), customer_id, now)
                after = self.service.quote_items([(found.sku, 1)], [raw_code], customer_id, now)
                return self._answer(sender_id, shown, before, after, now, names)
        cart = self.cart_id(sender_id, customer_id)
        if self.service.cart_view(cart).lines:
            before = self.service.quote_cart(cart, (), customer_id, now)
            after = self.service.quote_cart(cart, [raw_code], customer_id, now)
            return self._answer(sender_id, shown, before, after, now, names)
        return self._terms(sender_id, customer_id, raw_code, shown, now)

    def _answer(
        self,
        sender_id: str,
        shown: str,
        before: Quote,
        after: Quote,
        now: datetime,
        names: tuple[str, ...],
    ) -> CodeResult:
        self.throttle.record(sender_id, after.rejections, now)
        if after.rejections:
            return CodeResult("rejected", shown, rejection=after.rejections[0], quote=after, before=before)
        return CodeResult("applied", after.applied_codes[0], quote=after, before=before, item_names=names)

    def _terms(
        self, sender_id: str, customer_id: Optional[int], raw_code: str, shown: str, now: datetime
    ) -> CodeResult:
        canon = normalize_code(raw_code) if len(raw_code) <= MAX_RAW_LENGTH else None
        coupon: Optional[Coupon] = None
        customer = None
        with self._sessions() as s:
            if canon is not None:
                coupon = self.service.load_offers(s, [canon]).coupons.get(canon)
            if customer_id is not None:
                customer = self.service.customer_view(s, customer_id)
        refusal = reject(shown, Reason.UNKNOWN_CODE) if coupon is None else check_terms(coupon, customer, now)
        self.throttle.record(sender_id, [refusal] if refusal else [], now)
        if refusal is not None:
            return CodeResult("rejected", shown, rejection=refusal)
        assert coupon is not None
        return CodeResult("terms", coupon.code, terms=coupon_sentence(coupon), coupon=coupon)

    # -- deals ----------------------------------------------------------------------------

    def offers(self, customer_id: Optional[int], now: datetime) -> list[OfferView]:
        """The deals for ``ask_discounts`` (personal ones for a verified customer)."""
        return self.service.offers_for(customer_id, now)

    def promotion_price(self, facts: ProductFacts) -> Optional[tuple[Decimal, str]]:
        """One unit's price under the running item promotions, and the promotion's name.

        Order-level deals (spend thresholds) depend on the whole cart, so they are left to
        the cart quote. Live promotions are re-read at most once a minute.
        """
        promos = tuple(p for p in self._live_promotions() if p.kind in LINE_KINDS)
        if not promos:
            return None
        now = naive_utc()
        try:
            cart: CartView = self.service.items_view([(facts.sku, 1)])
        except (UnknownProduct, InvalidQuantity):
            return None
        q = quote(cart, (), None, now, offers=Offers(promotions=promos), settings=self.service.settings)
        if not q.lines or q.merchandise_total >= q.subtotal:
            return None
        names = [d.name for d in q.discounts if d.source == "promotion" and d.amount > 0]
        return q.merchandise_total, ", ".join(names) or "sale"

    def _live_promotions(self) -> tuple[Promotion, ...]:
        cache = self._promos
        with cache.lock:
            if time.monotonic() - cache.loaded_at > PROMOTIONS_TTL_SECONDS:
                cache.promotions = tuple(self.service.live_promotions(naive_utc()))
                cache.loaded_at = time.monotonic()
            return cache.promotions

    # -- helpers --------------------------------------------------------------------------

    def _resolve(self, product: Optional[str], text: str = "") -> Match | CartChange:
        if self.catalog is None or not product:
            return CartChange("not_found")
        res = self.catalog.resolve_in(product, text)
        if res.product is not None:
            return res.product
        if res.candidates:
            return CartChange("ambiguous", candidates=tuple(c.name for c in res.candidates))
        return CartChange("not_found")

    def _facts(self, product_id: int) -> Optional[ProductFacts]:
        assert self.catalog is not None
        return self.catalog.get(product_id)


def _same(a: Optional[str], b: Optional[str]) -> bool:
    def norm(x: Optional[str]) -> str:
        return (x or "").strip().casefold().replace("gray", "grey")

    return norm(a) == norm(b)


def _fits(v: VariantStock, size: Optional[str], color: Optional[str]) -> bool:
    return (size is None or _same(v.size, size)) and (color is None or _same(v.color, color))


def _pick_variant(
    variants: Sequence[VariantStock], size: Optional[str], color: Optional[str]
) -> Optional[VariantStock]:
    """The one variant matching the given size/colour; a sole variant needs neither."""
    fitting = [v for v in variants if _fits(v, size, color)]
    if len(fitting) == 1:
        return fitting[0]
    if fitting and size is not None and color is None:
        in_stock = [v for v in fitting if v.stock > 0]
        colors = {v.color for v in fitting}
        if len(colors) == 1 and in_stock:
            return in_stock[0]
    return None


__all__ = ["CartChange", "CodeResult", "PricingChat"]

"""Product questions and recommendations: slots and the message -> one catalog or
recommender call -> a sentence (and a carousel).

Which question or which kind of recommendation is read from the shopper's words here
(``question_kind``, ``recommend_mode``); everything about products lives in
``shop.catalog`` / ``shop.recommend``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import services
from actions.base import service_unavailable
from actions.carousel import MAX_CARDS, carousel_payload, carousel_text
from actions.identity import verified_customer
from shop.catalog import Comparison, Match, ProductFacts, Resolution, StockAnswer
from shop.catalog_query import Filters, canonical_size, parse_query, with_filters
from shop.money import format_money as money
from shop.recommend import Recommendation, RecommenderUnavailable

logger = logging.getLogger(__name__)

EventList = List[Dict[str, Any]]

MAX_TEXT = 500

_COMPARE = re.compile(r"\b(compare|comparison|difference|differ|versus|vs\.?|better)\b", re.I)
_STOCK = re.compile(r"\b(stock|stok|available|availability|sold out|left|have .* in|restock)", re.I)
_SIZES = re.compile(r"\b(sizes?|fit|true to size)\b", re.I)
_COLORS = re.compile(r"\b(colou?rs?)\b", re.I)
_PRICE = re.compile(r"\b(price|prise|cost|how much|on sale|sale|discount|cheap)", re.I)
_SPECS = re.compile(
    r"\b(specs?|material|made of|fabric|waterproof|washable|weight|heavy|details?|tell me|"
    r"about|describe|description|rating|good)\b",
    re.I,
)
_GOES_WITH = re.compile(
    r"\b(goes? (well )?with|go with|pairs? (well )?with|match(es)? with|also bought|"
    r"bought together|complete the look|accessor)",
    re.I,
)
_SIMILAR = re.compile(r"\b(like|similar|alternatives?|instead of|more like)\b", re.I)
_PERSONAL = re.compile(r"\b(for me|my (taste|style|orders|history)|personal|based on what i)\b", re.I)
_PRONOUNS = frozenset({"", "one", "it", "this", "that", "this one", "that one", "these", "those"})
_ANCHOR = re.compile(
    r"\b(?:more like|similar to|alternatives? to|instead of|goes? (?:well )?with|go with|"
    r"pairs? (?:well )?with|match(?:es)? with|like)\s+(?:the|my|this|that|a|an|your)?\s*"
    r"(?P<name>.+?)(?:\s+(?:but|in|under|below|for|from|not)\b.*|[?.!,]|$)",
    re.I,
)


# -- reading the message ---------------------------------------------------------------------


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
    if _STOCK.search(text):
        return "stock"
    if _COLORS.search(text):
        return "colors"
    if _SIZES.search(text):
        return "sizes"
    if _PRICE.search(text):
        return "price"
    if _SPECS.search(text):
        return "specs"
    return "overview"


def recommend_mode(text: str, has_product: bool, from_button: bool) -> str:
    """similar / goes_with / personal / search."""
    if from_button and has_product:
        return "similar"
    if _GOES_WITH.search(text):
        return "goes_with"
    if _PERSONAL.search(text):
        return "personal"
    if _SIMILAR.search(text) and (has_product or _ANCHOR.search(text)):
        return "similar"
    return "search"


def anchor_name(text: str) -> Optional[str]:
    m = _ANCHOR.search(text)
    name = m.group("name").strip() if m else ""
    return None if name.lower() in _PRONOUNS else name or None


# -- sentences -------------------------------------------------------------------------------


def price_text(p: ProductFacts) -> str:
    if p.sale_price is not None and p.sale_price < p.price:
        return f"{money(p.sale_price)} right now (usually {money(p.price)}, {p.promotion})"
    return money(p.price)


def overview_text(p: ProductFacts) -> str:
    parts = [f"The {p.name} by {p.brand} ({p.sku}) is {price_text(p)}."]
    if p.in_stock:
        variants = []
        if p.sizes_in_stock:
            variants.append("sizes " + ", ".join(p.sizes_in_stock))
        if p.colors_in_stock:
            variants.append("colours " + ", ".join(p.colors_in_stock))
        parts.append("In stock" + (f" in {'; '.join(variants)}." if variants else "."))
    else:
        parts.append("It's out of stock at the moment.")
    return " ".join(parts)


def stock_text(a: StockAnswer) -> str:
    p = a.product
    want = " ".join(x for x in (a.color, f"size {a.size}" if a.size else None) if x)
    label = f"the {p.name} in {want}" if want else f"the {p.name}"
    if not a.offered:
        options = []
        if a.size and p.sizes:
            options.append("sizes " + ", ".join(p.sizes))
        if a.color and p.colors:
            options.append("colours " + ", ".join(p.colors))
        made = f" It comes in {'; '.join(options)}." if options else ""
        return f"We don't make {label}.{made}"
    if a.in_stock:
        few = " Only a few left!" if a.quantity <= 5 else ""
        return f"Yes, {label} is in stock ({a.quantity} available).{few} Price: {price_text(p)}."
    alt = ", ".join(" ".join(x for x in (v.color, v.size) if x) for v in a.alternatives[:6])
    also = f" Still available: {alt}." if alt else ""
    return f"Sorry, {label} is sold out right now.{also}"


def sizes_text(p: ProductFacts) -> str:
    if not p.sizes:
        return f"The {p.name} comes in one size. {overview_text(p)}"
    stocked = ", ".join(p.sizes_in_stock) or "none right now"
    return f"The {p.name} comes in sizes {', '.join(p.sizes)}. In stock: {stocked}."


def colors_text(p: ProductFacts) -> str:
    if not p.colors:
        return f"The {p.name} comes in one colour. {overview_text(p)}"
    stocked = ", ".join(p.colors_in_stock) or "none right now"
    return f"The {p.name} comes in {', '.join(p.colors)}. In stock: {stocked}."


def specs_text(p: ProductFacts) -> str:
    parts = [f"{p.name} by {p.brand} ({p.category}), {price_text(p)}."]
    if p.materials:
        parts.append(f"Materials: {p.materials}.")
    if p.description:
        parts.append(p.description)
    if p.rating is not None:
        parts.append(f"Rated {p.rating}/5 by shoppers.")
    return " ".join(parts)


def compare_text(c: Comparison) -> str:
    if "same product" in c.notes:
        return f"Those are the same product: {overview_text(c.a)}"
    lines = [f"{c.a.name} vs {c.b.name}:"]
    lines += [f"- {label}: {va} | {vb}" for label, va, vb in c.rows]
    names = {c.a.sku: c.a.name, c.b.sku: c.b.name}
    if c.cheaper_sku:
        lines.append(f"The {names[c.cheaper_sku]} is {money(c.price_difference)} cheaper.")
    if c.better_rated_sku:
        lines.append(f"The {names[c.better_rated_sku]} is rated higher.")
    return "\n".join(lines)


def filters_text(f: Filters) -> str:
    parts = []
    if f.category:
        parts.append(f.category.lower())
    if f.color:
        parts.append(f.color)
    if f.size:
        parts.append(f"size {f.size}")
    if f.min_price is not None:
        parts.append(f"from {money(f.min_price)}")
    if f.max_price is not None:
        parts.append(f"under {money(f.max_price)}")
    if f.exclude_colors:
        parts.append("not " + "/".join(f.exclude_colors))
    return ", ".join(parts)


def which_one(dispatcher: CollectingDispatcher, candidates: Sequence[Match], intent: str) -> None:
    dispatcher.utter_message(
        text="I found a few products with that name. Which one do you mean?",
        buttons=[
            {
                "title": f"{m.name} ({m.sku})",
                "payload": f"/{intent}" + json.dumps({"product": m.sku}),
            }
            for m in candidates[:5]
        ],
    )


def not_found(dispatcher: CollectingDispatcher, name: Optional[str]) -> None:
    what = f' called "{name[:60]}"' if name else " by that name"
    dispatcher.utter_message(
        text=(
            f"Sorry, I couldn't find a product{what} in our shop. Could you describe what you're "
            'looking for, e.g. "waterproof jacket under $80 in M"? I\'ll suggest a few.'
        )
    )


# -- actions ---------------------------------------------------------------------------------


class ActionAnswerProductQuestion(Action):
    """Price, stock by size/colour, sizes, colours, specs, or a comparison of two products."""

    def name(self) -> str:
        return "action_answer_product_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> EventList:
        text = latest_text(tracker)
        if not text:  # a "which one?" button: answer the question asked before it
            text = tracker.get_slot("product_query") or ""
        refs = entity_values(tracker, "product")
        catalog = services.catalog()
        try:
            if not refs:
                # A name the NLU missed ("is the nimbus runing shoe waterproof") beats the
                # product talked about before ("how much is it?").
                res = await services.run_blocking(catalog.resolve, name_words(tracker) or text)
                if res.status == "not_found" and tracker.get_slot("product"):
                    refs = [str(tracker.get_slot("product"))]
                    res = await services.run_blocking(catalog.resolve, refs[0])
                if res.status == "not_found":
                    dispatcher.utter_message(
                        text="Which product do you mean? Tell me its name, e.g. "
                        '"is the Summit Down Jacket in stock in M?"'
                    )
                    return []
                resolutions = [res]
            else:
                resolutions = [await services.run_blocking(catalog.resolve, r) for r in refs[:2]]
            for ref, res in zip(refs or [text], resolutions, strict=False):
                if res.status == "ambiguous":
                    which_one(dispatcher, res.candidates, "product_question")
                    return [SlotSet("product_query", text)]
                if res.status == "not_found":
                    not_found(dispatcher, ref)
                    return []
            skus = [r.product.sku for r in resolutions if r.product is not None]
            kind = question_kind(text, len(set(skus)))
            answer = await services.run_blocking(self._answer, kind, skus, text, tracker)
        except SQLAlchemyError:
            return service_unavailable(dispatcher, self.name())
        if answer is None:
            not_found(dispatcher, refs[0] if refs else None)
            return []
        dispatcher.utter_message(text=answer)
        return [SlotSet("product", skus[-1]), SlotSet("product_query", None)]

    @staticmethod
    def _answer(kind: str, skus: List[str], text: str, tracker: Tracker) -> Optional[str]:
        catalog = services.catalog()
        if kind == "compare":
            c = catalog.compare(skus[0], skus[1])
            return compare_text(c) if c else None
        if kind == "stock":
            parsed = parse_query(text).filters
            sizes = [s for s in map(canonical_size, entity_values(tracker, "size")) if s]
            colors = entity_values(tracker, "color")
            size = sizes[0] if sizes else parsed.size
            color = colors[0] if colors else parsed.color
            a = catalog.stock(skus[0], size, color)
            return stock_text(a) if a else None
        p = catalog.get(skus[0])
        if p is None:
            return None
        render = {"sizes": sizes_text, "colors": colors_text, "price": overview_text, "specs": specs_text}
        return render.get(kind, overview_text)(p)


class ActionRecommendProducts(Action):
    """Similar items, "goes with", personal picks or free-text search, as a carousel + text."""

    def name(self) -> str:
        return "action_recommend_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> EventList:
        text = latest_text(tracker)
        refs = entity_values(tracker, "product")
        current = tracker.get_slot("product")
        mode = recommend_mode(text, bool(refs or current), from_button=not text)
        if not text and not refs:
            mode = "search"
        try:
            recommender = await services.run_blocking(services.recommender)
        except RecommenderUnavailable as exc:
            logger.error("recommendations unavailable: %s", exc)
            dispatcher.utter_message(
                text="Sorry, I can't suggest products right now: our product search is being "
                "updated. Please try again in a few minutes, or browse the shop's categories."
            )
            return []
        events: EventList = []
        try:
            if mode in ("similar", "goes_with"):
                name = refs[0] if refs else (anchor_name(text) or current)
                res: Resolution = await services.run_blocking(services.catalog().resolve, name)
                if res.status == "ambiguous":
                    which_one(dispatcher, res.candidates, "recommend_product")
                    return []
                if res.product is None:
                    not_found(dispatcher, name)
                    return []
                anchor = res.product
                parsed = parse_query(text)
                filters = parsed.filters
                facts = await services.run_blocking(services.catalog().get, anchor.product_id)
                if parsed.cheaper and facts is not None:
                    filters = with_filters(filters, max_price=facts.price - 1)
                if mode == "similar":
                    recs = await services.run_blocking(
                        recommender.similar_to, anchor.product_id, MAX_CARDS, filters
                    )
                    intro = f"Here are some products like the {anchor.name}"
                else:
                    recs = await services.run_blocking(
                        recommender.also_bought, anchor.product_id, MAX_CARDS, filters
                    )
                    intro = f"These go well with the {anchor.name}"
                if filters != Filters():
                    intro += f" ({filters_text(filters)})"
                events.append(SlotSet("product", anchor.sku))
            elif mode == "personal":
                customer = verified_customer(tracker)
                if customer is None:
                    recs = await services.run_blocking(recommender.popular, MAX_CARDS)
                    intro = (
                        "For personal picks I need to know who you are (sign in, or ask about one "
                        "of your orders first). Meanwhile, these are popular right now"
                    )
                else:
                    recs = await services.run_blocking(recommender.personal_picks, customer, MAX_CARDS)
                    intro = "Picked for you, based on your past orders"
            else:
                parsed, recs = await services.run_blocking(recommender.search_message, text, MAX_CARDS)
                wanted = filters_text(parsed.filters)
                intro = "Here's what I found" + (f" ({wanted})" if wanted else "")
                for note in parsed.notes:
                    intro = f"Note: I {note}. " + intro if not note.startswith("I ") else intro
        except SQLAlchemyError:
            return service_unavailable(dispatcher, self.name())
        if recs is None:
            not_found(dispatcher, refs[0] if refs else None)
            return events
        if not recs:
            dispatcher.utter_message(
                text="I couldn't find anything in stock that matches all of that. Could you loosen "
                "a constraint, e.g. a higher budget or another size or colour?"
            )
            return events
        self._show(dispatcher, intro, recs)
        return events

    @staticmethod
    def _show(dispatcher: CollectingDispatcher, intro: str, recs: Sequence[Recommendation]) -> None:
        dispatcher.utter_message(text=carousel_text(intro + ":", recs))
        dispatcher.utter_message(json_message=carousel_payload(recs))


if os.environ.get("CATALOG_WARM_UP", "1") != "0":  # load index + encoder before the first shopper asks
    threading.Thread(target=services.warm_up_catalog, name="catalog-warm-up", daemon=True).start()

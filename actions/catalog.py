"""Product questions and recommendations: slots and the message -> one catalog or
recommender call -> a sentence (and a carousel).

Reading the message is :mod:`actions.catalog_reading`, the sentences :mod:`actions.catalog_text`;
everything about products lives in ``shop.catalog`` / ``shop.recommend``.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import services
from actions.base import service_unavailable
from actions.carousel import MAX_CARDS, carousel_payload, carousel_text
from actions.catalog_reading import (
    anchor_name,
    entity_values,
    latest_text,
    name_words,
    question_kind,
    recommend_mode,
)
from actions.catalog_text import (
    colors_text,
    compare_text,
    filters_text,
    not_found,
    overview_text,
    sizes_text,
    specs_text,
    stock_text,
    which_one,
)
from actions.identity import verified_customer
from actions.language import language
from shop import messages as m
from shop import settings
from shop.catalog import Resolution
from shop.catalog_query import Filters, canonical_size, parse_query, with_filters
from shop.catalog_rows import display_name
from shop.recommend import Recommendation
from shop.recommender_errors import RecommenderUnavailable
from shop.threads import numeric_threads
from text_encoder import limit_numeric_threads

__all__ = ["ActionAnswerProductQuestion", "ActionRecommendProducts", "name_words"]

logger = logging.getLogger(__name__)

EventList = List[Dict[str, Any]]


class ActionAnswerProductQuestion(Action):
    """Price, stock by size/colour, sizes, colours, specs, or a comparison of two products."""

    def name(self) -> str:
        """The action's name as domain.yml lists it."""
        return "action_answer_product_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> EventList:
        """Resolve the product(s) named, answer the question asked about them."""
        lang = language(tracker)
        text = latest_text(tracker)
        if not text:  # a "which one?" button: answer the question asked before it
            text = tracker.get_slot("product_query") or ""
        refs = entity_values(tracker, "product")
        catalog = services.catalog()
        try:
            if not refs:
                # A name the NLU missed ("is the nimbus runing shoe waterproof") beats the
                # product talked about before ("how much is it?").
                res = await services.run_blocking(catalog.resolve_in, name_words(tracker) or text, text)
                if res.status == "not_found" and tracker.get_slot("product"):
                    refs = [str(tracker.get_slot("product"))]
                    res = await services.run_blocking(catalog.resolve, refs[0])
                if res.status == "not_found":
                    dispatcher.utter_message(text=m.text("product.which_product", lang))
                    return []
                resolutions = [res]
            else:
                resolutions = [await services.run_blocking(catalog.resolve_in, r, text) for r in refs[:2]]
            for ref, res in zip(refs or [text], resolutions, strict=False):
                if res.status == "ambiguous":
                    which_one(dispatcher, res.candidates, "product_question", lang)
                    return [SlotSet("product_query", text)]
                if res.status == "not_found":
                    not_found(dispatcher, ref, lang)
                    return []
            skus = [r.product.sku for r in resolutions if r.product is not None]
            kind = question_kind(text, len(set(skus)))
            answer = await services.run_blocking(self._answer, kind, skus, text, tracker, lang)
        except SQLAlchemyError:
            return service_unavailable(dispatcher, self.name())
        if answer is None:
            not_found(dispatcher, refs[0] if refs else None, lang)
            return []
        dispatcher.utter_message(text=answer)
        return [SlotSet("product", skus[-1]), SlotSet("product_query", None)]

    @staticmethod
    def _answer(kind: str, skus: List[str], text: str, tracker: Tracker, lang: str) -> Optional[str]:
        catalog = services.catalog()
        if kind == "compare":
            c = catalog.compare(skus[0], skus[1])
            return compare_text(c, lang) if c else None
        if kind == "stock":
            parsed = parse_query(text).filters
            sizes = [s for s in map(canonical_size, entity_values(tracker, "size")) if s]
            colors = entity_values(tracker, "color")
            size = sizes[0] if sizes else parsed.size
            color = colors[0] if colors else parsed.color
            a = catalog.stock(skus[0], size, color)
            return stock_text(a, lang) if a else None
        p = catalog.get(skus[0])
        if p is None:
            return None
        render = {"sizes": sizes_text, "colors": colors_text, "price": overview_text, "specs": specs_text}
        return render.get(kind, overview_text)(p, lang)


class ActionRecommendProducts(Action):
    """Similar items, "goes with", personal picks or free-text search, as a carousel + text."""

    def name(self) -> str:
        """The action's name as domain.yml lists it."""
        return "action_recommend_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> EventList:
        """Pick the mode from the words, ask the recommender, show a carousel and its text."""
        lang = language(tracker)
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
            dispatcher.utter_message(text=m.text("recommend.unavailable", lang))
            return []
        events: EventList = []
        try:
            if mode in ("similar", "goes_with"):
                name = refs[0] if refs else (anchor_name(text) or current)
                res: Resolution = await services.run_blocking(services.catalog().resolve, name)
                if res.status == "ambiguous":
                    which_one(dispatcher, res.candidates, "recommend_product", lang)
                    return []
                if res.product is None:
                    not_found(dispatcher, name, lang)
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
                    intro = m.text("recommend.similar", lang, name=display_name(anchor, lang))
                else:
                    recs = await services.run_blocking(
                        recommender.also_bought, anchor.product_id, MAX_CARDS, filters
                    )
                    intro = m.text("recommend.goes_with", lang, name=display_name(anchor, lang))
                if filters != Filters():
                    intro += m.text("recommend.filters", lang, filters=filters_text(filters, lang))
                events.append(SlotSet("product", anchor.sku))
            elif mode == "personal":
                customer = verified_customer(tracker)
                if customer is None:
                    recs = await services.run_blocking(recommender.popular, MAX_CARDS)
                    intro = m.text("recommend.popular_unverified", lang)
                else:
                    recs = await services.run_blocking(recommender.personal_picks, customer, MAX_CARDS)
                    intro = m.text("recommend.personal", lang)
            else:
                parsed, recs = await services.run_blocking(recommender.search_message, text, MAX_CARDS)
                wanted = filters_text(parsed.filters, lang)
                intro = m.text("recommend.found", lang)
                intro += m.text("recommend.filters", lang, filters=wanted) if wanted else ""
                for note in parsed.notes:
                    intro = _with_note(intro, note, lang)
        except SQLAlchemyError:
            return service_unavailable(dispatcher, self.name())
        if recs is None:
            not_found(dispatcher, refs[0] if refs else None, lang)
            return events
        if not recs:
            dispatcher.utter_message(text=m.text("recommend.nothing", lang))
            return events
        self._show(dispatcher, intro, recs, lang)
        return events

    @staticmethod
    def _show(
        dispatcher: CollectingDispatcher, intro: str, recs: Sequence[Recommendation], lang: str
    ) -> None:
        heading = m.text("recommend.heading", lang, intro=intro)
        text = carousel_text(heading, recs, lang)
        dispatcher.utter_message(text=text)
        dispatcher.utter_message(json_message=carousel_payload(recs, intro=heading, text=text, lang=lang))


#: What the query parser notes (``shop.catalog_query``), as catalogue keys; others as they are.
_NOTES = {
    "ignored a price that was negative or not a number": "note.bad_price",
    "the price bounds were the wrong way round; swapped them": "note.swapped",
    "ignored a maximum price of zero": "note.zero_max",
}


def _with_note(intro: str, note: str, lang: str) -> str:
    """``Note: I swapped ... . Here's what I found``: a parser's note before the intro."""
    if note.startswith("I "):
        return intro
    key = _NOTES.get(note)
    if key is None and note.startswith("only the first "):
        key, params = "note.truncated", {"chars": note.split()[3]}
    elif key is None and note.startswith("kept only the first "):
        key, params = "note.colours_kept", {"count": note.split()[4]}
    else:
        params = {}
    said = m.text(key, lang, **params) if key else note
    return m.text("recommend.note", lang, note=said, intro=intro)


# The action server's numeric work is one small query at a time while ACTION_WORKERS threads
# serve shoppers: TensorFlow and BLAS on RASA_TF_THREADS threads each, one by default
# (shop.threads, the same setting as the Rasa workers').
limit_numeric_threads(numeric_threads())

if settings.value("CATALOG_WARM_UP"):  # load index + encoder before the first shopper asks
    services.start_catalog_warm_up()

"""What may name a product: the message without sizes, colours, prices and codes."""

from __future__ import annotations

from typing import Any

from actions.catalog import name_words


class Tracker:
    def __init__(self, text: str, entities: list[dict[str, Any]]) -> None:
        self.latest_message = {"text": text, "entities": entities}


def _entity(text: str, span: str, entity: str) -> dict[str, Any]:
    start = text.index(span)
    return {"entity": entity, "start": start, "end": start + len(span), "value": span}


def test_sizes_and_colours_are_cut_out() -> None:
    text = "is the nimbus in stock in size 9 in black?"
    tracker = Tracker(text, [_entity(text, "size 9", "size"), _entity(text, "black", "color")])
    assert name_words(tracker) == "is the nimbus in stock in in ?"


def test_product_and_brand_words_stay() -> None:
    text = "is the Northpeak summit jacket waterproof"
    tracker = Tracker(text, [_entity(text, "Northpeak", "brand"), _entity(text, "summit jacket", "product")])
    assert name_words(tracker) == text


def test_overlapping_spans_from_two_extractors() -> None:
    text = "the shell in size M please"
    tracker = Tracker(text, [_entity(text, "size M", "size"), _entity(text, "M", "size")])
    assert name_words(tracker) == "the shell in please"


def test_button_payloads_have_no_words() -> None:
    assert name_words(Tracker('/product_question{"product": "X"}', [])) == ""


def test_entities_without_offsets_are_ignored() -> None:
    tracker = Tracker("the red one", [{"entity": "color", "value": "red"}])
    assert name_words(tracker) == "the red one"

"""The recommender's own "unavailable" error is what the index raises and what the action answers.

The actions catch :class:`shop.recommender_errors.RecommenderUnavailable` and never import
``catalog_index``; every index error must therefore be one, and any such error (not only the
index's) must get the polite apology rather than a crash.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from catalog_index import errors as index_errors
from shop.recommender_errors import RecommenderUnavailable


@pytest.mark.parametrize(
    "error",
    [
        index_errors.CatalogIndexError,
        index_errors.MissingIndexError,
        index_errors.StaleIndexError,
        index_errors.UnknownIndexTypeError,
    ],
)
def test_every_index_error_is_a_recommender_unavailable(error: type[Exception]) -> None:
    assert issubclass(error, RecommenderUnavailable)


def test_the_action_apologises_for_an_unavailable_recommender(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_WARM_UP", "0")
    from actions import catalog, services

    def rebuilding() -> None:
        raise RecommenderUnavailable("index being rebuilt; run python -m catalog_index.build")

    monkeypatch.setattr(services, "recommender", rebuilding)
    message = {"text": "any jackets?", "intent": {"name": "recommend_product"}, "entities": []}
    tracker = Tracker("rest:t", {}, message, [], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(catalog.ActionRecommendProducts().run(dispatcher, tracker, {}))
    assert events == []
    assert len(dispatcher.messages) == 1
    text = dispatcher.messages[0]["text"]
    assert "can't suggest products right now" in text
    assert "catalog_index" not in text  # the operator's fix is logged, not told to the shopper

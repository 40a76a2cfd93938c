"""What goes wrong with the catalog index, as errors the actions already know how to answer.

Each is a :class:`shop.recommender_errors.RecommenderUnavailable`, so an action catches the one
shop error and never imports this package; the message says what an operator runs to fix it.
"""

from __future__ import annotations

from shop.recommender_errors import RecommenderUnavailable

__all__ = ["CatalogIndexError", "MissingIndexError", "StaleIndexError", "UnknownIndexTypeError"]


class CatalogIndexError(RecommenderUnavailable):
    """The catalog index cannot be used; the message says what to run.

    A :class:`shop.recommender_errors.RecommenderUnavailable`, which is what the actions catch.
    """


class MissingIndexError(CatalogIndexError):
    """No index was built in the folder."""


class StaleIndexError(CatalogIndexError):
    """The index was built from another catalog (or model, or index type)."""


class UnknownIndexTypeError(CatalogIndexError, ValueError):
    """An index type other than auto, flat, hnsw or ivf was asked for."""

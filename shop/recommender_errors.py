"""What the recommender raises when it cannot answer, so callers need not know the index.

``catalog_index`` (FAISS) implements the index behind :class:`shop.recommend.Recommender`;
its errors (missing, stale or unknown index type) subclass :class:`RecommenderUnavailable`,
so the actions catch this one shop error and never import the index package.
"""

from __future__ import annotations

__all__ = ["RecommenderUnavailable"]


class RecommenderUnavailable(RuntimeError):
    """Recommendations cannot be made now (index missing, stale or being rebuilt).

    The message says what an operator runs to fix it; shoppers get a polite sentence instead.
    """

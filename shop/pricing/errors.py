"""The pricing service's refusals, one class per thing a caller can do about it.

Web forms and chat catch these by name (``InvalidQuantity`` -> "between 1 and 100",
``UnknownProduct`` -> "couldn't find that product"), so they live apart from the modules
that raise them and every caller imports them from one place.
"""

from __future__ import annotations

__all__ = [
    "CartNotFound",
    "InvalidQuantity",
    "OrderNotFound",
    "OrderNotRedeemable",
    "PricingError",
    "UnknownProduct",
]


class PricingError(Exception):
    """Base class of the service's refusals."""


class InvalidQuantity(PricingError, ValueError):
    """A cart quantity that is not a whole number from 1 to ``MAX_LINE_QUANTITY``."""


class UnknownProduct(PricingError, LookupError):
    """A product id, variant or SKU that the catalog does not have."""


class CartNotFound(PricingError, LookupError):
    """A cart id with no cart behind it (deleted, or never created)."""


class OrderNotFound(PricingError, LookupError):
    """Redemption was asked for an order id that does not exist."""


class OrderNotRedeemable(PricingError):
    """The order is closed, belongs to someone else, or already took other codes."""

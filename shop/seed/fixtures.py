"""The fixed demo rows every seed contains, for the README, the tests and the demo script.

Four named customers and seven orders (``DEMO_ORDERS``: name -> (order number, email)) whose
stories are told by :data:`DEMO_TIMELINES` as offsets from the seed's ``now``, so "delivered
5 days ago" stays true whatever day the seed runs. ``DEMO_RMA`` is the return of the
``returned`` order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = ["DEMO_CUSTOMERS", "DEMO_ORDERS", "DEMO_RMA", "DEMO_TIMELINES", "DemoTimeline"]

DEMO_RMA = "RMA-100001"
DEMO_CUSTOMERS: dict[str, str] = {
    "alex.morgan@example.com": "Alex Morgan",
    "jordan.lee@example.com": "Jordan Lee",
    "sam.rivera@example.com": "Sam Rivera",
    "taylor.kim@example.com": "Taylor Kim",
}


@dataclass(frozen=True)
class DemoTimeline:
    """One fixed order: who placed it, what it holds and when each step happens.

    Every time is an offset from the seed's ``now`` (negative: in the past). A step in the
    future has not happened yet, which is what leaves an order pending or in transit.
    """

    name: str
    number: str
    email: str
    placed: timedelta
    #: (leaf category, quantity): the line is the category's first product, first variant.
    lines: tuple[tuple[str, int], ...]
    processing: timedelta
    shipped: timedelta
    delivered: timedelta
    carrier: str
    cancelled: timedelta | None = None
    #: (requested, received) of a return of every line, numbered ``DEMO_RMA``.
    returned: tuple[timedelta, timedelta] | None = None


_H, _D = timedelta(hours=1), timedelta(days=1)

DEMO_TIMELINES: tuple[DemoTimeline, ...] = (
    # delivered 5 days ago: running shoe + 2 pairs of socks, returnable (window open)
    DemoTimeline("delivered_recent", "104523", "alex.morgan@example.com", -9 * _D,
                 (("Running Shoes", 1), ("Socks", 2)), -9 * _D + 2 * _H, -8 * _D, -5 * _D, "UPS"),
    # in transit with UPS, shipped 2 days ago, eta in 2 days
    DemoTimeline("shipped", "104587", "alex.morgan@example.com", -3 * _D,
                 (("Headphones", 1),), -3 * _D + 2 * _H, -2 * _D, 2 * _D, "UPS"),
    # processing since yesterday: cancellable
    DemoTimeline("processing", "205318", "jordan.lee@example.com", -1 * _D,
                 (("Jackets", 1), ("Backpacks", 1)), -20 * _H, 2 * _D, 6 * _D, "FedEx"),
    # placed 3 hours ago, still pending: cancellable
    DemoTimeline("pending", "205319", "jordan.lee@example.com", -3 * _H,
                 (("Kitchen", 1),), 5 * _H, 2 * _D, 6 * _D, "USPS"),
    # delivered 60 days ago: return window closed
    DemoTimeline("delivered_old", "318842", "sam.rivera@example.com", -66 * _D,
                 (("Hiking Boots", 1),), -66 * _D + 3 * _H, -64 * _D, -60 * _D, "FedEx"),
    # cancelled by the shopper 12 days ago
    DemoTimeline("cancelled", "412907", "sam.rivera@example.com", -12 * _D,
                 (("Speakers", 1),), -12 * _D + 2 * _H, 30 * _D, 40 * _D, "DHL",
                 cancelled=-12 * _D + 5 * _H),
    # delivered 25 days ago, returned (DEMO_RMA, refunded)
    DemoTimeline("returned", "523110", "taylor.kim@example.com", -30 * _D,
                 (("Yoga", 1), ("Water Bottles", 1)), -30 * _D + 2 * _H, -28 * _D, -25 * _D, "USPS",
                 returned=(-20 * _D, -15 * _D)),
)  # fmt: skip

#: name -> (order_number, customer email), the form tests and scripts look orders up by.
DEMO_ORDERS: dict[str, tuple[str, str]] = {t.name: (t.number, t.email) for t in DEMO_TIMELINES}

"""The demo order history: orders over the last 120 days with their shipments and returns.

Who orders is Pareto-weighted (a few shoppers order a lot); a basket mostly comes from the
shopper's favourite categories, and a product's complementary partner follows it into the
basket more than half the time. Demand reacts to each product's price factor of the day.
Every order walks its timeline (placed, paid, shipped, delivered, maybe cancelled or
returned) up to ``now``, so steps still in the future leave it pending or in transit.
The fixed orders of :mod:`shop.seed.fixtures` are placed among the random ones.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from shop.money import quantize
from shop.seed.catalog import BLOCK_DAYS, Catalog, SeedProduct
from shop.seed.catalog_vocab import CARRIERS, HUBS, LEAVES, RETURN_REASONS
from shop.seed.fixtures import DEMO_RMA, DEMO_TIMELINES, DemoTimeline
from shop.seed.shoppers import Shopper, Shoppers
from shop.seed.tables import HISTORY_DAYS, SeedData

__all__ = ["FLAT_SHIPPING", "FREE_SHIPPING_FROM", "build_history"]

FREE_SHIPPING_FROM = Decimal("75.00")
FLAT_SHIPPING = Decimal("5.99")
_ZERO = Decimal("0.00")


@dataclass
class _Line:
    product_id: int
    variant_id: int | None
    quantity: int
    unit_price: Decimal


@dataclass
class _Timeline:
    """When an order's steps happen; a step after ``now`` has not happened (yet)."""

    placed: datetime
    processing: datetime
    shipped: datetime
    delivered: datetime
    cancelled: datetime | None = None
    # (requested at, received at or None while open, returned lines or None for all)
    returned: tuple[datetime, datetime | None, list[_Line] | None] | None = None


def build_history(
    data: SeedData, rng: random.Random, catalog: Catalog, shoppers: Shoppers, orders: int
) -> None:
    """Add ``orders`` orders (the fixed demo orders among them) and all they imply to ``data``."""
    _History(data, rng, catalog, shoppers).build(orders)


def _subtotal(lines: list[_Line]) -> Decimal:
    return sum((ln.unit_price * ln.quantity for ln in lines), _ZERO)


class _History:
    def __init__(self, data: SeedData, rng: random.Random, catalog: Catalog, shoppers: Shoppers) -> None:
        self.data = data
        self.now = data.now
        self.rng = rng
        self.catalog = catalog
        self.shoppers = shoppers
        self.rmas: set[str] = {DEMO_RMA[4:]}

    def build(self, orders: int) -> None:
        rng, now = self.rng, self.now
        demo = {t.number: t for t in DEMO_TIMELINES}
        n = max(0, orders - len(DEMO_TIMELINES))
        pool = [x for x in rng.sample(range(100000, 1000000), n + len(demo)) if str(x) not in demo]
        numbers = [str(x) for x in pool[:n]]
        customers = self.shoppers.all
        weights = list(accumulate(min(rng.paretovariate(1.2), 25.0) for _ in customers))
        created = sorted(now - timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400)) for _ in range(n))
        plans: list[tuple[datetime, str, Shopper]] = []
        for at, number in zip(created, numbers, strict=False):
            plans.append((at, number, customers[bisect(weights, rng.random() * weights[-1])]))
        plans.extend((now + t.placed, t.number, self.shoppers.by_email[t.email]) for t in DEMO_TIMELINES)
        plans.sort(key=lambda p: (p[0], p[1]))
        for at, number, customer in plans:
            if number in demo:
                self._demo_order(demo[number], customer)
            else:
                self._random_order(number, customer, at)

    # ---- what is bought -------------------------------------------------------------
    def _multiplier(self, product: SeedProduct, at: datetime) -> float:
        last = len(product.multipliers) - 1
        block = max(0, min(last, (HISTORY_DAYS - (self.now - at).days) // BLOCK_DAYS))
        return product.multipliers[block]

    def _pick(self, leaf_name: str, at: datetime, exclude: set[int]) -> SeedProduct | None:
        prods, cum = self.catalog.by_leaf[leaf_name], self.catalog.leaf_weights[leaf_name]
        for _ in range(6):
            p = prods[bisect(cum, self.rng.random() * cum[-1]) if len(prods) > 1 else 0]
            if p.id in exclude:
                continue
            # Demand reacts to price: at +10% a product sells about half as often as at -10%.
            if self.rng.random() <= (0.9 / self._multiplier(p, at)) ** 4:
                return p
        return None

    def _line(self, product: SeedProduct, at: datetime) -> _Line:
        mult = self._multiplier(product, at)
        small = product.leaf.price[1] < 60
        qty = 1
        if small and self.rng.random() < (0.35 if mult < 0.96 else 0.2):
            qty = self.rng.randint(2, 3)
        price = quantize(product.base * Decimal(str(mult)))
        return _Line(product.id, self.rng.choice(product.variant_ids), qty, price)

    def _basket(self, customer: Shopper, at: datetime) -> list[_Line]:
        rng = self.rng
        target = rng.choices((1, 2, 3, 4), (45, 30, 17, 8))[0]
        chosen: list[SeedProduct] = []
        ids: set[int] = set()
        all_leaves = [leaf.name for leaf in LEAVES]
        while len(chosen) < target:
            product: SeedProduct | None = None
            last = chosen[-1] if chosen else None
            if last is not None and last.partner and last.partner not in ids and rng.random() < 0.55:
                product = self.catalog.product(last.partner)
            else:
                leaf = rng.choice(customer.favourites) if rng.random() < 0.8 else rng.choice(all_leaves)
                product = self._pick(leaf, at, ids)
            if product is None:
                if not chosen:
                    continue
                break
            chosen.append(product)
            ids.add(product.id)
        return [self._line(p, at) for p in chosen]

    # ---- the two kinds of order ------------------------------------------------------
    def _random_order(self, number: str, customer: Shopper, at: datetime) -> None:
        rng = self.rng
        lines = self._basket(customer, at)
        processing = at + timedelta(hours=rng.uniform(1, 30))
        shipped = processing + timedelta(hours=rng.uniform(16, 60))
        timeline = _Timeline(at, processing, shipped, shipped + timedelta(hours=rng.uniform(40, 140)))
        if rng.random() < 0.07:
            timeline.cancelled = at + (shipped - at) * rng.uniform(0.1, 0.9)
        if rng.random() < 0.11:
            requested = timeline.delivered + timedelta(days=rng.uniform(1, 12))
            timeline.returned = (requested, requested + timedelta(days=rng.uniform(3, 8)), None)
        elif rng.random() < 0.05:
            requested = timeline.delivered + timedelta(days=rng.uniform(1, 10))
            timeline.returned = (requested, None, lines[:1])
        self._emit_order(number, customer, lines, timeline, rng.choice(CARRIERS))

    def _demo_order(self, demo: DemoTimeline, customer: Shopper) -> None:
        now = self.now
        lines = []
        for leaf, qty in demo.lines:
            p = self.catalog.first(leaf)
            lines.append(_Line(p.id, p.variant_ids[0], qty, p.base))
        timeline = _Timeline(
            now + demo.placed, now + demo.processing, now + demo.shipped, now + demo.delivered
        )
        if demo.cancelled is not None:
            timeline.cancelled = now + demo.cancelled
        rma = None
        if demo.returned is not None:
            requested, received = demo.returned
            timeline.returned = (now + requested, now + received, None)
            rma = DEMO_RMA
        self._emit_order(demo.number, customer, lines, timeline, demo.carrier, rma=rma)

    # ---- writing an order's rows ----------------------------------------------------
    def _statuses(self, t: _Timeline) -> list[tuple[str | None, str, datetime, str | None]]:
        """(from, to, when, note) of every status change up to ``now``; the last is the status."""
        now = self.now
        changes: list[tuple[str | None, str, datetime, str | None]] = [(None, "pending", t.placed, None)]
        status = "pending"
        if t.processing <= now:
            changes.append(("pending", "processing", t.processing, "Payment captured"))
            status = "processing"
        if t.cancelled is not None and t.cancelled <= now and t.cancelled < t.shipped:
            changes.append((status, "cancelled", t.cancelled, "Cancelled at customer request"))
        elif t.shipped <= now:
            changes.append(("processing", "shipped", t.shipped, None))
            if t.delivered <= now:
                changes.append(("shipped", "delivered", t.delivered, None))
        return changes

    def _emit_order(
        self,
        number: str,
        customer: Shopper,
        lines: list[_Line],
        t: _Timeline,
        carrier: str,
        rma: str | None = None,
    ) -> None:
        """Walk the order's timeline up to ``now`` and write every row it implies."""
        data, rng = self.data, self.rng
        oid = data.next_id("orders")
        changes = self._statuses(t)
        subtotal = _subtotal(lines)
        shipping = _ZERO if subtotal >= FREE_SHIPPING_FROM else FLAT_SHIPPING
        item_ids = [
            data.add(
                "order_items",
                {
                    "order_id": oid,
                    "product_id": ln.product_id,
                    "variant_id": ln.variant_id,
                    "quantity": ln.quantity,
                    "unit_price": ln.unit_price,
                },
            )  # fmt: skip
            for ln in lines
        ]
        if changes[-1][1] == "delivered" and t.returned is not None and t.returned[0] <= self.now:
            received = self._emit_return(oid, lines, item_ids, t.returned, rma)
            if received is not None:
                changes.append(("delivered", "returned", received[0], f"Return {received[1]} received"))
        status = changes[-1][1]
        data.add(
            "orders",
            {"order_number": number, "customer_id": customer.id, "status": status,
             "created_at": t.placed, "updated_at": changes[-1][2], "currency": "USD",
             "subtotal": quantize(subtotal), "shipping_cost": shipping,
             "discount_total": _ZERO, "total": quantize(subtotal + shipping),
             "payment_method": rng.choices(("card", "paypal", "apple_pay"), (75, 15, 10))[0],
             "shipping_name": customer.name, "shipping_street": customer.street,
             "shipping_city": customer.city, "shipping_postcode": customer.postcode,
             "shipping_country": "US"},
        )  # fmt: skip
        for from_s, to_s, when, note in changes:
            data.add(
                "order_status_changes",
                {"order_id": oid, "from_status": from_s, "to_status": to_s, "changed_at": when,
                 "actor": "system", "note": note},
            )  # fmt: skip
        if status in ("shipped", "delivered", "returned"):
            self._emit_shipment(oid, customer, carrier, t.shipped, t.delivered)

    def _rma(self) -> str:
        digits = str(self.rng.randint(100000, 999999))
        while digits in self.rmas:
            digits = str(self.rng.randint(100000, 999999))
        self.rmas.add(digits)
        return f"RMA-{digits}"

    def _emit_return(
        self,
        oid: int,
        lines: list[_Line],
        item_ids: list[int],
        plan: tuple[datetime, datetime | None, list[_Line] | None],
        rma: str | None,
    ) -> tuple[datetime, str] | None:
        """Write a delivered order's return; (received at, RMA) once the parcel is back, else None."""
        rng = self.rng
        requested, received, subset = plan
        if received is not None and received > self.now:
            received = None
        returned_lines = subset if subset is not None else lines
        rma = rma or self._rma()
        if received is not None:
            status = "refunded" if rng.random() < 0.8 or rma == DEMO_RMA else "received"
        else:
            status = "requested"
        rid = self.data.add(
            "returns",
            {"rma_number": rma, "order_id": oid, "status": status, "reason": rng.choice(RETURN_REASONS),
             "refund_amount": quantize(_subtotal(returned_lines)), "created_at": requested,
             "updated_at": received or requested},
        )  # fmt: skip
        for ln in returned_lines:
            self.data.add(
                "return_items",
                {"return_id": rid, "order_item_id": item_ids[lines.index(ln)], "quantity": ln.quantity},
            )
        return (received, rma) if received is not None else None

    # ---- shipping -------------------------------------------------------------------
    def _tracking_number(self, carrier: str) -> str:
        rng = self.rng
        digits = "0123456789"
        if carrier == "UPS":
            return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
        if carrier == "FedEx":
            return "".join(rng.choice(digits) for _ in range(12))
        if carrier == "USPS":
            return "9400" + "".join(rng.choice(digits) for _ in range(18))
        return "".join(rng.choice(digits) for _ in range(10))

    def _emit_shipment(
        self, oid: int, customer: Shopper, carrier: str, shipped_at: datetime, delivered_at: datetime
    ) -> None:
        rng, now = self.rng, self.now
        delivered = delivered_at <= now
        eta = delivered_at + timedelta(hours=rng.uniform(-20, 20)) if delivered else delivered_at
        sid = self.data.add(
            "shipments",
            {"order_id": oid, "carrier": carrier, "tracking_number": self._tracking_number(carrier),
             "shipped_at": shipped_at, "eta": eta.replace(hour=20, minute=0, second=0, microsecond=0),
             "delivered_at": delivered_at if delivered else None},
        )  # fmt: skip
        origin, hub = rng.sample(HUBS, 2)
        dest = f"{customer.city}, {customer.state}"
        span = delivered_at - shipped_at
        events = [
            (shipped_at, origin, "Picked up by carrier"),
            (shipped_at + span * 0.15, origin, "Departed facility"),
            (shipped_at + span * 0.5, hub, "Arrived at facility"),
            (delivered_at - timedelta(hours=5), dest, "Out for delivery"),
            (delivered_at, dest, "Delivered"),
        ]
        if rng.random() < 0.4:
            del events[2]  # some parcels skip the sort hub
        if not delivered:
            events = [e for e in events if e[0] <= now][:3]
        if len(events) < 2:
            events.append((shipped_at + (now - shipped_at) / 2, origin, "Departed facility"))
        for when, location, description in events:
            self.data.add(
                "shipment_events",
                {"shipment_id": sid, "occurred_at": when, "location": location, "description": description},
            )

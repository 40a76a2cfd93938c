"""The checkout's idempotency keys (migration ``0004_checkout``), on the shared ``Base``."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, UniqueConstraint

from shop.db.models import Base


class CheckoutRequest(Base):
    """One placed order per idempotency key: a replayed key finds its order here."""

    __tablename__ = "checkout_requests"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_checkout_requests_key"),
        UniqueConstraint("order_id", name="uq_checkout_requests_order"),
    )

    id = Column(Integer, primary_key=True)
    idempotency_key = Column(String(64), nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    #: The explained discount lines ("SAVE10: -$5.00, 10% off ...") shown on confirmation.
    discount_lines = Column(JSON, nullable=False)
    created_at = Column(DateTime, nullable=False)

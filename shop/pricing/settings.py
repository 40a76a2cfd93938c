"""Pricing settings from the environment, each with a documented default."""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from typing import Optional

from shop.pricing.model import PricingSettings


def _decimal(name: str, default: Optional[Decimal]) -> Optional[Decimal]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() in {"none", "off"}:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{name} must be a decimal number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {raw!r}")
    return value


def settings_from_env() -> PricingSettings:
    """``SHOP_SHIPPING_FEE`` (5.99), ``SHOP_FREE_SHIPPING_THRESHOLD`` (75.00, ``off`` for
    none) and ``SHOP_TAX_RATE`` (0; a fraction, 0.08 is 8 %), in the shop currency."""
    d = PricingSettings()
    fee = _decimal("SHOP_SHIPPING_FEE", d.shipping_fee)
    tax = _decimal("SHOP_TAX_RATE", d.tax_rate)
    return PricingSettings(
        shipping_fee=fee if fee is not None else Decimal("0"),
        free_shipping_threshold=_decimal("SHOP_FREE_SHIPPING_THRESHOLD", d.free_shipping_threshold),
        tax_rate=tax if tax is not None else Decimal("0"),
    )

"""Pricing settings (shipping, tax) from :mod:`shop.settings`, where each default is declared."""

from __future__ import annotations

from shop import settings as shop_settings
from shop.pricing.model import PricingSettings

__all__ = ["settings_from_env"]


def settings_from_env() -> PricingSettings:
    """``SHOP_SHIPPING_FEE`` (5.99), ``SHOP_FREE_SHIPPING_THRESHOLD`` (75.00, ``off`` for
    none) and ``SHOP_TAX_RATE`` (0; a fraction, 0.08 is 8 %), in the shop currency."""
    st = shop_settings.load()
    return PricingSettings(
        shipping_fee=st.shipping_fee,
        free_shipping_threshold=st.free_shipping_threshold,
        tax_rate=st.tax_rate,
    )

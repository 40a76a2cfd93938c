"""Stable reason codes for a refused coupon, in the order they are checked.

The first failing check wins, so a shopper hears the most fundamental problem first
("expired" before "spend $12.30 more"). Codes and parameter names are an interface:
the assistant's responses and the storefront key on them. Never merge them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from shop.clock import format_date
from shop.money import DEFAULT_CURRENCY, format_money
from shop.pricing.model import Rejection


class Reason(str, Enum):
    """Why a code was refused; the values are an interface (responses key on them)."""

    UNKNOWN_CODE = "unknown_code"
    INACTIVE = "inactive"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    LIMIT_REACHED = "limit_reached"
    ALREADY_USED_BY_CUSTOMER = "already_used_by_customer"
    SIGN_IN_REQUIRED = "sign_in_required"
    FIRST_ORDER_ONLY = "first_order_only"
    MIN_SUBTOTAL_NOT_MET = "min_subtotal_not_met"
    MIN_QUANTITY_NOT_MET = "min_quantity_not_met"
    NO_ELIGIBLE_ITEMS = "no_eligible_items"
    NOT_COMBINABLE = "not_combinable"


#: The documented check order (``not_combinable`` is decided last, across codes).
CHECK_ORDER: tuple[Reason, ...] = tuple(Reason)


def reject(code: str, reason: Reason, currency: str = DEFAULT_CURRENCY, **params: Any) -> Rejection:
    """A :class:`Rejection` with its sentence; ``params`` keep machine-readable values."""
    message = _message(code, reason, currency, params)
    clean = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in params.items()}
    clean = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in clean.items()}
    return Rejection(code=code, reason=reason.value, params=clean, message=message)


def _message(code: str, reason: Reason, currency: str, p: dict[str, Any]) -> str:
    def m(amount: Decimal) -> str:
        return format_money(amount, currency)

    if reason is Reason.UNKNOWN_CODE:
        # Same words for a wrong shape and a code that does not exist: reveal nothing.
        return "That code isn't one we recognise. Please check the spelling."
    if reason is Reason.INACTIVE:
        return f"{code} is not active at the moment."
    if reason is Reason.NOT_STARTED:
        return f"{code} can be used from {format_date(p['starts_at'])}."
    if reason is Reason.EXPIRED:
        return f"{code} expired on {format_date(p['expired_at'])}."
    if reason is Reason.LIMIT_REACHED:
        return f"{code} has been used the maximum number of times."
    if reason is Reason.ALREADY_USED_BY_CUSTOMER:
        times = p["limit"]
        once = "once" if times == 1 else f"{times} times"
        return f"You have already used {code}; it can be used {once} per customer."
    if reason is Reason.SIGN_IN_REQUIRED:
        return f"Please sign in or verify your account to use {code}."
    if reason is Reason.FIRST_ORDER_ONLY:
        return f"{code} is for a first order only."
    if reason is Reason.MIN_SUBTOTAL_NOT_MET:
        return f"{code} needs a subtotal of {m(p['min_subtotal'])}: " f"spend {m(p['missing'])} more."
    if reason is Reason.MIN_QUANTITY_NOT_MET:
        missing = p["missing"]
        item = "item" if missing == 1 else "items"
        return f"{code} needs at least {p['min_quantity']} items in the cart: add {missing} more {item}."
    if reason is Reason.NO_ELIGIBLE_ITEMS:
        return f"{code} applies to {p['applies_to']}, and nothing in the cart qualifies."
    if reason is Reason.NOT_COMBINABLE:
        return f"{code} can't be combined with {p['kept']}; we kept the better deal."
    raise AssertionError(reason)  # pragma: no cover

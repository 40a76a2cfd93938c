"""What the assistant says about prices, codes, deals and the cart: plain text, no Rasa.

Chat actions (``actions/pricing.py``) hand these a result of :class:`shop.pricing.chat.PricingChat`
and send the text. Amounts are :func:`shop.money.format_money` in the quote's currency, and
the sentence about a refused code is the rejection's own, so chat and checkout agree.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from shop.money import format_money
from shop.pricing.carts import MAX_LINE_QUANTITY
from shop.pricing.chat import CartChange, CodeResult
from shop.pricing.model import Quote
from shop.pricing.offers import OfferView

__all__ = ["change_text", "code_result_text", "offers_text", "quote_text"]


def quote_text(q: Quote, labels: Optional[Dict[str, str]] = None) -> str:
    """The lines of a priced cart, every discount explained, then the totals."""
    cur = q.currency
    rows = []
    for line in q.lines:
        variant = (labels or {}).get(line.line.sku, "")
        name = f"{line.line.name} ({variant})" if variant else line.line.name
        price = format_money(line.base, cur)
        rows.append(f"• {line.line.quantity} × {name}: {price}")
    rows += [f"  {text}" for text in q.explain()]
    shipping = "free" if q.shipping_total == 0 else format_money(q.shipping_total, cur)
    totals = f"Subtotal {format_money(q.subtotal, cur)}"
    if q.discount_total:
        totals += f", discounts -{format_money(q.discount_total, cur)}"
    totals += f", shipping {shipping}"
    if q.tax:
        totals += f", tax {format_money(q.tax, cur)}"
    totals += f". Total: {format_money(q.total, cur)}."
    return "\n".join(rows + [totals])


def code_result_text(result: CodeResult, labels: Optional[Dict[str, str]] = None) -> str:
    """The answer to a code: why it was refused, its terms, or what it saves on the cart."""
    if result.status in ("throttled", "rejected"):
        assert result.rejection is not None
        return result.rejection.message
    if result.status == "terms":
        return f"{result.terms} Your cart is empty right now; the discount is taken off at checkout."
    assert result.quote is not None and result.before is not None
    q, before = result.quote, result.before
    where = f"the {result.item_names[0]}" if result.item_names else "your cart"
    saved = before.total - q.total
    if saved <= 0:
        return (
            f"{result.code} is valid, but it doesn't lower the price of {where}: "
            + "; ".join(q.explain())
            + f". Total: {format_money(q.total, q.currency)}."
        )
    head = (
        f"{result.code} works: {where} comes to {format_money(q.total, q.currency)} "
        f"instead of {format_money(before.total, q.currency)} (you save {format_money(saved, q.currency)})."
    )
    return head + "\n" + quote_text(q, labels)


def offers_text(offers: List[OfferView], verified: bool) -> str:
    """The deals list: personal offers first, then what runs for everyone."""
    personal = [o for o in offers if o.personal]
    public = [o for o in offers if not o.personal]
    parts = []
    if personal:
        parts.append("Just for you:\n" + "\n".join(_offer_line(o) for o in personal))
    if public:
        parts.append("Running now:\n" + "\n".join(_offer_line(o) for o in public))
    if not parts:
        parts.append("There are no deals running right now.")
    if not verified:
        parts.append(
            "If you're signed in, or tell me an order number and its email, "
            "I can check for offers just for you."
        )
    return "\n\n".join(parts)


def _offer_line(o: OfferView) -> str:
    return f"• {o.sentence}" if o.sentence.startswith(o.title) else f"• {o.title}: {o.sentence}"


def change_text(change: CartChange, labels: Optional[Dict[str, str]] = None) -> str:
    """What happened to the cart, or the question that settles what the shopper meant."""
    if change.status == "added":
        variant = f" ({change.variant})" if change.variant else ""
        assert change.summary is not None
        added = f"Added {change.quantity} × {change.name}{variant} to your cart."
        return added + "\n" + quote_text(change.summary, labels)
    if change.status == "removed":
        assert change.summary is not None
        rest = quote_text(change.summary, labels) if change.summary.lines else "Your cart is empty now."
        return f"Removed {change.name} from your cart.\n{rest}"
    if change.status == "ambiguous":
        return "Which one do you mean: " + "; ".join(change.candidates) + "?"
    if change.status == "pick_variant":
        options = []
        if change.sizes:
            options.append("sizes " + ", ".join(change.sizes))
        if change.colors:
            options.append("colours " + ", ".join(change.colors))
        example = " ".join(x for x in (change.sizes[:1] + change.colors[:1]))
        return (
            f"Which one of the {change.name}? It comes in {' and '.join(options)}. "
            f'Tell me e.g. "add the {change.name} in {example}".'
        )
    if change.status == "no_such_variant":
        return (
            f"The {change.name} doesn't come in that combination. It comes in sizes "
            f"{', '.join(change.sizes) or '-'} and colours {', '.join(change.colors) or '-'}."
        )
    if change.status == "not_in_cart":
        return f"I don't see {change.name} in your cart."
    if change.status == "bad_quantity":
        return f"I can add between 1 and {MAX_LINE_QUANTITY} of an item at a time."
    return "I couldn't find that product. Could you give me its name as it appears in the shop?"

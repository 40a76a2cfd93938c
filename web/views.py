"""Small views: read the request, call the store or the pricing service, render."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from shop.checkout import CheckoutError, ShippingAddress
from shop.orders import OrderNotFound
from shop.pricing.model import CartView
from shop.pricing.service import InvalidQuantity, UnknownProduct
from shop.signed_identity import sign
from web.images import product_svg
from web.keys import CHECKOUT, CONFIG, ORDERS, PRICING, STORE
from web.session import set_signed_in, signed_in_customer

log = logging.getLogger(__name__)


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _safe_next(raw: object, default: str = "/") -> str:
    """Only same-site paths: ``/x`` yes, ``//evil`` and ``https://evil`` no."""
    if isinstance(raw, str) and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw[:500]
    return default


def _int(raw: object, default: int | None = None) -> int | None:
    try:
        return int(str(raw)) if raw not in (None, "") else default
    except ValueError:
        return default


async def _cart_id(request: web.Request) -> int:
    customer_id = signed_in_customer(request)
    pricing = request.app[PRICING]
    return await asyncio.to_thread(
        pricing.get_or_create_cart, customer_id=customer_id, sender_id=f"web:{request['sid']}"
    )


async def _context(request: web.Request, **extra: Any) -> dict[str, Any]:
    """What every page needs: who is signed in, the cart badge and the chat config."""
    config = request.app[CONFIG]
    store = request.app[STORE]
    customer_id = signed_in_customer(request)
    customers = await asyncio.to_thread(store.demo_customers)
    customer = next((c for c in customers if c.id == customer_id), None)
    cart_id = await _cart_id(request)
    cart_view = await asyncio.to_thread(request.app[PRICING].cart_view, cart_id)
    chat: dict[str, Any] = {"socketUrl": config.rasa_url, "socketPath": "/socket.io/"}
    if customer is not None:
        chat["identityKey"] = f"customer:{customer.id}"
        chat["metadata"] = {
            "identity_token": sign(customer.id, config.identity_secret, config.identity_ttl_s)
        }
    else:
        chat["identityKey"] = "anonymous"
        chat["metadata"] = {}
    return {
        "customer": customer,
        "demo_customers": customers,
        "cart_count": cart_view.quantity,
        "chat_config": chat,
        "current_path": request.path_qs,
        **extra,
    }


@aiohttp_jinja2.template("index.html")
async def index(request: web.Request) -> dict[str, Any]:
    store = request.app[STORE]
    category = request.query.get("category", "").strip() or None
    query = request.query.get("q", "").strip()
    page = _int(request.query.get("page"), 1) or 1
    categories = await asyncio.to_thread(store.categories)
    if category not in categories:
        category = None
    result = await asyncio.to_thread(store.products, category, query, page)
    return await _context(request, categories=categories, category=category, query=query, result=result)


@aiohttp_jinja2.template("product.html")
async def product(request: web.Request) -> dict[str, Any]:
    page = await asyncio.to_thread(request.app[STORE].product, request.match_info["sku"])
    if page is None:
        raise web.HTTPNotFound(text="No such product")
    return await _context(request, product=page)


async def product_image(request: web.Request) -> web.Response:
    sku = request.match_info["sku"]
    name = await asyncio.to_thread(request.app[STORE].product_name, sku)
    if name is None:
        raise web.HTTPNotFound()
    return web.Response(
        text=product_svg(sku, name),
        content_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400", "Content-Security-Policy": "default-src 'none'"},
    )


@aiohttp_jinja2.template("cart.html")
async def cart(request: web.Request) -> dict[str, Any]:
    cart_id = await _cart_id(request)
    view: CartView = await asyncio.to_thread(request.app[PRICING].cart_view, cart_id)
    subtotal = sum((line.unit_price * line.quantity for line in view.lines), Decimal("0.00"))
    return await _context(request, cart=view, subtotal=subtotal, error=request.query.get("error"))


async def cart_add(request: web.Request) -> web.Response:
    form = await request.post()
    store = request.app[STORE]
    page = await asyncio.to_thread(store.product, str(form.get("sku", ""))[:60])
    if page is None:
        return _see_other("/cart?error=unknown")
    variant_id = _int(form.get("variant_id"))
    if variant_id is not None and variant_id not in {v.id for v in page.variants}:
        return _see_other("/cart?error=unknown")
    if variant_id is None and page.variants:
        variant_id = page.variants[0].id
    quantity = _int(form.get("quantity"), 1) or 1
    cart_id = await _cart_id(request)
    try:
        await asyncio.to_thread(
            request.app[PRICING].add_item, cart_id, page.card.id, quantity, variant_id=variant_id
        )
    except (InvalidQuantity, UnknownProduct):
        return _see_other("/cart?error=quantity")
    return _see_other("/cart")


async def cart_remove(request: web.Request) -> web.Response:
    form = await request.post()
    product_id = _int(form.get("product_id"))
    if product_id is not None:
        cart_id = await _cart_id(request)
        await asyncio.to_thread(
            request.app[PRICING].remove_item, cart_id, product_id, variant_id=_int(form.get("variant_id"))
        )
    return _see_other("/cart")


def _codes(raw: object) -> list[str]:
    """The coupon field: one code, or several separated by commas (at most 200 characters)."""
    text = str(raw or "")[:200]
    return [c.strip() for c in text.split(",") if c.strip()]


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


ADDRESS_FIELDS = ("name", "street", "city", "postcode", "country")


async def _checkout_page(
    request: web.Request,
    code_text: str,
    *,
    address: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    """The summary with the quote lines for ``code_text``, a fresh idempotency key per render."""
    customer_id = signed_in_customer(request)
    checkout_service = request.app[CHECKOUT]
    context: dict[str, Any] = {
        "code_text": code_text,
        "quote": None,
        "error": error,
        "address": address or {},
        "idempotency_key": checkout_service.new_key(),
    }
    if customer_id is not None:
        cart_id = await _cart_id(request)
        context["quote"] = await asyncio.to_thread(
            request.app[PRICING].quote_cart, cart_id, _codes(code_text), customer_id, _now()
        )
        if not address:
            last = await asyncio.to_thread(checkout_service.last_address, customer_id)
            if last is not None:
                context["address"] = {f: getattr(last, f) for f in ADDRESS_FIELDS}
    response = aiohttp_jinja2.render_template(
        "checkout.html", request, await _context(request, **context), status=status
    )
    response.headers["Cache-Control"] = "no-store"  # a new idempotency key on every view
    return response


async def checkout(request: web.Request) -> web.Response:
    """GET: the checkout summary; ``?code=SAVE10`` re-quotes with that code."""
    return await _checkout_page(request, request.query.get("code", "")[:200])


async def place_order(request: web.Request) -> web.Response:
    """POST: place the order; success redirects to the confirmation, a refusal re-renders."""
    form = await request.post()
    code_text = str(form.get("code", ""))[:200]
    address = {f: str(form.get(f, ""))[:300] for f in ADDRESS_FIELDS}
    customer_id = signed_in_customer(request)
    if customer_id is None:
        return await _checkout_page(request, code_text, error="Please sign in to place an order.", status=403)
    cart_id = await _cart_id(request)
    try:
        placed = await asyncio.to_thread(
            lambda: request.app[CHECKOUT].place_order(
                customer_id=customer_id,
                cart_id=cart_id,
                codes=_codes(code_text),
                idempotency_key=str(form.get("idempotency_key", ""))[:100],
                address=ShippingAddress(**address),
                now=_now(),
            )
        )
    except CheckoutError as refused:
        log.info("checkout refused", extra={"reason": type(refused).__name__})
        return await _checkout_page(request, code_text, address=address, error=str(refused), status=409)
    return _see_other(f"/order/{placed.order_number}")


async def order_confirmation(request: web.Request) -> web.Response:
    """The signed-in customer's order by number; anyone else gets a 404."""
    number = request.match_info["number"]
    customer_id = signed_in_customer(request)
    if customer_id is None or not re.fullmatch(r"\d{6}", number):
        raise web.HTTPNotFound(text="No such order")
    try:
        details = await asyncio.to_thread(request.app[ORDERS].details, number, customer_id)
    except OrderNotFound:
        raise web.HTTPNotFound(text="No such order") from None
    return aiohttp_jinja2.render_template("order.html", request, await _context(request, order=details))


async def sign_in(request: web.Request) -> web.Response:
    """The demo's "signed in as" switch: a demo customer id, or empty to sign out."""
    form = await request.post()
    response = _see_other(_safe_next(form.get("next")))
    customer_id = _int(form.get("customer_id"))
    if customer_id is None:
        set_signed_in(request, response, None)
        return response
    customers = await asyncio.to_thread(request.app[STORE].demo_customers)
    if customer_id not in {c.id for c in customers}:
        raise web.HTTPBadRequest(text="Only the demo customers can sign in here")
    set_signed_in(request, response, customer_id)
    return response


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})

"""Small views: read the request, call one shop service (catalog, pricing, checkout), render."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from shop.catalog import ProductFacts
from shop.checkout import ADDRESS_LIMITS, CheckoutError, ShippingAddress
from shop.orders import OrderNotFound
from shop.pricing.model import CartView
from shop.pricing.service import InvalidQuantity, UnknownProduct
from web import forms
from web.forms import BadInput
from web.images import product_svg
from web.keys import CATALOG, CHECKOUT, CONFIG, ORDERS, PRICING, STORE
from web.session import csrf_token, set_signed_in, sign_chat, signed_in_customer
from web.store import Shopper

log = logging.getLogger(__name__)


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


#: Longest product SKU the storefront looks up (longer ones are simply not found).
MAX_SKU_CHARS = 64
MAX_CODE_TEXT_CHARS = 200
ADDRESS_FIELDS = tuple(ADDRESS_LIMITS)


def _sku(raw: object) -> str | None:
    """A SKU from a path or form, or None when it cannot be one (too long, control characters)."""
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_SKU_CHARS or forms.has_control_chars(raw):
        return None
    return raw


async def current_customer(request: web.Request) -> Shopper | None:
    """The signed-in customer: a valid ``shop_customer`` cookie naming a customer that exists.

    Anything else (no cookie, forged, expired, a chat token, a deleted customer) is signed out.
    """
    if "customer" not in request:
        customer_id = signed_in_customer(request)
        found = None
        if customer_id is not None:
            found = await asyncio.to_thread(request.app[STORE].customer, customer_id)
        request["customer"] = found
    customer: Shopper | None = request["customer"]
    return customer


async def _cart_id(request: web.Request) -> int:
    """The signed-in customer's cart, else this browser session's anonymous one."""
    customer = await current_customer(request)
    customer_id = customer.id if customer is not None else None
    pricing = request.app[PRICING]
    return await asyncio.to_thread(
        pricing.get_or_create_cart, customer_id=customer_id, sender_id=f"web:{request['sid']}"
    )


async def _context(request: web.Request, **extra: Any) -> dict[str, Any]:
    """What every page needs: who is signed in, the cart badge, the chat config, the CSRF token."""
    config = request.app[CONFIG]
    customer = await current_customer(request)
    customers = await asyncio.to_thread(request.app[STORE].demo_customers) if config.demo_mode else []
    cart_id = await _cart_id(request)
    cart_view = await asyncio.to_thread(request.app[PRICING].cart_view, cart_id)
    chat: dict[str, Any] = {
        "socketUrl": config.rasa_url,
        "socketPath": "/socket.io/",
        "languages": list(config.languages),
    }
    if config.chat_language:
        chat["language"] = config.chat_language
    if customer is not None:
        chat["identityKey"] = f"customer:{customer.id}"
        token = sign_chat(customer.id, config.identity_secret, config.identity_ttl_s)
        chat["metadata"] = {"identity_token": token}
    else:
        chat["identityKey"] = "anonymous"
        chat["metadata"] = {}
    return {
        "customer": customer,
        "demo_mode": config.demo_mode,
        "demo_customers": customers,
        "cart_count": cart_view.quantity,
        "chat_config": chat,
        "current_path": forms.safe_next(request.path_qs),
        "csrf_token": csrf_token(request),
        "query": "",
        **extra,
    }


def bad_request(request: web.Request, message: str) -> web.Response:
    """The 400 page: what was wrong, and that nothing was changed."""
    response = aiohttp_jinja2.render_template(
        "refused.html", request, {"title": "That request could not be used", "message": message}, status=400
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@aiohttp_jinja2.template("index.html")
async def index(request: web.Request) -> dict[str, Any]:
    """The product grid: ``?category=``, ``?q=`` (name, brand or category) and ``?page=``."""
    store = request.app[STORE]
    category = forms.text(request.query.get("category"), field="category", limit=100).strip() or None
    query = forms.text(request.query.get("q"), field="search", limit=200).strip()
    page = forms.page_number(request.query.get("page"))
    categories = await asyncio.to_thread(store.categories)
    if category not in categories:
        category = None
    result = await asyncio.to_thread(store.products, category, query, page)
    return await _context(request, categories=categories, category=category, query=query, result=result)


async def _product(request: web.Request, raw: object) -> ProductFacts | None:
    """The catalog's facts for a SKU from a path or form; None when there is no such product."""
    sku = _sku(raw)
    return None if sku is None else await asyncio.to_thread(request.app[CATALOG].get, sku)


def _options(facts: ProductFacts) -> list[Any]:
    """The variants a shopper can pick (a product without variants has none)."""
    return [v for v in facts.variants if v.id is not None]


@aiohttp_jinja2.template("product.html")
async def product(request: web.Request) -> dict[str, Any]:
    """A product's page (at shop.urls' ``product_url``): price, options, stock, add to cart."""
    facts = await _product(request, request.match_info["sku"])
    if facts is None:
        raise web.HTTPNotFound(text="No such product")
    return await _context(request, product=facts, options=_options(facts))


async def product_image(request: web.Request) -> web.Response:
    """A product's picture (at shop.urls' ``image_url``): a generated SVG tile."""
    facts = await _product(request, request.match_info["sku"])
    if facts is None:
        raise web.HTTPNotFound()
    return web.Response(
        text=product_svg(facts.sku, facts.name),
        content_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400", "Content-Security-Policy": "default-src 'none'"},
    )


async def _cart_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    cart_id = await _cart_id(request)
    view: CartView = await asyncio.to_thread(request.app[PRICING].cart_view, cart_id)
    subtotal = sum((line.unit_price * line.quantity for line in view.lines), Decimal("0.00"))
    context = await _context(request, cart=view, subtotal=subtotal, error=error)
    return aiohttp_jinja2.render_template("cart.html", request, context, status=status)


async def cart(request: web.Request) -> web.Response:
    """The cart page: the lines of this shopper's cart and the subtotal."""
    return await _cart_page(request)


async def cart_add(request: web.Request) -> web.Response:
    """POST: add a product (a variant of it) to the cart; a refusal shows the cart with why, 4xx."""
    form = await request.post()
    facts = await _product(request, forms.text(form.get("sku"), field="product", limit=200))
    if facts is None:
        missing = "That product couldn't be found, so nothing was added."
        return await _cart_page(request, error=missing, status=404)
    try:
        variant_id = forms.optional_id(form.get("variant_id"), field="option")
        quantity = forms.quantity(form.get("quantity"))
    except BadInput as bad:
        return await _cart_page(request, error=f"That item couldn't be added: {bad}", status=400)
    options = _options(facts)
    if variant_id is not None and variant_id not in {v.id for v in options}:
        return await _cart_page(request, error="That option of the product doesn't exist.", status=400)
    if variant_id is None and options:
        variant_id = options[0].id
    cart_id = await _cart_id(request)
    try:
        await asyncio.to_thread(
            request.app[PRICING].add_item, cart_id, facts.product_id, quantity, variant_id=variant_id
        )
    except (InvalidQuantity, UnknownProduct) as refused:
        return await _cart_page(request, error=f"That item couldn't be added: {refused}", status=400)
    return _see_other("/cart")


async def cart_remove(request: web.Request) -> web.Response:
    """POST: take a line (product, and its option if any) out of the cart."""
    form = await request.post()
    product_id = forms.optional_id(form.get("product_id"), field="product")
    variant_id = forms.optional_id(form.get("variant_id"), field="option")
    if product_id is None:
        raise BadInput("Which item to remove is missing.")
    cart_id = await _cart_id(request)
    await asyncio.to_thread(request.app[PRICING].remove_item, cart_id, product_id, variant_id=variant_id)
    return _see_other("/cart")


def _codes(text: str) -> list[str]:
    """The coupon field: one code, or several separated by commas."""
    return [c.strip() for c in text.split(",") if c.strip()]


def _code_text(source: Mapping[str, Any]) -> str:
    return forms.text(source.get("code"), field="coupon code", limit=MAX_CODE_TEXT_CHARS)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


async def _checkout_page(
    request: web.Request,
    code_text: str,
    *,
    address: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    """The summary with the quote lines for ``code_text``, a fresh idempotency key per render.

    The quote is :meth:`CheckoutService.preview`: the same codes rules and engine that
    placing the order applies, so what the page shows is what the order charges.
    """
    customer = await current_customer(request)
    checkout_service = request.app[CHECKOUT]
    context: dict[str, Any] = {
        "code_text": code_text,
        "quote": None,
        "error": error,
        "address": address or {},
        "idempotency_key": checkout_service.new_key(),
    }
    if customer is not None:
        # Only the signed-in customer's own cart and own last address, never anyone else's.
        await _cart_id(request)  # hands a cart filled before signing in over to the customer
        try:
            context["quote"] = await asyncio.to_thread(
                checkout_service.preview, customer.id, _codes(code_text), _now()
            )
        except CheckoutError as refused:  # e.g. more codes than an order takes
            context["error"] = error or str(refused)
            status = status if status != 200 else 400
        if not address:
            last = await asyncio.to_thread(checkout_service.last_address, customer.id)
            if last is not None:
                context["address"] = {f: getattr(last, f) for f in ADDRESS_FIELDS}
    response = aiohttp_jinja2.render_template(
        "checkout.html", request, await _context(request, **context), status=status
    )
    response.headers["Cache-Control"] = "no-store"  # a new idempotency key on every view
    return response


async def checkout(request: web.Request) -> web.Response:
    """GET: the checkout summary; ``?code=SAVE10`` re-quotes with that code."""
    try:
        code_text = _code_text(request.query)
    except BadInput as bad:
        return await _checkout_page(request, "", error=str(bad), status=400)
    return await _checkout_page(request, code_text)


async def place_order(request: web.Request) -> web.Response:
    """POST: place the order; success redirects to the confirmation, a refusal re-renders."""
    form = await request.post()
    customer = await current_customer(request)
    try:
        code_text = _code_text(form)
        address = {
            f: forms.text(form.get(f), field=f"{f} of the shipping address", limit=limit)
            for f, limit in ADDRESS_LIMITS.items()
        }
        key = forms.text(form.get("idempotency_key"), field="checkout key", limit=100)
    except BadInput as bad:
        return await _checkout_page(request, "", error=str(bad), status=400)
    if customer is None:
        return await _checkout_page(request, code_text, error="Please sign in to place an order.", status=403)
    cart_id = await _cart_id(request)
    try:
        placed = await asyncio.to_thread(
            lambda: request.app[CHECKOUT].place_order(
                customer_id=customer.id,
                cart_id=cart_id,
                codes=_codes(code_text),
                idempotency_key=key,
                address=ShippingAddress(**address),
                now=_now(),
            )
        )
    except CheckoutError as refused:
        log.info("checkout refused", extra={"reason": type(refused).__name__})
        return await _checkout_page(request, code_text, address=address, error=str(refused), status=409)
    return _see_other(str(request.app.router["order_confirmation"].url_for(number=placed.order_number)))


async def order_confirmation(request: web.Request) -> web.Response:
    """The signed-in customer's order by number; anyone else gets a 404."""
    number = request.match_info["number"]
    customer = await current_customer(request)
    if customer is None or not re.fullmatch(r"[0-9]{6}", number):
        raise web.HTTPNotFound(text="No such order")
    try:
        details = await asyncio.to_thread(request.app[ORDERS].details, number, customer.id)
    except OrderNotFound:
        raise web.HTTPNotFound(text="No such order") from None
    return aiohttp_jinja2.render_template("order.html", request, await _context(request, order=details))


async def sign_in(request: web.Request) -> web.Response:
    """The demo's "signed in as" switch: a demo customer id, or empty to sign out (demo mode only)."""
    if not request.app[CONFIG].demo_mode:
        raise web.HTTPNotFound()
    form = await request.post()
    customer_id = forms.optional_id(form.get("customer_id"), field="customer")
    response = _see_other(forms.safe_next(form.get("next")))
    if customer_id is None:
        set_signed_in(request, response, None)
        return response
    customers = await asyncio.to_thread(request.app[STORE].demo_customers)
    if customer_id not in {c.id for c in customers}:
        return bad_request(request, "Only the demo customers can sign in here.")
    set_signed_in(request, response, customer_id)
    return response


async def health(request: web.Request) -> web.Response:
    """For process supervisors and tests: the app is up."""
    return web.json_response({"status": "ok"})

"""Every URL of the storefront, in one place."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from shop.urls import IMAGE_PATH, PRODUCT_PATH
from web import views


def setup_routes(app: web.Application, static_dir: Path, *, demo_mode: bool = False) -> None:
    """Every route; the "signed in as" switch only in demo mode (elsewhere ``/signin`` is a 404).

    A product's page and picture are at shop.urls' patterns, the paths every channel links.
    """
    app.router.add_get("/", views.index, name="index")
    app.router.add_get(PRODUCT_PATH, views.product, name="product")
    app.router.add_get(IMAGE_PATH, views.product_image, name="product_image")
    app.router.add_get("/cart", views.cart, name="cart")
    app.router.add_post("/cart/add", views.cart_add, name="cart_add")
    app.router.add_post("/cart/remove", views.cart_remove, name="cart_remove")
    app.router.add_get("/checkout", views.checkout, name="checkout")
    app.router.add_post("/checkout", views.place_order, name="place_order")
    app.router.add_get("/order/{number}", views.order_confirmation, name="order_confirmation")
    if demo_mode:
        app.router.add_post("/signin", views.sign_in, name="sign_in")
    app.router.add_get("/health", views.health, name="health")
    app.router.add_static("/static/", static_dir, name="static", append_version=False)

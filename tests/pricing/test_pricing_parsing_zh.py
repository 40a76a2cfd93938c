"""A Chinese shopper's "put it in my cart" (shop.pricing.parsing): the product and size out
of 把 … 加入购物车, the English forms unchanged, and the chat adding the named product."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from shop.catalog import CatalogService
from shop.pricing.chat import PricingChat
from shop.pricing.parsing import chinese_option_in_text, option_in_text, product_in_text
from shop.pricing.throttle import CodeAttemptThrottle
from tests.pricing.conftest import NOW, MiniShop, build_shop

SIZES = ["XS", "S", "M", "L", "XL"]


@pytest.mark.parametrize(
    "text, product, size",
    [
        ("把Kestrel 防雨夹克 Plus M码加入购物车", "Kestrel 防雨夹克 Plus", "M"),
        ("帮我把 Summit 羽绒夹克 尺码 L 加入购物车", "Summit 羽绒夹克", "L"),
        ("请把Summit 羽绒夹克的XL码放进购物车", "Summit 羽绒夹克", "XL"),
        ("把Kestrel 保暖硬壳冲锋衣 XS码 藏青色的加入购物车", "Kestrel 保暖硬壳冲锋衣", "XS"),
        ("把 Summit 羽绒夹克 黑色 M码加入购物车", "Summit 羽绒夹克", "M"),
        ("把 Ridge Tent 加到我的购物车", "Ridge Tent", None),
        ("add the summit fleece jacket in M to my cart", "summit fleece jacket", "M"),
        ("add the Ridge Tent", "Ridge Tent", None),
    ],
)
def test_product_and_size_in_both_languages(text: str, product: str, size: str | None) -> None:
    assert product_in_text(text) == product
    assert option_in_text(text, SIZES, after=True) == size


def test_a_size_needs_its_marker_in_chinese_too() -> None:
    assert option_in_text("Summit 羽绒夹克 M", SIZES, after=True) is None  # a bare letter is no size
    assert option_in_text("SAVE10码", ["10"], after=True) is None  # digits inside a word are not a size


@pytest.fixture
def chat(make_db: Callable[..., Any]) -> tuple[PricingChat, MiniShop]:
    mini = build_shop(make_db("sqlite", False).sessions)
    return PricingChat(
        mini.sessions, mini.service, CodeAttemptThrottle(mini.sessions), CatalogService(mini.sessions)
    ), mini


def test_the_chat_adds_a_product_named_in_a_chinese_sentence(chat: tuple[PricingChat, MiniShop]) -> None:
    pricing, _ = chat
    text = "把 Ridge Tent 加入购物车"
    change = pricing.add("rest:zh-cart", None, None, NOW, text=text)
    assert change.status == "added" and change.name == "Ridge Tent", change


def test_a_colour_named_in_chinese() -> None:
    colours = ["Navy", "Black", "Pink"]
    assert chinese_option_in_text("把 Kestrel 保暖硬壳冲锋衣 XS码 黑色的加入购物车", colours) == "Black"
    assert chinese_option_in_text("要海军蓝的", colours) == "Navy"
    assert chinese_option_in_text("要红色的", colours) is None
    assert chinese_option_in_text("black please", colours) is None  # English is option_in_text's

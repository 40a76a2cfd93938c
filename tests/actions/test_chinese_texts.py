"""What a Chinese shopper reads in product answers, carousels and order tracking: product
names in Chinese where the catalog has them, carrier scans in Chinese, the English exactly as
before; and the helpers the duplicates were folded into say the same in both places."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from rasa_sdk.executor import CollectingDispatcher

from actions.carousel import carousel_payload, carousel_text
from actions.catalog_text import compare_text, overview_text, price_text, stock_text, which_one
from actions.formatting import SCAN_KEYS, order_list_text, order_status_text, scan_text
from shop.catalog import Comparison, Match, ProductFacts, StockAnswer, VariantStock
from shop.orders import OrderDetails, OrderLine, OrderSummary, TrackingInfo
from shop.recommend import Recommendation

HAN = re.compile("[\u4e00-\u9fff]")
PLACED = datetime(2024, 6, 4, 9, 30)


def _facts(sku: str = "JKT-000026", name: str = "Summit Down Jacket", name_zh: str = "Summit 羽绒夹克",
           price: str = "82.99", sale: str | None = None) -> ProductFacts:  # fmt: skip
    return ProductFacts(
        product_id=26, sku=sku, name=name, brand="Summit", category="Jackets", price=Decimal(price),
        image_url=f"/img/{sku}.svg", url=f"/product/{sku}", rating=Decimal("4.5"), name_zh=name_zh,
        description="Warm.", materials="down", variants=(VariantStock(f"{sku}-M", "M", "black", 3),),
        sale_price=Decimal(sale) if sale else None, promotion="Winter sale" if sale else None,
    )  # fmt: skip


def _rec(facts: ProductFacts) -> Recommendation:
    summary = {f: getattr(facts, f) for f in ("product_id", "sku", "name", "brand", "category", "price",
                                              "image_url", "url", "rating", "name_zh")}  # fmt: skip
    return Recommendation(**summary, score=0.9, reason="")


def test_carousel_titles_are_chinese_names_for_zh_and_english_for_en() -> None:
    jacket, plain = _facts(), _facts(sku="JKT-000099", name="Odd Thing", name_zh="")
    recs = [_rec(jacket), _rec(plain)]
    zh = carousel_payload(recs, intro="为您找到以下商品：", lang="zh")
    assert [c["title"] for c in zh["products"]] == [
        "Summit 羽绒夹克",
        "Odd Thing",
    ]  # no Chinese name: English
    assert zh["products"][0]["price"] == "US$82.99"
    en = carousel_payload(recs, lang="en")
    assert [c["title"] for c in en["products"]] == ["Summit Down Jacket", "Odd Thing"]
    assert (
        carousel_text("为您找到以下商品：", recs, "zh").splitlines()[1]
        == "1. Summit 羽绒夹克（Summit）- US$82.99"
    )
    assert "1. Summit Down Jacket" in carousel_text("Here:", recs, "en")


def test_product_answers_and_buttons_name_the_product_in_chinese() -> None:
    p = _facts()
    assert "Summit 羽绒夹克" in overview_text(p, "zh") and "Summit Down Jacket" not in overview_text(p, "zh")
    assert "Summit Down Jacket" in overview_text(p, "en")
    answer = StockAnswer(p, "M", None, True, 3, p.variants)
    assert "Summit 羽绒夹克（M 码）" in stock_text(answer, "zh")
    other = _facts(
        sku="JKT-000005", name="Summit Rain Shell", name_zh="Summit 防雨硬壳冲锋衣", price="102.99"
    )
    both = compare_text(
        Comparison(p, other, (), cheaper_sku="JKT-000026", price_difference=Decimal("20.00")), "zh"
    )
    assert (
        both.startswith("Summit 羽绒夹克 与 Summit 防雨硬壳冲锋衣 对比：") and "Summit 羽绒夹克 便宜" in both
    )
    dispatcher = CollectingDispatcher()
    which_one(dispatcher, [Match(26, "JKT-000026", "Summit Down Jacket", "Summit", 0.9, "Summit 羽绒夹克")],
              "product_question", "zh")  # fmt: skip
    assert dispatcher.messages[0]["buttons"][0]["title"] == "Summit 羽绒夹克（JKT-000026）"


def test_sale_price_helper_is_shared_by_answers_and_comparisons() -> None:
    on_sale = _facts(sale="69.99")
    assert price_text(on_sale, "en") == "$69.99 right now (usually $82.99, Winter sale)"
    assert price_text(on_sale, "zh") == "现价 US$69.99（原价 US$82.99，Winter sale）"
    assert price_text(_facts(), "zh") == "US$82.99"
    # A "sale" price that isn't lower is no sale in an answer; a comparison still shows it.
    odd = _facts(sale="90.00")
    assert price_text(odd, "en") == "$82.99"
    assert "US$90.00（原价 US$82.99" in compare_text(
        Comparison(odd, _facts(sku="B"), (), cheaper_sku=None, price_difference=Decimal(0)), "zh"
    )


def test_carrier_scans_in_chinese_and_unknown_ones_as_written() -> None:
    assert scan_text("Departed facility", "zh") == "已离开转运中心"
    assert all(HAN.search(scan_text(s, "zh")) for s in SCAN_KEYS)
    assert all(scan_text(s, "en") == s for s in SCAN_KEYS)
    assert scan_text("Held at customs", "zh") == "Held at customs"


def _order(scan: str) -> OrderDetails:
    tracking = TrackingInfo(
        "UPS", "1Z999", PLACED, datetime(2024, 6, 7), None, scan, datetime(2024, 6, 5), "Louisville, KY"
    )
    line = OrderLine(1, "JKT-000026-M", "Summit Down Jacket", "M", "black", 1, Decimal("82.99"), 0)
    return OrderDetails("104523", "shipped", PLACED, "USD", Decimal("82.99"), Decimal(0), Decimal(0),
                        Decimal("82.99"), (line,), tracking, "Louisville", "US")  # fmt: skip


def test_order_status_and_list_share_the_order_words() -> None:
    zh = order_status_text(_order("Arrived at facility"), "zh")
    assert zh.startswith("您于 2024年6月4日周二 下的订单 #104523 正在配送途中。")
    assert "最新物流：已到达转运中心（Louisville, KY）" in zh
    en = order_status_text(_order("Arrived at facility"), "en")
    assert "Arrived at facility" in en and not HAN.search(en)
    row = OrderSummary("104523", "shipped", PLACED, Decimal("82.99"), "USD", 1)
    assert "#104523 · 2024年6月4日周二 · 正在配送途中 · 1 件商品 · US$82.99" in order_list_text([row], "zh")


def test_order_lines_name_the_product_in_the_shoppers_language() -> None:
    from actions.formatting import line_text
    from actions.returns import parse_selection

    jacket = OrderLine(
        1, "JKT-1-M", "Summit Down Jacket", "M", "black", 1, Decimal("82.99"), 1, "Summit 羽绒夹克"
    )
    tee = OrderLine(2, "TEE-2-S", "Basic Tee", "S", "white", 2, Decimal("9.99"), 2)  # no Chinese name
    assert "Summit 羽绒夹克" in line_text(jacket, "USD", "zh")
    assert "Summit Down Jacket" in line_text(jacket, "USD", "en")
    assert "Basic Tee" in line_text(tee, "USD", "zh")
    assert parse_selection("退summit 羽绒夹克", (jacket, tee)) == [1]

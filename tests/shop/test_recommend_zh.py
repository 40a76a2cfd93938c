"""A Chinese query finds what its English twin finds, on the demo catalog and a small one.

The demo catalog (2,000 products, ``shop.seed.demo``'s seed) is seeded into SQLite; its
index is ``var/catalog_index`` when that was built from the same catalog (``make pytest``
builds it first: the fingerprint check then takes milliseconds), else it is built here.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from catalog_index import build_index, load_index
from shop.catalog_query import Filters
from shop.catalog_rows import display_name
from shop.db.models import Product
from shop.db.session import make_engine, make_sessionmaker
from shop.recommend import Recommender
from tests.conftest import FIXED_NOW
from tests.support.demo_catalog import demo_catalog
from tests.support.small_catalog import make_small_catalog

pytestmark = pytest.mark.xdist_group("catalog_zh_demo")

#: (English, Chinese as a Chinese shopper types it): needs, and needs with constraints.
PAIRS = [
    ("waterproof jacket under $150 in M, not black", "150美元以内的防水外套，M码，不要黑色"),
    ("down jacket", "羽绒服"),
    ("black running shoes", "黑色跑鞋"),
    ("running shoes size 10", "10码的跑鞋"),
    ("waterproof hiking boots", "防水的登山鞋"),
    ("2-person tent", "双人帐篷"),
    ("insulated water bottle", "保温水壶"),
    ("cast iron skillet", "铸铁平底锅"),
    ("noise-cancelling headphones under $200", "200美元以下的降噪耳机"),
    ("bluetooth speaker", "蓝牙音箱"),
    ("power bank", "充电宝"),
    ("yoga mat", "瑜伽垫"),
    ("hoodie between $40 and $80", "40到80块的卫衣"),
    ("bike lock", "自行车锁"),
    ("merino wool socks", "美利奴羊毛袜子"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Recommender:
    root = tmp_path_factory.mktemp("demo_zh")
    sessions, index = demo_catalog(root, FIXED_NOW)
    rec = Recommender(index, sessions)
    rec.index_folder = root / "index"  # type: ignore[attr-defined]
    return rec


def _skus(recs: list) -> list[str]:
    return [r.sku for r in recs]


def test_chinese_queries_find_the_english_queries_products(demo: Recommender) -> None:
    overlaps = []
    for en, zh in PAIRS:
        parsed_en, found_en = demo.search_message(en, 5)
        parsed_zh, found_zh = demo.search_message(zh, 5)
        assert len(found_zh) == len(found_en) == 5, zh
        assert parsed_zh.filters == parsed_en.filters, zh
        # Every Chinese result is of a kind the English query found.
        assert {r.category for r in found_zh} <= {r.category for r in found_en}, zh
        overlaps.append(len(set(_skus(found_en)) & set(_skus(found_zh))) / 5)
    assert sum(overlaps) / len(overlaps) >= 0.75, overlaps
    assert sum(o >= 0.6 for o in overlaps) >= len(PAIRS) - 2, overlaps


def test_constraints_in_chinese_are_kept(demo: Recommender) -> None:
    parsed, found = demo.search_message("150美元以内的防水外套，M码，不要黑色", 5)
    assert parsed.filters == Filters(
        max_price=Decimal("150.00"), size="M", exclude_colors=("black",), category="Jackets"
    )
    assert found and all(r.category == "Jackets" and r.price <= Decimal("150") for r in found)


def test_unknown_chinese_words_give_popular_products_not_noise(demo: Recommender) -> None:
    parsed, found = demo.search_message("有什么推荐的吗？", 5)
    assert parsed.text == ""
    assert _skus(found) == _skus(demo.popular(5))


def test_a_chinese_name_finds_its_product_and_the_cards_can_show_it(demo: Recommender) -> None:
    with demo.session_factory() as s:
        product = s.query(Product).filter(Product.name.like("%Noise-Cancelling Headphones%")).first()
        assert product is not None and product.name_zh
        sku, name_zh = product.sku, product.name_zh
    _, found = demo.search_message(name_zh, 5)
    assert sku in _skus(found)
    assert all(display_name(r, "zh") == r.name_zh and r.name_zh for r in found)


def test_english_results_do_not_depend_on_the_chinese_names(demo: Recommender, tmp_path: Path) -> None:
    # The index embeds the English text only: without any name_zh it is still current
    # (load_index checks the fingerprint) and English queries find the same products.
    source = demo.session_factory.kw["bind"].url.database
    shutil.copy(source, tmp_path / "plain.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        s.query(Product).update({Product.name_zh: None})
        s.commit()
    plain = Recommender(load_index(demo.index_folder, sessions), sessions)  # type: ignore[attr-defined]
    for en, _ in PAIRS:
        assert _skus(plain.search_message(en, 5)[1]) == _skus(demo.search_message(en, 5)[1]), en
    engine.dispose()


def test_small_catalog_chinese_and_english_agree(tmp_path: Path) -> None:
    sessions, _ = make_small_catalog(f"sqlite:///{tmp_path / 'shop.db'}")
    build_index(sessions, tmp_path / "index")
    rec = Recommender(load_index(tmp_path / "index", sessions), sessions)
    for en, zh in [
        ("waterproof jacket", "防水夹克"),
        ("running shoes", "跑鞋"),
        ("yoga mat", "瑜伽垫"),
        ("tent", "帐篷"),
    ]:
        top_en = _skus(rec.search_message(en, 3)[1])
        top_zh = _skus(rec.search_message(zh, 3)[1])
        assert top_en[0] == top_zh[0] and len(set(top_en) & set(top_zh)) >= 2, (en, top_en, top_zh)

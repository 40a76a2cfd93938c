"""shop.urls: the product and image URLs the storefront serves and every channel links."""

from shop.urls import IMAGE_PATH, PRODUCT_PATH, absolute, image_url, product_url


def test_product_url_is_the_storefront_product_route():
    assert product_url("JKT-000089", env={}) == "/product/JKT-000089"
    assert PRODUCT_PATH == "/product/{sku}"


def test_image_url_is_the_storefront_image_route():
    assert image_url("JKT-000089", env={}) == "/img/JKT-000089.svg"
    assert IMAGE_PATH == "/img/{sku}.svg"


def test_public_base_makes_urls_absolute():
    env = {"STOREFRONT_PUBLIC_URL": "https://shop.example.com/"}
    assert product_url("JKT-1", env=env) == "https://shop.example.com/product/JKT-1"
    assert image_url("JKT-1", env=env) == "https://shop.example.com/img/JKT-1.svg"
    assert absolute("https://cdn.example.com/x.jpg", env=env) == "https://cdn.example.com/x.jpg"


def test_sku_is_escaped_in_the_path():
    assert product_url("A/B C", env={}) == "/product/A%2FB%20C"
    assert image_url("A/B C", env={}) == "/img/A%2FB%20C.svg"
    # tests/web/test_product_links.py: the storefront's routes are these patterns and serve them.

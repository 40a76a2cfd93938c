"""The widget's own words in the shopper's language, in Chromium, against the project's socket.io channel.

The browser's language is the context's ``locale`` (Chromium's navigator.languages); the
storefront runs for real with ``SHOP_LANGUAGES`` at its default (en,zh) and the Rasa side is
tests/web/socketio_echo.py, which answers with the metadata it received. The Chinese
screenshot goes to docs/img/widget-zh.png (the CJK fonts come from
scripts/install-system-deps.sh: without them Chinese is drawn as boxes).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from harness.chromium import chromium
from harness.paths import ROOT
from tests.web.browser import (
    echo_site,
    open_chat,
    require_assets,
    type_message,
)

SECRET = "widget-language-secret"
SCREENSHOT = ROOT / "docs" / "img" / "widget-zh.png"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_assets()
    with echo_site(tmp_path_factory.mktemp("widget-language"), SECRET) as shop_url:
        yield shop_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _page(browser: Browser, site: str, locale: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale=locale)
    pg = context.new_page()
    pg.goto(site)
    yield pg
    context.close()


@pytest.fixture
def zh_page(browser: Browser, site: str) -> Iterator[Page]:
    yield from _page(browser, site, "zh-CN")


@pytest.fixture
def en_page(browser: Browser, site: str) -> Iterator[Page]:
    yield from _page(browser, site, "en-US")


def _meta(page: Page) -> dict[str, object]:
    """The metadata the echo bot says it received with the last message."""
    last = page.locator(".shopchat-bot .shopchat-bubble").last
    expect(last).to_contain_text("meta=")
    return json.loads(re.sub(r"^.*meta=", "", last.inner_text()))


def test_a_chinese_browser_gets_the_widget_in_chinese(zh_page: Page) -> None:
    page = zh_page
    assert page.evaluate("navigator.languages")[0] == "zh-CN"
    launcher = page.locator(".shopchat-launcher")
    expect(launcher).to_have_text("在线咨询")
    expect(page.locator(".shopchat")).to_have_attribute("lang", "zh-Hans")
    open_chat(page)
    expect(page.locator(".shopchat-title")).to_have_text("购物助手")
    expect(page.locator(".shopchat-input")).to_have_attribute("placeholder", "请输入消息…")
    expect(page.locator(".shopchat-input")).to_have_attribute("aria-label", "消息")
    expect(page.locator(".shopchat-send")).to_have_text("发送")
    expect(page.locator(".shopchat-close")).to_have_attribute("aria-label", "关闭聊天")
    expect(page.locator(".shopchat-panel")).to_have_attribute("aria-label", "购物助手聊天窗口")
    type_message(page, "我的订单到哪了？")
    assert _meta(page) == {"language": "zh", "source": "127.0.0.1"}
    type_message(page, "/zh")
    expect(page.locator(".shopchat-button")).to_have_text(["查订单", "转人工客服"])
    # A CJK font for Chromium (scripts/install-system-deps.sh), else the screenshot shows boxes.
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True)
    assert "CJK" in fonts.stdout, "no CJK font: run scripts/install-system-deps.sh (fonts-noto-cjk)"
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))


def test_carousel_buttons_and_what_they_show_are_in_chinese(zh_page: Page) -> None:
    open_chat(zh_page)
    type_message(zh_page, "/carousel")
    more = zh_page.locator(".shopchat-card .shopchat-more")
    expect(more).to_have_text(["看看类似的", "看看类似的"])
    more.first.click()
    expect(zh_page.locator(".shopchat-user .shopchat-bubble").last).to_have_text("看看和Trail <Runner>类似的")


def test_the_too_long_note_is_in_the_widgets_language(zh_page: Page, en_page: Page) -> None:
    for page, note in ((zh_page, "消息最长 1000 个字符，不能再多了。"), (en_page, "(1000 characters)")):
        open_chat(page)
        hint = page.locator(".shopchat-note")
        page.fill(".shopchat-input", "好" * 999)
        expect(hint).to_be_hidden()
        page.fill(".shopchat-input", "好" * 1200)  # the input keeps 1000: the note says why
        assert len(page.input_value(".shopchat-input")) == 1000
        expect(hint).to_be_visible()
        expect(hint).to_contain_text(note)
        page.press(".shopchat-input", "Enter")
        expect(hint).to_be_hidden()


def test_a_lost_connection_says_reconnecting_then_recovers(zh_page: Page) -> None:
    open_chat(zh_page)
    shopchat, banner = zh_page.locator(".shopchat"), zh_page.locator(".shopchat-banner")
    expect(shopchat).to_have_attribute("data-connection", "up")
    expect(banner).to_be_hidden()
    # The transport closes under the widget, as when the server restarts: socket.io retries.
    zh_page.evaluate("ShopChat.instance.socket.io.engine.close()")
    expect(banner).to_have_text("连接已断开，正在重新连接…")
    expect(shopchat).to_have_attribute("data-connection", "up")
    expect(banner).to_be_hidden()
    type_message(zh_page, "还在吗")
    assert _meta(zh_page)["language"] == "zh"


def test_an_english_browser_gets_english_and_says_so(en_page: Page) -> None:
    expect(en_page.locator(".shopchat-launcher")).to_have_text("Chat with us")
    expect(en_page.locator(".shopchat")).to_have_attribute("lang", "en")
    open_chat(en_page)
    expect(en_page.locator(".shopchat-input")).to_have_attribute("placeholder", "Type a message…")
    expect(en_page.locator(".shopchat-send")).to_have_text("Send")
    type_message(en_page, "where is my order")
    assert _meta(en_page)["language"] == "en"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("zh-TW", "zh"), ("zh", "zh"), ("en-GB", "en"), ("de-DE", "en"), ("fr-FR", "en")],
)
def test_browser_language_picks_among_the_shops_languages(
    browser: Browser, site: str, locale: str, expected: str
) -> None:
    for page in _page(browser, site, locale):
        expect(page.locator(".shopchat")).to_have_attribute("data-language", expected)
        launcher = "在线咨询" if expected == "zh" else "Chat with us"
        expect(page.locator(".shopchat-launcher")).to_have_text(launcher)


def test_every_language_has_every_string_and_the_choice_follows_the_rules(en_page: Page) -> None:
    strings = en_page.evaluate("ShopChat.strings")
    assert set(strings) == {"en", "zh"}
    assert set(strings["zh"]) == set(strings["en"])
    assert all(strings["zh"][k] != strings["en"][k] for k in strings["en"])
    assert all(re.search("[\u4e00-\u9fff]", v) for v in strings["zh"].values())
    pick = "([config, langs]) => ShopChat.pickLanguage(config, langs)"
    cases = [
        ({"languages": ["en", "zh"], "language": "zh"}, ["en-US"], "zh"),  # the shop fixed it
        ({"languages": ["zh"], "language": "zh"}, ["en-US"], "zh"),
        ({"languages": ["en", "zh"]}, ["de-DE", "zh-Hant-TW", "en"], "zh"),  # first offered one
        ({"languages": ["zh", "en"]}, ["de-DE"], "zh"),  # none offered: the shop's default
        ({"languages": ["en"]}, ["zh-CN"], "en"),  # the shop doesn't speak Chinese
        ({"languages": ["de", "en"]}, ["de-DE"], "en"),  # no widget words in German: English
        ({}, ["zh-CN"], "en"),  # no languages in the config: English only
        ({"languages": ["en", "zh"], "language": "xx"}, ["zh-CN"], "zh"),  # an unknown fix is ignored
    ]
    for config, langs, expected in cases:
        assert en_page.evaluate(pick, [config, langs]) == expected, (config, langs)

"""The chat widget in Chromium against the project's socket.io channel (no model needed).

The storefront runs for real (``python -m web``); the Rasa side is
tests/web/socketio_echo.py, which mounts ``channels.socketio_web.WebSocketIOInput`` and
answers from a script, so rendering, session persistence and metadata are checked
without training a model. test_browser_e2e.py does the same against the trained bot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from channels.session_ids import conversation_of
from console.handoff import join_message, leave_message
from harness.chromium import chromium
from shop.signed_identity import verify
from tests.web.browser import (
    ARTIFACTS,
    echo_site,
    open_chat,
    require_assets,
    type_message,
)
from tests.web.socketio_echo import HANDOFF_REQUESTED

SECRET = "widget-test-secret"
# What every message carries: the widget's language (an en-US browser) and what the socket.io
# channel adds, the connection's address (not the client's word).
SOURCE = '"language": "en", "source": "127.0.0.1"'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_assets()
    with echo_site(tmp_path_factory.mktemp("widget"), SECRET) as shop_url:
        yield shop_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    pg = context.new_page()
    pg.goto(site)
    yield pg
    context.close()


def bot_bubbles(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".shopchat-bot .shopchat-bubble")


def test_reload_continues_the_same_conversation(page: Page) -> None:
    open_chat(page)
    session = page.get_attribute(".shopchat", "data-session") or ""
    sender = conversation_of(session)  # the server's conversation id for the signed session
    type_message(page, "hello there")
    expect(bot_bubbles(page).last).to_have_text(f"echo [{sender}] hello there meta={{{SOURCE}}}")
    page.reload()
    expect(page.locator(".shopchat-user .shopchat-bubble")).to_have_text(["hello there"])
    expect(page.locator(".shopchat[data-session]")).to_have_attribute("data-session", session)
    type_message(page, "still me")
    expect(bot_bubbles(page).last).to_have_text(f"echo [{sender}] still me meta={{{SOURCE}}}")
    expect(page.locator(".shopchat-user .shopchat-bubble")).to_have_text(["hello there", "still me"])


def test_signed_in_shopper_sends_a_verifiable_identity_token(page: Page) -> None:
    open_chat(page)
    anonymous_session = page.get_attribute(".shopchat", "data-session")
    page.select_option("#signin-select", label="Alex Morgan")
    expect(page.locator("#signed-in-as")).to_contain_text("Alex Morgan")
    # A different shopper gets a fresh conversation, not the anonymous one.
    expect(page.locator(".shopchat[data-session]")).not_to_have_attribute(
        "data-session", anonymous_session or ""
    )
    type_message(page, "my orders")
    expect(bot_bubbles(page).last).to_contain_text("identity_token")
    meta = json.loads(re.sub(r"^.*meta=", "", bot_bubbles(page).last.inner_text()))
    config = json.loads(page.locator("#shopchat-config").text_content() or "{}")
    customer_id = int(config["identityKey"].split(":")[1])
    assert verify(meta["identity_token"], SECRET) == customer_id


def test_buttons_send_their_payload_and_show_their_title(page: Page) -> None:
    open_chat(page)
    type_message(page, "/buttons")
    buttons = page.locator(".shopchat-button")
    expect(buttons).to_have_text(["Red <b>", "Blue"])  # titles are text, never markup
    buttons.nth(1).click()
    expect(page.locator(".shopchat-user .shopchat-bubble").last).to_have_text("Blue")
    expect(bot_bubbles(page).last).to_contain_text("/choose_blue")
    expect(buttons.first).to_be_disabled()


def test_carousel_renders_products_and_more_like_this(page: Page) -> None:
    open_chat(page)
    type_message(page, "/carousel")
    cards = page.locator(".shopchat-card")
    expect(cards).to_have_count(2)
    expect(cards.first.locator(".shopchat-card-title")).to_have_text("Trail <Runner>")
    expect(cards.first.locator(".shopchat-card-title")).to_have_attribute("href", "/product/SKU-1")
    expect(cards.first.locator(".shopchat-card-price")).to_have_text("$89.00")
    cards.first.locator(".shopchat-more").click()
    expect(page.locator(".shopchat-user .shopchat-bubble").last).to_have_text("More like Trail <Runner>")
    expect(bot_bubbles(page).last).to_contain_text('/recommend_product{"product": "SKU-1"}')
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-carousel.png"))


def test_bot_text_is_inert_and_urls_become_links(page: Page) -> None:
    open_chat(page)
    type_message(page, "/link")
    bubble = bot_bubbles(page).last
    expect(bubble).to_contain_text("<script>x()</script>")
    expect(bubble.locator("a")).to_have_attribute("href", "https://example.com/help")
    assert page.locator(".shopchat-log script").count() == 0
    type_message(page, "<img src=x onerror=alert(1)>")
    expect(page.locator(".shopchat-user .shopchat-bubble").last).to_have_text("<img src=x onerror=alert(1)>")
    assert page.locator(".shopchat-log img").count() == 0


def test_typing_indicator_shows_while_waiting(page: Page) -> None:
    open_chat(page)
    type_message(page, "/slow")
    expect(page.locator(".shopchat-typing")).to_be_visible()
    expect(bot_bubbles(page).last).to_have_text("done thinking")
    expect(page.locator(".shopchat-typing")).to_be_hidden()


def writes_without_indicator_across_a_reload(page: Page, attribute: str, value: str) -> None:
    """The shopper writes, reloads (``attribute`` still ``value``) and writes again: no typing
    indicator either time. send() shows (or not) the indicator in the same task that draws the
    message, so checking right after the message is drawn needs no waiting."""
    last_user = page.locator(".shopchat-user .shopchat-bubble").last
    for reload, text in ((True, "Is anyone there?"), (False, "Hello?")):
        type_message(page, text)
        expect(last_user).to_have_text(text)
        assert page.locator(".shopchat-typing").is_hidden()
        if reload:
            page.reload()
            expect(page.locator(".shopchat[data-session]")).to_have_attribute(attribute, value)


def test_no_typing_indicator_while_waiting_for_a_person(page: Page) -> None:
    shopchat, typing = page.locator(".shopchat"), page.locator(".shopchat-typing")
    open_chat(page)
    type_message(page, "/handoff_request")
    expect(bot_bubbles(page).last).to_have_text(HANDOFF_REQUESTED)
    expect(shopchat).to_have_attribute("data-handoff", "requested")
    # The bot is paused and nobody has joined yet: writing shows no indicator (before: 30 s of it).
    writes_without_indicator_across_a_reload(page, "data-handoff", "requested")
    # A person joins: the wait is over, they have the chat; when they leave the bot answers again.
    type_message(page, "/agent_join Ada")
    expect(shopchat).to_have_attribute("data-agent", "Ada")
    expect(page.locator(".shopchat[data-handoff]")).to_have_count(0)
    type_message(page, "/agent_leave Ada")
    expect(page.locator(".shopchat[data-agent]")).to_have_count(0)
    type_message(page, "/slow")
    expect(typing).to_be_visible()
    expect(bot_bubbles(page).last).to_have_text("done thinking")


def test_a_bot_answer_ends_the_wait_for_a_person(page: Page) -> None:
    open_chat(page)
    type_message(page, "/handoff_request")
    expect(page.locator(".shopchat")).to_have_attribute("data-handoff", "requested")
    # The bot speaks again (e.g. the console handed the conversation back without joining).
    page.evaluate("window.ShopChat.instance.receive({text: 'Back to the bot.'})")
    expect(page.locator(".shopchat[data-handoff]")).to_have_count(0)


def test_no_typing_indicator_while_a_person_has_the_chat(page: Page) -> None:
    shopchat, typing = page.locator(".shopchat"), page.locator(".shopchat-typing")
    open_chat(page)
    type_message(page, "/agent_join Ada")
    expect(bot_bubbles(page).last).to_have_text(join_message("Ada"))
    expect(shopchat).to_have_attribute("data-agent", "Ada")
    # The agent has the chat, and still has it after a reload.
    writes_without_indicator_across_a_reload(page, "data-agent", "Ada")
    # Handed back: the bot answers again, with the indicator while it thinks.
    type_message(page, "/agent_leave Ada")
    expect(bot_bubbles(page).last).to_have_text(leave_message("Ada"))
    expect(page.locator(".shopchat[data-agent]")).to_have_count(0)
    type_message(page, "/slow")
    expect(typing).to_be_visible()
    expect(bot_bubbles(page).last).to_have_text("done thinking")
    expect(typing).to_be_hidden()

"""The storefront chat in Chromium against the real assistant (trained model, Rasa, actions).

Needs models/current.tar.gz (`make model`) and web/static/vendor (`make web-assets`).
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from channels.session_ids import conversation_of
from harness.stack import Stack
from shop.db.models import Customer
from shop.db.session import make_engine, make_sessionmaker
from shop.seed.demo import DEMO_ORDERS
from shop.signed_identity import sign
from tests.e2e.helpers import text_of
from tests.web.browser import StorefrontStack, chromium, open_chat, say, shot

REPLY_TIMEOUT_MS = 90_000
ORDER_DETAILS = ("on its way", "tracking number", "Items:", "Total:", "delivered")


@pytest.fixture(scope="module")
def shop(web_shop: StorefrontStack) -> StorefrontStack:
    """The session's storefront in front of the session's assistant (tests/conftest.py)."""
    return web_shop


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser, shop: StorefrontStack) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(REPLY_TIMEOUT_MS)
    pg.goto(shop.url)
    yield pg
    context.close()


def customer_id(stack: Stack, email: str) -> int:
    engine = make_engine(stack.db_url)
    try:
        with make_sessionmaker(engine)() as s:
            return int(s.scalar(select(Customer.id).where(Customer.email == email)))
    finally:
        engine.dispose()


def last_bot_text(page: Page) -> str:
    return "\n".join(page.locator(".shopchat-bot .shopchat-bubble").all_inner_texts())


def test_order_status_identity_check_button_and_reload(page: Page, shop: StorefrontStack) -> None:
    number, email = DEMO_ORDERS["shipped"]
    log = page.locator(".shopchat-log")
    session = open_chat(page)
    say(page, f"where is my order {number}")
    expect(log).to_contain_text("email")
    say(page, email)
    expect(log).to_contain_text(f"Order #{number}")
    expect(log).to_contain_text("on its way")
    shot(page, "e2e-order-status")

    # A button: its title shows as the shopper's message and the bot acts on its payload.
    button = page.locator(".shopchat-button:enabled", has_text="My other orders")
    button.click()
    expect(page.locator(".shopchat-user .shopchat-bubble").last).to_have_text("My other orders")
    other, _ = DEMO_ORDERS["delivered_recent"]
    expect(log).to_contain_text(other)
    shot(page, "e2e-button")

    # Reload: the history is still there and the same Rasa conversation continues.
    page.reload()
    expect(page.locator(".shopchat-user .shopchat-bubble").first).to_have_text(f"where is my order {number}")
    expect(page.locator(".shopchat[data-session]")).to_have_attribute("data-session", session)
    say(page, f"and where is order {number} now?")
    expect(page.locator(".shopchat-bot .shopchat-bubble").last).not_to_contain_text("email")
    expect(log).to_contain_text("on its way")
    shot(page, "e2e-after-reload")
    events = shop.stack.tracker(conversation_of(session), channel=None)["events"]
    texts = [e.get("text") for e in events if e.get("event") == "user"]
    assert f"where is my order {number}" in texts and f"and where is order {number} now?" in texts


def test_signed_in_shopper_is_not_asked_for_the_email(page: Page) -> None:
    number, _ = DEMO_ORDERS["delivered_recent"]
    page.select_option("#signin-select", label="Alex Morgan")
    expect(page.locator("#signed-in-as")).to_contain_text("Alex Morgan")
    open_chat(page)
    say(page, f"where is my order {number}")
    log = page.locator(".shopchat-log")
    expect(log).to_contain_text(f"Order #{number}")
    assert "email" not in last_bot_text(page).lower()
    shot(page, "e2e-signed-in")


def test_signed_in_shopper_still_proves_other_peoples_orders(page: Page) -> None:
    number, _ = DEMO_ORDERS["processing"]  # Jordan's order
    page.select_option("#signin-select", label="Alex Morgan")
    expect(page.locator("#signed-in-as")).to_contain_text("Alex Morgan")
    open_chat(page)
    say(page, f"where is my order {number}")
    expect(page.locator(".shopchat-log")).to_contain_text("email")
    assert f"Order #{number}" not in last_bot_text(page)


def _asks_email(stack: Stack, metadata: dict[str, object] | None) -> str:
    number, _ = DEMO_ORDERS["shipped"]
    return text_of(
        stack.say(f"web-{uuid.uuid4().hex[:10]}", f"where is my order {number}", metadata=metadata)
    )


def test_valid_identity_metadata_skips_the_email(shop: StorefrontStack) -> None:
    cid = customer_id(shop.stack, DEMO_ORDERS["shipped"][1])
    reply = _asks_email(shop.stack, {"identity_token": sign(cid, shop.secret)})
    assert f"Order #{DEMO_ORDERS['shipped'][0]}" in reply and "on its way" in reply


@pytest.mark.parametrize("kind", ["forged", "expired", "missing", "tampered", "garbage", "cookie"])
def test_bad_identity_metadata_is_ignored(shop: StorefrontStack, kind: str) -> None:
    cid = customer_id(shop.stack, DEMO_ORDERS["shipped"][1])
    metadata: dict[str, object] | None
    if kind == "forged":
        metadata = {"identity_token": sign(cid, "not-the-secret")}
    elif kind == "expired":
        metadata = {"identity_token": sign(cid, shop.secret, ttl_s=60, now=time.time() - 3600)}
    elif kind == "missing":
        metadata = None
    elif kind == "tampered":
        other = customer_id(shop.stack, DEMO_ORDERS["processing"][1])
        payload, mac = sign(other, shop.secret).split(".")
        metadata = {"identity_token": f"{sign(cid, shop.secret).split('.')[0]}.{mac}"}
    elif kind == "cookie":
        # The storefront's cookie token (audience "cookie"), even under the chat key, is no chat token.
        metadata = {"identity_token": sign(cid, shop.secret, ttl_s=3600, audience="cookie")}
    else:
        metadata = {"identity_token": {"customer_id": cid}}
    reply = _asks_email(shop.stack, metadata)
    assert "email" in reply.lower()
    assert not any(word in reply for word in ORDER_DETAILS)


def test_asking_for_a_person_pauses_the_typing_indicator_until_one_joins(page: Page) -> None:
    """The real action_handoff marks its message (handoff: requested) through the socket.io
    channel, so the widget stops promising a bot answer that will not come."""
    open_chat(page)
    say(page, "I want to talk to a person")
    expect(page.locator(".shopchat")).to_have_attribute("data-handoff", "requested")
    assert "support team" in last_bot_text(page)
    bots = page.locator(".shopchat-bot").count()
    page.fill(".shopchat-input", "Is anyone there?")
    page.press(".shopchat-input", "Enter")
    expect(page.locator(".shopchat-user .shopchat-bubble").last).to_have_text("Is anyone there?")
    assert page.locator(".shopchat-typing").is_hidden()
    time.sleep(2)  # the paused bot says nothing, and the widget does not pretend it will
    assert page.locator(".shopchat-bot").count() == bots
    assert page.locator(".shopchat-typing").is_hidden()
    shot(page, "widget-waiting-for-a-person")

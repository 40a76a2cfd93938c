"""The whole review round trip in one Chromium: a shopper on the storefront widget, an agent
in the console, both against the real assistant (trained model, Rasa, action server).

Page A is the storefront (``python -m web``): the shopper says something the model does not
understand, then asks for a person. Page B is the console (``python -m console``): log in,
read the new conversations, filter to the fallback one, correct the misunderstood message's
intent in the NLU inbox, export it (to a temporary file, never data/nlu), take the handoff
and reply. The reply, the join and leave notices and the bot's return are checked on the
widget. Needs models/current.tar.gz (`make model`) and web/static/vendor (`make web-assets`);
screenshots of both pages go to test-artifacts/.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from channels.session_ids import conversation_of
from console import db
from console.auth import Accounts
from console.handoff import join_message, leave_message
from harness.env import default_env
from harness.ports import free_port
from harness.stack import Stack
from shop.secrets import generate
from tests.conftest import SecondStack
from tests.console.conftest import PASSWORD
from tests.web.browser import (
    StorefrontStack,
    chromium,
    open_chat,
    process,
    say,
    shot,
    storefront_in_front_of,
    type_message,
)

TIMEOUT_MS = 90_000
# Vague messages; the trained model must fall back on at least one (checked via /model/parse,
# since which one depends on the training data of the day).
UNCLEAR = [
    "zibble wibble",
    "blorp the flanges zibble",
    "qwxz vrump plonk",
    "the thing",
    "what",
    "something about my package and money",
    "hmm so yeah the thing with the stuff",
    "it",
]
REPLY = "Hi, Ada here from support - I'm looking at your message now."


@dataclass(frozen=True)
class ConsoleServer:
    url: str
    export_file: Path


@contextmanager
def console_server(workdir: Path, stack: Stack) -> Iterator[ConsoleServer]:
    """``python -m console`` on a free port, reading the stack's tracker store and shop DB and
    talking to its Rasa; one admin (Ada) created the way the console tests create users."""
    console_db = f"sqlite:///{workdir / 'console.db'}"
    engine = db.make_engine(console_db)
    try:
        db.ensure_schema(engine)
        Accounts(engine).create_user("ada", PASSWORD, "admin", "Ada")
    finally:
        engine.dispose()
    export_file = workdir / "nlu" / "console_export.yml"
    port = free_port()
    env = default_env()
    env.update(
        {
            "CONSOLE_DB_URL": console_db,
            "CONSOLE_TRACKER_URL": f"sqlite:///{stack.env['TRACKER_DB']}",
            "SHOP_DB_URL": stack.db_url,
            "RASA_URL": stack.rasa_url,
            "RASA_API_TOKEN": stack.token,
            "CONSOLE_HOST": "127.0.0.1",
            "CONSOLE_PORT": str(port),
            "CONSOLE_INGEST_INTERVAL": "0",
            "CONSOLE_NLU_EXPORT": str(export_file),
            "CONSOLE_STORIES_DIR": str(workdir / "stories"),
            "CONSOLE_SECRET": generate(),
        }
    )
    url = f"http://127.0.0.1:{port}"
    with process([sys.executable, "-m", "console"], env, f"{url}/health", workdir / "console.log"):
        yield ConsoleServer(url, export_file)


@pytest.fixture(scope="module")
def shop(second_stack: SecondStack) -> Iterator[StorefrontStack]:
    """The storefront in front of the second assistant: the console below must find only this
    test's conversations in its tracker store (the session's ``stack`` has many fallbacks)."""
    with storefront_in_front_of(second_stack.stack) as running:
        yield running


@pytest.fixture(scope="module")
def console(shop: StorefrontStack) -> Iterator[ConsoleServer]:
    with console_server(shop.stack.workdir, shop.stack) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def new_page(browser: Browser) -> Page:
    """A page in its own context: the shopper and the agent share no cookies or storage."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def unclear_message(stack: Stack) -> str:
    for text in UNCLEAR:
        parsed = requests.post(
            f"{stack.rasa_url}/model/parse", params={"token": stack.token}, json={"text": text}, timeout=60
        ).json()
        if parsed["intent"]["name"] == "nlu_fallback":
            return text
    raise AssertionError(f"the model is confident about every vague message: {UNCLEAR}")


def test_shopper_on_the_widget_and_agent_in_the_console(
    browser: Browser, shop: StorefrontStack, console: ConsoleServer
) -> None:
    stack = shop.stack
    unclear = unclear_message(stack)
    widget = new_page(browser)
    agent = new_page(browser)
    log = widget.locator(".shopchat-log")

    # Page A, the shopper: not understood (two-stage fallback), then asks for a person.
    widget.goto(shop.url)
    session = conversation_of(open_chat(widget))  # Rasa's id, as the console shows it
    say(widget, unclear)
    expect(log).to_contain_text("Did you mean")
    say(widget, "I want to talk to a human")
    expect(log).to_contain_text("support team to join this chat")
    assert stack.tracker(session, channel=None)["paused"] is True

    # Page B, the agent: log in and read the new conversations from the tracker store.
    agent.goto(console.url + "/conversations")
    assert "/login" in agent.url
    agent.fill("input[name=username]", "ada")
    agent.fill("input[name=password]", PASSWORD)
    agent.click("form.login button")
    expect(agent).to_have_url(re.compile(r"/conversations$"))
    agent.click("text=Read new conversations now")
    expect(agent.locator(".done")).to_contain_text("new events")

    # Filter to the fallback conversation: the shopper's, and only that one.
    agent.goto(console.url + "/conversations")
    agent.select_option("select[name=fallback]", "yes")
    agent.click("#filters button[type=submit]")
    rows = agent.locator("#conversation-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(session)
    expect(rows.first.locator(".badge.bad")).to_contain_text("fallback")
    rows.first.locator(f"a:text-is('{session}')").click()
    user_texts = agent.locator(".ev.user .text")
    expect(user_texts.first).to_have_text(unclear)
    expect(agent.locator(".ev.user", has_text=unclear).locator(".meta")).to_contain_text("nlu_fallback")

    # NLU inbox: correct the misunderstood message's intent, approve, export to a temp file.
    agent.click("header >> text=NLU inbox")
    row = agent.locator("tr", has=agent.locator("td.text", has_text=unclear))
    expect(row).to_have_count(1)
    row.locator("input[name=intent]").fill("out_of_scope")
    row.locator("form.correct button").click()
    agent.goto(console.url + "/nlu?status=approved")
    approved = agent.locator("tr", has=agent.locator("td.text", has_text=unclear))
    expect(approved).to_contain_text("out_of_scope")
    expect(agent.locator("form", has=agent.locator("#export"))).to_contain_text(str(console.export_file))
    agent.click("#export")
    expect(agent.locator(".done")).to_contain_text(f"Exported 1 examples to {console.export_file}")
    exported = console.export_file.read_text()
    assert "intent: out_of_scope" in exported and f"- {unclear}" in exported

    # Handoff queue: take the shopper's conversation; the widget says a person joined.
    agent.click("header >> text=Handoff")
    agent.locator("#handoff-queue tr", has_text=session).locator("button", has_text="Take").click()
    expect(agent).to_have_url(re.compile(r"/handoff/\d+$"))
    expect(log).to_contain_text(join_message("Ada"))
    expect(widget.locator(".shopchat")).to_have_attribute("data-agent", "Ada")

    # The shopper writes while the bot is paused: the bot stays quiet, the agent sees it live,
    # and the widget shows no typing indicator (set in the same task that draws the message).
    type_message(widget, "Is anyone there?")
    expect(widget.locator(".shopchat-user .shopchat-bubble").last).to_have_text("Is anyone there?")
    assert widget.locator(".shopchat-typing").is_hidden()
    expect(agent.locator("#transcript .ev.user .text", has_text="Is anyone there?")).to_have_count(1)

    # The agent's reply reaches the widget word for word.
    agent.fill("#reply-form textarea", REPLY)
    agent.click("#reply-form button")
    expect(widget.locator(".shopchat-bot .shopchat-bubble").last).to_have_text(REPLY)
    expect(widget.locator(".shopchat-typing")).to_be_hidden()
    shot(widget, "console-stack-widget-reply")
    shot(agent, "console-stack-agent-reply")
    bots = [e.get("text") for e in stack.tracker(session, channel=None)["events"] if e["event"] == "bot"]
    assert bots[-2:] == [join_message("Ada"), REPLY]

    # Hand back: the widget says so and the bot answers again.
    agent.click("text=Hand back to the bot")
    expect(agent).to_have_url(re.compile(r"/handoff$"))
    expect(widget.locator(".shopchat-bot .shopchat-bubble").last).to_have_text(leave_message("Ada"))
    expect(widget.locator(".shopchat[data-agent]")).to_have_count(0)
    assert stack.tracker(session, channel=None)["paused"] is False
    say(widget, "where is my order")
    expect(widget.locator(".shopchat-bot .shopchat-bubble").last).to_contain_text("What's your order number?")
    # ... and does not fall back into a second handoff request
    agent.reload()
    expect(agent.locator("#handoff-queue")).to_contain_text("Nobody is waiting.")
    widget.context.close()
    agent.context.close()

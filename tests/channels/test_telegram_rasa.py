"""The Telegram channel in the real assistant: `rasa run` with credentials.yml, the action
server, the trained model, and python-telegram-bot pointed at the loopback Bot API stand-in.

Only TELEGRAM_* variables differ from `make run` (tests/channels/fake_telegram.py ``rasa_env``);
the channel block is credentials.yml's own. Webhook mode is the session's ``stack``, polling
mode the ``second_stack`` (tests/conftest.py): a Rasa runs its channel in one mode.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

import pytest
import requests

from channels.telegram import SECRET_HEADER
from harness.processes import wait_until
from harness.stack import Stack
from shop.seed.demo import DEMO_ORDERS
from tests.channels.fake_telegram import (
    SECRET,
    WEBHOOK_URL,
    FakeTelegram,
    callback_update,
    sticker_update,
    text_update,
)
from tests.conftest import SecondStack


@pytest.fixture
def webhook_stack(stack: Stack, telegram_api: FakeTelegram) -> Tuple[Stack, FakeTelegram]:
    """The session's assistant: its channel registered a webhook with ``telegram_api`` at start."""
    return stack, telegram_api


@pytest.fixture
def polling_stack(second_stack: SecondStack) -> Tuple[Stack, FakeTelegram]:
    """The second assistant, whose channel polls its own stand-in Bot API."""
    return second_stack.stack, second_stack.telegram


def post(stack: Stack, update: Dict[str, Any], fake: FakeTelegram, secret: str = SECRET) -> int:
    body = dict(update, update_id=fake.new_update_id())
    url = f"{stack.rasa_url}/webhooks/telegram/webhook"
    return requests.post(url, json=body, headers={SECRET_HEADER: secret}, timeout=60).status_code


def sent_to(fake: FakeTelegram, chat_id: int, method: str = "sendMessage") -> list:
    return [c for c in fake.of(method) if c.params.get("chat_id") == chat_id]


def user_texts(stack: Stack, chat_id: int, at_least: int = 0, timeout: float = 15.0) -> list:
    """User texts in the stored conversation, once there are ``at_least`` of them (Rasa stores
    the turn just after the reply is sent)."""

    def stored() -> tuple[list, ...]:
        events = stack.tracker(str(chat_id), channel="telegram").get("events", [])
        texts = [e.get("text") for e in events if e.get("event") == "user"]
        return (texts,) if len(texts) >= at_least else ()

    (texts,) = wait_until(stored, timeout, f"{at_least} user messages stored for telegram:{chat_id}")
    return texts


def test_webhook_registered_at_startup_with_the_secret(webhook_stack):
    _, fake = webhook_stack
    [call] = fake.wait_for_count("setWebhook", 1)
    assert call.params["url"] == WEBHOOK_URL and call.params["secret_token"] == SECRET


def test_start_gets_the_greeting_with_an_inline_keyboard_and_a_press_continues(webhook_stack):
    stack, fake = webhook_stack
    chat = 5001
    assert post(stack, text_update("/start", chat_id=chat), fake) == 200
    [greeting] = sent_to(fake, chat)
    assert greeting.params["text"].startswith("Hi! I'm the shop assistant.")
    rows = greeting.params["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [
        ["Where is my order?", "Start a return"],
        ["Talk to a person"],
    ]
    assert rows[0][0]["callback_data"] == "/order_status"

    assert post(stack, callback_update("/order_status", chat_id=chat, query_id="q-rasa"), fake) == 200
    assert [c.params["callback_query_id"] for c in fake.of("answerCallbackQuery")] == ["q-rasa"]
    assert len(sent_to(fake, chat)) >= 2  # the bot's next question
    assert user_texts(stack, chat, at_least=2) == ["/greet", "/order_status"]
    tracker = stack.tracker(str(chat), channel="telegram")
    assert tracker["sender_id"] == f"telegram:{chat}" and tracker["latest_input_channel"] == "telegram"
    assert tracker["latest_message"]["metadata"]["source"] == f"telegram:{chat}"


def test_a_telegram_chat_id_as_a_rest_sender_inherits_nothing(webhook_stack):
    stack, fake = webhook_stack
    chat = 5010
    number, email = DEMO_ORDERS["delivered_recent"]
    assert post(stack, text_update(f"where is my order #{number}?", chat_id=chat), fake) == 200
    assert post(stack, text_update(email, chat_id=chat), fake) == 200
    assert any(f"Order #{number}" in c.params["text"] for c in sent_to(fake, chat))  # proven on Telegram
    for sender in (str(chat), f"telegram:{chat}"):
        reply = " ".join(r.get("text") or "" for r in stack.say(sender, f"where is my order #{number}?"))
        assert "email" in reply.lower() and f"Order #{number}" not in reply
        assert stack.tracker(sender)["slots"]["customer_id"] is None


def test_wrong_secret_is_refused_and_rasa_never_sees_the_message(webhook_stack):
    stack, fake = webhook_stack
    chat = 5002
    assert post(stack, text_update("where is my order?", chat_id=chat), fake, secret="guess") == 403
    assert user_texts(stack, chat) == []
    assert sent_to(fake, chat) == []


def test_a_sticker_gets_a_polite_text_and_no_conversation(webhook_stack):
    stack, fake = webhook_stack
    chat = 5003
    assert post(stack, sticker_update(chat_id=chat), fake) == 200
    [reply] = sent_to(fake, chat)
    assert "only read text" in reply.params["text"]
    assert user_texts(stack, chat) == []


def test_polling_mode_answers_queued_updates(polling_stack):
    stack, fake = polling_stack
    chat = 6001
    fake.wait_for_count("deleteWebhook", 1, timeout=60)
    fake.queue_update(text_update("/start", chat_id=chat))
    fake.wait_for(
        lambda calls: any(c.method == "sendMessage" and c.params.get("chat_id") == chat for c in calls)
    )
    assert sent_to(fake, chat)[0].params["text"].startswith("Hi! I'm the shop assistant.")
    assert user_texts(stack, chat, at_least=1) == ["/greet"]

"""Webhook mode: Telegram POSTs updates carrying its secret-token header."""

from __future__ import annotations

import aiohttp
import pytest
from rasa.shared.exceptions import RasaException

from channels.telegram import SECRET_HEADER, TelegramInput
from shop.limits import max_message_chars, too_long_text
from tests.channels.conftest import SECRET
from tests.channels.fake_telegram import TOKEN, USER_ID, text_update


async def test_update_with_right_secret_is_answered(serve_channel):
    server = await serve_channel()
    status = await server.post_update(text_update("where is my order?"))
    assert status == 200
    [message] = server.agent.messages
    assert message.text == "where is my order?"
    assert message.sender_id == f"telegram:{USER_ID}"
    assert message.input_channel == "telegram"
    assert message.metadata["source"] == f"telegram:{USER_ID}"
    assert message.metadata["telegram"]["user_id"] == USER_ID
    assert message.metadata["telegram"]["chat_id"] == USER_ID
    [sent] = server.fake.of("sendMessage")
    assert sent.params["chat_id"] == USER_ID
    assert sent.params["text"] == "You said: where is my order?"
    assert sent.params["parse_mode"] == "HTML"
    assert [c.params["action"] for c in server.fake.of("sendChatAction")] == ["typing"]


@pytest.mark.parametrize("secret", ["wrong-secret", "", None, SECRET + "x"])
async def test_wrong_or_missing_secret_is_rejected_before_rasa(serve_channel, secret):
    server = await serve_channel()
    assert await server.post_update(text_update("hi"), secret=secret) == 403
    assert server.agent.messages == []
    assert server.fake.of("sendMessage") == []


async def test_startup_registers_the_webhook_with_its_secret(serve_channel):
    server = await serve_channel(webhook_url="https://shop.example/webhooks/telegram/webhook")
    [call] = await server.wait_for_count("setWebhook", 1)
    assert call.params["url"] == "https://shop.example/webhooks/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert set(call.params["allowed_updates"]) == {"message", "callback_query"}


async def test_without_token_the_channel_is_disabled_and_answers_503(serve_channel):
    empty = {"token": "", "mode": "", "webhook_url": "", "secret_token": "", "api_base_url": ""}
    server = await serve_channel(**empty)
    assert await server.post_update(text_update("hi")) == 503
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/webhooks/telegram/") as resp:
            assert (await resp.json())["status"] == "disabled"
    assert server.agent.messages == []
    assert server.fake.calls == []


async def test_body_that_is_not_an_update_is_a_bad_request(serve_channel):
    server = await serve_channel()
    async with aiohttp.ClientSession() as session:
        url = f"{server.url}/webhooks/telegram/webhook"
        async with session.post(url, data="not json", headers={SECRET_HEADER: SECRET}) as resp:
            assert resp.status == 400
    assert server.agent.messages == []


async def test_an_update_telegram_resends_is_answered_once(serve_channel):
    server = await serve_channel()
    update = dict(text_update("hello"), update_id=555)
    assert await server.post_update(update) == 200
    assert await server.post_update(update) == 200
    assert len(server.agent.messages) == 1
    assert len(server.fake.of("sendMessage")) == 1


async def test_group_chats_are_not_forwarded(serve_channel):
    server = await serve_channel()
    assert await server.post_update(text_update("my order 104523", chat_id=-100123, chat_type="group")) == 200
    assert server.agent.messages == []


async def test_a_text_over_the_cap_gets_the_limit_reply_and_never_reaches_rasa(serve_channel):
    server = await serve_channel()
    limit = max_message_chars()
    assert await server.post_update(text_update("x" * (limit + 1))) == 200
    [sent] = server.fake.of("sendMessage")
    assert sent.params["chat_id"] == USER_ID and sent.params["text"] == too_long_text()
    assert server.agent.messages == []
    assert await server.post_update(text_update("y" * limit)) == 200
    assert [len(m.text or "") for m in server.agent.messages] == [limit]


def test_webhook_mode_with_a_token_needs_a_secret():
    with pytest.raises(RasaException, match="secret_token"):
        TelegramInput.from_credentials({"token": TOKEN, "mode": "webhook", "secret_token": ""})


def test_secret_with_characters_telegram_refuses_is_a_config_error():
    with pytest.raises(RasaException, match="secret_token"):
        TelegramInput.from_credentials({"token": TOKEN, "secret_token": "has space"})


def test_mode_defaults_to_webhook_with_a_url_and_polling_without():
    with_url = TelegramInput.from_credentials(
        {"token": TOKEN, "webhook_url": "https://x.example/hook", "secret_token": "abc"}
    )
    assert with_url.config.mode == "webhook"
    assert TelegramInput.from_credentials({"token": TOKEN}).config.mode == "polling"


def test_settings_come_from_the_environment_unless_credentials_give_them():
    env = {"TELEGRAM_TOKEN": "1:env", "TELEGRAM_MODE": "polling", "TELEGRAM_POLL_TIMEOUT": "7"}
    config = TelegramInput.from_credentials(None, environ=env).config
    assert (config.token, config.mode, config.poll_timeout) == ("1:env", "polling", 7)
    assert config.api_base_url == "https://api.telegram.org"
    assert TelegramInput.from_credentials({"token": ""}, environ=env).config.enabled is False


def test_nothing_set_means_disabled_not_a_startup_error():
    assert TelegramInput.from_credentials(None, environ={}).config.enabled is False

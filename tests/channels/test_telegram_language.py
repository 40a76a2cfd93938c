"""A Telegram user's ``language_code`` becomes the ``language`` hint and the channel's own words."""

from __future__ import annotations

import pytest

from channels.telegram_texts import TEXTS, language_hint
from tests.channels.fake_telegram import callback_update, sticker_update, text_update


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh", "zh"),
        ("zh-hans", "zh"),
        ("zh-TW", "zh"),
        ("zh_Hant_HK", "zh"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("de", None),  # not one of the shop's languages
        ("", None),
        (None, None),
        ("zh" + "-x" * 30, None),  # no tag is that long
        ("../zh", None),
        (42, None),
    ],
)
def test_language_code_to_the_shops_language(code: object, expected: str | None) -> None:
    assert language_hint(code, ("en", "zh")) == expected


def test_a_language_the_shop_does_not_offer_is_no_hint() -> None:
    assert language_hint("zh-hans", ("en",)) is None
    assert language_hint("en-US", ("zh",)) is None


async def test_the_users_app_language_goes_to_rasa_as_the_language_hint(serve_channel) -> None:
    server = await serve_channel()
    await server.post_update(text_update("我的订单到哪了", language_code="zh-hans"))
    await server.post_update(text_update("where is my order", language_code="en-GB"))
    await server.post_update(text_update("wo ist meine Bestellung", language_code="de"))
    await server.post_update(text_update("hello", language_code=None))
    zh, en, de, none = (m.metadata for m in server.agent.messages)
    assert zh["language"] == "zh" and zh["telegram"]["language_code"] == "zh-hans"
    assert en["language"] == "en"
    assert "language" not in de and de["telegram"]["language_code"] == "de"
    assert "language" not in none


async def test_start_and_buttons_carry_the_hint_too(serve_channel) -> None:
    server = await serve_channel()
    await server.post_update(text_update("/start", language_code="zh-TW"))
    await server.post_update(text_update("show buttons", language_code="zh-TW"))
    data = server.fake.of("sendMessage")[-1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await server.post_update(callback_update(data, language_code="zh-TW"))
    start, _, press = server.agent.messages
    assert start.text == "/greet" and start.metadata["language"] == "zh"
    assert press.metadata["telegram"]["button"] is True and press.metadata["language"] == "zh"


async def test_the_channels_own_words_follow_the_users_language(serve_channel) -> None:
    server = await serve_channel()
    await server.post_update(text_update("/help", language_code="zh-hans"))
    await server.post_update(sticker_update(language_code="zh-hans"))
    await server.post_update(text_update("/restart", language_code="zh-hans"))
    await server.post_update(text_update("/help", language_code="en-US"))
    assert [c.params["text"] for c in server.fake.of("sendMessage")][1:3] == [
        TEXTS["zh"]["not_text"],
        TEXTS["zh"]["restarted"],
    ]
    zh_help, en_help = (c.params["text"] for c in server.fake.of("sendMessage")[0:4:3])
    assert zh_help.startswith("我是本店的购物助手") and "/restart" in zh_help
    assert en_help.startswith("I'm the shop's assistant")
    await server.post_update(callback_update("~AAAAAAAAAAAAAAAA", language_code="zh-hans"))  # forgotten
    [answer] = server.fake.of("answerCallbackQuery")
    assert answer.params["text"] == TEXTS["zh"]["expired_button"]


async def test_a_chinese_users_carousel_buttons_are_in_chinese(serve_channel) -> None:
    server = await serve_channel()
    await server.post_update(text_update("show carousel", language_code="zh-hans"))
    cards = server.fake.of("sendPhoto") + server.fake.of("sendMessage")
    buttons = [c.params["reply_markup"]["inline_keyboard"][0][0]["text"] for c in cards]
    assert buttons == ["看看类似的", "看看类似的"]


async def test_a_shop_without_chinese_gets_no_chinese_hint(serve_channel, monkeypatch) -> None:
    monkeypatch.setenv("SHOP_LANGUAGES", "en")
    server = await serve_channel()
    assert server.channel.config.languages == ("en",)
    await server.post_update(text_update("/help", language_code="zh-hans"))
    await server.post_update(text_update("我的订单到哪了", language_code="zh-hans"))
    assert "language" not in server.agent.messages[0].metadata
    assert server.fake.of("sendMessage")[0].params["text"] == TEXTS["en"]["help"]

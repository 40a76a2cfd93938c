"""What the channel does with each kind of update, and how answers look in Telegram."""

from __future__ import annotations

import json

from channels.telegram import EXPIRED_BUTTON_TEXT, HELP_TEXT, NOT_TEXT_TEXT, RESTARTED_TEXT
from channels.telegram_format import MESSAGE_LIMIT, utf16_len
from tests.channels.conftest import LONG_TEXT
from tests.channels.fake_telegram import callback_update, sticker_update, text_update, voice_update


def keyboard(call):
    return call.params["reply_markup"]["inline_keyboard"]


async def test_start_greets_through_rasa(serve_channel):
    server = await serve_channel()
    await server.post_update(text_update("/start"))
    await server.post_update(text_update("/start@shop_test_bot campaign42"))
    assert [m.text for m in server.agent.messages] == ["/greet", "/greet"]
    assert server.agent.messages[1].metadata["telegram"]["start_parameter"] == "campaign42"


async def test_help_is_answered_without_rasa(serve_channel):
    server = await serve_channel()
    await server.post_update(text_update("/help"))
    assert server.agent.messages == []
    [sent] = server.fake.of("sendMessage")
    assert "/restart" in sent.params["text"] and sent.params["text"].startswith(HELP_TEXT[:20])


async def test_restart_restarts_the_conversation_and_confirms(serve_channel):
    server = await serve_channel()
    await server.post_update(text_update("/restart"))
    assert [m.text for m in server.agent.messages] == ["/restart"]
    assert [c.params["text"] for c in server.fake.of("sendMessage")] == [RESTARTED_TEXT]


async def test_typed_intent_syntax_goes_to_nlu_as_text(serve_channel):
    server = await serve_channel()
    await server.post_update(text_update('/inform{"order_id":"104523"}'))
    assert [m.text for m in server.agent.messages] == ['inform{"order_id":"104523"}']


async def test_sticker_and_voice_get_a_polite_text_without_rasa(serve_channel):
    server = await serve_channel()
    await server.post_update(sticker_update())
    await server.post_update(voice_update())
    assert server.agent.messages == []
    assert [c.params["text"] for c in server.fake.of("sendMessage")] == [NOT_TEXT_TEXT, NOT_TEXT_TEXT]


async def test_buttons_become_an_inline_keyboard_and_a_press_sends_the_payload(serve_channel):
    server = await serve_channel()
    await server.post_update(text_update("show buttons"))
    [sent] = server.fake.of("sendMessage")
    assert sent.params["text"] == "Which order?"
    rows = keyboard(sent)
    # one title is long, so every button gets its own row
    assert [[b["text"] for b in row] for row in rows] == [
        ["Order 104523"],
        ["Order 104524"],
        ["Something else entirely, thanks"],
    ]
    data = rows[0][0]["callback_data"]
    assert data == '/inform{"order_id":"104523"}'

    await server.post_update(callback_update(data, query_id="q-42"))
    [answer] = server.fake.of("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "q-42"
    assert "text" not in answer.params
    assert server.agent.messages[-1].text == '/inform{"order_id":"104523"}'
    assert server.agent.messages[-1].metadata["telegram"]["button"] is True


async def test_long_message_is_split_on_paragraphs_under_the_limit(serve_channel):
    server = await serve_channel()
    await server.post_update(text_update("show long"))
    parts = [c.params["text"] for c in server.fake.of("sendMessage")]
    assert len(parts) > 1
    assert all(utf16_len(p) <= MESSAGE_LIMIT for p in parts)
    assert all(p.startswith("Paragraph ") for p in parts)  # cut between paragraphs
    assert "\n\n".join(parts) == LONG_TEXT


async def test_html_special_characters_are_escaped_and_markdown_punctuation_kept(serve_channel):
    server = await serve_channel()
    await server.post_update(text_update("a <b>bold</b> & SAVE_10 *x* [y] #1!"))
    [sent] = server.fake.of("sendMessage")
    assert sent.params["text"] == "You said: a &lt;b&gt;bold&lt;/b&gt; &amp; SAVE_10 *x* [y] #1!"


async def test_carousel_sends_photos_with_captions_and_more_like_this(serve_channel):
    server = await serve_channel()
    server.fake.failing_photo_urls.add("https://broken/2.jpg")
    await server.post_update(text_update("show carousel"))
    photos = server.fake.of("sendPhoto")
    assert [p.params["photo"] for p in photos] == ["https://img.example/1.jpg", "https://broken/2.jpg"]
    first = photos[0].params
    assert first["caption"] == (
        "<b>Trail &lt;Runner&gt; &amp; Co</b>\n$89.90\n"
        '<a href="https://shop.example/p/SKU-1">View product</a>'
    )
    [[button]] = keyboard(photos[0])
    assert button["text"] == "More like this"
    # Telegram refused the second image: its caption arrives as a text message instead
    [fallback] = server.fake.of("sendMessage")
    assert fallback.params["text"] == "<b>City Walker</b>\n$59.00"
    assert keyboard(fallback)[0][0]["text"] == "More like this"

    await server.post_update(callback_update(button["callback_data"]))
    assert server.agent.messages[-1].text == '/recommend_product{"product":"SKU-1"}'


async def test_payload_over_64_bytes_travels_as_a_short_id_and_comes_back_whole(serve_channel):
    server = await serve_channel()
    await server.post_update(text_update("show long payload"))
    [[button]] = keyboard(server.fake.of("sendMessage")[0])
    data = button["callback_data"]
    assert data.startswith("~") and len(data.encode()) <= 64
    await server.post_update(callback_update(data))
    forwarded = server.agent.messages[-1].text
    assert forwarded.startswith("/inform") and len(forwarded.encode()) > 64
    assert json.loads(forwarded[len("/inform") :]) == {
        "return_reason": "the zip broke on the second day of wearing it"
    }


async def test_press_on_a_forgotten_long_payload_says_expired(serve_channel):
    server = await serve_channel()
    await server.post_update(callback_update("~AAAAAAAAAAAAAAAA", query_id="q-old"))
    [answer] = server.fake.of("answerCallbackQuery")
    assert answer.params["text"] == EXPIRED_BUTTON_TEXT
    assert server.agent.messages == []

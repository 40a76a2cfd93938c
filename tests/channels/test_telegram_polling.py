"""Polling mode: a background task long-polls getUpdates from the server's start to its stop."""

from __future__ import annotations

import asyncio

from tests.channels.fake_telegram import USER_ID, callback_update, text_update


async def test_polling_answers_queued_updates_and_acknowledges_them(serve_channel, fake_telegram):
    server = await serve_channel(mode="polling", secret_token="", poll_timeout=5)
    await server.wait_for_count("deleteWebhook", 1)  # getUpdates refuses to run while a webhook is set
    first = fake_telegram.queue_update(text_update("hello from polling"))
    [sent] = await server.wait_for_count("sendMessage", 1)
    assert sent.params == {"chat_id": USER_ID, "text": "You said: hello from polling", "parse_mode": "HTML"}
    assert [m.sender_id for m in server.agent.messages] == [f"telegram:{USER_ID}"]

    fake_telegram.queue_update(callback_update("/affirm", query_id="q-poll"))
    [answer] = await server.wait_for_count("answerCallbackQuery", 1)
    assert answer.params["callback_query_id"] == "q-poll"
    await server.wait_for_count("sendMessage", 2)
    assert [m.text for m in server.agent.messages] == ["hello from polling", "/affirm"]
    offsets = [c.params.get("offset") for c in fake_telegram.of("getUpdates")]
    assert first["update_id"] + 1 in offsets  # the first update was confirmed, not fetched again


async def test_polling_stops_cleanly_on_shutdown(serve_channel):
    server = await serve_channel(mode="polling", secret_token="", poll_timeout=30)
    await server.wait_for_count("deleteWebhook", 1)
    [task] = server.channel._tasks
    await asyncio.wait_for(server.channel.stop(), timeout=10)  # what before_server_stop calls
    assert task.cancelled()
    assert server.channel._tasks == []


async def test_polling_channel_still_rejects_webhook_posts_without_a_secret(serve_channel):
    server = await serve_channel(mode="polling", secret_token="", poll_timeout=5)
    assert await server.post_update(text_update("hi"), secret="") == 403
    assert server.agent.messages == []

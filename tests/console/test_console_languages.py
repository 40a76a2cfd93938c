"""Each conversation's and each inbox message's language: ingested, listed, filtered, charted,
exported, and upgraded into an older console database."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from console import db
from console.ingest import Ingestor
from console.languages import message_language
from console.training import TrainingIndex
from tests.console.conftest import BASE_TS, Console, Env, action, bot, entity, slot, user

DAY = 86400


def language_entity(text: str, value: str) -> dict[str, Any]:
    """What nlu_components.language_entity adds when a message decides its language."""
    return {"entity": "language", "start": 0, "end": len(text), "value": value, "extractor": "LanguageEntity"}


def seed_languages(env: Env, start: float = BASE_TS + 2 * DAY) -> None:
    """Three more conversations: Chinese with the slot, Chinese without it, a switch to Chinese."""
    t = start
    zh = "我的订单104523到哪了"
    env.tracker.add(
        "conv-zh",
        [
            user(zh, "order_status", 0.93, t, [entity(zh, "104523", "order_id"), language_entity(zh, "zh")],
                 channel="socketio"),
            slot("language", "zh", t + 1),
            action("order_status_form", t + 1),
            bot("请问下单用的邮箱是哪个？", t + 1),
            user("/inform{\"email\": \"ada@example.com\"}", "inform", 1.0, t + 5, channel="socketio"),
            user("ok 👍", "affirm", 0.55, t + 9, channel="socketio"),
            action("action_listen", t + 9),
        ],
    )  # fmt: skip
    # Ingested before the assistant had the slot: the messages tell (a short "thanks" keeps it).
    env.tracker.add(
        "conv-zh-old",
        [
            user("退货要怎么弄", "return_item", 0.62, t + 60, channel="telegram"),
            action("action_handoff", t + 61),
            user("thanks", "thank_you", 0.9, t + 70, channel="telegram"),
        ],
    )
    # Started in English, the shopper switched: the slot's last value is the language.
    env.tracker.add(
        "conv-switch",
        [
            user("where is my order please", "order_status", 0.91, t + 120, [language_entity("x", "en")]),
            slot("language", "en", t + 121),
            user("能用中文吗", "out_of_scope", 0.41, t + 130, [language_entity("能用中文吗", "zh")]),
            slot("language", "zh", t + 131),
            action("action_default_fallback", t + 131),
        ],
    )


def _ingest(env: Env) -> Any:
    engine = db.make_engine(env.settings.console_db_url)
    db.ensure_schema(engine)
    training = TrainingIndex(env.settings.nlu_dir, env.settings.domain_file, exclude=env.settings.export_file)
    Ingestor(engine, db.make_engine(env.settings.tracker_url), training, languages=("en", "zh")).run()
    return engine


def test_message_language_prefers_the_nlu_entity_then_detects_and_keeps() -> None:
    shop = ("en", "zh")
    assert message_language("hello", [language_entity("hello", "zh")], None, shop) == "zh"  # NLU decided
    assert message_language("我要退货", [], "en", shop) == "zh"  # Han characters
    assert message_language("where is my parcel now", [], "zh", shop) == "en"
    assert message_language("ok", [], "zh", shop) == "zh"  # too short: kept
    assert message_language("ok", [], None, shop) == "en"  # nothing yet: the shop's default
    assert message_language('/recommend_product{"product": "SKU-1"}', [], "zh", shop) == "zh"  # a button
    assert message_language("ok", [], None, ("zh", "en")) == "zh"
    assert message_language("我要退货", [language_entity("x", "fr")], None, shop) == "zh"  # not the shop's


def test_ingest_records_each_conversations_language(env: Env) -> None:
    seed_languages(env)
    engine = _ingest(env)
    with engine.connect() as conn:
        found = dict(conn.execute(select(db.conversations.c.sender_id, db.conversations.c.language)).all())
    assert found == {
        "conv-order": "en",
        "conv-fallback": "en",  # "blorp the flanges": Latin letters, English in an en,zh shop
        "conv-handoff": "en",
        "conv-zh": "zh",  # the slot
        "conv-zh-old": "zh",  # no slot: "退货要怎么弄" is Chinese, "thanks" too short to change it
        "conv-switch": "zh",  # the slot's last value
    }


def test_inbox_keeps_each_messages_language_and_never_the_language_entity(env: Env) -> None:
    seed_languages(env)
    engine = _ingest(env)
    n = db.nlu_inbox.c
    with engine.connect() as conn:
        rows = {r.text: r for r in conn.execute(select(n.text, n.language, n.entities, n.predicted_entities))}
        kinds = set(conn.execute(select(db.facets.c.value).where(db.facets.c.kind == "entity")).scalars())
    assert rows["我的订单104523到哪了"].language == "zh"
    assert [e["entity"] for e in json.loads(rows["我的订单104523到哪了"].entities)] == ["order_id"]
    assert all(e["entity"] != "language" for e in json.loads(rows["能用中文吗"].predicted_entities))
    assert rows["能用中文吗"].language == "zh" and rows["blorp the flanges"].language == "en"
    assert rows["ok 👍"].language == "zh"  # said in the Chinese conversation, too short to tell
    assert "language" not in kinds and "order_id" in kinds


async def _ready(console: Console, name: str = "admin", start: float = BASE_TS + 2 * DAY) -> str:
    """Add seed_languages' conversations (from ``start``), ingest as the admin, go on as ``name``."""
    await asyncio.to_thread(seed_languages, console.env, start)
    return await console.ingest_as(name)


async def _senders(console: Console, query: str) -> set[str]:
    return set(await console.senders(query))


async def test_the_list_shows_and_filters_by_language(console: Console) -> None:
    await _ready(console, "annie")
    assert await _senders(console, "language=zh") == {"conv-zh", "conv-zh-old", "conv-switch"}
    assert await _senders(console, "language=en") == {"conv-order", "conv-fallback", "conv-handoff"}
    assert await _senders(console, "language=zh&channel=telegram") == {"conv-zh-old"}
    assert len(await _senders(console, "language=")) == 6  # blank: any
    assert await _senders(console, "language=fr") == set()
    page = await (await console.client.get("/conversations?language=zh")).text()
    assert '<option value="zh" selected>中文 (Chinese)</option>' in page
    cells = re.findall(r'<td class="language" lang="(\w*)">([^<]*)</td>', page)
    assert sorted(cells) == [("zh", "中文 (Chinese)")] * 3
    everything = await (await console.client.get("/conversations")).text()
    assert ("en", "English") in re.findall(r'<td class="language" lang="(\w*)">([^<]*)</td>', everything)
    api = await (await console.client.get("/api/conversations?language=zh")).json()
    assert {c["language"] for c in api["conversations"]} == {"zh"}


async def test_a_conversation_page_names_its_language(console: Console) -> None:
    await _ready(console, "annie")
    page = await (await console.client.get("/conversations/conv-switch")).text()
    assert re.search(r'<span id="conversation-language"[^>]*>中文 \(Chinese\)</span>', page)
    page = await (await console.client.get("/conversations/conv-order")).text()
    assert re.search(r'<span id="conversation-language"[^>]*>English</span>', page)


async def test_analytics_count_and_chart_each_language(console: Console) -> None:
    from datetime import date

    from console.analytics import summary

    # The Chinese conversations yesterday, the English ones (conftest) in June 2024.
    await _ready(console, start=time.time() - DAY)
    engine = console.app[__import__("console.app", fromlist=["CONSOLE_DB"]).CONSOLE_DB]
    f = summary(engine, days=30)
    assert [(r["language"], r["conversations"]) for r in f["by_language"]] == [("zh", 3)]
    zh = f["by_language"][0]
    assert zh["containment"] == pytest.approx(2 / 3)  # conv-zh-old was handed to a person
    assert zh["fallback_rate"] == pytest.approx(1 / 3)  # conv-switch fell back
    june = summary(engine, days=30, today=date(2024, 6, 10))
    assert [(r["language"], r["conversations"]) for r in june["by_language"]] == [("en", 3)]
    assert summary(engine, days=30, today=date(2024, 6, 10), language="en")["csat_count"] == 1
    assert summary(engine, days=30, today=date(2024, 6, 10), language="zh")["total"] == 0
    only_zh = summary(engine, days=30, language="zh")
    assert only_zh["total"] == 3 and ("return_item", 1) in only_zh["top_intents"]
    assert summary(engine, days=30, language="en")["total"] == 0

    page = await (await console.client.get("/analytics?days=30&language=zh")).text()
    assert "Conversations by language" in page and "Fallback rate by language (%)" in page
    assert '<dd id="fig-total">3</dd>' in page
    assert '<option value="zh" selected>中文 (Chinese)</option>' in page
    assert re.search(r'<tr data-language="zh"><td>中文 \(Chinese\)</td><td>3</td><td>66.7%</td>', page)
    assert re.search(r"<title>中文 \(Chinese\): 3</title>", page)  # the chart's bar
    assert '<dd id="fig-total">0</dd>' in await (await console.client.get("/analytics?language=en")).text()
    api = await (await console.client.get("/api/analytics?days=30&language=zh")).json()
    assert api["total"] == 3 and api["language"] == "zh"
    odd = await (await console.client.get("/api/analytics?days=30&language=<b>")).json()
    assert odd["language"] == "" and odd["total"] == 3  # not a code: every language


async def test_inbox_filters_by_language_and_the_export_keeps_it(console: Console) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    token = await _ready(console, "annie")
    page = await (await console.client.get("/nlu?language=zh")).text()
    texts = re.findall(r'<td class="text" lang="zh">([^<]*)<div', page)
    assert set(texts) == {"我的订单104523到哪了", "能用中文吗", "ok 👍", "退货要怎么弄"}
    assert "blorp the flanges" not in page
    assert "<option>language</option>" not in page  # the language entity is no span to mark
    ids = dict(re.findall(r'<tr id="inbox-(\d+)">\s*<td class="text" lang="\w+">([^<]*)<', page))
    by_text = {v: k for k, v in ids.items()}
    where = by_text["我的订单104523到哪了"]
    resp = await console.client.post(f"/nlu/{where}/confirm", data={"csrf_token": token, "next": "/nlu"})
    assert resp.status == 200
    english = await (await console.client.get("/nlu?language=en")).text()
    blorp = re.search(r'<tr id="inbox-(\d+)">\s*<td class="text" lang="en">blorp the flanges', english)
    assert blorp
    await console.client.post(
        f"/nlu/{blorp.group(1)}/correct", data={"csrf_token": token, "intent": "out_of_scope"}
    )
    await console.client.post(
        f"/nlu/{by_text['能用中文吗']}/correct", data={"csrf_token": token, "intent": "out_of_scope"}
    )
    resp = await console.client.post("/nlu/export", data={"csrf_token": token})
    assert "Exported 3 examples" in await resp.text()
    path = console.env.settings.export_file
    content = path.read_text()
    assert content.count("- intent: out_of_scope") == 2  # one block per language
    examples = {
        (m.get("text"), m.get("intent"), (m.get("metadata") or {}).get("intent", {}).get("language"))
        for m in load_data(str(path)).training_examples
    }
    assert examples == {
        ("我的订单104523到哪了", "order_status", "zh"),
        ("能用中文吗", "out_of_scope", "zh"),
        ("blorp the flanges", "out_of_scope", "en"),
    }


def test_upgrade_from_v2_fills_in_the_languages(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'v2.db'}")
    now = "2024-06-01 12:00:00"
    with engine.begin() as conn:  # a version-2 database as the previous console left it
        db.metadata.create_all(conn)
        conn.execute(text("DROP INDEX ix_conv_language_last"))
        conn.execute(text("ALTER TABLE conversations DROP COLUMN language"))
        conn.execute(text("ALTER TABLE nlu_inbox DROP COLUMN language"))
        conn.execute(insert(db.schema_version).values(id=1, version=2))
        rows = [
            ("s-slot", json.dumps({"language": "zh"}), "hello there friend"),
            ("s-han", "{}", "hi\n我要退货\nok"),
            ("s-en", "{}", "where is my order"),
        ]
        for sender, slots, search in rows:
            conn.execute(
                text(
                    "INSERT INTO conversations (sender_id, channel, started_at, last_at, turns, events,"
                    " fallback, fallback_count, handoff, paused, slots, search_text, search_masked,"
                    " review_status) VALUES (:s, 'rest', :t, :t, 1, 1, 0, 0, 0, 0, :slots, :q, :q, 'unread')"
                ),
                {"s": sender, "t": now, "slots": slots, "q": search},
            )
        for i, (sender, message) in enumerate(
            [("s-han", "ok"), ("s-en", "where is my order"), ("s-han", "退")]
        ):
            conn.execute(
                text(
                    "INSERT INTO nlu_inbox (id, norm_text, text, event_id, sender_id, seen_at, seen_count,"
                    " predicted_entities, status, entities)"
                    " VALUES (:i, :m, :m, :i, :s, :t, 1, '[]', 'new', '[]')"
                ),
                {"i": i + 1, "m": message, "s": sender, "t": now},
            )
    assert db.ensure_schema(engine) == db.SCHEMA_VERSION == 3
    with engine.connect() as conn:
        c, n = db.conversations.c, db.nlu_inbox.c
        conversations = dict(conn.execute(select(c.sender_id, c.language)).all())
        inbox = dict(conn.execute(select(n.text, n.language)).all())
    assert conversations == {"s-slot": "zh", "s-han": "zh", "s-en": "en"}
    assert inbox == {"ok": "zh", "where is my order": "en", "退": "zh"}


async def test_the_handoff_queue_shows_the_language_and_the_notices_are_in_it(console: Console) -> None:
    from shop.db.session import make_engine, make_sessionmaker
    from shop.handoff import HandoffService

    service = HandoffService(make_sessionmaker(make_engine(console.env.shop_url)))
    zh = service.request("conv-zh-old", "telegram", "退货要怎么弄")
    en = service.request("conv-handoff", "telegram", "I want to talk to a real person")
    await _ready(console)
    console.forget()
    token = await console.login("agent")
    queue = (await (await console.client.get("/api/handoff")).json())["queue"]
    assert {e["sender_id"]: e["language"] for e in queue} == {"conv-zh-old": "zh", "conv-handoff": "en"}
    page = await (await console.client.get("/handoff")).text()
    assert '<td class="language">中文 (Chinese)</td>' in page and '<td class="language">English</td>' in page
    await console.client.post(f"/handoff/{zh.id}/take", data={"csrf_token": token})
    assert console.env.rasa.calls[-1]["events"][1]["text"] == "客服Sam已加入聊天。"
    chat = await (await console.client.get(f"/handoff/{zh.id}")).text()
    assert re.search(r'<span id="handoff-language"[^>]*>中文 \(Chinese\)</span>', chat)
    await console.client.post(f"/handoff/{zh.id}/release", data={"csrf_token": token})
    assert console.env.rasa.calls[-1]["events"][0]["text"].startswith("Sam已离开聊天。")
    await console.client.post(f"/handoff/{en.id}/take", data={"csrf_token": token})
    assert console.env.rasa.calls[-1]["events"][1]["text"] == "Sam from our support team has joined the chat."

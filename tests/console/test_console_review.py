"""Conversation list filters and paging, saved filters, transcript, tags, flags, review status,
NLU inbox with export to loadable Rasa YAML, test stories, analytics."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser

import pytest
from rasa.shared.core.events import BotUttered

from console.auth import Accounts
from tests.console.conftest import BASE_TS, XSS, Console, action, user

LIST_CASES = [
    ("", ["conv-handoff", "conv-fallback", "conv-order"]),
    ("fallback=yes", ["conv-fallback"]),
    ("fallback=no", ["conv-handoff", "conv-order"]),
    ("handoff=yes", ["conv-handoff"]),
    ("channel=telegram", ["conv-handoff"]),
    ("intent=order_status", ["conv-handoff", "conv-order"]),
    ("action=action_default_fallback", ["conv-fallback"]),
    ("entity=email", ["conv-order"]),
    ("slot=order_id", ["conv-order"]),
    ("slot=order_id%3D104523", ["conv-order"]),
    ("slot=order_id%3D999999", []),
    ("min_conf=0.9", ["conv-handoff", "conv-order"]),
    ("max_conf=0.5", ["conv-fallback"]),
    ("date_from=2024-06-02", ["conv-handoff"]),
    ("date_to=2024-06-01", ["conv-fallback", "conv-order"]),
    ("q=FLANGES", ["conv-fallback"]),
    ("q=100%25", []),
    ("review=unread", ["conv-handoff", "conv-fallback", "conv-order"]),
    ("sort=confidence", ["conv-fallback", "conv-order", "conv-handoff"]),
    ("min_conf=oops&fallback=maybe", ["conv-handoff", "conv-fallback", "conv-order"]),
]


async def test_list_filters_and_sort(console: Console) -> None:
    await console.ingest_as("agent")
    for query, expected in LIST_CASES:
        assert await console.senders(query) == expected, query


async def test_tags_review_status_and_paging(console: Console) -> None:
    token = await console.ingest_as("annie")
    await console.client.post(
        "/conversations/conv-order/tags", data={"csrf_token": token, "tag": "Late Parcel"}
    )
    await console.client.post(
        "/conversations/conv-order/review", data={"csrf_token": token, "status": "saved"}
    )
    assert await console.senders("tag=late-parcel") == ["conv-order"]
    assert await console.senders("review=saved") == ["conv-order"]
    bad = await console.client.post(
        "/conversations/conv-order/tags", data={"csrf_token": token, "tag": "<b>"}
    )
    assert bad.status == 400
    page = await (await console.client.get("/api/conversations?page=2")).json()
    assert page["conversations"] == [] and page["next_page"] is None


async def test_saved_filter_is_listed_for_its_owner_only(console: Console) -> None:
    token = await console.ingest_as("annie")
    resp = await console.client.post(
        "/filters",
        data={
            "csrf_token": token,
            "name": "Fallbacks on the widget",
            "fallback": "yes",
            "channel": "socketio",
        },
    )
    assert resp.status == 200 and str(resp.url).endswith("/conversations?channel=socketio&fallback=yes")
    page = await resp.text()
    assert 'href="/conversations?channel=socketio&amp;fallback=yes">Fallbacks on the widget' in page
    console.forget()
    await console.login("agent")
    assert "Fallbacks on the widget" not in await (await console.client.get("/conversations")).text()


async def test_transcript_shows_intents_actions_slots_and_flags(console: Console) -> None:
    token = await console.ingest_as("annie")
    page = await (await console.client.get("/conversations/conv-order")).text()
    assert "order_status</b> 0.97" in page
    assert "order_id=104523" in page and "action_order_status" in page and "RulePolicy" in page
    assert "slot order_id = &#34;104523&#34;" in page
    event_id = re.search(r'name="event_id" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    await console.client.post(
        "/conversations/conv-order/flag",
        data={"csrf_token": token, "event_id": event_id, "note": "wrong entity"},
    )
    page = await (await console.client.get("/conversations/conv-order")).text()
    assert "⚑ wrong entity" in page
    assert (await console.client.get("/conversations/nobody")).status == 404


class _Chips(HTMLParser):
    """The text of each ``li.chip`` inside ``ul.buttons``."""

    def __init__(self) -> None:
        super().__init__()
        self.chips: list[str] = []
        self._in_list = self._in_chip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class")
        if tag == "ul" and cls == "buttons":
            self._in_list = True
        elif self._in_list and tag == "li" and cls == "chip":
            self._in_chip = True
            self.chips.append("")
        elif self._in_chip:
            raise AssertionError(f"markup inside a button title: <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._in_chip = False
        elif tag == "ul":
            self._in_list = False

    def handle_data(self, data: str) -> None:
        if self._in_chip:
            self.chips[-1] += data


async def test_transcript_shows_each_button_title_as_its_own_escaped_chip(console: Console) -> None:
    titles = ["Ask about a product", "Use a coupon code", XSS]
    buttons = [{"title": t, "payload": f"/pick{n}"} for n, t in enumerate(titles)]
    events = [
        user("hi", "greet", 0.99, BASE_TS + 7200),
        action("utter_greet", BASE_TS + 7201),
        BotUttered("How can I help?", data={"buttons": buttons}, timestamp=BASE_TS + 7201),
    ]
    # The writer runs its own event loop (asyncio.run), so off this one.
    await asyncio.to_thread(console.env.tracker.add, "conv-buttons", events)
    await console.ingest_as("annie")
    page = await (await console.client.get("/conversations/conv-buttons")).text()
    chips = _Chips()
    chips.feed(page)
    assert chips.chips == titles  # one element per title, the injection as text
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    api = await (await console.client.get("/api/conversations/conv-buttons/events")).json()
    assert [e["buttons"] for e in api["events"] if e["type"] == "bot"] == [titles]


async def _inbox_id(console: Console, text: str) -> str:
    page = await (await console.client.get("/nlu")).text()
    m = re.search(r'<tr id="inbox-(\d+)">\s*<td class="text"[^>]*>' + re.escape(text), page)
    assert m, page
    return m.group(1)


async def test_nlu_inbox_review_and_export_loads_as_rasa_yaml(console: Console) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    token = await console.ingest_as("annie")
    order = await _inbox_id(console, "where is my order 104523")
    blorp = await _inbox_id(console, "blorp the flanges")
    zibble = await _inbox_id(console, "zibble wibble")
    assert (await console.client.post(f"/nlu/{order}/confirm", data={"csrf_token": token})).status == 200
    refused = await console.client.post(f"/nlu/{blorp}/confirm", data={"csrf_token": token})
    assert refused.status == 400  # nlu_fallback is no label
    unknown = await console.client.post(
        f"/nlu/{blorp}/correct", data={"csrf_token": token, "intent": "nonsense"}
    )
    assert unknown.status == 400
    await console.client.post(f"/nlu/{blorp}/correct", data={"csrf_token": token, "intent": "out_of_scope"})
    await console.client.post(f"/nlu/{zibble}/dismiss", data={"csrf_token": token})
    page = await (await console.client.get("/nlu?status=new")).text()
    mail = re.search(r'<tr id="inbox-(\d+)">\s*<td class="text"[^>]*>it&#39;s a\*\*\*@e\*\*\*.com', page)
    assert mail, "annotators see the address masked"
    await console.client.post(f"/nlu/{mail.group(1)}/correct", data={"csrf_token": token, "intent": "inform"})
    resp = await console.client.post("/nlu/export", data={"csrf_token": token})
    assert "Exported 3 examples" in await resp.text()

    path = console.env.settings.export_file
    content = path.read_text()
    assert "alex.morgan" not in content and "[shopper1@example.com](email)" in content
    data = load_data(str(path))
    examples = {(m.get("text"), m.get("intent")) for m in data.training_examples}
    assert examples == {
        ("where is my order 104523", "order_status"),
        ("blorp the flanges", "out_of_scope"),
        ("it's shopper1@example.com", "inform"),
    }
    assert {e["entity"] for m in data.training_examples for e in m.get("entities") or []} == {
        "order_id",
        "email",
    }
    counts = await (await console.client.get("/nlu?status=exported")).text()
    assert "exported (3)" in counts and "dismissed (1)" in counts


def test_export_escapes_rasa_markup_and_keeps_entities() -> None:
    from console.nlu import render_export

    rows = [
        {
            "id": 1,
            "text": "is [SAVE10](coupon_code) {x} valid\nnow",
            "intent": "apply_coupon",
            "entities": [],
        },
        {
            "id": 2,
            "text": "use SAVE10 please",
            "intent": "apply_coupon",
            "entities": [{"start": 4, "end": 10, "entity": "coupon_code", "value": "SAVE10"}],
        },
    ]
    out = render_export(rows)
    assert "    - is (SAVE10)(coupon_code) (x) valid now" in out
    assert "    - use [SAVE10](coupon_code) please" in out


async def test_save_conversation_as_test_story(console: Console) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    token = await console.ingest_as("annie")
    resp = await console.client.post("/conversations/conv-order/story", data={"csrf_token": token})
    assert resp.status == 200, await resp.text()
    path = console.env.settings.stories_dir / "test_console_conv-order.yml"
    text = path.read_text()
    assert "alex.morgan" not in text
    assert YAMLStoryReader.is_test_stories_file(str(path))
    domain = Domain.load(str(console.env.settings.domain_file))
    steps = YAMLStoryReader(domain).read_from_file(str(path))
    assert len(steps) == 1
    assert "user: where is my order [104523](order_id)" in text
    assert "action: action_order_status" in text
    # Slots the domain doesn't know are left out of the story; known ones are kept.
    assert ("csat_score" in text) == ("csat_score" in {slot.name for slot in domain.slots})
    # An unlabelled fallback message has no intent to test against: label it first.
    refused = await console.client.post("/conversations/conv-fallback/story", data={"csrf_token": token})
    assert refused.status == 400 and "label it" in await refused.text()


async def test_analytics_figures_and_inline_svg(console: Console) -> None:
    from datetime import date

    from console.analytics import summary

    await console.ingest_as()
    engine = console.app[__import__("console.app", fromlist=["CONSOLE_DB"]).CONSOLE_DB]
    f = summary(engine, days=30, today=date(2024, 6, 10))
    assert f["total"] == 3
    assert f["containment"] == pytest.approx(2 / 3) and f["fallback_rate"] == pytest.approx(1 / 3)
    assert ("order_status", 2) in f["top_intents"]
    assert dict(f["ends"])["action_handoff"] == 1
    assert (f["csat_avg"], f["csat_count"]) == (5.0, 1)
    page = await (await console.client.get("/analytics?days=3650")).text()
    assert page.count("<svg") == 6 and "<script" not in page.split("</head>")[1]


def test_create_admin_command(env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from console import create_admin, db

    monkeypatch.setenv("CONSOLE_DB_URL", env.settings.console_db_url)
    monkeypatch.setenv("CONSOLE_ADMIN_PASSWORD", "a long enough secret")
    assert create_admin.main(["--username", "root"]) == 0
    assert create_admin.main(["--username", "root"]) == 1
    engine = db.make_engine(env.settings.console_db_url)
    _, session = Accounts(engine, secret=env.settings.secret).login("root", "a long enough secret")
    assert session.user.role == "admin"

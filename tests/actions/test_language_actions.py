"""The actions answer in the conversation's language: the ``language`` slot read in one
place, set at session start from the channel's hint, and every sentence, button, date and
amount in Chinese when it is ``zh`` (English word for word as before otherwise).

Trackers are rasa-sdk's own; the order database is the seeded SQLite of the other tests.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import identity as ident
from actions import services
from actions.fallback import ActionDefaultAskAffirmation
from actions.formatting import order_status_text
from actions.handoff import rate_limited_text
from actions.language import language
from actions.orders import ActionCancelOrder, ActionListOrders, ActionOrderStatus
from actions.returns import ActionReturnStatus
from actions.session import ActionSessionStart, hinted_language
from shop.config import Settings
from shop.handoff import HandoffRateLimited
from shop.identity import IdentityService
from shop.orders import OrderService
from shop.returns import ReturnService
from shop.seed.demo import DEMO_ORDERS
from tests.conftest import FIXED_NOW

HAN = re.compile("[\u4e00-\u9fff]")
NOW = 1_800_000_000.0
SOURCE = "203.0.113.7"


def tracker(slots: Dict[str, Any], events: Optional[List[Dict[str, Any]]] = None, text: str = "") -> Tracker:
    events = events or []
    latest = next((e for e in reversed(events) if e["event"] == "user"), {"text": text, "metadata": {}})
    return Tracker("rest:lang", slots, latest, events, False, None, {}, None)


@pytest.fixture(autouse=True)
def _shop_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "languages", lambda: ("en", "zh"))
    monkeypatch.setattr(services, "settings", lambda: Settings(identity_proof_minutes=30))
    monkeypatch.delenv("SHOP_IDENTITY_SECRET", raising=False)


# -- the language slot, read in one place ----------------------------------------------------


@pytest.mark.parametrize(
    "slot, expected",
    [("zh", "zh"), ("en", "en"), (None, "en"), ("de", "en"), ("ZH", "en"), ("zh-CN", "en"), (["zh"], "en")],
)
def test_language_is_the_slot_when_the_shop_speaks_it(slot: Any, expected: str) -> None:
    assert language(tracker({"language": slot})) == expected


def test_no_language_yet_means_the_shops_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "languages", lambda: ("zh", "en"))
    assert language(tracker({})) == "zh"
    assert language(tracker({"language": "en"})) == "en"


# -- action_session_start ------------------------------------------------------------------------


def _start(metadata: Any) -> List[Dict[str, Any]]:
    slots = {} if metadata is None else {"session_started_metadata": metadata}
    return asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker(slots), {}))


@pytest.mark.parametrize("hint", ["en", "zh"])
def test_session_start_takes_a_shop_language_hint(hint: str) -> None:
    events = _start({"language": hint, "source": SOURCE})
    assert events == [SessionStarted(), SlotSet("language", hint), ActionExecuted("action_listen")]


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {},
        {"source": SOURCE},
        {"language": "fr"},
        {"language": "ZH"},
        {"language": "zh-CN"},
        {"language": " zh"},
        {"language": ["zh"]},
        {"language": {"zh": 1}},
        {"language": None},
        {"language": "zh" * 1000},
        "zh",
        ["zh"],
    ],
)
def test_session_start_ignores_any_other_hint(metadata: Any) -> None:
    """Rasa's own session start: a new session, nothing carried over, then listen."""
    assert _start(metadata) == [SessionStarted(), ActionExecuted("action_listen")]
    assert hinted_language(metadata) is None


def test_session_start_accepts_only_the_shops_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "languages", lambda: ("en",))
    assert _start({"language": "zh"}) == [SessionStarted(), ActionExecuted("action_listen")]


# -- actions without a database ------------------------------------------------------------------


def test_fallback_buttons_in_chinese_keep_their_intents() -> None:
    ranking = [{"name": "order_status"}, {"name": "nlu_fallback"}, {"name": "cancel_order"}]
    said = {}
    for lang in ("en", "zh"):
        t = tracker({"language": lang}, text="asdf")
        t.latest_message["intent_ranking"] = ranking
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionDefaultAskAffirmation().run(dispatcher, t, {}))
        said[lang] = dispatcher.messages[0]
    assert said["en"]["text"] == "Sorry, I'm not sure I understood. Did you mean one of these?"
    assert [b["title"] for b in said["en"]["buttons"]] == [
        "Track an order",
        "Cancel an order",
        "Something else",
    ]
    assert said["zh"]["text"] == "抱歉，我不太确定您的意思。您是想做以下哪一项？"
    assert [b["title"] for b in said["zh"]["buttons"]] == ["查询订单物流", "取消订单", "其他问题"]
    # The same intents; Chinese ones carry the language, which a rewind would otherwise lose.
    assert [b["payload"] for b in said["zh"]["buttons"]] == [
        b["payload"] + '{"language": "zh"}' for b in said["en"]["buttons"]
    ]


def test_lock_answer_in_chinese_gives_minutes_and_a_person_and_ends_the_form() -> None:
    until = datetime(2030, 1, 1, 12, 15)
    text = ident.locked_text(until, now=datetime(2030, 1, 1, 12, 0, 30), lang="zh")
    assert "15 分钟" in text and "客服" in text and text.startswith("为了保障您的账户安全")
    dispatcher = CollectingDispatcher()
    ident.say_locked(dispatcher, until, "zh")
    assert dispatcher.messages[0]["buttons"] == [{"title": "联系人工客服", "payload": "/human_handoff"}]
    # the Chinese refusal ends the order form for the turn just as the English one does
    assert ident.refused_this_turn(tracker({"language": "zh"}), dispatcher)
    unavailable = CollectingDispatcher()
    ident.say_unavailable(unavailable, "zh")
    assert ident.refused_this_turn(tracker({}), unavailable)


def test_handoff_quota_answer_in_chinese() -> None:
    exc = HandoffRateLimited(datetime.utcnow() + timedelta(minutes=9, seconds=30))  # noqa: DTZ003
    assert "请在大约 10 分钟后再试" in rate_limited_text(exc, "zh")
    assert "Please ask again in about 10 minutes" in rate_limited_text(exc)


# -- actions over the seeded order database ---------------------------------------------------


class _ReturnsAtSeedTime(ReturnService):
    """The return service with the seed's clock: the demo orders' return windows are its."""

    def eligibility(self, order_number: str, customer_id: int, now: Optional[datetime] = None) -> Any:
        return super().eligibility(order_number, customer_id, now or FIXED_NOW)

    def create_return(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("now", FIXED_NOW)
        return super().create_return(*args, **kwargs)


@pytest.fixture
def shop_db(make_db: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Dict[str, int]:
    """The seeded SQLite shop behind the services; the demo customers' ids by order number."""
    db = make_db("sqlite", True)
    settings = Settings(identity_proof_minutes=30)
    monkeypatch.setattr(services, "orders", lambda: OrderService(db.sessions, settings))
    monkeypatch.setattr(services, "returns", lambda: _ReturnsAtSeedTime(db.sessions, settings))
    monkeypatch.setattr(services, "identity", lambda: IdentityService(db.sessions, settings))
    identity = IdentityService(db.sessions, settings)
    ids = {}
    for number, email in DEMO_ORDERS.values():
        result = identity.verify("fixture", number, email)
        assert result.ok and result.customer_id is not None
        ids[number] = result.customer_id
    return ids


def proven(order_number: str, customer_id: int, lang: Optional[str], **slots: Any) -> Tracker:
    """A conversation that proved ``order_number`` a moment ago, from this address."""
    import time

    at = time.time()
    events = [
        {
            "event": "user",
            "text": f"order {order_number}",
            "timestamp": at - 5,
            "metadata": {"source": SOURCE},
        },
        {"event": "slot", "name": "customer_id", "value": str(customer_id), "timestamp": at - 1},
        {"event": "slot", "name": "verified_order", "value": order_number, "timestamp": at - 1},
        {"event": "user", "text": "?", "timestamp": at, "metadata": {"source": SOURCE}},
    ]
    values = {"customer_id": str(customer_id), "verified_order": order_number, "order_id": order_number}
    return tracker({**values, "language": lang, **slots}, events)


def _run(action: Any, t: Tracker) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages


def test_order_status_in_chinese_and_in_english_as_before(shop_db: Dict[str, int]) -> None:
    number = DEMO_ORDERS["shipped"][0]
    order = services.orders().details(number, shop_db[number])
    english = _run(ActionOrderStatus(), proven(number, shop_db[number], None))
    assert english[0]["text"] == order_status_text(order)
    assert english[0]["text"].startswith(f"Order #{number} from ") and "Total: $" in english[0]["text"]
    assert english[1]["text"] == "Anything else about this order?"
    assert [b["title"] for b in english[1]["buttons"]] == ["My other orders"]

    chinese = _run(ActionOrderStatus(), proven(number, shop_db[number], "zh"))
    text = chinese[0]["text"]
    placed = order.created_at
    assert (
        f"您于 {placed.year}年{placed.month}月{placed.day}日" in text
        and f"订单 #{number} 正在配送途中。" in text
    )
    assert "承运商：UPS" in text and "预计送达：" in text and "合计：US$" in text
    assert not re.search(r"\b(Order|Total|Items|Carrier)\b", text)
    assert chinese[1]["text"] == "关于这个订单，您还有其他需要吗？"
    assert chinese[1]["buttons"] == [{"title": "我的其他订单", "payload": "/list_orders"}]


def test_recent_orders_in_chinese(shop_db: Dict[str, int]) -> None:
    number = DEMO_ORDERS["shipped"][0]
    (said,) = _run(ActionListOrders(), proven(number, shop_db[number], "zh"))
    assert said["text"].startswith("您最近的订单：\n#")
    assert f"#{number} · " in said["text"] and "件商品 · US$" in said["text"]


def test_cancel_refusal_and_cancel_in_chinese(shop_db: Dict[str, int]) -> None:
    shipped = DEMO_ORDERS["shipped"][0]
    (said,) = _run(ActionCancelOrder(), proven(shipped, shop_db[shipped], "zh", cancel_confirmed=True))
    assert (
        said["text"] == f"订单 #{shipped} 已经发货，无法再取消。收到商品后，您可以在退货期限内申请退货退款。"
    )
    processing = DEMO_ORDERS["processing"][0]
    (kept,) = _run(ActionCancelOrder(), proven(processing, shop_db[processing], "zh", cancel_confirmed=False))
    assert kept["text"] == f"好的，我没有做任何更改，订单 #{processing} 保持不变。"
    (done,) = _run(ActionCancelOrder(), proven(processing, shop_db[processing], "zh", cancel_confirmed=True))
    assert done["text"].startswith(f"已完成：订单 #{processing} 已取消。US$") and "工作日" in done["text"]


def test_return_status_in_chinese(shop_db: Dict[str, int]) -> None:
    recent = DEMO_ORDERS["delivered_recent"][0]
    (none,) = _run(ActionReturnStatus(), proven(recent, shop_db[recent], "zh"))
    assert none["text"] == f"订单 #{recent} 目前还没有退货记录。您要发起退货吗？"
    assert none["buttons"] == [{"title": "发起退货", "payload": "/return_item"}]


def test_unproven_and_unknown_orders_get_the_same_chinese_words(shop_db: Dict[str, int]) -> None:
    """No hint whether an order exists: a stranger's order and a made-up number read alike."""
    number = DEMO_ORDERS["shipped"][0]
    someone_else = next(cid for n, cid in shop_db.items() if cid != shop_db[number])
    stranger = _run(ActionOrderStatus(), proven(number, someone_else, "zh"))
    made_up = _run(ActionOrderStatus(), proven("999999", someone_else, "zh"))
    assert (
        stranger
        == made_up
        == [{**stranger[0], "text": "没有找到与该订单号和邮箱相符的订单。请核对两者后再试一次。"}]
    )
    unproven = _run(ActionOrderStatus(), tracker({"order_id": number, "language": "zh"}))
    assert unproven[0]["text"] == "请先提供订单号和下单时使用的邮箱，我才能为您处理这个订单。"


def test_a_return_in_chinese_from_the_question_to_the_rma(shop_db: Dict[str, int]) -> None:
    from actions.returns import ActionAskReturnConfirmed, ActionAskReturnSelection, ActionCreateReturn

    number = DEMO_ORDERS["delivered_recent"][0]
    cid = shop_db[number]
    (ask,) = _run(ActionAskReturnSelection(), proven(number, cid, "zh"))
    assert re.match(
        rf"订单 #{number} 可在 \d{{4}}年\d{{1,2}}月\d{{1,2}}日周. 之前退货。请问您想退哪件商品？\n1\. ",
        ask["text"],
    )
    assert "单价 US$" in ask["text"]
    assert ask["buttons"][-1] == {"title": "全部商品", "payload": '/inform{"return_selection":"all"}'}
    english = _run(ActionAskReturnSelection(), proven(number, cid, "en"))[0]
    assert [b["payload"] for b in english["buttons"]] == [b["payload"] for b in ask["buttons"]]
    assert english["buttons"][-1]["title"] == "All of them"

    ids = [li.order_item_id for li in services.returns().eligibility(number, cid).lines]
    chosen = {"return_selection": ",".join(map(str, ids)), "return_reason": "尺码偏小"}
    (confirm,) = _run(ActionAskReturnConfirmed(), proven(number, cid, "zh", **chosen))
    assert (
        confirm["text"].startswith(f"请确认：退回订单 #{number} 中的 ")
        and "（原因：尺码偏小），预计退款 US$" in confirm["text"]
    )
    assert [b["title"] for b in confirm["buttons"]] == ["是的，发起退货", "否"]

    (created,) = _run(ActionCreateReturn(), proven(number, cid, "zh", return_confirmed=True, **chosen))
    assert created["text"].startswith("已为您发起退货。您的退货单号（RMA）是 RMA-")
    assert (
        "请将商品打包" in created["text"]
        and "天内" in created["text"]
        and "Pack the items" not in created["text"]
    )
    (again,) = _run(ActionCreateReturn(), proven(number, cid, "en", return_confirmed=True, **chosen))
    assert again["text"].startswith("You already started this return. Your RMA number is RMA-")
    assert "Pack the items with RMA-" in again["text"]


def test_a_product_question_in_chinese(
    make_db: Callable[..., Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from actions.catalog import ActionAnswerProductQuestion
    from shop.catalog import CatalogService
    from tests.support.small_catalog import make_small_catalog

    sf, _ = make_small_catalog(f"sqlite:///{tmp_path / 'shop.db'}", with_orders=False)
    monkeypatch.setattr(services, "catalog", lambda: CatalogService(sf))

    def ask(text: str, lang: Optional[str]) -> str:
        t = tracker({"language": lang}, text=text)
        t.latest_message["entities"] = [{"entity": "product", "value": "Nimbus Running Shoe"}]
        (said,) = _run(ActionAnswerProductQuestion(), t)
        return str(said["text"])

    sizes = ask("Nimbus Running Shoe 有哪些尺码？", "zh")
    assert sizes.startswith("Nimbus Running Shoe 的尺码有 ") and "有现货的尺码：" in sizes
    price = ask("Nimbus Running Shoe 多少钱", "zh")
    assert price.startswith("Stride 的 Nimbus Running Shoe（SH-NIM-RUN）：US$89.00。有现货：尺码 42")
    english = ask("what sizes does the Nimbus Running Shoe come in?", None)
    assert english.startswith("The Nimbus Running Shoe comes in sizes ")


def test_a_comparison_in_english_has_the_catalogs_own_rows(tmp_path: Any) -> None:
    """The rows are labelled from the catalogue; in English they are the catalog's, cell for cell."""
    from dataclasses import replace
    from decimal import Decimal

    from actions.catalog_text import _compare_rows, compare_text
    from shop.catalog import CatalogService
    from tests.support.small_catalog import make_small_catalog

    sf, _ = make_small_catalog(f"sqlite:///{tmp_path / 'shop.db'}", with_orders=False)
    catalog = CatalogService(sf)
    c = catalog.compare("SH-NIM-RUN", "SH-NIM-TRL")
    assert c is not None
    on_sale = replace(c.a, sale_price=c.a.price - Decimal("5"), promotion="Camp week")
    for comparison in (c, replace(c, a=on_sale)):
        if comparison is not c:  # the catalog's own cell for a sale price
            comparison = replace(
                comparison,
                rows=(
                    ("Price", f"${on_sale.sale_price} (was ${on_sale.price}, Camp week)", c.rows[0][2]),
                    *c.rows[1:],
                ),
            )
        assert [tuple(r) for r in _compare_rows(comparison, "en")] == [tuple(r) for r in comparison.rows]
    chinese = compare_text(c, "zh")
    assert chinese.startswith(f"{c.a.name} 与 {c.b.name} 对比：\n- 价格：US$") and "- 品牌：" in chinese


def test_every_refusal_starts_with_its_prefix_in_every_language() -> None:
    """refused_this_turn recognises a lock, outage or rate limit by its first words."""
    from shop import messages as m

    for lang in m.CATALOGUES:
        for kind in ("locked", "unavailable", "rate_limited"):
            full = m.text(f"identity.{kind}", lang, when=m.plural("minutes", 5, lang))
            assert full.startswith(m.text(f"identity.{kind}_prefix", lang)), (lang, kind)
            assert full.startswith(ident.REFUSAL_PREFIXES)


def test_session_start_events_apply_in_rasa_as_a_new_session_in_the_hinted_language() -> None:
    """What Rasa's processor does at a session start, with this action's events: the slot
    ``session_started_metadata`` set from the first message, the action run, its events
    applied. The new session keeps nothing from the old one but the hinted language."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.events import SlotSet as RasaSlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_yaml(
        """
version: "3.1"
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: false
slots:
  language:
    type: categorical
    values: [en, zh]
    influence_conversation: false
    mappings: [{type: custom}]
  order_id:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
"""
    )
    rasa_tracker = DialogueStateTracker("rest:s", domain.slots)
    rasa_tracker.update(RasaSlotSet("order_id", "104523"), domain)  # the previous session's
    rasa_tracker.update(RasaSlotSet("session_started_metadata", {"language": "zh", "source": SOURCE}), domain)
    state = rasa_tracker.current_state()
    sdk_tracker = Tracker.from_dict(state)
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), sdk_tracker, domain.as_dict()))
    for event in events:
        rasa_tracker.update(Event.from_parameters(event), domain)
    assert rasa_tracker.get_slot("language") == "zh"
    assert rasa_tracker.get_slot("order_id") is None
    assert rasa_tracker.latest_action_name == "action_listen"

"""A Chinese shopper stays Chinese through Rasa's two-stage fallback: the rewind that takes
back the unclear message also takes back the turn that set ``language`` (seen end to end:
an email after a "did you mean" got Rasa's English utter_default)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.fallback import ActionDefaultAskAffirmation, ActionDefaultFallback, payload
from actions.language import language, last_language
from shop import messages as m

ROOT = Path(__file__).resolve().parents[2]
RANKING = [{"name": "order_status", "confidence": 0.4}, {"name": "cancel_order", "confidence": 0.3}]
#: The turn that set zh, rewound by the fallback; the clarification (an email) fed in again.
REWOUND = [
    {"event": "session_started"},
    {"event": "user", "text": "查询订单 999998"},
    {"event": "slot", "name": "language", "value": "zh"},
    {"event": "action", "name": "action_two_stage_fallback"},
    {"event": "rewind"},
    {"event": "user", "text": "someone@example.com"},
]


@pytest.fixture(autouse=True)
def _shop_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "languages", lambda: ("en", "zh"))


def tracker(events: List[Dict[str, Any]], slot: Optional[str] = None) -> Tracker:
    latest = {"text": "x", "intent": {"name": "nlu_fallback"}, "intent_ranking": RANKING, "entities": []}
    return Tracker("rest:fb", {"language": slot}, latest, events, False, None, {}, None)


def test_the_sessions_language_outlives_a_rewind_but_not_the_session() -> None:
    assert last_language(tracker(REWOUND)) == "zh"
    assert language(tracker(REWOUND)) == "zh"
    assert language(tracker(REWOUND, slot="en")) == "en"  # the slot, when set, decides
    new_session = REWOUND + [{"event": "session_started"}, {"event": "user", "text": "a@b.com"}]
    assert last_language(tracker(new_session)) is None and language(tracker(new_session)) == "en"
    forged = [{"event": "slot", "name": "language", "value": "xx"}]
    assert last_language(tracker(forged)) is None


def _run(action: Any, t: Tracker) -> tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def test_chinese_suggestions_carry_the_language_and_english_ones_do_not() -> None:
    (zh,), _ = _run(ActionDefaultAskAffirmation(), tracker([], slot="zh"))
    assert [b["payload"] for b in zh["buttons"]] == [
        '/order_status{"language": "zh"}',
        '/cancel_order{"language": "zh"}',
        '/out_of_scope{"language": "zh"}',
    ]
    (en,), _ = _run(ActionDefaultAskAffirmation(), tracker([], slot="en"))
    assert [b["payload"] for b in en["buttons"]] == ["/order_status", "/cancel_order", "/out_of_scope"]


def test_rasa_reads_the_language_out_of_a_tagged_payload() -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    message = Message(data={"text": payload("order_status", "zh")})
    parsed = RegexMessageHandler().process([message], domain)[0]
    assert parsed.get("intent")["name"] == "order_status"
    assert [(e["entity"], e["value"]) for e in parsed.get("entities")] == [("language", "zh")]


def test_the_last_resort_speaks_the_sessions_language_and_sets_it_again() -> None:
    (said,), events = _run(ActionDefaultFallback(), tracker(REWOUND))
    assert said["text"] == m.text("fallback.default", "zh")
    assert [e["event"] for e in events] == ["rewind", "slot"]
    assert events[1]["name"] == "language" and events[1]["value"] == "zh"
    (said_en,), _ = _run(ActionDefaultFallback(), tracker([]))
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][
        "utter_default"
    ]
    assert said_en["text"] == responses[0]["text"], "the same words as the domain's utter_default"
    assert said["text"] == responses[1]["text"]
